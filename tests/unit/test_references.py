"""RF creditor references (ISO 11649) and IBAN checks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from dunning_core import Invoice, Money
from dunning_core.domain.references import (
    creditor_reference,
    find_creditor_references,
    format_creditor_reference,
    invoice_reference_key,
    normalize_iban,
    reference_body,
)
from dunning_core.errors import InvalidCreditorReference, InvalidIban

NUMBERS = st.text(alphabet="ABCDEFGHJKXYZabc0123456789-/. ", min_size=1, max_size=30).filter(
    lambda n: 0 < len(invoice_reference_key(n)) <= 21
)


@given(NUMBERS)
def test_every_reference_made_from_an_invoice_number_is_valid_and_gives_its_key_back(
    number: str,
) -> None:
    reference = creditor_reference(number)
    assert iso11649.is_valid(reference)  # checked by stdnum itself
    assert reference_body(reference) == invoice_reference_key(number)
    # Printed in groups of four (a word right after a last group of four could be read
    # as part of it; a punctuation mark ends it), and in electronic form.
    printed = format_creditor_reference(reference)
    assert find_creditor_references(f"paid {printed}; thx") == (reference,)
    assert find_creditor_references(f"ref:{reference} thx") == (reference,)


def test_an_invoice_gives_the_reference_of_its_number() -> None:
    invoice = Invoice(
        number="F-2026-0201",
        account_id="A",
        issued_on=date(2026, 1, 1),
        due_on=date(2026, 2, 1),
        amount=Money("1", "EUR"),
    )
    assert creditor_reference(invoice) == creditor_reference("F-2026-0201")
    assert creditor_reference(invoice).endswith("F20260201")


@pytest.mark.parametrize("number", ["---", "X" * 22])
def test_numbers_an_rf_reference_cannot_carry(number: str) -> None:
    with pytest.raises(InvalidCreditorReference):
        creditor_reference(number)


def test_a_mistyped_reference_is_refused_and_not_found_in_text() -> None:
    good = creditor_reference("F-2026-0201")
    bad = good[:2] + ("00" if good[2:4] != "00" else "01") + good[4:]
    with pytest.raises(InvalidCreditorReference):
        reference_body(bad)
    assert find_creditor_references(f"ref {bad}") == ()


def test_ibans() -> None:
    assert normalize_iban("fr76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    with pytest.raises(InvalidIban) as caught:
        normalize_iban("FR7630006000011234567890188", "payer")
    assert caught.value.field == "payer"
