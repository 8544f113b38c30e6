"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "Firing": "dunning_core.policies.ladder._grouping",
        "build_actions": "dunning_core.policies.ladder._grouping",
        "channel_problem": "dunning_core.policies.ladder._grouping",
        "declare_claims": "dunning_core.policies.ladder._grouping",
        "due_reason": "dunning_core.policies.ladder._grouping",
    },
)
