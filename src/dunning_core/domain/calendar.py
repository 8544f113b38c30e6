"""Business days and business hours (pure: no clock, no local timezone).

A :class:`BusinessCalendar` knows which days are weekends and holidays; ladders use it
for stages counted in business days and to keep SMS and phone tasks off holidays, and
the payment-in-flight rule (:mod:`dunning_core.policies.in_flight`) counts a clearing
window in its business days. The
holidays are the caller's: a set of dates, or a ``dateutil.rrule.rruleset`` (or
``rrule``) for rules such as "every 1 May", which may be unbounded.

>>> from datetime import date
>>> cal = BusinessCalendar(holidays={date(2026, 5, 1)})
>>> cal.shift(date(2026, 4, 29), 2)  # Wed + 2 business days, skipping Fri 1 May
datetime.date(2026, 5, 4)
>>> cal.shift(date(2026, 5, 2), 0)  # due on a Saturday: the due date rolls to Monday
datetime.date(2026, 5, 4)

.. versionchanged:: 0.2
   Moved from ``dunning_core.policies.ladder.calendar``: a domain value, shared by the
   ladder and the suspension policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from dateutil.rrule import rrule, rruleset

from dunning_core.errors import InvalidField

__all__ = ["WEEKDAY_NAMES", "BusinessCalendar", "BusinessHours", "CountryHolidays", "Holidays"]


@lru_cache(maxsize=4096)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@lru_cache(maxsize=512)
def _country_weekend(country: str, subdivision: str | None) -> frozenset[int]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision).weekend)


@lru_cache(maxsize=512)
def _check_region(country: str, subdivision: str | None) -> None:
    try:
        import holidays
    except ImportError:
        raise InvalidField(
            "CountryHolidays.country",
            country,
            "public holidays need the 'holidays' package (pip install dunning-core[holidays])",
        ) from None
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise InvalidField(
            "CountryHolidays.country", country, "the holidays package has no such country"
        )
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise InvalidField(
            "CountryHolidays.subdivision",
            subdivision,
            f"not a subdivision of {country} the holidays package knows ({known})",
        )


@attrs.frozen(cache_hash=True)
class CountryHolidays:
    """The public holidays of a country, or of one of its subdivisions, as the
    ``holidays`` package keeps them (install the ``holidays`` extra).

    Dates are read a year at a time, on first use, and cached; the value itself holds
    only the two codes, so it compares, hashes and pickles cheaply.

    Args:
        country: ISO 3166-1 alpha-2 code (``"FR"``, ``"NC"``, ``"DE"``, ``"ES"``).
        subdivision: A state, province or community as the package names it
            (``"BY"`` for Bavaria, ``"CT"`` for Catalonia), or ``None``.

    Raises:
        InvalidField: the package is not installed, or knows no such country or
            subdivision.
    """

    country: str
    subdivision: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_region(self.country, self.subdivision)

    def dates_in(self, year: int) -> frozenset[date]:
        """The public holidays of ``year``."""
        return _public_holidays(self.country, self.subdivision, year)

    @property
    def weekend(self) -> frozenset[int]:
        """The country's weekend days (``date.weekday()`` numbers)."""
        return _country_weekend(self.country, self.subdivision)


#: Holidays as a set of dates, a dateutil recurrence, or a country's public holidays.
Holidays = frozenset[date] | rruleset | rrule | CountryHolidays

#: ISO weekday names as used in configuration files; index = ``date.weekday()``.
WEEKDAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

_ONE_DAY = timedelta(days=1)


def _to_holidays(value: Any) -> Holidays:
    if isinstance(value, (rruleset, rrule, CountryHolidays)):
        return value
    if value is None:
        return frozenset()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidField(
            "BusinessCalendar.holidays", value, "must be a set of dates or a dateutil rruleset"
        )
    days = frozenset(value)
    for day in days:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidField("BusinessCalendar.holidays", day, "every holiday must be a date")
    return days


def _to_weekdays(value: Any) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidField("weekdays", value, "must be a set of weekday numbers 0 (Mon)-6 (Sun)")
    days = frozenset(value)
    for day in days:
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise InvalidField("weekdays", value, "weekday numbers go from 0 (Mon) to 6 (Sun)")
    return days


def _check_weekend(instance: Any, attribute: attrs.Attribute[Any], value: frozenset[int]) -> None:
    if len(value) == 7:
        raise InvalidField("BusinessCalendar.weekend", sorted(value), "leaves no business day")


