"""Dunning ladders: stages before and after the due date, pauses, catch-up, grouping.

>>> from dunning_core.policies.ladder import evaluate_ladder, presets
>>> presets.FIVE_NOTICES_THEN_TERMINATION.keys
('first_notice', 'second_notice', 'third_notice', 'final_notice', 'legal_notice')

Everything public is re-exported here from private modules split by concept: the
model (``Ladder``, ``Stage``), the history (``StageRecord``, ``DunningHistory``), the
actions and their trace, the evaluation, the grouping into one notice per channel, the
pauses and the assignment (which ladder an account follows). :mod:`.presets` holds the
ready-made ladders. Business days and hours (``BusinessCalendar``, ``BusinessHours``)
are domain values (:mod:`dunning_core.domain.calendar`), re-exported here.

.. versionchanged:: 0.2
   The modules ``model``, ``calendar``, ``history``, ``actions``, ``evaluate``,
   ``grouping``, ``pauses`` and ``assignment`` are private; their old paths still
   resolve for one release, with a :class:`DeprecationWarning`.
"""

from dunning_core._exports import publish
from dunning_core.domain.calendar import WEEKDAY_NAMES, BusinessCalendar, BusinessHours
from dunning_core.errors import ChangeTooSoon, InvalidLadder
from dunning_core.policies.ladder import presets
from dunning_core.policies.ladder._actions import (
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
from dunning_core.policies.ladder._assignment import (
    CHANGE_INTERVAL,
    HandOver,
    LadderAssignment,
    change_ladder,
)
from dunning_core.policies.ladder._evaluate import decide_ladder, evaluate_ladder
from dunning_core.policies.ladder._history import DECLARE_CLAIM_PREFIX, DunningHistory, StageRecord
from dunning_core.policies.ladder._model import ActionKind, CatchUp, DayBasis, Ladder, Stage

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

publish(__name__, globals(), __all__)
