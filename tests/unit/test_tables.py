"""rendering.tables: CSV in Excel's dialect with formula injection neutralised."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.rendering.tables import terminal_safe, to_csv, to_json, to_text_table


def _read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), dialect="excel"))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_a_spreadsheet_would_run_is_prefixed(start: str) -> None:
    cell = f'{start}HYPERLINK("http://evil.example","x")'
    assert _read_back(to_csv(["name"], [[cell]]))[1] == [f"'{cell}"]


def test_numbers_and_plain_text_are_left_alone() -> None:
    text = to_csv(["a", "b", "c", "d"], [[Decimal("-12.50"), -3, date(2026, 3, 1), "ACME"]])
    assert _read_back(text)[1] == ["-12.50", "-3", "2026-03-01", "ACME"]


def test_the_csv_is_excels_dialect() -> None:
    text = to_csv(["name"], [['say "hi", then\nbye']])
    assert text == 'name\r\n"say ""hi"", then\nbye"\r\n'


_CELL = st.one_of(st.text(), st.decimals(allow_nan=False, allow_infinity=False), st.integers())


@given(rows=st.lists(st.lists(_CELL, min_size=2, max_size=2), max_size=5))
def test_csv_round_trips_through_excels_dialect_with_formulas_neutralised(
    rows: list[list[object]],
) -> None:
    back = _read_back(to_csv(["a", "b"], rows))[1:]

    def expected(cell: object) -> str:
        if isinstance(cell, str):
            return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
        return str(cell)

    # csv.reader reads a lone empty row as [] (Excel's dialect writes it as an empty line)
    assert [row or ["", ""] for row in back] == [[expected(c) for c in row] for row in rows]


def test_json_keeps_amounts_exact_as_strings() -> None:
    assert json.loads(to_json(["amount", "on"], [[Decimal("0.10"), date(2026, 1, 2)]])) == [
        {"amount": "0.10", "on": "2026-01-02"}
    ]


def test_a_terminal_escape_in_a_name_is_printed_escaped() -> None:
    assert terminal_safe("ACME\x1b[2J\nX") == "ACME\\x1b[2J\\nX"
    table = to_text_table(["name"], [["\x1b]0;pwned\x07"]])
    assert "\x1b" not in table and "\\x1b" in table
