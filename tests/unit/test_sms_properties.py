"""Properties of SMS counting and splitting, and a cross-check against a slow packer.

The reference packer below is written to be obviously right, not fast: it decides the
encoding from character sets typed out here (from 3GPP TS 23.038 § 6.2.1 and 6.2.1.1),
then fills parts one character at a time, starting a new part whenever the next
character does not fit whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import example, given
from hypothesis import strategies as st

from dunning_core.policies.sms import (
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    NationalLanguage,
    SmsProfile,
    count_segments,
    split_segments,
)

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
LATIN1_OUTSIDE = [chr(c) for c in range(0xA0, 0x100) if chr(c) not in GSM_BASIC]
EMOJI = ["\U0001f600", "\U0001f4b3", "\U0001f4c4", "\U0001f64f", "\U0001f514"]


@dataclass
class Packed:
    encoding: str
    units: int
    capacity: int
    parts: list[str]
    remaining: int


def reference_pack(
    text: str,
    *,
    basic: frozenset[str] = GSM_BASIC,
    extension: frozenset[str] = GSM_EXTENSION,
    single: int = 160,
    per_part: int = 153,
) -> Packed | None:
    """Pack ``text`` in GSM 7-bit with these tables, or None if a character is missing."""
    if not all(char in basic or char in extension for char in text):
        return None
    return _pack(text, lambda char: 1 if char in basic else 2, "GSM-7", single, per_part)


def reference_pack_ucs2(text: str) -> Packed:
    return _pack(text, lambda char: 2 if ord(char) > 0xFFFF else 1, "UCS-2", 70, 67)


def _pack(text: str, cost: object, encoding: str, single: int, per_part: int) -> Packed:
    assert callable(cost)
    units = sum(cost(char) for char in text)
    if units <= single:
        return Packed(encoding, units, single, [text], single - units)
    parts: list[str] = []
    current, used = "", 0
    for char in text:
        if used + cost(char) > per_part:
            parts.append(current)
            current, used = "", 0
        current += char
        used += cost(char)
    parts.append(current)
    return Packed(encoding, units, per_part, parts, per_part - used)


def reference(text: str) -> Packed:
    return reference_pack(text) or reference_pack_ucs2(text)


# --- strategies --------------------------------------------------------------------

default_chars = st.sampled_from(sorted(GSM_BASIC))
extension_chars = st.sampled_from(sorted(GSM_EXTENSION))


@st.composite
def long_texts(draw: st.DrawFn, alphabet: st.SearchStrategy[str], max_size: int) -> str:
    """Texts of any length up to ``max_size`` (plain ``st.text`` draws mostly short
    ones, and the interesting boundaries are at 70, 153 and 160)."""
    size = draw(st.integers(0, max_size))
    return draw(st.text(alphabet=alphabet, min_size=size, max_size=size))


gsm_chars = st.one_of(default_chars, default_chars, default_chars, extension_chars)
gsm_texts = long_texts(gsm_chars, 800)
mixed_chars = st.one_of(
    default_chars,
    default_chars,
    extension_chars,
    st.sampled_from(LATIN1_OUTSIDE),
    st.sampled_from(EMOJI),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # more emoji
)
mixed_texts = long_texts(mixed_chars, 400)


@st.composite
def brim_texts(draw: st.DrawFn) -> str:
    """Texts cut at exactly N parts' worth of units by a naive count (as a sender that
    truncates to "N x 153 septets" does): where pairs on boundaries add a part."""
    ucs2 = draw(st.booleans())
    per_part = 67 if ucs2 else 153
    budget = per_part * draw(st.integers(2, 4)) - draw(st.integers(0, 1))
    alphabet = mixed_chars if ucs2 else gsm_chars
    text = draw(st.text(alphabet=alphabet, min_size=budget, max_size=budget))
    if ucs2:
        text = EMOJI[0] + text
    used = 0
    for index, char in enumerate(text):
        used += 2 if (ord(char) > 0xFFFF if ucs2 else char in GSM_EXTENSION) else 1
        if used > budget:
            return text[:index]
    return text


texts = st.one_of(gsm_texts, mixed_texts, brim_texts())


GSM_CODES = {
    char: code
    for code, char in enumerate(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    if char != "\x1b"
}
EXTENSION_CODES = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
                   "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip
ESC = 0x1B


def septets(text: str) -> list[int]:
    """The GSM 7-bit code of each septet, ESC included for extension characters."""
    encoded: list[int] = []
    for char in text:
        if char in EXTENSION_CODES:
            encoded += [ESC, EXTENSION_CODES[char]]
        else:
            encoded.append(GSM_CODES[char])
    return encoded


def utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def wire_units(text: str, encoding: str) -> list[int]:
    return septets(text) if encoding == "GSM-7" else utf16_units(text)


# --- properties --------------------------------------------------------------------


@given(texts)
@example("a" * 152 + "€" + "b" * 152)
@example("x" * 66 + EMOJI[0] + "y" * 66)
def test_count_matches_the_character_by_character_packer(text: str) -> None:
    expected = reference(text)
    counted = count_segments(text)
    assert counted.encoding == expected.encoding
    assert counted.units == expected.units
    assert counted.segments == len(expected.parts)
    assert counted.capacity == expected.capacity
    assert counted.remaining == expected.remaining


@given(texts)
@example("a" * 152 + "€" + "b" * 152)
def test_split_matches_the_character_by_character_packer(text: str) -> None:
    assert list(split_segments(text)) == reference(text).parts


@given(texts)
def test_split_parts_join_back_to_the_text(text: str) -> None:
    assert "".join(split_segments(text)) == text


@given(texts)
def test_every_part_fits_its_capacity(text: str) -> None:
    counted = count_segments(text)
    for part in split_segments(text):
        assert len(wire_units(part, counted.encoding)) <= counted.capacity


@given(mixed_texts)
@example("x" * 66 + EMOJI[0] + "y" * 66)
def test_no_part_starts_with_the_second_half_of_a_surrogate_pair(text: str) -> None:
    counted = count_segments(text)
    parts = split_segments(text)
    if counted.encoding == "UCS-2":  # parts on the wire are the message's units, in order
        assert [unit for part in parts for unit in utf16_units(part)] == utf16_units(text)
    for part in parts:
        units = utf16_units(part)
        if units:
            assert not 0xDC00 <= units[0] <= 0xDFFF
            assert not 0xD800 <= units[-1] <= 0xDBFF


@given(gsm_texts)
@example("a" * 152 + "€" + "b" * 152)
def test_no_part_ends_with_a_lone_escape(text: str) -> None:
    parts = split_segments(text)
    assert [septet for part in parts for septet in septets(part)] == septets(text)
    for part in parts:
        if part:
            assert septets(part)[-1] != ESC


@given(texts.filter(lambda text: count_segments(text).segments > 1))
def test_count_agrees_with_split_for_multi_part_texts(text: str) -> None:
    assert count_segments(text).segments == len(split_segments(text))


@given(texts, texts)
def test_appending_text_never_lowers_the_segment_count(text: str, more: str) -> None:
    assert count_segments(text + more).segments >= count_segments(text).segments


@given(long_texts(default_chars, 3000))
def test_default_alphabet_text_is_gsm7_with_one_unit_per_character(text: str) -> None:
    counted = count_segments(text)
    assert counted.encoding == "GSM-7"
    assert counted.units == len(text)


@given(texts)
def test_remaining_is_what_the_last_part_leaves(text: str) -> None:
    counted = count_segments(text)
    last = split_segments(text)[-1]
    assert counted.remaining == counted.capacity - len(wire_units(last, counted.encoding))


# --- national language tables: brute force over every allowed combination ---------

NATIONAL = SmsProfile(national_languages=("turkish", "spanish", "portuguese"))
# Capacities worked out from the header octets (TS 23.040 § 9.2.3.24): one shift
# element is 3 octets, two are 6; plus the header length octet; concatenation 5 more.
SINGLE_CAPACITY = {0: 160, 1: 155, 2: 152}
PART_CAPACITY = {0: 153, 1: 149, 2: 146}

national_chars = st.one_of(
    default_chars,
    default_chars,
    extension_chars,
    st.sampled_from(sorted("ıİşŞğĞçáíóúÁÍÓÚêÊôÔãõÃÕâÂàÀªº∞`")),
    st.sampled_from(EMOJI),
)


@given(long_texts(national_chars, 500))
def test_national_choice_is_the_cheapest_combination(text: str) -> None:
    combinations: list[tuple[tuple[int, int, int], Packed]] = []
    lockings: list[NationalLanguage | None] = [None, *LOCKING_SHIFT_TABLES]
    singles: list[NationalLanguage | None] = [None, *SINGLE_SHIFT_TABLES]
    for locking in lockings:
        for single in singles:
            basic = frozenset(LOCKING_SHIFT_TABLES[locking].values()) if locking else GSM_BASIC
            shifted = frozenset(SINGLE_SHIFT_TABLES[single].values()) if single else GSM_EXTENSION
            tables = (locking is not None) + (single is not None)
            packed = reference_pack(
                text,
                basic=basic,
                extension=shifted,
                single=SINGLE_CAPACITY[tables],
                per_part=PART_CAPACITY[tables],
            )
            if packed is not None:
                combinations.append(((len(packed.parts), tables, packed.units), packed))
    counted = count_segments(text, profile=NATIONAL)
    if not combinations:
        assert counted.encoding == "UCS-2"
        return
    best_key = min(key for key, _ in combinations)
    assert counted.encoding == "GSM-7"
    header_tables = (counted.locking_shift is not None) + (counted.single_shift is not None)
    assert (counted.segments, header_tables, counted.units) == best_key
    parts = split_segments(text, profile=NATIONAL)
    assert len(parts) == counted.segments
    assert "".join(parts) == text


@given(long_texts(national_chars, 500))
def test_national_tables_never_cost_more_than_strict(text: str) -> None:
    assert count_segments(text, profile=NATIONAL).segments <= count_segments(text).segments
