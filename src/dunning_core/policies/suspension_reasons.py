"""Deprecated: use :mod:`dunning_core.policies.suspension`.

``dunning_core.policies.suspension_reasons`` was one of the seven flat suspension modules of
0.1; its names resolve from their new home, with a :class:`DeprecationWarning`.
"""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "Effect": "dunning_core.policies.suspension",
        "FactValue": "dunning_core.domain.reasons",
        "Reason": "dunning_core.policies.suspension:SuspensionReason",
        "ReasonCode": "dunning_core.policies.suspension",
        "Remedy": "dunning_core.policies.suspension",
        "RemedyKind": "dunning_core.policies.suspension",
        "SuspensionContext": "dunning_core.policies.suspension",
        "SuspensionRule": "dunning_core.policies.suspension",
    },
)
