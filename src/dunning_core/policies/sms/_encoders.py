"""Encoders: how many segments a text takes in one GSM 7-bit table combination or UCS-2.

Counting is the hot path (a dunning run counts every SMS it renders), so the scans are
done by C-level string and bytes methods rather than a Python loop per character:

- GSM 7-bit: the allowed characters above U+00FF (the euro sign) are replaced by ESC,
  which makes the text Latin-1 in the common case; its Latin-1 bytes are then checked
  and counted with ``bytes.translate``. A text that needs several parts and holds
  2-septet characters is walked part by part, knowing where each pair starts from a
  ``bytes.split`` on the pair marks.
- UCS-2: the UTF-16 encoding gives the units; a part boundary that falls between a
  high and a low surrogate moves back by one unit.

The split into parts (:func:`split_segments`) uses a separate, regex-based way to find
pairs, so the tests that compare counts with splits compare two implementations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final, Literal, NamedTuple

from dunning_core.policies.sms._tables import (
    DEFAULT_ALPHABET,
    DEFAULT_EXTENSION,
    ESCAPE,
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    NationalLanguage,
)

__all__ = ["SegmentCount"]

Encoding = Literal["GSM-7", "UCS-2"]

_OCTETS_PER_SMS: Final = 140
# User data header information elements (TS 23.040 § 9.2.3.24): identifier and length
# octets, then the value. Concatenation: reference (1 or 2 octets), total, sequence.
CONCAT_IE_OCTETS: Final = {8: 2 + 3, 16: 2 + 4}
_SHIFT_IE_OCTETS: Final = 2 + 1

_ESCAPE_BYTE: Final = ESCAPE.encode()
_ABOVE_LATIN1: Final = re.compile("[^\x00-\xff]")
_TWO_UNIT_STAND_IN: Final = "\U000f0000"
_ASTRAL_OR_SURROGATE_PAIR: Final = "[\U00010000-\U0010ffff]|[\ud800-\udbff][\udc00-\udfff]"


class SegmentCount(NamedTuple):
    """How a message will travel: encoding, number of segments, and room left.

    Attributes:
        encoding: ``"GSM-7"`` or ``"UCS-2"``.
        segments: Number of SMS the network sends (and the provider bills).
        units: Septets for GSM-7 (an escape pair counts 2), UTF-16 code units for
            UCS-2 (a surrogate pair counts 2).
        capacity: Units one segment holds for this message: 160 / 70 when it fits one
            segment, 153 / 67 per part when concatenated (less with a 16-bit reference
            or national language shift tables).
        remaining: Units still free in the last segment.
        locking_shift: The national locking-shift table used, if any.
        single_shift: The national single-shift table used, if any.
    """

    encoding: Encoding
    segments: int
    units: int
    capacity: int
    remaining: int
    locking_shift: NationalLanguage | None = None
    single_shift: NationalLanguage | None = None

    @property
    def per_segment(self) -> int:
        """The same as :attr:`capacity` (the name DESIGN.md uses)."""
        return self.capacity


def _udh_octets(information_elements: int) -> int:
    # The header length octet is only present when there is a header at all.
    return 1 + information_elements if information_elements else 0


def _septets(udh_octets: int) -> int:
    # Septets are aligned after the header with fill bits, so the header costs
    # ceil(8 * octets / 7) septets: 160 - 7 = 153 for the 6-octet concatenation header.
    return (_OCTETS_PER_SMS * 8 - udh_octets * 8) // 7


def _char_class(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(char) for char in sorted(chars)) + "]"


class GsmEncoder:
    """One GSM 7-bit table combination (locking shift + single shift) of a profile."""

    __slots__ = (
        "header_octets",
        "high_double",
        "high_reject",
        "latin1_double",
        "latin1_single",
        "locking",
        "pair_mark",
        "pair_pattern",
        "part_capacity",
        "single",
        "single_capacity",
        "single_stand_in",
    )

    def __init__(
        self,
        locking: NationalLanguage | None,
        single: NationalLanguage | None,
        septet_costs: Mapping[str, int],
        concat_octets: int,
    ) -> None:
        basic = LOCKING_SHIFT_TABLES[locking] if locking else DEFAULT_ALPHABET
        shifted = SINGLE_SHIFT_TABLES[single] if single else DEFAULT_EXTENSION
        cost = dict.fromkeys(shifted.values(), 2)
        cost.update(dict.fromkeys(basic.values(), 1))  # a character in both costs 1
        cost.update(septet_costs)
        ones = {char for char, septets in cost.items() if septets == 1}
        twos = {char for char, septets in cost.items() if septets == 2}
        shift_ies = (locking is not None) + (single is not None)
        self.locking = locking
        self.single = single
        self.header_octets = _SHIFT_IE_OCTETS * shift_ies
        self.single_capacity = _septets(_udh_octets(self.header_octets))
        self.part_capacity = _septets(_udh_octets(concat_octets + self.header_octets))
        self.latin1_single = bytes(sorted(ord(c) for c in ones if ord(c) < 0x100))
        self.high_double = tuple(sorted(c for c in twos if ord(c) >= 0x100))
        latin1_double = sorted(ord(c) for c in twos if ord(c) < 0x100)
        if self.high_double:  # ESC stands for them while counting
            latin1_double.append(ord(ESCAPE))
        self.latin1_double = bytes(latin1_double)
        # Two Latin-1 characters the text cannot hold once checked: one stands for the
        # 1-septet characters above U+00FF, the other marks where a pair starts.
        spare = [
            code for code in range(0x100) if code not in self.latin1_single + self.latin1_double
        ]
        self.single_stand_in = chr(self.latin1_single[0] if self.latin1_single else spare.pop())
        self.pair_mark = spare[0]
        high_allowed = "".join(sorted(c for c in ones | twos if ord(c) >= 0x100))
        self.high_reject = re.compile("[^\x00-\xff" + re.escape(high_allowed) + "]")
        self.pair_pattern = re.compile(_char_class(twos))

    def count(self, text: str) -> SegmentCount | None:
        """The segments ``text`` takes in this table combination, or None if it cannot."""
        length = len(text)
        checked = False
        for char in self.high_double:  # above U+00FF: ESC stands for them (module doc)
            if char in text:
                if not checked:
                    if ESCAPE in text:  # a real ESC is no input character
                        return None
                    checked = True
                text = text.replace(char, ESCAPE)
        raw = text.encode("latin-1", "ignore")
        rest = raw.translate(None, self.latin1_single)
        doubles = 0
        if rest:
            if rest.translate(None, self.latin1_double):
                return None
            if not checked and _ESCAPE_BYTE in rest:  # a real ESC, not a stand-in
                return None
            doubles = len(rest)
        if len(raw) != length:  # characters above U+00FF other than the 2-septet ones
            if self.high_reject.search(text):
                return None
            # Allowed 1-septet characters (Greek capitals): a stand-in keeps positions.
            raw = _ABOVE_LATIN1.sub(self.single_stand_in, text).encode("latin-1")
        units = length + doubles
        single = self.single_capacity
        if units <= single:
            return SegmentCount(
                "GSM-7", 1, units, single, single - units, self.locking, self.single
            )
        capacity = self.part_capacity
        if doubles:
            segments, last = self._walk(raw, rest, units)
            remaining = capacity - (units - last)
        else:
            segments = -(-units // capacity)
            remaining = segments * capacity - units
        return SegmentCount(
            "GSM-7", segments, units, capacity, remaining, self.locking, self.single
        )

    def _walk(self, raw: bytes, present: bytes, units: int) -> tuple[int, int]:
        """Greedy packing of a text's bytes (one per character); ``present`` holds
        the 2-septet bytes that occur in it.

        Returns the number of parts and the septet where the last part starts. Each
        2-septet byte gets a mark byte in front, so the bytes are one per septet and a
        part boundary right after a mark would split a pair: that part ends one
        septet short instead.
        """
        mark = self.pair_mark
        mark_byte = bytes((mark,))
        for code in set(present):
            double = bytes((code,))
            raw = raw.replace(double, mark_byte + double)
        capacity = self.part_capacity
        start = 0
        parts = 1
        while units - start > capacity:
            end = start + capacity
            if raw[end - 1] == mark:
                end -= 1
            start = end
            parts += 1
        return parts, start


class Ucs2Encoder:
    """UCS-2 (UTF-16 code units), with a profile's cost overrides."""

    __slots__ = ("doubles", "header_octets", "pair_pattern", "part_capacity", "single_capacity")

    locking: Final = None
    single: Final = None

    def __init__(self, ucs2_costs: Mapping[str, int], concat_octets: int) -> None:
        self.header_octets = 0
        self.single_capacity = _OCTETS_PER_SMS // 2
        self.part_capacity = (_OCTETS_PER_SMS - _udh_octets(concat_octets)) // 2
        self.doubles = tuple(sorted(char for char, units in ucs2_costs.items() if units == 2))
        pattern = _ASTRAL_OR_SURROGATE_PAIR
        if self.doubles:
            pattern += "|" + _char_class(self.doubles)
        self.pair_pattern = re.compile(pattern)

    def count(self, text: str) -> SegmentCount:
        """The segments ``text`` takes in UCS-2."""
        for char in self.doubles:  # like any astral character, these take 2 units
            if char in text:
                text = text.replace(char, _TWO_UNIT_STAND_IN)
        try:
            data = text.encode("utf-16-le")
            surrogates = False
        except UnicodeEncodeError:  # surrogate code points, paired or lone
            data = text.encode("utf-16-le", "surrogatepass")
            surrogates = True
        units = len(data) >> 1
        single = self.single_capacity
        if units <= single:
            return SegmentCount("UCS-2", 1, units, single, single - units)
        capacity = self.part_capacity
        if units == len(text) and not surrogates:  # no pair anywhere
            segments = -(-units // capacity)
            remaining = segments * capacity - units
            return SegmentCount("UCS-2", segments, units, capacity, remaining)
        start = 0
        segments = 1
        while units - start > capacity:
            end = start + capacity
            # Unit ``end - 1`` a high surrogate and unit ``end`` a low one: the pair
            # would straddle, so it moves on. The high byte of unit u is 2u + 1.
            if 0xD8 <= data[2 * end - 1] <= 0xDB and 0xDC <= data[2 * end + 1] <= 0xDF:
                end -= 1
            start = end
            segments += 1
        return SegmentCount("UCS-2", segments, units, capacity, capacity - (units - start))


def pair_starts(pattern: re.Pattern[str], text: str) -> tuple[list[int], list[int]]:
    """Where each 2-unit pair starts (unit offset), and units gained up to it, included."""
    starts: list[int] = []
    gained: list[int] = []
    extra = 0
    for match in pattern.finditer(text):
        begin, end = match.span()
        starts.append(begin + extra)
        extra += 2 - (end - begin)  # one character of 2 units, or 2 surrogate code points
        gained.append(extra)
    return starts, gained
