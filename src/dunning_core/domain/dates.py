"""``as_of`` handling: the one place a point in time becomes a calendar day.

Every policy takes ``as_of`` explicitly, as a ``date`` (already the account's local
day) or as a timezone-aware ``datetime`` (converted to the account's timezone). A naive
datetime is refused: its meaning would depend on the machine running the code.

A caller evaluating one account with several policies converts once:
:func:`localize` gives a :class:`LocalAsOf` (the account's local day and the instant in
its timezone), which every policy accepts as ``as_of`` and reads without converting
again. The cycle does this for each account.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from dunning_core.errors import InvalidAsOf

__all__ = [
    "FIRST_AS_OF",
    "LAST_AS_OF",
    "AsOf",
    "LocalAsOf",
    "as_instant",
    "check_as_of",
    "local_date",
    "localize",
    "run_date",
]


@attrs.frozen(slots=True)
class LocalAsOf:
    """``as_of`` as one account sees it, converted once (see :func:`localize`).

    Attributes:
        as_of: What the caller gave: a date or an aware datetime.
        tz: The account's timezone.
        day: The account-local day.
        instant: The moment in ``tz``: ``as_of`` itself for a datetime, local midnight
            of ``day`` for a date.
    """

    as_of: date | datetime
    tz: ZoneInfo
    day: date
    instant: datetime


#: A calendar day, an aware instant, or either already converted for one account.
AsOf = date | datetime | LocalAsOf

#: The first and last day an ``as_of`` may fall on (its wall-clock date, for a
#: datetime): two days in from the ends of Python's calendar, so that every timezone
#: (UTC offsets stay within a day) has a local day for it.
FIRST_AS_OF = date.min + timedelta(days=2)
LAST_AS_OF = date.max - timedelta(days=2)


def check_as_of(as_of: object, field: str = "as_of") -> AsOf:
    """Return ``as_of`` if it is a ``date`` or an aware ``datetime``.

    The one check every entry point runs before converting time.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime (its meaning would depend on the
            machine's timezone), not a date at all, or falls outside
            :data:`FIRST_AS_OF` .. :data:`LAST_AS_OF`.
    """
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InvalidAsOf(field, as_of, "a datetime must be timezone-aware")
        _check_range(as_of.date(), as_of, field)
        return as_of
    if isinstance(as_of, LocalAsOf):
        return as_of
    if isinstance(as_of, date):
        _check_range(as_of, as_of, field)
        return as_of
    raise InvalidAsOf(field, as_of, "must be a date or an aware datetime")


def _check_range(day: date, as_of: object, field: str) -> None:
    if not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise InvalidAsOf(
            field,
            as_of,
            f"must fall between {FIRST_AS_OF} and {LAST_AS_OF}, so that every timezone "
            "has a local day for it",
        )


def localize(as_of: AsOf, tz: ZoneInfo) -> LocalAsOf:
    """Convert ``as_of`` once for an account in ``tz``.

    >>> from datetime import timezone
    >>> local = localize(datetime(2026, 1, 31, 13, 30, tzinfo=timezone.utc),
    ...                  ZoneInfo("Pacific/Noumea"))
    >>> local.day, local.instant.hour
    (datetime.date(2026, 2, 1), 0)

    Raises:
        InvalidAsOf: see :func:`check_as_of`.
    """
    checked = check_as_of(as_of)
    if isinstance(checked, LocalAsOf):
        return checked if checked.tz == tz else localize(checked.as_of, tz)
    if isinstance(checked, datetime):
        moment = checked.astimezone(tz)
        return LocalAsOf(checked, tz, moment.date(), moment)
    midnight = datetime.combine(checked, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)
    return LocalAsOf(checked, tz, checked, midnight)


def as_instant(as_of: AsOf) -> datetime:
    """An aware instant for ``as_of``: itself if a datetime, else 00:00 UTC of the day.

    Raises:
        InvalidAsOf: see :func:`check_as_of`.

    >>> as_instant(date(2026, 3, 1))
    datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    checked = check_as_of(as_of)
    if isinstance(checked, LocalAsOf):
        checked = checked.as_of
    if isinstance(checked, datetime):
        return checked
    return datetime.combine(checked, time(0, 0), tzinfo=UTC)


def run_date(as_of: AsOf) -> date:
    """The run's date: ``as_of`` itself, or the UTC date of an aware datetime.

    Raises:
        InvalidAsOf: see :func:`check_as_of`.
    """
    checked = check_as_of(as_of)
    if isinstance(checked, LocalAsOf):
        checked = checked.as_of
    if isinstance(checked, datetime):
        return checked.astimezone(UTC).date()
    return checked


def local_date(as_of: AsOf, tz: ZoneInfo) -> date:
    """Return the calendar day ``as_of`` falls on in ``tz``.

    Args:
        as_of: A ``date`` (returned unchanged), an aware ``datetime``, or a
            :class:`LocalAsOf` (its day, when converted for ``tz``).
        tz: The account's timezone.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime or not a date at all.

    >>> from datetime import timezone
    >>> local_date(datetime(2026, 1, 31, 13, 30, tzinfo=timezone.utc), ZoneInfo("Pacific/Noumea"))
    datetime.date(2026, 2, 1)
    """
    checked = check_as_of(as_of)
    if isinstance(checked, LocalAsOf):
        return checked.day if checked.tz == tz else local_date(checked.as_of, tz)
    if isinstance(checked, datetime):
        return checked.astimezone(tz).date()
    return checked
