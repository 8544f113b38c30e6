"""The PostgreSQL store, for many workers on one portfolio (extra ``postgres``).

Every store port in one PostgreSQL schema, through psycopg 3 and a psycopg-pool
connection pool. The connection string comes from the caller; the library reads no
environment variable. Install with ``pip install "dunning-core[postgres]"`` (and
``psycopg[binary]`` or ``psycopg[c]`` for psycopg's C speed-ups).

Units of work: each is one transaction at ``READ COMMITTED`` on a pooled connection.
Writers are serialised **per account**, not per store: a unit of work that may write
locks the accounts it reads (``SELECT ... FOR NO KEY UPDATE``, in id order) and takes a
transaction lock on a payment id before reading it, so a read-then-write (a payment
being allocated, a cycle batch deciding suspension) never loses an update made in
between, while cycle workers on other shards run in parallel. A deadlock between two
writers (possible when one locks accounts in several steps) comes out as
:class:`~dunning_core.errors.StoreBusy`; retry the unit of work.

The schema is versioned in the database: ``schema_migrations`` lists the migrations
applied, a store applies the missing ones on open (under an advisory lock, so workers
starting together migrate once) and refuses a schema newer than it knows
(:class:`~dunning_core.errors.SchemaVersionError`).

Behind PgBouncer in transaction pooling, pass ``prepare=False``: psycopg then never
prepares statements, and nothing depends on session state (tables are named with their
schema, no ``SET`` outlives a transaction).

A store is cheap to pickle (it carries its connection string and options, not its pool),
so ``store.unit_of_work`` can be handed to worker processes; each process opens its own
pool on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import psycopg
import psycopg_pool
from psycopg import pq

from dunning_core.adapters.storage._pg_rows import register_text_adapters
from dunning_core.adapters.storage._pg_schema import MIGRATIONS
from dunning_core.adapters.storage._pg_stores import (
    PostgresAccounts,
    PostgresCheckpoints,
    PostgresFacts,
    PostgresHistory,
    PostgresLedger,
    PostgresOutbox,
    PostgresReviews,
    store_error,
    translated,
)
from dunning_core.errors import (
    InvalidField,
    SchemaVersionError,
    StoreError,
    UnitOfWorkClosed,
)
from dunning_core.ports import UowFactory

__all__ = ["SCHEMA_VERSION", "PostgresStore", "PostgresUnitOfWork"]

#: The schema version this library writes.
SCHEMA_VERSION = len(MIGRATIONS)

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _lock_key(kind: str, key: str) -> int:
    """A signed 64-bit advisory-lock key for one record."""
    digest = hashlib.blake2b(f"{kind}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresStore:
    """Every store port in one PostgreSQL schema. ``store.unit_of_work`` is the
    ``UowFactory``.

    Args:
        conninfo: A libpq connection string or URI
            (``"postgresql://dunning@db.example/billing"``).
        schema: The schema holding the tables (created if missing): a lowercase SQL
            identifier.
        prepare: Let psycopg prepare the statements it runs often (the default). Pass
            ``False`` behind PgBouncer in transaction pooling mode.
        min_connections: Connections the pool keeps open.
        max_connections: Connections the pool opens at most (one per unit of work in
            progress in this process).
        timeout: Seconds to wait for a connection (from the pool, or to the server)
            before raising :class:`~dunning_core.errors.StoreUnavailable`.
        migrate: Apply missing migrations on open (the default). With ``False`` the
            store refuses a schema that is not exactly at :data:`SCHEMA_VERSION`.

    Raises:
        InvalidField: ``schema`` is not a plain lowercase identifier.
        SchemaVersionError: the schema was written by a newer version of the library.
        StoreUnavailable: the server cannot be reached.
        StoreError: the schema is older than this library and ``migrate`` is off, or
            the database does not use the UTF8 encoding.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "dunning",
        prepare: bool = True,
        min_connections: int = 1,
        max_connections: int = 4,
        timeout: float = 30.0,
        migrate: bool = True,
    ) -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise InvalidField("schema", schema, "must be a lowercase SQL identifier")
        if min_connections < 0 or max_connections < max(1, min_connections):
            raise InvalidField(
                "max_connections", max_connections, "must be >= 1 and >= min_connections"
            )
        self.conninfo = conninfo
        self.schema = schema
        self.prepare = prepare
        self.min_connections = min_connections
        self.max_connections = max_connections
        self.timeout = timeout
        self._setup()
        if migrate:
            self.migrate()
        else:
            found = self.schema_version
            if found != SCHEMA_VERSION:
                if found > SCHEMA_VERSION:
                    raise SchemaVersionError(found, SCHEMA_VERSION)
                raise StoreError(
                    f"schema {schema!r} is at version {found}, this library needs "
                    f"{SCHEMA_VERSION}: run PostgresStore(..., migrate=True) once"
                )

    def _setup(self) -> None:
        self._pid = os.getpid()
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] | None = None
        self._guard = threading.Lock()
        self._sql: dict[str, str] = {}

    # -- pickling: carry the connection string and options, never the pool -------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "conninfo": self.conninfo,
            "schema": self.schema,
            "prepare": self.prepare,
            "min_connections": self.min_connections,
            "max_connections": self.max_connections,
            "timeout": self.timeout,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    # -- connections --------------------------------------------------------------------

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        encoding = connection.info.parameter_status("server_encoding")
        if encoding != "UTF8":
            raise StoreError(f"the database's encoding is {encoding!r}; dunning_core needs UTF8")
        register_text_adapters(connection)

    def pool(self) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        """This process's connection pool (opened on first use), for tools and tests."""
        if self._pid != os.getpid():
            # The parent's pool (its threads and sockets) must not cross a fork.
            self._setup()
        with self._guard:
            if self._pool is None:
                self._pool = psycopg_pool.ConnectionPool(
                    self.conninfo,
                    min_size=self.min_connections,
                    max_size=self.max_connections,
                    kwargs={
                        "autocommit": False,
                        "prepare_threshold": 5 if self.prepare else None,
                        "connect_timeout": max(1, int(self.timeout)),
                    },
                    configure=self._configure,
                    check=psycopg_pool.ConnectionPool.check_connection,
                    timeout=self.timeout,
                    name=f"dunning_core:{self.schema}",
                    open=True,
                )
            return self._pool

    def sql(self, template: str) -> str:
        """``template`` with ``{s}`` replaced by the quoted schema name (cached)."""
        text = self._sql.get(template)
        if text is None:
            text = self._sql[template] = template.format(s=f'"{self.schema}"')
        return text

    def _autocommit_connection(self) -> psycopg.Connection[Any]:
        try:
            connection = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=max(1, int(self.timeout))
            )
        except psycopg.Error as error:
            raise store_error(error) from error
        self._configure(connection)
        return connection

    # -- schema -------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations the schema lacks; return the schema's version.

        Concurrent callers (workers starting together) wait for each other on an
        advisory lock; each migration is recorded in ``schema_migrations`` in the
        transaction that applied it.

        Raises:
            SchemaVersionError: the schema is newer than this library.
        """
        with self._autocommit_connection() as connection:
            try:
                with connection.transaction():
                    connection.execute(
                        "SELECT pg_advisory_xact_lock(%s)", (_lock_key("migrate", self.schema),)
                    )
                    connection.execute(self.sql("CREATE SCHEMA IF NOT EXISTS {s}"))
                    connection.execute(
                        self.sql(
                            "CREATE TABLE IF NOT EXISTS {s}.schema_migrations ("
                            " version integer PRIMARY KEY,"
                            " applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                            " library text NOT NULL)"
                        )
                    )
                    version = self._version(connection)
                    if version > SCHEMA_VERSION:
                        raise SchemaVersionError(version, SCHEMA_VERSION)
                    from dunning_core._version import __version__

                    for number in range(version + 1, SCHEMA_VERSION + 1):
                        connection.execute(self.sql(MIGRATIONS[number - 1]))
                        connection.execute(
                            self.sql(
                                "INSERT INTO {s}.schema_migrations (version, library) "
                                "VALUES (%s, %s)"
                            ),
                            (number, __version__),
                        )
            except psycopg.Error as error:
                raise store_error(error) from error
        return SCHEMA_VERSION

    def _version(self, connection: psycopg.Connection[Any]) -> int:
        exists = connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".schema_migrations',)
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = connection.execute(
            self.sql("SELECT coalesce(max(version), 0) FROM {s}.schema_migrations")
        ).fetchone()
        return int(row[0]) if row else 0

    @property
    def schema_version(self) -> int:
        """The highest migration applied to the schema (0 for none)."""
        with self._autocommit_connection() as connection:
            try:
                return self._version(connection)
            except psycopg.Error as error:
                raise store_error(error) from error

    # -- cycle plans (used by dunning_core.adapters.procrastinate) -----------------------

    @translated
    def record_plan(self, run_date: date, shards: int) -> int:
        """Record that ``run_date`` is split in ``shards`` shards, unless a plan for
        that date is already on file; return the number of shards on file (the first
        plan wins).

        Raises:
            InvalidField: ``shards`` is not a positive int.
        """
        if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
            raise InvalidField("shards", shards, "must be a positive int")
        with self.pool().connection() as connection, connection.transaction():
            connection.execute(
                self.sql(
                    "INSERT INTO {s}.cycle_plans (run_date, shards) VALUES (%s, %s) "
                    "ON CONFLICT (run_date) DO NOTHING"
                ),
                (run_date, shards),
            )
            row = connection.execute(
                self.sql("SELECT shards FROM {s}.cycle_plans WHERE run_date = %s"), (run_date,)
            ).fetchone()
        assert row is not None  # inserted or already there, in this transaction
        return int(row[0])

    @translated
    def planned_shards(self, run_date: date) -> int | None:
        """The number of shards ``run_date`` was planned with, or ``None``."""
        with self.pool().connection() as connection, connection.transaction():
            row = connection.execute(
                self.sql("SELECT shards FROM {s}.cycle_plans WHERE run_date = %s"), (run_date,)
            ).fetchone()
        return None if row is None else int(row[0])

    # -- units of work ------------------------------------------------------------------

    def unit_of_work(self, *, read_only: bool = False) -> PostgresUnitOfWork:
        """A new unit of work (enter it with ``with``).

        Args:
            read_only: Begin ``READ ONLY`` (the server refuses writes), take no locks.
        """
        return PostgresUnitOfWork(self, read_only=read_only)

    def close(self) -> None:
        """Close this process's pool. The store opens a new one on next use."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.close()


