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

from dunning_core.rendering.tables import (
    display_width,
    terminal_safe,
    to_csv,
    to_json,
    to_text_table,
)


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


def _column_starts(line: str, cells: list[str]) -> list[int]:
    """The terminal column where each cell starts in a rendered line."""
    starts, position = [], 0
    for cell in cells:
        index = line.index(cell, position)
        starts.append(display_width(line[:index]))
        position = index + len(cell)
    return starts


def test_wide_east_asian_names_line_up_with_latin_ones() -> None:
    rows = [["A-0038", "株式会社さくら 38", "JPY"], ["A-0040", "Käserei Gruyère AG 40", "CHF"]]
    table = to_text_table(["id", "customer", "currency"], rows).splitlines()
    assert _column_starts(table[2], rows[0]) == _column_starts(table[3], rows[1])
    assert table[1].split()[1] == "-" * display_width(rows[1][1])  # the widest name


def test_a_wide_cell_is_cut_to_the_width_in_terminal_columns() -> None:
    table = to_text_table(["name"], [["株式会社さくら株式会社さくら"]], max_width=9)
    cell = table.splitlines()[2]
    assert cell.endswith("…") and display_width(cell) <= 9


_names = st.text(
    alphabet=st.sampled_from("abcXYZ é株式会社さくら한국어ＡＢ\u0301"), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and display_width(s) > 0)


@given(st.lists(st.tuples(_names, _names), min_size=1, max_size=6))
def test_every_column_starts_at_the_same_terminal_column_on_every_line(
    rows: list[tuple[str, str]],
) -> None:
    lines = to_text_table(["a", "b"], [list(r) for r in rows], max_width=60).splitlines()
    starts = {lines[0].index("b", 1), lines[1].index("-", lines[1].index(" "))}
    for line, (first, second) in zip(lines[2:], rows, strict=True):
        assert line.startswith(first)
        rest = line[len(first) :]
        gap = len(rest) - len(rest.lstrip(" "))
        starts.add(display_width(first) + gap)
        assert rest.lstrip(" ") == second
    assert len(starts) == 1
