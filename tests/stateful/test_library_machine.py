"""A stateful test of the whole library (issue 15): hypothesis drives the services a user
changes accounts with, the daily cycle and the dispatcher, in any order, with crashes
injected at any write, on every store; invariants are checked after every step.

Rules: an account's new invoice, credit note, payment (identified or in suspense, with
or without a remittance advice, cleared or pending, an advice naming invoices of its
account, of another, or unknown), clearing a pending payment, assigning one in suspense,
a reversal (chargeback, failed debit), a promise to pay, a dispute and its resolution,
a hold and its lifting, an insolvency proceeding and its ruling, a write-off, a refund
of credit, a configuration change (another ladder for an account), ``run_cycle`` on a
later day, and ``dispatch`` with transient and permanent delivery failures. Any of the
writing rules may crash at its Nth write (``FaultInjector``); the rule then retries, as
an operator or a job queue would.

Invariants after every step:

- money is conserved to the minor unit, per account and currency: invoiced = paid +
  credited + withheld + written off + open;
- no invoice is allocated beyond its amount, no payment or credit note beyond its own,
  and no account has negative unapplied credit;
- no ladder stage fires twice for an invoice;
- no message is delivered twice, except by the documented crash window (a crash after
  the provider accepted a message and before SENT was committed);
- every suspended account has a reason; every reactivation a payment rule caused names
  that payment, which is cleared and allocated;
- a refused input (a typed error) leaves the store exactly as it was.

The store is a parameter (STORE_FACTORIES, a factory per kind): the memory, SQLite and
PostgreSQL stores (a throwaway server from the machine's PostgreSQL binaries); another
store joins by adding its factory. ``make test`` runs the ``ci`` size; ``make soak`` runs the
``soak`` profile, longer (STATEFUL_SIZES).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from dunning_core import Account, Contact, CreditNote, Invoice, Money, Payment
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountReactivated
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.domain.payment import AllocationKind, PaymentStatus, Refund
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.errors import DunningError, PermanentDeliveryError, TransientDeliveryError
from dunning_core.policies.ladder import LadderAssignment
from dunning_core.ports import UnitOfWork
from dunning_core.service.accounts import record_account
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.facts import (
    record_dispute,
    record_hold,
    record_proceeding,
    record_promise,
)
from dunning_core.service.invoices import record_credit_note, record_invoice
from dunning_core.service.payments import assign_payment, record_payment, reverse_payment
from dunning_core.service.refunds import refund_credit
from dunning_core.service.settings import CycleConfig
from dunning_core.service.write_offs import write_off_invoice
from dunning_core.testing.fakes import FaultInjector, FixedClock, InjectedFault

Store = Any  # MemoryStore | SqliteStore | PostgresStore: anything with unit_of_work
#: Makes a fresh store, given a fresh temporary folder.
StoreFactory = Callable[[Path], Store]


def _postgres(request: pytest.FixtureRequest) -> StoreFactory:
    from dunning_core.adapters.storage.postgres import PostgresStore

    server = request.getfixturevalue("postgres_server")  # a throwaway server (conftest)
    schemas = itertools.count(1)
    return lambda folder: PostgresStore(server.conninfo(), schema=f"machine_{next(schemas)}")


#: One store factory per kind of store, built for a test (which may need a fixture).
STORE_FACTORIES: dict[str, Callable[[pytest.FixtureRequest], StoreFactory]] = {
    "memory": lambda request: lambda folder: MemoryStore(),
    "sqlite": lambda request: lambda folder: SqliteStore(folder / "dunning.sqlite3"),
    "postgres": _postgres,
}

#: (examples, steps per example) per hypothesis profile; PostgreSQL runs a third of the
#: examples (each step is a few round trips to the server).
STATEFUL_SIZES = {"ci": (30, 40), "dev": (8, 30), "soak": (500, 80)}

START = date(2026, 1, 5)
ACCOUNTS = (
    ("A-0", "EUR", "Europe/Paris", "SMALL"),
    ("A-1", "EUR", "Pacific/Noumea", "LARGE"),
    ("A-2", "XPF", "Pacific/Noumea", "SMALL"),
)
CURRENCY = {account_id: currency for account_id, currency, _, _ in ACCOUNTS}
LADDERS = ("due-date-reminders", "five-notices-then-termination", "formal-notice-fr")

#: What the runs did, for the report (steps run, invariants checked).
STATS: Counter[str] = Counter()


def _money(units: int, currency: str) -> Money:
    # XPF has no decimals: the same draw gives amounts of a similar size.
    return Money.from_minor(units if currency == "EUR" else units // 100 + 1, currency)


class FlakyNotifier:
    """Delivers, or fails transiently or permanently, as the current ``mode`` says."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delivered: list[str] = []
        self.attempts: Counter[str] = Counter()

    def send(self, message: OutboxMessage) -> Delivery:
        attempt = self.attempts[message.key]
        self.attempts[message.key] += 1
        score = (sum(map(ord, message.key)) + attempt) % 4
        if self.mode == "transient" and score < 2:
            raise TransientDeliveryError("gateway timeout (injected)")
        if self.mode == "permanent" and score == 0:
            raise PermanentDeliveryError("mailbox unknown (injected)")
        if self.mode == "mixed" and score == 1:
            raise TransientDeliveryError("rate limited (injected)")
        if self.mode == "mixed" and score == 3 and attempt == 0:
            raise PermanentDeliveryError("number unreachable (injected)")
        self.delivered.append(message.key)
        return Delivery(provider_message_id=f"prov-{message.key}")


