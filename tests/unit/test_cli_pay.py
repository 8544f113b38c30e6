"""``dunning pay`` in-process: the remittance advice built from --advice, --withheld and
--discount settles what the customer says it settles."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from dunning_core import Account, Invoice, Money
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.cli.main import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pay.sqlite3"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.ledger.add_invoices(
            Invoice(
                number=f"F-{n}",
                account_id="A-1",
                issued_on=date(2026, 1, n),
                due_on=date(2026, 1, 31),
                amount=Money("100.00", "EUR"),
            )
            for n in (1, 2)
        )
        uow.commit()
    store.close()
    return path


SETTINGS = """
[allocation]
discount_tolerance = { percent = "3", max_amount = "10.00 EUR" }
"""


def run(db: Path, *args: str) -> tuple[int, str, str]:
    settings = db.with_name("dunning.toml")
    if not settings.exists():
        settings.write_text(SETTINGS, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["--db", str(db), "--config", str(settings), *args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def pay(db: Path, *extra: str) -> dict[str, object]:
    status, out, err = run(
        db,
        "pay",
        "--id",
        "P-1",
        "--account",
        "A-1",
        "--amount",
        "97.00",
        "--currency",
        "EUR",
        "--on",
        "2026-02-01",
        "--json",
        *extra,
    )
    assert status == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_a_discount_within_the_settings_tolerance_settles_the_invoice(db: Path) -> None:
    paid = pay(db, "--advice", "F-2=97.00", "--discount", "F-2=3.00", "--short-reason", "2 % 10")
    settled = [(a["invoice"], a["amount"]["amount"], a["kind"]) for a in paid["allocations"]]  # type: ignore[attr-defined, index]
    assert ("F-2", "97.00", "CASH") in settled
    assert ("F-2", "3.00", "DISCOUNT") in settled
    status, out, _ = run(db, "statement", "A-1", "--as-of", "2026-02-01", "--json")
    assert status == 0
    items = {item["invoice"]: item for item in json.loads(out)["items"]}
    assert (items["F-2"]["open"], items["F-1"]["open"]) == ("0.00", "100.00")
    store = SqliteStore(db)
    with store.unit_of_work() as uow:
        advice = uow.ledger.advice_for("P-1")
    store.close()
    assert advice is not None and advice.lines[0].reason == "2 % 10"


def test_without_an_advice_the_cash_goes_oldest_first(db: Path) -> None:
    paid = pay(db)
    assert [a["invoice"] for a in paid["allocations"]] == ["F-1"]  # type: ignore[attr-defined, index]


def test_a_reason_without_an_advice_line_is_bad_usage(db: Path) -> None:
    status, _, err = run(
        db, "pay", "--id", "P-2", "--amount", "1", "--currency", "EUR", "--short-reason", "x"
    )
    assert status == 2 and "--short-reason" in err


def test_a_discount_beyond_the_tolerance_leaves_the_invoice_open_for_it(db: Path) -> None:
    paid = pay(db, "--advice", "F-2=96.00", "--discount", "F-2=4.00")
    kinds = {a["kind"] for a in paid["allocations"]}  # type: ignore[attr-defined, index]
    assert "DISCOUNT" not in kinds
    status, out, _ = run(db, "statement", "A-1", "--as-of", "2026-02-01", "--json")
    items = {item["invoice"]: item for item in json.loads(out)["items"]}
    assert status == 0 and items["F-2"]["open"] == "4.00"


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("discount_tolerance = { percent = 2.5 }", "discount_tolerance"),
        ('discount_tolerance = { max_amount = "15" }', "15.00 EUR"),
        ('order = "NEWEST_FIRST"', "NEWEST_FIRST"),
        ("rounding = 1", "rounding"),
    ],
)
def test_a_bad_allocation_table_is_refused_naming_the_key(db: Path, table: str, named: str) -> None:
    db.with_name("dunning.toml").write_text(f"[allocation]\n{table}\n", encoding="utf-8")
    status, _, err = run(db, "cases", "--as-of", "2026-02-01")
    assert status == 2 and named in err, err
