"""Deprecated: use :mod:`dunning_core.policies.ladder` (this module is private now)."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "account_pause": "dunning_core.policies.ladder._pauses",
        "invoice_pauses": "dunning_core.policies.ladder._pauses",
    },
)
