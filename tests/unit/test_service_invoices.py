"""record_invoice and record_credit_note: stored, applied and re-decided in one unit of work."""

from __future__ import annotations

from datetime import date

import pytest

from dunning_core import (
    Account,
    AccountMismatch,
    AllocationKind,
    Contact,
    CreditNote,
    Dispute,
    InvalidUnitOfWork,
    Invoice,
    Money,
    UnknownRecord,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountReactivated, CreditNoteApplied, InvoiceRecorded
from dunning_core.policies.allocation import AllocationOrder, AllocationPolicy
from dunning_core.service.cycle import run_cycle
from dunning_core.service.facts import record_dispute
from dunning_core.service.invoices import record_credit_note, record_invoice
from dunning_core.service.settings import CycleConfig

Store = MemoryStore | SqliteStore
DUE = date(2026, 2, 1)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def invoice(number: str, amount: str = "100.00", *, due_on: date = DUE) -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=date(2026, 1, 2),
        due_on=due_on,
        amount=eur(amount),
    )


def note(number: str, amount: str, credits: str | None = None) -> CreditNote:
    return CreditNote(
        number=number,
        account_id="A-1",
        issued_on=date(2026, 1, 20),
        amount=eur(amount),
        credits_invoice=credits,
    )


def seed(store: Store, *invoices: Invoice) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(
                id="A-1",
                name="ACME",
                currency="EUR",
                contacts=[Contact(email="billing@acme.example")],
            )
        )
        uow.ledger.add_invoices(invoices)
        uow.commit()


def open_amounts(store: Store, on: date) -> dict[str, str]:
    from dunning_core.service._steps import account_data, statement_of

    with store.unit_of_work(read_only=True) as uow:
        account, ledger, _ = account_data(uow, "A-1")
        sheet = statement_of(account, ledger, on)
    return {item.number: str(item.open_amount.amount) for item in sheet.items}


def test_an_invoice_is_recorded_once_and_a_correction_is_an_event(store: Store) -> None:
    seed(store)
    first = record_invoice(store.unit_of_work(), invoice("F-1"))
    assert isinstance(first.events[0], InvoiceRecorded) and not first.events[0].replaced
    assert record_invoice(store.unit_of_work(), invoice("F-1")).repeated
    corrected = record_invoice(store.unit_of_work(), invoice("F-1", "90.00"))
    assert corrected.events[0].replaced  # type: ignore[union-attr]
    with store.unit_of_work(read_only=True) as uow:
        kinds = [e.kind for e in uow.history.events_of(["A-1"])["A-1"]]
    assert kinds == ["invoice.recorded", "invoice.recorded"]


def test_an_invoice_recorded_late_suspends_at_once(store: Store) -> None:
    seed(store)
    outcome = record_invoice(store.unit_of_work(), invoice("F-1"), as_of=date(2026, 2, 17))
    assert outcome.decision is not None and outcome.decision.reason_codes == ("OVERDUE_DAYS",)
    assert [e.kind for e in outcome.events] == ["invoice.recorded", "account.suspended"]


def test_an_invoice_of_an_unknown_account_or_moved_between_accounts_is_refused(
    store: Store,
) -> None:
    seed(store, invoice("F-1"))
    with pytest.raises(UnknownRecord):
        record_invoice(
            store.unit_of_work(),
            Invoice(
                number="F-9",
                account_id="A-404",
                issued_on=date(2026, 1, 2),
                due_on=DUE,
                amount=eur("1"),
            ),
        )
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-2", name="Other", currency="EUR"))
        uow.commit()
    moved = Invoice(
        number="F-1", account_id="A-2", issued_on=date(2026, 1, 2), due_on=DUE, amount=eur("100")
    )
    with pytest.raises(AccountMismatch):
        record_invoice(store.unit_of_work(), moved)
    with pytest.raises(InvalidUnitOfWork):
        record_invoice(store.unit_of_work, invoice("F-2"))  # type: ignore[arg-type]


def test_a_credit_note_is_applied_to_the_invoice_it_credits_even_while_disputed(
    store: Store,
) -> None:
    seed(store, invoice("F-1"), invoice("F-2", due_on=date(2026, 1, 15)))
    record_dispute(
        store.unit_of_work(),
        Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=date(2026, 1, 18)),
    )
    outcome = record_credit_note(store.unit_of_work(), note("CN-1", "130.00", credits="F-1"))
    (applied,) = outcome.allocations
    assert (applied.invoice_number, applied.amount, applied.kind) == (
        "F-1",
        eur("100.00"),
        AllocationKind.CREDIT_NOTE,
    )
    event = outcome.events[0]
    assert isinstance(event, CreditNoteApplied) and event.left == eur("30.00")
    assert open_amounts(store, date(2026, 1, 25)) == {"F-2": "100.00", "F-1": "0.00"}
    assert record_credit_note(store.unit_of_work(), note("CN-1", "130.00", "F-1")).repeated


def test_a_credit_note_crediting_no_invoice_goes_oldest_first_unless_kept_on_account(
    store: Store,
) -> None:
    seed(store, invoice("F-1"), invoice("F-2", due_on=date(2026, 1, 15)))
    outcome = record_credit_note(store.unit_of_work(), note("CN-1", "150.00"))
    assert [(a.invoice_number, str(a.amount.amount)) for a in outcome.allocations] == [
        ("F-2", "100.00"),
        ("F-1", "50.00"),
    ]
    kept = CycleConfig(allocation=AllocationPolicy(order=AllocationOrder.UNAPPLIED))
    assert (
        record_credit_note(store.unit_of_work(), note("CN-2", "5.00"), config=kept).allocations
        == ()
    )


def test_a_corrected_credit_note_is_applied_afresh(store: Store) -> None:
    seed(store, invoice("F-1"))
    record_credit_note(store.unit_of_work(), note("CN-1", "40.00", credits="F-1"))
    record_credit_note(store.unit_of_work(), note("CN-1", "25.00", credits="F-1"))
    assert open_amounts(store, date(2026, 1, 25)) == {"F-1": "75.00"}


def test_a_credit_note_clearing_the_overdue_invoice_reactivates_the_account(store: Store) -> None:
    seed(store, invoice("F-1"))
    run_cycle(store.unit_of_work, CycleConfig(), date(2026, 2, 17))
    outcome = record_credit_note(
        store.unit_of_work(), note("CN-1", "100.00", credits="F-1"), as_of=date(2026, 2, 18)
    )
    assert isinstance(outcome.suspension_event, AccountReactivated)


def test_a_credit_note_for_an_unknown_invoice_is_refused(store: Store) -> None:
    seed(store)
    with pytest.raises(UnknownRecord):
        record_credit_note(store.unit_of_work(), note("CN-1", "10.00", credits="F-404"))
