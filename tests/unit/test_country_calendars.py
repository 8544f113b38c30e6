"""BusinessCalendar.for_country: public holidays from the ``holidays`` package, used by
ladders' business-day stages (in configuration and per account in the cycle)."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path

import holidays  # noqa: F401  # a locked dev dependency: fail without it, never skip
import pytest

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.config import load_ladders
from dunning_core.domain.calendar import BusinessCalendar, CountryHolidays
from dunning_core.errors import ConfigError, InvalidField
from dunning_core.policies.ladder import Ladder, Stage
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig


@pytest.mark.parametrize(
    ("country", "subdivision", "holiday", "working"),
    [
        ("FR", None, date(2026, 7, 14), date(2026, 7, 15)),
        ("NC", None, date(2026, 9, 24), date(2026, 9, 23)),  # Citizenship Day
        ("DE", "BY", date(2026, 1, 6), date(2026, 1, 7)),  # Epiphany in Bavaria
        ("ES", "CT", date(2026, 9, 11), date(2026, 9, 10)),  # La Diada in Catalonia
    ],
)
def test_a_regions_public_holidays_are_not_business_days(
    country: str, subdivision: str | None, holiday: date, working: date
) -> None:
    calendar = BusinessCalendar.for_country(country, subdivision)
    assert calendar.is_holiday(holiday) and not calendar.is_business_day(holiday)
    assert calendar.is_business_day(working)


def test_holidays_differ_between_subdivisions() -> None:
    assert not BusinessCalendar.for_country("DE", "BE").is_holiday(date(2026, 1, 6))
    assert not BusinessCalendar.for_country("ES", "MD").is_holiday(date(2026, 9, 11))
    assert BusinessCalendar.for_country("FR", "57").is_holiday(date(2026, 12, 26))  # Moselle
    assert not BusinessCalendar.for_country("FR").is_holiday(date(2026, 12, 26))


def test_business_days_skip_the_holiday() -> None:
    calendar = BusinessCalendar.for_country("FR")
    assert calendar.shift(date(2026, 7, 13), 1) == date(2026, 7, 15)
    assert calendar.weekend == frozenset({5, 6})


def test_a_country_calendar_compares_hashes_and_pickles_by_region() -> None:
    first = BusinessCalendar.for_country("DE", "BY")
    second = BusinessCalendar.for_country("DE", "BY")
    assert first == second and hash(first) == hash(second)
    assert first != BusinessCalendar.for_country("DE", "BE")
    copy = pickle.loads(pickle.dumps(first))
    assert copy == first and copy.is_holiday(date(2026, 1, 6))


def test_unknown_regions_are_refused_by_name() -> None:
    with pytest.raises(InvalidField) as country:
        BusinessCalendar.for_country("XX")
    assert country.value.field == "CountryHolidays.country" and country.value.value == "XX"
    with pytest.raises(InvalidField) as subdivision:
        CountryHolidays("DE", "ZZ")
    assert subdivision.value.field == "CountryHolidays.subdivision"
    assert "BY" in subdivision.value.problem


def test_a_ladder_file_names_a_region_for_its_holidays(tmp_path: Path) -> None:
    path = tmp_path / "ladders.toml"
    path.write_text(
        '[ladders.bavaria]\nholidays = "DE-BY"\n'
        '[[ladders.bavaria.stages]]\nkey = "r1"\noffset = 1\nbasis = "BUSINESS"\n'
        'channels = ["EMAIL"]\n',
        encoding="utf-8",
    )
    ladder = load_ladders(path)["bavaria"]
    assert ladder.calendar == BusinessCalendar.for_country("DE", "BY")
    path.write_text(path.read_text(encoding="utf-8").replace("DE-BY", "DE-ZZ"), encoding="utf-8")
    with pytest.raises(ConfigError, match="holidays='ZZ'"):
        load_ladders(path)


LADDER = Ladder(
    name="next-business-day",
    stages=[Stage(key="r1", offset=1, basis="BUSINESS", channels=["EMAIL"], template="overdue")],
)


def _sent_on(country_holidays: bool, day: date) -> int:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(
                id="A-1",
                name="ACME",
                currency="EUR",
                country="FR",
                contacts=[Contact(email="compta@acme.example")],
            )
        )
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-1",
                    account_id="A-1",
                    issued_on=date(2026, 6, 13),
                    due_on=date(2026, 7, 13),
                    amount=Money("100.00", "EUR"),
                )
            ]
        )
        uow.commit()
    config = CycleConfig(
        ladders={LADDER.name: LADDER},
        default_ladder=LADDER.name,
        country_holidays=country_holidays,
        notify_credit_alerts=False,
    )
    report = run_cycle(store.unit_of_work, config, day)
    assert report.errors == ()
    with store.unit_of_work() as uow:
        return len(uow.outbox.messages_of(["A-1"])["A-1"])


def test_the_cycle_counts_business_days_in_the_accounts_country() -> None:
    # Due Monday 13 July 2026; one business day later is Wednesday: 14 July is a holiday.
    assert _sent_on(country_holidays=True, day=date(2026, 7, 14)) == 0
    assert _sent_on(country_holidays=True, day=date(2026, 7, 15)) == 1
    # Without the option the ladder's own calendar (weekends only) counts the 14th.
    assert _sent_on(country_holidays=False, day=date(2026, 7, 14)) == 1
