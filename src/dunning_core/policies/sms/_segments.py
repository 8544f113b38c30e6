"""Counting and cutting a message into SMS segments, as the network will.

The whole message is GSM 7-bit if every character is in the allowed tables, UCS-2
otherwise. Parts are filled greedily, but a 2-unit character (a GSM escape pair, a
UTF-16 surrogate pair) is never split: when only one unit is left in a part, the pair
moves whole to the next part. That is why the count is a walk over the pairs near
part boundaries, not ``ceil(units / capacity)``.
"""

from __future__ import annotations

from bisect import bisect_left

from dunning_core.policies.sms._encoders import (
    GsmEncoder,
    SegmentCount,
    Ucs2Encoder,
    pair_starts,
)
from dunning_core.policies.sms._profile import STRICT_3GPP, SmsProfile, _Plan

__all__ = ["SegmentCount", "count_segments", "split_segments"]


def _choose(text: str, plan: _Plan) -> tuple[GsmEncoder | Ucs2Encoder, SegmentCount]:
    """The cheapest encoding of ``text`` among those the profile allows.

    Fewest segments first, then fewest header octets (the default tables, then one
    shift table, then two), then fewest units. GSM 7-bit always beats UCS-2 when a GSM
    table fits: even a message of 2-septet characters only fits more per segment.
    """
    gsm = plan.gsm
    default = gsm[0]
    counted = default.count(text)
    if counted is not None and (len(gsm) == 1 or counted.segments == 1):
        return default, counted
    best: tuple[tuple[int, int, int], GsmEncoder, SegmentCount] | None = None
    if counted is not None:
        best = ((counted.segments, 0, counted.units), default, counted)
    for encoder in gsm[1:]:
        candidate = encoder.count(text)
        if candidate is None:
            continue
        key = (candidate.segments, encoder.header_octets, candidate.units)
        if best is None or key < best[0]:
            best = (key, encoder, candidate)
    if best is not None:
        return best[1], best[2]
    return plan.ucs2, plan.ucs2.count(text)


def count_segments(text: str, *, profile: SmsProfile = STRICT_3GPP) -> SegmentCount:
    """Count the SMS segments ``text`` takes, exactly as 3GPP TS 23.038 packs them.

    Args:
        text: The message. The empty message is one GSM-7 segment of 0 units.
        profile: The sending route's rules; :data:`STRICT_3GPP` by default.

    Returns:
        The encoding, segments, units, capacity per segment and room left.

    Raises:
        TypeError: ``text`` is not a ``str``.

    >>> count_segments("Invoice F-118: 120,00 € due. Pay: https://pay.example/x").units
    56
    >>> count_segments("x" * 161).segments
    2
    """
    if type(text) is not str:
        raise TypeError(f"text must be str, not {type(text).__name__}")
    plan = profile._plan
    if len(plan.gsm) == 1:  # the common case, kept free of the table search
        counted = plan.gsm[0].count(text)
        return plan.ucs2.count(text) if counted is None else counted
    return _choose(text, plan)[1]


def split_segments(text: str, *, profile: SmsProfile = STRICT_3GPP) -> tuple[str, ...]:
    """Cut ``text`` into the parts the network will send; ``"".join(parts) == text``.

    Args:
        text: The message.
        profile: The sending route's rules; :data:`STRICT_3GPP` by default.

    Returns:
        One part per segment of :func:`count_segments` (``("",)`` for the empty
        message). No part ends with half an escape or surrogate pair.

    Raises:
        TypeError: ``text`` is not a ``str``.

    >>> [len(part) for part in split_segments("x" * 200)]
    [153, 47]
    """
    if type(text) is not str:
        raise TypeError(f"text must be str, not {type(text).__name__}")
    encoder, counted = _choose(text, profile._plan)
    if counted.segments == 1:
        return (text,)
    units = counted.units
    capacity = encoder.part_capacity
    starts, gained = pair_starts(encoder.pair_pattern, text)
    pair_set = set(starts)
    cuts: list[int] = []
    start = 0
    while units - start > capacity:
        end = start + capacity
        if end - 1 in pair_set:
            end -= 1
        # No pair straddles ``end``, so the pairs before it are those starting before it.
        before = bisect_left(starts, end)
        cuts.append(end - (gained[before - 1] if before else 0))
        start = end
    bounds = [0, *cuts, len(text)]
    return tuple(text[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1))
