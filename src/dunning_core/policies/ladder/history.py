"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "DECLARE_CLAIM_PREFIX": "dunning_core.policies.ladder",
        "DunningHistory": "dunning_core.policies.ladder",
        "StageRecord": "dunning_core.policies.ladder",
    },
)
