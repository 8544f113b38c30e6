"""Issue 15, case 4: a ladder mixing business-day and calendar-day stages.

On main, stage order was validated by comparing offsets across bases: 6 business days
then 7 calendar days passed, although 6 business days after a Friday due date is 8
calendar days, after the second stage. With latest-only catch-up the first stage was
recorded as skipped and never sent. Now a ladder is accepted only when every stage
comes strictly after the previous one for every due date and every holiday calendar.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.config import load_ladders
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.statement import build_statement
from dunning_core.errors import ConfigError, InvalidLadder
from dunning_core.policies.ladder import DayBasis, DunningHistory, Ladder, Stage, evaluate_ladder

CAL, BIZ = DayBasis.CALENDAR, DayBasis.BUSINESS


def _ladder(*stages: tuple[int, DayBasis]) -> Ladder:
    return Ladder(
        name="mixed",
        stages=[
            Stage(key=f"s{i}", offset=offset, basis=basis, channels="EMAIL")
            for i, (offset, basis) in enumerate(stages)
        ],
    )


def test_the_issues_ladder_is_refused_naming_the_stage() -> None:
    with pytest.raises(InvalidLadder) as raised:
        _ladder((6, BIZ), (7, CAL))
    assert raised.value.stage == "s1"
    assert raised.value.field == "Stage.basis"
    assert "business" in raised.value.problem


@pytest.mark.parametrize(
    "stages",
    [
        [(6, BIZ), (7, CAL)],  # the issue's case
        [(1, BIZ), (60, CAL)],  # holidays can push a business day past any offset
        [(-3, BIZ), (30, CAL)],
        [(-5, CAL), (-2, BIZ)],  # counting back over holidays can land before
        [(3, CAL), (3, BIZ)],  # not strictly after
        [(5, CAL), (2, BIZ)],
    ],
)
def test_mixed_ladders_that_can_tie_or_invert_are_refused(
    stages: list[tuple[int, DayBasis]],
) -> None:
    with pytest.raises(InvalidLadder):
        _ladder(*stages)


@pytest.mark.parametrize(
    "stages",
    [
        [(-3, CAL), (0, BIZ)],
        [(1, CAL), (10, BIZ)],
        [(-7, CAL), (0, CAL), (1, BIZ), (5, BIZ), (15, BIZ)],
        [(1, BIZ), (5, BIZ)],
        [(-2, BIZ), (0, BIZ), (3, BIZ)],
    ],
)
def test_mixed_ladders_that_keep_their_order_are_accepted(
    stages: list[tuple[int, DayBasis]],
) -> None:
    assert len(_ladder(*stages).stages) == len(stages)


def test_the_loader_reports_the_stage(tmp_path: Path) -> None:
    path = tmp_path / "ladders.toml"
    path.write_text(
        "[ladders.mixed]\n"
        '[[ladders.mixed.stages]]\nkey = "first"\noffset = 6\nbasis = "BUSINESS"\n'
        'channels = ["EMAIL"]\n'
        '[[ladders.mixed.stages]]\nkey = "second"\noffset = 7\nchannels = ["EMAIL"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_ladders(path)
    assert "stage 'second'" in raised.value.where


# -- the property: an accepted ladder sends every stage, in order ------------------------

_stage_specs = st.lists(
    st.tuples(st.integers(-10, 40), st.sampled_from([CAL, BIZ])), min_size=1, max_size=5
)
_holidays = st.frozensets(st.dates(date(2026, 1, 1), date(2026, 6, 30)), max_size=60)


@given(_stage_specs, _holidays, st.dates(date(2026, 1, 1), date(2026, 3, 31)))
@example([(6, BIZ), (7, CAL)], frozenset(), date(2026, 1, 9))
def test_an_accepted_ladder_gives_each_stage_its_own_later_day(
    specs: list[tuple[int, DayBasis]], holidays: frozenset[date], due_on: date
) -> None:
    try:
        ladder = _ladder(*specs)
    except InvalidLadder:
        return
    calendar = BusinessCalendar(holidays=holidays)
    days = []
    for stage in ladder.stages:
        if stage.basis is BIZ:
            days.append(calendar.shift(due_on, stage.offset))
        else:
            days.append(due_on + timedelta(days=stage.offset))
    assert days == sorted(set(days))  # strictly increasing: no stage shares a day


@given(_stage_specs, _holidays, st.dates(date(2026, 1, 5), date(2026, 2, 27)))
@example([(6, BIZ), (7, CAL)], frozenset(), date(2026, 1, 9))  # the issue's, due a Friday
def test_daily_runs_send_every_stage_of_an_accepted_ladder(
    specs: list[tuple[int, DayBasis]], holidays: frozenset[date], due_on: date
) -> None:
    try:
        ladder = _ladder(*specs).with_calendar(BusinessCalendar(holidays=holidays))
    except InvalidLadder:
        return
    account = Account(
        id="A", name="n", currency="EUR", contacts=[Contact(name="c", email="c@example.com")]
    )
    invoice = Invoice(
        number="F-1",
        account_id="A",
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=Money("100.00", "EUR"),
    )
    history = DunningHistory.empty("A")
    day = due_on - timedelta(days=15)
    while day <= due_on + timedelta(days=130):
        statement = build_statement(account, day, invoices=[invoice])
        actions = evaluate_ladder(ladder, statement, history, day)
        history = history.with_records(r for action in actions for r in action.to_records())
        day += timedelta(days=1)
    fired = [r.stage for r in history.records if not r.skipped]
    skipped = [r.stage for r in history.records if r.skipped]
    assert skipped == []
    assert fired == list(ladder.keys)
