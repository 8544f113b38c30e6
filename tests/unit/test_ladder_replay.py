"""Replays: run the ladder day after day (or with gaps), feeding the history back.

The expected stage days come from an independent reference (a list of the business
days around the due date, indexed), not from the ladder's own calendar code.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from dunning_core import (
    Account,
    AccountFacts,
    Allocation,
    Contact,
    Dispute,
    Invoice,
    Money,
    Payment,
    build_statement,
)
from dunning_core.policies.ladder import DunningHistory, Ladder, StageRecord, evaluate_ladder
from dunning_core.testing import strategies as ds

ACCOUNT = Account(
    id="A-1",
    name="Client",
    currency="EUR",
    timezone="Europe/Paris",
    contacts=[Contact(email="ap@example.fr")],
)
# French public holidays 2026 (Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May).
HOLIDAYS = frozenset(
    date(2026, m, d)
    for m, d in [
        (1, 1),
        (4, 6),
        (5, 1),
        (5, 8),
        (5, 14),
        (5, 25),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ]
)
HORIZON = 180


def reference_day(due_on: date, offset: int, business: bool) -> date:
    if not business:
        return due_on + timedelta(days=offset)
    around = [due_on + timedelta(days=k) for k in range(-60, 400)]
    open_days = [d for d in around if d.weekday() < 5 and d not in HOLIDAYS]
    anchor = next(i for i, d in enumerate(open_days) if d >= due_on)
    return open_days[anchor + offset]


@st.composite
def scenarios(draw: st.DrawFn, *, max_invoices: int = 3, pauses: bool = True) -> dict:  # type: ignore[type-arg]
    count = draw(st.integers(1, max_invoices))
    ladder = draw(
        ds.ladders(holidays=sorted(HOLIDAYS), max_stages=5, min_offset=-10, max_offset=60)
    )
    if count == 1:
        offsets = [s.offset for s in ladder.stages]
        spacing = min((b - a for a, b in pairwise(offsets)), default=30)
        # A gap no wider than the stage spacing never holds a single invoice back.
        ladder = ladder.__class__(
            name=ladder.name,
            stages=ladder.stages,
            catch_up=ladder.catch_up,
            calendar=ladder.calendar,
            min_days_between_notices=draw(st.integers(0, spacing)),
        )
    invoices = []
    paid_on: dict[str, date] = {}
    disputed: dict[str, tuple[date, date]] = {}
    for k in range(count):
        issued = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30)))
        due = issued + timedelta(days=draw(st.integers(0, 45)))
        number = f"F-{k}"
        invoices.append(
            Invoice(
                number=number,
                account_id="A-1",
                issued_on=issued,
                due_on=due,
                amount=Money("100.00", "EUR"),
            )
        )
        if draw(st.booleans()):
            paid_on[number] = issued + timedelta(days=draw(st.integers(0, 45 + HORIZON)))
        if pauses and draw(st.booleans()):
            start = issued + timedelta(days=draw(st.integers(0, 90)))
            disputed[number] = (start, start + timedelta(days=draw(st.integers(1, 40))))
    return {"ladder": ladder, "invoices": invoices, "paid_on": paid_on, "disputed": disputed}


def replay(scenario: dict, run_days: list[date]) -> dict[date, list[StageRecord]]:  # type: ignore[type-arg]
    """Run on each day of ``run_days``; return the records of each run."""
    ladder: Ladder = scenario["ladder"]
    invoices: list[Invoice] = scenario["invoices"]
    facts = AccountFacts(
        account_id="A-1",
        disputes=[
            Dispute(id=f"D-{n}", account_id="A-1", invoice_number=n, opened_on=a, resolved_on=b)
            for n, (a, b) in scenario["disputed"].items()
        ],
    )
    history = DunningHistory.empty("A-1")
    runs: dict[date, list[StageRecord]] = {}
    for day in run_days:
        paid = [(n, d) for n, d in scenario["paid_on"].items() if d <= day]
        payments = [
            Payment(id=f"P-{n}", account_id="A-1", amount=Money("100.00", "EUR"), received_on=d)
            for n, d in paid
        ]
        allocations = [
            Allocation(
                invoice_number=n, amount=Money("100.00", "EUR"), kind="CASH", source_id=f"P-{n}"
            )
            for n, _ in paid
        ]
        statement = build_statement(
            ACCOUNT, day, invoices=invoices, payments=payments, allocations=allocations
        )
        actions = evaluate_ladder(ladder, statement, history, day, facts=facts, payments=payments)
        records = [r for action in actions for r in action.to_records()]
        runs[day] = records
        history = history.with_records(records)
    return runs


def span(scenario: dict) -> list[date]:  # type: ignore[type-arg]
    invoices: list[Invoice] = scenario["invoices"]
    first = min(i.issued_on for i in invoices)
    last = max(i.due_on for i in invoices) + timedelta(days=HORIZON)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@given(scenarios())
def test_daily_replay_fires_each_stage_once_on_its_day_never_paid_or_disputed(
    scenario: dict,
) -> None:  # type: ignore[type-arg]
    ladder: Ladder = scenario["ladder"]
    runs = replay(scenario, span(scenario))
    fired: dict[tuple[str, str], list[date]] = {}
    for day, records in runs.items():
        for record in records:
            assert record.fired_on == day
            if not record.skipped:
                for number in record.invoice_numbers:
                    fired.setdefault((number, record.stage), []).append(day)
    for invoice in scenario["invoices"]:
        number = invoice.number
        paid_on = scenario["paid_on"].get(number)
        dispute = scenario["disputed"].get(number)
        for stage in ladder.stages:
            trigger = reference_day(invoice.due_on, stage.offset, stage.basis == "BUSINESS")
            days = fired.get((number, stage.key), [])
            assert len(days) <= 1, "a stage fired twice"
            for day in days:
                assert day >= trigger, "fired before its day"
                assert day >= invoice.issued_on
                assert paid_on is None or day < paid_on, "fired on a paid invoice"
                assert dispute is None or not (dispute[0] <= day < dispute[1]), (
                    "fired while disputed"
                )
            if dispute is None:
                applies = trigger >= invoice.issued_on
                reached = paid_on is None or trigger < paid_on
                assert days == ([trigger] if applies and reached else []), stage


@given(scenarios(max_invoices=4, pauses=False), st.data())
def test_latest_only_with_random_gaps_reaches_the_same_stage_as_daily_runs(
    scenario: dict,
    data: st.DataObject,  # type: ignore[type-arg]
) -> None:
    ladder: Ladder = scenario["ladder"]
    scenario["ladder"] = ladder = ladder.__class__(
        name=ladder.name, stages=ladder.stages, catch_up="LATEST_ONLY", calendar=ladder.calendar
    )
    days = span(scenario)
    keep = data.draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    gapped_days = [d for d, k in zip(days, keep, strict=True) if k] + [days[-1]]
    daily = replay(scenario, days)
    gapped = replay(scenario, sorted(set(gapped_days)))
    index = {key: i for i, key in enumerate(ladder.keys)}

    def positions(runs: dict[date, list[StageRecord]], until: date) -> dict[str, int]:
        reached: dict[str, int] = {}
        for day, records in runs.items():
            if day <= until:
                for record in records:
                    for number in record.invoice_numbers:
                        reached[number] = max(reached.get(number, -1), index[record.stage])
        return reached

    for day in gapped:
        still_open = {
            i.number
            for i in scenario["invoices"]
            if scenario["paid_on"].get(i.number) is None or day < scenario["paid_on"][i.number]
        }
        expected = {n: p for n, p in positions(daily, day).items() if n in still_open}
        found = {n: p for n, p in positions(gapped, day).items() if n in still_open}
        assert found == expected, day
