"""The PostgreSQL store's ports: SQL for each, rows translated by ``_pg_rows``.

Batch writes send one array per column and insert ``SELECT * FROM unnest(...)``: one
statement and one round trip per batch whatever its size, the same text every time (so
it is prepared once), with ``ON CONFLICT`` for the keyed tables. Batch reads pass the
ids as one array (``= ANY(%s)``): a fixed number of queries per batch of accounts,
never one per account or per invoice.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs
import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from dunning_core.adapters.storage import _pg_rows as rows
from dunning_core.adapters.storage._checks import check_replay, claim_arguments, page_limit
from dunning_core.adapters.storage._sqlite_rows import optional_attachments
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
    CorruptRecord,
    InvalidField,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    UnknownRecord,
)
from dunning_core.ports import AccountLedger
from dunning_core.sharding import Shard, check_shard

if TYPE_CHECKING:
    from dunning_core.adapters.storage.postgres import PostgresUnitOfWork

P = ParamSpec("P")
R = TypeVar("R")

# SQLSTATEs after which retrying the whole unit of work may succeed.
_BUSY = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.QueryCanceled,
)
# The server went away or refuses connections for now (shutdown, restart, crash).
_GONE = (
    pg_errors.AdminShutdown,
    pg_errors.CrashShutdown,
    pg_errors.CannotConnectNow,
    pg_errors.ConnectionException,
)

logger = logging.getLogger("dunning_core")


def store_error(error: Exception) -> StoreError:
    """Translate a psycopg (or pool) error into the library's own."""
    message = str(error).strip() or type(error).__name__
    if isinstance(error, pg_errors.IntegrityError):
        return ConstraintViolation(message)
    if isinstance(error, _BUSY):
        return StoreBusy(message)
    if isinstance(error, (psycopg_pool.PoolTimeout, *_GONE)):
        return StoreUnavailable(message)
    if isinstance(error, psycopg.OperationalError) and getattr(error, "sqlstate", None) is None:
        return StoreUnavailable(message)  # the connection broke: no server answer at all
    return StoreError(message)


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """Decorator: psycopg errors raised by ``method`` come out as StoreError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
            raise store_error(error) from error

    return wrapper


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def insert_sql(table: str, columns: rows.Columns, tail: str = "") -> str:
    """``INSERT INTO {s}.table (...) SELECT * FROM unnest(%s::type[], ...) tail``."""
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
    return (
        f"INSERT INTO {{s}}.{table} ({rows.names(columns)}) SELECT * FROM unnest({arrays}) {tail}"
    ).rstrip()


def _upsert_tail(columns: rows.Columns, key: str) -> str:
    updates = ", ".join(f"{name} = excluded.{name}" for name, _ in columns if name != key)
    return f"ON CONFLICT ({key}) DO UPDATE SET {updates}"


def _as_columns(values: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    if not values:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*values, strict=True)]


def _last_per_key(values: Iterable[tuple[Any, ...]], key: int) -> list[tuple[Any, ...]]:
    """One row per key, the last one given (an upsert cannot touch a row twice)."""
    return list({row[key]: row for row in values}.values())


def _select(table: str, columns: rows.Columns, where: str, order: str = "") -> str:
    tail = f" ORDER BY {order}" if order else ""
    return f"SELECT {rows.names(columns)} FROM {{s}}.{table} WHERE {where}{tail}"


class _Part:
    __slots__ = ("_uow",)

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self._uow.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._uow.execute(sql, params).fetchone()

    def _write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        return self._uow.execute(sql, params, write=True).rowcount

    def _write_rows(self, sql: str, values: Sequence[tuple[Any, ...]], width: int) -> int:
        if not values:
            return 0
        return self._write(sql, _as_columns(values, width))


class PostgresAccounts(_Part):
    """:class:`~dunning_core.ports.AccountStore` on PostgreSQL."""

    _UPSERT = insert_sql("accounts", rows.ACCOUNT_COLUMNS, _upsert_tail(rows.ACCOUNT_COLUMNS, "id"))
    _GET_MANY = _select("accounts", rows.ACCOUNT_COLUMNS, "id = ANY(%s::text[])", "id")

    @translated
    def add(self, account: Account) -> None:
        self.add_many([account])

    @translated
    def add_many(self, accounts: Iterable[Account]) -> None:
        values = _last_per_key(map(rows.account_row, accounts), 0)
        self._write_rows(self._UPSERT, values, len(rows.ACCOUNT_COLUMNS))

    @translated
    def get(self, account_id: str) -> Account | None:
        return self.get_many([account_id]).get(account_id)

    @translated
    def get_many(self, account_ids: Iterable[str]) -> dict[str, Account]:
        ids = _unique(account_ids)
        if not ids:
            return {}
        found = self._fetch(self._uow.locking(self._GET_MANY), (ids,))
        self._uow.mark_locked(ids)
        return {row[0]: rows.account_from_row(row) for row in found}

    @translated
    def iter_ids(
        self, *, after: str | None = None, limit: int = 500, shard: Shard | None = None
    ) -> list[str]:
        checked = check_shard(shard)
        page_limit(limit)
        clauses: list[str] = []
        params: list[str | int] = []
        if after is not None:
            clauses.append("id > %s")
            params.append(after)
        if checked is not None:
            clauses.append("shard_key %% %s = %s")
            params.extend((checked[1], checked[0]))
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        sql = f"SELECT id FROM {{s}}.accounts {where}ORDER BY id LIMIT %s"
        return [row[0] for row in self._fetch(sql, (*params, limit))]

    @translated
    def ids_of_entity(self, billing_entity_id: str) -> list[str]:
        sql = "SELECT id FROM {s}.accounts WHERE billing_entity_id = %s ORDER BY id"
        return [row[0] for row in self._fetch(sql, (billing_entity_id,))]

    @translated
    def count(self) -> int:
        return int(self._one("SELECT count(*) FROM {s}.accounts")[0])


class PostgresLedger(_Part):
    """:class:`~dunning_core.ports.LedgerStore` on PostgreSQL."""

    _INVOICE_UPSERT = insert_sql(
        "invoices", rows.INVOICE_COLUMNS, _upsert_tail(rows.INVOICE_COLUMNS, "number")
    )
    _NOTE_UPSERT = insert_sql(
        "credit_notes", rows.CREDIT_NOTE_COLUMNS, _upsert_tail(rows.CREDIT_NOTE_COLUMNS, "number")
    )
    _CHARGES = insert_sql("charges", rows.CHARGE_COLUMNS, "ON CONFLICT DO NOTHING")
    _PAYMENT = insert_sql("payments", rows.PAYMENT_COLUMNS, "ON CONFLICT DO NOTHING")
    _REFUND = insert_sql("refunds", rows.REFUND_COLUMNS, "ON CONFLICT DO NOTHING")
    _ALLOCATIONS = insert_sql("allocations", rows.ALLOCATION_COLUMNS)
    _LINES = insert_sql("remittance_lines", rows.REMITTANCE_LINE_COLUMNS)
    _ALLOCATION_NAMES = ", ".join(f"a.{name}" for name, _ in rows.ALLOCATION_COLUMNS)
    _ALLOCATIONS_OF_ACCOUNTS = (
        f"SELECT i.account_id, a.seq, {_ALLOCATION_NAMES} FROM {{s}}.invoices i "
        "JOIN {s}.allocations a ON a.invoice_number = i.number "
        "WHERE i.account_id = ANY(%(ids)s::text[]) "
        f"UNION ALL SELECT p.account_id, a.seq, {_ALLOCATION_NAMES} FROM {{s}}.payments p "
        "JOIN {s}.allocations a ON a.source_id = p.id WHERE p.account_id = ANY(%(ids)s::text[]) "
        f"UNION ALL SELECT c.account_id, a.seq, {_ALLOCATION_NAMES} FROM {{s}}.credit_notes c "
        "JOIN {s}.allocations a ON a.source_id = c.number "
        "WHERE c.account_id = ANY(%(ids)s::text[])"
    )
    _ANY = "account_id = ANY(%s::text[])"

    @translated
    def add_invoices(self, invoices: Iterable[Invoice]) -> None:
        values = _last_per_key(map(rows.invoice_row, invoices), 1)
        self._write_rows(self._INVOICE_UPSERT, values, len(rows.INVOICE_COLUMNS))

    @translated
    def add_credit_notes(self, credit_notes: Iterable[CreditNote]) -> None:
        values = _last_per_key(map(rows.credit_note_row, credit_notes), 1)
        self._write_rows(self._NOTE_UPSERT, values, len(rows.CREDIT_NOTE_COLUMNS))

    @translated
    def add_charges(self, charges: Iterable[Charge]) -> int:
        values = list(map(rows.charge_row, charges))
        return self._write_rows(self._CHARGES, values, len(rows.CHARGE_COLUMNS))

    @translated
    def add_refund(self, refund: Refund) -> bool:
        added = self._write_rows(self._REFUND, [rows.refund_row(refund)], len(rows.REFUND_COLUMNS))
        return added == 1

    @translated
    def get_refund(self, refund_id: str) -> Refund | None:
        row = self._one(_select("refunds", rows.REFUND_COLUMNS, "id = %s"), (refund_id,))
        return None if row is None else rows.refund_from_row(row)

    @translated
    def get_invoices(self, numbers: Iterable[str]) -> dict[str, Invoice]:
        wanted = _unique(numbers)
        if not wanted:
            return {}
        sql = _select("invoices", rows.INVOICE_COLUMNS, "number = ANY(%s::text[])")
        return {row[1]: rows.invoice_from_row(row) for row in self._fetch(sql, (wanted,))}

    @translated
    def add_payment(self, payment: Payment) -> bool:
        added = self._write_rows(
            self._PAYMENT, [rows.payment_row(payment)], len(rows.PAYMENT_COLUMNS)
        )
        if added == 1:
            return True
        on_file = self.get_payment(payment.id)
        assert on_file is not None  # the insert conflicted on this id
        check_replay(on_file, payment)
        return False

    @translated
    def get_payment(self, payment_id: str) -> Payment | None:
        self._uow.lock_key("payment", payment_id)
        row = self._one(_select("payments", rows.PAYMENT_COLUMNS, "id = %s"), (payment_id,))
        return None if row is None else rows.payment_from_row(row)

    @translated
    def set_payment_status(self, payment_id: str, status: PaymentStatus) -> Payment:
        updated = self._uow.execute(
            f"UPDATE {{s}}.payments SET status = %s WHERE id = %s "
            f"RETURNING {rows.names(rows.PAYMENT_COLUMNS)}",
            (PaymentStatus(status).value, payment_id),
            write=True,
        ).fetchone()
        if updated is None:
            raise UnknownRecord("payment", payment_id)
        return rows.payment_from_row(updated)

    @translated
    def identify_payment(self, payment_id: str, account_id: str) -> Payment:
        payment = self.get_payment(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        if payment.account_id is not None:
            raise ConstraintViolation(
                f"payment {payment_id!r} is already identified to {payment.account_id!r}"
            )
        self._write(
            "UPDATE {s}.payments SET account_id = %s WHERE id = %s AND account_id IS NULL",
            (account_id, payment_id),
        )
        return attrs.evolve(payment, account_id=account_id)

    @translated
    def unidentified_payments(self, *, limit: int = 100) -> list[Payment]:
        page_limit(limit)
        sql = _select("payments", rows.PAYMENT_COLUMNS, "account_id IS NULL", "id") + " LIMIT %s"
        return [rows.payment_from_row(row) for row in self._fetch(sql, (limit,))]

    @translated
    def add_allocations(self, allocations: Iterable[Allocation]) -> None:
        values = list(map(rows.allocation_row, allocations))
        self._write_rows(self._ALLOCATIONS, values, len(rows.ALLOCATION_COLUMNS))

    @translated
    def allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        sql = _select("allocations", rows.ALLOCATION_COLUMNS, "source_id = %s", "seq")
        return tuple(rows.allocation_from_row(row) for row in self._fetch(sql, (source_id,)))

    @translated
    def remove_allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        removed = self._uow.execute(
            "WITH gone AS (DELETE FROM {s}.allocations WHERE source_id = %s "
            f"RETURNING seq, {rows.names(rows.ALLOCATION_COLUMNS)}) "
            f"SELECT {rows.names(rows.ALLOCATION_COLUMNS)} FROM gone ORDER BY seq",
            (source_id,),
            write=True,
        ).fetchall()
        return tuple(rows.allocation_from_row(row) for row in removed)

    @translated
    def add_advice(self, advice: RemittanceAdvice) -> None:
        self._write(
            "INSERT INTO {s}.remittance_advices (payment_id, reference) VALUES (%s, %s) "
            "ON CONFLICT (payment_id) DO UPDATE SET reference = excluded.reference",
            (advice.payment_id, advice.reference),
        )
        self._write("DELETE FROM {s}.remittance_lines WHERE payment_id = %s", (advice.payment_id,))
        lines = rows.remittance_line_rows(advice)
        self._write_rows(self._LINES, lines, len(rows.REMITTANCE_LINE_COLUMNS))

    @translated
    def advice_for(self, payment_id: str) -> RemittanceAdvice | None:
        head = self._one(
            "SELECT reference FROM {s}.remittance_advices WHERE payment_id = %s", (payment_id,)
        )
        if head is None:
            return None
        lines = self._fetch(
            _select(
                "remittance_lines", rows.REMITTANCE_LINE_COLUMNS, "payment_id = %s", "position"
            ),
            (payment_id,),
        )
        return rows.remittance_advice_from_rows(payment_id, head[0], lines)

    @translated
    def load(self, account_ids: Iterable[str]) -> dict[str, AccountLedger]:
        ids = _unique(account_ids)
        self._uow.lock_accounts(ids)
        invoices: dict[str, list[Invoice]] = {i: [] for i in ids}
        notes: dict[str, list[CreditNote]] = {i: [] for i in ids}
        payments: dict[str, list[Payment]] = {i: [] for i in ids}
        charges: dict[str, list[Charge]] = {i: [] for i in ids}
        refunds: dict[str, list[Refund]] = {i: [] for i in ids}
        allocations: dict[str, dict[int, Allocation]] = {i: {} for i in ids}
        if ids:
            params = (ids,)
            sql = _select("invoices", rows.INVOICE_COLUMNS, self._ANY, "account_id, number")
            for row in self._fetch(sql, params):
                invoices[row[0]].append(rows.invoice_from_row(row))
            sql = _select("credit_notes", rows.CREDIT_NOTE_COLUMNS, self._ANY, "account_id, number")
            for row in self._fetch(sql, params):
                notes[row[0]].append(rows.credit_note_from_row(row))
            sql = _select("payments", rows.PAYMENT_COLUMNS, self._ANY, "id")
            for row in self._fetch(sql, params):
                payments[row[1]].append(rows.payment_from_row(row))
            sql = _select("charges", rows.CHARGE_COLUMNS, self._ANY, "account_id, key")
            for row in self._fetch(sql, params):
                charges[row[0]].append(rows.charge_from_row(row))
            sql = _select("refunds", rows.REFUND_COLUMNS, self._ANY, "account_id, id")
            for row in self._fetch(sql, params):
                refunds[row[0]].append(rows.refund_from_row(row))
            built: dict[int, Allocation] = {}
            for row in self._fetch(self._ALLOCATIONS_OF_ACCOUNTS, {"ids": ids}):
                seq = row[1]
                allocation = built.get(seq)
                if allocation is None:
                    allocation = built[seq] = rows.allocation_from_row(row[2:])
                allocations[row[0]][seq] = allocation
        return {
            i: AccountLedger(
                account_id=i,
                invoices=tuple(invoices[i]),
                credit_notes=tuple(notes[i]),
                payments=tuple(payments[i]),
                allocations=tuple(allocations[i][seq] for seq in sorted(allocations[i])),
                charges=tuple(charges[i]),
                refunds=tuple(refunds[i]),
            )
            for i in ids
        }


class PostgresFacts(_Part):
    """:class:`~dunning_core.ports.FactsStore` on PostgreSQL."""

    _PROMISE = insert_sql(
        "promises", rows.PROMISE_COLUMNS, _upsert_tail(rows.PROMISE_COLUMNS, "id")
    )
    _DISPUTE = insert_sql(
        "disputes", rows.DISPUTE_COLUMNS, _upsert_tail(rows.DISPUTE_COLUMNS, "id")
    )
    _PROCEEDING = insert_sql(
        "proceedings", rows.PROCEEDING_COLUMNS, _upsert_tail(rows.PROCEEDING_COLUMNS, "id")
    )
    _HOLD = insert_sql("holds", rows.HOLD_COLUMNS, _upsert_tail(rows.HOLD_COLUMNS, "id"))

    @translated
    def add_promise(self, promise: PromiseToPay) -> None:
        self._write_rows(self._PROMISE, [rows.promise_row(promise)], len(rows.PROMISE_COLUMNS))

    @translated
    def add_dispute(self, dispute: Dispute) -> None:
        self._write_rows(self._DISPUTE, [rows.dispute_row(dispute)], len(rows.DISPUTE_COLUMNS))

    @translated
    def add_proceeding(self, proceeding: InsolvencyProceeding) -> None:
        self._write_rows(
            self._PROCEEDING, [rows.proceeding_row(proceeding)], len(rows.PROCEEDING_COLUMNS)
        )

    @translated
    def add_hold(self, hold: Hold) -> None:
        self._write_rows(self._HOLD, [rows.hold_row(hold)], len(rows.HOLD_COLUMNS))

    def _grouped(
        self, table: str, columns: rows.Columns, ids: list[str], build: Callable[[Any], R]
    ) -> dict[str, list[R]]:
        grouped: dict[str, list[R]] = {i: [] for i in ids}
        if ids:
            sql = _select(table, columns, "account_id = ANY(%s::text[])", "id")
            for row in self._fetch(sql, (ids,)):
                grouped[row[0]].append(build(row))
        return grouped

    @translated
    def load(self, account_ids: Iterable[str]) -> dict[str, AccountFacts]:
        ids = _unique(account_ids)
        self._uow.lock_accounts(ids)
        promises = self._grouped("promises", rows.PROMISE_COLUMNS, ids, rows.promise_from_row)
        disputes = self._grouped("disputes", rows.DISPUTE_COLUMNS, ids, rows.dispute_from_row)
        proceedings = self._grouped(
            "proceedings", rows.PROCEEDING_COLUMNS, ids, rows.proceeding_from_row
        )
        holds = self._grouped("holds", rows.HOLD_COLUMNS, ids, rows.hold_from_row)
        return {
            i: AccountFacts(
                account_id=i,
                promises=promises[i],
                disputes=disputes[i],
                proceedings=proceedings[i],
                holds=holds[i],
            )
            for i in ids
        }


class PostgresHistory(_Part):
    """:class:`~dunning_core.ports.HistoryStore` on PostgreSQL."""

    _ACTIONS = insert_sql("actions", rows.ACTION_COLUMNS, "ON CONFLICT DO NOTHING")
    _EVENTS = insert_sql("events", rows.EVENT_COLUMNS, "ON CONFLICT DO NOTHING")
    _SUSPENSIONS = insert_sql(
        "suspension_states",
        rows.SUSPENSION_COLUMNS,
        _upsert_tail(rows.SUSPENSION_COLUMNS, "account_id"),
    )
    _CREDIT = insert_sql(
        "credit_alert_states",
        rows.CREDIT_ALERT_COLUMNS,
        _upsert_tail(rows.CREDIT_ALERT_COLUMNS, "account_id"),
    )
    _ANY = "account_id = ANY(%s::text[])"

    @translated
    def add_actions(self, records: Iterable[ActionRecord]) -> int:
        values = list(map(rows.action_row, records))
        return self._write_rows(self._ACTIONS, values, len(rows.ACTION_COLUMNS))

    @translated
    def get_action(self, key: str) -> ActionRecord | None:
        row = self._one(_select("actions", rows.ACTION_COLUMNS, "key = %s"), (key,))
        return None if row is None else rows.action_from_row(row)

    def _per_account(
        self,
        table: str,
        columns: rows.Columns,
        order: str,
        ids: list[str],
        build: Callable[[Any], R],
    ) -> dict[str, tuple[R, ...]]:
        grouped: dict[str, list[R]] = {i: [] for i in ids}
        if ids:
            for row in self._fetch(_select(table, columns, self._ANY, order), (ids,)):
                grouped[row[0]].append(build(row))
        return {i: tuple(found) for i, found in grouped.items()}

    @translated
    def actions_of(self, account_ids: Iterable[str]) -> dict[str, tuple[ActionRecord, ...]]:
        return self._per_account(
            "actions",
            rows.ACTION_COLUMNS,
            "account_id, fired_on, key",
            _unique(account_ids),
            rows.action_from_row,
        )

    def _states(
        self, table: str, columns: rows.Columns, ids: list[str], build: Callable[[Any], R]
    ) -> dict[str, R]:
        if not ids:
            return {}
        return {
            row[0]: build(row) for row in self._fetch(_select(table, columns, self._ANY), (ids,))
        }

    @translated
    def suspension_states(self, account_ids: Iterable[str]) -> dict[str, SuspensionState]:
        return self._states(
            "suspension_states",
            rows.SUSPENSION_COLUMNS,
            _unique(account_ids),
            rows.suspension_from_row,
        )

    @translated
    def put_suspension_states(self, states: Iterable[SuspensionState]) -> None:
        values = _last_per_key(map(rows.suspension_row, states), 0)
        self._write_rows(self._SUSPENSIONS, values, len(rows.SUSPENSION_COLUMNS))

    @translated
    def credit_alert_states(self, account_ids: Iterable[str]) -> dict[str, CreditAlertState]:
        return self._states(
            "credit_alert_states",
            rows.CREDIT_ALERT_COLUMNS,
            _unique(account_ids),
            rows.credit_alert_from_row,
        )

    @translated
    def put_credit_alert_states(self, states: Iterable[CreditAlertState]) -> None:
        values = _last_per_key(map(rows.credit_alert_row, states), 0)
        self._write_rows(self._CREDIT, values, len(rows.CREDIT_ALERT_COLUMNS))

    @translated
    def add_events(self, records: Iterable[EventRecord]) -> int:
        values = list(map(rows.event_row, records))
        return self._write_rows(self._EVENTS, values, len(rows.EVENT_COLUMNS))

    @translated
    def events_of(self, account_ids: Iterable[str]) -> dict[str, tuple[EventRecord, ...]]:
        return self._per_account(
            "events",
            rows.EVENT_COLUMNS,
            "account_id, occurred_at, key",
            _unique(account_ids),
            rows.event_from_row,
        )


class PostgresOutbox(_Part):
    """:class:`~dunning_core.ports.OutboxStore` on PostgreSQL.

    ``claim_due`` locks the due rows it takes with ``FOR UPDATE SKIP LOCKED``: concurrent
    dispatchers each take other messages, none waits for another. Each claim gets a
    fresh random lease token, the fencing token every completion must present.
    """

    _INSERT = insert_sql("outbox", rows.OUTBOX_COLUMNS, "ON CONFLICT DO NOTHING")
    _NAMES = rows.names(rows.OUTBOX_COLUMNS)
    _CLAIM = (
        "WITH due AS ("
        " SELECT key, due_at AS was_due, created_at AS was_created FROM {s}.outbox"
        " WHERE due_at IS NOT NULL AND due_at <= %(bound)s"
        # PENDING rows are due by business time, SENDING rows (lapsed leases) by the
        # lease clock: due_at holds one or the other.
        " AND ((status = 'PENDING' AND due_at <= %(now)s)"
        " OR (status = 'SENDING' AND due_at <= %(lease_now)s))"
        " ORDER BY due_at, created_at, key LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " UPDATE {s}.outbox o SET status = 'SENDING', attempts = o.attempts + 1,"
        " lease_token = gen_random_uuid()::text, lease_expires_at = %(expires)s,"
        " due_at = %(expires)s"
        " FROM due WHERE o.key = due.key"
        " RETURNING due.was_due, due.was_created, "
        + ", ".join(f"o.{name}" for name, _ in rows.OUTBOX_COLUMNS)
    )
    _FENCE = "WHERE key = %s AND status = 'SENDING' AND lease_token = %s"

    @translated
    def add_messages(self, messages: Iterable[OutboxMessage]) -> int:
        values = list(map(rows.outbox_row, messages))
        return self._write_rows(self._INSERT, values, len(rows.OUTBOX_COLUMNS))

    @translated
    def get(self, key: str) -> OutboxMessage | None:
        row = self._one(_select("outbox", rows.OUTBOX_COLUMNS, "key = %s"), (key,))
        return None if row is None else rows.outbox_from_row(row)

    @translated
    def messages_of(self, account_ids: Iterable[str]) -> dict[str, tuple[OutboxMessage, ...]]:
        ids = _unique(account_ids)
        grouped: dict[str, list[OutboxMessage]] = {i: [] for i in ids}
        if ids:
            sql = _select(
                "outbox",
                rows.OUTBOX_COLUMNS,
                "account_id = ANY(%s::text[])",
                "account_id, created_at, key",
            )
            for row in self._fetch(sql, (ids,)):
                grouped[row[1]].append(rows.outbox_from_row(row))
        return {i: tuple(found) for i, found in grouped.items()}

    @translated
    def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_for: timedelta,
        *,
        lease_now: datetime | None = None,
    ) -> list[OutboxMessage]:
        lease_now = claim_arguments(now, limit, lease_for, lease_now)
        claimed = self._uow.execute(
            self._CLAIM,
            {
                "bound": max(now, lease_now),
                "now": now,
                "lease_now": lease_now,
                "limit": limit,
                "expires": lease_now + lease_for,
            },
            write=True,
        ).fetchall()
        claimed.sort(key=lambda row: (row[0], row[1], row[2]))
        messages = []
        for row in claimed:
            try:
                messages.append(rows.outbox_from_row(row[2:]))
            except CorruptRecord as error:
                # Unreadable, so unsendable: a dead letter with the reason, rather than
                # a claim that fails for every dispatcher from now on.
                logger.warning("outbox message %r is unreadable: %s", row[2], error)
                self._write(
                    "UPDATE {s}.outbox SET status = 'DEAD', last_error = %s, "
                    "lease_token = NULL, lease_expires_at = NULL, due_at = NULL WHERE key = %s",
                    (f"unreadable row: {error}", row[2]),
                )
        return messages

    @translated
    def mark_sent(
        self,
        key: str,
        token: str,
        provider_message_id: str,
        at: datetime,
        *,
        attachments: Sequence[Attachment] | None = None,
    ) -> bool:
        # What the notifier reports it carried replaces what the message asked for.
        carried = "" if attachments is None else "attachments = %s, "
        values: tuple[Any, ...] = (provider_message_id, at)
        if attachments is not None:
            values += (optional_attachments(attachments),)
        return (
            self._write(
                "UPDATE {s}.outbox SET status = 'SENT', provider_message_id = %s, sent_at = %s, "
                f"{carried}lease_token = NULL, lease_expires_at = NULL, due_at = NULL "
                f"{self._FENCE}",
                (*values, key, token),
            )
            == 1
        )

    @translated
    def schedule_retry(self, key: str, token: str, at: datetime, error: str) -> bool:
        return (
            self._write(
                "UPDATE {s}.outbox SET status = 'PENDING', next_attempt_at = %s, due_at = %s, "
                f"last_error = %s, lease_token = NULL, lease_expires_at = NULL {self._FENCE}",
                (at, at, error, key, token),
            )
            == 1
        )

    @translated
    def mark_dead(self, key: str, token: str, error: str) -> bool:
        return (
            self._write(
                "UPDATE {s}.outbox SET status = 'DEAD', last_error = %s, lease_token = NULL, "
                f"lease_expires_at = NULL, due_at = NULL {self._FENCE}",
                (error, key, token),
            )
            == 1
        )

    @translated
    def counts(self) -> dict[OutboxStatus, int]:
        counts = dict.fromkeys(OutboxStatus, 0)
        for status, count in self._fetch("SELECT status, count(*) FROM {s}.outbox GROUP BY status"):
            counts[OutboxStatus(status)] = count
        return counts


class PostgresCheckpoints(_Part):
    """:class:`~dunning_core.ports.CheckpointStore` on PostgreSQL."""

    _PUT = (
        f"INSERT INTO {{s}}.checkpoints ({rows.names(rows.CHECKPOINT_COLUMNS)}) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (run_date, shard) DO UPDATE SET "
        "last_account_id = excluded.last_account_id, done = excluded.done, "
        "updated_at = clock_timestamp()"
    )

    @translated
    def get(self, run_date: date, shard: str) -> CycleCheckpoint | None:
        row = self._one(
            _select("checkpoints", rows.CHECKPOINT_COLUMNS, "run_date = %s AND shard = %s"),
            (run_date, shard),
        )
        return None if row is None else rows.checkpoint_from_row(row)

    @translated
    def put(self, checkpoint: CycleCheckpoint) -> None:
        self._write(self._PUT, rows.checkpoint_row(checkpoint))


_MARKED = date.min
_NEVER = date.max


def _review_day(day: object) -> date:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidField("review day", day, "must be a datetime.date")
    return day


class PostgresReviews(_Part):
    """:class:`~dunning_core.ports.ReviewStore` on PostgreSQL.

    The review day is a column of ``accounts``, marked by statement-level triggers on
    every table a write to which can change an account's evaluation (schema version 2).
    A cycle batch holds its accounts' row locks from the moment it reads them, so a mark
    another transaction makes meanwhile waits for the batch's ``schedule`` and survives
    it.
    """

    _MARK = (
        "UPDATE {s}.accounts SET next_review_on = DATE '0001-01-01' "
        "WHERE id = ANY(%s::text[]) AND next_review_on <> DATE '0001-01-01'"
    )
    _MARK_ALL = (
        "UPDATE {s}.accounts SET next_review_on = DATE '0001-01-01' "
        "WHERE next_review_on <> DATE '0001-01-01'"
    )
    _SCHEDULE = (
        "UPDATE {s}.accounts a SET next_review_on = v.day "
        "FROM unnest(%s::text[], %s::date[]) AS v(id, day) WHERE a.id = v.id"
    )
    _PUT_BASIS = (
        "INSERT INTO {s}.review_basis (id, fingerprint, latest_day) VALUES (1, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "latest_day = excluded.latest_day"
    )

    @translated
    def mark(self, account_ids: Iterable[str]) -> None:
        ids = _unique(account_ids)
        if ids:
            self._write(self._MARK, (ids,))

    @translated
    def mark_all(self) -> None:
        self._write(self._MARK_ALL)

    @translated
    def schedule(self, reviews: Mapping[str, date | None]) -> None:
        if not reviews:
            return
        ids = list(reviews)
        days = [_NEVER if day is None else _review_day(day) for day in reviews.values()]
        self._write(self._SCHEDULE, (ids, days))

    @translated
    def due(
        self,
        on: date,
        *,
        after: tuple[date, str] | None = None,
        limit: int = 500,
        shard: Shard | None = None,
    ) -> list[tuple[date, str]]:
        checked = check_shard(shard)
        page_limit(limit)
        clauses = ["next_review_on <= %s"]
        params: list[Any] = [_review_day(on)]
        if after is not None:
            clauses.append("(next_review_on, id) > (%s, %s)")
            params.extend((_review_day(after[0]), after[1]))
        if checked is not None:
            clauses.append("shard_key %% %s = %s")
            params.extend((checked[1], checked[0]))
        sql = (
            f"SELECT next_review_on, id FROM {{s}}.accounts WHERE {' AND '.join(clauses)} "
            "ORDER BY next_review_on, id LIMIT %s"
        )
        return [(row[0], row[1]) for row in self._fetch(sql, (*params, limit))]

    @translated
    def next_review_on(self, account_ids: Iterable[str]) -> dict[str, date]:
        ids = _unique(account_ids)
        if not ids:
            return {}
        sql = "SELECT id, next_review_on FROM {s}.accounts WHERE id = ANY(%s::text[])"
        return {row[0]: row[1] for row in self._fetch(sql, (ids,))}

    @translated
    def basis(self) -> ReviewBasis | None:
        row = self._one("SELECT fingerprint, latest_day FROM {s}.review_basis WHERE id = 1")
        return None if row is None else ReviewBasis(fingerprint=row[0], latest_day=row[1])

    @translated
    def put_basis(self, basis: ReviewBasis) -> None:
        self._write(self._PUT_BASIS, (basis.fingerprint, basis.latest_day))
