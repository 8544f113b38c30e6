"""Contract of :class:`~dunning_core.ports.LedgerStore`."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.invoice import CreditNote
from dunning_core.domain.payment import (
    Allocation,
    AllocationKind,
    Payment,
    PaymentStatus,
    Refund,
)
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.errors import ConstraintViolation, DuplicatePayment, UnknownRecord
from dunning_core.money import MAX_MINOR_UNITS, Money
from dunning_core.ports import AccountLedger, UowFactory
from dunning_core.testing.contracts._base import (
    AWKWARD_IDENTIFIER,
    AWKWARD_TEXT,
    D0,
    EXACT_AMOUNTS,
    StoreContractBase,
    fixture_ok,
    make_account,
    make_invoice,
    seed_accounts,
)


def _payment(payment_id: str, account_id: str | None, amount: Money, **changes: Any) -> Payment:
    payment = Payment(
        id=payment_id,
        account_id=account_id,
        amount=amount,
        received_on=D0,
        method="DIRECT_DEBIT",
        bank_reference=AWKWARD_TEXT,
        payer_name='ACME "SARL"',
    )
    return attrs.evolve(payment, **changes) if changes else payment


class LedgerStoreContract(StoreContractBase):
    """Ledger records round-trip exactly; payments are stored once; batch loads gather
    every allocation that touches an account."""

    @fixture_ok
    @given(
        currency=st.sampled_from(["JPY", "EUR", "BHD"]),
        units=st.integers(1, 10**15),
    )
    def test_amounts_round_trip_exactly(
        self, uow_factory: UowFactory, currency: str, units: int
    ) -> None:
        account_id = self.unique("A")
        amount = Money.from_minor(units, currency)
        invoice = make_invoice(self.unique("I"), account_id, amount)
        note = CreditNote(
            number=self.unique("CN"), account_id=account_id, issued_on=D0, amount=amount
        )
        payment = _payment(self.unique("P"), account_id, amount)
        with uow_factory() as uow:
            uow.accounts.add(make_account(account_id, currency))
            uow.ledger.add_invoices([invoice])
            uow.ledger.add_credit_notes([note])
            assert uow.ledger.add_payment(payment)
            uow.ledger.add_allocations(
                [
                    Allocation(
                        invoice_number=invoice.number,
                        amount=amount,
                        kind="CASH",
                        source_id=payment.id,
                    )
                ]
            )
            uow.commit()
        with uow_factory() as uow:
            ledger = uow.ledger.load([account_id])[account_id]
        assert ledger.invoices == (invoice,)
        assert ledger.credit_notes == (note,)
        assert ledger.payments == (payment,)
        assert [a.amount for a in ledger.allocations] == [amount]
        assert str(ledger.invoices[0].amount.amount) == str(amount.amount)  # same exponent

    @pytest.mark.parametrize("amount", EXACT_AMOUNTS, ids=lambda m: m.currency)
    def test_records_round_trip_with_awkward_text(
        self, uow_factory: UowFactory, amount: Money
    ) -> None:
        seed_accounts(uow_factory, make_account("A-1", amount.currency))
        invoice = attrs.evolve(
            make_invoice("I-1", "A-1", amount), purchase_order=AWKWARD_IDENTIFIER
        )
        note = CreditNote(
            number="CN-1",
            account_id="A-1",
            issued_on=D0,
            amount=amount,
            credits_invoice="I-1",
            reason=AWKWARD_TEXT,
        )
        with uow_factory() as uow:
            uow.ledger.add_invoices([invoice])
            uow.ledger.add_credit_notes([note])
            uow.ledger.add_payment(_payment("P-1", "A-1", amount))
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.get_invoices(["I-1", "I-404"]) == {"I-1": invoice}
            assert uow.ledger.get_payment("P-1") == _payment("P-1", "A-1", amount)
            assert uow.ledger.load(["A-1"])["A-1"].credit_notes == (note,)

    def test_records_of_unknown_accounts_are_refused(self, uow_factory: UowFactory) -> None:
        amount = EXACT_AMOUNTS[1]
        with pytest.raises(ConstraintViolation), uow_factory() as uow:
            uow.ledger.add_invoices([make_invoice("I-1", "A-404", amount)])
        with pytest.raises(ConstraintViolation), uow_factory() as uow:
            uow.ledger.add_payment(_payment("P-1", "A-404", amount))

    def test_invoices_are_replaced_by_number(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"), make_account("A-2"))
        first = make_invoice("I-1", "A-1", Money("10.00", "EUR"))
        second = make_invoice("I-1", "A-2", Money("12.00", "EUR"), due_on=date(2026, 4, 1))
        with uow_factory() as uow:
            uow.ledger.add_invoices([first])
            uow.commit()
        with uow_factory() as uow:
            uow.ledger.add_invoices([second])
            uow.commit()
        with uow_factory() as uow:
            ledgers = uow.ledger.load(["A-1", "A-2"])
        assert ledgers["A-1"].invoices == ()
        assert ledgers["A-2"].invoices == (second,)

    def test_a_replayed_payment_is_a_no_op_and_a_conflicting_one_an_error(
        self, uow_factory: UowFactory
    ) -> None:
        # A replay (the same payment again: a bank file imported twice) returns False;
        # the same id with another amount or account is a different payment under a
        # taken id, refused with DuplicatePayment. Neither changes what is on file.
        seed_accounts(uow_factory, make_account("A-1"), make_account("A-2"))
        original = _payment("P-1", "A-1", Money("10.00", "EUR"))
        with uow_factory() as uow:
            assert uow.ledger.add_payment(original) is True
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.add_payment(original) is False
            assert uow.ledger.add_payment(attrs.evolve(original, bank_reference="again")) is False
            uow.commit()
        for conflicting in (
            attrs.evolve(original, amount=Money("99.00", "EUR")),
            attrs.evolve(original, amount=Money("10.00", "USD")),
            attrs.evolve(original, account_id="A-2"),
        ):
            with uow_factory() as uow, pytest.raises(DuplicatePayment) as raised:
                uow.ledger.add_payment(conflicting)
            assert raised.value.payment_id == "P-1"
        with uow_factory() as uow:
            assert uow.ledger.get_payment("P-1") == original

    @pytest.mark.parametrize("currency", ["JPY", "EUR", "BHD", "CLF"])
    def test_the_largest_amounts_round_trip_exactly(
        self, uow_factory: UowFactory, currency: str
    ) -> None:
        # Money refuses more than MAX_MINOR_UNITS, so every store must hold that much
        # (SQLite's INTEGER and PostgreSQL's BIGINT do, with room to spare).
        largest = Money.from_minor(MAX_MINOR_UNITS, currency)
        account_id = self.unique("A")
        seed_accounts(uow_factory, make_account(account_id, currency=currency))
        invoice = make_invoice(self.unique("I"), account_id, largest)
        payment = _payment(self.unique("P"), account_id, largest)
        with uow_factory() as uow:
            uow.ledger.add_invoices([invoice])
            uow.ledger.add_payment(payment)
            uow.ledger.add_allocations(
                [
                    Allocation(
                        invoice_number=invoice.number,
                        amount=largest,
                        kind=AllocationKind.CASH,
                        source_id=payment.id,
                    )
                ]
            )
            uow.commit()
        with uow_factory() as uow:
            ledger = uow.ledger.load([account_id])[account_id]
        assert ledger.invoices == (invoice,)
        assert ledger.payments == (payment,)
        assert ledger.allocations[0].amount.minor_units == MAX_MINOR_UNITS

    def test_payment_status_changes(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            uow.ledger.add_payment(_payment("P-1", "A-1", Money("10.00", "EUR")))
            updated = uow.ledger.set_payment_status("P-1", PaymentStatus.CHARGED_BACK)
            uow.commit()
        assert updated.status is PaymentStatus.CHARGED_BACK
        with uow_factory() as uow:
            assert uow.ledger.get_payment("P-1") == updated
            with pytest.raises(UnknownRecord):
                uow.ledger.set_payment_status("P-404", PaymentStatus.FAILED)

    @pytest.mark.parametrize("amount", EXACT_AMOUNTS, ids=lambda m: m.currency)
    def test_charges_are_booked_once_and_round_trip(
        self, uow_factory: UowFactory, amount: Money
    ) -> None:
        seed_accounts(uow_factory, make_account("A-1", currency=amount.currency))
        fee = Charge(
            key="fee/A-1/second_notice/F-1",
            account_id="A-1",
            kind=ChargeKind.STAGE_FEE,
            amount=amount,
            booked_on=D0,
            invoice_number="F-1",
            stage="second_notice",
            detail=AWKWARD_TEXT,
        )
        interest = attrs.evolve(
            fee, key="interest/F-1", kind=ChargeKind.LATE_INTEREST, stage=None, detail=""
        )
        with uow_factory() as uow:
            assert uow.ledger.add_charges([fee, interest]) == 2
            assert uow.ledger.add_charges([attrs.evolve(fee, detail="again")]) == 0
            uow.commit()
        with uow_factory() as uow:
            ledger = uow.ledger.load(["A-1"])["A-1"]
            assert sorted(ledger.charges, key=lambda c: c.key) == sorted(
                [fee, interest], key=lambda c: c.key
            )
            with pytest.raises(ConstraintViolation):
                uow.ledger.add_charges([attrs.evolve(fee, key="x", account_id="A-404")])

    @pytest.mark.parametrize("amount", EXACT_AMOUNTS, ids=lambda m: m.currency)
    def test_refunds_are_stored_once_and_round_trip(
        self, uow_factory: UowFactory, amount: Money
    ) -> None:
        seed_accounts(uow_factory, make_account("A-1", currency=amount.currency))
        refund = Refund(
            id="R-1", account_id="A-1", amount=amount, refunded_on=D0, reference=AWKWARD_TEXT
        )
        with uow_factory() as uow:
            assert uow.ledger.add_refund(refund) is True
            assert uow.ledger.add_refund(attrs.evolve(refund, reference="again")) is False
            with pytest.raises(ConstraintViolation):
                uow.ledger.add_refund(attrs.evolve(refund, id="R-2", account_id="A-404"))
        with uow_factory() as uow:
            assert uow.ledger.get_refund("R-1") is None  # nothing was committed
            uow.ledger.add_refund(refund)
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.get_refund("R-1") == refund
            assert uow.ledger.load(["A-1"])["A-1"].refunds == (refund,)

    def test_a_payment_in_suspense_is_identified_once(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            uow.ledger.add_payment(_payment("P-9", None, Money("5.00", "EUR")))
            identified = uow.ledger.identify_payment("P-9", "A-1")
            uow.commit()
        assert identified.account_id == "A-1"
        with uow_factory() as uow:
            assert uow.ledger.get_payment("P-9") == identified
            assert uow.ledger.unidentified_payments() == []
            with pytest.raises(ConstraintViolation):
                uow.ledger.identify_payment("P-9", "A-1")
            with pytest.raises(UnknownRecord):
                uow.ledger.identify_payment("P-404", "A-1")
        with uow_factory() as uow:
            uow.ledger.add_payment(_payment("P-8", None, Money("5.00", "EUR")))
            with pytest.raises(ConstraintViolation):
                uow.ledger.identify_payment("P-8", "A-404")

    def test_unidentified_payments_wait_in_suspense(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            for payment_id in ("P-3", "P-1", "P-2"):
                uow.ledger.add_payment(_payment(payment_id, None, Money("5.00", "EUR")))
            uow.ledger.add_payment(_payment("P-0", "A-1", Money("5.00", "EUR")))
            uow.commit()
        with uow_factory() as uow:
            found = uow.ledger.unidentified_payments(limit=2)
            assert [p.id for p in found] == ["P-1", "P-2"]
            assert found[0].account_id is None

    def test_an_allocation_needs_a_known_invoice(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        allocation = Allocation(
            invoice_number="I-404", amount=Money("1.00", "EUR"), kind="CASH", source_id="P-1"
        )
        with pytest.raises(ConstraintViolation), uow_factory() as uow:
            uow.ledger.add_allocations([allocation])

    def test_load_gathers_allocations_from_both_sides(self, uow_factory: UowFactory) -> None:
        # Central billing: B pays A's invoice; C is unrelated and must see nothing.
        seed_accounts(uow_factory, *(make_account(i) for i in ("A", "B", "C")))
        eur = Money("50.00", "EUR")
        allocations = [
            Allocation(
                invoice_number="I-A", amount=Money("20.00", "EUR"), kind="CASH", source_id="P-B"
            ),
            Allocation(
                invoice_number="I-B", amount=Money("30.00", "EUR"), kind="CASH", source_id="P-B"
            ),
            Allocation(
                invoice_number="I-A",
                amount=Money("5.00", "EUR"),
                kind=AllocationKind.WITHHOLDING,
                source_id="P-A",
                reference=AWKWARD_TEXT,
            ),
            Allocation(
                invoice_number="I-C",
                amount=Money("1.00", "EUR"),
                kind="CREDIT_NOTE",
                source_id="CN-C",
            ),
        ]
        with uow_factory() as uow:
            uow.ledger.add_invoices([make_invoice(f"I-{i}", i, eur) for i in "ABC"])
            uow.ledger.add_payment(_payment("P-A", "A", eur))
            uow.ledger.add_payment(_payment("P-B", "B", eur))
            uow.ledger.add_credit_notes(
                [CreditNote(number="CN-C", account_id="C", issued_on=D0, amount=eur)]
            )
            uow.ledger.add_allocations(allocations)
            uow.commit()
        with uow_factory() as uow:
            ledgers = uow.ledger.load(["A", "B", "C", "Z"])
        assert ledgers["A"].allocations == (allocations[0], allocations[2])
        assert ledgers["B"].allocations == (allocations[0], allocations[1])
        assert ledgers["C"].allocations == (allocations[3],)
        assert ledgers["Z"] == AccountLedger(account_id="Z")
        assert list(ledgers) == ["A", "B", "C", "Z"]

    def test_allocations_of_a_source_can_be_reversed(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A"))
        eur = Money("50.00", "EUR")
        first = Allocation(
            invoice_number="I-1", amount=Money("10.00", "EUR"), kind="CASH", source_id="P-1"
        )
        second = Allocation(
            invoice_number="I-2", amount=Money("15.00", "EUR"), kind="CASH", source_id="P-1"
        )
        other = Allocation(
            invoice_number="I-1", amount=Money("1.00", "EUR"), kind="CASH", source_id="P-2"
        )
        with uow_factory() as uow:
            uow.ledger.add_invoices([make_invoice("I-1", "A", eur), make_invoice("I-2", "A", eur)])
            uow.ledger.add_allocations([first, other, second])
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.allocations_of_source("P-1") == (first, second)
            assert uow.ledger.remove_allocations_of_source("P-1") == (first, second)
            assert uow.ledger.allocations_of_source("P-1") == ()
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.load(["A"])["A"].allocations == (other,)

    @pytest.mark.parametrize("currency", ["JPY", "EUR", "BHD"])
    def test_remittance_advice_round_trip(self, uow_factory: UowFactory, currency: str) -> None:
        seed_accounts(uow_factory, make_account("A-1", currency))
        advice = RemittanceAdvice(
            payment_id="P-1",
            reference=AWKWARD_TEXT,
            lines=[
                RemittanceLine(
                    invoice_number="I-2",
                    amount_paid=Money.from_minor(90_001, currency),
                    tax_withheld=Money.from_minor(9_999, currency),
                    certificate="CERT 2026/01",
                ),
                RemittanceLine(
                    invoice_number="I-1",
                    amount_paid=Money.from_minor(0, currency),
                    discount_taken=Money.from_minor(7, currency),
                    reason=AWKWARD_TEXT,
                ),
            ],
        )
        with uow_factory() as uow:
            uow.ledger.add_payment(_payment("P-1", "A-1", Money.from_minor(90_001, currency)))
            uow.ledger.add_advice(advice)
            uow.commit()
        with uow_factory() as uow:
            assert uow.ledger.advice_for("P-1") == advice
            assert uow.ledger.advice_for("P-404") is None
            shorter = RemittanceAdvice(payment_id="P-1", lines=advice.lines[:1])
            uow.ledger.add_advice(shorter)
            assert uow.ledger.advice_for("P-1") == shorter

    def test_an_advice_needs_a_known_payment(self, uow_factory: UowFactory) -> None:
        advice = RemittanceAdvice(
            payment_id="P-404",
            lines=[RemittanceLine(invoice_number="I-1", amount_paid=Money("1.00", "EUR"))],
        )
        with pytest.raises(ConstraintViolation), uow_factory() as uow:
            uow.ledger.add_advice(advice)
