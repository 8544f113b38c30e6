"""Deprecated: business days and hours are domain values now, in
:mod:`dunning_core.domain.calendar` (also re-exported by :mod:`dunning_core.policies.ladder`).
"""

from dunning_core._exports import moved

__getattr__, __dir__ = moved(
    __name__,
    {
        "WEEKDAY_NAMES": "dunning_core.domain.calendar",
        "BusinessCalendar": "dunning_core.domain.calendar",
        "BusinessHours": "dunning_core.domain.calendar",
        "Holidays": "dunning_core.domain.calendar",
    },
)
