"""Deprecated: use :mod:`dunning_core.policies.suspension`.

``dunning_core.policies.suspension_rules`` was one of the seven flat suspension modules of
0.1; its names resolve from their new home, with a :class:`DeprecationWarning`.
"""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "BrokenPromise": "dunning_core.policies.suspension",
        "CreditLimitExceeded": "dunning_core.policies.suspension",
        "ManualHold": "dunning_core.policies.suspension",
        "OpenInsolvency": "dunning_core.policies.suspension",
        "OverdueDays": "dunning_core.policies.suspension",
    },
)
