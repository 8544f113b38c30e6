"""as_of handling: one check, one conversion per account, handed down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.dates import as_instant, check_as_of, local_date, localize, run_date
from dunning_core.errors import InvalidAsOf

NOUMEA = ZoneInfo("Pacific/Noumea")
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("bad", [datetime(2026, 3, 1, 12, 0), "2026-03-01", 20260301, None])
def test_every_entry_point_refuses_a_naive_datetime_or_a_non_date(bad: object) -> None:
    for convert in (check_as_of, as_instant, run_date, lambda v: local_date(v, PARIS)):
        with pytest.raises(InvalidAsOf):
            convert(bad)
    with pytest.raises(InvalidAsOf):
        localize(bad, PARIS)  # type: ignore[arg-type]


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_localized_as_of_gives_the_same_day_as_converting_each_time(moment: datetime) -> None:
    local = localize(moment, NOUMEA)
    assert local_date(local, NOUMEA) == local_date(moment, NOUMEA) == local.day
    assert local.instant == moment  # the same instant, seen from Nouméa
    assert local_date(local, PARIS) == local_date(moment, PARIS)  # another account converts
    assert as_instant(local) == moment and run_date(local) == run_date(moment)


def test_a_date_is_the_accounts_own_day_starting_at_its_local_midnight() -> None:
    local = localize(date(2026, 3, 1), NOUMEA)
    assert local.day == date(2026, 3, 1)
    assert local.instant == datetime(2026, 3, 1, tzinfo=NOUMEA)
    assert local_date(local, PARIS) == date(2026, 3, 1)  # a date stays that date
    assert localize(local, NOUMEA) is local


def test_run_date_is_the_utc_day_of_an_instant() -> None:
    late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert run_date(late) == date(2026, 3, 2)
    assert as_instant(date(2026, 3, 1)) == datetime(2026, 3, 1, tzinfo=UTC)
