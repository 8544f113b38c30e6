"""Reading import files into rows of cells: CSV or JSON Lines, UTF-8 with or without BOM.

Nothing here knows what a column means; :mod:`dunning_core.cli._rows` does. A problem
with the whole file (not UTF-8, no header, a quote never closed) raises
:class:`~dunning_core.errors.InvalidInputFile`; a problem with one row (a cell too long,
the wrong number of cells, a line that is not JSON) stays on the row, so every bad row
of a file is reported at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from dunning_core.errors import InvalidInputFile

__all__ = [
    "DELIMITERS",
    "MAX_CELL",
    "RowProblem",
    "SourceRow",
    "SourceTable",
    "normalise_column",
    "preview",
    "read_table",
]

#: Delimiters the CSV reader recognises from the header line.
DELIMITERS = (",", ";", "\t", "|")
#: The longest cell accepted, in characters: a 10 MB "name" is an attack or an accident.
MAX_CELL = 4096
_JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}


@attrs.frozen
class RowProblem:
    """One problem with one row: where it is, what was there and why it is refused.

    Attributes:
        line: The file line the row starts on (1 is the first line, the CSV header).
        column: The column concerned, or ``""`` for the row as a whole.
        value: The value found, as text (shortened for display by :func:`preview`).
        reason: Why it is refused.
    """

    line: int
    column: str
    value: str
    reason: str


@attrs.frozen
class SourceRow:
    """One record of the file.

    Attributes:
        line: The line it starts on.
        cells: Column name (normalised) -> value: a str (stripped; empty cells are
            left out), or for JSON Lines any JSON value (numbers as ``Decimal``/int).
        raw: What the file held, for the reject file: the list of cells of a CSV
            record, or the text of a JSON line.
        problems: Problems found while splitting it (it is not validated further).
    """

    line: int
    cells: Mapping[str, object]
    raw: list[str] | str
    problems: tuple[RowProblem, ...] = ()


@attrs.frozen
class SourceTable:
    """A file read into rows.

    Attributes:
        path: The file, as given.
        format: ``"csv"`` or ``"jsonl"``.
        columns: The normalised column names (CSV: the header; JSON Lines: every key
            seen, in order of first appearance).
        header: The CSV header as written (for the reject file); empty for JSON Lines.
        delimiter: The CSV delimiter found (``""`` for JSON Lines).
        rows: The records, in file order (blank lines left out).
    """

    path: str
    format: str
    columns: tuple[str, ...]
    header: tuple[str, ...]
    delimiter: str
    rows: tuple[SourceRow, ...]


def normalise_column(name: str) -> str:
    """``" Due-On "`` -> ``"due_on"``: header names compared without case, spaces or dashes."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def preview(value: object, limit: int = 60) -> str:
    """A value as a report shows it: text, control characters escaped, long ones cut."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    shown = text.encode("unicode_escape").decode("ascii") if _has_control(text) else text
    if len(shown) > limit:
        return f"{shown[: limit - 1]}… ({len(text)} characters)"
    return shown


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def read_table(
    path: str | Path, *, file_format: str | None = None, delimiter: str | None = None
) -> SourceTable:
    """Read an import file.

    Args:
        path: The file.
        file_format: ``"csv"`` or ``"jsonl"``; by default from the suffix (``.jsonl``,
            ``.ndjson``, ``.json``: JSON Lines; ``.csv``, ``.tsv``, ``.txt``: CSV), else
            from the first character (``{``: JSON Lines).
        delimiter: The CSV delimiter; by default the one of ``, ; TAB |`` that the
            header line holds most often.

    Returns:
        The rows.

    Raises:
        InvalidInputFile: the file cannot be read, is not UTF-8 (the line and byte are
            named), is empty, has no usable header, or a CSV quote is never closed.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidInputFile(name, None, f"cannot read: {error.strerror or error}") from None
    text = _decode(name, data)
    if not text.strip():
        raise InvalidInputFile(name, None, "the file is empty")
    chosen = file_format or _guess_format(Path(path), text)
    if chosen == "jsonl":
        return _read_jsonl(name, text)
    if chosen != "csv":
        raise InvalidInputFile(name, None, f"unknown format {chosen!r}; use csv or jsonl")
    return _read_csv(name, text, delimiter)


def _decode(name: str, data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise InvalidInputFile(
            name,
            line,
            f"not UTF-8: byte 0x{byte:02x} at offset {error.start} ({error.reason}); "
            "export the file as UTF-8",
        ) from None


def _guess_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _JSON_SUFFIXES:
        return "jsonl"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


# -- CSV --------------------------------------------------------------------------------


def _sniff(header_line: str) -> str:
    """The delimiter the header line uses most (outside quotes); ``,`` when none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(name: str, text: str, delimiter: str | None) -> SourceTable:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    chosen = delimiter or _sniff(first_line)
    if len(chosen) != 1:
        raise InvalidInputFile(name, None, f"the delimiter must be one character, not {chosen!r}")
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # long cells are reported per row, not fatal
    try:
        records = list(_records(name, text, chosen))
    finally:
        csv.field_size_limit(previous_limit)
    if not records:
        raise InvalidInputFile(name, 1, "no header line")
    header_line, header = records[0]
    columns = tuple(normalise_column(cell) for cell in header)
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise InvalidInputFile(name, header_line, "the header has an empty column name")
        if column in seen:
            raise InvalidInputFile(name, header_line, f"column {column!r} appears twice")
        seen.add(column)
    rows = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_csv_row(line, cells, columns))
    return SourceTable(
        path=name,
        format="csv",
        columns=columns,
        header=tuple(header),
        delimiter=chosen,
        rows=tuple(rows),
    )


def _records(name: str, text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidInputFile(name, start, f"not valid CSV: {error}") from None
        yield start, cells


def _csv_row(line: int, cells: list[str], columns: tuple[str, ...]) -> SourceRow:
    if len(cells) != len(columns):
        count = RowProblem(
            line,
            "",
            f"{len(cells)} cells",
            f"the header has {len(columns)} columns; a delimiter inside a value needs quotes",
        )
        return SourceRow(line=line, cells={}, raw=cells, problems=(count,))
    values: dict[str, object] = {}
    problems = []
    for column, cell in zip(columns, cells, strict=True):
        problem = _cell_problem(line, column, cell)
        if problem is not None:
            problems.append(problem)
            continue
        value = cell.strip()
        if value:
            values[column] = value
    return SourceRow(line=line, cells=values, raw=cells, problems=tuple(problems))


def _cell_problem(line: int, column: str, value: str) -> RowProblem | None:
    if len(value) > MAX_CELL:
        return RowProblem(
            line,
            column,
            preview(value),
            f"the value is {len(value)} characters long; at most {MAX_CELL} are accepted",
        )
    if "\x00" in value:
        return RowProblem(line, column, preview(value), "the value holds a NUL character")
    return None


# -- JSON Lines -------------------------------------------------------------------------


def _read_jsonl(name: str, text: str) -> SourceTable:
    columns: dict[str, None] = {}
    rows = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        if not line_text.strip():
            continue
        rows.append(_json_row(number, line_text.rstrip("\r"), columns))
    return SourceTable(
        path=name,
        format="jsonl",
        columns=tuple(columns),
        header=(),
        delimiter="",
        rows=tuple(rows),
    )


def _json_row(line: int, text: str, columns: dict[str, None]) -> SourceRow:
    try:
        document = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as error:
        reason = f"not JSON: {getattr(error, 'msg', error)}"
        problem = RowProblem(line, "", preview(text), reason)
        return SourceRow(line=line, cells={}, raw=text, problems=(problem,))
    except (InvalidOperation, ValueError):
        # A number decimal cannot hold (0E1000000000000000000), or an integer longer
        # than Python converts (found by fuzzing, issue 15).
        reason = "not JSON this importer can read: a number out of range"
        problem = RowProblem(line, "", preview(text), reason)
        return SourceRow(line=line, cells={}, raw=text, problems=(problem,))
    if not isinstance(document, dict):
        problem = RowProblem(line, "", preview(text), "each line must be one JSON object")
        return SourceRow(line=line, cells={}, raw=text, problems=(problem,))
    values: dict[str, object] = {}
    problems = []
    for key, value in document.items():
        column = normalise_column(str(key))
        columns.setdefault(column, None)
        if isinstance(value, str):
            found = _cell_problem(line, column, value)
            if found is not None:
                problems.append(found)
                continue
            value = value.strip()
            if not value:
                continue
        if value is None:
            continue
        values[column] = value
    return SourceRow(line=line, cells=values, raw=text, problems=tuple(problems))
