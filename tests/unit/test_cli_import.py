"""dunning import: reading files, validating rows, all-or-nothing writes, rejects."""

from __future__ import annotations

import codecs
import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.cli._import import ImportOptions, import_file
from dunning_core.cli._read import MAX_CELL, read_table
from dunning_core.cli._rows import parse_amount
from dunning_core.errors import InvalidInputFile
from dunning_core.service.settings import bootstrap

LEDGER = Path(__file__).resolve().parents[2] / "examples" / "ledger"
CONFIG = bootstrap()


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    data = text.encode("utf-8")
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def _store_with_accounts(*accounts: Account) -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add_many(accounts)
        uow.commit()
    return store


def _import(store: MemoryStore, kind: str, path: Path, **options: object):  # type: ignore[no-untyped-def]
    return import_file(store.unit_of_work, kind, path, ImportOptions(**options), CONFIG)  # type: ignore[arg-type]


ACME = Account(id="A-1", name="ACME", currency="EUR")
INVOICE_HEADER = "number,account_id,issued_on,due_on,amount,currency\n"


# -- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    rows = [["number", "amount"], ["F-1", "1,5" if delimiter != "," else "1.5"]]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    table = read_table(_write(tmp_path / "f.csv", text))
    assert table.delimiter == delimiter
    assert table.columns == ("number", "amount")
    assert table.rows[0].cells == {"number": "F-1", "amount": rows[1][1]}


def test_a_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path / "f.csv", "id,name\nA-1,ACME\n", bom=True))
    assert table.columns == ("id", "name")


def test_crlf_inside_a_quoted_field_stays_in_the_value(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'id,name\r\nA-1,"first\r\nsecond"\r\nA-2,plain\r\n')
    table = read_table(path)
    assert [row.cells["name"] for row in table.rows] == ["first\r\nsecond", "plain"]
    assert [row.line for row in table.rows] == [2, 4]


def test_invalid_utf8_refuses_the_file_naming_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,name\nA-1,ok\nA-2,caf\xe9\n")
    with pytest.raises(InvalidInputFile) as refused:
        read_table(path)
    assert refused.value.line == 3
    assert "0xe9" in str(refused.value)


def test_an_unclosed_quote_refuses_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputFile) as refused:
        read_table(_write(tmp_path / "f.csv", 'id,name\nA-1,"never closed\n'))
    assert refused.value.line == 2


def test_a_cell_too_long_is_a_problem_of_its_row_only(tmp_path: Path) -> None:
    huge = "x" * 10_000_000
    table = read_table(_write(tmp_path / "f.csv", f"id,name\nA-1,{huge}\nA-2,fine\n"))
    first, second = table.rows
    assert [(p.line, p.column) for p in first.problems] == [(2, "name")]
    assert str(MAX_CELL) in first.problems[0].reason
    assert len(first.problems[0].value) < 100  # the report does not print 10 MB
    assert second.problems == () and second.cells["name"] == "fine"


def test_json_lines_keep_numbers_exact_and_report_bad_lines(tmp_path: Path) -> None:
    text = '{"id": "P-1", "amount": 0.1}\n\nnot json\n[1, 2]\n'
    table = read_table(_write(tmp_path / "p.jsonl", text))
    assert table.format == "jsonl"
    good, not_json, not_object = table.rows
    assert good.cells["amount"] == Decimal("0.1")
    assert (not_json.line, not_json.problems[0].reason.startswith("not JSON")) == (3, True)
    assert not_object.problems[0].reason == "each line must be one JSON object"


# -- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1234.50", "point", "1234.50"),
        ("1,234.50", "point", "1234.50"),
        ("1 234,50", "comma", "1234.50"),
        ("1.234,50", "comma", "1234.50"),
        ("1\u202f234,5", "comma", "1234.5"),
        ("-12", "point", "-12"),
    ],
)
def test_amounts_in_either_decimal_mark(text: str, decimal: str, expected: str) -> None:
    assert parse_amount(text, decimal) == Decimal(expected)


@pytest.mark.parametrize(("text", "decimal"), [("12,50", "point"), ("12.50", "comma")])
def test_the_other_decimal_mark_is_refused_with_a_hint(text: str, decimal: str) -> None:
    with pytest.raises(ValueError, match="declare --decimal"):
        parse_amount(text, decimal)


