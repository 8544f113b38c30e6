"""Rows of values as CSV, JSON or a plain-text table (pure: values in, text out).

CSV is written in Excel's dialect (comma, double quotes doubled, CRLF line ends) and
neutralises formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with a single quote, so a spreadsheet shows it
as text instead of running it (a customer named ``=HYPERLINK(...)`` stays a name).
Numbers (``int``, ``Decimal``) are never prefixed: a negative balance stays a number.

>>> print(to_csv(["name", "open"], [["=1+1", Decimal("-12.50")]]), end="")
name,open
'=1+1,-12.50
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

__all__ = [
    "FORMULA_TRIGGERS",
    "Cell",
    "display_width",
    "neutralise",
    "terminal_safe",
    "to_csv",
    "to_json",
    "to_text_table",
]

#: What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: A value in a row: text, a number, a date, or nothing.
Cell = str | int | Decimal | date | None

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def neutralise(text: str) -> str:
    """Prefix ``text`` with ``'`` when a spreadsheet would take it for a formula.

    >>> neutralise("@SUM(A1)"), neutralise("ACME")
    ("'@SUM(A1)", 'ACME')
    """
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _plain(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The rows as CSV in Excel's dialect, text cells neutralised.

    Args:
        columns: The header.
        rows: One sequence of cells per row, in the header's order.

    Returns:
        The text, CRLF line ends, header first.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([neutralise(c) if isinstance(c, str) else _plain(c) for c in row])
    return buffer.getvalue()


def _json_value(cell: Cell) -> object:
    if isinstance(cell, Decimal):
        return str(cell)  # exact: a JSON number would be read back as a float
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def to_json(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The rows as a JSON array of objects; amounts as strings (exact), dates ISO."""
    records = [
        {column: _json_value(cell) for column, cell in zip(columns, row, strict=True)}
        for row in rows
    ]
    return json.dumps(records, ensure_ascii=False, indent=2)


def terminal_safe(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``): a customer name
    holding an ANSI escape sequence cannot repaint the terminal it is printed on."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0  # accents written as a second code point, zero-width joiners
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for a wide East Asian character
    (CJK ideographs, kana, hangul, full-width forms), none for a combining mark.

    >>> display_width("ACME"), display_width("株式会社さくら"), display_width("e\u0301")
    (4, 14, 1)
    """
    return sum(_char_width(char) for char in text)


def _cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, an ellipsis marking the cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += _char_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def to_text_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    right: Iterable[str] = (),
    max_width: int = 40,
) -> str:
    """The rows as an aligned plain-text table (control characters escaped, cells wider
    than ``max_width`` cut with an ellipsis). Widths are terminal columns
    (:func:`display_width`), so a Japanese customer name lines up with a French one.

    Args:
        columns: The header.
        rows: The rows.
        right: Columns aligned to the right (amounts, counts).
        max_width: The widest a cell may be, in terminal columns.
    """
    flush_right = set(right)
    lines = [[_cut(terminal_safe(_plain(c)), max_width) for c in row] for row in rows]
    widths = [display_width(column) for column in columns]
    for row in lines:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]

    def render(cells: Sequence[str]) -> str:
        parts = [
            _pad(cell, width, right=column in flush_right)
            for column, cell, width in zip(columns, cells, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [render(columns), render(["-" * w for w in widths])]
    out.extend(render(row) for row in lines)
    return "\n".join(out) + "\n"


def records(columns: Sequence[str], rows: Iterable[Mapping[str, Cell]]) -> list[list[Cell]]:
    """Mappings -> rows in ``columns`` order (a missing key is an empty cell)."""
    return [[row.get(column) for column in columns] for row in rows]
