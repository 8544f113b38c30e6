"""Validators shared by the domain classes (private).

Each raises a named :class:`~dunning_core.errors.DunningError` subclass whose message
carries ``Class.field`` and the rejected value.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from dunning_core.errors import (
    CurrencyMismatch,
    InvalidAmount,
    InvalidDateRange,
    InvalidField,
    InvalidIdentifier,
)
from dunning_core.money import Money


def field_name(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


# A lone surrogate is not a character: no UTF-8 encoder (SQLite's, SMTP's) accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.isascii() and _SURROGATE.search(value):
        raise InvalidField(
            field_name(instance, attribute), value, "is not valid Unicode (a lone surrogate)"
        )


def non_empty_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text that must say something: a str with something other than whitespace in
    it (identifiers use :func:`identifier`)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(field_name(instance, attribute), value, "must be a non-empty string")
    _unicode(instance, attribute, value)


# Control, format (bidi overrides, zero-width joiners), surrogates, line and paragraph
# separators: nothing a person types in a number, and what header injection is made of.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def identifier_problem(value: object) -> str | None:
    """Why ``value`` is not an identifier, or ``None`` when it is one.

    An identifier is a non-empty str, without whitespace at either end, without
    control or format characters, in Unicode NFC form. It is compared exactly
    (case-sensitive): see docs/domain.md, "Identifiers".
    """
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    # Printable ASCII with no space at either end: nearly every real identifier, in a
    # few C calls.
    if value.isascii() and value.isprintable() and value[0] != " " and value[-1] != " ":
        return None
    if value != value.strip():
        return "must not begin or end with whitespace"
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return f"must not contain control or format characters (U+{ord(char):04X})"
    if not unicodedata.is_normalized("NFC", value):
        return "must be in Unicode NFC form"
    return None


def identifier(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An identifier: see :func:`identifier_problem`."""
    problem = identifier_problem(value)
    if problem is not None:
        raise InvalidIdentifier(field_name(instance, attribute), value, problem)


def optional_identifier(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        identifier(instance, attribute, value)


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        non_empty_text(instance, attribute, value)


def plain_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidField(field_name(instance, attribute), value, "must be a string")
    _unicode(instance, attribute, value)


def a_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A real ``bool`` (not 0 or 1, not a truthy string)."""
    if not isinstance(value, bool):
        raise InvalidField(field_name(instance, attribute), value, "must be a bool")


def a_date(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # datetime is a subclass of date; a datetime here would smuggle a time (and maybe a
    # timezone) into a calendar field, so it is refused.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidField(field_name(instance, attribute), value, "must be a datetime.date")


def optional_date(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        a_date(instance, attribute, value)


def money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidAmount(field_name(instance, attribute), value, "must be a Money")


def positive_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    money(instance, attribute, value)
    if value.amount <= 0:
        raise InvalidAmount(field_name(instance, attribute), value, "must be greater than zero")


def non_negative_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    money(instance, attribute, value)
    if value.amount < 0:
        raise InvalidAmount(field_name(instance, attribute), value, "must not be negative")


def optional_positive_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        positive_money(instance, attribute, value)


def not_before(earlier_field: str) -> Any:
    """Validator: this date is on or after the date in ``earlier_field``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        earlier = getattr(instance, earlier_field)
        if value < earlier:
            raise InvalidDateRange(
                field_name(instance, attribute),
                value,
                f"is before {type(instance).__name__}.{earlier_field}={earlier!r}",
            )

    return check


def same_currency(field: str, expected: str, actual: Money | None) -> None:
    if actual is not None and actual.currency != expected:
        raise CurrencyMismatch(expected, actual.currency, field)


def to_tuple(value: Any) -> tuple[Any, ...]:
    """Converter: accept any iterable (but not a lone string) and freeze it as a tuple."""
    if isinstance(value, (str, bytes)):
        return (value,)
    return tuple(value)


def to_frozenset(value: Any) -> frozenset[Any]:
    if isinstance(value, (str, bytes)):
        return frozenset((value,))
    return frozenset(value)


E = TypeVar("E", bound=enum.Enum)


def to_enum(enum_cls: type[E], field: str, value: object) -> E:
    """Convert ``value`` (a member or its value) to ``enum_cls``, or raise InvalidField
    listing the choices. Wrap it in a named converter per field (attrs' mypy plugin
    only understands named functions as converters)."""
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum_cls)
        raise InvalidField(field, value, f"must be one of {choices}") from None


K = TypeVar("K")
V = TypeVar("V")


class FrozenMapping(Mapping[K, V]):
    """A read-only mapping that pickles (``types.MappingProxyType`` does not), so frozen
    policies holding one can be sent to worker processes."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __reduce__(self) -> tuple[type[FrozenMapping[K, V]], tuple[dict[K, V]]]:
        return (type(self), (self._data,))


_T = TypeVar("_T")


def unchecked_constructor(cls: type[_T]) -> Any:
    """A constructor of the slotted attrs class ``cls`` that runs no validator and no
    converter, for values the library itself vouches for: rows a store wrote (validated
    when written, guarded by the store's integrity checks since), and the reasons and
    records a policy builds from values that are themselves validated. Callers pass
    every field by keyword (a missing or unknown one is a ``TypeError``), each already
    of its final type (tuples, frozensets, enum members' values where the field keeps
    plain text, ``Money``). Anything from outside goes through ``cls(...)``.
    """
    names = [field.name for field in attrs.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def build(*, {', '.join(names)}):", "    _self = _new(_cls)"]
    for index, name in enumerate(names):
        namespace[f"_set{index}"] = getattr(cls, name).__set__  # the slot itself
        lines.append(f"    _set{index}(_self, {name})")
    lines.append("    return _self")
    exec("\n".join(lines), namespace)  # code built from the class's field names only
    return namespace["build"]
