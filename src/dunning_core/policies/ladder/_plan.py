"""A ladder compiled for one calendar: stage indexes and cached trigger days (private).

``evaluate_ladder`` runs for every account of a portfolio; the trigger days of a stage
depend only on the due date (or on the day of the partial payment that restarted the
ladder), so they are computed once per distinct date and kept on the ladder.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.policies.ladder._model import ActionKind, DayBasis, Ladder


class Plan:
    """Indexes and caches of one ladder under one calendar."""

    __slots__ = (
        "business",
        "calendar",
        "hand_over",
        "index",
        "keys",
        "ladder",
        "last_pre_due",
        "name",
        "notice",
        "offsets",
        "restart_days",
        "stages",
        "thresholds",
        "trigger_days",
    )

    def __init__(self, ladder: Ladder, calendar: BusinessCalendar) -> None:
        stages = ladder.stages
        self.ladder = ladder
        self.name = ladder.name
        self.calendar = calendar
        self.stages = stages
        self.keys = tuple(stage.key for stage in stages)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.offsets = tuple(stage.offset for stage in stages)
        self.business = tuple(stage.basis is DayBasis.BUSINESS for stage in stages)
        self.notice = tuple(stage.sends_notice for stage in stages)
        hand_overs = [
            i for i, s in enumerate(stages) if s.action is ActionKind.HAND_OVER_TO_COLLECTION
        ]
        self.hand_over: int | None = hand_overs[0] if hand_overs else None
        self.last_pre_due = max((i for i, o in enumerate(self.offsets) if o <= 0), default=-1)
        self.trigger_days: dict[date, tuple[date, ...]] = {}
        self.restart_days: dict[date, tuple[date, ...]] = {}
        self.thresholds: dict[str, tuple[Decimal | None, ...]] = {}

    def _days_from(self, base: date, first: int) -> tuple[date, ...]:
        days: list[date] = []
        previous = date.min
        for i, offset in enumerate(self.offsets):
            if i < first:
                day = date.min  # does not apply (a pre-due stage after a restart)
            elif self.business[i]:
                day = self.calendar.shift(base, offset)
            else:
                day = base + timedelta(days=offset)
            # A stage never comes due before the one before it (mixed day bases).
            previous = max(day, previous)
            days.append(previous)
        return tuple(days)

    def triggers(self, due_on: date) -> tuple[date, ...]:
        """The day each stage comes due for an invoice due on ``due_on``."""
        days = self.trigger_days.get(due_on)
        if days is None:
            days = self.trigger_days[due_on] = self._days_from(due_on, 0)
        return days

    def restart_triggers(self, restarted_on: date) -> tuple[date, ...]:
        """The stage days of a ladder restarted by a partial payment on ``restarted_on``:
        stages after the due date count from that day; earlier ones do not apply."""
        days = self.restart_days.get(restarted_on)
        if days is None:
            days = self._days_from(restarted_on, self.last_pre_due + 1)
            self.restart_days[restarted_on] = days
        return days

    def minimums(self, currency: str) -> tuple[Decimal | None, ...]:
        """Each stage's minimum amount at stake in ``currency`` (``None``: no minimum)."""
        found = self.thresholds.get(currency)
        if found is None:
            amounts = [stage.min_overdue_for(currency) for stage in self.stages]
            found = tuple(None if m is None else m.amount for m in amounts)
            self.thresholds[currency] = found
        return found


def plan_for(ladder: Ladder, calendar: BusinessCalendar | None) -> Plan:
    """The compiled ladder for ``calendar`` (``None``: the ladder's own), cached on it."""
    plans = ladder._plans
    plan = plans.get(calendar)
    if plan is None:
        plan = plans[calendar] = Plan(ladder, ladder.calendar if calendar is None else calendar)
    assert isinstance(plan, Plan)
    return plan