class PostgresUnitOfWork:
    """One transaction on a :class:`PostgresStore` (see
    :class:`~dunning_core.ports.UnitOfWork`).

    Attributes:
        statements: How many statements this unit of work has sent (a batch read is a
            fixed number of them, whatever the batch's size).
    """

    def __init__(self, store: PostgresStore, *, read_only: bool = False) -> None:
        self._store = store
        self.read_only = read_only
        self._connection: psycopg.Connection[Any] | None = None
        self._used = False
        self._locked: set[str] = set()
        self.statements = 0
        self.accounts = PostgresAccounts(self)
        self.ledger = PostgresLedger(self)
        self.facts = PostgresFacts(self)
        self.history = PostgresHistory(self)
        self.outbox = PostgresOutbox(self)
        self.checkpoints = PostgresCheckpoints(self)
        self.reviews = PostgresReviews(self)

    def __enter__(self) -> Self:
        if self._used:
            raise UnitOfWorkClosed("a unit of work can be entered once; make a new one")
        self._used = True
        try:
            connection = self._store.pool().getconn()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
            raise store_error(error) from error
        connection.read_only = self.read_only
        self._connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.info.transaction_status != pq.TransactionStatus.IDLE:
                connection.rollback()
        except psycopg.Error as error:
            if exc is None and not connection.closed:
                raise store_error(error) from error
        finally:
            self._locked.clear()
            self._store.pool().putconn(connection)

    def connection(self) -> psycopg.Connection[Any]:
        """The connection (a transaction begins with its first statement).

        Raises:
            UnitOfWorkClosed: outside the ``with`` block.
        """
        if self._connection is None:
            raise UnitOfWorkClosed("the store is used outside its unit of work")
        return self._connection

    def execute(
        self, template: str, params: Sequence[Any] | dict[str, Any] = (), *, write: bool = False
    ) -> psycopg.Cursor[Any]:
        """Run one statement (``{s}`` in ``template`` names the schema).

        Raises:
            UnitOfWorkClosed: outside the ``with`` block.
            StoreError: ``write`` in a read-only unit of work.
        """
        connection = self.connection()
        if write and self.read_only:
            raise StoreError("this unit of work is read-only")
        self.statements += 1
        return connection.execute(self._store.sql(template), params)

    # -- locks --------------------------------------------------------------------------

    def locking(self, select: str) -> str:
        """``select`` with ``FOR NO KEY UPDATE`` in a unit of work that may write."""
        return select if self.read_only else select + " FOR NO KEY UPDATE"

    def mark_locked(self, account_ids: Iterable[str]) -> None:
        """Remember accounts a locking select already locked in this transaction."""
        if not self.read_only:
            self._locked.update(account_ids)

    def lock_accounts(self, account_ids: Sequence[str]) -> None:
        """Lock the accounts not yet locked by this transaction, in id order (a unit of
        work that may write only)."""
        if self.read_only:
            return
        missing = sorted(set(account_ids) - self._locked)
        if missing:
            self.execute(
                "SELECT 1 FROM {s}.accounts WHERE id = ANY(%s::text[]) ORDER BY id "
                "FOR NO KEY UPDATE",
                (missing,),
            )
            self._locked.update(missing)

    def lock_key(self, kind: str, key: str) -> None:
        """Take a transaction-scoped lock on one record's key (a unit of work that may
        write only): a second writer of the same record waits for this one to end."""
        if not self.read_only:
            self.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(kind, key),))

    # -- transaction --------------------------------------------------------------------

    def commit(self) -> None:
        """Make every write since the last commit durable and visible."""
        connection = self.connection()
        try:
            connection.commit()
        except psycopg.Error as error:
            raise store_error(error) from error
        finally:
            self._locked.clear()

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        connection = self.connection()
        try:
            connection.rollback()
        except psycopg.Error as error:
            raise store_error(error) from error
        finally:
            self._locked.clear()


if TYPE_CHECKING:  # mypy --strict checks here that the store satisfies every port
    _factory: UowFactory = PostgresStore("").unit_of_work
