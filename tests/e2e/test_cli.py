"""The ``dunning`` console script, run for real in a subprocess on temporary databases.

The sample ledger is imported with the command and run for 60 days; the same files are
loaded through the Python API by the test itself (its own parsing, the domain
constructors, the services ``record_accounts``, ``record_invoices``,
``record_credit_notes``, ``record_payments``, then ``run_cycle``) and the case list
computed there is written as the golden CSV the command's export must equal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dunning_core import (
    Account,
    Contact,
    CreditNote,
    Invoice,
    Money,
    Payment,
    PaymentTerms,
    PostalAddress,
    RemittanceAdvice,
    RemittanceLine,
)
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.policies.ladder import LadderAssignment
from dunning_core.service.accounts import record_accounts
from dunning_core.service.cases import CASE_COLUMNS, case_list
from dunning_core.service.cycle import run_cycle
from dunning_core.service.invoices import record_credit_notes, record_invoices
from dunning_core.service.payments import record_payments
from dunning_core.service.settings import CycleConfig, bootstrap

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "examples" / "ledger"
DUNNING = str(Path(sys.executable).with_name("dunning"))
FIRST, LAST = date(2026, 3, 1), date(2026, 4, 29)


def dunning(
    *args: str, db: Path | str, check: int | None = 0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script; ``check`` is the expected exit status (None: any)."""
    environment = {
        **os.environ,
        "DUNNING_DB": str(db),
        "DUNNING_CONFIG": str(LEDGER / "dunning.toml"),
        **(env or {}),
    }
    raw = subprocess.run(
        [DUNNING, *args], capture_output=True, env=environment, timeout=300, check=False
    )
    # Bytes decoded without newline translation: the CSV export's CRLF must show.
    done = subprocess.CompletedProcess(
        raw.args, raw.returncode, raw.stdout.decode("utf-8"), raw.stderr.decode("utf-8")
    )
    if check is not None:
        assert done.returncode == check, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return done


