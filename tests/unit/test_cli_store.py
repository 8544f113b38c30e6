"""How the command opens its store: connection strings shown without their password,
and a lock held by another writer ends in status 3 after ``--busy-timeout``."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from dunning_core.cli._settings import is_postgres, shown
from dunning_core.cli.main import main


@pytest.mark.parametrize(
    ("target", "printed"),
    [
        (
            "postgresql://ar:hunter2@db.example:5433/billing",
            "postgresql://ar:***@db.example:5433/billing",
        ),
        (
            "postgres://ar:p%40ss@db.example/billing?sslmode=require",
            "postgres://ar:***@db.example/billing?sslmode=require",
        ),
        ("postgresql://ar@db.example/billing", "postgresql://ar@db.example/billing"),
        ("ledger/dunning.sqlite3", "ledger/dunning.sqlite3"),
    ],
)
def test_a_connection_string_is_shown_without_its_password(target: str, printed: str) -> None:
    assert shown(target) == printed
    assert is_postgres(target) == target.startswith("postgres")


def test_a_writer_holding_the_lock_longer_than_the_busy_timeout_is_status_three(
    tmp_path: Path,
) -> None:
    db = tmp_path / "locked.sqlite3"
    assert main(["--db", str(db), "init"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("id,name,currency\nA-1,ACME,EUR\n", encoding="utf-8")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, in the middle of its transaction
    try:
        err = io.StringIO()
        status = main(
            ["--db", str(db), "--busy-timeout", "0.2", "import", "accounts", str(accounts)],
            stdout=io.StringIO(),
            stderr=err,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 3, err.getvalue()
    assert "the store refused" in err.getvalue()
    out = io.StringIO()
    assert main(["--db", str(db), "import", "accounts", str(accounts)], stdout=out) == 0
    assert "1 new" in out.getvalue()


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_reading_commands_and_dry_runs_open_the_file_read_only(tmp_path: Path) -> None:
    db = str(tmp_path / "ro.sqlite3")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("id,name,currency\nA-1,ACME,EUR\n", encoding="utf-8")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "number,account_id,issued_on,due_on,amount,currency\nF-1,A-1,2026-01-01,2026-01-31,50.00,EUR\n",
        encoding="utf-8",
    )
    assert _main("--db", db, "init")[0] == 0
    assert _main("--db", db, "import", "accounts", str(accounts))[0] == 0
    assert _main("--db", db, "import", "invoices", str(invoices))[0] == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
    try:
        fast = ("--db", db, "--busy-timeout", "0.2")
        # A read-write open would wait for the lock and give up (status 3, as a real run
        # does); read-only, the readers and the dry run go ahead beside the writer.
        assert _main(*fast, "run", "--as-of", "2026-03-01", "--progress", "none")[0] == 3
        status, out, err = _main(*fast, "run", "--as-of", "2026-03-01", "--dry-run", "--json")
        assert status == 0, err
        assert '"dry_run": true' in out
        for command in (("cases", "--as-of", "2026-03-01"), ("aging",), ("statement", "A-1")):
            status, out, err = _main(*fast, *command)
            assert status == 0, (command, err)
        assert _main(*fast, "explain", "A-1")[0] == 0
        report = tmp_path / "report.html"
        assert _main(*fast, "report", "--html", str(report))[0] == 0
        assert report.exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # The dry run left the day to do.
    status, out, _ = _main("--db", db, "run", "--as-of", "2026-03-01", "--json")
    assert status == 0 and '"already_done": false' in out and '"dry_run": false' in out


def test_another_applications_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "crm.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO contacts (name) VALUES ('Ada')")
    connection.commit()
    connection.close()
    before = other.read_bytes()
    for command in (("init",), ("cases",), ("run", "--as-of", "2026-03-01", "--dry-run")):
        status, _, err = _main("--db", str(other), *command)
        assert status == 3, (command, err)
        assert "not a dunning_core database" in err
    assert other.read_bytes() == before


def test_a_file_of_an_older_schema_is_read_after_init_migrates_it(tmp_path: Path) -> None:
    from dunning_core.adapters.storage._sqlite_schema import MIGRATIONS
    from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION

    db = tmp_path / "old.sqlite3"
    older = SCHEMA_VERSION - 1  # a file the previous version of the library wrote
    connection = sqlite3.connect(db)
    connection.executescript("".join(MIGRATIONS[:older]) + f"PRAGMA user_version={older};")
    connection.close()
    status, _, err = _main("--db", str(db), "aging")
    assert status == 2 and "dunning init" in err
    assert _main("--db", str(db), "init")[0] == 0
    assert _main("--db", str(db), "aging")[0] == 0
