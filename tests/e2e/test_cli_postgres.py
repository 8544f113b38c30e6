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


def test_imports_and_dry_runs_on_postgresql_write_nothing_they_should_not(
    postgres_server: TemporaryPostgres, tmp_path: Path
) -> None:
    postgres_server.create_database("cli_partial")
    url = f"postgresql://{postgres_server.superuser}@127.0.0.1:{postgres_server.port}/cli_partial"
    dunning("init", db=url)
    dunning("import", "accounts", str(LEDGER / "accounts.csv"), db=url)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "number,account_id,issued_on,due_on,amount,currency\n"
        "F-PG-1,A-0001,2026-01-02,2026-02-01,100.00,EUR\n"
        "F-PG-2,A-0001,2026-01-03,2026-02-02,200.00,EUR\n"
        "F-PG-3,A-0001,2026-01-04,2026-02-30,300.00,EUR\n",
        encoding="utf-8",
    )

    def invoices() -> list[str]:
        shown = dunning("statement", "A-0001", "--as-of", FIRST, "--json", db=url).stdout
        return [line["invoice"] for line in json.loads(shown)["items"]]

    # One bad row keeps the two good ones out.
    refused = dunning("import", "invoices", str(mixed), "--json", db=url, check=2)
    assert [(e["line"], e["column"]) for e in json.loads(refused.stdout)["errors"]] == [
        (4, "due_on")
    ]
    assert invoices() == []
    # --partial writes the good rows and rejects the bad one; a second time changes nothing.
    for new, unchanged in ((2, 0), (0, 2)):
        done = dunning("import", "invoices", str(mixed), "--partial", db=url)
        assert f"{new} new, 0 updated, {unchanged} unchanged" in done.stdout
        rejects = (tmp_path / "mixed.rejects.csv").read_text(encoding="utf-8").splitlines()
        assert len(rejects) == 2 and rejects[1].startswith("F-PG-3,")
    assert sorted(invoices()) == ["F-PG-1", "F-PG-2"]
    # A dry run decides without writing: the real run of the day still has it all to do.
    dry = json.loads(dunning("run", "--as-of", FIRST, "--dry-run", "--json", db=url).stdout)
    real = json.loads(dunning("run", "--as-of", FIRST, "--json", db=url).stdout)
    assert dry["dry_run"] and not real["dry_run"] and not real["already_done"]
    assert real["actions"] and dry["actions"] == real["actions"]
    assert dry["messages"] == real["messages"] > 0
    # pay and reverse: the payment settles its invoice, the chargeback opens it again.
    paid = ("pay", "--id", "P-PG-1", "--account", "A-0001", "--amount", "100.00")
    on = ("--currency", "EUR", "--on", "2026-03-02", "--advice", "F-PG-1=100.00", "--json")
    assert json.loads(dunning(*paid, *on, db=url).stdout)["repeated"] is False
    assert json.loads(dunning(*paid, *on, db=url).stdout)["repeated"] is True

    def open_amounts() -> dict[str, str]:
        shown = dunning("statement", "A-0001", "--as-of", "2026-03-03", "--json", db=url).stdout
        return {item["invoice"]: item["open"] for item in json.loads(shown)["items"]}

    assert open_amounts() == {"F-PG-1": "0.00", "F-PG-2": "200.00"}
    reversed_ = dunning("reverse", "P-PG-1", "--on", "2026-03-03", "--json", db=url).stdout
    assert json.loads(reversed_)["removed"]
    assert open_amounts() == {"F-PG-1": "100.00", "F-PG-2": "200.00"}
