"""The in-memory store: every port in Python dicts, with real transactions.

A unit of work holds the store's lock from ``__enter__`` to ``__exit__`` (so, like
SQLite's ``BEGIN IMMEDIATE``, units of work run one at a time) and records an undo
entry for every change; a rollback replays them backwards. Nothing is visible to
another unit of work before commit, and nothing survives a rollback. Use it in tests,
in the demo and wherever the data fits in memory and need not outlive the process.

>>> from dunning_core import Account
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.commit()
>>> with store.unit_of_work() as uow:
...     uow.accounts.iter_ids()
['A-1']
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import secrets
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import attrs

from dunning_core.adapters.storage._checks import check_replay, claim_arguments, page_limit
from dunning_core.adapters.storage._undo import Table, UndoLog
from dunning_core.domain.account import Account
from dunning_core.domain.attachments import Attachment
from dunning_core.domain.charges import Charge
from dunning_core.domain.facts import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    PromiseToPay,
)
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord, ReviewBasis
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.domain.payment import Allocation, Payment, PaymentStatus, Refund
from dunning_core.domain.remittance import RemittanceAdvice
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.errors import (
    ConstraintViolation,
    InvalidField,
    StoreBusy,
    StoreError,
    UnitOfWorkClosed,
    UnknownRecord,
)
from dunning_core.ports import AccountLedger, UowFactory
from dunning_core.sharding import Shard, check_shard, shard_key

__all__ = ["MemoryStore", "MemoryUnitOfWork"]


V = TypeVar("V")
#: (due at, created at, key, row version): the memory outbox's claim order.
_DueEntry = tuple[datetime, datetime, str, int]


class _Data:
    """Every table of one memory store."""

    def __init__(self) -> None:
        log = self.log = UndoLog()
        self.accounts: Table[str, Account] = Table(log)
        self.shard_keys: dict[str, int] = {}
        self.sorted_ids: list[str] | None = []
        self.invoices: Table[str, Invoice] = Table(log, account=lambda i: i.account_id)
        self.credit_notes: Table[str, CreditNote] = Table(log, account=lambda n: n.account_id)
        self.payments: Table[str, Payment] = Table(log, account=lambda p: p.account_id)
        self.allocations: Table[int, Allocation] = Table(
            log, invoice=lambda a: a.invoice_number, source=lambda a: a.source_id
        )
        self.allocation_seq = itertools.count(1)
        self.advices: Table[str, RemittanceAdvice] = Table(log)
        self.charges: Table[str, Charge] = Table(log, account=lambda c: c.account_id)
        self.refunds: Table[str, Refund] = Table(log, account=lambda r: r.account_id)
        self.promises: Table[str, PromiseToPay] = Table(log, account=lambda f: f.account_id)
        self.disputes: Table[str, Dispute] = Table(log, account=lambda f: f.account_id)
        self.proceedings: Table[str, InsolvencyProceeding] = Table(
            log, account=lambda f: f.account_id
        )
        self.holds: Table[str, Hold] = Table(log, account=lambda f: f.account_id)
        self.actions: Table[str, ActionRecord] = Table(log, account=lambda r: r.account_id)
        self.events: Table[str, EventRecord] = Table(log, account=lambda r: r.account_id)
        self.suspensions: Table[str, SuspensionState] = Table(log)
        self.credit_alerts: Table[str, CreditAlertState] = Table(log)
        # Outbox rows carry a version from a counter that is never rolled back, so a
        # heap entry is current exactly when its version matches the row's.
        self.outbox: Table[str, tuple[OutboxMessage, int]] = Table(
            log, account=lambda row: row[0].account_id
        )
        # Claimable messages by due time: PENDING ones by next attempt (judged against
        # the caller's `now`), SENDING ones by lease expiry (judged against the lease
        # clock), so each heap is ordered on one clock.
        self.outbox_due: list[_DueEntry] = []
        self.outbox_leases: list[_DueEntry] = []
        self.outbox_versions = itertools.count(1)
        self.checkpoints: Table[tuple[date, str], CycleCheckpoint] = Table(log)
        # Each account's next review day: date.min when marked, date.max for none.
        self.reviews: Table[str, date] = Table(log)
        self.basis: Table[int, ReviewBasis] = Table(log)


class MemoryStore:
    """Every store port in memory. ``store.unit_of_work`` is the ``UowFactory``.

    Args:
        lock_timeout: Seconds a unit of work waits for another to finish before
            raising :class:`~dunning_core.errors.StoreBusy`.
    """

    def __init__(self, *, lock_timeout: float = 30.0) -> None:
        self._data = _Data()
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._lock_timeout = lock_timeout

    def unit_of_work(self, *, read_only: bool = False) -> MemoryUnitOfWork:
        """A new unit of work (enter it with ``with``).

        Args:
            read_only: Refuse writes (they raise :class:`~dunning_core.errors.StoreError`).
        """
        return MemoryUnitOfWork(self, read_only=read_only)

    def close(self) -> None:
        """Nothing to release; present so both stores can be closed alike."""

    def _acquire(self) -> None:
        if self._owner == threading.get_ident():
            raise StoreBusy("this thread is already inside a unit of work of this store")
        if not self._lock.acquire(timeout=self._lock_timeout):
            raise StoreBusy(f"another unit of work held the store for {self._lock_timeout} s")
        self._owner = threading.get_ident()

    def _release(self) -> None:
        self._owner = None
        self._lock.release()


class MemoryUnitOfWork:
    """One transaction over a :class:`MemoryStore` (see :class:`~dunning_core.ports.UnitOfWork`)."""

    def __init__(self, store: MemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self.read_only = read_only
        self._active = False
        self._used = False
        self.accounts = _Accounts(self)
        self.ledger = _Ledger(self)
        self.facts = _Facts(self)
        self.history = _History(self)
        self.outbox = _Outbox(self)
        self.checkpoints = _Checkpoints(self)
        self.reviews = _Reviews(self)

    def __enter__(self) -> Self:
        if self._used:
            raise UnitOfWorkClosed("a unit of work can be entered once; make a new one")
        self._store._acquire()
        self._used = True
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._active:
                self._store._data.log.rollback()
        finally:
            self._active = False
            self._store._release()

    def commit(self) -> None:
        """Keep every write since the last commit."""
        self._data().log.commit()

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        self._data().log.rollback()

    def _data(self) -> _Data:
        if not self._active:
            raise UnitOfWorkClosed("the store is used outside its unit of work")
        return self._store._data

    def _writable(self) -> _Data:
        data = self._data()
        if self.read_only:
            raise StoreError("this unit of work is read-only")
        return data


class _Part:
    __slots__ = ("_uow",)

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow


def _require_account(data: _Data, account_id: str | None, what: str) -> None:
    if account_id is not None and account_id not in data.accounts:
        raise ConstraintViolation(f"{what}: account {account_id!r} is not in the store")


_MARKED = date.min
_NEVER = date.max


def _mark(data: _Data, account_id: str | None) -> None:
    """Mark an account for review (a write that can change its evaluation)."""
    if account_id is not None and account_id in data.accounts:
        reviews = data.reviews
        if reviews.rows.get(account_id) != _MARKED:
            reviews.put(account_id, _MARKED)


def _mark_allocation(data: _Data, allocation: Allocation) -> None:
    """Mark the accounts an allocation touches: the invoice's and the source's."""
    invoice = data.invoices.get(allocation.invoice_number)
    if invoice is not None:
        _mark(data, invoice.account_id)
    source = allocation.source_id
    payment = data.payments.get(source)
    if payment is not None:
        _mark(data, payment.account_id)
    note = data.credit_notes.get(source)
    if note is not None:
        _mark(data, note.account_id)


def _insert_new(
    data: _Data,
    table: Table[str, Any],
    rows: Iterable[V],
    key: Callable[[V], str],
    what: str,
    put: Callable[[V], None] | None = None,
    *,
    mark: bool = True,
) -> int:
    """Insert the rows whose key is new (the first one wins), each of a known account;
    return how many were inserted. What every insert-once port method does."""
    inserted = 0
    for row in rows:
        row_key = key(row)
        if row_key in table:
            continue
        _require_account(data, getattr(row, "account_id", None), f"{what} {row_key!r}")
        if put is None:
            table.put(row_key, row)
        else:
            put(row)
        if mark:
            _mark(data, getattr(row, "account_id", None))
        inserted += 1
    return inserted


def _by_account(table: Table[str, V], ids: list[str]) -> dict[Hashable, list[V]]:
    grouped: dict[Hashable, list[V]] = {}
    for value, row in table.rows_by("account", ids):
        grouped.setdefault(value, []).append(row)
    return grouped


class _Accounts(_Part):
    def add(self, account: Account) -> None:
        self.add_many((account,))

    def add_many(self, accounts: Iterable[Account]) -> None:
        data = self._uow._writable()
        for account in accounts:
            if data.accounts.put(account.id, account) is None:
                data.shard_keys[account.id] = shard_key(account.id)
                data.sorted_ids = None
                data.log.record(_forget_sorted_ids(data))
            _mark(data, account.id)

    def get(self, account_id: str) -> Account | None:
        return self._uow._data().accounts.get(account_id)

    def get_many(self, account_ids: Iterable[str]) -> dict[str, Account]:
        rows = self._uow._data().accounts.rows
        return {i: rows[i] for i in account_ids if i in rows}

    def iter_ids(
        self, *, after: str | None = None, limit: int = 500, shard: Shard | None = None
    ) -> list[str]:
        data = self._uow._data()
        checked = check_shard(shard)
        page_limit(limit)
        if data.sorted_ids is None:
            data.sorted_ids = sorted(data.accounts.rows)
        ids = data.sorted_ids
        start = 0 if after is None else bisect.bisect_right(ids, after)
        if checked is None:
            return ids[start : start + limit]
        index, count = checked
        keys = data.shard_keys
        page: list[str] = []
        for account_id in itertools.islice(ids, start, None):
            if keys[account_id] % count == index:
                page.append(account_id)
                if len(page) >= limit:
                    break
        return page

    def ids_of_entity(self, billing_entity_id: str) -> list[str]:
        rows = self._uow._data().accounts.rows
        return sorted(i for i, a in rows.items() if a.billing_entity_id == billing_entity_id)

    def count(self) -> int:
        return len(self._uow._data().accounts)


def _forget_sorted_ids(data: _Data) -> Callable[[], None]:
    def undo() -> None:
        data.sorted_ids = None

    return undo


class _Ledger(_Part):
    def add_invoices(self, invoices: Iterable[Invoice]) -> None:
        data = self._uow._writable()
        for invoice in invoices:
            _require_account(data, invoice.account_id, f"invoice {invoice.number!r}")
            old = data.invoices.put(invoice.number, invoice)
            _mark(data, invoice.account_id)
            if old is not None:
                _mark(data, old.account_id)

    def add_credit_notes(self, credit_notes: Iterable[CreditNote]) -> None:
        data = self._uow._writable()
        for note in credit_notes:
            _require_account(data, note.account_id, f"credit note {note.number!r}")
            old = data.credit_notes.put(note.number, note)
            _mark(data, note.account_id)
            if old is not None:
                _mark(data, old.account_id)

    def get_invoices(self, numbers: Iterable[str]) -> dict[str, Invoice]:
        rows = self._uow._data().invoices.rows
        return {n: rows[n] for n in numbers if n in rows}

    def add_payment(self, payment: Payment) -> bool:
        data = self._uow._writable()
        on_file = data.payments.get(payment.id)
        if on_file is not None:
            check_replay(on_file, payment)
            return False
        _require_account(data, payment.account_id, f"payment {payment.id!r}")
        data.payments.put(payment.id, payment)
        _mark(data, payment.account_id)
        return True

    def get_payment(self, payment_id: str) -> Payment | None:
        return self._uow._data().payments.get(payment_id)

    def set_payment_status(self, payment_id: str, status: PaymentStatus) -> Payment:
        data = self._uow._writable()
        payment = data.payments.get(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        updated = attrs.evolve(payment, status=status)
        data.payments.put(payment_id, updated)
        _mark(data, payment.account_id)
        for seq in data.allocations.keys_by("source", payment_id):
            _mark_allocation(data, data.allocations.rows[seq])
        return updated

    def add_charges(self, charges: Iterable[Charge]) -> int:
        data = self._uow._writable()
        return _insert_new(data, data.charges, charges, _by_key, "charge")

    def add_refund(self, refund: Refund) -> bool:
        data = self._uow._writable()
        return bool(_insert_new(data, data.refunds, [refund], _by_refund_id, "refund"))

    def get_refund(self, refund_id: str) -> Refund | None:
        return self._uow._data().refunds.get(refund_id)

    def identify_payment(self, payment_id: str, account_id: str) -> Payment:
        data = self._uow._writable()
        payment = data.payments.get(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        if payment.account_id is not None:
            raise ConstraintViolation(
                f"payment {payment_id!r} is already identified to {payment.account_id!r}"
            )
        if account_id not in data.accounts:
            raise ConstraintViolation(f"payment {payment_id!r}: no account {account_id!r}")
        updated = attrs.evolve(payment, account_id=account_id)
        data.payments.put(payment_id, updated)
        _mark(data, account_id)
        return updated

    def unidentified_payments(self, *, limit: int = 100) -> list[Payment]:
        page_limit(limit)
        rows = self._uow._data().payments.rows
        return sorted((p for p in rows.values() if p.account_id is None), key=_by_id)[:limit]

    def add_allocations(self, allocations: Iterable[Allocation]) -> None:
        data = self._uow._writable()
        for allocation in allocations:
            if allocation.invoice_number not in data.invoices:
                raise ConstraintViolation(
                    f"allocation to invoice {allocation.invoice_number!r}: "
                    "no such invoice in the store"
                )
            data.allocations.put(next(data.allocation_seq), allocation)
            _mark_allocation(data, allocation)

    def allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        table = self._uow._data().allocations
        return tuple(table.rows[seq] for seq in sorted(table.keys_by("source", source_id)))

    def remove_allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        data = self._uow._writable()
        table = data.allocations
        removed = []
        for seq in sorted(table.keys_by("source", source_id)):
            row = table.delete(seq)
            if row is not None:
                removed.append(row)
                _mark_allocation(data, row)
        return tuple(removed)

    def add_advice(self, advice: RemittanceAdvice) -> None:
        data = self._uow._writable()
        if advice.payment_id not in data.payments:
            raise ConstraintViolation(
                f"remittance advice of payment {advice.payment_id!r}: no such payment"
            )
        data.advices.put(advice.payment_id, advice)

    def advice_for(self, payment_id: str) -> RemittanceAdvice | None:
        return self._uow._data().advices.get(payment_id)

    def load(self, account_ids: Iterable[str]) -> dict[str, AccountLedger]:
        data = self._uow._data()
        ids = list(dict.fromkeys(account_ids))
        invoices = _by_account(data.invoices, ids)
        notes = _by_account(data.credit_notes, ids)
        payments = _by_account(data.payments, ids)
        charges = _by_account(data.charges, ids)
        refunds = _by_account(data.refunds, ids)
        table = data.allocations
        result = {}
        for account_id in ids:
            invs = invoices.get(account_id, [])
            cns = notes.get(account_id, [])
            pays = payments.get(account_id, [])
            seqs: set[int] = set()
            for invoice in invs:
                seqs.update(table.keys_by("invoice", invoice.number))
            for source in itertools.chain((p.id for p in pays), (n.number for n in cns)):
                seqs.update(table.keys_by("source", source))
            result[account_id] = AccountLedger(
                account_id=account_id,
                invoices=tuple(sorted(invs, key=_by_number)),
                credit_notes=tuple(sorted(cns, key=_by_number)),
                payments=tuple(sorted(pays, key=_by_id)),
                allocations=tuple(table.rows[seq] for seq in sorted(seqs)),
                charges=tuple(sorted(charges.get(account_id, []), key=_by_key)),
                refunds=tuple(sorted(refunds.get(account_id, []), key=_by_refund_id)),
            )
        return result


def _by_number(record: Invoice | CreditNote) -> str:
    return record.number


def _by_id(record: Payment) -> str:
    return record.id


def _by_key(record: Charge) -> str:
    return record.key


def _by_refund_id(record: Refund) -> str:
    return record.id


class _Facts(_Part):
    def add_promise(self, promise: PromiseToPay) -> None:
        data = self._uow._writable()
        _require_account(data, promise.account_id, f"promise {promise.id!r}")
        old = data.promises.put(promise.id, promise)
        _mark(data, promise.account_id)
        if old is not None:
            _mark(data, old.account_id)

    def add_dispute(self, dispute: Dispute) -> None:
        data = self._uow._writable()
        _require_account(data, dispute.account_id, f"dispute {dispute.id!r}")
        old = data.disputes.put(dispute.id, dispute)
        _mark(data, dispute.account_id)
        if old is not None:
            _mark(data, old.account_id)

    def add_proceeding(self, proceeding: InsolvencyProceeding) -> None:
        data = self._uow._writable()
        _require_account(data, proceeding.account_id, f"proceeding {proceeding.id!r}")
        old = data.proceedings.put(proceeding.id, proceeding)
        _mark(data, proceeding.account_id)
        if old is not None:
            _mark(data, old.account_id)

    def add_hold(self, hold: Hold) -> None:
        data = self._uow._writable()
        _require_account(data, hold.account_id, f"hold {hold.id!r}")
        old = data.holds.put(hold.id, hold)
        _mark(data, hold.account_id)
        if old is not None:
            _mark(data, old.account_id)

    def load(self, account_ids: Iterable[str]) -> dict[str, AccountFacts]:
        data = self._uow._data()
        ids = list(dict.fromkeys(account_ids))
        promises = _by_account(data.promises, ids)
        disputes = _by_account(data.disputes, ids)
        proceedings = _by_account(data.proceedings, ids)
        holds = _by_account(data.holds, ids)
        return {
            i: AccountFacts(
                account_id=i,
                promises=sorted(promises.get(i, ()), key=_fact_id),
                disputes=sorted(disputes.get(i, ()), key=_fact_id),
                proceedings=sorted(proceedings.get(i, ()), key=_fact_id),
                holds=sorted(holds.get(i, ()), key=_fact_id),
            )
            for i in ids
        }


def _fact_id(fact: PromiseToPay | Dispute | InsolvencyProceeding | Hold) -> str:
    return fact.id


class _History(_Part):
    def add_actions(self, records: Iterable[ActionRecord]) -> int:
        data = self._uow._writable()
        return _insert_new(data, data.actions, records, _record_key, "action")

    def get_action(self, key: str) -> ActionRecord | None:
        return self._uow._data().actions.get(key)

    def actions_of(self, account_ids: Iterable[str]) -> dict[str, tuple[ActionRecord, ...]]:
        data = self._uow._data()
        ids = list(dict.fromkeys(account_ids))
        grouped = _by_account(data.actions, ids)
        return {i: tuple(sorted(grouped.get(i, ()), key=_action_order)) for i in ids}

    def suspension_states(self, account_ids: Iterable[str]) -> dict[str, SuspensionState]:
        rows = self._uow._data().suspensions.rows
        return {i: rows[i] for i in account_ids if i in rows}

    def put_suspension_states(self, states: Iterable[SuspensionState]) -> None:
        data = self._uow._writable()
        for state in states:
            _require_account(data, state.account_id, "suspension state")
            data.suspensions.put(state.account_id, state)
            _mark(data, state.account_id)

    def credit_alert_states(self, account_ids: Iterable[str]) -> dict[str, CreditAlertState]:
        rows = self._uow._data().credit_alerts.rows
        return {i: rows[i] for i in account_ids if i in rows}

    def put_credit_alert_states(self, states: Iterable[CreditAlertState]) -> None:
        data = self._uow._writable()
        for state in states:
            _require_account(data, state.account_id, "credit alert state")
            data.credit_alerts.put(state.account_id, state)
            _mark(data, state.account_id)

    def add_events(self, records: Iterable[EventRecord]) -> int:
        data = self._uow._writable()
        return _insert_new(data, data.events, records, _record_key, "event", mark=False)

    def events_of(self, account_ids: Iterable[str]) -> dict[str, tuple[EventRecord, ...]]:
        data = self._uow._data()
        ids = list(dict.fromkeys(account_ids))
        grouped = _by_account(data.events, ids)
        return {i: tuple(sorted(grouped.get(i, ()), key=_event_order)) for i in ids}


def _record_key(record: ActionRecord | EventRecord | OutboxMessage) -> str:
    return record.key


def _action_order(record: ActionRecord) -> tuple[date, str]:
    return (record.fired_on, record.key)


def _event_order(record: EventRecord) -> tuple[datetime, str]:
    return (record.occurred_at, record.key)


def _push_back(heap: list[_DueEntry], entry: _DueEntry) -> Callable[[], None]:
    def undo() -> None:
        heapq.heappush(heap, entry)

    return undo


class _Outbox(_Part):
    def _put(self, data: _Data, message: OutboxMessage) -> None:
        version = next(data.outbox_versions)
        data.outbox.put(message.key, (message, version))
        due = message.due_at
        if due is not None:
            heap = data.outbox_leases if message.status is OutboxStatus.SENDING else data.outbox_due
            heapq.heappush(heap, (due, message.created_at, message.key, version))

    def add_messages(self, messages: Iterable[OutboxMessage]) -> int:
        data = self._uow._writable()
        return _insert_new(
            data,
            data.outbox,  # rows are (message, version): ``put`` stores them
            messages,
            _record_key,
            "outbox message",
            put=lambda message: self._put(data, message),
            mark=False,
        )

    def get(self, key: str) -> OutboxMessage | None:
        row = self._uow._data().outbox.get(key)
        return None if row is None else row[0]

    def messages_of(self, account_ids: Iterable[str]) -> dict[str, tuple[OutboxMessage, ...]]:
        data = self._uow._data()
        ids = list(dict.fromkeys(account_ids))
        grouped: dict[str, list[OutboxMessage]] = {}
        for value, row in data.outbox.rows_by("account", ids):
            grouped.setdefault(str(value), []).append(row[0])
        return {
            i: tuple(sorted(grouped.get(i, ()), key=lambda m: (m.created_at, m.key))) for i in ids
        }

    def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_for: timedelta,
        *,
        lease_now: datetime | None = None,
    ) -> list[OutboxMessage]:
        lease_now = claim_arguments(now, limit, lease_for, lease_now)
        data = self._uow._writable()
        pending, leases = data.outbox_due, data.outbox_leases
        rows = data.outbox.rows
        claimed: list[OutboxMessage] = []
        while len(claimed) < limit:
            next_pending = pending[0] if pending and pending[0][0] <= now else None
            next_lapsed = leases[0] if leases and leases[0][0] <= lease_now else None
            if next_pending is None and next_lapsed is None:
                break
            if next_lapsed is None or (next_pending is not None and next_pending <= next_lapsed):
                heap = pending
            else:
                heap = leases
            entry = heapq.heappop(heap)
            data.log.record(_push_back(heap, entry))
            row = rows.get(entry[2])
            if row is None or row[1] != entry[3]:
                continue  # superseded by a later change of the message
            message = attrs.evolve(
                row[0],
                status=OutboxStatus.SENDING,
                attempts=row[0].attempts + 1,
                lease_token=secrets.token_hex(16),
                lease_expires_at=lease_now + lease_for,
            )
            self._put(data, message)
            claimed.append(message)
        return claimed

    def _release(self, key: str, token: str, **changes: Any) -> bool:
        """Apply ``changes`` and drop the lease, if ``token`` still holds it (fencing)."""
        data = self._uow._writable()
        row = data.outbox.get(key)
        if row is None:
            return False
        message = row[0]
        if message.status is not OutboxStatus.SENDING or message.lease_token != token:
            return False
        self._put(data, attrs.evolve(message, lease_token=None, lease_expires_at=None, **changes))
        return True

    def mark_sent(
        self,
        key: str,
        token: str,
        provider_message_id: str,
        at: datetime,
        *,
        attachments: Sequence[Attachment] | None = None,
    ) -> bool:
        carried: dict[str, Any] = {} if attachments is None else {"attachments": attachments}
        return self._release(
            key,
            token,
            status=OutboxStatus.SENT,
            provider_message_id=provider_message_id,
            sent_at=at,
            **carried,
        )

    def schedule_retry(self, key: str, token: str, at: datetime, error: str) -> bool:
        return self._release(
            key, token, status=OutboxStatus.PENDING, next_attempt_at=at, last_error=error
        )

    def mark_dead(self, key: str, token: str, error: str) -> bool:
        return self._release(key, token, status=OutboxStatus.DEAD, last_error=error)

    def counts(self) -> dict[OutboxStatus, int]:
        counts = dict.fromkeys(OutboxStatus, 0)
        for message, _ in self._uow._data().outbox.rows.values():
            counts[message.status] += 1
        return counts


class _Checkpoints(_Part):
    def get(self, run_date: date, shard: str) -> CycleCheckpoint | None:
        return self._uow._data().checkpoints.get((run_date, shard))

    def put(self, checkpoint: CycleCheckpoint) -> None:
        data = self._uow._writable()
        data.checkpoints.put((checkpoint.run_date, checkpoint.shard), checkpoint)


class _Reviews(_Part):
    def mark(self, account_ids: Iterable[str]) -> None:
        data = self._uow._writable()
        for account_id in account_ids:
            _mark(data, account_id)

    def mark_all(self) -> None:
        data = self._uow._writable()
        for account_id in data.accounts.rows:
            _mark(data, account_id)

    def schedule(self, reviews: Mapping[str, date | None]) -> None:
        data = self._uow._writable()
        table = data.reviews
        for account_id, day in reviews.items():
            if account_id in data.accounts:
                table.put(account_id, _NEVER if day is None else _review_day(day))

    def due(
        self,
        on: date,
        *,
        after: tuple[date, str] | None = None,
        limit: int = 500,
        shard: Shard | None = None,
    ) -> list[tuple[date, str]]:
        data = self._uow._data()
        checked = check_shard(shard)
        page_limit(limit)
        on = _review_day(on)
        days = data.reviews.rows
        keys = data.shard_keys
        found = (
            (day, account_id)
            for account_id in data.accounts.rows
            if (day := days.get(account_id, _MARKED)) <= on
            and (after is None or (day, account_id) > after)
            and (checked is None or keys[account_id] % checked[1] == checked[0])
        )
        return heapq.nsmallest(limit, found)

    def next_review_on(self, account_ids: Iterable[str]) -> dict[str, date]:
        data = self._uow._data()
        days = data.reviews.rows
        return {i: days.get(i, _MARKED) for i in account_ids if i in data.accounts}

    def basis(self) -> ReviewBasis | None:
        return self._uow._data().basis.get(0)

    def put_basis(self, basis: ReviewBasis) -> None:
        self._uow._writable().basis.put(0, basis)


def _review_day(day: object) -> date:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidField("review day", day, "must be a datetime.date")
    return day


if TYPE_CHECKING:  # mypy --strict checks here that the store satisfies every port
    _factory: UowFactory = MemoryStore().unit_of_work
