"""Validation of the domain objects: each bad input raises a named DunningError subclass
whose message names the field and the value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from dunning_core import (
    Account,
    AccountFacts,
    Allocation,
    AllocationKind,
    Channel,
    Contact,
    CreditNote,
    CurrencyMismatch,
    Dispute,
    DunningError,
    Hold,
    InsolvencyProceeding,
    InvalidAmount,
    InvalidContact,
    InvalidDateRange,
    InvalidField,
    InvalidLocale,
    InvalidRemittance,
    InvalidTimezone,
    Invoice,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentTerms,
    PostalAddress,
    PromiseToPay,
    ProofKind,
    ProofOfPayment,
    RemittanceAdvice,
    RemittanceLine,
    Segment,
    UnknownCurrency,
)
from dunning_core.domain.state import CreditAlertState, SuspensionState

EUR = "EUR"
D1, D2 = date(2026, 3, 1), date(2026, 3, 31)


def eur(amount: str) -> Money:
    return Money(amount, EUR)


def invoice(**changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "number": "F-1",
        "account_id": "A-1",
        "issued_on": D1,
        "due_on": D2,
        "amount": eur("100"),
    }
    fields.update(changes)
    return Invoice(**fields)


# --- Account --------------------------------------------------------------------------


def test_account_defaults_and_derived_views() -> None:
    account = Account(id="A-1", name="ACME", currency="EUR")
    assert account.segment == Segment.SMALL
    assert account.timezone == "UTC"
    assert account.terms == PaymentTerms.net(30)
    assert not account.dunning_paused
    assert Account(id="A-2", name="B", currency="EUR", tags=["no-dunning"]).dunning_paused


def test_account_accepts_a_user_defined_segment_key() -> None:
    account = Account(id="A-1", name="ACME", currency="EUR", segment="PUBLIC_SECTOR")
    assert account.segment == Segment("PUBLIC_SECTOR")
    assert str(account.segment) == "PUBLIC_SECTOR"


@pytest.mark.parametrize(
    ("changes", "error", "field", "value"),
    [
        ({"currency": "XAU"}, UnknownCurrency, "Money.currency", "XAU"),
        ({"timezone": "Mars/Olympus"}, InvalidTimezone, "Account.timezone", "Mars/Olympus"),
        ({"timezone": ""}, InvalidTimezone, "Account.timezone", ""),
        ({"locale": "xx_QQ"}, InvalidLocale, "Account.locale", "xx_QQ"),
        ({"id": "  "}, InvalidField, "Account.id", "  "),
        ({"credit_limit": Money("0", "EUR")}, InvalidAmount, "Account.credit_limit", None),
    ],
)
def test_account_rejects_bad_input_naming_field_and_value(
    changes: dict[str, Any], error: type[InvalidField], field: str, value: object
) -> None:
    fields: dict[str, Any] = {"id": "A-1", "name": "ACME", "currency": "EUR"}
    fields.update(changes)
    with pytest.raises(error) as raised:
        Account(**fields)
    assert raised.value.field == field
    if value is not None:
        assert raised.value.value == value
        assert repr(value) in str(raised.value)


def test_account_credit_limit_must_be_in_the_account_currency() -> None:
    with pytest.raises(CurrencyMismatch, match="Account.credit_limit"):
        Account(id="A-1", name="ACME", currency="EUR", credit_limit=Money("10", "USD"))


def test_contacts_validate_email_and_mobile() -> None:
    with pytest.raises(InvalidContact) as raised:
        Contact(email="not-an-email")
    assert raised.value.field == "Contact.email"
    with pytest.raises(InvalidContact, match="too short"):
        Contact(mobile="0612", country="FR")
    with pytest.raises(InvalidContact, match="Contact.channels"):
        Contact(email="a@b.fr", channels=["PIGEON"])


def test_contact_accepts_channels_it_has_details_for() -> None:
    contact = Contact(email="a@b.fr", mobile="+33612345678")
    assert contact.accepts(Channel.EMAIL) and contact.accepts(Channel.SMS)
    assert not contact.accepts(Channel.LETTER)
    restricted = attrs.evolve(contact, channels=[Channel.EMAIL])
    assert not restricted.accepts(Channel.SMS)
    account = Account(id="A-1", name="X", currency="EUR", contacts=[contact, Contact(name="n")])
    assert account.contacts_for(Channel.SMS) == (contact,)


def test_postal_address_completeness_lists_what_is_missing() -> None:
    complete = PostalAddress(
        recipient="ACME", lines=["1 rue X"], postal_code="98800", city="Nouméa", country="NC"
    )
    assert complete.is_complete
    partial = PostalAddress(recipient="ACME", lines=["1 rue X"], country="FR")
    assert partial.missing_fields() == ("postal_code", "city")
    assert not partial.is_complete
    # Some countries have no postal codes at all.
    assert PostalAddress(recipient="A", lines=["x"], city="Dublin", country="IE").is_complete
    with pytest.raises(InvalidField, match="PostalAddress.country"):
        PostalAddress(country="France")


# --- Invoice and credit note -----------------------------------------------------------


def test_invoice_due_before_issue_is_rejected() -> None:
    with pytest.raises(InvalidDateRange) as raised:
        invoice(issued_on=D2, due_on=D1)
    assert raised.value.field == "Invoice.due_on"
    assert raised.value.value == D1
    assert "Invoice.issued_on" in str(raised.value)


@pytest.mark.parametrize("amount", [eur("0"), eur("-5")])
def test_invoice_amount_must_be_positive(amount: Money) -> None:
    with pytest.raises(InvalidAmount, match=r"Invoice.amount"):
        invoice(amount=amount)


def test_invoice_rejects_datetimes_and_empty_numbers() -> None:
    with pytest.raises(InvalidField, match="Invoice.issued_on"):
        invoice(issued_on=datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(InvalidField, match="Invoice.number"):
        invoice(number="")


def test_invoice_from_row_parses_strings_and_reports_missing_keys() -> None:
    row = {
        "number": "F-9",
        "account_id": "A-1",
        "issued_on": "2026-03-01",
        "due_on": "2026-03-31",
        "amount": "12.50",
        "currency": "EUR",
        "purchase_order": "",
    }
    parsed = Invoice.from_row(row)
    assert parsed.amount == eur("12.50")
    assert parsed.purchase_order is None
    assert parsed.sort_key == (D2, D1, "F-9")
    with pytest.raises(InvalidField, match="Invoice.currency"):
        Invoice.from_row({k: v for k, v in row.items() if k != "currency"})
    with pytest.raises(InvalidField, match="Invoice.due_on='31/03/2026'"):
        Invoice.from_row({**row, "due_on": "31/03/2026"})


def test_credit_note_amount_must_be_positive() -> None:
    with pytest.raises(InvalidAmount, match="CreditNote.amount"):
        CreditNote(number="C-1", account_id="A-1", issued_on=D1, amount=eur("0"))


# --- Payments, proofs, allocations -----------------------------------------------------


def test_payment_defaults_and_enum_conversion() -> None:
    payment = Payment(
        id="P-1", account_id=None, amount=eur("5"), received_on=D1, method="DIRECT_DEBIT"
    )
    assert payment.method is PaymentMethod.DIRECT_DEBIT
    assert payment.status is PaymentStatus.CLEARED
    assert not payment.is_identified
    with pytest.raises(InvalidField, match=r"Payment.status='LOST': must be one of PENDING"):
        Payment(id="P-1", account_id="A", amount=eur("5"), received_on=D1, status="LOST")


def test_proof_of_payment_completeness_per_kind() -> None:
    transfer = ProofOfPayment(kind=ProofKind.TRANSFER, payer_name="ACME", amount=eur("10"))
    assert transfer.missing_fields() == ("payer_account", "payee_name", "payee_account", "paid_on")
    check = ProofOfPayment(
        kind="CHECK",
        payee_name="Seller",
        payer_name="ACME",
        paid_on=D1,
        amount=eur("10"),
        check_number="123",
        tracking_number="TRK-1",
    )
    assert check.is_complete


def test_allocation_kind_says_what_consumes_cash() -> None:
    assert AllocationKind.CASH.consumes_payment and AllocationKind.CREDIT.consumes_payment
    assert not AllocationKind.WITHHOLDING.consumes_payment
    with pytest.raises(InvalidAmount, match="Allocation.amount"):
        Allocation(invoice_number="F-1", amount=eur("0"), kind="CASH", source_id="P-1")


# --- Remittance -------------------------------------------------------------------------


def test_remittance_line_defaults_and_totals() -> None:
    line = RemittanceLine(invoice_number="F-1", amount_paid=eur("95"), tax_withheld=eur("5"))
    assert line.discount_taken == eur("0")
    assert line.settles == eur("100")


def test_remittance_line_rejects_negative_amounts_and_empty_lines() -> None:
    with pytest.raises(InvalidAmount) as raised:
        RemittanceLine(invoice_number="F-1", amount_paid=eur("-1"))
    assert raised.value.field == "RemittanceLine.amount_paid"
    with pytest.raises(InvalidAmount, match="settles nothing"):
        RemittanceLine(invoice_number="F-1", amount_paid=eur("0"))
    with pytest.raises(CurrencyMismatch, match="tax_withheld"):
        RemittanceLine(invoice_number="F-1", amount_paid=eur("1"), tax_withheld=Money(1, "USD"))


def test_advice_rejects_duplicates_and_mixed_currencies() -> None:
    line = RemittanceLine(invoice_number="F-1", amount_paid=eur("1"))
    with pytest.raises(InvalidRemittance, match="named twice"):
        RemittanceAdvice(payment_id="P-1", lines=[line, line])
    with pytest.raises(InvalidRemittance, match="needs a line"):
        RemittanceAdvice(payment_id="P-1", lines=[])
    usd = RemittanceLine(invoice_number="F-2", amount_paid=Money("1", "USD"))
    with pytest.raises(CurrencyMismatch):
        RemittanceAdvice(payment_id="P-1", lines=[line, usd])


def test_advice_whose_currency_differs_from_its_payment_is_rejected() -> None:
    advice = RemittanceAdvice(
        payment_id="P-1", lines=[RemittanceLine(invoice_number="F-1", amount_paid=eur("1"))]
    )
    usd_payment = Payment(id="P-1", account_id="A", amount=Money("1", "USD"), received_on=D1)
    with pytest.raises(CurrencyMismatch, match="RemittanceAdvice"):
        advice.check_payment(usd_payment)
    other = Payment(id="P-2", account_id="A", amount=eur("1"), received_on=D1)
    with pytest.raises(InvalidRemittance, match="RemittanceAdvice.payment_id='P-1'"):
        advice.check_payment(other)
    assert advice.cash_total == eur("1")


# --- Events and facts --------------------------------------------------------------------


def test_event_dates_must_be_ordered() -> None:
    with pytest.raises(InvalidDateRange, match="PromiseToPay.due_on"):
        PromiseToPay(id="p", account_id="A", made_on=D2, due_on=D1, amount=eur("1"))
    with pytest.raises(InvalidDateRange, match="Dispute.resolved_on"):
        Dispute(id="d", account_id="A", invoice_number="F", opened_on=D2, resolved_on=D1)
    with pytest.raises(InvalidDateRange, match="InsolvencyProceeding.ruled_on"):
        InsolvencyProceeding(id="i", account_id="A", kind="RECEIVERSHIP", opened_on=D2, ruled_on=D1)
    with pytest.raises(InvalidField, match="InsolvencyProceeding.kind='PICNIC'"):
        InsolvencyProceeding(id="i", account_id="A", kind="PICNIC", opened_on=D1)


def test_facts_answer_what_is_open_on_a_day() -> None:
    facts = AccountFacts(
        account_id="A",
        disputes=[
            Dispute(id="d1", account_id="A", invoice_number="F-1", opened_on=D1),
            Dispute(id="d2", account_id="A", invoice_number="F-2", opened_on=D1, resolved_on=D2),
        ],
        holds=[
            Hold(id="h1", account_id="A", reason="audit", starts_on=D1, ends_on=D2),
            Hold(id="h2", account_id="A", reason="x", starts_on=D1, invoice_number="F-3"),
        ],
        proceedings=[
            InsolvencyProceeding(id="i", account_id="A", kind="RECEIVERSHIP", opened_on=D1)
        ],
    )
    assert facts.disputed_invoices(D2) == {"F-1"}
    assert facts.disputed_invoices(date(2026, 3, 15)) == {"F-1", "F-2"}
    assert facts.held_invoices(D2) == {"F-3"}
    assert [h.id for h in facts.account_holds(D2)] == ["h1"]
    assert facts.account_holds(date(2026, 4, 1)) == ()
    assert len(facts.open_proceedings(D1)) == 1
    assert facts.open_proceedings(date(2026, 2, 1)) == ()


def test_facts_refuse_another_accounts_records() -> None:
    with pytest.raises(InvalidField, match="AccountFacts.disputes"):
        AccountFacts(
            account_id="A",
            disputes=[Dispute(id="d", account_id="B", invoice_number="F", opened_on=D1)],
        )


def test_state_values_normalise_their_fields() -> None:
    state = SuspensionState(account_id="A", suspended=True, reason_codes=["b", "a"])
    assert state.reason_codes == ("a", "b")
    assert CreditAlertState(account_id="A", fired=[70, 85]).fired == frozenset({70, 85})


def test_every_error_is_a_dunning_error_and_a_builtin() -> None:
    with pytest.raises(DunningError):
        invoice(amount=eur("0"))
    with pytest.raises(ValueError, match="Invoice.amount"):
        invoice(amount=eur("0"))


def test_domain_objects_are_immutable() -> None:
    inv = invoice()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        inv.amount = eur("1")  # type: ignore[misc]
    assert attrs.evolve(inv, amount=eur("1")).amount == eur("1")
    with pytest.raises(InvalidAmount):
        attrs.evolve(inv, amount=eur("0"))
