"""The SQLite store's ports: SQL for each, rows translated by ``_sqlite_rows``.

Batch loads send account ids in ``IN (...)`` lists padded to a power of two (repeating
the last id), so a handful of statement texts serve every batch size and stay in the
connection's prepared-statement cache. Writes go through ``executemany``.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs

from dunning_core.adapters.storage import _sqlite_rows as rows
from dunning_core.adapters.storage._checks import check_replay, claim_arguments, page_limit
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
    UnknownRecord,
)
from dunning_core.ports import AccountLedger
from dunning_core.sharding import Shard, check_shard

if TYPE_CHECKING:
    from dunning_core.adapters.storage.sqlite import SqliteUnitOfWork

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("dunning_core")

_MAX_IN = 512
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def store_error(error: sqlite3.Error) -> StoreError:
    """Translate a ``sqlite3`` error into the library's own."""
    message = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        return ConstraintViolation(message)
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in message:
        return StoreBusy(message)
    return StoreError(message)


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """Decorator: ``sqlite3`` errors raised by ``method`` come out as StoreError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as error:
            raise store_error(error) from error

    return wrapper


@functools.lru_cache(maxsize=16)
def _marks(count: int) -> str:
    return ",".join("?" * count)


def _padded_chunks(ids: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    """``(placeholders, parameters)`` per chunk of at most ``_MAX_IN`` ids."""
    for start in range(0, len(ids), _MAX_IN):
        chunk = list(ids[start : start + _MAX_IN])
        size = 1
        while size < len(chunk):
            size *= 2
        chunk.extend(chunk[-1:] * (size - len(chunk)))
        yield _marks(size), chunk


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class _Part:
    __slots__ = ("_uow",)

    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def _read(self) -> sqlite3.Connection:
        return self._uow.connection()

    def _write(self) -> sqlite3.Connection:
        return self._uow.connection(write=True)

    def _select_in(self, sql: str, ids: Sequence[str], repeat: int = 1) -> list[Any]:
        """Run ``sql`` (with ``{ids}`` where the list goes, ``repeat`` times) per chunk."""
        connection = self._read()
        found: list[Any] = []
        for marks, chunk in _padded_chunks(ids):
            found.extend(connection.execute(sql.format(ids=marks), chunk * repeat).fetchall())
        return found


class SqliteAccounts(_Part):
    """:class:`~dunning_core.ports.AccountStore` on SQLite."""

    _UPSERT = (
        f"INSERT INTO accounts ({rows.ACCOUNT_COLUMNS}) VALUES ({_marks(16)}) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, currency=excluded.currency, "
        "segment=excluded.segment, locale=excluded.locale, timezone=excluded.timezone, "
        "credit_limit_minor=excluded.credit_limit_minor, "
        "billing_entity_id=excluded.billing_entity_id, "
        "registration_id=excluded.registration_id, tags=excluded.tags, "
        "terms_kind=excluded.terms_kind, terms_days=excluded.terms_days, "
        "contacts=excluded.contacts, country=excluded.country, "
        "subdivision=excluded.subdivision"
    )

    @translated
    def add(self, account: Account) -> None:
        self._write().execute(self._UPSERT, rows.account_row(account))

    @translated
    def add_many(self, accounts: Iterable[Account]) -> None:
        self._write().executemany(self._UPSERT, map(rows.account_row, accounts))

    @translated
    def get(self, account_id: str) -> Account | None:
        row = (
            self._read()
            .execute(f"SELECT {rows.ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,))
            .fetchone()
        )
        return None if row is None else rows.account_from_row(row)

    @translated
    def get_many(self, account_ids: Iterable[str]) -> dict[str, Account]:
        sql = f"SELECT {rows.ACCOUNT_COLUMNS} FROM accounts WHERE id IN ({{ids}})"
        found = {}
        for row in self._select_in(sql, _unique(account_ids)):
            found[row[0]] = rows.account_from_row(row)
        return found

    @translated
    def iter_ids(
        self, *, after: str | None = None, limit: int = 500, shard: Shard | None = None
    ) -> list[str]:
        checked = check_shard(shard)
        page_limit(limit)
        clauses: list[str] = []
        params: list[str | int] = []
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        if checked is not None:
            clauses.append("shard_key % ? = ?")
            params.extend((checked[1], checked[0]))
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        sql = f"SELECT id FROM accounts {where}ORDER BY id LIMIT ?"
        return [row[0] for row in self._read().execute(sql, (*params, limit))]

    @translated
    def ids_of_entity(self, billing_entity_id: str) -> list[str]:
        sql = "SELECT id FROM accounts WHERE billing_entity_id = ? ORDER BY id"
        return [row[0] for row in self._read().execute(sql, (billing_entity_id,))]

    @translated
    def count(self) -> int:
        return int(self._read().execute("SELECT count(*) FROM accounts").fetchone()[0])


class SqliteLedger(_Part):
    """:class:`~dunning_core.ports.LedgerStore` on SQLite."""

    _INVOICE_UPSERT = (
        f"INSERT INTO invoices ({rows.INVOICE_COLUMNS}) VALUES ({_marks(7)}) "
        "ON CONFLICT(number) DO UPDATE SET account_id=excluded.account_id, "
        "issued_on=excluded.issued_on, due_on=excluded.due_on, "
        "amount_minor=excluded.amount_minor, currency=excluded.currency, "
        "purchase_order=excluded.purchase_order"
    )
    _NOTE_UPSERT = (
        f"INSERT INTO credit_notes ({rows.CREDIT_NOTE_COLUMNS}) VALUES ({_marks(7)}) "
        "ON CONFLICT(number) DO UPDATE SET account_id=excluded.account_id, "
        "issued_on=excluded.issued_on, amount_minor=excluded.amount_minor, "
        "currency=excluded.currency, credits_invoice=excluded.credits_invoice, "
        "reason=excluded.reason"
    )
    _ALLOCATIONS_OF_ACCOUNTS = (
        "SELECT i.account_id, a.seq, {cols} FROM invoices i "
        "JOIN allocations a ON a.invoice_number = i.number WHERE i.account_id IN ({{ids}}) "
        "UNION ALL "
        "SELECT p.account_id, a.seq, {cols} FROM payments p "
        "JOIN allocations a ON a.source_id = p.id WHERE p.account_id IN ({{ids}}) "
        "UNION ALL "
        "SELECT c.account_id, a.seq, {cols} FROM credit_notes c "
        "JOIN allocations a ON a.source_id = c.number WHERE c.account_id IN ({{ids}})"
    ).format(
        cols=", ".join(f"a.{c.strip()}" for c in rows.ALLOCATION_COLUMNS.split(",")),
    )

    @translated
    def add_invoices(self, invoices: Iterable[Invoice]) -> None:
        self._write().executemany(self._INVOICE_UPSERT, map(rows.invoice_row, invoices))

    @translated
    def add_credit_notes(self, credit_notes: Iterable[CreditNote]) -> None:
        self._write().executemany(self._NOTE_UPSERT, map(rows.credit_note_row, credit_notes))

    @translated
    def add_charges(self, charges: Iterable[Charge]) -> int:
        cursor = self._write().executemany(
            f"INSERT INTO charges ({rows.CHARGE_COLUMNS}) VALUES ({_marks(9)}) "
            "ON CONFLICT(key) DO NOTHING",
            map(rows.charge_row, charges),
        )
        return max(cursor.rowcount, 0)

    @translated
    def add_refund(self, refund: Refund) -> bool:
        cursor = self._write().execute(
            f"INSERT INTO refunds ({rows.REFUND_COLUMNS}) VALUES ({_marks(6)}) "
            "ON CONFLICT(id) DO NOTHING",
            rows.refund_row(refund),
        )
        return cursor.rowcount == 1

    @translated
    def get_refund(self, refund_id: str) -> Refund | None:
        row = (
            self._read()
            .execute(f"SELECT {rows.REFUND_COLUMNS} FROM refunds WHERE id = ?", (refund_id,))
            .fetchone()
        )
        return None if row is None else rows.refund_from_row(row)

    @translated
    def get_invoices(self, numbers: Iterable[str]) -> dict[str, Invoice]:
        sql = f"SELECT {rows.INVOICE_COLUMNS} FROM invoices WHERE number IN ({{ids}})"
        return {
            invoice.number: invoice
            for invoice in map(rows.invoice_from_row, self._select_in(sql, _unique(numbers)))
        }

    @translated
    def add_payment(self, payment: Payment) -> bool:
        cursor = self._write().execute(
            f"INSERT INTO payments ({rows.PAYMENT_COLUMNS}) VALUES ({_marks(9)}) "
            "ON CONFLICT(id) DO NOTHING",
            rows.payment_row(payment),
        )
        if cursor.rowcount == 1:
            return True
        on_file = self.get_payment(payment.id)
        assert on_file is not None  # the insert conflicted on this id
        check_replay(on_file, payment)
        return False

    @translated
    def get_payment(self, payment_id: str) -> Payment | None:
        row = (
            self._read()
            .execute(f"SELECT {rows.PAYMENT_COLUMNS} FROM payments WHERE id = ?", (payment_id,))
            .fetchone()
        )
        return None if row is None else rows.payment_from_row(row)

    @translated
    def set_payment_status(self, payment_id: str, status: PaymentStatus) -> Payment:
        connection = self._write()
        cursor = connection.execute(
            "UPDATE payments SET status = ? WHERE id = ?", (PaymentStatus(status).value, payment_id)
        )
        if cursor.rowcount != 1:
            raise UnknownRecord("payment", payment_id)
        payment = self.get_payment(payment_id)
        assert payment is not None  # updated just above, in this transaction
        return payment

    @translated
    def identify_payment(self, payment_id: str, account_id: str) -> Payment:
        payment = self.get_payment(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        if payment.account_id is not None:
            raise ConstraintViolation(
                f"payment {payment_id!r} is already identified to {payment.account_id!r}"
            )
        self._write().execute(
            "UPDATE payments SET account_id = ? WHERE id = ? AND account_id IS NULL",
            (account_id, payment_id),
        )
        return attrs.evolve(payment, account_id=account_id)

    @translated
    def unidentified_payments(self, *, limit: int = 100) -> list[Payment]:
        page_limit(limit)
        cursor = self._read().execute(
            f"SELECT {rows.PAYMENT_COLUMNS} FROM payments WHERE account_id IS NULL "
            "ORDER BY id LIMIT ?",
            (limit,),
        )
        return [rows.payment_from_row(row) for row in cursor]

    @translated
    def add_allocations(self, allocations: Iterable[Allocation]) -> None:
        self._write().executemany(
            f"INSERT INTO allocations ({rows.ALLOCATION_COLUMNS}) VALUES ({_marks(6)})",
            map(rows.allocation_row, allocations),
        )

    @translated
    def allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        cursor = self._read().execute(
            f"SELECT {rows.ALLOCATION_COLUMNS} FROM allocations WHERE source_id = ? ORDER BY seq",
            (source_id,),
        )
        return tuple(rows.allocation_from_row(row) for row in cursor)

    @translated
    def remove_allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        removed = self.allocations_of_source(source_id)
        self._write().execute("DELETE FROM allocations WHERE source_id = ?", (source_id,))
        return removed

    @translated
    def add_advice(self, advice: RemittanceAdvice) -> None:
        connection = self._write()
        connection.execute(
            "INSERT INTO remittance_advices (payment_id, reference) VALUES (?, ?) "
            "ON CONFLICT(payment_id) DO UPDATE SET reference = excluded.reference",
            (advice.payment_id, advice.reference),
        )
        connection.execute(
            "DELETE FROM remittance_lines WHERE payment_id = ?", (advice.payment_id,)
        )
        connection.executemany(
            f"INSERT INTO remittance_lines ({rows.REMITTANCE_LINE_COLUMNS}) VALUES ({_marks(9)})",
            rows.remittance_line_rows(advice),
        )

    @translated
    def advice_for(self, payment_id: str) -> RemittanceAdvice | None:
        connection = self._read()
        head = connection.execute(
            "SELECT reference FROM remittance_advices WHERE payment_id = ?", (payment_id,)
        ).fetchone()
        if head is None:
            return None
        lines = connection.execute(
            f"SELECT {rows.REMITTANCE_LINE_COLUMNS} FROM remittance_lines "
            "WHERE payment_id = ? ORDER BY position",
            (payment_id,),
        ).fetchall()
        return rows.remittance_advice_from_rows(payment_id, head[0], lines)

    @translated
    def load(self, account_ids: Iterable[str]) -> dict[str, AccountLedger]:
        ids = _unique(account_ids)
        invoices: dict[str, list[Invoice]] = {i: [] for i in ids}
        notes: dict[str, list[CreditNote]] = {i: [] for i in ids}
        payments: dict[str, list[Payment]] = {i: [] for i in ids}
        allocations: dict[str, dict[int, Allocation]] = {i: {} for i in ids}
        invoice_sql = (
            f"SELECT {rows.INVOICE_COLUMNS} FROM invoices WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, number"
        )
        for row in self._select_in(invoice_sql, ids):
            invoices[row[0]].append(rows.invoice_from_row(row))
        note_sql = (
            f"SELECT {rows.CREDIT_NOTE_COLUMNS} FROM credit_notes WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, number"
        )
        for row in self._select_in(note_sql, ids):
            notes[row[0]].append(rows.credit_note_from_row(row))
        payment_sql = (
            f"SELECT {rows.PAYMENT_COLUMNS} FROM payments WHERE account_id IN ({{ids}}) ORDER BY id"
        )
        for row in self._select_in(payment_sql, ids):
            payments[row[1]].append(rows.payment_from_row(row))
        built: dict[int, Allocation] = {}
        charges: dict[str, list[Charge]] = {i: [] for i in ids}
        charge_sql = (
            f"SELECT {rows.CHARGE_COLUMNS} FROM charges WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, key"
        )
        for row in self._select_in(charge_sql, ids):
            charges[row[0]].append(rows.charge_from_row(row))
        refunds: dict[str, list[Refund]] = {i: [] for i in ids}
        refund_sql = (
            f"SELECT {rows.REFUND_COLUMNS} FROM refunds WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, id"
        )
        for row in self._select_in(refund_sql, ids):
            refunds[row[0]].append(rows.refund_from_row(row))
        for row in self._select_in(self._ALLOCATIONS_OF_ACCOUNTS, ids, repeat=3):
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


class SqliteFacts(_Part):
    """:class:`~dunning_core.ports.FactsStore` on SQLite."""

    @staticmethod
    def _upsert(table: str, columns: str) -> str:
        names = [c.strip() for c in columns.split(",")]
        updates = ", ".join(f"{n}=excluded.{n}" for n in names if n != "id")
        return (
            f"INSERT INTO {table} ({columns}) VALUES ({_marks(len(names))}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        )

    @translated
    def add_promise(self, promise: PromiseToPay) -> None:
        sql = self._upsert("promises", rows.PROMISE_COLUMNS)
        self._write().execute(sql, rows.promise_row(promise))

    @translated
    def add_dispute(self, dispute: Dispute) -> None:
        sql = self._upsert("disputes", rows.DISPUTE_COLUMNS)
        self._write().execute(sql, rows.dispute_row(dispute))

    @translated
    def add_proceeding(self, proceeding: InsolvencyProceeding) -> None:
        sql = self._upsert("proceedings", rows.PROCEEDING_COLUMNS)
        self._write().execute(sql, rows.proceeding_row(proceeding))

    @translated
    def add_hold(self, hold: Hold) -> None:
        self._write().execute(self._upsert("holds", rows.HOLD_COLUMNS), rows.hold_row(hold))

    def _grouped(
        self, table: str, columns: str, ids: list[str], build: Callable[[Any], R]
    ) -> dict[str, list[R]]:
        grouped: dict[str, list[R]] = {i: [] for i in ids}
        sql = f"SELECT {columns} FROM {table} WHERE account_id IN ({{ids}}) ORDER BY id"
        for row in self._select_in(sql, ids):
            grouped[row[0]].append(build(row))
        return grouped

    @translated
    def load(self, account_ids: Iterable[str]) -> dict[str, AccountFacts]:
        ids = _unique(account_ids)
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


class SqliteHistory(_Part):
    """:class:`~dunning_core.ports.HistoryStore` on SQLite."""

    @translated
    def add_actions(self, records: Iterable[ActionRecord]) -> int:
        cursor = self._write().executemany(
            f"INSERT INTO actions ({rows.ACTION_COLUMNS}) VALUES ({_marks(10)}) "
            "ON CONFLICT(key) DO NOTHING",
            map(rows.action_row, records),
        )
        return max(cursor.rowcount, 0)

    @translated
    def get_action(self, key: str) -> ActionRecord | None:
        row = (
            self._read()
            .execute(f"SELECT {rows.ACTION_COLUMNS} FROM actions WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else rows.action_from_row(row)

    @translated
    def actions_of(self, account_ids: Iterable[str]) -> dict[str, tuple[ActionRecord, ...]]:
        ids = _unique(account_ids)
        grouped: dict[str, list[ActionRecord]] = {i: [] for i in ids}
        sql = (
            f"SELECT {rows.ACTION_COLUMNS} FROM actions WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, fired_on, key"
        )
        for row in self._select_in(sql, ids):
            grouped[row[0]].append(rows.action_from_row(row))
        return {i: tuple(found) for i, found in grouped.items()}

    def _states(
        self, table: str, columns: str, ids: list[str], build: Callable[[Any], R]
    ) -> dict[str, R]:
        sql = f"SELECT {columns} FROM {table} WHERE account_id IN ({{ids}})"
        return {row[0]: build(row) for row in self._select_in(sql, ids)}

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
        self._write().executemany(
            f"INSERT INTO suspension_states ({rows.SUSPENSION_COLUMNS}) VALUES ({_marks(5)}) "
            "ON CONFLICT(account_id) DO UPDATE SET suspended=excluded.suspended, "
            "reason_codes=excluded.reason_codes, since=excluded.since, "
            "requires_prepayment=excluded.requires_prepayment",
            map(rows.suspension_row, states),
        )

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
        self._write().executemany(
            f"INSERT INTO credit_alert_states ({rows.CREDIT_ALERT_COLUMNS}) VALUES (?, ?) "
            "ON CONFLICT(account_id) DO UPDATE SET fired=excluded.fired",
            map(rows.credit_alert_row, states),
        )

    @translated
    def add_events(self, records: Iterable[EventRecord]) -> int:
        cursor = self._write().executemany(
            f"INSERT INTO events ({rows.EVENT_COLUMNS}) VALUES ({_marks(5)}) "
            "ON CONFLICT(key) DO NOTHING",
            map(rows.event_row, records),
        )
        return max(cursor.rowcount, 0)

    @translated
    def events_of(self, account_ids: Iterable[str]) -> dict[str, tuple[EventRecord, ...]]:
        ids = _unique(account_ids)
        grouped: dict[str, list[EventRecord]] = {i: [] for i in ids}
        sql = (
            f"SELECT {rows.EVENT_COLUMNS} FROM events WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, occurred_at, key"
        )
        for row in self._select_in(sql, ids):
            grouped[row[0]].append(rows.event_from_row(row))
        return {i: tuple(found) for i, found in grouped.items()}


class SqliteOutbox(_Part):
    """:class:`~dunning_core.ports.OutboxStore` on SQLite."""

    _FENCE = "WHERE key = ? AND status = 'SENDING' AND lease_token = ?"

    @translated
    def add_messages(self, messages: Iterable[OutboxMessage]) -> int:
        cursor = self._write().executemany(
            f"INSERT INTO outbox ({rows.OUTBOX_COLUMNS}) VALUES ({_marks(20)}) "
            "ON CONFLICT(key) DO NOTHING",
            map(rows.outbox_row, messages),
        )
        return max(cursor.rowcount, 0)

    @translated
    def get(self, key: str) -> OutboxMessage | None:
        row = (
            self._read()
            .execute(f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else rows.outbox_from_row(row)

    @translated
    def messages_of(self, account_ids: Iterable[str]) -> dict[str, tuple[OutboxMessage, ...]]:
        ids = _unique(account_ids)
        grouped: dict[str, list[OutboxMessage]] = {i: [] for i in ids}
        sql = (
            f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox WHERE account_id IN ({{ids}}) "
            "ORDER BY account_id, created_at, key"
        )
        for row in self._select_in(sql, ids):
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
        connection = self._write()
        # due_at holds next_attempt_at while PENDING and lease_expires_at while SENDING:
        # each is compared with its own clock. The first bound lets the due_at index
        # serve the range scan.
        bound, pending_by, lapsed_by = (
            rows.instant(max(now, lease_now)),
            rows.instant(now),
            rows.instant(lease_now),
        )
        due = connection.execute(
            f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox WHERE due_at IS NOT NULL AND due_at <= ? "
            "AND ((status = 'PENDING' AND due_at <= ?) OR (status = 'SENDING' AND due_at <= ?)) "
            "ORDER BY due_at, created_at, key LIMIT ?",
            (bound, pending_by, lapsed_by, limit),
        ).fetchall()
        expires = lease_now + lease_for
        expires_text = rows.instant(expires)
        claimed, updates, unreadable = [], [], []
        for row in due:
            token = secrets.token_hex(16)
            try:
                message = rows.outbox_from_row(row)
            except CorruptRecord as error:
                # Unreadable, so unsendable: a dead letter with the reason, rather than
                # the head of the queue failing every dispatch from now on.
                logger.warning("outbox message %r is unreadable: %s", row[0], error)
                unreadable.append((f"unreadable row: {error}", row[0]))
                continue
            claimed.append(
                attrs.evolve(
                    message,
                    status=OutboxStatus.SENDING,
                    attempts=message.attempts + 1,
                    lease_token=token,
                    lease_expires_at=expires,
                )
            )
            updates.append((token, expires_text, expires_text, message.key))
        connection.executemany(
            "UPDATE outbox SET status = 'SENDING', attempts = attempts + 1, lease_token = ?, "
            "lease_expires_at = ?, due_at = ? WHERE key = ?",
            updates,
        )
        connection.executemany(
            "UPDATE outbox SET status = 'DEAD', last_error = ?, lease_token = NULL, "
            "lease_expires_at = NULL, due_at = NULL WHERE key = ?",
            unreadable,
        )
        return claimed

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
        carried = "" if attachments is None else "attachments = ?, "
        values: tuple[Any, ...] = (provider_message_id, rows.instant(at))
        if attachments is not None:
            values += (rows.optional_attachments(attachments),)
        cursor = self._write().execute(
            f"UPDATE outbox SET status = 'SENT', provider_message_id = ?, sent_at = ?, {carried}"
            f"lease_token = NULL, lease_expires_at = NULL, due_at = NULL {self._FENCE}",
            (*values, key, token),
        )
        return cursor.rowcount == 1

    @translated
    def schedule_retry(self, key: str, token: str, at: datetime, error: str) -> bool:
        at_text = rows.instant(at)
        cursor = self._write().execute(
            "UPDATE outbox SET status = 'PENDING', next_attempt_at = ?, due_at = ?, "
            f"last_error = ?, lease_token = NULL, lease_expires_at = NULL {self._FENCE}",
            (at_text, at_text, error, key, token),
        )
        return cursor.rowcount == 1

    @translated
    def mark_dead(self, key: str, token: str, error: str) -> bool:
        cursor = self._write().execute(
            "UPDATE outbox SET status = 'DEAD', last_error = ?, lease_token = NULL, "
            f"lease_expires_at = NULL, due_at = NULL {self._FENCE}",
            (error, key, token),
        )
        return cursor.rowcount == 1

    @translated
    def counts(self) -> dict[OutboxStatus, int]:
        counts = dict.fromkeys(OutboxStatus, 0)
        for status, count in self._read().execute(
            "SELECT status, count(*) FROM outbox GROUP BY status"
        ):
            counts[OutboxStatus(status)] = count
        return counts


class SqliteCheckpoints(_Part):
    """:class:`~dunning_core.ports.CheckpointStore` on SQLite."""

    @translated
    def get(self, run_date: date, shard: str) -> CycleCheckpoint | None:
        row = (
            self._read()
            .execute(
                f"SELECT {rows.CHECKPOINT_COLUMNS} FROM checkpoints "
                "WHERE run_date = ? AND shard = ?",
                (run_date.isoformat(), shard),
            )
            .fetchone()
        )
        return None if row is None else rows.checkpoint_from_row(row)

    @translated
    def put(self, checkpoint: CycleCheckpoint) -> None:
        self._write().execute(
            f"INSERT INTO checkpoints ({rows.CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(run_date, shard) DO UPDATE SET "
            "last_account_id=excluded.last_account_id, done=excluded.done",
            rows.checkpoint_row(checkpoint),
        )


_MARKED = date.min.isoformat()
_NEVER = date.max.isoformat()


def _review_day(day: object) -> str:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidField("review day", day, "must be a datetime.date")
    return day.isoformat()


class SqliteReviews(_Part):
    """:class:`~dunning_core.ports.ReviewStore` on SQLite.

    The review day is a column of ``accounts`` (``'0001-01-01'`` when marked,
    ``'9999-12-31'`` for none), set by triggers on every table a write to which can
    change an account's evaluation, and indexed by (review day, id).
    """

    _MARK = (
        f"UPDATE accounts SET next_review_on = '{_MARKED}' "
        f"WHERE id = ? AND next_review_on <> '{_MARKED}'"
    )

    @translated
    def mark(self, account_ids: Iterable[str]) -> None:
        self._write().executemany(self._MARK, ((i,) for i in _unique(account_ids)))

    @translated
    def mark_all(self) -> None:
        self._write().execute(
            f"UPDATE accounts SET next_review_on = '{_MARKED}' WHERE next_review_on <> '{_MARKED}'"
        )

    @translated
    def schedule(self, reviews: Mapping[str, date | None]) -> None:
        rows = [
            (_NEVER if day is None else _review_day(day), account_id)
            for account_id, day in reviews.items()
        ]
        self._write().executemany("UPDATE accounts SET next_review_on = ? WHERE id = ?", rows)

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
        clauses = ["next_review_on <= ?"]
        params: list[str | int] = [_review_day(on)]
        if after is not None:
            clauses.append("(next_review_on, id) > (?, ?)")
            params.extend((_review_day(after[0]), after[1]))
        if checked is not None:
            clauses.append("shard_key % ? = ?")
            params.extend((checked[1], checked[0]))
        sql = (
            f"SELECT next_review_on, id FROM accounts WHERE {' AND '.join(clauses)} "
            "ORDER BY next_review_on, id LIMIT ?"
        )
        day = date.fromisoformat
        return [(day(row[0]), row[1]) for row in self._read().execute(sql, (*params, limit))]

    @translated
    def next_review_on(self, account_ids: Iterable[str]) -> dict[str, date]:
        sql = "SELECT id, next_review_on FROM accounts WHERE id IN ({ids})"
        return {
            row[0]: date.fromisoformat(row[1]) for row in self._select_in(sql, _unique(account_ids))
        }

    @translated
    def basis(self) -> ReviewBasis | None:
        row = (
            self._read()
            .execute("SELECT fingerprint, latest_day FROM review_basis WHERE id = 1")
            .fetchone()
        )
        if row is None:
            return None
        return ReviewBasis(fingerprint=row[0], latest_day=date.fromisoformat(row[1]))

    @translated
    def put_basis(self, basis: ReviewBasis) -> None:
        self._write().execute(
            "INSERT INTO review_basis (id, fingerprint, latest_day) VALUES (1, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "latest_day = excluded.latest_day",
            (basis.fingerprint, basis.latest_day.isoformat()),
        )
