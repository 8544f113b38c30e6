"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "decide_ladder": "dunning_core.policies.ladder",
        "evaluate_ladder": "dunning_core.policies.ladder",
    },
)
