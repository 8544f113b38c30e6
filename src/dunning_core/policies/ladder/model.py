"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "ActionKind": "dunning_core.policies.ladder",
        "CatchUp": "dunning_core.policies.ladder",
        "DayBasis": "dunning_core.policies.ladder",
        "Ladder": "dunning_core.policies.ladder",
        "Stage": "dunning_core.policies.ladder",
    },
)
