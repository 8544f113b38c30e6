"""Business days and business hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import YEARLY, rrule, rruleset
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.errors import InvalidField
from dunning_core.policies.ladder import BusinessCalendar, BusinessHours

PARIS = ZoneInfo("Europe/Paris")
# French public holidays of May 2026: Labour Day, Victory Day, Ascension, Whit Monday.
MAY_2026 = {date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14), date(2026, 5, 25)}


def reference_shift(due_on: date, offset: int, holidays: set[date], weekend: set[int]) -> date:
    """Independent reference: list the business days around the due date and index it."""
    span = abs(offset) * 3 + 30
    days = [due_on + timedelta(days=k) for k in range(-span, span)]
    business = [d for d in days if d.weekday() not in weekend and d not in holidays]
    anchor = next(i for i, d in enumerate(business) if d >= due_on)
    return business[anchor + offset]


def test_shift_counts_business_days_skipping_weekends_and_holidays() -> None:
    cal = BusinessCalendar(holidays=MAY_2026)
    # Thursday 30 April + 1 business day: Fri 1 May is a holiday, then the weekend.
    assert cal.shift(date(2026, 4, 30), 1) == date(2026, 5, 4)
    assert cal.shift(date(2026, 4, 30), 5) == date(2026, 5, 11)
    assert cal.shift(date(2026, 4, 30), 10) == date(2026, 5, 19)
    assert cal.shift(date(2026, 4, 30), 15) == date(2026, 5, 27)
    # Due on a Saturday: the due date itself rolls to Monday; one before is Friday.
    assert cal.shift(date(2026, 5, 2), 0) == date(2026, 5, 4)
    assert cal.shift(date(2026, 5, 2), -1) == date(2026, 4, 30)


@given(
    due_on=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    offset=st.integers(-30, 90),
    holidays=st.sets(
        st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 6, 30)), max_size=40
    ),
    weekend=st.sampled_from([{5, 6}, {6}, {4, 5}, set()]),
)
def test_shift_matches_a_reference_count_of_business_days(
    due_on: date, offset: int, holidays: set[date], weekend: set[int]
) -> None:
    cal = BusinessCalendar(holidays=holidays, weekend=weekend)
    assert cal.shift(due_on, offset) == reference_shift(due_on, offset, holidays, weekend)


@given(
    due_on=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    offsets=st.lists(st.integers(-20, 60), min_size=2, max_size=6, unique=True),
)
def test_shift_keeps_distinct_offsets_distinct_and_in_order(
    due_on: date, offsets: list[int]
) -> None:
    cal = BusinessCalendar(holidays=MAY_2026)
    days = [cal.shift(due_on, o) for o in sorted(offsets)]
    assert days == sorted(set(days))


def test_rruleset_holidays_are_read_per_year() -> None:
    rules = rruleset()
    rules.rrule(rrule(YEARLY, bymonth=5, bymonthday=1, dtstart=datetime(2000, 1, 1)))
    rules.rrule(rrule(YEARLY, bymonth=7, bymonthday=14, dtstart=datetime(2000, 1, 1)))
    rules.rdate(datetime(2026, 5, 14))
    cal = BusinessCalendar(holidays=rules)
    assert cal.is_holiday(date(2031, 5, 1))
    assert cal.is_holiday(date(2026, 7, 14))
    assert cal.is_holiday(date(2026, 5, 14))
    assert not cal.is_holiday(date(2027, 5, 14))
    assert not cal.is_business_day(date(2026, 5, 1))
    assert cal.is_business_day(date(2026, 5, 4))


def test_bad_calendar_is_refused() -> None:
    with pytest.raises(InvalidField):
        BusinessCalendar(holidays=[datetime(2026, 5, 1)])
    with pytest.raises(InvalidField):
        BusinessCalendar(weekend=range(7))
    with pytest.raises(InvalidField):
        BusinessCalendar(holidays="2026-05-01")


def test_calendars_are_equal_by_value() -> None:
    assert BusinessCalendar(holidays=MAY_2026) == BusinessCalendar(holidays=set(MAY_2026))
    assert hash(BusinessCalendar()) == hash(BusinessCalendar())


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 3, 2, 8, 0), paris(2026, 3, 2, 9, 0)),  # Monday before opening
        (paris(2026, 3, 2, 12, 0), paris(2026, 3, 2, 12, 0)),  # inside the hours
        (paris(2026, 3, 2, 19, 0), paris(2026, 3, 3, 9, 0)),  # at closing: next morning
        (paris(2026, 3, 6, 20, 0), paris(2026, 3, 9, 9, 0)),  # Friday evening: Monday
        (paris(2026, 3, 28, 10, 0), paris(2026, 3, 30, 9, 0)),  # Saturday, DST on Sunday
        (paris(2026, 4, 30, 19, 30), paris(2026, 5, 4, 9, 0)),  # Fri 1 May is a holiday
    ],
)
def test_next_opening_in_the_accounts_timezone(moment: datetime, expected: datetime) -> None:
    hours = BusinessHours()
    found = hours.next_opening(moment, PARIS, BusinessCalendar(holidays=MAY_2026))
    assert found == expected
    assert found.utcoffset() == expected.utcoffset()


def test_next_opening_across_the_dst_change_is_nine_local() -> None:
    hours = BusinessHours()
    before = hours.next_opening(datetime(2026, 3, 27, 20, 0, tzinfo=UTC), PARIS)
    after = hours.next_opening(datetime(2026, 3, 29, 20, 0, tzinfo=UTC), PARIS)
    assert before.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert after.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    winter = hours.next_opening(datetime(2026, 3, 20, 20, 0, tzinfo=UTC), PARIS)
    assert winter.astimezone(UTC) == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET


def test_custom_business_hours() -> None:
    hours = BusinessHours(start="08:30", end=time(12), weekdays={5})
    monday = paris(2026, 3, 2, 10, 0)
    assert hours.next_opening(monday, PARIS) == paris(2026, 3, 7, 8, 30)
    with pytest.raises(InvalidField):
        BusinessHours(start="19:00", end="09:00")
    with pytest.raises(InvalidField):
        BusinessHours(start="nine")
    with pytest.raises(InvalidField):
        BusinessHours(weekdays=[])
