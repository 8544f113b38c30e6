"""Issue 15, case 6: the SQLite store and files it does not own, read-only opening, and a
damaged file.

On main, opening another application's SQLite file migrated it silently (every table of
the schema added beside the application's own), a dry run needed write access to the
file (it wrote and rolled back), and ``integrity_check()`` raised on a damaged file
instead of returning the problems.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.errors import ForeignDatabase, SchemaVersionError, StoreError
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig


def _their_file(path: Path, *, user_version: int = 0, table: str = "notes") -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute(f"INSERT INTO {table} (body) VALUES ('theirs')")
        connection.execute(f"PRAGMA user_version={user_version}")
    connection.close()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    return {n for n in names if not n.startswith("sqlite_")}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- another application's file ------------------------------------------------------


@pytest.mark.parametrize("user_version", [0, 7])
def test_another_applications_file_is_refused_and_left_untouched(
    tmp_path: Path, user_version: int
) -> None:
    path = tmp_path / "their.db"
    _their_file(path, user_version=user_version)
    before = _digest(path)
    with pytest.raises(ForeignDatabase) as raised:
        SqliteStore(path)
    assert "notes" in str(raised.value)
    assert "shared=True" in str(raised.value) or user_version
    assert isinstance(raised.value, StoreError)
    assert _digest(path) == before
    assert _tables(path) == {"notes"}


def test_shared_keeps_our_tables_beside_theirs(tmp_path: Path) -> None:
    path = tmp_path / "their.db"
    _their_file(path)
    store = SqliteStore(path, shared=True)
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.commit()
    store.close()
    assert "notes" in _tables(path) and "accounts" in _tables(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT body FROM notes").fetchall() == [("theirs",)]
    connection.close()
    # Reopened, it must be told again that it shares the file.
    with pytest.raises(ForeignDatabase):
        SqliteStore(path)
    reopened = SqliteStore(path, shared=True)
    with reopened.unit_of_work(read_only=True) as uow:
        assert uow.accounts.count() == 1
    reopened.close()


def test_a_table_of_ours_in_their_file_is_refused_even_shared(tmp_path: Path) -> None:
    path = tmp_path / "their.db"
    _their_file(path, table="accounts")
    before = _digest(path)
    with pytest.raises(ForeignDatabase) as raised:
        SqliteStore(path, shared=True)
    assert "accounts" in str(raised.value)
    assert _digest(path) == before


def test_their_user_version_is_refused_even_shared(tmp_path: Path) -> None:
    # Our migrations are numbered by user_version: a file whose user_version another
    # application set cannot be migrated safely.
    path = tmp_path / "their.db"
    _their_file(path, user_version=2)
    with pytest.raises(ForeignDatabase) as raised:
        SqliteStore(path, shared=True)
    assert "user_version" in str(raised.value)


def test_our_own_file_and_a_new_file_open_as_before(tmp_path: Path) -> None:
    path = tmp_path / "dunning.sqlite3"
    SqliteStore(path).close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()  # a zero-byte file, as `touch` leaves it
    SqliteStore(empty).close()


def test_a_newer_librarys_file_with_a_new_table_is_a_schema_version_error(
    tmp_path: Path,
) -> None:
    # A later schema may add tables this library does not know: still our file.
    path = tmp_path / "dunning.sqlite3"
    SqliteStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE added_later (id INTEGER PRIMARY KEY)")
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(SchemaVersionError):
        SqliteStore(path)


# -- read-only ----------------------------------------------------------------------


def _seeded(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(
                id="A-1",
                name="ACME",
                currency="EUR",
                contacts=[Contact(name="Billing", email="billing@example.com")],
            )
        )
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-1",
                    account_id="A-1",
                    issued_on=date(2026, 2, 1),
                    due_on=date(2026, 3, 1),
                    amount=Money("120.00", "EUR"),
                )
            ]
        )
        uow.commit()
    store.close()
    return store


def test_a_dry_run_and_reports_work_on_a_read_only_store(tmp_path: Path) -> None:
    path = tmp_path / "dunning.sqlite3"
    _seeded(path)
    before = _digest(path)
    store = SqliteStore(path, read_only=True)
    report = run_cycle(store.unit_of_work, CycleConfig(), date(2026, 3, 5), dry_run=True)
    assert report.dry_run
    assert report.accounts == 1
    assert report.actions_total == 1
    assert report.messages == 1  # what a real run would write
    with store.unit_of_work() as uow:
        assert uow.ledger.load(["A-1"])["A-1"].invoices[0].number == "F-1"
        with pytest.raises(StoreError):
            uow.accounts.add(Account(id="A-2", name="B", currency="EUR"))
    with pytest.raises(StoreError):
        run_cycle(store.unit_of_work, CycleConfig(), date(2026, 3, 5))
    store.close()
    assert _digest(path) == before


def test_read_only_opens_neither_a_missing_nor_an_old_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SqliteStore(tmp_path / "missing.sqlite3", read_only=True)
    assert not (tmp_path / "missing.sqlite3").exists()
    old = tmp_path / "old.sqlite3"
    sqlite3.connect(old).close()
    with pytest.raises(StoreError) as raised:
        SqliteStore(old, read_only=True)
    assert "read-write" in str(raised.value)


# -- a damaged file -----------------------------------------------------------------


def test_integrity_check_returns_the_problems_of_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "dunning.sqlite3"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add_many(
            Account(id=f"A-{i:03d}", name="x" * 200, currency="EUR") for i in range(300)
        )
        uow.commit()
    store.close()
    with sqlite3.connect(path) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'accounts'"
        ).fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + 100] = b"\xff" * 100  # the table's root page
    path.write_bytes(bytes(data))

    damaged = SqliteStore(path)  # the schema page is intact: it opens
    problems = damaged.integrity_check()
    assert problems != ["ok"]
    assert problems and all(isinstance(p, str) and p for p in problems)
    assert any("malformed" in p or "page" in p for p in problems)
    damaged.close()
