"""The team's own templates: overrides per locale, the plain context, and a sandbox that
refuses bad templates when they are loaded, with the file and the line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.numbers import format_currency

from dunning_core import Money
from dunning_core.errors import RenderError, TemplateError
from dunning_core.rendering import check_templates
from dunning_core.rendering.samples import sample_context
from dunning_core.rendering.templates import TemplateRenderer, plain_context


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


GOOD = {
    "fr/notice.first.subject.txt": "Relance : {{ invoice_numbers | invoice_list }}",
    "fr/notice.first.txt": (
        "Bonjour {{ customer_name }},\n\n"
        "Il reste {{ amount_due | money }} à payer depuis le {{ due_on | date }}.\n"
        "{% for invoice in invoices %}\n"
        "- {{ invoice.number }} : {{ invoice.open_amount | money }}\n"
        "{% endfor %}\n"
        "Payer : {{ pay_url }}\n"
    ),
    "fr/notice.first.html": (
        "<p>Bonjour {{ customer_name }},</p>"
        "<p>Il reste {{ amount_due | money }}.</p>"
        '<a href="{{ pay_url }}">Payer</a>'
    ),
    "en/reminder.overdue.sms.txt": "{{ customer_name }}: {{ amount_due | money }} due.",
}


def test_a_locale_template_overrides_the_builtin_text(tmp_path: Path) -> None:
    renderer = TemplateRenderer(_write(tmp_path, GOOD))
    context = {**sample_context("notice.first"), "amount_due": Money("1234.56", "EUR")}
    message = renderer.render("notice.first", "fr_FR", context)
    assert message.subject == "Relance : F-1 et F-2"
    assert format_currency(Decimal("1234.56"), "EUR", locale="fr_FR") in message.body
    assert format_date(date(2026, 1, 31), format="long", locale="fr_FR") in message.body
    assert "- F-1 : " in message.body
    assert message.html is not None and "<p>Bonjour" in message.html
    assert message.locale == "fr" and message.requested_locale == "fr_FR"


def test_other_locales_and_keys_keep_the_builtin_texts(tmp_path: Path) -> None:
    renderer = TemplateRenderer(_write(tmp_path, GOOD))
    context = sample_context("notice.first")
    german = renderer.render("notice.first", "de_DE", context)
    assert german.subject == "Erste Mahnung: Zahlung überfällig"
    french_other = renderer.render("notice.second", "fr_FR", sample_context("notice.second"))
    assert french_other.subject == "Deuxième avis : paiement en retard"


def test_html_escapes_what_the_context_carries(tmp_path: Path) -> None:
    renderer = TemplateRenderer(_write(tmp_path, GOOD))
    context = {**sample_context("notice.first"), "customer_name": "<script>x</script>"}
    message = renderer.render("notice.first", "fr_FR", context)
    assert message.html is not None
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    # The text part is plain text: nothing to escape.
    assert "<script>x</script>" in message.body


def test_without_an_html_file_the_html_part_is_built_from_the_text(tmp_path: Path) -> None:
    files = {k: v for k, v in GOOD.items() if not k.endswith(".html")}
    renderer = TemplateRenderer(_write(tmp_path, files))
    message = renderer.render("notice.first", "fr_FR", sample_context("notice.first"))
    assert message.html is not None
    assert "Payer maintenant" in message.html  # the built-in button label
    assert "F-2" in message.html  # the invoice table


def test_a_team_key_falls_back_to_its_english_template(tmp_path: Path) -> None:
    files = {
        "en/courtesy_call.subject.txt": "Hello {{ customer_name }}",
        "en/courtesy_call.txt": "{{ amount_due | money }} is open.",
    }
    renderer = TemplateRenderer(
        _write(tmp_path, files), keys={"courtesy_call": ("account", "invoices")}
    )
    message = renderer.render("courtesy_call", "vi_VN", sample_context("notice.first"))
    assert message.subject.startswith("Hello") and message.locale == "en"
    assert message.fell_back


def test_the_context_reaches_templates_as_plain_data() -> None:
    plain = plain_context(sample_context("notice.first"))
    assert plain["amount_due"] == {"amount": "1234.56", "currency": "EUR"}
    assert plain["invoices"][0]["open_amount"] == {"amount": "1000.00", "currency": "EUR"}  # type: ignore[index]
    assert isinstance(plain["due_on"], date)


@pytest.mark.parametrize(
    ("source", "line", "says"),
    [
        ("Hello\n{{ ''.__class__ }}", 2, "attribute access .__class__"),
        ("Hello\n\n{{ customer_name.upper() }}", 3, "calling a function"),
        ("{{ invoices[0]['__class__'] }}", 1, "is not allowed"),
        ("Hello\n{{ customer_nme }}", 2, "unknown variable 'customer_nme'"),
        ("{% for i in invoices %}\n{{ i.number }\n{% endfor %}", 2, "syntax error"),
        ("Hi\n{{ amount_due }}", 2, "money filter"),
        ("Hi\n{{ due_on }}", 2, "date filter"),
        ("{{ customer_name | center(10000000) }}", 1, "filter 'center' is not allowed"),
        ("{% set x = 'x' %}{{ x }}", 1, "{% set %} is not allowed"),
        ("{% include 'other.txt' %}", 1, "{% include %} is not allowed"),
        ("{{ customer_name | nosuchfilter }}", 1, "filter 'nosuchfilter'"),
        (
            "{% for a in invoices %}{% for b in invoices %}\n{% for c in invoices %}x"
            "{% endfor %}{% endfor %}{% endfor %}",
            2,
            "loops nest",
        ),
    ],
)
def test_a_bad_template_is_refused_when_loaded_with_its_path_and_line(
    tmp_path: Path, source: str, line: int, says: str
) -> None:
    files = {
        "fr/notice.first.subject.txt": "Relance",
        "fr/notice.first.txt": source,
    }
    root = _write(tmp_path, files)
    with pytest.raises(TemplateError) as caught:
        TemplateRenderer(root)
    path = str(root / "fr" / "notice.first.txt")
    assert any(p == path and n == line and says in text for p, n, text in caught.value.problems), (
        caught.value.problems
    )
    assert f"{path}:{line}:" in str(caught.value)


def test_a_ten_megabyte_output_is_refused_with_its_path_and_line(tmp_path: Path) -> None:
    source = "Hello\n{% for invoice in invoices %}\n{{ customer_name * 5000000 }}\n{% endfor %}"
    root = _write(tmp_path, {"fr/notice.first.subject.txt": "x", "fr/notice.first.txt": source})
    problems = check_templates(root)
    path = str(root / "fr" / "notice.first.txt")
    assert [(p.path, p.line) for p in problems] == [(path, 3)]
    assert "size cap" in problems[0].problem


def test_an_output_that_grows_past_the_cap_piece_by_piece_is_stopped(tmp_path: Path) -> None:
    source = (
        "Start\n{% for a in invoices %}{% for b in invoices %}\n"
        "{{ customer_name }}{{ customer_name }}{{ customer_name }}\n"
        "{% endfor %}{% endfor %}"
    )
    root = _write(tmp_path, {"fr/notice.first.subject.txt": "x", "fr/notice.first.txt": source})
    renderer = TemplateRenderer(root, max_chars=10_000)
    context = sample_context("notice.first")
    many = [
        {
            "number": f"F-{n}",
            "due_on": date(2026, 1, 1),
            "open_amount": Money("1", "EUR"),
            "days_late": 1,
        }
        for n in range(200)
    ]
    with pytest.raises(RenderError, match=r"notice\.first\.txt:3: the output passes the size cap"):
        renderer.render("notice.first", "fr_FR", {**context, "invoices": many})


def test_a_missing_value_at_render_time_names_the_file_and_line(tmp_path: Path) -> None:
    root = _write(tmp_path, GOOD)
    renderer = TemplateRenderer(root)
    context = sample_context("notice.first")
    del context["pay_url"]
    with pytest.raises(RenderError, match=r"notice\.first\.(txt|html):\d+: UndefinedError"):
        renderer.render("notice.first", "fr_FR", context)


def test_check_templates_lists_every_problem_of_a_directory(tmp_path: Path) -> None:
    files = {
        "fr/notice.first.subject.txt": "ok",
        "fr/notice.first.txt": "{{ nope }}",
        "fr/notice.nope.txt": "hello",
        "xx_YY/notice.first.txt": "hello",
        "de/notice.second.txt": "no subject next to me",
        "de/README.md": "notes",
        "en/courtesy_call.txt": "{{ customer_name }}",
    }
    problems = check_templates(_write(tmp_path, files))
    text = "\n".join(str(p) for p in problems)
    assert "unknown variable 'nope'" in text
    assert "'notice.nope' is not a template key" in text
    assert "'xx_YY' is not a locale" in text
    assert "needs a subject" in text
    assert "README.md: not a template" in text
    assert "'courtesy_call' is not a template key" in text
    assert check_templates(_write(tmp_path / "good", GOOD)) == []


def test_a_team_key_needs_an_english_template(tmp_path: Path) -> None:
    files = {"fr/courtesy_call.subject.txt": "x", "fr/courtesy_call.txt": "x"}
    problems = check_templates(
        _write(tmp_path, files), keys={"courtesy_call": ("account", "invoices")}
    )
    assert len(problems) == 1 and "no English template" in problems[0].problem
