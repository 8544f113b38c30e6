"""SMS segments: GSM 7-bit / UCS-2 counting and splitting, exact to 3GPP TS 23.038.

A dunning SMS is billed per segment. :func:`count_segments` says how many segments a
message takes and how much room is left, :func:`split_segments` gives the parts as the
network cuts them, :func:`gsm_normalize` removes the typographic look-alikes that
silently turn a message into UCS-2, and :func:`fit` shortens a message to a budget.
:class:`SmsProfile` describes a sending route: concatenation reference size, national
language shift tables (Turkish, Spanish, Portuguese), a provider's billing quirks.

Everything here is pure and uses the standard library only.

>>> count_segments("Your invoice F-118 of 120.00 EUR is overdue.")
SegmentCount(encoding='GSM-7', segments=1, units=44, capacity=160, remaining=116, \
locking_shift=None, single_shift=None)
"""

from dunning_core._exports import publish
from dunning_core.policies.sms._economy import LOOK_ALIKES, Replacement, fit, gsm_normalize
from dunning_core.policies.sms._profile import STRICT_3GPP, SmsProfile
from dunning_core.policies.sms._segments import SegmentCount, count_segments, split_segments
from dunning_core.policies.sms._tables import (
    DEFAULT_ALPHABET,
    DEFAULT_EXTENSION,
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    NationalLanguage,
)

__all__ = [
    "DEFAULT_ALPHABET",
    "DEFAULT_EXTENSION",
    "LOCKING_SHIFT_TABLES",
    "LOOK_ALIKES",
    "SINGLE_SHIFT_TABLES",
    "STRICT_3GPP",
    "NationalLanguage",
    "Replacement",
    "SegmentCount",
    "SmsProfile",
    "count_segments",
    "fit",
    "gsm_normalize",
    "split_segments",
]

publish(__name__, globals(), __all__)
