"""The plain renderer: safe substitution, locale fallback, clear errors."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date

from dunning_core.errors import InvalidField, InvalidLocale, RenderError
from dunning_core.money import Money
from dunning_core.rendering.links import StaticPaymentLinks
from dunning_core.rendering.plain import DEFAULT_TEMPLATES, PlainRenderer

CONTEXT = {
    "customer_name": "ACME",
    "invoice_numbers": ["F-1", "F-2"],
    "amount_due": Money("1234.5", "EUR"),
    "due_on": date(2026, 1, 31),
    "days_overdue": 12,
    "days": 10,
    "pay_url": "https://pay.example/A-1",
    "reason": "overdue",
    "threshold": 85,
    "balance": Money("850", "EUR"),
    "credit_limit": Money("1000", "EUR"),
}


@pytest.mark.parametrize("key", sorted({key for key, _ in DEFAULT_TEMPLATES}))
@pytest.mark.parametrize("locale", ["en_US", "fr_FR"])
def test_every_default_template_renders_in_english_and_french(key: str, locale: str) -> None:
    assert (key, locale[:2]) in DEFAULT_TEMPLATES
    message = PlainRenderer().render(key, locale, CONTEXT)
    assert message.subject
    assert "{" not in message.subject + message.body


def test_values_are_formatted_for_the_locale() -> None:
    # Expected texts come from babel for each locale, so a CLDR update cannot break this.
    amount = Money("1234.50", "EUR")
    for locale in ("en_US", "fr_FR"):
        body = PlainRenderer().render("reminder.overdue", locale, CONTEXT).body
        assert amount.format(locale) in body
        assert format_date(date(2026, 1, 31), "long", locale=locale) in body
        assert "F-1, F-2" in body
    english = PlainRenderer().render("reminder.overdue", "en_US", CONTEXT).body
    french = PlainRenderer().render("reminder.overdue", "fr_FR", CONTEXT).body
    assert amount.format("en_US") not in french
    assert amount.format("fr_FR") not in english


def test_a_locale_falls_back_to_its_language_then_english() -> None:
    canadian = PlainRenderer().render("notice.first", "fr_CA", CONTEXT)
    assert canadian.subject == "Premier avis - paiement en retard"
    german = PlainRenderer().render("notice.first", "de_DE", CONTEXT)
    assert german.subject == "First notice - payment overdue"


def test_substitution_is_single_pass_and_reaches_nothing() -> None:
    renderer = PlainRenderer(
        {("custom", "en"): ("{{literal}} {name}", "{name.__class__} {0} {name!r}")}
    )
    message = renderer.render("custom", "en", {"name": "{pay_url} {{x}}"})
    assert message.subject == "{literal} {pay_url} {{x}}"
    assert message.body == "{name.__class__} {0} {name!r}"


def test_overrides_win_for_their_locale() -> None:
    renderer = PlainRenderer({("notice.first", "fr_CA"): ("Avis québécois", "Corps")})
    assert renderer.render("notice.first", "fr_CA", CONTEXT).subject == "Avis québécois"
    assert renderer.render("notice.first", "fr_FR", CONTEXT).subject.startswith("Premier")
    assert "notice.first" in renderer.template_keys()


def test_errors_name_the_template_and_the_problem() -> None:
    with pytest.raises(RenderError, match="no such template"):
        PlainRenderer().render("nope", "en", CONTEXT)
    with pytest.raises(RenderError, match=r"\{pay_url\}") as raised:
        PlainRenderer().render(
            "notice.first",
            "en",
            {"customer_name": "x"} | {k: v for k, v in CONTEXT.items() if k != "pay_url"},
        )
    assert raised.value.template_key == "notice.first"
    with pytest.raises(InvalidLocale):
        PlainRenderer().render("notice.first", "xx_NOPE", CONTEXT)


def test_payment_links_are_deterministic_and_encoded() -> None:
    links = StaticPaymentLinks("https://pay.example/")
    assert links.url_for("A/1", []) == "https://pay.example/A%2F1"
    assert links.url_for("A-1", ["F 1", "F&2"]) == (
        "https://pay.example/A-1?invoices=F%201%2CF%262"
    )
    assert links.url_for("A-1", ["F-1"]) == links.url_for("A-1", ["F-1"])
    with pytest.raises(InvalidField):
        StaticPaymentLinks("ftp://pay.example")
