"""write_off_invoice, and a later payment of it recovering the write-off."""

from __future__ import annotations

from datetime import date

import pytest

from dunning_core import (
    Account,
    AllocationKind,
    Contact,
    InvalidAmount,
    InvalidField,
    Invoice,
    Money,
    Payment,
    RemittanceAdvice,
    RemittanceLine,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountReactivated, InvoiceWrittenOff
from dunning_core.service.cycle import run_cycle
from dunning_core.service.payments import record_payment
from dunning_core.service.settings import CycleConfig
from dunning_core.service.write_offs import write_off_invoice, write_off_source

Store = MemoryStore | SqliteStore
DAY = date(2026, 6, 1)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def seed(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(id="A-1", name="ACME", currency="EUR", contacts=[Contact(email="a@b.example")])
        )
        uow.ledger.add_invoices(
            [
                Invoice(
                    number=f"F-{n}",
                    account_id="A-1",
                    issued_on=date(2026, 1, 2),
                    due_on=date(2026, 2, n),
                    amount=eur("100.00"),
                )
                for n in (1, 2)
            ]
        )
        uow.commit()


def allocations(store: Store, source_id: str) -> list[tuple[str, str, str | None]]:
    with store.unit_of_work(read_only=True) as uow:
        found = uow.ledger.allocations_of_source(source_id)
    return [(a.kind.value, str(a.amount.amount), a.reference) for a in found]


def test_writing_off_stops_dunning_and_can_reactivate(store: Store) -> None:
    seed(store)
    run_cycle(store.unit_of_work, CycleConfig(), date(2026, 2, 20))  # both 18+ days late
    write_off_invoice(
        store.unit_of_work(), "F-1", reason="collection failed", as_of=date(2026, 2, 21)
    )
    outcome = write_off_invoice(
        store.unit_of_work(), "F-2", reason="closed insolvency", as_of=date(2026, 2, 21)
    )
    assert isinstance(outcome.events[0], InvoiceWrittenOff)
    assert isinstance(outcome.suspension_event, AccountReactivated)
    assert allocations(store, write_off_source("F-1")) == [
        ("WRITE_OFF", "100.00", "collection failed")
    ]
    report = run_cycle(store.unit_of_work, CycleConfig(), date(2026, 3, 10))
    assert report.actions_total == 0  # nothing open: no notice ever again


def test_a_write_off_needs_a_reason_and_something_open(store: Store) -> None:
    seed(store)
    with pytest.raises(InvalidField, match="reason"):
        write_off_invoice(store.unit_of_work(), "F-1", reason=" ", as_of=DAY)
    with pytest.raises(InvalidAmount):
        write_off_invoice(store.unit_of_work(), "F-1", reason="x", as_of=DAY, amount=eur("100.01"))
    write_off_invoice(store.unit_of_work(), "F-1", reason="x", as_of=DAY, amount=eur("40.00"))
    write_off_invoice(store.unit_of_work(), "F-1", reason="y", as_of=DAY)
    with pytest.raises(InvalidField, match="nothing is open"):
        write_off_invoice(store.unit_of_work(), "F-1", reason="z", as_of=DAY)


def test_a_later_payment_naming_the_invoice_recovers_the_write_off(store: Store) -> None:
    seed(store)
    write_off_invoice(store.unit_of_work(), "F-1", reason="collection failed", as_of=DAY)
    # 60 of the 100 written off come back, the reference naming the invoice.
    payment = Payment(
        id="P-1",
        account_id="A-1",
        amount=eur("60.00"),
        received_on=date(2026, 7, 1),
        bank_reference="Rglt F-1",
    )
    outcome = record_payment(store.unit_of_work(), payment)
    (recovery,) = outcome.recoveries
    assert (recovery.invoice_number, recovery.amount) == ("F-1", eur("60.00"))
    assert allocations(store, "P-1") == [("CASH", "60.00", None)]
    assert allocations(store, write_off_source("F-1")) == [
        ("WRITE_OFF", "40.00", "collection failed")
    ]
    with store.unit_of_work(read_only=True) as uow:
        kinds = [e.kind for e in uow.history.events_of(["A-1"])["A-1"]]
    assert "invoice.write_off_recovered" in kinds


def test_an_advice_naming_the_written_off_invoice_recovers_it_in_full(store: Store) -> None:
    seed(store)
    write_off_invoice(store.unit_of_work(), "F-1", reason="collection failed", as_of=DAY)
    payment = Payment(
        id="P-1", account_id="A-1", amount=eur("150.00"), received_on=date(2026, 7, 1)
    )
    advice = RemittanceAdvice(
        payment_id="P-1", lines=[RemittanceLine(invoice_number="F-1", amount_paid=eur("100.00"))]
    )
    outcome = record_payment(store.unit_of_work(), payment, advice)
    assert [r.amount for r in outcome.recoveries] == [eur("100.00")]
    assert allocations(store, write_off_source("F-1")) == []
    assert outcome.allocation is not None
    assert outcome.allocation.by_invoice == {"F-1": eur("100.00"), "F-2": eur("50.00")}


def test_a_payment_that_names_no_written_off_invoice_leaves_the_write_off_alone(
    store: Store,
) -> None:
    seed(store)
    write_off_invoice(store.unit_of_work(), "F-1", reason="collection failed", as_of=DAY)
    payment = Payment(id="P-1", account_id="A-1", amount=eur("30.00"), received_on=date(2026, 7, 1))
    outcome = record_payment(store.unit_of_work(), payment)
    assert outcome.recoveries == ()
    assert outcome.allocation is not None and outcome.allocation.by_invoice == {"F-2": eur("30.00")}
    assert allocations(store, write_off_source("F-1"))[0][0] == AllocationKind.WRITE_OFF.value