class LibraryMachine(RuleBasedStateMachine):
    """The library as its users drive it. Subclassed per store (see :func:`machine_for`)."""

    make_store: StoreFactory = staticmethod(lambda folder: MemoryStore())

    invoices = Bundle("invoices")
    payments = Bundle("payments")
    suspense = Bundle("suspense")
    disputes = Bundle("disputes")
    holds = Bundle("holds")
    proceedings = Bundle("proceedings")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="machine-"))
        self.store = type(self).make_store(self.folder)
        self.day = START
        self.config = CycleConfig()
        self.assignments: dict[str, LadderAssignment] = {}
        self.notifier = FlakyNotifier()
        self.lease_clock = FixedClock(datetime.combine(START, time(6), UTC))
        self.allowed_duplicates: Counter[str] = Counter()
        self.counter = 0
        self.payment_rules: list[tuple[str, str]] = []  # (payment id, account id)

    def teardown(self) -> None:
        close = getattr(self.store, "close", None)
        if close is not None:
            close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def _as_of(self) -> datetime:
        return datetime.combine(self.day, time(9), UTC)

    def _apply(
        self, change: Callable[[UnitOfWork], Any], crash_at: int | None
    ) -> Any | DunningError:
        """Run a service call, maybe crashing at its ``crash_at``-th write, then retry.

        A refused input (a typed error) must leave the store exactly as it was.
        """
        STATS["steps"] += 1
        if crash_at is not None:
            injector = FaultInjector(self.store.unit_of_work, fail_at=crash_at)
            try:
                change(injector())
            except InjectedFault:
                STATS["crashes"] += 1
            except DunningError:
                pass
        before = self._fingerprint()
        try:
            return change(self.store.unit_of_work())
        except DunningError as error:
            STATS["refused"] += 1
            refused = error
        assert self._fingerprint() == before, f"{refused!r} left writes behind"
        return refused

    def _fingerprint(self) -> str:
        ids = [a for a, _, _, _ in ACCOUNTS]
        with self.store.unit_of_work(read_only=True) as uow:
            parts = (
                uow.accounts.get_many(ids),
                uow.ledger.load(ids),
                uow.facts.load(ids),
                uow.history.actions_of(ids),
                uow.history.suspension_states(ids),
                uow.history.events_of(ids),
                uow.outbox.messages_of(ids),
                uow.ledger.unidentified_payments(limit=1000),
            )
        return repr(parts)

    # -- set-up ------------------------------------------------------------------------------

    @initialize()
    def open_accounts(self) -> None:
        for account_id, currency, zone, segment in ACCOUNTS:
            account = Account(
                id=account_id,
                name=f"Customer {account_id}",
                currency=currency,
                timezone=zone,
                segment=segment,
                locale="fr_FR" if zone == "Pacific/Noumea" else "en_US",
                contacts=[
                    Contact(
                        name="Billing",
                        email=f"{account_id.lower()}@example.com",
                        mobile="+687751234",
                    )
                ],
            )
            outcome = record_account(self.store.unit_of_work(), account, as_of=self.day)
            assert not outcome.repeated

    # -- ledger rules --------------------------------------------------------------------------

    @rule(
        target=invoices,
        account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]),
        units=st.integers(100, 50_000),
        due_in=st.integers(-20, 45),
        crash_at=st.none() | st.integers(1, 6),
    )
    def new_invoice(self, account: str, units: int, due_in: int, crash_at: int | None) -> str:
        number = self._next_id(f"F-{account}")
        invoice = Invoice(
            number=number,
            account_id=account,
            issued_on=self.day - timedelta(days=max(0, -due_in) + 1),
            due_on=self.day + timedelta(days=due_in),
            amount=_money(units, CURRENCY[account]),
        )
        result = self._apply(
            lambda uow: record_invoice(uow, invoice, config=self.config, as_of=self.day),
            crash_at,
        )
        assert not isinstance(result, DunningError), result
        return number

    @rule(
        invoice=invoices,
        units=st.integers(1, 20_000),
        targeted=st.booleans(),
        crash_at=st.none() | st.integers(1, 6),
    )
    def credit_note(self, invoice: str, units: int, targeted: bool, crash_at: int | None) -> None:
        account = _account_of(invoice)
        note = CreditNote(
            number=self._next_id("CN"),
            account_id=account,
            issued_on=self.day,
            amount=_money(units, CURRENCY[account]),
            credits_invoice=invoice if targeted else None,
        )
        self._apply(
            lambda uow: record_credit_note(uow, note, config=self.config, as_of=self.day),
            crash_at,
        )

    @rule(
        target=payments,
        invoice=invoices,
        units=st.integers(1, 60_000),
        advice=st.sampled_from(["none", "this", "unknown", "short"]),
        pending=st.booleans(),
        whole=st.booleans(),
        crash_at=st.none() | st.integers(1, 8),
    )
    def payment(
        self,
        invoice: str,
        units: int,
        advice: str,
        pending: bool,
        whole: bool,
        crash_at: int | None,
    ) -> str:
        account = _account_of(invoice)
        amount = _money(units, CURRENCY[account])
        if whole:  # the customer pays everything open (what reactivates an account)
            balance = self._balance(account)
            amount = balance if balance.is_positive else amount
        payment = Payment(
            id=self._next_id("P"),
            account_id=account,
            amount=amount,
            received_on=self.day,
            status=PaymentStatus.PENDING if pending else PaymentStatus.CLEARED,
            bank_reference=f"VIR {invoice}",
        )
        remittance = _advice(payment, invoice, advice)
        result = self._apply(
            lambda uow: record_payment(
                uow, payment, remittance, config=self.config, as_of=self.day
            ),
            crash_at,
        )
        if not isinstance(result, DunningError):
            self._check_payment_outcome(result, payment.id)
        return payment.id

    @rule(
        target=suspense,
        invoice=invoices,
        units=st.integers(1, 60_000),
        reference=st.sampled_from(["number", "nothing", "two"]),
    )
    def payment_in_suspense(self, invoice: str, units: int, reference: str) -> str:
        account = _account_of(invoice)
        text = {"number": f"Facture {invoice}", "nothing": "VIREMENT", "two": "F-A-0-1 F-A-1-2"}
        payment = Payment(
            id=self._next_id("PS"),
            account_id=None,
            amount=_money(units, CURRENCY[account]),
            received_on=self.day,
            bank_reference=text[reference],
        )
        result = self._apply(
            lambda uow: record_payment(uow, payment, config=self.config, as_of=self.day), None
        )
        if not isinstance(result, DunningError):
            self._check_payment_outcome(result, payment.id)
        return payment.id

    @rule(payment=consumes(suspense), account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]))
    def assign(self, payment: str, account: str) -> None:
        result = self._apply(
            lambda uow: assign_payment(uow, payment, account, config=self.config, as_of=self.day),
            None,
        )
        if not isinstance(result, DunningError):
            self._check_payment_outcome(result, payment)

    @rule(payment=payments)
    def clear_pending(self, payment: str) -> None:
        with self.store.unit_of_work(read_only=True) as uow:
            stored = uow.ledger.get_payment(payment)
        if stored is None or stored.status is not PaymentStatus.PENDING:
            return
        cleared = attrs.evolve(stored, status=PaymentStatus.CLEARED)
        result = self._apply(
            lambda uow: record_payment(uow, cleared, config=self.config, as_of=self.day), None
        )
        if not isinstance(result, DunningError):
            self._check_payment_outcome(result, payment)

    @rule(
        payment=consumes(payments),
        status=st.sampled_from([PaymentStatus.CHARGED_BACK, PaymentStatus.FAILED]),
        crash_at=st.none() | st.integers(1, 6),
    )
    def reversal(self, payment: str, status: PaymentStatus, crash_at: int | None) -> None:
        self._apply(
            lambda uow: reverse_payment(uow, payment, status, config=self.config, as_of=self.day),
            crash_at,
        )

    @rule(invoice=invoices, crash_at=st.none() | st.integers(1, 4))
    def write_off(self, invoice: str, crash_at: int | None) -> None:
        self._apply(
            lambda uow: write_off_invoice(
                uow, invoice, reason="uncollectible", as_of=self.day, config=self.config
            ),
            crash_at,
        )

    @rule(account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]), units=st.integers(1, 20_000))
    def refund(self, account: str, units: int) -> None:
        refund = Refund(
            id=self._next_id("R"),
            account_id=account,
            amount=_money(units, CURRENCY[account]),
            refunded_on=self.day,
        )
        self._apply(
            lambda uow: refund_credit(uow, refund, config=self.config, as_of=self.day), None
        )

    # -- facts -------------------------------------------------------------------------------

    @rule(invoice=invoices, units=st.integers(100, 30_000), days=st.integers(0, 20))
    def promise(self, invoice: str, units: int, days: int) -> None:
        account = _account_of(invoice)
        promise = PromiseToPay(
            id=self._next_id("PR"),
            account_id=account,
            made_on=self.day,
            due_on=self.day + timedelta(days=days),
            amount=_money(units, CURRENCY[account]),
            invoice_numbers=(invoice,),
        )
        self._apply(
            lambda uow: record_promise(uow, promise, config=self.config, as_of=self.day), None
        )

    @rule(target=disputes, invoice=invoices)
    def dispute(self, invoice: str) -> Dispute:
        dispute = Dispute(
            id=self._next_id("D"),
            account_id=_account_of(invoice),
            invoice_number=invoice,
            opened_on=self.day,
            reason="not delivered",
        )
        self._apply(
            lambda uow: record_dispute(uow, dispute, config=self.config, as_of=self.day), None
        )
        return dispute

    @rule(dispute=consumes(disputes))
    def resolve_dispute(self, dispute: Dispute) -> None:
        resolved = attrs.evolve(dispute, resolved_on=max(self.day, dispute.opened_on))
        self._apply(
            lambda uow: record_dispute(uow, resolved, config=self.config, as_of=self.day), None
        )

    @rule(
        target=holds,
        account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]),
        suspends=st.booleans(),
    )
    def hold(self, account: str, suspends: bool) -> Hold:
        hold = Hold(
            id=self._next_id("H"),
            account_id=account,
            reason="customer asked",
            starts_on=self.day,
            suspends=suspends,
        )
        self._apply(lambda uow: record_hold(uow, hold, config=self.config, as_of=self.day), None)
        return hold

    @rule(hold=consumes(holds))
    def lift_hold(self, hold: Hold) -> None:
        lifted = attrs.evolve(hold, ends_on=max(self.day, hold.starts_on))
        self._apply(lambda uow: record_hold(uow, lifted, config=self.config, as_of=self.day), None)

    @rule(target=proceedings, account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]))
    def insolvency(self, account: str) -> InsolvencyProceeding:
        proceeding = InsolvencyProceeding(
            id=self._next_id("I"), account_id=account, kind="RECEIVERSHIP", opened_on=self.day
        )
        self._apply(
            lambda uow: record_proceeding(uow, proceeding, config=self.config, as_of=self.day),
            None,
        )
        return proceeding

    @rule(proceeding=consumes(proceedings))
    def ruling(self, proceeding: InsolvencyProceeding) -> None:
        ruled = attrs.evolve(proceeding, ruled_on=max(self.day, proceeding.opened_on))
        self._apply(
            lambda uow: record_proceeding(uow, ruled, config=self.config, as_of=self.day), None
        )

    @rule(account=st.sampled_from([a for a, _, _, _ in ACCOUNTS]), ladder=st.sampled_from(LADDERS))
    def change_ladder(self, account: str, ladder: str) -> None:
        STATS["steps"] += 1
        current = self.assignments.get(account)
        allowed = None if current is None else current.next_change_allowed_on
        if allowed is not None and self.day < allowed:
            return
        self.assignments[account] = LadderAssignment(
            account_id=account, ladder=ladder, changed_on=self.day
        )
        self.config = attrs.evolve(self.config, assignments=dict(self.assignments))

    # -- time: the daily cycle and the dispatcher --------------------------------------------

    @rule(
        days=st.integers(1, 20),
        crash_at=st.none() | st.integers(1, 25),
        mode=st.sampled_from(["ok", "transient", "permanent", "mixed"]),
    )
    def next_day(self, days: int, crash_at: int | None, mode: str) -> None:
        """The daily job: the cycle of a later day (maybe crashing, then resumed), then
        the dispatcher."""
        STATS["steps"] += 1
        self.day += timedelta(days=days)
        if crash_at is not None:
            injector = FaultInjector(self.store.unit_of_work, fail_at=crash_at)
            try:
                run_cycle(injector, self.config, self.day, batch_size=2)
            except InjectedFault:
                STATS["crashes"] += 1
        report = run_cycle(self.store.unit_of_work, self.config, self.day, batch_size=2)
        assert report.errors == (), report.errors
        STATS["suspensions"] += len(report.suspended)
        STATS["messages"] += report.messages
        self._dispatch(mode, None)

    @rule(weeks=st.integers(1, 5), mode=st.sampled_from(["ok", "transient", "mixed"]))
    def weeks_later(self, weeks: int, mode: str) -> None:
        """Time passing, a daily job on each of its days (stages on the right day,
        suspensions after 15 or 30 days overdue, promises broken, leases lapsed)."""
        for _ in range(weeks * 7):
            self.next_day(days=1, crash_at=None, mode=mode)

    @rule(
        mode=st.sampled_from(["ok", "transient", "permanent", "mixed"]),
        crash_at=st.none() | st.integers(1, 12),
    )
    def dispatch_outbox(self, mode: str, crash_at: int | None) -> None:
        STATS["steps"] += 1
        self._dispatch(mode, crash_at)

    def _dispatch(self, mode: str, crash_at: int | None) -> None:
        self.notifier.mode = mode
        now = datetime.combine(self.day, time(10), UTC) + timedelta(hours=6)
        self.lease_clock.advance(timedelta(minutes=10))  # earlier leases have lapsed
        if crash_at is not None:
            injector = FaultInjector(self.store.unit_of_work, fail_at=crash_at, stores={"outbox"})
            delivered_before = len(self.notifier.delivered)
            try:
                dispatch(injector, self.notifier, now, lease_clock=self.lease_clock)
            except InjectedFault:
                STATS["crashes"] += 1
                if (
                    injector.failed_on == "outbox.mark_sent"
                    and len(self.notifier.delivered) > delivered_before
                ):
                    # The documented window: accepted by the provider, SENT not recorded.
                    self.allowed_duplicates[self.notifier.delivered[-1]] += 1
            self.lease_clock.advance(timedelta(minutes=10))
        sent = dispatch(self.store.unit_of_work, self.notifier, now, lease_clock=self.lease_clock)
        STATS["deliveries"] += sent.sent

    # -- checks of one step ------------------------------------------------------------------

    def _balance(self, account_id: str) -> Money:
        from dunning_core.domain.statement import build_statement

        with self.store.unit_of_work(read_only=True) as uow:
            account = uow.accounts.get(account_id)
            ledger = uow.ledger.load([account_id])[account_id]
        assert account is not None
        statement = build_statement(
            account,
            self.day,
            invoices=ledger.invoices,
            credit_notes=ledger.credit_notes,
            payments=ledger.payments,
            allocations=ledger.allocations,
            refunds=ledger.refunds,
        )
        return statement.balance

    def _check_payment_outcome(self, outcome: Any, payment_id: str) -> None:
        events = (outcome.event, *getattr(outcome, "entity_events", ()))
        for event in events:
            if isinstance(event, AccountReactivated) and event.account_id == (
                outcome.payment.account_id
            ):
                STATS["reactivations"] += 1
                assert event.payment_id == payment_id
                with self.store.unit_of_work(read_only=True) as uow:
                    stored = uow.ledger.get_payment(payment_id)
                    sources = uow.ledger.allocations_of_source(payment_id)
                assert stored is not None and stored.status is PaymentStatus.CLEARED
                assert sources, "a reactivating payment is allocated"

    # -- invariants --------------------------------------------------------------------------

    def _ledgers(self) -> dict[str, Any]:
        ids = [a for a, _, _, _ in ACCOUNTS]
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.ledger.load(ids)

    @invariant()
    def money_is_conserved_per_account_and_currency(self) -> None:
        STATS["invariants"] += 1
        from dunning_core.domain.statement import build_statement

        ledgers = self._ledgers()
        with self.store.unit_of_work(read_only=True) as uow:
            accounts = uow.accounts.get_many(ledgers)
        for account_id, ledger in ledgers.items():
            allocated: Counter[tuple[str, str]] = Counter()  # (currency, kind) -> minor units
            by_invoice = {i.number: i for i in ledger.invoices}
            for allocation in ledger.allocations:
                if allocation.invoice_number in by_invoice:
                    allocated[(allocation.amount.currency, allocation.kind.value)] += (
                        allocation.amount.minor_units
                    )
            statement = build_statement(
                accounts[account_id],
                self.day + timedelta(days=400),
                invoices=ledger.invoices,
                credit_notes=ledger.credit_notes,
                payments=ledger.payments,
                allocations=ledger.allocations,
                charges=ledger.charges,
                refunds=ledger.refunds,
            )
            for currency in {i.amount.currency for i in ledger.invoices}:
                invoiced = sum(
                    i.amount.minor_units for i in ledger.invoices if i.amount.currency == currency
                )
                paid = allocated[(currency, "CASH")] + allocated[(currency, "CREDIT")]
                credited = allocated[(currency, "CREDIT_NOTE")]
                withheld = allocated[(currency, "WITHHOLDING")] + allocated[(currency, "DISCOUNT")]
                written_off = allocated[(currency, "WRITE_OFF")]
                open_ = sum(
                    item.open_amount.minor_units
                    for item in statement.items
                    if item.invoice.amount.currency == currency
                )
                assert invoiced == paid + credited + withheld + written_off + open_, (
                    account_id,
                    currency,
                    invoiced,
                    paid,
                    credited,
                    withheld,
                    written_off,
                    open_,
                )
            assert not statement.unapplied.is_negative

    @invariant()
    def nothing_is_allocated_beyond_its_amount(self) -> None:
        STATS["invariants"] += 1
        ledgers = self._ledgers()
        on_invoice: Counter[str] = Counter()
        from_source: Counter[str] = Counter()
        invoices: dict[str, int] = {}
        sources: dict[str, int] = {}
        for ledger in ledgers.values():
            invoices.update({i.number: i.amount.minor_units for i in ledger.invoices})
            sources.update({p.id: p.amount.minor_units for p in ledger.payments})
            sources.update({n.number: n.amount.minor_units for n in ledger.credit_notes})
            for allocation in set(ledger.allocations):
                on_invoice[allocation.invoice_number] += allocation.amount.minor_units
                if allocation.kind in (
                    AllocationKind.CASH,
                    AllocationKind.CREDIT,
                    AllocationKind.CREDIT_NOTE,
                ):
                    from_source[allocation.source_id] += allocation.amount.minor_units
        for number, total in on_invoice.items():
            assert total <= invoices[number], (number, total, invoices[number])
        for source, total in from_source.items():
            if source in sources:
                assert total <= sources[source], (source, total, sources[source])

    @invariant()
    def no_stage_fires_twice(self) -> None:
        STATS["invariants"] += 1
        ids = [a for a, _, _, _ in ACCOUNTS]
        with self.store.unit_of_work(read_only=True) as uow:
            history = uow.history.actions_of(ids)
        # An operation stage with channels records the operation (no channel) and one
        # notice per channel: each of those at most once per invoice.
        fired: Counter[tuple[str, str, str, str]] = Counter()
        for records in history.values():
            for record in records:
                if not record.skipped:
                    for number in record.invoice_numbers:
                        fired[(record.ladder, record.stage, record.channel, number)] += 1
        assert [key for key, n in fired.items() if n > 1] == []

    @invariant()
    def no_message_is_delivered_twice_but_in_the_crash_window(self) -> None:
        STATS["invariants"] += 1
        delivered = Counter(self.notifier.delivered)
        for key, count in delivered.items():
            assert count <= 1 + self.allowed_duplicates[key], (key, count)
        ids = [a for a, _, _, _ in ACCOUNTS]
        with self.store.unit_of_work(read_only=True) as uow:
            messages = [m for ms in uow.outbox.messages_of(ids).values() for m in ms]
        for message in messages:
            if message.status is OutboxStatus.SENT:
                assert delivered[message.key] >= 1, message.key

    @invariant()
    def every_suspended_account_has_a_reason(self) -> None:
        STATS["invariants"] += 1
        ids = [a for a, _, _, _ in ACCOUNTS]
        with self.store.unit_of_work(read_only=True) as uow:
            states = uow.history.suspension_states(ids)
        for state in states.values():
            if state.suspended:
                assert state.reason_codes, state


