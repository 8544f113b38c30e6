"""The ``dunning`` command on PostgreSQL (``--db postgresql://...``), against a throwaway
server of the project's own fixture (``postgres_server``: initdb + pg_ctl on a free port
of 127.0.0.1): the sample session gives the same case list as on SQLite, imports stay
all-or-nothing and idempotent, and the exit statuses hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dunning_core.testing.postgres import TemporaryPostgres

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_cli import LEDGER, dunning, import_sample

FIRST, LAST = "2026-03-01", "2026-03-12"


def _session(db: str | Path) -> dict[str, str]:
    """The sample imported, run for twelve days and dispatched; what the command shows."""
    import_sample(db)
    dunning("run", "--as-of", FIRST, "--until", LAST, "--dispatch", "--progress", "none", db=db)
    shown = {}
    for name, command in {
        "cases": ("cases", "--as-of", LAST, "--format", "csv"),
        "invoices": ("cases", "--as-of", LAST, "--by", "invoice", "--format", "csv"),
        "aging": ("aging", "--as-of", LAST, "--json"),
        "explain": ("explain", "A-0013", "--as-of", LAST),
    }.items():
        shown[name] = dunning(*command, db=db).stdout
    return shown


@pytest.fixture(scope="module")
def pg_url(postgres_server: TemporaryPostgres) -> str:
    postgres_server.create_database("cli_sample")
    return f"postgresql://{postgres_server.superuser}@127.0.0.1:{postgres_server.port}/cli_sample"


def test_the_sample_session_on_postgresql_shows_what_it_shows_on_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    on_postgres = _session(pg_url)
    on_sqlite = _session(tmp_path / "dunning.sqlite3")
    assert len(on_postgres["cases"].splitlines()) > 20
    assert on_postgres == on_sqlite
    # Importing again changes nothing; the bad rows write nothing.
    again = dunning(
        "import", "invoices", str(LEDGER / "invoices.csv"), "--decimal", "comma", db=pg_url
    )
    assert "0 new, 0 updated, 198 unchanged" in again.stdout
    bad = dunning("import", "invoices", str(LEDGER / "bad-invoices.csv"), db=pg_url, check=2)
    assert "10 refused; nothing written" in bad.stdout
    after = dunning("cases", "--as-of", LAST, "--format", "csv", db=pg_url).stdout
    assert after == on_postgres["cases"]


def test_a_database_without_the_schema_asks_for_init(postgres_server: TemporaryPostgres) -> None:
    postgres_server.create_database("cli_empty")
    url = f"postgresql://{postgres_server.superuser}@127.0.0.1:{postgres_server.port}/cli_empty"
    done = dunning("cases", db=url, check=2)
    assert "dunning init" in done.stderr
    created = json.loads(dunning("init", "--json", db=url).stdout)
    assert created["schema_version"] >= 1
    assert dunning("cases", "--as-of", LAST, db=url).stdout.endswith("0 cases\n")


def test_a_server_that_cannot_be_reached_is_status_three(
    postgres_server: TemporaryPostgres,
) -> None:
    from dunning_core.testing.servers import free_port

    url = f"postgresql://nobody:hunter2@127.0.0.1:{free_port()}/nowhere"
    done = dunning("--busy-timeout", "2", "aging", db=url, check=3)
    assert "the store refused" in done.stderr
    assert "hunter2" not in done.stderr