@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
    decimal=st.sampled_from(["point", "comma"]),
    grouped=st.booleans(),
)
def test_amounts_round_trip_through_either_decimal_mark(
    amount: Decimal, decimal: str, grouped: bool
) -> None:
    text = f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    if decimal == "comma":
        text = text.replace(",", " ").replace(".", ",")
    assert parse_amount(text, decimal) == amount


# -- validation and writing ----------------------------------------------------------------


def _invoices(store: MemoryStore) -> dict[str, Invoice]:
    with store.unit_of_work() as uow:
        return {i.number: i for g in uow.ledger.load(["A-1"]).values() for i in g.invoices}


def test_the_bad_rows_file_reports_every_row_and_writes_nothing() -> None:
    store = _store_with_accounts(
        Account(id="A-0001", name="a", currency="EUR"),
        Account(id="A-0013", name="b", currency="USD"),
        Account(id="A-0019", name="c", currency="JPY"),
    )
    report = _import(store, "invoices", LEDGER / "bad-invoices.csv")
    found = [(p.line, p.column) for p in report.problems]
    assert found == [
        (2, "due_on"),
        (3, "issued_on"),
        (4, "amount"),
        (5, "amount"),
        (6, "amount"),
        (7, "currency"),
        (8, "account_id"),
        (9, "currency"),
        (10, "number"),
        (11, "amount"),
    ]
    assert report.bad_rows == tuple(range(2, 12))
    assert not report.written
    with store.unit_of_work() as uow:
        ledgers = uow.ledger.load(["A-0001", "A-0013", "A-0019"])
    assert [ledger.invoices for ledger in ledgers.values()] == [(), (), ()]


