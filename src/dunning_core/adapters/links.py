"""Deprecated: :class:`StaticPaymentLinks` moved to :mod:`dunning_core.rendering.links`."""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(__name__, {"StaticPaymentLinks": "dunning_core.rendering.links"})
