"""Hand-worked SMS segment counts at every boundary of 3GPP TS 23.038 / TS 23.040.

Every expected value below is worked out in the comment next to it: 160 septets in one
GSM-7 segment, 153 per part once concatenated (a 6-octet header costs 7 septets); 70
UTF-16 units in one UCS-2 segment, 67 per part. A 2-unit character (escape pair,
surrogate pair) never straddles two parts.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from dunning_core.errors import InvalidField, InvalidSmsProfile
from dunning_core.policies.sms import (
    STRICT_3GPP,
    NationalLanguage,
    SegmentCount,
    SmsProfile,
    count_segments,
    split_segments,
)

EXTENSION = "\f^{}\\[~]|€"
EMOJI = "\U0001f600"  # GRINNING FACE: a surrogate pair in UTF-16


def gsm(segments: int, units: int, capacity: int, remaining: int) -> SegmentCount:
    return SegmentCount("GSM-7", segments, units, capacity, remaining)


def ucs2(segments: int, units: int, capacity: int, remaining: int) -> SegmentCount:
    return SegmentCount("UCS-2", segments, units, capacity, remaining)


def part_lengths(text: str, profile: SmsProfile = STRICT_3GPP) -> list[int]:
    return [len(part) for part in split_segments(text, profile=profile)]


# --- plain GSM-7 lengths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected", "parts"),
    [
        (0, gsm(1, 0, 160, 160), [0]),  # the empty message is one segment
        (1, gsm(1, 1, 160, 159), [1]),
        (153, gsm(1, 153, 160, 7), [153]),
        (154, gsm(1, 154, 160, 6), [154]),
        (160, gsm(1, 160, 160, 0), [160]),
        (161, gsm(2, 161, 153, 145), [153, 8]),  # 2 x 153 = 306, 306 - 161 = 145
        (306, gsm(2, 306, 153, 0), [153, 153]),
        (307, gsm(3, 307, 153, 152), [153, 153, 1]),
        (153 * 19, gsm(19, 2907, 153, 0), [153] * 19),
    ],
)
def test_gsm_lengths_at_the_segment_boundaries(
    length: int, expected: SegmentCount, parts: list[int]
) -> None:
    text = "a" * length
    assert count_segments(text) == expected
    assert part_lengths(text) == parts


# --- extension characters around the boundaries -------------------------------------


@pytest.mark.parametrize("char", list(EXTENSION))
@pytest.mark.parametrize(
    ("before", "expected", "parts"),
    [
        # septets 152-153 (1-based): the pair ends part 1 exactly: 151 + 2 = 153
        (151, gsm(2, 163, 153, 143), [152, 10]),
        # septets 153-154: it would straddle, so part 1 holds 152 and the pair moves
        (152, gsm(2, 164, 153, 141), [152, 11]),
        # septets 154-155: part 1 is 153 plain septets, the pair opens part 2
        (153, gsm(2, 165, 153, 141), [153, 11]),
    ],
)
def test_extension_character_at_the_part_boundary(
    char: str, before: int, expected: SegmentCount, parts: list[int]
) -> None:
    text = "a" * before + char + "b" * 10
    assert count_segments(text) == expected
    assert part_lengths(text) == parts


@pytest.mark.parametrize("char", list(EXTENSION))
@pytest.mark.parametrize(
    ("before", "expected", "parts"),
    [
        (158, gsm(1, 160, 160, 0), [159]),  # septets 159-160: still one segment
        (159, gsm(2, 161, 153, 145), [153, 7]),  # 160-161: 161 septets, 153 + 6 + 2
        (160, gsm(2, 162, 153, 144), [153, 8]),  # 161-162: 153 + 7 + 2
    ],
)
def test_extension_character_at_the_single_segment_limit(
    char: str, before: int, expected: SegmentCount, parts: list[int]
) -> None:
    text = "a" * before + char
    assert count_segments(text) == expected
    assert part_lengths(text) == parts


def test_a_straddling_pair_adds_a_segment_that_ceil_misses() -> None:
    # 152 + 2 + 152 = 306 septets: ceil(306 / 153) = 2, but the euro sign moves to
    # part 2 (152 | 2 + 151 | 1), so the network sends 3 parts.
    text = "a" * 152 + "€" + "b" * 152
    assert count_segments(text) == gsm(3, 306, 153, 152)
    assert split_segments(text) == ("a" * 152, "€" + "b" * 151, "b")


def test_every_part_boundary_can_push_a_pair() -> None:
    # 152 + 2 + 151 + 152 + 2 + 1 = 460 septets. Part 1: 152 a (the euro would take
    # septets 153-154). Part 2: € + 151 b = 153. Part 3: 152 c (the second euro would
    # straddle again). Part 4: € + d = 3 septets, 150 left.
    text = "a" * 152 + "€" + "b" * 151 + "c" * 152 + "€" + "d"
    assert count_segments(text) == gsm(4, 460, 153, 150)
    assert part_lengths(text) == [152, 152, 152, 2]


# --- emoji (surrogate pairs) around the UCS-2 boundaries ----------------------------


@pytest.mark.parametrize(
    ("before", "expected", "parts"),
    [
        (65, ucs2(2, 77, 67, 57), [66, 10]),  # units 66-67: ends part 1 exactly
        (66, ucs2(2, 78, 67, 55), [66, 11]),  # units 67-68: straddles, moves on
        (67, ucs2(2, 79, 67, 55), [67, 11]),  # units 68-69: opens part 2
    ],
)
def test_emoji_at_the_ucs2_part_boundary(
    before: int, expected: SegmentCount, parts: list[int]
) -> None:
    text = "a" * before + EMOJI + "b" * 10
    assert count_segments(text) == expected
    assert part_lengths(text) == parts


@pytest.mark.parametrize(
    ("before", "expected", "parts"),
    [
        (68, ucs2(1, 70, 70, 0), [69]),  # units 69-70: one segment, full
        (69, ucs2(2, 71, 67, 63), [67, 3]),  # units 70-71: 67 | 2 + 2
        (70, ucs2(2, 72, 67, 62), [67, 4]),  # units 71-72: 67 | 3 + 2
    ],
)
def test_emoji_at_the_ucs2_single_segment_limit(
    before: int, expected: SegmentCount, parts: list[int]
) -> None:
    text = "a" * before + EMOJI
    assert count_segments(text) == expected
    assert part_lengths(text) == parts


def test_a_straddling_emoji_adds_a_segment_that_ceil_misses() -> None:
    # 66 + 2 + 66 = 134 = 2 x 67, yet the emoji moves: 66 | 2 + 65 | 1.
    text = "x" * 66 + EMOJI + "y" * 66
    assert count_segments(text) == ucs2(3, 134, 67, 66)
    assert split_segments(text) == ("x" * 66, EMOJI + "y" * 65, "y")


def test_surrogate_code_points_stay_together() -> None:
    # A high and a low surrogate as two code points (text decoded with surrogatepass)
    # are the same 2 units on the wire as the emoji, and move together too.
    pair = "\ud83d\ude00"
    text = "x" * 66 + pair + "y" * 10
    assert count_segments(text) == ucs2(2, 78, 67, 55)
    assert part_lengths(text) == [66, 12]


# --- which characters are GSM-7 -------------------------------------------------------


def test_form_feed_is_an_extension_character() -> None:
    assert count_segments("Page 1\fPage 2") == gsm(1, 14, 160, 146)  # 12 + 2


@pytest.mark.parametrize(
    ("text", "units"), [("a\rb", 3), ("a\nb", 3), ("a\r\nb", 4), ("\n" * 160, 160)]
)
def test_cr_lf_and_crlf_are_one_septet_each(text: str, units: int) -> None:
    assert count_segments(text) == gsm(1, units, 160, 160 - units)


@pytest.mark.parametrize("char", list("éèàùìòÇ"))
def test_french_letters_of_the_default_alphabet_stay_gsm(char: str) -> None:
    assert count_segments(char) == gsm(1, 1, 160, 159)


@pytest.mark.parametrize("char", list("êçîôûâ"))
def test_french_letters_outside_the_alphabet_force_ucs2(char: str) -> None:
    assert count_segments(char) == ucs2(1, 1, 70, 69)


def test_a_french_reminder_in_gsm_letters() -> None:
    text = "Votre échéance du 15/03 est dépassée : merci de régler à réception. Où ? Ici."
    assert count_segments(text) == gsm(1, len(text), 160, 160 - len(text))


def test_one_circumflex_turns_the_whole_reminder_into_ucs2() -> None:
    text = "Votre facture est échue depuis 12 jours, merci de régler au plus tôt. " * 2
    # 140 characters: 1 GSM segment without the circumflex, 3 UCS-2 parts with it
    assert len(text) == 140
    assert count_segments(text) == ucs2(3, 140, 67, 61)  # 3 x 67 = 201 - 140 = 61
    assert count_segments(text.replace("tôt", "tot")).segments == 1


def test_greek_capitals_of_the_alphabet_are_gsm() -> None:
    assert count_segments("ΔΦΓΛΩΠΨΣΘΞ") == gsm(1, 10, 160, 150)


@pytest.mark.parametrize("char", ["Α", "Β", "Ε", "Ο", "α", "ω"])  # Greek, not Latin
def test_other_greek_letters_force_ucs2(char: str) -> None:
    assert count_segments(char).encoding == "UCS-2"


def test_the_euro_sign_takes_two_septets() -> None:
    assert count_segments("€") == gsm(1, 2, 160, 158)
    assert count_segments("Total: 1 250,00 €") == gsm(1, 18, 160, 142)  # 16 + 2


@pytest.mark.parametrize("char", ["\x1b", "`", "\t", "\x00", "°"])
def test_escape_and_other_ascii_or_latin1_outsiders_force_ucs2(char: str) -> None:
    assert count_segments(f"abc{char}").encoding == "UCS-2"


def test_every_default_and_extension_character_is_counted() -> None:
    basic = (
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    assert len(basic) == 127
    assert count_segments(basic) == gsm(1, 127, 160, 33)
    assert count_segments(basic + EXTENSION) == gsm(1, 147, 160, 13)  # 127 + 2 x 10


def test_text_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        count_segments(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        split_segments(None)  # type: ignore[arg-type]


# --- profiles ------------------------------------------------------------------------


def test_a_16_bit_reference_leaves_152_septets_and_66_units_per_part() -> None:
    profile = SmsProfile(concat_reference_bits=16)
    assert count_segments("a" * 160, profile=profile) == gsm(1, 160, 160, 0)
    assert count_segments("a" * 305, profile=profile) == gsm(3, 305, 152, 151)  # 304 < 305
    assert count_segments("ê" * 133, profile=profile) == ucs2(3, 133, 66, 65)  # 2 x 66 = 132
    assert part_lengths("a" * 305, profile) == [152, 152, 1]


def test_an_unconcatenated_route_sends_full_160_septet_parts() -> None:
    profile = SmsProfile(concatenated=False)
    assert count_segments("a" * 161, profile=profile) == gsm(2, 161, 160, 159)
    assert count_segments("ê" * 141, profile=profile) == ucs2(3, 141, 70, 69)
    assert part_lengths("a" * 159 + "€" + "b", profile) == [159, 2]  # the pair moves


AGENCY = SmsProfile(  # the French agency of seeds/002, section "E/ Envoi de SMS"
    name="agency",
    septet_costs={"\n": 2, **dict.fromkeys("ÊËÌÏÒÛð»", 1)},
    ucs2_costs={"\n": 2},
    concatenated=False,
)


def test_provider_profile_bills_line_breaks_as_two() -> None:
    text = "Bonjour,\nvotre facture est échue.\nMerci."
    # 40 characters, 2 line breaks at 2 each: 42
    assert len(text) == 40
    assert count_segments(text, profile=AGENCY) == gsm(1, 42, 160, 118)
    assert count_segments(text) == gsm(1, 40, 160, 120)


def test_provider_profile_bills_some_accented_capitals_as_standard() -> None:
    text = "RELANCE : FENÊTRE DE PAIEMENT OUVERTE"
    assert count_segments(text).encoding == "UCS-2"
    assert count_segments(text, profile=AGENCY) == gsm(1, 37, 160, 123)


def test_provider_profile_never_splits_a_two_septet_line_break() -> None:
    text = "a" * 159 + "\n" + "b"  # the line break would take septets 160-161
    assert count_segments(text, profile=AGENCY) == gsm(2, 162, 160, 157)
    assert part_lengths(text, AGENCY) == [159, 2]


def test_provider_profile_line_break_in_ucs2() -> None:
    text = "ô\n" * 35  # 35 + 35 x 2 = 105 units
    assert count_segments(text, profile=AGENCY) == ucs2(2, 105, 70, 35)


def test_profiles_are_values() -> None:
    turkish = SmsProfile(national_languages=("turkish",))
    same = SmsProfile(national_languages=[NationalLanguage.TURKISH])
    assert turkish == same
    assert hash(turkish) == hash(same)
    assert turkish != STRICT_3GPP
    assert pickle.loads(pickle.dumps(AGENCY)) == AGENCY
    assert copy.deepcopy(AGENCY) == AGENCY
    with pytest.raises(AttributeError):
        turkish.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        AGENCY.septet_costs["x"] = 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"concat_reference_bits": 12}, "SmsProfile.concat_reference_bits"),
        ({"national_languages": ("klingon",)}, "SmsProfile.national_languages"),
        ({"septet_costs": {"ab": 1}}, "SmsProfile.septet_costs"),
        ({"septet_costs": {"x": 3}}, "SmsProfile.septet_costs"),
        ({"septet_costs": {"\x1b": 1}}, "SmsProfile.septet_costs"),
        ({"septet_costs": {"x": True}}, "SmsProfile.septet_costs"),
        ({"septet_costs": dict.fromkeys(map(chr, range(300, 400)), 1)}, "SmsProfile.septet_costs"),
        ({"ucs2_costs": {EMOJI: 1}}, "SmsProfile.ucs2_costs"),
        ({"ucs2_costs": {"\ud800": 2}}, "SmsProfile.ucs2_costs"),
        ({"name": ""}, "SmsProfile.name"),
        ({"concatenated": "yes"}, "SmsProfile.concatenated"),
    ],
)
def test_unusable_profiles_are_refused_with_the_field_named(
    arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidSmsProfile) as raised:
        SmsProfile(**arguments)  # type: ignore[arg-type]
    assert isinstance(raised.value, InvalidField)
    assert raised.value.field == field


# --- national language shift tables -------------------------------------------------

TURKISH = SmsProfile(national_languages=("turkish",))
SPANISH = SmsProfile(national_languages=("spanish",))
PORTUGUESE = SmsProfile(national_languages=("portuguese",))

TURKISH_REMINDER = (
    "Sayın müşterimiz, 15.03.2024 vadeli 1.250,00 TL tutarındaki faturanız henüz "
    "ödenmemiştir. Lütfen ödeyiniz: https://ode.example.com/fatura/8431 Teşekkürler!"
)


def test_a_turkish_reminder_of_155_characters_is_one_segment() -> None:
    assert len(TURKISH_REMINDER) == 155
    # ı and ş are not GSM: strictly it is UCS-2, ceil(155 / 67) = 3 parts.
    assert count_segments(TURKISH_REMINDER) == ucs2(3, 155, 67, 46)
    # The Turkish locking-shift table has ı ş ğ İ Ş Ğ ç at 1 septet; its header
    # element (3 octets + the header length octet) leaves 160 - ceil(32 / 7) = 155.
    assert count_segments(TURKISH_REMINDER, profile=TURKISH) == SegmentCount(
        "GSM-7", 1, 155, 155, 0, NationalLanguage.TURKISH, None
    )


def test_a_turkish_reminder_of_156_characters_takes_149_septet_parts() -> None:
    # concatenation (5) + locking shift (3) + length (1) = 9 octets: 160 - 11 = 149
    counted = count_segments(TURKISH_REMINDER + "!", profile=TURKISH)
    assert counted == SegmentCount("GSM-7", 2, 156, 149, 142, NationalLanguage.TURKISH, None)
    assert part_lengths(TURKISH_REMINDER + "!", TURKISH) == [149, 7]


def test_spanish_has_a_single_shift_table_only() -> None:
    text = "Su factura está vencida. Pague aquí: https://pago.example.es/x"
    # á and í come from the Spanish single-shift table at 2 septets each:
    # 62 characters + 2 = 64 septets, 155 in a segment with a 3-octet header element
    assert len(text) == 62
    assert count_segments(text, profile=SPANISH) == SegmentCount(
        "GSM-7", 1, 64, 155, 91, None, NationalLanguage.SPANISH
    )
    with_locking_only = SmsProfile(national_languages=("spanish",), use_single_shift=False)
    assert count_segments(text, profile=with_locking_only).encoding == "UCS-2"


def test_portuguese_prefers_the_locking_table_when_it_is_cheaper() -> None:
    text = "Você tem uma fatura em aberto. Pague até amanhã."
    # ê and ã are in the Portuguese locking-shift table at 1 septet: 48 septets.
    # (With the single-shift table they would cost 2 each: 50; same segments, more units.)
    assert len(text) == 48
    assert count_segments(text, profile=PORTUGUESE) == SegmentCount(
        "GSM-7", 1, 48, 155, 107, NationalLanguage.PORTUGUESE, None
    )


def test_portuguese_needs_both_tables_for_a_mixed_text() -> None:
    # Ø is in the default alphabet only (the Portuguese locking table has Ô there) and
    # ê in the Portuguese tables only: the default alphabet with the Portuguese
    # single-shift table is the one combination that sends both (1 + 1 + 2 septets).
    text = "Ø ê"
    assert count_segments(text, profile=PORTUGUESE) == SegmentCount(
        "GSM-7", 1, 4, 155, 151, None, NationalLanguage.PORTUGUESE
    )


def test_both_shift_tables_cost_six_header_octets() -> None:
    # Turkish locking (ı at 1) plus Spanish single shift (á at 2): 152 in a segment,
    # 160 - ceil(8 x 7 / 7) = 152; concatenated: 12 octets -> 160 - 14 = 146.
    profile = SmsProfile(national_languages=("turkish", "spanish"))
    text = "ı á"
    assert count_segments(text, profile=profile) == SegmentCount(
        "GSM-7", 1, 4, 152, 148, NationalLanguage.TURKISH, NationalLanguage.SPANISH
    )
    long_text = "ı" * 100 + "á" * 50  # 100 + 100 = 200 septets > 152
    assert count_segments(long_text, profile=profile) == SegmentCount(
        "GSM-7", 2, 200, 146, 92, NationalLanguage.TURKISH, NationalLanguage.SPANISH
    )


def test_default_alphabet_wins_ties_with_national_tables() -> None:
    assert count_segments("Hello", profile=TURKISH) == gsm(1, 5, 160, 155)
    text = "a" * 200  # 2 parts either way: the default tables need no header element
    assert count_segments(text, profile=TURKISH) == gsm(2, 200, 153, 106)


def test_national_tables_are_opt_in() -> None:
    assert count_segments("ı").encoding == "UCS-2"
    assert count_segments("ı", profile=TURKISH).locking_shift is NationalLanguage.TURKISH


def test_per_segment_is_the_capacity() -> None:
    assert count_segments("a" * 200).per_segment == 153
