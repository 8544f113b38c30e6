"""Deprecated: use :mod:`dunning_core.policies.suspension`.

``dunning_core.policies.suspension_decision`` was one of the seven flat suspension modules of
0.1; its names resolve from their new home, with a :class:`DeprecationWarning`.
"""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "SuspensionDecision": "dunning_core.policies.suspension",
    },
)
