"""record_payment / reverse_payment: storage, identification, allocation, suspension.

Every test runs on the in-memory store; those marked with the ``any_store`` fixture run
on SQLite (in ``tmp_path``) too. Expected amounts and dates are worked out by hand in
the comments: small customers are suspended at 16 days past due (more than 15).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from dunning_core import (
    Account,
    Invoice,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RemittanceAdvice,
    RemittanceLine,
    build_statement,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Contact
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.payment import Allocation, AllocationKind
from dunning_core.errors import (
    DuplicatePayment,
    InvalidField,
    InvalidUnitOfWork,
    UnknownRecord,
)
from dunning_core.policies.allocation import AllocationPolicy
from dunning_core.service.cycle import run_cycle
from dunning_core.service.payments import record_payment, reverse_payment
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.fakes import FaultInjector, InjectedFault

Store = MemoryStore | SqliteStore
CASH = AllocationKind.CASH


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def account(account_id: str, *, entity: str | None = None) -> Account:
    return Account(
        id=account_id,
        name=f"Customer {account_id}",
        currency="EUR",
        contacts=[Contact(email=f"billing@{account_id.lower()}.example")],
        billing_entity_id=entity,
    )


def invoice(number: str, account_id: str, due_on: date, amount: str) -> Invoice:
    return Invoice(
        number=number,
        account_id=account_id,
        issued_on=date(2026, 1, 2),
        due_on=due_on,
        amount=eur(amount),
    )


def payment(
    payment_id: str,
    account_id: str | None,
    amount: str,
    received_on: date,
    **kwargs: Any,
) -> Payment:
    return Payment(
        id=payment_id,
        account_id=account_id,
        amount=eur(amount),
        received_on=received_on,
        **kwargs,
    )


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(params=["memory", "sqlite"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    store = SqliteStore(tmp_path / "payments.sqlite3")
    yield store
    assert store.integrity_check() == ["ok"]
    store.close()


def seed(store: Store, accounts: list[Account], invoices: list[Invoice]) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add_many(accounts)
        uow.ledger.add_invoices(invoices)
        uow.commit()


def allocations_of(store: Store, source_id: str) -> set[Allocation]:
    with store.unit_of_work() as uow:
        return set(uow.ledger.allocations_of_source(source_id))


def open_amounts(store: Store, account_id: str, on: date) -> dict[str, Money]:
    with store.unit_of_work() as uow:
        acct = uow.accounts.get(account_id)
        ledger = uow.ledger.load([account_id])[account_id]
    assert acct is not None
    statement = build_statement(
        acct,
        on,
        invoices=ledger.invoices,
        credit_notes=ledger.credit_notes,
        payments=ledger.payments,
        allocations=ledger.allocations,
    )
    return {item.invoice.number: item.open_amount for item in statement.items}


def snapshot(store: Store, account_ids: list[str], payment_ids: list[str]) -> dict[str, Any]:
    """Everything a payment service may write, for before / after comparisons."""
    with store.unit_of_work() as uow:
        return {
            "ledgers": uow.ledger.load(account_ids),
            "payments": [uow.ledger.get_payment(p) for p in payment_ids],
            "advices": [uow.ledger.advice_for(p) for p in payment_ids],
            "allocations": [uow.ledger.allocations_of_source(p) for p in payment_ids],
            "suspense": uow.ledger.unidentified_payments(),
            "events": uow.history.events_of(account_ids),
            "states": uow.history.suspension_states(account_ids),
            "messages": uow.outbox.messages_of(account_ids),
        }


def events(store: Store, account_id: str, kind: str) -> list[Any]:
    with store.unit_of_work() as uow:
        return [e for e in uow.history.events_of([account_id])[account_id] if e.kind == kind]


def message(store: Store, key: str) -> Any:
    with store.unit_of_work() as uow:
        return uow.outbox.get(key)


def is_suspended(store: Store, account_id: str) -> bool:
    with store.unit_of_work() as uow:
        state = uow.history.suspension_states([account_id]).get(account_id)
    return state is not None and state.suspended


# -- repeated ids -------------------------------------------------------------------------


def test_a_repeated_payment_id_is_a_no_op(any_store: Store) -> None:
    seed(
        any_store,
        [account("A-1")],
        [
            invoice("F-1", "A-1", date(2026, 2, 1), "100.00"),
            invoice("F-2", "A-1", date(2026, 3, 1), "200.00"),
        ],
    )
    paid = payment("P-1", "A-1", "150.00", date(2026, 3, 5))
    first = record_payment(any_store.unit_of_work(), paid)
    # Oldest first: F-1 takes 100.00, F-2 the 50.00 left.
    expected = {
        Allocation(invoice_number="F-1", amount=eur("100.00"), kind=CASH, source_id="P-1"),
        Allocation(invoice_number="F-2", amount=eur("50.00"), kind=CASH, source_id="P-1"),
    }
    assert not first.repeated
    assert first.allocation is not None and set(first.allocation.allocations) == expected
    before = snapshot(any_store, ["A-1"], ["P-1"])

    again = record_payment(any_store.unit_of_work(), paid)

    assert again.repeated
    assert again.allocation is None and again.event is None
    assert again.payment == paid
    assert snapshot(any_store, ["A-1"], ["P-1"]) == before
    assert allocations_of(any_store, "P-1") == expected
    assert open_amounts(any_store, "A-1", date(2026, 3, 5)) == {
        "F-1": eur("0.00"),
        "F-2": eur("150.00"),
    }


def test_the_same_id_with_another_amount_raises_and_writes_nothing(any_store: Store) -> None:
    seed(any_store, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "100.00")])
    record_payment(any_store.unit_of_work(), payment("P-1", "A-1", "60.00", date(2026, 2, 3)))
    before = snapshot(any_store, ["A-1"], ["P-1"])
    other = payment("P-1", "A-1", "100.00", date(2026, 2, 3))
    advice = RemittanceAdvice(
        payment_id="P-1", lines=[RemittanceLine(invoice_number="F-1", amount_paid=eur("100.00"))]
    )

    with pytest.raises(DuplicatePayment) as raised:
        record_payment(any_store.unit_of_work(), other, advice)

    assert raised.value.payment_id == "P-1"
    assert "60.00" in str(raised.value) and "100.00" in str(raised.value)
    assert snapshot(any_store, ["A-1"], ["P-1"]) == before  # the advice was not stored either


def test_the_same_id_for_another_account_raises(memory: MemoryStore) -> None:
    seed(memory, [account("A-1"), account("B-1")], [])
    record_payment(memory.unit_of_work(), payment("P-1", "A-1", "60.00", date(2026, 2, 3)))
    before = snapshot(memory, ["A-1", "B-1"], ["P-1"])

    with pytest.raises(DuplicatePayment):
        record_payment(memory.unit_of_work(), payment("P-1", "B-1", "60.00", date(2026, 2, 3)))

    assert snapshot(memory, ["A-1", "B-1"], ["P-1"]) == before


def test_a_payment_for_an_unknown_account_raises_unknown_record(memory: MemoryStore) -> None:
    with pytest.raises(UnknownRecord) as raised:
        record_payment(memory.unit_of_work(), payment("P-1", "A-404", "60.00", date(2026, 2, 3)))
    assert (raised.value.kind, raised.value.key) == ("account", "A-404")
    with memory.unit_of_work() as uow:
        assert uow.ledger.get_payment("P-1") is None


# -- direct debits in flight ----------------------------------------------------------------


def test_a_pending_direct_debit_is_allocated_when_it_clears(any_store: Store) -> None:
    seed(
        any_store,
        [account("A-1")],
        [
            invoice("F-1", "A-1", date(2026, 2, 1), "100.00"),
            invoice("F-2", "A-1", date(2026, 3, 1), "80.00"),
        ],
    )
    debit = payment(
        "DD-1",
        "A-1",
        "80.00",
        date(2026, 3, 2),
        method=PaymentMethod.DIRECT_DEBIT,
        status=PaymentStatus.PENDING,
    )
    # The mandate's advice says the debit is for F-2, not for the older F-1.
    advice = RemittanceAdvice(
        payment_id="DD-1", lines=[RemittanceLine(invoice_number="F-2", amount_paid=eur("80.00"))]
    )

    pending = record_payment(any_store.unit_of_work(), debit, advice)

    assert pending.allocation is None and not pending.repeated
    assert allocations_of(any_store, "DD-1") == set()

    cleared = record_payment(
        any_store.unit_of_work(), attrs.evolve(debit, status=PaymentStatus.CLEARED)
    )

    assert not cleared.repeated
    assert cleared.payment.status is PaymentStatus.CLEARED
    # The advice stored with the pending debit directs the money at clearing.
    f2 = Allocation(invoice_number="F-2", amount=eur("80.00"), kind=CASH, source_id="DD-1")
    assert cleared.allocation is not None and cleared.allocation.allocations == (f2,)
    assert allocations_of(any_store, "DD-1") == {f2}
    with any_store.unit_of_work() as uow:
        stored = uow.ledger.get_payment("DD-1")
    assert stored is not None and stored.status is PaymentStatus.CLEARED
    # The clearing notification arriving twice changes nothing.
    twice = record_payment(
        any_store.unit_of_work(), attrs.evolve(debit, status=PaymentStatus.CLEARED)
    )
    assert twice.repeated and allocations_of(any_store, "DD-1") == {f2}


def test_an_unidentified_pending_payment_that_clears_stays_in_suspense(
    memory: MemoryStore,
) -> None:
    seed(memory, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "100.00")])
    check = payment(
        "CHQ-7", None, "50.00", date(2026, 2, 3), method="CHECK", status=PaymentStatus.PENDING
    )
    record_payment(memory.unit_of_work(), check)

    cleared = record_payment(
        memory.unit_of_work(), attrs.evolve(check, status=PaymentStatus.CLEARED)
    )

    assert cleared.in_suspense and cleared.allocation is None
    assert cleared.payment.status is PaymentStatus.CLEARED
    with memory.unit_of_work() as uow:
        assert [p.id for p in uow.ledger.unidentified_payments()] == ["CHQ-7"]
    assert allocations_of(memory, "CHQ-7") == set()


# -- unidentified payments ----------------------------------------------------------------


@pytest.fixture
def two_customers(any_store: Store) -> Store:
    seed(
        any_store,
        [account("A-1"), account("B-2")],
        [
            invoice("INV-12", "A-1", date(2026, 2, 1), "100.00"),
            invoice("INV-14", "A-1", date(2026, 3, 1), "50.00"),
            invoice("INV-123", "B-2", date(2026, 2, 10), "80.00"),
        ],
    )
    return any_store


def test_a_reference_naming_one_accounts_invoice_identifies_and_allocates(
    two_customers: Store,
) -> None:
    unknown = payment(
        "VIR-1", None, "120.00", date(2026, 3, 5), bank_reference="vir sepa facture inv-12"
    )

    outcome = record_payment(two_customers.unit_of_work(), unknown)

    assert not outcome.in_suspense
    assert outcome.payment.account_id == "A-1"
    assert outcome.identified_by is not None
    assert outcome.identified_by.invoice_number == "INV-12"
    # Identified to A-1, then oldest first: INV-12 takes 100.00, INV-14 the 20.00 left.
    assert allocations_of(two_customers, "VIR-1") == {
        Allocation(invoice_number="INV-12", amount=eur("100.00"), kind=CASH, source_id="VIR-1"),
        Allocation(invoice_number="INV-14", amount=eur("20.00"), kind=CASH, source_id="VIR-1"),
    }
    with two_customers.unit_of_work() as uow:
        stored = uow.ledger.get_payment("VIR-1")
        assert uow.ledger.unidentified_payments() == []
    assert stored is not None and stored.account_id == "A-1"


def test_invoice_numbers_joined_by_a_slash_are_each_found(two_customers: Store) -> None:
    unknown = payment(
        "VIR-2", None, "150.00", date(2026, 3, 5), bank_reference="FACT. INV-12/INV-14"
    )

    outcome = record_payment(two_customers.unit_of_work(), unknown)

    assert outcome.payment.account_id == "A-1"
    # Both named, neither equal to 150.00: ranked by due date.
    assert [m.invoice_number for m in outcome.candidates] == ["INV-12", "INV-14"]
    assert allocations_of(two_customers, "VIR-2") == {
        Allocation(invoice_number="INV-12", amount=eur("100.00"), kind=CASH, source_id="VIR-2"),
        Allocation(invoice_number="INV-14", amount=eur("50.00"), kind=CASH, source_id="VIR-2"),
    }


@pytest.mark.parametrize("reference", ["INV-12 INV-123", "Fact. INV-12/INV-123"])
def test_a_reference_naming_invoices_of_two_accounts_stays_in_suspense(
    two_customers: Store, reference: str
) -> None:
    unknown = payment("VIR-3", None, "80.00", date(2026, 3, 5), bank_reference=reference)
    before = {k: snapshot(two_customers, ["A-1", "B-2"], [])[k] for k in ("ledgers", "events")}

    outcome = record_payment(two_customers.unit_of_work(), unknown)

    assert outcome.in_suspense and outcome.identified_by is None
    assert outcome.allocation is None
    # Both are named; INV-123 is also exactly the amount paid, so it ranks first, but
    # naming a second customer's invoice is enough doubt to ask a person.
    assert [(m.rank, m.invoice_number, m.account_id) for m in outcome.candidates] == [
        (1, "INV-123", "B-2"),
        (2, "INV-12", "A-1"),
    ]
    with two_customers.unit_of_work() as uow:
        assert uow.ledger.unidentified_payments() == [unknown]
    assert allocations_of(two_customers, "VIR-3") == set()
    after = {k: snapshot(two_customers, ["A-1", "B-2"], [])[k] for k in ("ledgers", "events")}
    assert after == before


def test_inv_12_does_not_match_inv_123(two_customers: Store) -> None:
    named = payment("VIR-4", None, "80.00", date(2026, 3, 5), bank_reference="REGLT INV-123")
    outcome = record_payment(two_customers.unit_of_work(), named)
    # Only B-2's INV-123 is named: A-1's INV-12 is no candidate.
    assert [m.invoice_number for m in outcome.candidates] == ["INV-123"]
    assert outcome.payment.account_id == "B-2"
    assert allocations_of(two_customers, "VIR-4") == {
        Allocation(invoice_number="INV-123", amount=eur("80.00"), kind=CASH, source_id="VIR-4")
    }

    unknown = payment("VIR-5", None, "80.00", date(2026, 3, 5), bank_reference="INV-1234")
    nothing = record_payment(two_customers.unit_of_work(), unknown)
    assert nothing.in_suspense and nothing.candidates == ()


# -- remittance advices ---------------------------------------------------------------------


def test_withholding_tax_on_the_advice_settles_the_invoice(any_store: Store) -> None:
    seed(any_store, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "1000.00")])
    net = payment("P-1", "A-1", "950.00", date(2026, 2, 5))
    advice = RemittanceAdvice(
        payment_id="P-1",
        lines=[
            RemittanceLine(
                invoice_number="F-1",
                amount_paid=eur("950.00"),
                tax_withheld=eur("50.00"),
                certificate="RAS-2026-0007",
            )
        ],
    )

    outcome = record_payment(any_store.unit_of_work(), net, advice)

    # 950.00 cash + 50.00 tax withheld (with its certificate) = the 1000.00 invoiced.
    assert allocations_of(any_store, "P-1") == {
        Allocation(
            invoice_number="F-1",
            amount=eur("50.00"),
            kind=AllocationKind.WITHHOLDING,
            source_id="P-1",
            reference="RAS-2026-0007",
        ),
        Allocation(invoice_number="F-1", amount=eur("950.00"), kind=CASH, source_id="P-1"),
    }
    assert outcome.allocation is not None and outcome.allocation.unapplied == eur("0.00")
    assert open_amounts(any_store, "A-1", date(2026, 2, 5)) == {"F-1": eur("0.00")}
    with any_store.unit_of_work() as uow:
        assert uow.ledger.advice_for("P-1") == advice


# -- suspension and reactivation ------------------------------------------------------------


def suspend_a1(store: Store, run_on: date = date(2026, 2, 17)) -> None:
    """A-1 owes F-1 (300.00, due 1 February); a small customer is suspended at 16 days."""
    seed(store, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "300.00")])
    on_day_15 = run_cycle(store.unit_of_work, CycleConfig(), date(2026, 2, 16))
    assert on_day_15.suspended == ()
    on_day_16 = run_cycle(store.unit_of_work, CycleConfig(), run_on)
    assert on_day_16.suspended == ("A-1",)
    assert is_suspended(store, "A-1")


def test_the_payment_that_clears_a_suspended_account_reactivates_it(any_store: Store) -> None:
    suspend_a1(any_store)
    at = datetime(2026, 2, 18, 9, 30, tzinfo=UTC)

    outcome = record_payment(
        any_store.unit_of_work(), payment("P-9", "A-1", "300.00", date(2026, 2, 18)), as_of=at
    )

    assert isinstance(outcome.event, AccountReactivated)
    assert outcome.event.account_id == "A-1"
    assert outcome.event.payment_id == "P-9"
    assert outcome.event.cleared_reason_codes == ("OVERDUE_DAYS",)
    assert outcome.decision is not None and not outcome.decision.suspended
    assert not is_suspended(any_store, "A-1")
    [event] = events(any_store, "A-1", "account.reactivated")
    assert event.occurred_at == at
    assert json.loads(event.payload)["cleared_by"] == "P-9"
    notice = message(any_store, event.key)
    assert notice is not None
    assert (notice.channel, notice.recipient) == ("EMAIL", "billing@a-1.example")
    assert notice.created_at == at


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_crash_at_any_write_of_record_payment_leaves_nothing_half_written(
    tmp_path: Path, kind: str
) -> None:
    paid = payment("P-9", "A-1", "300.00", date(2026, 2, 18))
    advice = RemittanceAdvice(
        payment_id="P-9", lines=[RemittanceLine(invoice_number="F-1", amount_paid=eur("300.00"))]
    )
    settled = {Allocation(invoice_number="F-1", amount=eur("300.00"), kind=CASH, source_id="P-9")}

    def fresh(name: str) -> Store:
        store: Store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / name)
        suspend_a1(store)
        return store

    counting_store = fresh("count.sqlite3")
    counter = FaultInjector(counting_store.unit_of_work, fail_at=None)
    record_payment(counter(), paid, advice)
    total = counter.writes
    failed_on = set()

    for n in range(1, total + 1):
        store = fresh(f"crash-{n}.sqlite3")
        before = snapshot(store, ["A-1"], ["P-9"])
        crashing = FaultInjector(store.unit_of_work, fail_at=n)
        with pytest.raises(InjectedFault):
            record_payment(crashing(), paid, advice)
        assert crashing.failed_on is not None
        failed_on.add(crashing.failed_on)
        if isinstance(store, SqliteStore):  # a restart: a new process opens the file
            store.close()
            store = SqliteStore(tmp_path / f"crash-{n}.sqlite3")
        if crashing.failed_on == "commit":
            # The commit is durable: payment, allocation, event and notice are all there.
            assert n == total
            assert not is_suspended(store, "A-1")
        else:
            assert snapshot(store, ["A-1"], ["P-9"]) == before
            assert is_suspended(store, "A-1")
        # Whatever happened, replaying the payment completes it exactly once.
        record_payment(store.unit_of_work(), paid, advice)
        assert allocations_of(store, "P-9") == settled
        [event] = events(store, "A-1", "account.reactivated")
        assert json.loads(event.payload)["cleared_by"] == "P-9"
        with store.unit_of_work() as uow:
            notices = [m for m in uow.outbox.messages_of(["A-1"])["A-1"] if m.key == event.key]
            assert uow.ledger.advice_for("P-9") == advice
        assert len(notices) == 1
        assert not is_suspended(store, "A-1")
        if isinstance(store, SqliteStore):
            assert store.integrity_check() == ["ok"]
            store.close()
    if isinstance(counting_store, SqliteStore):
        counting_store.close()
    # Every kind of write record_payment makes was crashed at once.
    assert failed_on >= {
        "ledger.add_payment",
        "ledger.add_advice",
        "ledger.add_allocations",
        "history.put_suspension_states",
        "history.add_events",
        "outbox.add_messages",
        "commit",
    }


# -- reversals ------------------------------------------------------------------------------


def test_a_reversal_removes_exactly_that_payments_allocations(any_store: Store) -> None:
    seed(
        any_store,
        [account("A-1")],
        [
            invoice("F-1", "A-1", date(2026, 2, 1), "100.00"),
            invoice("F-2", "A-1", date(2026, 3, 1), "100.00"),
        ],
    )
    record_payment(any_store.unit_of_work(), payment("P-1", "A-1", "60.00", date(2026, 2, 3)))
    record_payment(any_store.unit_of_work(), payment("P-2", "A-1", "70.00", date(2026, 2, 4)))
    # P-1: F-1 60.00. P-2: F-1 the 40.00 left, then F-2 30.00.
    p1 = {Allocation(invoice_number="F-1", amount=eur("60.00"), kind=CASH, source_id="P-1")}
    p2 = {
        Allocation(invoice_number="F-1", amount=eur("40.00"), kind=CASH, source_id="P-2"),
        Allocation(invoice_number="F-2", amount=eur("30.00"), kind=CASH, source_id="P-2"),
    }
    assert allocations_of(any_store, "P-2") == p2

    outcome = reverse_payment(any_store.unit_of_work(), "P-2", as_of=date(2026, 2, 10))

    assert set(outcome.removed) == p2 and len(outcome.removed) == 2
    assert outcome.payment.status is PaymentStatus.CHARGED_BACK
    assert allocations_of(any_store, "P-1") == p1
    assert allocations_of(any_store, "P-2") == set()
    assert open_amounts(any_store, "A-1", date(2026, 2, 10)) == {
        "F-1": eur("40.00"),
        "F-2": eur("100.00"),
    }
    # F-1 is 9 days past due on 10 February: no suspension.
    assert outcome.decision is not None and not outcome.decision.suspended
    assert outcome.event is None


def test_a_reversal_suspends_again_when_the_reopened_invoice_is_overdue(
    any_store: Store,
) -> None:
    suspend_a1(any_store)
    record_payment(any_store.unit_of_work(), payment("P-9", "A-1", "300.00", date(2026, 2, 18)))
    assert not is_suspended(any_store, "A-1")
    at = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)

    outcome = reverse_payment(any_store.unit_of_work(), "P-9", PaymentStatus.FAILED, as_of=at)

    # F-1 reopens for 300.00, 19 days past due on 20 February.
    assert open_amounts(any_store, "A-1", date(2026, 2, 20)) == {"F-1": eur("300.00")}
    assert isinstance(outcome.event, AccountSuspended)
    assert outcome.event.reason_codes == ("OVERDUE_DAYS",)
    assert outcome.payment.status is PaymentStatus.FAILED
    assert is_suspended(any_store, "A-1")
    suspended = events(any_store, "A-1", "account.suspended")
    assert len(suspended) == 2  # the cycle's, and the reversal's
    notice = message(any_store, max(suspended, key=lambda e: e.occurred_at).key)
    assert notice is not None and notice.created_at == at


def test_a_chargeback_on_the_day_of_the_reactivation_has_its_own_event_and_notice(
    memory: MemoryStore,
) -> None:
    # Everything on 17 February, recorded with plain dates: cycle, payment, chargeback.
    suspend_a1(memory, run_on=date(2026, 2, 17))
    record_payment(memory.unit_of_work(), payment("P-9", "A-1", "300.00", date(2026, 2, 17)))
    reverse_payment(memory.unit_of_work(), "P-9", as_of=date(2026, 2, 17))

    assert is_suspended(memory, "A-1")
    suspended = events(memory, "A-1", "account.suspended")
    reactivated = events(memory, "A-1", "account.reactivated")
    assert (len(suspended), len(reactivated)) == (2, 1)
    for event in (*suspended, *reactivated):
        assert message(memory, event.key) is not None


def test_reversing_twice_is_a_no_op(any_store: Store) -> None:
    seed(any_store, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "100.00")])
    record_payment(any_store.unit_of_work(), payment("P-1", "A-1", "100.00", date(2026, 2, 3)))
    reverse_payment(any_store.unit_of_work(), "P-1", as_of=date(2026, 2, 5))
    before = snapshot(any_store, ["A-1"], ["P-1"])

    again = reverse_payment(any_store.unit_of_work(), "P-1", as_of=date(2026, 2, 6))

    assert again.repeated and again.removed == () and again.event is None
    assert snapshot(any_store, ["A-1"], ["P-1"]) == before


def test_reversing_an_unknown_payment_raises_unknown_record(memory: MemoryStore) -> None:
    with pytest.raises(UnknownRecord) as raised:
        reverse_payment(memory.unit_of_work(), "P-404", as_of=date(2026, 2, 5))
    assert (raised.value.kind, raised.value.key) == ("payment", "P-404")


@pytest.mark.parametrize("status", [PaymentStatus.CLEARED, PaymentStatus.PENDING])
def test_a_reversal_status_must_be_charged_back_or_failed(
    memory: MemoryStore, status: PaymentStatus
) -> None:
    seed(memory, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "100.00")])
    record_payment(memory.unit_of_work(), payment("P-1", "A-1", "100.00", date(2026, 2, 3)))
    before = snapshot(memory, ["A-1"], ["P-1"])

    with pytest.raises(InvalidField) as raised:
        reverse_payment(memory.unit_of_work(), "P-1", status, as_of=date(2026, 2, 5))

    assert (raised.value.field, raised.value.value) == ("status", status)
    assert snapshot(memory, ["A-1"], ["P-1"]) == before


# -- central billing ------------------------------------------------------------------------

CENTRAL = CycleConfig(allocation=AllocationPolicy(central_billing=True))


def sister_accounts(store: Store) -> None:
    """One customer (entity E-1), two accounts: B-1 is suspended on 17 February (F-B1 is
    16 days past due), A-1 is not (F-A1 is 7 days past due)."""
    seed(
        store,
        [account("A-1", entity="E-1"), account("B-1", entity="E-1")],
        [
            invoice("F-A1", "A-1", date(2026, 2, 10), "100.00"),
            invoice("F-B1", "B-1", date(2026, 2, 1), "200.00"),
        ],
    )
    report = run_cycle(store.unit_of_work, CENTRAL, date(2026, 2, 17))
    assert report.suspended == ("B-1",)


def entity_payment() -> tuple[Payment, RemittanceAdvice]:
    paid = payment("P-E", "A-1", "200.00", date(2026, 2, 18))
    advice = RemittanceAdvice(
        payment_id="P-E", lines=[RemittanceLine(invoice_number="F-B1", amount_paid=eur("200.00"))]
    )
    return paid, advice


def test_central_billing_settles_a_sister_accounts_invoice_and_reactivates_it(
    any_store: Store,
) -> None:
    sister_accounts(any_store)
    paid, advice = entity_payment()

    outcome = record_payment(any_store.unit_of_work(), paid, advice, config=CENTRAL)

    assert allocations_of(any_store, "P-E") == {
        Allocation(invoice_number="F-B1", amount=eur("200.00"), kind=CASH, source_id="P-E")
    }
    assert open_amounts(any_store, "A-1", date(2026, 2, 18)) == {"F-A1": eur("100.00")}
    assert open_amounts(any_store, "B-1", date(2026, 2, 18)) == {"F-B1": eur("0.00")}
    assert outcome.event is None  # the payer was not suspended
    [sister] = outcome.entity_events
    assert isinstance(sister, AccountReactivated)
    assert (sister.account_id, sister.payment_id) == ("B-1", "P-E")
    assert not is_suspended(any_store, "B-1")
    [event] = events(any_store, "B-1", "account.reactivated")
    notice = message(any_store, event.key)
    assert notice is not None and notice.recipient == "billing@b-1.example"


def test_without_central_billing_a_sister_accounts_invoice_is_not_settled(
    memory: MemoryStore,
) -> None:
    sister_accounts(memory)
    paid, advice = entity_payment()

    outcome = record_payment(memory.unit_of_work(), paid, advice)

    # The advice names another account's invoice: the 200.00 goes to A-1's own F-A1
    # (100.00), and 100.00 stays as credit on A-1.
    assert allocations_of(memory, "P-E") == {
        Allocation(invoice_number="F-A1", amount=eur("100.00"), kind=CASH, source_id="P-E")
    }
    assert outcome.allocation is not None and outcome.allocation.unapplied == eur("100.00")
    assert outcome.entity_events == ()
    assert is_suspended(memory, "B-1")


def test_reversing_a_central_billing_payment_suspends_the_sister_again(
    any_store: Store,
) -> None:
    sister_accounts(any_store)
    paid, advice = entity_payment()
    record_payment(any_store.unit_of_work(), paid, advice, config=CENTRAL)

    outcome = reverse_payment(
        any_store.unit_of_work(), "P-E", config=CENTRAL, as_of=date(2026, 2, 20)
    )

    # F-B1 reopens: 200.00, 19 days past due on 20 February.
    assert open_amounts(any_store, "B-1", date(2026, 2, 20)) == {"F-B1": eur("200.00")}
    assert outcome.event is None  # A-1's own F-A1 is 10 days past due
    [sister] = outcome.entity_events
    assert isinstance(sister, AccountSuspended) and sister.account_id == "B-1"
    assert is_suspended(any_store, "B-1")
    assert len(events(any_store, "B-1", "account.suspended")) == 2


# --- identifying a payment in suspense by hand -------------------------------------------


def test_a_payment_in_suspense_is_assigned_by_hand_and_allocated(any_store: Store) -> None:
    from dunning_core.service.payments import assign_payment

    seed(any_store, [account("A-1")], [invoice("F-1", "A-1", date(2026, 3, 1), "80.00")])
    mystery = payment("P-7", None, "80.00", date(2026, 3, 5), bank_reference="VIREMENT")
    parked = record_payment(any_store.unit_of_work(), mystery)
    assert parked.in_suspense and parked.allocation is None

    outcome = assign_payment(any_store.unit_of_work(), "P-7", "A-1")
    assert outcome.payment.account_id == "A-1"
    assert outcome.allocation is not None
    assert [(a.invoice_number, a.amount) for a in outcome.allocation.allocations] == [
        ("F-1", eur("80.00"))
    ]
    assert open_amounts(any_store, "A-1", date(2026, 3, 5)) == {"F-1": eur("0.00")}
    again = assign_payment(any_store.unit_of_work(), "P-7", "A-1")
    assert again.repeated
    assert allocations_of(any_store, "P-7") == set(outcome.allocation.allocations)


def test_assigning_to_an_unknown_account_or_payment_raises(memory: MemoryStore) -> None:
    from dunning_core.service.payments import assign_payment

    seed(memory, [account("A-1")], [])
    record_payment(memory.unit_of_work(), payment("P-7", None, "5.00", date(2026, 3, 5)))
    with pytest.raises(UnknownRecord, match="account"):
        assign_payment(memory.unit_of_work(), "P-7", "A-404")
    with pytest.raises(UnknownRecord, match="payment"):
        assign_payment(memory.unit_of_work(), "P-404", "A-1")
    with memory.unit_of_work() as uow:
        assert uow.ledger.get_payment("P-7").account_id is None  # type: ignore[union-attr]


def test_recording_a_suspense_payment_again_with_its_account_allocates_it(
    memory: MemoryStore,
) -> None:
    seed(memory, [account("A-1")], [invoice("F-1", "A-1", date(2026, 3, 1), "50.00")])
    record_payment(memory.unit_of_work(), payment("P-8", None, "50.00", date(2026, 3, 5)))
    outcome = record_payment(
        memory.unit_of_work(), payment("P-8", "A-1", "50.00", date(2026, 3, 5))
    )
    assert not outcome.repeated
    assert outcome.allocation is not None
    assert outcome.allocation.allocations[0].invoice_number == "F-1"


def test_a_naive_datetime_is_refused_before_anything_is_written(memory: MemoryStore) -> None:
    from dunning_core.errors import InvalidAsOf

    seed(memory, [account("A-1")], [invoice("F-1", "A-1", date(2026, 3, 1), "10.00")])
    pending = payment("P-1", "A-1", "10.00", date(2026, 3, 2), status=PaymentStatus.PENDING)
    with pytest.raises(InvalidAsOf, match="as_of"):
        record_payment(memory.unit_of_work(), pending, as_of=datetime(2026, 3, 2, 9, 0))
    with pytest.raises(InvalidAsOf, match="as_of"):
        reverse_payment(memory.unit_of_work(), "P-1", as_of=datetime(2026, 3, 2, 9, 0))
    with memory.unit_of_work() as uow:
        assert uow.ledger.get_payment("P-1") is None


def test_a_factory_where_a_unit_of_work_is_expected_is_named_in_the_error(
    memory: MemoryStore,
) -> None:
    seed(memory, [account("A-1")], [])
    with pytest.raises(InvalidUnitOfWork, match=r"store.unit_of_work\(\).*call it"):
        record_payment(memory.unit_of_work, payment("P-1", "A-1", "10.00", date(2026, 2, 1)))  # type: ignore[arg-type]
    with pytest.raises(InvalidUnitOfWork, match="uow_factory"):
        run_cycle(memory.unit_of_work(), CycleConfig(), date(2026, 2, 1))  # type: ignore[arg-type]
    assert isinstance(InvalidUnitOfWork("uow", None, "x"), TypeError)


def test_the_old_at_keyword_still_works_with_a_warning(memory: MemoryStore) -> None:
    seed(memory, [account("A-1")], [invoice("F-1", "A-1", date(2026, 2, 1), "10.00")])
    with pytest.deprecated_call(match="as_of"):
        outcome = record_payment(
            memory.unit_of_work(),
            payment("P-1", "A-1", "10.00", date(2026, 2, 1)),
            at=date(2026, 2, 2),  # type: ignore[call-arg]
        )
    assert outcome.allocation is not None
