"""Dunning ladders: stages before and after the due date, pauses, catch-up, grouping.

>>> from dunning_core.policies.ladder import evaluate_ladder, presets
>>> presets.FIVE_NOTICES_THEN_TERMINATION.keys
('first_notice', 'second_notice', 'third_notice', 'final_notice', 'legal_notice')

The public names are defined in modules split by concept and re-exported here:
:mod:`.model` (``Ladder``, ``Stage``), :mod:`.calendar` (business days and hours),
:mod:`.history` (``StageRecord``, ``DunningHistory``), :mod:`.actions` (``DunningAction``
and its reasons), :mod:`.evaluate` (``evaluate_ladder``, ``decide_ladder``),
:mod:`.grouping` (one notice per channel), :mod:`.pauses`, :mod:`.assignment` (which
ladder an account follows) and :mod:`.presets` (the ready-made ladders).
"""

from dunning_core.errors import ChangeTooSoon, InvalidLadder
from dunning_core.policies.ladder import presets
from dunning_core.policies.ladder.actions import (
    DunningAction,
    InvoiceLine,
    LadderDecision,
    Outcome,
    Reason,
    ReasonCode,
    StageTrace,
    action_key,
    fee_key,
)
from dunning_core.policies.ladder.assignment import (
    CHANGE_INTERVAL,
    HandOver,
    LadderAssignment,
    change_ladder,
)
from dunning_core.policies.ladder.calendar import WEEKDAY_NAMES, BusinessCalendar, BusinessHours
from dunning_core.policies.ladder.evaluate import decide_ladder, evaluate_ladder
from dunning_core.policies.ladder.history import DECLARE_CLAIM_PREFIX, DunningHistory, StageRecord
from dunning_core.policies.ladder.model import ActionKind, CatchUp, DayBasis, Ladder, Stage

__all__ = [
    "CHANGE_INTERVAL",
    "DECLARE_CLAIM_PREFIX",
    "WEEKDAY_NAMES",
    "ActionKind",
    "BusinessCalendar",
    "BusinessHours",
    "CatchUp",
    "ChangeTooSoon",
    "DayBasis",
    "DunningAction",
    "DunningHistory",
    "HandOver",
    "InvalidLadder",
    "InvoiceLine",
    "Ladder",
    "LadderAssignment",
    "LadderDecision",
    "Outcome",
    "Reason",
    "ReasonCode",
    "Stage",
    "StageRecord",
    "StageTrace",
    "action_key",
    "change_ladder",
    "decide_ladder",
    "evaluate_ladder",
    "fee_key",
    "presets",
]
