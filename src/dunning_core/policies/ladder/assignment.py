"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "CHANGE_INTERVAL": "dunning_core.policies.ladder",
        "HandOver": "dunning_core.policies.ladder",
        "LadderAssignment": "dunning_core.policies.ladder",
        "change_ladder": "dunning_core.policies.ladder",
    },
)
