"""record_promise, record_dispute, record_hold, record_proceeding: the rules run at once."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from dunning_core import (
    Account,
    Contact,
    Dispute,
    Hold,
    InsolvencyProceeding,
    Invoice,
    Money,
    PromiseToPay,
    UnknownRecord,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountReactivated, AccountSuspended, FactRecorded
from dunning_core.service.facts import (
    record_dispute,
    record_hold,
    record_proceeding,
    record_promise,
)

Store = MemoryStore | SqliteStore
DUE = date(2026, 2, 1)


def seed(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(
                id="A-1",
                name="ACME",
                currency="EUR",
                contacts=[Contact(email="billing@acme.example")],
            )
        )
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-1",
                    account_id="A-1",
                    issued_on=date(2026, 1, 2),
                    due_on=DUE,
                    amount=Money("80.00", "EUR"),
                )
            ]
        )
        uow.commit()


def test_a_resolved_dispute_lets_the_overdue_invoice_suspend_at_once(store: Store) -> None:
    seed(store)
    dispute = Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=date(2026, 2, 5))
    opened = record_dispute(store.unit_of_work(), dispute, as_of=date(2026, 2, 20))
    assert isinstance(opened.events[0], FactRecorded) and opened.events[0].change == "opened"
    assert opened.decision is not None and not opened.decision.suspended
    resolved = record_dispute(
        store.unit_of_work(), attrs.evolve(dispute, resolved_on=date(2026, 2, 21))
    )
    assert [e.kind for e in resolved.events] == ["fact.recorded", "account.suspended"]
    assert resolved.events[0].change == "resolved"  # type: ignore[union-attr]
    assert record_dispute(
        store.unit_of_work(), attrs.evolve(dispute, resolved_on=date(2026, 2, 21))
    ).repeated


def test_a_suspending_hold_suspends_now_and_lifting_it_reactivates(store: Store) -> None:
    seed(store)
    hold = Hold(
        id="H-1", account_id="A-1", reason="Fraud check", starts_on=date(2026, 1, 10), suspends=True
    )
    placed = record_hold(store.unit_of_work(), hold)
    assert isinstance(placed.suspension_event, AccountSuspended)
    lifted = record_hold(
        store.unit_of_work(), attrs.evolve(hold, ends_on=date(2026, 1, 12)), as_of=date(2026, 1, 13)
    )
    assert lifted.events[0].change == "lifted"  # type: ignore[union-attr]
    assert isinstance(lifted.suspension_event, AccountReactivated)


def test_a_ruling_brings_the_account_back_on_prepayment(store: Store) -> None:
    seed(store)
    proceeding = InsolvencyProceeding(
        id="RJ-1", account_id="A-1", kind="RECEIVERSHIP", opened_on=date(2026, 2, 3)
    )
    opened = record_proceeding(store.unit_of_work(), proceeding)
    assert opened.decision is not None and opened.decision.reason_codes == ("INSOLVENCY_OPEN",)
    ruled = record_proceeding(
        store.unit_of_work(), attrs.evolve(proceeding, ruled_on=date(2026, 4, 1))
    )
    event = ruled.suspension_event
    assert isinstance(event, AccountReactivated) and event.requires_prepayment
    # F-1 is a claim in the proceeding: it no longer counts for the overdue days.
    assert ruled.decision is not None and not ruled.decision.suspended


def test_a_promise_is_recorded_and_a_fact_of_an_unknown_account_is_refused(store: Store) -> None:
    seed(store)
    promise = PromiseToPay(
        id="P-1",
        account_id="A-1",
        made_on=date(2026, 2, 10),
        due_on=date(2026, 2, 20),
        amount=Money("80.00", "EUR"),
    )
    made = record_promise(store.unit_of_work(), promise)
    assert made.events[0].change == "made"  # type: ignore[union-attr]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.facts.load(["A-1"])["A-1"].promises == (promise,)
        assert [e.kind for e in uow.history.events_of(["A-1"])["A-1"]] == ["fact.recorded"]
    with pytest.raises(UnknownRecord):
        record_promise(store.unit_of_work(), attrs.evolve(promise, account_id="A-404"))
