"""``as_of`` handling: the one place a point in time becomes a calendar day.

Every policy takes ``as_of`` explicitly, as a ``date`` (already the account's local
day) or as a timezone-aware ``datetime`` (converted to the account's timezone). A naive
datetime is refused: its meaning would depend on the machine running the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dunning_core.errors import InvalidAsOf

__all__ = ["AsOf", "as_instant", "check_as_of", "local_date", "run_date"]

#: A calendar day, or an aware instant.
AsOf = date | datetime


def check_as_of(as_of: object, field: str = "as_of") -> AsOf:
    """Return ``as_of`` if it is a ``date`` or an aware ``datetime``.

    The one check every entry point runs before converting time.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime (its meaning would depend on the
            machine's timezone) or not a date at all.
    """
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InvalidAsOf(field, as_of, "a datetime must be timezone-aware")
        return as_of
    if isinstance(as_of, date):
        return as_of
    raise InvalidAsOf(field, as_of, "must be a date or an aware datetime")


def as_instant(as_of: AsOf) -> datetime:
    """An aware instant for ``as_of``: itself if a datetime, else 00:00 UTC of the day.

    Raises:
        InvalidAsOf: see :func:`check_as_of`.

    >>> as_instant(date(2026, 3, 1))
    datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    checked = check_as_of(as_of)
    if isinstance(checked, datetime):
        return checked
    return datetime.combine(checked, time(0, 0), tzinfo=UTC)


def run_date(as_of: AsOf) -> date:
    """The run's date: ``as_of`` itself, or the UTC date of an aware datetime.

    Raises:
        InvalidAsOf: see :func:`check_as_of`.
    """
    checked = check_as_of(as_of)
    if isinstance(checked, datetime):
        return checked.astimezone(UTC).date()
    return checked


def local_date(as_of: AsOf, tz: ZoneInfo) -> date:
    """Return the calendar day ``as_of`` falls on in ``tz``.

    Args:
        as_of: A ``date`` (returned unchanged) or an aware ``datetime``.
        tz: The account's timezone.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime or not a date at all.

    >>> from datetime import timezone
    >>> local_date(datetime(2026, 1, 31, 13, 30, tzinfo=timezone.utc), ZoneInfo("Pacific/Noumea"))
    datetime.date(2026, 2, 1)
    """
    checked = check_as_of(as_of)
    if isinstance(checked, datetime):
        return checked.astimezone(tz).date()
    return checked
