"""Which accounts run_cycle evaluates (issue 13): those marked by a write or whose wake-up
date came; every account on request, after a configuration change, or for an earlier
day. On the memory and SQLite stores."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from dunning_core import Account, Contact, Invoice, Money, Payment, Segment
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.policies.credit import CreditAlertPolicy
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import run_cycle
from dunning_core.service.payments import record_payment
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.fakes import FaultInjector, InjectedFault

D = date(2026, 3, 2)
ONE_DAY = timedelta(days=1)


@pytest.fixture(params=["memory", "sqlite"])
def uow_factory(request: pytest.FixtureRequest) -> Iterator[UowFactory]:
    if request.param == "memory":
        yield MemoryStore().unit_of_work
        return
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "db.sqlite3")
        yield store.unit_of_work
        store.close()


def _account(k: int) -> Account:
    return Account(
        id=f"A-{k}",
        name=f"Customer {k}",
        currency="EUR",
        segment=Segment.SMALL,
        contacts=[Contact(name="AP", email=f"ap{k}@example.com")],
    )


def _seed(uow_factory: UowFactory, count: int, due_on: date) -> list[str]:
    """``count`` accounts with one 100 EUR invoice each, due on ``due_on``."""
    accounts = [_account(k) for k in range(count)]
    with uow_factory() as uow:
        uow.accounts.add_many(accounts)
        uow.ledger.add_invoices(
            Invoice(
                number=f"F-{a.id}",
                account_id=a.id,
                issued_on=due_on - timedelta(days=30),
                due_on=due_on,
                amount=Money("100.00", "EUR"),
            )
            for a in accounts
        )
        uow.commit()
    return [a.id for a in accounts]


def test_a_quiet_day_evaluates_only_the_accounts_due(uow_factory: UowFactory) -> None:
    config = CycleConfig()  # due-date reminders: 7 days before, on the day, the day after
    _seed(uow_factory, 3, due_on=D + timedelta(days=20))
    first = run_cycle(uow_factory, config, D)
    assert first.full and first.accounts == 3  # nothing stored yet: every account
    quiet = run_cycle(uow_factory, config, D + ONE_DAY)
    assert not quiet.full and quiet.accounts == 0
    with uow_factory() as uow:
        assert uow.reviews.next_review_on(["A-0"]) == {"A-0": D + timedelta(days=13)}
    record_payment(
        uow_factory(),
        Payment(id="P-1", account_id="A-1", amount=Money("100.00", "EUR"), received_on=D),
        config=config,
        as_of=D + ONE_DAY,
    )
    paid = run_cycle(uow_factory, config, D + 2 * ONE_DAY)
    assert paid.accounts == 1  # the payment marked A-1
    reminders = run_cycle(uow_factory, config, D + timedelta(days=13))
    assert reminders.accounts == 2 and reminders.actions == {"REMIND": 2}
    with uow_factory() as uow:
        assert uow.reviews.next_review_on(["A-1"]) == {"A-1": date.max}  # paid up


def test_full_evaluates_every_account_and_writes_nothing_new(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    _seed(uow_factory, 3, due_on=D)
    run_cycle(uow_factory, config, D)
    forced = run_cycle(uow_factory, config, D + ONE_DAY, full=True)
    assert forced.full and forced.accounts == 3
    assert forced.actions == {"REMIND": 3}  # the day-after reminders, due anyway
    again = run_cycle(uow_factory, config, D + ONE_DAY, full=True, resume=False)
    assert again.accounts == 3 and again.actions_total == again.messages == 0


def test_a_new_configuration_makes_the_next_run_full_by_itself(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    _seed(uow_factory, 2, due_on=D + timedelta(days=20))
    run_cycle(uow_factory, config, D)
    assert not run_cycle(uow_factory, CycleConfig(), D + ONE_DAY).full  # equal, built afresh
    changed = CycleConfig(credit=CreditAlertPolicy(thresholds=(50, 100)))
    after = run_cycle(uow_factory, changed, D + 2 * ONE_DAY)
    assert after.full and after.accounts == 2
    assert not run_cycle(uow_factory, changed, D + 3 * ONE_DAY).full


def test_a_new_configuration_reaches_every_shard(uow_factory: UowFactory) -> None:
    ids = _seed(uow_factory, 8, due_on=D + timedelta(days=20))
    run_cycle(uow_factory, CycleConfig(), D)
    changed = CycleConfig(default_ladder="five-notices-then-termination")
    shards = [run_cycle(uow_factory, changed, D + ONE_DAY, shard=(i, 2)) for i in range(2)]
    assert shards[0].full and not shards[1].full  # the first shard saw the change...
    assert sum(s.accounts for s in shards) == len(ids)  # ...and marked the other's accounts


def test_a_day_before_one_already_run_evaluates_every_account(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    _seed(uow_factory, 2, due_on=D + timedelta(days=20))
    run_cycle(uow_factory, config, D + timedelta(days=5))
    earlier = run_cycle(uow_factory, config, D)
    assert earlier.full and earlier.accounts == 2
    assert not run_cycle(uow_factory, config, D + timedelta(days=6)).full


def test_an_account_with_invalid_data_is_reported_by_every_run(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    _seed(uow_factory, 2, due_on=D + timedelta(days=20))
    with uow_factory() as uow:  # an invoice in another currency than its account's
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-USD",
                    account_id="A-0",
                    issued_on=D,
                    due_on=D + ONE_DAY,
                    amount=Money("5.00", "USD"),
                )
            ]
        )
        uow.commit()
    for day in (D, D + ONE_DAY, D + 2 * ONE_DAY):
        report = run_cycle(uow_factory, config, day)
        assert [e.account_id for e in report.errors] == ["A-0"]


def test_a_dry_run_neither_schedules_nor_clears(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    _seed(uow_factory, 2, due_on=D + timedelta(days=20))
    run_cycle(uow_factory, config, D, dry_run=True)
    with uow_factory() as uow:
        assert uow.reviews.basis() is None
        assert uow.reviews.next_review_on(["A-0", "A-1"]) == {"A-0": date.min, "A-1": date.min}
    assert run_cycle(uow_factory, config, D).accounts == 2


def test_an_instant_asks_for_the_accounts_due_a_day_ahead(uow_factory: UowFactory) -> None:
    config = CycleConfig()
    kiritimati = attrs.evolve(_account(0), timezone="Pacific/Kiritimati")  # UTC+14
    with uow_factory() as uow:
        uow.accounts.add(kiritimati)
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-K",
                    account_id=kiritimati.id,
                    issued_on=D - timedelta(days=30),
                    due_on=D + timedelta(days=8),
                    amount=Money("100.00", "EUR"),
                )
            ]
        )
        uow.commit()
    run_cycle(uow_factory, config, D - ONE_DAY)  # wakes on D + 1 (7 days before the due date)
    # 12:00 UTC on D is already D + 1 in Kiritimati: the reminder goes out now.
    noon = run_cycle(uow_factory, config, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert noon.accounts == 1 and noon.actions == {"REMIND": 1}


@pytest.mark.parametrize("fail_at", [1, 4, 9, 15, 22])
def test_a_crash_mid_run_loses_no_account(uow_factory: UowFactory, fail_at: int) -> None:
    config = CycleConfig()
    ids = _seed(uow_factory, 6, due_on=D)
    run_cycle(uow_factory, config, D - timedelta(days=10))  # nothing due: wakes 7 days before
    with pytest.raises(InjectedFault):
        run_cycle(
            FaultInjector(uow_factory, fail_at=fail_at), config, D - timedelta(7), batch_size=2
        )
    run_cycle(uow_factory, config, D - timedelta(days=7), batch_size=2)
    with uow_factory() as uow:
        actions = uow.history.actions_of(ids)
        reviews = uow.reviews.next_review_on(ids)
    assert [len(actions[i]) for i in ids] == [1] * 6  # each account's reminder, once
    assert set(reviews.values()) == {D}  # and each wakes on its due date
