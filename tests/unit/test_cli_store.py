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
