"""CatalogRenderer: every built-in key in every language, plurals, babel formatting,
fallback, HTML."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Money, RenderError
from dunning_core.rendering.catalog import LANGUAGES, CatalogRenderer
from dunning_core.rendering.samples import sample_context, sample_values
from dunning_core.testing.strategies import accounts, portfolios

LOCALES = ("en_GB", "fr_FR", "de_DE", "es_ES")
RENDERER = CatalogRenderer()


def _context_of(portfolio: Any) -> dict[str, object]:
    """A notice context built from a drawn portfolio, as the cycle builds one."""
    statement = portfolio.statement()
    items = statement.open_items or statement.items
    currency = portfolio.account.currency
    values = sample_values(currency)
    context: dict[str, object] = {}
    for group in values.values():
        context.update(group)
    context.update(
        customer_name=portfolio.account.name,
        account_id=portfolio.account.id,
        invoice_numbers=[item.number for item in items],
        invoices=[
            {
                "number": item.number,
                "due_on": item.due_on,
                "open_amount": item.open_amount,
                "days_late": item.days_past_due,
            }
            for item in items
        ],
        amount_due=Money.sum((item.open_amount for item in items), currency),
        due_on=items[0].due_on,
        days_overdue=max(item.days_past_due for item in items),
        balance=statement.balance,
        total_claimed=statement.balance,
    )
    return context


@given(portfolios(min_invoices=1, max_invoices=4), st.sampled_from(LOCALES))
def test_every_builtin_key_renders_in_every_language_with_no_placeholder_left(
    portfolio: Any, locale: str
) -> None:
    context = _context_of(portfolio)
    for key in sorted(RENDERER.template_keys()):
        message = RENDERER.render(key, locale, context)
        for text in (message.subject, message.body):
            assert not re.search(r"\{[A-Za-z_]+\}", text), (key, locale, text)
        assert message.body.strip()
        assert message.locale == locale.split("_")[0]
        assert not message.fell_back
        if "{amount_due}" in _english_source(key):
            amount = context["amount_due"]
            assert isinstance(amount, Money)
            assert amount.format(locale) in message.subject + message.body


def _english_source(key: str) -> str:
    from dunning_core.rendering.catalog import resolve_key

    resolved = resolve_key(key)
    assert resolved is not None
    notice = resolved[0]
    return " ".join(text.singular for text in notice.paragraphs)


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR", "es_ES", "en_GB"])
def test_amounts_read_as_babel_formats_them_for_the_locale(locale: str) -> None:
    context = sample_context("notice.first")
    context["amount_due"] = Money("1234.56", "EUR")
    message = RENDERER.render("notice.first", locale, context)
    assert format_currency(Decimal("1234.56"), "EUR", locale=locale) in message.body


@pytest.mark.parametrize("locale", LOCALES)
def test_dates_and_invoice_lists_are_formatted_by_babel(locale: str) -> None:
    context = sample_context("reminder.overdue")
    message = RENDERER.render("reminder.overdue", locale, context)
    assert format_date(date(2026, 1, 31), format="long", locale=locale) in message.body
    assert format_list(["F-1", "F-2"], locale=locale) in message.body


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [
        ("en_GB", "1 day late", "2 days late"),
        ("fr_FR", "1 jour.", "2 jours."),
        ("de_DE", "1 Tag ", "2 Tagen "),
        ("es_ES", "1 día ", "2 días "),
    ],
)
def test_plurals_come_from_the_catalog(locale: str, one: str, two: str) -> None:
    context = sample_context("reminder.overdue")
    assert one in RENDERER.render("reminder.overdue", locale, {**context, "days_overdue": 1}).body
    assert two in RENDERER.render("reminder.overdue", locale, {**context, "days_overdue": 2}).body


def test_one_invoice_and_several_take_their_own_sentence() -> None:
    context = sample_context("reminder.overdue")
    single = {**context, "invoice_numbers": ["F-1"], "invoice_count": 1}
    assert RENDERER.render("reminder.overdue", "fr_FR", single).subject.startswith(
        "Votre facture F-1"
    )
    assert RENDERER.render("reminder.overdue", "fr_FR", context).subject.startswith(
        "Vos factures F-1 et F-2"
    )


@pytest.mark.parametrize(
    ("asked", "used", "fell_back"),
    [
        ("fr_CA", "fr", False),
        ("fr_NC", "fr", False),
        ("de_AT", "de", False),
        ("es_MX", "es", False),
        ("en_US", "en", False),
        ("vi_VN", "en", True),
        ("pt_BR", "en", True),
    ],
)
def test_a_locale_falls_back_by_language_then_to_english_and_says_so(
    asked: str, used: str, fell_back: bool
) -> None:
    message = RENDERER.render("notice.first", asked, sample_context("notice.first"))
    assert (message.locale, message.requested_locale, message.fell_back) == (
        used,
        asked,
        fell_back,
    )


def test_a_fallback_keeps_the_accounts_number_format() -> None:
    context = {**sample_context("notice.first"), "amount_due": Money("1234.56", "EUR")}
    message = RENDERER.render("notice.first", "vi_VN", context)
    assert message.subject == "First notice: payment overdue"
    assert format_currency(Decimal("1234.56"), "EUR", locale="vi_VN") in message.body
    # Dates are words: in the language of the text, not in Vietnamese.
    assert format_date(date(2026, 1, 31), format="long", locale="en") in message.body


def test_preset_stage_keys_render_their_builtin_text_with_fixed_values() -> None:
    context = sample_context("termination_in_5_days")
    message = RENDERER.render("termination_in_5_days", "de_DE", context)
    assert message.subject == "Hinweis: Ihr Konto wird in 5 Tagen gekündigt"
    sms = RENDERER.render("relance_sms", "fr_FR", sample_context("relance_sms"))
    assert sms.subject == "" and sms.html is None


def test_credit_thresholds_are_counted_by_babel_numbers() -> None:
    context = sample_context("credit.alert")
    message = RENDERER.render("credit.alert", "fr_FR", context)
    assert format_decimal(85, locale="fr_FR") + " %" in message.subject


def test_an_optional_paragraph_appears_only_when_its_value_is_given() -> None:
    context = sample_context("formal_notice")
    with_interest = RENDERER.render("formal_notice", "fr_FR", context).body
    without = RENDERER.render(
        "formal_notice", "fr_FR", {**context, "late_interest": None, "interest_rate": None}
    ).body
    assert "pénalités de retard" in with_interest
    assert "pénalités de retard" not in without


def test_an_unknown_key_or_a_missing_value_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="no such template"):
        RENDERER.render("notice.nope", "fr_FR", {})
    context = sample_context("notice.first")
    del context["amount_due"]
    with pytest.raises(RenderError, match=r"\{amount_due\}"):
        RENDERER.render("notice.first", "fr_FR", context)


def test_a_value_is_inserted_as_text_never_expanded() -> None:
    context = {**sample_context("notice.first"), "customer_name": "{pay_url} <b>"}
    message = RENDERER.render("notice.first", "en_GB", context)
    assert "{pay_url} <b>" in message.body
    assert message.html is not None
    assert "&lt;b&gt;" in message.html and "{pay_url} <b>" not in message.html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_html_part_has_the_invoice_table_and_the_pay_button_and_nothing_remote(
    locale: str,
) -> None:
    context = sample_context("notice.first")
    message = RENDERER.render("notice.first", locale, context)
    assert message.html is not None
    parser = _Tags()
    parser.feed(message.html)
    names = [tag for tag, _ in parser.tags]
    assert not {"img", "link", "script", "style", "iframe", "object"} & set(names)
    for _, attributes in parser.tags:
        assert "src" not in attributes
        assert "url(" not in (attributes.get("style") or "")
    links = [a["href"] for tag, a in parser.tags if tag == "a"]
    assert links and set(links) == {context["pay_url"]}
    text = " ".join(parser.text)
    for invoice in context["invoices"]:  # type: ignore[attr-defined]
        assert invoice["number"] in text
        assert invoice["open_amount"].format(locale) in text
    assert str(context["days_overdue"]) in text
    assert names.count("tr") >= 1 + len(context["invoices"])  # type: ignore[arg-type]


def test_sms_and_call_tasks_have_no_html_part() -> None:
    for key in ("reminder.overdue.sms", "call.task"):
        assert RENDERER.render(key, "fr_FR", sample_context(key)).html is None


@given(accounts())
def test_every_account_locale_gets_a_text_in_a_shipped_language(account: Any) -> None:
    context = sample_context("account.reactivated")
    message = RENDERER.render("account.reactivated", account.locale, context)
    assert message.locale in LANGUAGES
    assert message.requested_locale == account.locale
