"""Issue 15, case 6: ``as_of`` near year 1 or 9999.

On main, an aware ``as_of`` within a day of the calendar's ends raised ``OverflowError``
out of ``run_cycle`` (converting it to a timezone), and a due date near 9999 plus a
ladder offset aborted the run the same way. Now ``as_of`` must leave every timezone a
local day (a typed ``InvalidAsOf`` up front, nothing written), and a date computed from
one account's data that leaves the calendar is that account's error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.dates import check_as_of, localize
from dunning_core.errors import InvalidAsOf
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig


def _store(*due_dates: date) -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for index, due_on in enumerate(due_dates):
            account_id = f"A-{index}"
            uow.accounts.add(
                Account(
                    id=account_id,
                    name="n",
                    currency="EUR",
                    timezone="Pacific/Kiritimati",
                    contacts=[Contact(name="c", email="c@example.com")],
                )
            )
            uow.ledger.add_invoices(
                [
                    Invoice(
                        number=f"F-{index}",
                        account_id=account_id,
                        issued_on=due_on - timedelta(days=30),
                        due_on=due_on,
                        amount=Money("10.00", "EUR"),
                    )
                ]
            )
        uow.commit()
    return store


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(9999, 12, 31, 23, tzinfo=UTC),
        datetime(9999, 12, 31, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
        date(9999, 12, 31),
        date(1, 1, 1),
    ],
)
def test_an_as_of_at_the_ends_of_the_calendar_is_refused_before_anything_is_written(
    as_of: date,
) -> None:
    store = _store(date(2026, 3, 1))
    with pytest.raises(InvalidAsOf) as raised:
        run_cycle(store.unit_of_work, CycleConfig(), as_of)
    assert raised.value.field == "as_of"
    assert "timezone" in raised.value.problem
    with store.unit_of_work() as uow:
        assert uow.history.actions_of(["A-0"]) == {"A-0": ()}


@pytest.mark.parametrize(
    "as_of", [datetime(9999, 12, 29, 23, tzinfo=UTC), datetime(1, 1, 3, 0, tzinfo=UTC)]
)
def test_the_last_supported_instants_have_a_local_day_everywhere(as_of: datetime) -> None:
    check_as_of(as_of)
    for key in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Etc/GMT+12", "Etc/GMT-14"):
        from zoneinfo import ZoneInfo

        assert localize(as_of, ZoneInfo(key)).day.year in (1, 9999)


def test_a_due_date_near_9999_is_that_accounts_error_and_the_run_carries_on() -> None:
    # A-0's invoice plus the preset ladder's offsets (+1 day) leaves the calendar.
    store = _store(date(9999, 12, 31), date(9999, 11, 1))
    report = run_cycle(store.unit_of_work, CycleConfig(), date(9999, 12, 29))
    assert [(e.account_id, e.error) for e in report.errors] == [("A-0", "DateOutOfRange")]
    assert "A-0" in report.errors[0].message or "9999" in report.errors[0].message
    assert report.accounts == 1
