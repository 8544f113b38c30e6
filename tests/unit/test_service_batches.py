"""The batch forms of the account and payment services (record_accounts, record_invoices,
record_credit_notes, record_payments): the same as the single services one after the
other, in one unit of work, so a refused record leaves the store as it was."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from dunning_core import (
    Account,
    AccountMismatch,
    CreditNote,
    DuplicatePayment,
    InvalidField,
    Invoice,
    Money,
    Payment,
    PaymentStatus,
    RemittanceAdvice,
    RemittanceLine,
    UnknownRecord,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountChanged, AccountSuspended, InvoiceRecorded
from dunning_core.service.accounts import record_account, record_accounts
from dunning_core.service.cycle import run_cycle
from dunning_core.service.invoices import (
    record_credit_note,
    record_credit_notes,
    record_invoice,
    record_invoices,
)
from dunning_core.service.payments import record_advices, record_payment, record_payments
from dunning_core.service.settings import CycleConfig

Store = MemoryStore | SqliteStore
SETUP = date(2026, 1, 1)
IDS = ("A-1", "A-2")

ACCOUNTS = [
    Account(id="A-1", name="ACME", currency="EUR"),
    Account(id="A-2", name="Bolt", currency="EUR", segment="LARGE"),
]
INVOICES = [
    Invoice(
        number=f"F-{n}",
        account_id=IDS[n % 2],
        issued_on=date(2026, 1, 2 + n),
        due_on=date(2026, 2, 1 + n),
        amount=Money(f"{100 + n}.00", "EUR"),
    )
    for n in range(6)
]
NOTES = [
    CreditNote(
        number="CN-1",
        account_id="A-1",
        issued_on=date(2026, 1, 20),
        amount=Money("30.00", "EUR"),
        credits_invoice="F-2",
    ),
    CreditNote(
        number="CN-2",
        account_id="A-2",
        issued_on=date(2026, 1, 21),
        amount=Money("150.00", "EUR"),
    ),
]
PAYMENTS = [
    Payment(
        id="P-1",
        account_id="A-1",
        amount=Money("100.00", "EUR"),
        received_on=date(2026, 2, 3),
    ),
    Payment(  # no account: identified from the reference
        id="P-2",
        account_id=None,
        amount=Money("50.00", "EUR"),
        received_on=date(2026, 2, 4),
        bank_reference="VIR F-3",
    ),
    Payment(
        id="P-3",
        account_id="A-1",
        amount=Money("104.00", "EUR"),
        received_on=date(2026, 3, 20),
    ),
]
ADVICES = {
    "P-1": RemittanceAdvice(
        payment_id="P-1",
        lines=[RemittanceLine(invoice_number="F-4", amount_paid=Money("100.00", "EUR"))],
    )
}


def snapshot(store: Store) -> dict[str, object]:
    """Everything the services write for the two accounts."""
    with store.unit_of_work() as uow:
        return {
            "accounts": uow.accounts.get_many(IDS),
            "ledger": uow.ledger.load(IDS),
            "facts": uow.facts.load(IDS),
            "states": uow.history.suspension_states(IDS),
            "events": uow.history.events_of(IDS),
            "messages": uow.outbox.messages_of(IDS),
            "suspense": uow.ledger.get_payment("P-2"),
        }


def one_by_one(store: Store) -> None:
    for account in ACCOUNTS:
        record_account(store.unit_of_work(), account, as_of=SETUP)
    for invoice in INVOICES:
        record_invoice(store.unit_of_work(), invoice)
    for note in NOTES:
        record_credit_note(store.unit_of_work(), note)
    for payment in PAYMENTS:
        record_payment(store.unit_of_work(), payment, ADVICES.get(payment.id))


def in_batches(store: Store) -> None:
    record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP)
    record_invoices(store.unit_of_work(), INVOICES)
    record_credit_notes(store.unit_of_work(), NOTES)
    record_payments(store.unit_of_work(), PAYMENTS, ADVICES)


def test_a_batch_writes_what_the_single_services_write_one_after_the_other(store: Store) -> None:
    reference = MemoryStore()
    one_by_one(reference)
    in_batches(store)
    expected, got = snapshot(reference), snapshot(store)
    assert got == expected
    # The data exercised what matters: a note applied, a payment identified, events.
    ledger = got["ledger"]
    assert isinstance(ledger, dict)
    assert {a.source_id for a in ledger["A-1"].allocations} >= {"CN-1", "P-1", "P-3"}
    assert any(a.source_id == "P-2" for a in ledger["A-2"].allocations)


def test_the_outcomes_say_what_each_record_did(store: Store) -> None:
    created = record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP)
    assert [type(o.events[0]) for o in created] == [AccountChanged, AccountChanged]
    again = record_accounts(
        store.unit_of_work(), [ACCOUNTS[0], attrs.evolve(ACCOUNTS[1], name="Bolt SA")], as_of=SETUP
    )
    assert [o.repeated for o in again] == [True, False]
    changed = again[1].events[0]
    assert isinstance(changed, AccountChanged) and changed.fields == ("name",)
    recorded = record_invoices(store.unit_of_work(), INVOICES)
    assert all(isinstance(o.events[0], InvoiceRecorded) for o in recorded)
    late = record_invoices(  # a correction recorded long after the due date suspends
        store.unit_of_work(),
        [attrs.evolve(INVOICES[0], amount=Money("99.00", "EUR"))],
        as_of=date(2026, 3, 15),
    )
    first = late[0].events[0]
    assert isinstance(first, InvoiceRecorded) and first.replaced
    assert isinstance(late[0].suspension_event, AccountSuspended)
    notes = record_credit_notes(store.unit_of_work(), NOTES)
    assert [(a.invoice_number, str(a.amount)) for a in notes[0].allocations] == [
        ("F-2", "30.00 EUR")
    ]


def test_recording_a_batch_again_writes_nothing(store: Store) -> None:
    in_batches(store)
    before = snapshot(store)
    assert all(o.repeated for o in record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP))
    assert all(o.repeated for o in record_invoices(store.unit_of_work(), INVOICES))
    assert all(o.repeated for o in record_credit_notes(store.unit_of_work(), NOTES))
    assert all(o.repeated for o in record_payments(store.unit_of_work(), PAYMENTS, ADVICES))
    assert snapshot(store) == before


def test_one_refused_invoice_leaves_the_whole_batch_out(store: Store) -> None:
    record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP)
    before = snapshot(store)
    stranger = attrs.evolve(INVOICES[0], number="F-X", account_id="A-9")
    with pytest.raises(UnknownRecord, match="A-9"):
        record_invoices(store.unit_of_work(), [*INVOICES, stranger])
    assert snapshot(store) == before
    record_invoices(store.unit_of_work(), INVOICES)
    moved = attrs.evolve(INVOICES[1], account_id="A-1")  # F-1 belongs to A-2
    with pytest.raises(AccountMismatch):
        record_invoices(store.unit_of_work(), [attrs.evolve(INVOICES[0], number="F-9"), moved])
    assert "F-9" not in {i.number for i in snapshot_invoices(store)}


def snapshot_invoices(store: Store) -> list[Invoice]:
    with store.unit_of_work() as uow:
        return [i for ledger in uow.ledger.load(IDS).values() for i in ledger.invoices]


def test_one_refused_credit_note_or_payment_leaves_the_whole_batch_out(store: Store) -> None:
    record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP)
    record_invoices(store.unit_of_work(), INVOICES)
    before = snapshot(store)
    wrong = attrs.evolve(NOTES[0], number="CN-9", credits_invoice="F-1")  # A-2's invoice
    with pytest.raises(AccountMismatch):
        record_credit_notes(store.unit_of_work(), [NOTES[1], wrong])
    assert snapshot(store) == before
    record_payments(store.unit_of_work(), PAYMENTS[:1], ADVICES)
    before = snapshot(store)
    clash = attrs.evolve(PAYMENTS[0], amount=Money("1.00", "EUR"))  # P-1 on file with 100
    with pytest.raises(DuplicatePayment):
        record_payments(store.unit_of_work(), [PAYMENTS[2], clash])
    assert snapshot(store) == before


def test_a_batch_checks_every_item_before_entering_the_unit_of_work() -> None:
    store = MemoryStore()
    with pytest.raises(InvalidField, match="must be an Account"):
        record_accounts(store.unit_of_work(), [ACCOUNTS[0], "A-2"], as_of=SETUP)  # type: ignore[list-item]
    with pytest.raises(InvalidField, match="must be an Invoice"):
        record_invoices(store.unit_of_work(), [NOTES[0]])  # type: ignore[list-item]
    with pytest.raises(InvalidField, match="must be a CreditNote"):
        record_credit_notes(store.unit_of_work(), [INVOICES[0]])  # type: ignore[list-item]
    with pytest.raises(InvalidField, match="must be a Payment"):
        record_payments(store.unit_of_work(), [INVOICES[0]])  # type: ignore[list-item]
    with store.unit_of_work() as uow:
        assert uow.accounts.get_many(IDS) == {}


def test_a_deferred_batch_leaves_suspension_to_the_next_run(store: Store) -> None:
    """A first load in several files: invoices alone would suspend accounts whose
    payments come in the next file; deferred, only the run decides, on the whole ledger."""
    record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP, decide_suspension=False)
    late = date(2026, 3, 20)  # F-0..F-5 all long overdue by then
    invoices = record_invoices(store.unit_of_work(), INVOICES, as_of=late, decide_suspension=False)
    assert all(o.decision is None and o.suspension_event is None for o in invoices)
    paid = record_payments(
        store.unit_of_work(), PAYMENTS, ADVICES, as_of=late, decide_suspension=False
    )
    assert all(o.decision is None and o.event is None for o in paid)
    assert sum(len(o.allocation.allocations) for o in paid if o.allocation) >= 3
    with store.unit_of_work() as uow:
        assert uow.history.suspension_states(IDS) == {}
        assert not any(uow.outbox.messages_of(IDS).values())
    # Not deferred, the same invoices suspend at once.
    other = MemoryStore()
    record_accounts(other.unit_of_work(), ACCOUNTS, as_of=SETUP)
    eager = record_invoices(other.unit_of_work(), INVOICES, as_of=late)
    assert any(isinstance(o.suspension_event, AccountSuspended) for o in eager)
    report = run_cycle(store.unit_of_work, CycleConfig(), late)
    assert report.accounts == 2
    with store.unit_of_work() as uow:
        assert set(uow.history.suspension_states(IDS)) == set(IDS)


def test_advices_are_kept_for_payments_on_file_all_or_none(store: Store) -> None:
    record_accounts(store.unit_of_work(), ACCOUNTS, as_of=SETUP)
    record_invoices(store.unit_of_work(), INVOICES)
    pending = attrs.evolve(PAYMENTS[2], id="P-9", status=PaymentStatus.PENDING)
    record_payments(store.unit_of_work(), [PAYMENTS[0], pending])
    late_advice = RemittanceAdvice(
        payment_id="P-9",
        lines=[RemittanceLine(invoice_number="F-4", amount_paid=Money("104.00", "EUR"))],
    )
    stray = RemittanceAdvice(payment_id="P-404", lines=late_advice.lines)
    with pytest.raises(UnknownRecord, match="P-404"):
        record_advices(store.unit_of_work(), [late_advice, stray])
    with store.unit_of_work() as uow:
        assert uow.ledger.advice_for("P-9") is None
    first = record_advices(store.unit_of_work(), [late_advice, ADVICES["P-1"]])
    assert [(o.repeated, o.allocated) for o in first] == [(False, False), (False, True)]
    assert [o.repeated for o in record_advices(store.unit_of_work(), [late_advice])] == [True]
    # The pending payment clears: the advice kept for it directs the allocation.
    cleared = record_payment(
        store.unit_of_work(), attrs.evolve(pending, status=PaymentStatus.CLEARED)
    )
    assert cleared.allocation is not None
    assert [a.invoice_number for a in cleared.allocation.allocations] == ["F-4"]
