"""A three-year clock sweep (issue 15): daily runs from 2026-01-01 to 2028-12-31 over a
small portfolio in Pacific/Noumea, Europe/Paris, America/Sao_Paulo,
Australia/Lord_Howe (a 30-minute DST shift) and Pacific/Kiritimati (UTC+14), with
invoices due at every month end (the 31st, the 30th, 28 and 29 February).

Every stage of every invoice fires exactly once, never skipped, on the day the
account's own calendar says (counted here independently of the library), which is the
account's local day at the run's instant, and never on a weekend or a holiday of the
account's calendar.

The run happens at 12:00 UTC each day: 22:30 or 23:00 in Lord Howe, 23:00 or 00:00 in
Nouméa, 02:00 the next day in Kiritimati, 09:00 in São Paulo. Each run thus shows every
account the next local day, and a stage that came due on a day no run saw would show up
as fired late (or skipped).

``make test`` sweeps the memory store with one account per timezone; ``make soak`` the
SQLite store too, with two accounts per timezone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.easter import easter

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.policies.ladder import DayBasis, Ladder, LadderAssignment, Stage
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig

FIRST, LAST = date(2026, 1, 1), date(2028, 12, 31)
RUN_AT = time(12, 0)
YEARS = (2025, 2026, 2027, 2028, 2029)

# Business-day stages only: each lands on a business day by construction. Offsets count
# from the due date rolled forward to a business day.
STAGES = ((-2, "before"), (0, "due"), (3, "after_3"), (8, "after_8"), (15, "after_15"))


def _fixed(*month_days: tuple[int, int]) -> set[date]:
    return {date(year, month, day) for year in YEARS for month, day in month_days}


def _from_easter(*offsets: int) -> set[date]:
    return {easter(year) + timedelta(days=offset) for year in YEARS for offset in offsets}


def _nth_weekday(month: int, weekday: int, n: int) -> set[date]:
    found = set()
    for year in YEARS:
        day = date(year, month, 1)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        found.add(day + timedelta(weeks=n - 1))
    return found


_FRANCE = _fixed((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)) | (
    _from_easter(1, 39, 50)  # Easter Monday, Ascension, Whit Monday
)
HOLIDAYS: dict[str, set[date]] = {
    "Europe/Paris": _FRANCE,
    "Pacific/Noumea": _FRANCE | _fixed((9, 24)),  # Citizenship Day
    "America/Sao_Paulo": _fixed(
        (1, 1), (1, 25), (4, 21), (5, 1), (7, 9), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20)
    )
    | _fixed((12, 25))
    | _from_easter(-48, -47, -2, 60),  # Carnival, Good Friday, Corpus Christi
    "Australia/Lord_Howe": _fixed((1, 1), (1, 26), (4, 25), (12, 25), (12, 26))
    | _from_easter(-2, -1, 1)
    | _nth_weekday(6, 0, 2)  # King's Birthday
    | _nth_weekday(10, 0, 1),  # Labour Day
    "Pacific/Kiritimati": _fixed(
        (1, 1), (3, 8), (4, 18), (7, 11), (7, 12), (8, 7), (12, 10), (12, 25), (12, 26)
    )
    | _from_easter(-2, 1),
}
ZONES = tuple(HOLIDAYS)


def _month_ends() -> list[date]:
    ends = []
    for year in (2026, 2027, 2028):
        for month in range(1, 13):
            first_next = date(year + (month == 12), month % 12 + 1, 1)
            ends.append(first_next - timedelta(days=1))
    return ends


def _is_business_day(day: date, holidays: set[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def _expected_day(due_on: date, offset: int, holidays: set[date]) -> date:
    """The stage's day, counted here without the library: roll the due date forward to a
    business day, then step ``offset`` business days."""
    day = due_on
    while not _is_business_day(day, holidays):
        day += timedelta(days=1)
    step = timedelta(days=1 if offset > 0 else -1)
    for _ in range(abs(offset)):
        day += step
        while not _is_business_day(day, holidays):
            day += step
    return day


def _ladder(zone: str) -> Ladder:
    return Ladder(
        name=f"sweep-{zone.replace('/', '-').lower()}",
        stages=[
            Stage(
                key=key,
                offset=offset,
                basis=DayBasis.BUSINESS,
                channels="EMAIL",
                template="reminder.overdue",
            )
            for offset, key in STAGES
        ],
        calendar=BusinessCalendar(holidays=frozenset(HOLIDAYS[zone])),
    )


def _portfolio(per_zone: int) -> tuple[list[Account], list[Invoice], CycleConfig]:
    accounts, invoices, assignments = [], [], {}
    ladders = {zone: _ladder(zone) for zone in ZONES}
    for zone in ZONES:
        for copy in range(per_zone):
            account_id = f"{zone.split('/')[1][:8].upper()}-{copy}"
            accounts.append(
                Account(
                    id=account_id,
                    name=f"Customer in {zone}",
                    currency="EUR",
                    timezone=zone,
                    segment="LARGE",
                    contacts=[Contact(name="Billing", email=f"{account_id.lower()}@example.com")],
                )
            )
            assignments[account_id] = LadderAssignment(
                account_id=account_id, ladder=ladders[zone].name
            )
            for due_on in _month_ends():
                invoices.append(
                    Invoice(
                        number=f"{account_id}/{due_on:%Y-%m}",
                        account_id=account_id,
                        issued_on=due_on - timedelta(days=30),
                        due_on=due_on,
                        amount=Money("100.00", "EUR"),
                    )
                )
    config = CycleConfig(
        ladders={ladder.name: ladder for ladder in ladders.values()},
        default_ladder=next(iter(ladders.values())).name,
        assignments=assignments,
        notify_suspension=False,
    )
    return accounts, invoices, config


def _kinds() -> list[str]:
    if os.environ.get("HYPOTHESIS_PROFILE") == "soak":
        return ["memory", "sqlite"]
    return ["memory"]


@pytest.fixture(params=_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore()
        return
    sqlite = SqliteStore(tmp_path / "sweep.sqlite3")
    yield sqlite
    sqlite.close()


@pytest.mark.slow
def test_three_years_of_daily_runs_fire_every_stage_once_on_its_local_business_day(
    store: Any,
) -> None:
    per_zone = 2 if os.environ.get("HYPOTHESIS_PROFILE") == "soak" else 1
    accounts, invoices, config = _portfolio(per_zone)
    with store.unit_of_work() as uow:
        uow.accounts.add_many(accounts)
        uow.ledger.add_invoices(invoices)
        uow.commit()
    zone_of = {account.id: account.timezone for account in accounts}
    seen_local_days: dict[str, list[date]] = {account.id: [] for account in accounts}
    fired_on_run: dict[tuple[str, str, str], date] = {}  # (invoice, stage, channel) -> day

    day = FIRST
    while day <= LAST:
        instant = datetime.combine(day, RUN_AT, UTC)
        report = run_cycle(store.unit_of_work, config, instant)
        assert report.errors == ()
        with store.unit_of_work(read_only=True) as uow:
            history = uow.history.actions_of(list(zone_of))
        for account_id, records in history.items():
            local_day = instant.astimezone(ZoneInfo(zone_of[account_id])).date()
            seen_local_days[account_id].append(local_day)
            for record in records:
                for number in record.invoice_numbers:
                    key = (number, record.stage, "skipped" if record.skipped else "fired")
                    if key not in fired_on_run:
                        # Recorded by this run: dated with the account's local day.
                        assert record.fired_on == local_day, (record, local_day)
                        fired_on_run[key] = record.fired_on
        day += timedelta(days=1)

    # Every local day of every account was seen once, in order, none skipped.
    for account_id, days in seen_local_days.items():
        assert days == [days[0] + timedelta(days=k) for k in range(len(days))], account_id

    checked = 0
    for invoice in invoices:
        holidays = HOLIDAYS[zone_of[invoice.account_id]]
        for offset, stage in STAGES:
            expected = _expected_day(invoice.due_on, offset, holidays)
            if not seen_local_days[invoice.account_id][0] <= expected:
                continue  # due before the sweep began (January 2026's early stages)
            if expected > seen_local_days[invoice.account_id][-1]:
                continue  # falls after the sweep ends
            assert (invoice.number, stage, "skipped") not in fired_on_run
            fired = fired_on_run.get((invoice.number, stage, "fired"))
            assert fired == expected, (invoice.number, stage, fired, expected)
            assert _is_business_day(fired, holidays), (invoice.number, stage, fired)
            checked += 1
    # 36 month ends, 5 stages, one account per zone at least: most stages are checked.
    assert checked >= 0.95 * len(invoices) * len(STAGES)
    with store.unit_of_work(read_only=True) as uow:
        history = uow.history.actions_of(list(zone_of))
    fired_keys = [
        (number, r.stage, r.channel)
        for records in history.values()
        for r in records
        if not r.skipped
        for number in r.invoice_numbers
    ]
    assert len(fired_keys) == len(set(fired_keys))  # each stage once per invoice
