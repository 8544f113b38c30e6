"""Days past due and business hours are counted in the account's timezone, whatever the
machine's timezone (the tests set TZ to prove it)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dunning_core import Account, Channel, Contact, Invoice, Money, build_statement
from dunning_core.policies.ladder import DunningHistory, Ladder, Stage, StageRecord, evaluate_ladder

pytestmark = pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX only")

NOUMEA = ZoneInfo("Pacific/Noumea")
PARIS = ZoneInfo("Europe/Paris")
LADDER = Ladder(
    name="tz",
    stages=[
        Stage(key="on_due", offset=0, channels="EMAIL"),
        Stage(key="late", offset=1, channels=["EMAIL", "SMS"]),
        Stage(key="later", offset=2, channels="EMAIL"),
    ],
)
CONTACT = Contact(email="ap@example.nc", mobile="+687751234")


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata"])
def machine_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def run(account: Account, due_on: date, as_of: datetime, done: tuple[str, ...] = ()) -> tuple:  # type: ignore[type-arg]
    invoice = Invoice(
        number="F-31",
        account_id=account.id,
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=Money("10000", account.currency),
    )
    statement = build_statement(account, as_of, invoices=[invoice])
    history = DunningHistory.from_records(
        StageRecord(
            account_id=account.id,
            ladder="tz",
            stage=s,
            invoice_numbers=("F-31",),
            fired_on=due_on,
            skipped=False,
            action_key=s,
        )
        for s in done
    )
    return statement, evaluate_ladder(LADDER, statement, history, as_of)


def test_noumea_invoice_due_on_the_31st_is_one_day_late_at_half_past_midnight_on_the_1st(
    machine_tz: str,
) -> None:
    assert os.environ["TZ"] == machine_tz
    account = Account(
        id="NC-1", name="Lagon", currency="XPF", timezone="Pacific/Noumea", contacts=[CONTACT]
    )
    due = date(2026, 1, 31)
    half_past_midnight = datetime(2026, 2, 1, 0, 30, tzinfo=NOUMEA)
    assert half_past_midnight.astimezone(UTC) == datetime(2026, 1, 31, 13, 30, tzinfo=UTC)
    statement, actions = run(account, due, half_past_midnight, done=("on_due",))
    assert statement.as_of == date(2026, 2, 1)
    assert statement.items[0].days_past_due == 1
    email, sms = actions
    assert email.stage == "late"
    assert email.lines[0].days_past_due == 1
    assert email.not_before == half_past_midnight
    # SMS waits for 09:00 in Nouméa on Monday 2 February (the 1st is a Sunday).
    assert sms.not_before == datetime(2026, 2, 2, 9, 0, tzinfo=NOUMEA)
    # The same instant expressed in UTC decides the same thing.
    _, same = run(account, due, datetime(2026, 1, 31, 13, 30, tzinfo=UTC), done=("on_due",))
    assert [a.key for a in same] == [a.key for a in actions]
    # One hour earlier it is still the 31st in Nouméa: nothing is late yet.
    _, before = run(account, due, datetime(2026, 1, 31, 23, 30, tzinfo=NOUMEA), done=("on_due",))
    assert before == ()


@pytest.mark.parametrize(
    ("as_of_utc", "local_day", "stage"),
    [
        # Spring forward (29 March 2026, 02:00 -> 03:00): 23:30 UTC on the 28th is 00:30
        # on the 29th in Paris (UTC+1), one day after a due date of the 28th.
        (datetime(2026, 3, 28, 22, 30, tzinfo=UTC), date(2026, 3, 28), None),
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29), "late"),
        # After the change Paris is UTC+2: 22:30 UTC on the 29th is already the 30th.
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29), "late"),
        (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), date(2026, 3, 30), "later"),
    ],
)
def test_days_past_due_follow_paris_across_the_dst_change(
    machine_tz: str, as_of_utc: datetime, local_day: date, stage: str | None
) -> None:
    account = Account(
        id="FR-1", name="Boulangerie", currency="EUR", timezone="Europe/Paris", contacts=[CONTACT]
    )
    statement, actions = run(account, date(2026, 3, 28), as_of_utc, done=("on_due",))
    assert statement.as_of == local_day
    assert [a.stage for a in actions if a.channel is Channel.EMAIL] == ([stage] if stage else [])


def test_sms_business_hours_across_the_autumn_dst_change(machine_tz: str) -> None:
    account = Account(
        id="FR-1", name="Boulangerie", currency="EUR", timezone="Europe/Paris", contacts=[CONTACT]
    )
    # Saturday 24 October 2026; Paris falls back on Sunday the 25th (UTC+2 -> UTC+1).
    _, actions = run(
        account, date(2026, 10, 23), datetime(2026, 10, 24, 8, 0, tzinfo=UTC), done=("on_due",)
    )
    (sms,) = [a for a in actions if a.channel is Channel.SMS]
    assert sms.not_before == datetime(2026, 10, 26, 9, 0, tzinfo=PARIS)
    assert sms.not_before.astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
