"""Notices carry the RF creditor reference of the invoices they are about."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from dunning_core import Account, Invoice, Money, build_statement
from dunning_core.domain.references import creditor_reference, format_creditor_reference
from dunning_core.policies.ladder import DunningHistory, evaluate_ladder
from dunning_core.policies.ladder.presets import FIVE_NOTICES_THEN_TERMINATION
from dunning_core.rendering.catalog import CatalogRenderer
from dunning_core.service.notices import notice_context
from dunning_core.service.settings import CycleConfig


def test_a_notice_context_carries_each_invoices_rf_reference() -> None:
    account = Account(id="A-1", name="Acme", currency="EUR")
    invoices = [
        Invoice(
            number=number,
            account_id="A-1",
            issued_on=date(2026, 1, 1),
            due_on=due_on,
            amount=Money("10.00", "EUR"),
        )
        for number, due_on in (("F-2026-0001", date(2026, 2, 1)), ("F-2026-0002", date(2026, 2, 5)))
    ]
    day = date(2026, 3, 20)
    statement = build_statement(account, day, invoices=invoices)
    (action,) = evaluate_ladder(
        FIVE_NOTICES_THEN_TERMINATION, statement, DunningHistory(account_id="A-1", records=()), day
    )
    context = notice_context(CycleConfig(), account, action)
    printed = context["creditor_references"].split(", ")
    assert len(printed) == 2 and context["creditor_reference"] == printed[0]
    for reference, number in zip(printed, ("F20260001", "F20260002"), strict=True):
        assert iso11649.is_valid(reference) and reference.replace(" ", "").endswith(number)


def _action_context(numbers: tuple[str, ...], locale: str = "fr_FR") -> dict[str, object]:
    account = Account(id="A-1", name="Acme", currency="EUR", locale=locale)
    invoices = [
        Invoice(
            number=number,
            account_id="A-1",
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 2, 1),
            amount=Money("10.00", "EUR"),
        )
        for number in numbers
    ]
    day = date(2026, 3, 20)
    statement = build_statement(account, day, invoices=invoices)
    (action,) = evaluate_ladder(
        FIVE_NOTICES_THEN_TERMINATION, statement, DunningHistory(account_id="A-1", records=()), day
    )
    return notice_context(CycleConfig(), account, action)


def _html_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", unescape(html)).split())


@pytest.mark.parametrize(
    ("locale", "label"),
    [
        ("en_GB", "Payment reference:"),
        ("fr_FR", "Référence de paiement :"),
        ("de_DE", "Zahlungsreferenz:"),
        ("es_ES", "Referencia de pago:"),
    ],
)
def test_a_rendered_notice_prints_the_invoices_rf_reference(locale: str, label: str) -> None:
    context = _action_context(("F-2026-0001",), locale)
    expected = format_creditor_reference(creditor_reference("F-2026-0001"))
    rendered = CatalogRenderer().render("notice.first", locale, context)
    assert f"{label} {expected}" in rendered.body
    assert rendered.html is not None
    assert " ".join(f"{label} {expected}".split()) in _html_text(rendered.html)


def test_several_invoices_print_every_reference_under_the_plural_label() -> None:
    context = _action_context(("F-2026-0001", "F-2026-0002"), "en_GB")
    expected = ", ".join(
        format_creditor_reference(creditor_reference(n)) for n in ("F-2026-0001", "F-2026-0002")
    )
    rendered = CatalogRenderer().render("notice.first", "en_GB", context)
    assert f"Payment references: {expected}" in rendered.body


def test_an_invoice_without_an_rf_reference_prints_no_reference_line() -> None:
    number = "F-2026-" + "9" * 20  # more than 21 letters and digits: no RF reference
    context = _action_context((number,), "en_GB")
    assert context["creditor_references"] == ""
    rendered = CatalogRenderer().render("notice.first", "en_GB", context)
    assert "reference" not in rendered.body.lower()
    assert rendered.html is not None and "reference" not in _html_text(rendered.html).lower()


def test_an_sms_does_not_print_the_reference() -> None:
    context = _action_context(("F-2026-0001",), "en_GB")
    rendered = CatalogRenderer().render("notice.first.sms", "en_GB", context)
    assert "RF" not in rendered.body


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/ ", max_size=30
    )
)
def test_the_printed_reference_of_a_notice_is_what_format_creditor_reference_prints(
    number: str,
) -> None:
    # The notice groups the reference it just computed without re-checking its digits.
    from dunning_core.errors import InvalidCreditorReference
    from dunning_core.service.notices import _printed_reference

    try:
        expected = format_creditor_reference(creditor_reference(number))
    except InvalidCreditorReference:
        expected = ""
    assert _printed_reference(number) == expected
