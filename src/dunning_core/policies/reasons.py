"""The one :class:`Reason` shape every policy explains its decisions with.

Defined in :mod:`dunning_core.domain.reasons` (events carry reasons, and the domain
cannot import policies) and re-exported here and from :mod:`dunning_core`.
"""

from dunning_core.domain.reasons import FactValue, Reason

__all__ = ["FactValue", "Reason"]
