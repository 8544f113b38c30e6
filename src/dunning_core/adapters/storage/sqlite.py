"""The SQLite store: the embedded default, through the standard library's ``sqlite3``.

Every connection runs in WAL mode with ``synchronous=FULL`` (a committed unit of work
survives a power cut), foreign keys on and a busy timeout. A unit of work that may
write starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so a
transaction that reads and then writes never fails because another writer committed
in between (a plain ``BEGIN`` would get "database is locked" there). Readers never
block writers and see the last committed state.

The schema is versioned with ``PRAGMA user_version`` and migrated on open. Amounts are
INTEGER minor units next to their currency code; dates are ISO text. Every statement
is parametrised. ``sqlite3`` errors come out as the library's
:class:`~dunning_core.errors.StoreError` family.

A store is cheap to pickle (it carries its path and options, not its connections), so
``store.unit_of_work`` can be handed to worker processes; each process and thread
opens its own connection.

>>> import tempfile, pathlib
>>> from dunning_core import Account
>>> path = pathlib.Path(tempfile.mkdtemp()) / "dunning.sqlite3"
>>> store = SqliteStore(path)
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.commit()
>>> with store.unit_of_work(read_only=True) as uow:
...     uow.accounts.count()
1
>>> store.close()
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from dunning_core.adapters.storage._sqlite_schema import (
    APPLICATION_ID,
    MIGRATIONS,
    ROW_KEYS,
    ROW_RULES,
    tables_at,
)
from dunning_core.adapters.storage._sqlite_stores import (
    SqliteAccounts,
    SqliteCheckpoints,
    SqliteFacts,
    SqliteHistory,
    SqliteLedger,
    SqliteOutbox,
    SqliteReviews,
    store_error,
)
from dunning_core.errors import (
    ForeignDatabase,
    SchemaVersionError,
    StoreBusy,
    StoreError,
    UnitOfWorkClosed,
)
from dunning_core.ports import UowFactory

__all__ = ["SCHEMA_VERSION", "SqliteStore", "SqliteUnitOfWork"]

#: The schema version this library writes.
SCHEMA_VERSION = len(MIGRATIONS)


class SqliteStore:
    """Every store port in one SQLite file. ``store.unit_of_work`` is the ``UowFactory``.

    Args:
        path: The database file (created, and migrated to the current schema, if
            needed).
        busy_timeout: Seconds a unit of work waits for another writer before raising
            :class:`~dunning_core.errors.StoreBusy`.
        cache_mib: Page cache per connection, in MiB.
        read_only: Open the file for reading only (SQLite's ``mode=ro``): nothing is
            created or migrated, every unit of work is read-only. For dry runs and
            reports, by a user without write access to the file.
        shared: Accept a file that also holds another application's tables, and keep
            this library's tables beside them. Without it such a file is refused, so
            pointing the store at the wrong file never changes that file.

    Raises:
        ForeignDatabase: the file holds tables this library does not own (and
            ``shared`` is not set), a table of this library's schema that it did not
            create, or a ``user_version`` another application set.
        SchemaVersionError: the file was written by a newer version of the library.
        StoreError: the file is not a usable SQLite database; or, with ``read_only``,
            it does not exist or needs a migration.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        cache_mib: int = 64,
        read_only: bool = False,
        shared: bool = False,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.cache_mib = cache_mib
        self.read_only = read_only
        self.shared = shared
        self._setup()
        self._preflight()
        self._migrate()

    def _setup(self) -> None:
        self._local = threading.local()
        self._pid = os.getpid()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    # -- pickling: carry the location and options, never a connection ------------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "busy_timeout": self.busy_timeout,
            "cache_mib": self.cache_mib,
            "read_only": self.read_only,
            "shared": self.shared,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self.busy_timeout = state["busy_timeout"]
        self.cache_mib = state["cache_mib"]
        self.read_only = state.get("read_only", False)
        self.shared = state.get("shared", False)
        self._setup()

    # -- connections --------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use), for tools and diagnostics.

        Do not run statements on it while one of this thread's units of work is open.
        """
        if self._pid != os.getpid():
            # A connection must not cross a fork: forget the parent's (without closing
            # them, which could release the parent's locks) and open fresh ones.
            self._setup()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
        return connection

    def _open(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                # mode=ro: SQLite itself refuses every write, and never creates the file.
                target: str | Path = self.path.resolve().as_uri() + "?mode=ro"
            else:
                target = self.path
            connection = sqlite3.connect(
                target,
                timeout=self.busy_timeout,
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                check_same_thread=False,  # one thread uses it; close() may come from another
                cached_statements=256,
                uri=self.read_only,
            )
            if not self.read_only:
                mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.path}: cannot switch to WAL mode (got {mode!r})")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            connection.execute(f"PRAGMA cache_size=-{int(self.cache_mib) * 1024}")
            connection.execute("PRAGMA temp_store=MEMORY")
        except sqlite3.Error as error:
            raise store_error(error) from error
        return connection

    def _migrate(self) -> None:
        connection = self.connection()
        try:
            connection.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                self._check_ownership(connection, version)
                if version > SCHEMA_VERSION:
                    raise SchemaVersionError(version, SCHEMA_VERSION)
                if self.read_only:
                    if version < SCHEMA_VERSION:
                        raise StoreError(
                            f"{self.path}: schema version {version}, this library reads "
                            f"{SCHEMA_VERSION}; open it read-write once to migrate it"
                        )
                    connection.execute("ROLLBACK")
                    return
                for number in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _statements(MIGRATIONS[number - 1]):
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version={number}")
                application_id = connection.execute("PRAGMA application_id").fetchone()[0]
                if application_id == 0:
                    connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise store_error(error) from error

    def _preflight(self) -> None:
        """Check whose file it is on a read-only connection, before the store's own
        connection changes anything (switching to WAL rewrites the file header)."""
        if not self.read_only and not self.path.exists():
            return  # a new file: ours to create
        try:
            probe = sqlite3.connect(
                self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=self.busy_timeout
            )
            try:
                version = probe.execute("PRAGMA user_version").fetchone()[0]
                self._check_ownership(probe, version)
            finally:
                probe.close()
        except sqlite3.Error as error:
            raise store_error(error) from error

    def _check_ownership(self, connection: sqlite3.Connection, version: int) -> None:
        """Refuse a file of another application before anything is written to it."""
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {name for (name,) in rows if not name.startswith("sqlite_")}
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        if not tables and version == 0:
            return  # a new (or empty) file: ours to create
        where = f"{self.path} is not a dunning_core database"
        if version > SCHEMA_VERSION and (
            application_id == APPLICATION_ID or tables_at(SCHEMA_VERSION) <= tables
        ):
            return  # a newer dunning_core wrote it: SchemaVersionError says so
        if 0 < version <= SCHEMA_VERSION and not tables_at(version) <= tables:
            missing = ", ".join(sorted(tables_at(version) - tables))
            raise ForeignDatabase(
                f"{where}: its user_version ({version}) was set by another application "
                f"(the tables of that schema version are missing: {missing})"
            )
        # A file of ours at `version` may also hold tables a later (or an edited)
        # migration creates when missing; a foreign file may not hold any of them.
        ours = version > 0 and tables_at(version) <= tables
        clashing = [] if ours else sorted(tables & tables_at(SCHEMA_VERSION))
        if clashing:
            raise ForeignDatabase(
                f"{where}: it already has tables named like this library's "
                f"({', '.join(clashing)}), which this library did not create"
            )
        foreign = sorted(tables - tables_at(SCHEMA_VERSION))
        foreign_id = application_id not in (0, APPLICATION_ID)
        if (foreign or foreign_id) and not self.shared:
            shown = ", ".join(foreign[:8]) + (", ..." if len(foreign) > 8 else "")
            owner = f"application_id {application_id:#x}" if foreign_id else f"tables {shown}"
            raise ForeignDatabase(
                f"{where} alone: it holds another application's {owner}. Nothing was "
                "written. Pass shared=True to keep dunning_core's tables beside them."
            )

    @property
    def schema_version(self) -> int:
        """The database's ``user_version``."""
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``, ``foreign_key_check`` and the row rules; ``["ok"]``
        when sound.

        The row rules are those every write is checked against (schema version 9): a
        row that breaks one got past them (written with the triggers dropped, or by
        editing the file) and is reported as ``"<table> <key>: <rule>"``.

        Returns:
            ``["ok"]``, or the problems found, one message each. A file so damaged that
            the checks themselves fail returns that failure as its problem rather than
            raising: this is the method to call when something is wrong.

        Raises:
            StoreBusy: another connection held a lock longer than the busy timeout.

        .. versionchanged:: 0.2
           Checks the row rules too.
        """
        try:
            connection = self.connection()
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
            broken = [
                f"{table} {key!r}: {message}"
                for table, checks in ROW_RULES.items()
                for condition, message in checks
                for (key,) in connection.execute(
                    f"SELECT {ROW_KEYS[table]} FROM {table} "
                    f"WHERE ({condition.format(r=table)}) IS NOT 1"
                )
            ]
        except sqlite3.Error as error:
            translated = store_error(error)
            if isinstance(translated, StoreBusy):
                raise translated from error
            return [f"the database cannot be checked: {error}"]
        except StoreError as error:  # the connection could not be opened
            return [f"the database cannot be opened: {error}"]
        problems += [f"foreign key: {row!r}" for row in orphans]
        problems += broken
        if problems != ["ok"]:
            return [p for p in problems if p != "ok"] or problems
        return problems

    def unit_of_work(self, *, read_only: bool = False) -> SqliteUnitOfWork:
        """A new unit of work (enter it with ``with``).

        Args:
            read_only: Begin with a plain ``BEGIN`` (no write lock, never waits for a
                writer) and refuse writes. Always so on a store opened ``read_only``.
        """
        return SqliteUnitOfWork(self, read_only=read_only or self.read_only)

    def close(self) -> None:
        """Close every connection this process opened. The store reopens on next use."""
        with self._guard:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()


def _statements(script: str) -> list[str]:
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


class SqliteUnitOfWork:
    """One transaction on a :class:`SqliteStore` (see :class:`~dunning_core.ports.UnitOfWork`)."""

    def __init__(self, store: SqliteStore, *, read_only: bool = False) -> None:
        self._store = store
        self.read_only = read_only
        self._connection: sqlite3.Connection | None = None
        self._used = False
        self.accounts = SqliteAccounts(self)
        self.ledger = SqliteLedger(self)
        self.facts = SqliteFacts(self)
        self.history = SqliteHistory(self)
        self.outbox = SqliteOutbox(self)
        self.checkpoints = SqliteCheckpoints(self)
        self.reviews = SqliteReviews(self)

    def __enter__(self) -> Self:
        if self._used:
            raise UnitOfWorkClosed("a unit of work can be entered once; make a new one")
        connection = self._store.connection()
        if connection.in_transaction:
            raise StoreBusy("this thread is already inside a unit of work of this store")
        self._used = True
        self._connection = connection
        self._begin(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.in_transaction:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error as error:
                if exc is None:
                    raise store_error(error) from error

    def _begin(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise store_error(error) from error

    def connection(self, *, write: bool = False) -> sqlite3.Connection:
        """The connection, inside a transaction (a new one begins after a commit).

        Raises:
            UnitOfWorkClosed: outside the ``with`` block.
            StoreError: ``write`` in a read-only unit of work.
        """
        connection = self._connection
        if connection is None:
            raise UnitOfWorkClosed("the store is used outside its unit of work")
        if write and self.read_only:
            raise StoreError("this unit of work is read-only")
        if not connection.in_transaction:
            self._begin(connection)
        return connection

    def commit(self) -> None:
        """Make every write since the last commit durable and visible."""
        connection = self.connection()
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise store_error(error) from error

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        connection = self.connection()
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise store_error(error) from error


if TYPE_CHECKING:  # mypy --strict checks here that the store satisfies every port
    _factory: UowFactory = SqliteStore("").unit_of_work
