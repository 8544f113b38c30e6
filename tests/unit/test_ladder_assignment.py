"""Ladder assignment: the reminder option changes at most every 30 days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dunning_core.errors import ChangeTooSoon, InvalidField
from dunning_core.policies.ladder import HandOver, LadderAssignment, change_ladder, presets


def test_change_is_refused_within_30_days_naming_the_first_allowed_day() -> None:
    assignment = LadderAssignment(
        account_id="A-1", ladder="reminders-collection-legal", changed_on=date(2026, 3, 1)
    )
    with pytest.raises(ChangeTooSoon) as raised:
        change_ladder(
            assignment, presets.REMINDERS_THEN_COLLECTION_THEN_CANCELLATION, date(2026, 3, 30)
        )
    assert raised.value.first_allowed == date(2026, 3, 31)
    assert raised.value.account_id == "A-1"
    assert "2026-03-31" in str(raised.value)
    changed = change_ladder(assignment, "reminders-collection-cancellation", date(2026, 3, 31))
    assert changed.ladder == "reminders-collection-cancellation"
    assert changed.changed_on == date(2026, 3, 31)
    assert changed.next_change_allowed_on == date(2026, 4, 30)
    with pytest.raises(ChangeTooSoon):
        change_ladder(changed, "reminders-collection-legal", date(2026, 4, 29))


def test_never_chosen_ladder_may_change_at_once_and_same_ladder_is_a_no_op() -> None:
    assignment = LadderAssignment(account_id="A-1", ladder="a")
    assert assignment.hand_over is HandOver.REVIEW
    assert not assignment.chargebacks_to_collection
    assert change_ladder(assignment, "b", date(2026, 1, 1)).ladder == "b"
    recent = LadderAssignment(account_id="A-1", ladder="a", changed_on=date(2026, 1, 1))
    assert change_ladder(recent, "a", date(2026, 1, 2)) is recent


def test_bad_assignment_values_are_refused() -> None:
    with pytest.raises(InvalidField):
        LadderAssignment(account_id="A-1", ladder="a", hand_over="SOMETIMES")
    with pytest.raises(InvalidField):
        LadderAssignment(account_id="A-1", ladder="a", chargebacks_to_collection="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        change_ladder(LadderAssignment(account_id="A-1", ladder="a"), "b", datetime(2026, 1, 1))  # type: ignore[arg-type]
