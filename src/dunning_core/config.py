"""Policies from TOML files (stdlib ``tomllib``), validated with clear errors.

Every problem names the file, the place in it (ladder name and stage key) and the
field, and every problem of a file is reported at once (:class:`~dunning_core.errors.
ConfigError` ``.problems``), so one bad stage does not hide the next.

Ladders live under ``[ladders.<name>]``, their stages in ``[[ladders.<name>.stages]]``::

    [ladders.standard]
    catch_up = "LATEST_ONLY"            # or "EACH_IN_TURN"
    min_days_between_notices = 3
    restart_on_partial_payment = false
    promise_grace_days = 3
    clearing_window_days = 10           # business days
    holidays = [2026-05-01, 2026-07-14] # TOML dates

    [ladders.standard.business_hours]   # for SMS and phone tasks, in the account's tz
    start = "09:00"
    end = "19:00"
    weekdays = ["MON", "TUE", "WED", "THU", "FRI"]

    [[ladders.standard.stages]]
    key = "first_notice"
    offset = 1                          # days from the due date, negative before it
    basis = "CALENDAR"                  # or "BUSINESS"
    channels = ["EMAIL"]
    action = "REMIND"
    template = "first_notice"
    fee = { EUR = "15.00" }             # amounts as strings, one per currency
    min_overdue = { EUR = "5.00", XPF = "500" }

Other sections (the cycle's configuration, say) can be added to the same file: each
loader reads its own section, and :func:`ladders_from_mapping` parses an
already-read ``ladders`` table.

This module only turns TOML into policies: it imports no service, adapter or renderer.
The cycle's configuration (:class:`~dunning_core.service.settings.CycleConfig`) and its
defaults live in the service layer (:func:`~dunning_core.service.settings.bootstrap`).

.. versionchanged:: 0.2
   ``CycleConfig`` moved to :mod:`dunning_core.service.settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from dunning_core._exports import moved
from dunning_core.domain.account import Channel
from dunning_core.errors import ConfigError, DunningError, InvalidField, InvalidLadder
from dunning_core.money import Money
from dunning_core.policies.ladder import (
    WEEKDAY_NAMES,
    ActionKind,
    BusinessCalendar,
    BusinessHours,
    CatchUp,
    DayBasis,
    Ladder,
    Stage,
)

__all__ = ["Problems", "ladders_from_mapping", "load_ladders", "read_toml"]


class Problems:
    """Collects configuration problems, then raises them together as a ConfigError."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[str, str, Any, str]] = []

    def add(self, where: str, field: str, value: Any, problem: str) -> None:
        """Record one problem at ``where`` (``"ladder 'x', stage 'y'"``) in ``field``."""
        self.found.append((where, field, value, problem))

    def raise_if_any(self) -> None:
        """Raise :class:`ConfigError` listing every problem recorded, if any."""
        if self.found:
            raise ConfigError(self.source, self.found)


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file.

    Raises:
        ConfigError: the file is not UTF-8 or not valid TOML (the message gives line and
            column).
        OSError: the file cannot be read.
    """
    with open(path, "rb") as handle:
        try:
            return tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(os.fspath(path), [("file", "(syntax)", None, str(error))]) from None
        except UnicodeDecodeError as error:
            # TOML is UTF-8; tomllib lets the decoding error through as it is.
            problem = f"not UTF-8 text (byte {error.start}: {error.reason})"
            raise ConfigError(os.fspath(path), [("file", "(encoding)", None, problem)]) from None


def load_ladders(path: str | os.PathLike[str]) -> dict[str, Ladder]:
    """Load the ladders of a TOML file (its ``[ladders.<name>]`` tables).

    Args:
        path: The file.

    Returns:
        ``{name: Ladder}`` in file order.

    Raises:
        ConfigError: the file is not TOML, has no ladder, or holds bad values; the
            message lists every problem with the file, ladder, stage key and field.
        OSError: the file cannot be read.
    """
    source = os.fspath(path)
    data = read_toml(path)
    if "ladders" not in data:
        raise ConfigError(source, [("file", "ladders", None, "no [ladders.<name>] table")])
    return ladders_from_mapping(data["ladders"], source=source)


def ladders_from_mapping(table: Any, *, source: str = "<config>") -> dict[str, Ladder]:
    """Build ladders from an already-read ``ladders`` table (name -> ladder table).

    Raises:
        ConfigError: on any bad value, listing every problem.
    """
    problems = Problems(source)
    ladders: dict[str, Ladder] = {}
    if not isinstance(table, Mapping) or not table:
        problems.add("file", "ladders", table, "must hold at least one [ladders.<name>] table")
        problems.raise_if_any()
    for name, spec in table.items():
        ladder = _ladder(name, spec, problems)
        if ladder is not None:
            ladders[name] = ladder
    problems.raise_if_any()
    return ladders


# -- one ladder ---------------------------------------------------------------------------

_LADDER_FIELDS = {
    "description",
    "catch_up",
    "min_days_between_notices",
    "restart_on_partial_payment",
    "promise_grace_days",
    "clearing_window_days",
    "holidays",
    "business_hours",
    "stages",
}
_STAGE_FIELDS = {
    "key",
    "offset",
    "basis",
    "channels",
    "action",
    "template",
    "fee",
    "min_overdue",
}


def _ladder(name: str, spec: Any, problems: Problems) -> Ladder | None:
    where = f"ladder {name!r}"
    if not isinstance(spec, Mapping):
        problems.add(where, "(table)", spec, "must be a table of settings")
        return None
    before = len(problems.found)
    for unknown in sorted(set(spec) - _LADDER_FIELDS):
        problems.add(where, unknown, spec[unknown], "unknown setting")
    kwargs: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "description": _text,
        "catch_up": _choice(CatchUp),
        "min_days_between_notices": _days,
        "restart_on_partial_payment": _flag,
        "promise_grace_days": _days,
        "clearing_window_days": _days,
    }
    for field, parse in parsers.items():
        if field in spec:
            _parse(problems, where, field, spec[field], parse, kwargs)
    if "holidays" in spec:
        holidays: dict[str, Any] = {}
        _parse(problems, where, "holidays", spec["holidays"], _holidays, holidays)
        if "holidays" in holidays:
            found = holidays["holidays"]
            kwargs["calendar"] = (
                found if isinstance(found, BusinessCalendar) else BusinessCalendar(holidays=found)
            )
    if "business_hours" in spec:
        _parse(problems, where, "business_hours", spec["business_hours"], _hours, kwargs)
    stages = _stages(where, spec.get("stages"), problems)
    if len(problems.found) > before or stages is None:
        return None
    try:
        return Ladder(name=name, stages=stages, **kwargs)
    except InvalidLadder as error:
        at = where if error.stage is None else f"{where}, stage {error.stage!r}"
        problems.add(at, error.field.rsplit(".", 1)[-1], error.value, error.problem)
    except InvalidField as error:
        problems.add(where, error.field.rsplit(".", 1)[-1], error.value, error.problem)
    return None


def _stages(where: str, specs: Any, problems: Problems) -> list[Stage] | None:
    if specs is None:
        problems.add(where, "stages", None, "no [[ladders.<name>.stages]] table")
        return None
    if not isinstance(specs, list):
        problems.add(where, "stages", specs, "must be an array of tables")
        return None
    stages: list[Stage] = []
    ok = True
    for number, spec in enumerate(specs, start=1):
        stage = _stage(where, number, spec, problems)
        if stage is None:
            ok = False
        else:
            stages.append(stage)
    return stages if ok else None


def _stage(ladder: str, number: int, spec: Any, problems: Problems) -> Stage | None:
    if not isinstance(spec, Mapping):
        problems.add(f"{ladder}, stage #{number}", "(table)", spec, "must be a table")
        return None
    key = spec.get("key")
    where = f"{ladder}, stage {key!r}" if isinstance(key, str) else f"{ladder}, stage #{number}"
    before = len(problems.found)
    for unknown in sorted(set(spec) - _STAGE_FIELDS):
        problems.add(where, unknown, spec[unknown], "unknown field")
    for required in ("key", "offset"):
        if required not in spec:
            problems.add(where, required, None, "missing")
    kwargs: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "key": _text,
        "offset": _integer,
        "basis": _choice(DayBasis),
        "channels": _channels,
        "action": _choice(ActionKind),
        "template": _text,
        "fee": _amounts,
        "min_overdue": _amounts,
    }
    for field, parse in parsers.items():
        if field in spec:
            _parse(problems, where, field, spec[field], parse, kwargs)
    if len(problems.found) > before:
        return None
    try:
        return Stage(**kwargs)
    except InvalidField as error:
        problems.add(where, error.field.rsplit(".", 1)[-1], error.value, error.problem)
        return None


# -- field parsers (each raises InvalidField with the problem) ------------------------------


def _parse(
    problems: Problems,
    where: str,
    field: str,
    value: Any,
    parse: Callable[[Any], Any],
    into: dict[str, Any],
) -> None:
    try:
        into[field] = parse(value)
    except DunningError as error:
        problem = error.problem if isinstance(error, InvalidField) else str(error)
        shown = error.value if isinstance(error, InvalidField) else value
        problems.add(where, field, shown, problem)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField("", value, "must be a non-empty string")
    return value


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidField("", value, "must be a whole number")
    return value


def _days(value: Any) -> int:
    if _integer(value) < 0:
        raise InvalidField("", value, "must be a number of days >= 0")
    return int(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidField("", value, "must be true or false")
    return value


def _choice(kind: Any) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            raise InvalidField("", value, f"must be one of {choices}") from None

    return parse


def _channels(value: Any) -> tuple[Channel, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InvalidField("", value, 'must be a list such as ["EMAIL", "SMS"]')
    return tuple(_choice(Channel)(item) for item in value)


def _amounts(value: Any) -> tuple[Money, ...]:
    if not isinstance(value, Mapping):
        raise InvalidField("", value, 'must be a table of amounts per currency: { EUR = "15.00" }')
    amounts = []
    for currency, amount in value.items():
        if isinstance(amount, float):
            raise InvalidField(
                "", amount, f'{currency}: write the amount as a string ("15.00"), not a float'
            )
        if not isinstance(amount, (str, int)) or isinstance(amount, bool):
            raise InvalidField("", amount, f"{currency}: must be a decimal string")
        amounts.append(Money(amount, currency))
    return tuple(amounts)


def _holidays(value: Any) -> frozenset[date] | BusinessCalendar:
    if isinstance(value, str):
        # A region's public holidays: "FR", "NC", "DE-BY", "ES-CT" (the holidays extra).
        country, _, subdivision = value.partition("-")
        return BusinessCalendar.for_country(country, subdivision or None)
    if not isinstance(value, list):
        raise InvalidField(
            "", value, 'must be a list of dates such as [2026-05-01], or a region such as "FR"'
        )
    days = set()
    for item in value:
        if isinstance(item, str):
            try:
                item = date.fromisoformat(item)
            except ValueError:
                raise InvalidField("", item, "not an ISO date such as 2026-05-01") from None
        if not isinstance(item, date) or isinstance(item, datetime):
            raise InvalidField("", item, "must be a date such as 2026-05-01")
        days.add(item)
    return frozenset(days)


def _hours(value: Any) -> BusinessHours:
    if not isinstance(value, Mapping):
        raise InvalidField("", value, 'must be a table: { start = "09:00", end = "19:00" }')
    unknown = set(value) - {"start", "end", "weekdays"}
    if unknown:
        raise InvalidField("", sorted(unknown), "unknown keys (start, end, weekdays)")
    kwargs: dict[str, Any] = {}
    for bound in ("start", "end"):
        if bound in value:
            moment = value[bound]
            if not isinstance(moment, (str, time)):
                raise InvalidField("", moment, f"{bound} must be a time such as '09:00'")
            kwargs[bound] = moment
    if "weekdays" in value:
        names = value["weekdays"]
        if not isinstance(names, list) or any(n not in WEEKDAY_NAMES for n in names):
            raise InvalidField("", names, f"weekdays must be a list of {', '.join(WEEKDAY_NAMES)}")
        kwargs["weekdays"] = frozenset(WEEKDAY_NAMES.index(n) for n in names)
    return BusinessHours(**kwargs)


# CycleConfig lived here in 0.1; it belongs to the service layer (the composition of
# policies with a renderer and links), so config no longer reaches an adapter.
__getattr__, __dir__ = moved(
    __name__,
    {"CycleConfig": "dunning_core.service.settings"},
    keep=dict.fromkeys(__all__),
)