@attrs.frozen(eq=True, cache_hash=True)
class BusinessCalendar:
    """Weekends and holidays: which days count as business days.

    Args:
        holidays: A set of dates, a ``dateutil`` ``rruleset`` / ``rrule`` (dates are
            read from its occurrences, one year at a time, and cached), or a
            :class:`CountryHolidays` (see :meth:`for_country`).
        weekend: Weekday numbers that are never business days (``date.weekday()``:
            0 is Monday); Saturday and Sunday by default.

    Raises:
        InvalidField: a holiday is not a date, or the weekend covers every day.
    """

    holidays: Holidays = attrs.field(default=frozenset(), converter=_to_holidays)
    weekend: frozenset[int] = attrs.field(
        default=frozenset({5, 6}), converter=_to_weekdays, validator=_check_weekend
    )
    _years: dict[int, frozenset[date]] = attrs.field(
        init=False, factory=dict, eq=False, hash=False, repr=False
    )

    def _holidays_in(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            rule = self.holidays
            if isinstance(rule, frozenset):
                days = frozenset(d for d in rule if d.year == year)
            elif isinstance(rule, CountryHolidays):
                days = rule.dates_in(year)
            else:
                start = datetime(year, 1, 1)
                end = datetime(year, 12, 31, 23, 59, 59)
                days = frozenset(moment.date() for moment in rule.between(start, end, inc=True))
            self._years[year] = days
        return days

    @classmethod
    def for_country(
        cls,
        country: str,
        subdivision: str | None = None,
        *,
        weekend: Iterable[int] | None = None,
    ) -> BusinessCalendar:
        """The business days of a country: its public holidays from the ``holidays``
        package (install the ``holidays`` extra), and its weekend.

        >>> from datetime import date
        >>> fr = BusinessCalendar.for_country("FR")
        >>> fr.is_holiday(date(2026, 7, 14)), fr.is_business_day(date(2026, 7, 15))
        (True, True)
        >>> BusinessCalendar.for_country("DE", "BY").is_holiday(date(2026, 1, 6))
        True
        >>> BusinessCalendar.for_country("DE", "BE").is_holiday(date(2026, 1, 6))
        False

        Args:
            country: ISO 3166-1 alpha-2 code: ``"FR"``, ``"NC"`` (New Caledonia),
                ``"DE"``, ``"ES"``...
            subdivision: A subdivision with holidays of its own: a German state
                (``"BY"``), a Spanish community (``"CT"``), a French department
                (``"57"`` for Moselle).
            weekend: Weekday numbers that are never business days; the country's own
                weekend by default.

        Raises:
            InvalidField: the package is missing or knows no such country/subdivision.
        """
        holidays = CountryHolidays(country, subdivision)
        return cls(
            holidays=holidays,
            weekend=holidays.weekend if weekend is None else frozenset(weekend),
        )

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is one of the holidays (whatever its weekday)."""
        holidays = self.holidays
        if isinstance(holidays, frozenset):
            return day in holidays
        return day in self._holidays_in(day.year)

    def is_business_day(self, day: date) -> bool:
        """True when ``day`` is neither a weekend day nor a holiday."""
        return day.weekday() not in self.weekend and not self.is_holiday(day)

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a business day, else the next business day."""
        while not self.is_business_day(day):
            day += _ONE_DAY
        return day

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (before it when negative).

        ``day`` itself need not be a business day; ``count=0`` returns it unchanged.
        """
        step = _ONE_DAY if count > 0 else -_ONE_DAY
        left = abs(count)
        while left:
            day += step
            if self.is_business_day(day):
                left -= 1
        return day

    def shift(self, due_on: date, offset: int) -> date:
        """The day ``offset`` business days from a due date.

        The due date first rolls forward to a business day (an invoice due on a
        Saturday is effectively due on Monday), then ``offset`` business days are
        counted from there, forward or backward. Distinct offsets thus give distinct
        days, in the same order.
        """
        return self.add_business_days(self.roll_forward(due_on), offset)


def _to_time(value: Any) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise InvalidField("BusinessHours", value, "a naive wall-clock time is expected")
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField("BusinessHours", value, "expected a time such as '09:00'")


@attrs.frozen
class BusinessHours:
    """When SMS and phone tasks may go out, in the account's own timezone.

    Args:
        start: Opening wall-clock time (09:00 by default); a ``time`` or ``"HH:MM"``.
        end: Closing wall-clock time (19:00 by default), after ``start``.
        weekdays: Weekday numbers with business hours (Monday to Friday by default).

    Raises:
        InvalidField: ``end`` is not after ``start``, or no weekday is given.
    """

    start: time = attrs.field(default=time(9), converter=_to_time)
    end: time = attrs.field(default=time(19), converter=_to_time)
    weekdays: frozenset[int] = attrs.field(default=frozenset(range(5)), converter=_to_weekdays)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidField("BusinessHours.end", self.end, f"must be after {self.start}")
        if not self.weekdays:
            raise InvalidField("BusinessHours.weekdays", (), "at least one weekday is needed")

    def next_opening(
        self, moment: datetime, tz: ZoneInfo, calendar: BusinessCalendar | None = None
    ) -> datetime:
        """The first instant at or after ``moment`` inside business hours in ``tz``.

        Days that are holidays in ``calendar`` have no business hours.

        Args:
            moment: An aware datetime.
            tz: The account's timezone.
            calendar: Holidays to avoid (none by default).

        Returns:
            An aware datetime in ``tz``: ``moment`` itself when it is inside business
            hours, else the next opening time.
        """
        local = moment.astimezone(tz)
        day = local.date()
        for _ in range(800):  # far more than any year of holidays can hold
            if day.weekday() in self.weekdays and (
                calendar is None or not calendar.is_holiday(day)
            ):
                opening = _wall(day, self.start, tz)
                if local <= opening:
                    return opening
                if local < _wall(day, self.end, tz):
                    return local
            day += _ONE_DAY
            local = _wall(day, time(0), tz)
        raise InvalidField("BusinessHours", self, "no business hours within two years")


def _wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    # Normalise through UTC so that a wall time skipped by a DST change (02:30 on the
    # spring-forward night) becomes the real instant after the gap.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)
