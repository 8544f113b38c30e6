"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "DunningAction": "dunning_core.policies.ladder",
        "InvoiceLine": "dunning_core.policies.ladder",
        "LadderDecision": "dunning_core.policies.ladder",
        "Outcome": "dunning_core.policies.ladder",
        "PAUSES": "dunning_core.policies.ladder._actions",
        "Reason": "dunning_core.policies.ladder",
        "ReasonCode": "dunning_core.policies.ladder",
        "StageTrace": "dunning_core.policies.ladder",
        "action_key": "dunning_core.policies.ladder",
        "fee_key": "dunning_core.policies.ladder",
        "format_day": "dunning_core.policies.ladder._actions",
        "note": "dunning_core.policies.ladder._actions",
    },
)