def _account_of(invoice_number: str) -> str:
    # Numbers are "F-<account>-<n>": the account is the middle.
    return invoice_number.rsplit("-", 1)[0].removeprefix("F-")


def _advice(payment: Payment, invoice: str, kind: str) -> RemittanceAdvice | None:
    if kind == "none":
        return None
    number = {"this": invoice, "short": invoice, "unknown": "F-NOWHERE-1"}[kind]
    amount = payment.amount
    if kind == "short" and amount.minor_units > 1:
        line = RemittanceLine(
            invoice_number=number,
            amount_paid=amount,
            tax_withheld=Money.from_minor(max(1, amount.minor_units // 20), amount.currency),
            certificate="WHT-1",
        )
    else:
        line = RemittanceLine(invoice_number=number, amount_paid=amount)
    return RemittanceAdvice(payment_id=payment.id, lines=[line])


def machine_for(kind: str, factory: StoreFactory) -> type[LibraryMachine]:
    """The state machine over stores made by ``factory``."""
    return type(f"LibraryMachine_{kind}", (LibraryMachine,), {"make_store": staticmethod(factory)})


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(STORE_FACTORIES))
def test_the_library_keeps_its_invariants_under_any_sequence_of_uses(
    kind: str, request: pytest.FixtureRequest
) -> None:
    examples, steps = STATEFUL_SIZES.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), (8, 25))
    if kind == "postgres":
        examples = max(4, examples // 3)
    before = STATS.copy()
    run_state_machine_as_test(
        machine_for(kind, STORE_FACTORIES[kind](request)),
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    ran = STATS - before
    print(  # the figures the report quotes (pytest -s shows them)
        f"\nstateful[{kind}]: {ran['steps']} steps, {ran['invariants']} invariant checks, "
        f"{ran['crashes']} injected crashes, {ran['refused']} refused inputs, "
        f"{ran['reactivations']} reactivations by payment, {ran['suspensions']} suspensions "
        f"by the cycle, {ran['messages']} messages written, {ran['deliveries']} delivered"
    )
    assert ran["steps"] > 0 and ran["invariants"] > 0
