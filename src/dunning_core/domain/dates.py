"""``as_of`` handling: the one place a point in time becomes a calendar day.

Every policy takes ``as_of`` explicitly, as a ``date`` (already the account's local
day) or as a timezone-aware ``datetime`` (converted to the account's timezone). A naive
datetime is refused: its meaning would depend on the machine running the code.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dunning_core.errors import InvalidAsOf

__all__ = ["AsOf", "local_date"]

#: A calendar day, or an aware instant.
AsOf = date | datetime


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
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InvalidAsOf("as_of", as_of, "a datetime must be timezone-aware")
        return as_of.astimezone(tz).date()
    if isinstance(as_of, date):
        return as_of
    raise InvalidAsOf("as_of", as_of, "must be a date or an aware datetime")
