"""Reading stored values back, for the SQL stores: every failure is a CorruptRecord.

A store rebuilds domain objects from rows it wrote itself, but a row can also come from
a hand edit, another program or a damaged file. Whatever is wrong with it, reading it
raises :class:`~dunning_core.errors.CorruptRecord` naming the table, the record, the
column (or domain field) and the value, never a Python built-in (``ValueError`` from
``date.fromisoformat``, ``JSONDecodeError``, ``IsADirectoryError`` from ``zoneinfo``),
so the cycle can report that one account and carry on.

Each ``*_from_row`` function is wrapped in :func:`reader`; the column parsers here raise
:class:`~dunning_core.errors.InvalidField` with the column's name, which the wrapper
turns into the CorruptRecord.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from dunning_core.errors import CorruptRecord, DunningError, InvalidField
from dunning_core.money import Money

__all__ = [
    "integer",
    "json_value",
    "money",
    "parse_day",
    "parse_instant",
    "parse_optional_day",
    "parse_optional_instant",
    "reader",
    "text_list",
]

Row = Sequence[Any]
T = TypeVar("T")

# What a malformed row can make Python raise while it is rebuilt (a KeyError from a JSON
# object without the expected key, an OSError from zoneinfo given a directory, ...).
_BUILTIN_FAILURES = (
    ArithmeticError,
    AttributeError,
    LookupError,
    OSError,
    TypeError,
    ValueError,
)


def reader(table: str, key_column: int = 0) -> Callable[[Callable[[Row], T]], Callable[[Row], T]]:
    """Decorator: the wrapped row reader raises only :class:`CorruptRecord`.

    Args:
        table: The table the rows come from.
        key_column: The index of the record's key in the row (for the message).
    """

    def decorate(build: Callable[[Row], T]) -> Callable[[Row], T]:
        @functools.wraps(build)
        def read(row: Row) -> T:
            try:
                return build(row)
            except CorruptRecord:
                raise
            except InvalidField as error:
                raise CorruptRecord(
                    table, _key(row, key_column), error.field, error.value, error.problem
                ) from error
            except DunningError as error:  # CurrencyMismatch, AccountMismatch, ...
                raise CorruptRecord(
                    table, _key(row, key_column), table, None, str(error)
                ) from error
            except _BUILTIN_FAILURES as error:
                raise CorruptRecord(
                    table, _key(row, key_column), table, None, f"{type(error).__name__}: {error}"
                ) from error

        return read

    return decorate


def _key(row: Row, column: int) -> Any:
    try:
        return row[column]
    except (IndexError, TypeError):
        return None


def parse_day(value: Any, field: str) -> date:
    """An ISO ``YYYY-MM-DD`` day."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField(field, value, "not an ISO date such as '2026-03-31'")


def parse_optional_day(value: Any, field: str) -> date | None:
    """A day, or ``None`` for NULL."""
    return None if value is None else parse_day(value, field)


def parse_instant(value: Any, field: str) -> datetime:
    """An aware ISO 8601 instant."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.utcoffset() is not None:
                return parsed
    raise InvalidField(field, value, "not an ISO 8601 instant with a UTC offset")


def parse_optional_instant(value: Any, field: str) -> datetime | None:
    """An instant, or ``None`` for NULL."""
    return None if value is None else parse_instant(value, field)


def integer(value: Any, field: str) -> int:
    """An INTEGER column's value (SQLite keeps text it cannot convert as text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidField(field, value, "not an integer")


def money(units: Any, currency: Any, field: str) -> Money:
    """Integer minor units and their currency code."""
    try:
        return Money.from_minor(integer(units, field), currency)
    except InvalidField as error:
        raise InvalidField(field, units, f"{currency!r}: {error.problem}") from error


def json_value(value: Any, field: str) -> Any:
    """A JSON document."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            pass
    raise InvalidField(field, value, "not JSON")


def text_list(value: Any, field: str) -> list[str]:
    """A JSON array of strings."""
    items = json_value(value, field)
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return items
    raise InvalidField(field, value, "not a JSON array of strings")
