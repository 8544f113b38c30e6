"""Deprecated: use :mod:`dunning_core.policies.suspension`.

``dunning_core.policies.suspension_entity`` was one of the seven flat suspension modules of
0.1; its names resolve from their new home, with a :class:`DeprecationWarning`.
"""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "merge_facts": "dunning_core.policies.suspension",
        "merge_statements": "dunning_core.policies.suspension",
    },
)
