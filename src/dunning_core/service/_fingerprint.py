"""A stable fingerprint of configuration values (private to the service layer).

Two values that compare equal get the same fingerprint, in any process and on any
machine: the text hashed spells each value out by type and content (attrs classes by
their compared fields, mappings and sets sorted, dates and amounts in ISO form,
``dateutil`` recurrences by their RFC 5545 text, functions by their import path), never
by ``id()`` or ``hash()``. An
object of an unknown type is spelled by its ``repr``; if that repr shows an address,
the fingerprint changes with every process, which errs on the safe side (a full run).
"""

from __future__ import annotations

import enum
import hashlib
import types
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from dateutil.rrule import rrule, rruleset

from dunning_core.money import Money

__all__ = ["fingerprint", "spell"]


def _name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def spell(value: Any, out: list[str], *, skip: Iterable[str] = ()) -> None:
    """Append a canonical spelling of ``value`` to ``out`` (attrs fields in ``skip``
    are left out: only for the top-level value)."""
    if isinstance(value, enum.Enum):
        out.append(f"{_name(value)}.{value.name}")
    elif value is None or isinstance(value, (bool, int, str, float, Fraction)):
        out.append(f"{type(value).__name__}:{value!r}")
    elif isinstance(value, Money):
        out.append(f"Money:{value.amount}:{value.currency}")
    elif isinstance(value, Decimal):
        out.append(f"Decimal:{value}")
    elif isinstance(value, (date, datetime, time)):
        out.append(f"{type(value).__name__}:{value.isoformat()}")
    elif isinstance(value, timedelta):
        out.append(f"timedelta:{value.total_seconds()!r}")
    elif isinstance(value, ZoneInfo):
        out.append(f"ZoneInfo:{value.key}")
    elif isinstance(value, rrule):
        out.append(f"rrule:{value}")
    elif isinstance(value, rruleset):
        out.append("rruleset(")
        for part in ("_rrule", "_exrule"):
            out.append(part)
            for rule in getattr(value, part):
                spell(rule, out)
        for part in ("_rdate", "_exdate"):
            out.append(part)
            for day in sorted(getattr(value, part)):
                spell(day, out)
        out.append(")")
    elif attrs.has(type(value)):
        out.append(f"{_name(value)}(")
        skipped = set(skip)
        for field in attrs.fields(type(value)):
            if field.eq and field.name not in skipped:
                out.append(f"{field.name}=")
                spell(getattr(value, field.name), out)
        out.append(")")
    elif isinstance(value, Mapping):
        out.append("{")
        items = []
        for key, item in value.items():
            spelled_key: list[str] = []
            spell(key, spelled_key)
            items.append((spelled_key, item))
        for spelled_key, item in sorted(items, key=lambda pair: pair[0]):
            out.extend(spelled_key)
            out.append(":")
            spell(item, out)
        out.append("}")
    elif isinstance(value, (frozenset, set)):
        spelled = []
        for item in value:
            spelled_item: list[str] = []
            spell(item, spelled_item)
            spelled.append("\x1f".join(spelled_item))
        out.append("set(" + "\x1e".join(sorted(spelled)) + ")")
    elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        # A function by its import path; a lambda or a local one has no stable name and
        # is spelled with its address (every process then differs: a full run).
        qualname = getattr(value, "__qualname__", "")
        if "<" in qualname:
            out.append(f"function:{value!r}")
        else:
            out.append(f"function:{value.__module__}.{qualname}")
    elif isinstance(value, (tuple, list)):
        out.append("(")
        for item in value:
            spell(item, out)
        out.append(")")
    else:
        out.append(f"{_name(value)}:{value!r}")


def fingerprint(value: Any, *, skip: Iterable[str] = (), also: Iterable[str] = ()) -> str:
    """A hex digest of :func:`spell` of ``value`` (128 bits), and of the texts ``also``
    (versions of the code that decides with it)."""
    out: list[str] = list(also)
    spell(value, out, skip=skip)
    return hashlib.blake2b("\x1f".join(out).encode(), digest_size=16).hexdigest()