def test_one_bad_row_keeps_every_good_row_out(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    text = INVOICE_HEADER + (
        "F-1,A-1,2026-01-01,2026-01-31,10.00,EUR\nF-2,A-1,2026-01-01,2025-12-31,10.00,EUR\n"
    )
    report = _import(store, "invoices", _write(tmp_path / "i.csv", text))
    assert (report.bad_rows, report.written) == ((3,), False)
    assert _invoices(store) == {}


def test_partial_writes_the_good_rows_and_rejects_the_bad(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    text = "number;account_id;issued_on;due_on;amount;currency\n" + (
        "F-1;A-1;2026-01-01;2026-01-31;10,00;EUR\nF-2;A-1;2026-01-01;2026-01-31;x;EUR\n"
    )
    source = _write(tmp_path / "i.csv", text)
    report = _import(store, "invoices", source, decimal="comma", partial=True)
    assert (report.written, report.new, report.bad_rows) == (True, 1, (3,))
    assert list(_invoices(store)) == ["F-1"]
    rejects = Path(report.rejects or "")
    assert rejects == tmp_path / "i.rejects.csv"
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["number", "account_id", "issued_on", "due_on", "amount", "currency", "error"]
    assert rows[1][:6] == ["F-2", "A-1", "2026-01-01", "2026-01-31", "x", "EUR"]
    assert rows[1][6].startswith("line 3, amount: ")


def test_json_rejects_keep_the_line_and_add_the_error(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    text = (
        '{"id": "P-1", "account_id": "A-1", "amount": 5, "currency": "EUR",'
        ' "received_on": "2026-02-01"}\n'
        '{"id": "P-2", "account_id": "A-1", "amount": 1.001, "currency": "EUR",'
        ' "received_on": "2026-02-01"}\n'
    )
    report = _import(store, "payments", _write(tmp_path / "p.jsonl", text), partial=True)
    assert (report.new, report.bad_rows) == (1, (2,))
    reject = json.loads(Path(report.rejects or "").read_text(encoding="utf-8"))
    assert reject["id"] == "P-2"
    assert reject["_error"].startswith("line 2, amount:")


def test_importing_the_same_files_twice_changes_nothing() -> None:
    store = MemoryStore()
    first = [
        _import(store, "accounts", LEDGER / "accounts.csv"),
        _import(store, "invoices", LEDGER / "invoices.csv", decimal="comma"),
        _import(store, "credit-notes", LEDGER / "credit-notes.tsv"),
        _import(store, "payments", LEDGER / "payments.jsonl", advices=LEDGER / "advices.csv"),
    ]
    assert all(report.new == report.rows and not report.problems for report in first)
    with store.unit_of_work() as uow:
        ids = uow.accounts.iter_ids(limit=1000)
        before = uow.ledger.load(ids), uow.history.events_of(ids), uow.accounts.get_many(ids)
    second = [
        _import(store, "accounts", LEDGER / "accounts.csv"),
        _import(store, "invoices", LEDGER / "invoices.csv", decimal="comma"),
        _import(store, "credit-notes", LEDGER / "credit-notes.tsv"),
        _import(store, "payments", LEDGER / "payments.jsonl", advices=LEDGER / "advices.csv"),
        _import(store, "advices", LEDGER / "advices.csv"),
    ]
    assert [(r.new, r.updated) for r in second] == [(0, 0)] * 5
    assert all(r.unchanged == r.rows or r.kind == "advices" for r in second)
    with store.unit_of_work() as uow:
        after = uow.ledger.load(ids), uow.history.events_of(ids), uow.accounts.get_many(ids)
    assert after == before


def test_a_changed_invoice_is_counted_as_updated(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    row = "F-1,A-1,2026-01-01,2026-01-31,{},EUR\n"
    _import(store, "invoices", _write(tmp_path / "a.csv", INVOICE_HEADER + row.format("10.00")))
    report = _import(
        store, "invoices", _write(tmp_path / "b.csv", INVOICE_HEADER + row.format("12"))
    )
    assert (report.new, report.updated, report.unchanged) == (0, 1, 0)
    assert _invoices(store)["F-1"].amount == Money("12.00", "EUR")


def test_a_key_twice_with_other_values_is_refused_on_its_second_line(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    rows = "F-1,A-1,2026-01-01,2026-01-31,10,EUR\n" * 2 + "F-1,A-1,2026-01-01,2026-01-31,11,EUR\n"
    report = _import(store, "invoices", _write(tmp_path / "i.csv", INVOICE_HEADER + rows))
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (4, "number", "also on line 2 with other values")
    ]


def test_an_invoice_number_of_another_account_is_refused(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME, Account(id="A-2", name="B", currency="EUR"))
    _import(
        store,
        "invoices",
        _write(tmp_path / "a.csv", INVOICE_HEADER + "F-1,A-1,2026-01-01,2026-01-31,10,EUR\n"),
    )
    report = _import(
        store,
        "invoices",
        _write(tmp_path / "b.csv", INVOICE_HEADER + "F-1,A-2,2026-01-01,2026-01-31,10,EUR\n"),
    )
    assert [(p.column, p.reason) for p in report.problems] == [
        ("number", "already on file for account A-1")
    ]


def test_a_credit_note_for_another_accounts_invoice_is_refused(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME, Account(id="A-2", name="B", currency="EUR"))
    _import(
        store,
        "invoices",
        _write(tmp_path / "a.csv", INVOICE_HEADER + "F-1,A-1,2026-01-01,2026-01-31,10,EUR\n"),
    )
    notes = (
        "number,account_id,issued_on,amount,currency,credits_invoice\n"
        "AV-1,A-2,2026-01-05,5,EUR,F-1\n"
    )
    report = _import(store, "credit-notes", _write(tmp_path / "n.csv", notes))
    assert [(p.column, p.reason) for p in report.problems] == [
        ("credits_invoice", "belongs to account A-1, not A-2")
    ]


def test_an_advice_for_a_payment_not_on_file_is_refused(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    advices = "payment_id,invoice_number,amount_paid,currency\nP-9,F-1,5,EUR\n"
    report = _import(store, "advices", _write(tmp_path / "a.csv", advices))
    assert [(p.line, p.column) for p in report.problems] == [(2, "payment_id")]
    assert not report.written


def test_an_advice_naming_an_invoice_twice_is_refused_on_the_second_line(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    payments = (
        '{"id": "P-1", "account_id": "A-1", "amount": "10", "currency": "EUR",'
        ' "received_on": "2026-02-01"}\n'
    )
    _import(store, "payments", _write(tmp_path / "p.jsonl", payments))
    advices = "payment_id,invoice_number,amount_paid,currency\nP-1,F-1,5,EUR\nP-1,F-1,5,EUR\n"
    report = _import(store, "advices", _write(tmp_path / "a.csv", advices))
    assert [(p.line, p.column) for p in report.problems] == [(3, "invoice_number")]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("number,account_id,issued_on,due_on,amout,currency\n", "unknown column 'amout'"),
        ("number,account_id,issued_on,due_on,currency\n", "lacks the required column amount"),
    ],
)
def test_a_header_with_a_wrong_column_refuses_the_file(
    tmp_path: Path, header: str, problem: str
) -> None:
    store = _store_with_accounts(ACME)
    with pytest.raises(InvalidInputFile, match=problem):
        _import(store, "invoices", _write(tmp_path / "i.csv", header))


def test_account_rows_build_contacts_terms_and_tags(tmp_path: Path) -> None:
    header = "id,name,currency,terms,email,mobile,address_line1,postal_code,city,country,tags\n"
    row = "A-1,ACME,eur,NET 45,ap@acme.example,+33612345678,1 rue X,75001,Paris,fr,vip;no-dunning\n"
    store = MemoryStore()
    report = _import(store, "accounts", _write(tmp_path / "a.csv", header + row))
    assert report.new == 1
    with store.unit_of_work() as uow:
        account = uow.accounts.get("A-1")
    assert account is not None
    assert (account.currency, account.terms.days, account.dunning_paused) == ("EUR", 45, True)
    assert account.postal_address is not None and account.postal_address.is_complete
    assert account.contacts[0].mobile == "+33612345678"


def test_a_payment_names_its_problems_by_column(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    text = (
        '{"id": "P-1", "account_id": "A-1", "amount": true, "currency": "EUR",'
        ' "received_on": "01/02/2026", "method": "PIGEON"}\n'
    )
    report = _import(store, "payments", _write(tmp_path / "p.jsonl", text))
    assert sorted(p.column for p in report.problems) == ["amount", "method", "received_on"]


def test_dates_in_a_declared_format(tmp_path: Path) -> None:
    store = _store_with_accounts(ACME)
    text = INVOICE_HEADER + "F-1,A-1,01/02/2026,03/03/2026,10,EUR\n"
    _import(store, "invoices", _write(tmp_path / "i.csv", text), date_format="%d/%m/%Y")
    assert _invoices(store)["F-1"].due_on == date(2026, 3, 3)


def test_an_import_goes_through_the_services_rules(tmp_path: Path) -> None:
    """Events for each record, a credit note applied to the invoice it credits, and
    suspension re-decided on the record's day unless the import defers it."""
    invoices = INVOICE_HEADER + (
        "F-1,A-1,2026-01-01,2026-01-31,100.00,EUR\nF-2,A-1,2026-03-01,2026-03-31,50.00,EUR\n"
    )
    notes = (
        "number,account_id,issued_on,amount,currency,credits_invoice\n"
        "CN-1,A-1,2026-03-02,30.00,EUR,F-1\n"
    )
    eager, deferred = _store_with_accounts(ACME), _store_with_accounts(ACME)
    report = _import(eager, "invoices", _write(tmp_path / "i.csv", invoices))
    # F-2 recorded on its issue day, F-1 then 29 days late: suspended at once.
    assert report.notes == ("account A-1 suspended",)
    quiet = _import(deferred, "invoices", tmp_path / "i.csv", defer_suspension=True)
    assert (quiet.new, quiet.notes) == (2, ())
    applied = _import(eager, "credit-notes", _write(tmp_path / "n.csv", notes))
    assert applied.new == 1
    with eager.unit_of_work() as uow:
        ledger = uow.ledger.load(["A-1"])["A-1"]
        kinds = [e.kind for e in uow.history.events_of(["A-1"])["A-1"]]
        state = uow.history.suspension_states(["A-1"])["A-1"]
    assert [(a.source_id, a.invoice_number, str(a.amount)) for a in ledger.allocations] == [
        ("CN-1", "F-1", "30.00 EUR")
    ]
    assert kinds.count("invoice.recorded") == 2 and "credit_note.applied" in kinds
    assert state.suspended
    with deferred.unit_of_work() as uow:
        assert uow.history.suspension_states(["A-1"]) == {}