def import_sample(db: Path | str) -> None:
    """The sample ledger through the command (the order and options the docs give: a
    first load, suspension left to the first run)."""
    defer = "--defer-suspension"
    dunning("init", db=db)
    dunning("import", "accounts", str(LEDGER / "accounts.csv"), defer, db=db)
    dunning("import", "invoices", str(LEDGER / "invoices.csv"), "--decimal", "comma", defer, db=db)
    dunning("import", "credit-notes", str(LEDGER / "credit-notes.tsv"), defer, db=db)
    dunning(
        "import",
        "payments",
        str(LEDGER / "payments.jsonl"),
        "--advices",
        str(LEDGER / "advices.csv"),
        defer,
        db=db,
    )


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample ledger imported and run for 60 days with the command."""
    db = tmp_path_factory.mktemp("cli") / "dunning.sqlite3"
    import_sample(db)
    dunning(
        "run",
        "--as-of",
        FIRST.isoformat(),
        "--until",
        LAST.isoformat(),
        "--dispatch",
        "--progress",
        "none",
        db=db,
    )
    return db


# -- the Python API path ------------------------------------------------------------------


def _config() -> CycleConfig:
    settings = tomllib.loads((LEDGER / "dunning.toml").read_text(encoding="utf-8"))
    assignments = {}
    for account_id, spec in settings["assignments"].items():
        table = {"ladder": spec} if isinstance(spec, str) else spec
        assignments[account_id] = LadderAssignment(account_id=account_id, **table)
    return bootstrap(default_ladder=settings["cycle"]["default_ladder"], assignments=assignments)


def _rows(name: str, delimiter: str) -> list[dict[str, str]]:
    with (LEDGER / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _account(row: dict[str, str]) -> Account:
    address = PostalAddress(
        recipient=row["contact_name"],
        lines=[row["address_line1"]] if row["address_line1"] else [],
        postal_code=row["postal_code"],
        city=row["city"],
        country=row["country"],
    )
    contact = Contact(
        name=row["contact_name"],
        email=row["email"] or None,
        mobile=row["mobile"] or None,
        postal_address=address,
    )
    return Account(
        id=row["id"],
        name=row["name"],
        currency=row["currency"],
        segment=row["segment"],
        locale=row["locale"],
        timezone=row["timezone"],
        credit_limit=Money(row["credit_limit"], row["currency"]) if row["credit_limit"] else None,
        contacts=[contact],
        billing_entity_id=row["billing_entity_id"] or None,
        tags=[row["tags"]] if row["tags"] else [],
        terms=PaymentTerms.net(int(row["terms"].removeprefix("NET"))),
    )


def api_case_list_csv(db: Path) -> str:
    """The case list of the sample ledger after 60 days, through the Python API."""
    config = _config()
    store = SqliteStore(db)
    record_accounts(
        store.unit_of_work(),
        [_account(row) for row in _rows("accounts.csv", ",")],
        as_of=date(2026, 1, 1),
        config=config,
        decide_suspension=False,
    )
    invoices = [
        Invoice(
            number=row["number"],
            account_id=row["account_id"],
            issued_on=date.fromisoformat(row["issued_on"]),
            due_on=date.fromisoformat(row["due_on"]),
            amount=Money(row["amount"].replace(",", "."), row["currency"]),
            purchase_order=row["purchase_order"] or None,
        )
        for row in _rows("invoices.csv", ";")
    ]
    invoices.sort(key=lambda invoice: invoice.issued_on)
    record_invoices(store.unit_of_work(), invoices, config=config, decide_suspension=False)
    notes = [
        CreditNote(
            number=row["number"],
            account_id=row["account_id"],
            issued_on=date.fromisoformat(row["issued_on"]),
            amount=Money(row["amount"], row["currency"]),
            credits_invoice=row["credits_invoice"] or None,
            reason=row["reason"] or None,
        )
        for row in _rows("credit-notes.tsv", "\t")
    ]
    notes.sort(key=lambda note: note.issued_on)
    record_credit_notes(store.unit_of_work(), notes, config=config, decide_suspension=False)
    lines: dict[str, list[RemittanceLine]] = {}
    references: dict[str, str] = {}
    for row in _rows("advices.csv", ","):
        currency = row["currency"]
        lines.setdefault(row["payment_id"], []).append(
            RemittanceLine(
                invoice_number=row["invoice_number"],
                amount_paid=Money(row["amount_paid"], currency),
                tax_withheld=Money(row["tax_withheld"] or "0", currency),
            )
        )
        references[row["payment_id"]] = row["reference"]
    payments = []
    for text in (LEDGER / "payments.jsonl").read_text(encoding="utf-8").splitlines():
        data = json.loads(text, parse_float=Decimal)
        payments.append(
            Payment(
                id=data["id"],
                account_id=data["account_id"],
                amount=Money(Decimal(data["amount"]), data["currency"]),
                received_on=date.fromisoformat(data["received_on"]),
                method=data["method"],
                status=data["status"],
                bank_reference=data["bank_reference"],
                payer_name=data["payer_name"],
            )
        )
    advices = {
        payment_id: RemittanceAdvice(
            payment_id=payment_id, lines=paid, reference=references[payment_id]
        )
        for payment_id, paid in lines.items()
    }
    record_payments(store.unit_of_work(), payments, advices, config=config, decide_suspension=False)
    day = FIRST
    while day <= LAST:
        run_cycle(store.unit_of_work, config, day)
        day += timedelta(days=1)
    rows = case_list(store.unit_of_work, config, LAST)
    store.close()
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel")
    writer.writerow(CASE_COLUMNS)
    for row in rows:
        cells = ["" if c is None else str(c) for c in row.cells()]
        writer.writerow(["'" + c if c[:1] in "=+-@\t\r" and c[:1] else c for c in cells])
    return out.getvalue()


def test_cases_csv_equals_the_python_apis_case_list_on_the_same_data(
    sample_db: Path, tmp_path: Path
) -> None:
    golden = api_case_list_csv(tmp_path / "api.sqlite3")
    exported = dunning("cases", "--as-of", LAST.isoformat(), "--format", "csv", db=sample_db)
    assert len(golden.splitlines()) > 30  # most of the 40 accounts still owe something
    assert exported.stdout == golden


def _dump(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_the_bad_rows_file_writes_nothing_and_reports_each_row(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.sqlite3"
    shutil.copy(sample_db, db)
    before = _dump(db)
    done = dunning("import", "invoices", str(LEDGER / "bad-invoices.csv"), db=db, check=2)
    assert "10 refused; nothing written" in done.stdout
    reported = [line.split()[0] for line in done.stdout.splitlines()[3:] if line.strip()]
    assert reported == [str(n) for n in range(2, 12)]
    assert _dump(db) == before
    as_json = dunning(
        "import", "invoices", str(LEDGER / "bad-invoices.csv"), "--json", db=db, check=2
    )
    errors = json.loads(as_json.stdout)["errors"]
    assert [(e["line"], e["column"]) for e in errors][:3] == [
        (2, "due_on"),
        (3, "issued_on"),
        (4, "amount"),
    ]
    assert _dump(db) == before


def test_importing_the_sample_twice_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "twice.sqlite3"
    import_sample(db)
    before = _dump(db)
    again = dunning("import", "invoices", str(LEDGER / "invoices.csv"), "--decimal", "comma", db=db)
    assert "0 new, 0 updated, 198 unchanged" in again.stdout
    import_sample(db)
    assert _dump(db) == before


def test_partial_import_writes_a_reject_file(tmp_path: Path) -> None:
    db = tmp_path / "partial.sqlite3"
    import_sample(db)
    source = tmp_path / "mixed.csv"
    good = "F-NEW-1,A-0001,2026-04-01,2026-05-01,99.00,EUR,\n"
    source.write_text(
        (LEDGER / "bad-invoices.csv").read_text(encoding="utf-8") + good, encoding="utf-8"
    )
    done = dunning("import", "invoices", str(source), "--partial", db=db)
    assert "1 new" in done.stdout
    rejects = list(csv.reader((tmp_path / "mixed.rejects.csv").open(encoding="utf-8")))
    assert len(rejects) == 11 and rejects[0][-1] == "error"


def test_exit_status_two_for_bad_usage(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    assert dunning("frobnicate", db=db, check=2).stderr.startswith("dunning: argument")
    dunning("init", db=db)
    assert "--as-of" in dunning("run", db=db, check=2).stderr
    assert "i/n" in dunning("run", "--as-of", "2026-03-01", "--shard", "4/4", db=db, check=2).stderr
    missing = dunning("cases", db=tmp_path / "nowhere.sqlite3", check=2)
    assert "dunning init" in missing.stderr
    assert not (tmp_path / "nowhere.sqlite3").exists()


def test_exit_status_three_when_the_store_refuses(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    assert "the store refused" in dunning("aging", db=garbage, check=3).stderr
    newer = tmp_path / "newer.sqlite3"
    dunning("init", db=newer)
    connection = sqlite3.connect(newer)
    connection.execute("PRAGMA user_version = 999")
    connection.close()
    assert "newer" in dunning("aging", db=newer, check=3).stderr


def test_exit_status_one_lists_the_accounts_in_error(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    dunning("init", db=db)
    store = SqliteStore(db)
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="Good", currency="EUR"))
        uow.accounts.add(Account(id="A-2", name="Broken", currency="EUR"))
        uow.ledger.add_invoices(
            [  # an invoice in another currency than its account: the cycle skips A-2
                Invoice(
                    number="F-2",
                    account_id="A-2",
                    issued_on=date(2026, 1, 1),
                    due_on=date(2026, 1, 31),
                    amount=Money("10", "USD"),
                )
            ]
        )
        uow.commit()
    store.close()
    done = dunning("run", "--as-of", "2026-03-01", db=db, check=1)
    assert "accounts in error: 1" in done.stdout
    assert "A-2: CurrencyMismatch" in done.stdout
    report = json.loads(dunning("run", "--as-of", "2026-03-02", "--json", db=db, check=1).stdout)
    assert [e["account_id"] for e in report["errors"]] == ["A-2"]


def test_every_command_that_prints_data_prints_json(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "json.sqlite3"
    shutil.copy(sample_db, db)
    as_of = ("--as-of", LAST.isoformat())
    commands = [
        ("init",),
        ("import", "accounts", str(LEDGER / "accounts.csv")),
        ("run", "--as-of", (LAST + timedelta(days=1)).isoformat(), "--progress", "none"),
        ("dispatch", "--at", "2026-04-30T23:00:00+00:00"),
        (
            "pay",
            "--id",
            "P-CLI-1",
            "--account",
            "A-0002",
            "--amount",
            "10.00",
            "--currency",
            "EUR",
            "--on",
            "2026-04-30",
            "--advice",
            "F-0002-04=10.00",
        ),
        ("reverse", "P-CLI-1", "--on", "2026-05-01"),
        ("cases", *as_of),
        ("cases", *as_of, "--by", "invoice", "--status", "overdue"),
        ("statement", "A-0013", *as_of),
        ("aging", *as_of),
        ("explain", "A-0013", *as_of),
        ("sms", "Votre facture est échue", "--price", "0.07"),
        ("report", "--html", str(tmp_path / "r.html"), *as_of),
    ]
    for command in commands:
        data = json.loads(dunning(*command, "--json", db=db).stdout)
        assert data, command
    paid = json.loads(
        dunning(
            "pay",
            "--id",
            "P-CLI-1",
            "--account",
            "A-0002",
            "--amount",
            "10.00",
            "--currency",
            "EUR",
            "--on",
            "2026-04-30",
            "--json",
            db=db,
        ).stdout
    )
    assert paid["repeated"] is True


def test_cases_filters_and_per_invoice_rows(sample_db: Path) -> None:
    as_of = ("--as-of", LAST.isoformat(), "--format", "json")
    every = json.loads(dunning("cases", *as_of, db=sample_db).stdout)
    late = json.loads(dunning("cases", *as_of, "--min-days", "30", db=sample_db).stdout)
    assert late and {row["account_id"] for row in late} < {row["account_id"] for row in every}
    assert all(row["days_overdue"] >= 30 for row in late)
    collection = json.loads(dunning("cases", *as_of, "--option", "collection", db=sample_db).stdout)
    assert {row["ladder"] for row in collection} <= {
        "reminders-collection-legal",
        "reminders-collection-cancellation",
    }
    handed = json.loads(dunning("cases", *as_of, "--status", "handed-over", db=sample_db).stdout)
    assert handed and all(row["option"] == "collection" for row in handed)
    usd = json.loads(dunning("cases", *as_of, "--currency", "usd", db=sample_db).stdout)
    assert usd and {row["currency"] for row in usd} == {"USD"}
    invoices = json.loads(dunning("cases", *as_of, "--by", "invoice", db=sample_db).stdout)
    for account in every:
        mine = [row for row in invoices if row["account_id"] == account["account_id"]]
        total = sum(Decimal(row["amount"]) - Decimal(row["paid"]) for row in mine)
        assert total == Decimal(account["amount"]) - Decimal(account["paid"])


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "p.sqlite3"
    shutil.copy(sample_db, db)
    done = dunning("run", "--as-of", "2026-05-01", "--until", "2026-05-03", db=db)
    lines = [line for line in done.stderr.splitlines() if line.startswith("progress:")]
    assert lines[-1].startswith("progress: 120/120 accounts (100 %)")
    assert "\r" not in done.stderr


def test_progress_is_a_bar_on_a_terminal(sample_db: Path, tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    db = tmp_path / "t.sqlite3"
    shutil.copy(sample_db, db)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [DUNNING, "run", "--as-of", "2026-05-01", "--until", "2026-05-02"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "DUNNING_DB": str(db), "DUNNING_CONFIG": str(LEDGER / "dunning.toml")},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    assert process.stdout is not None
    # the accounts evaluated that day: those due (issue 13), at most the 40 of the ledger
    evaluated = re.search(r"2026-05-02: (\d+) accounts", process.stdout.read().decode())
    assert evaluated is not None and 0 < int(evaluated.group(1)) <= 40
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "80/80" in screen and "acct" in screen and "\r" in screen, repr(screen)


def test_a_dry_run_writes_nothing_and_the_shards_cover_every_account_once(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "shards.sqlite3"
    shutil.copy(sample_db, db)
    before = _dump(db)
    day = ("--as-of", (LAST + timedelta(days=1)).isoformat(), "--json", "--progress", "none")
    every = json.loads(dunning("run", *day, "--dry-run", "--full", db=db).stdout)
    assert every["dry_run"] and every["full"] and every["accounts"] == 40
    dry = json.loads(dunning("run", *day, "--dry-run", db=db).stdout)
    assert dry["dry_run"] and not dry["full"] and 0 < dry["accounts"] < 40  # the ones due
    assert _dump(db) == before
    halves = [json.loads(dunning("run", *day, "--shard", s, db=db).stdout) for s in ("0/2", "1/2")]
    assert sum(h["accounts"] for h in halves) == dry["accounts"]
    assert sum(h["messages"] for h in halves) == dry["messages"]
    again = json.loads(dunning("run", *day, "--shard", "1/2", db=db).stdout)
    assert again["already_done"]
