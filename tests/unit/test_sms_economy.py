"""Keeping SMS cheap: look-alike replacement (gsm_normalize) and shortening (fit)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.errors import InvalidField
from dunning_core.policies.sms import (
    LOOK_ALIKES,
    Replacement,
    SmsProfile,
    count_segments,
    fit,
    gsm_normalize,
)

GSM_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# --- gsm_normalize ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l\u2019avoir \u2018ici\u2019", "l'avoir 'ici'"),
        ("\u201cpay\u201d \u201elater\u201c \u00abnow\u00bb", '"pay" "later" "now"'),
        ("10\u201312 \u2014 \u22121", "10-12 - -1"),
        ("wait\u2026", "wait..."),
        ("1\u00a0000\u202f\u20ac", "1 000 €"),
        ("tab\there", "tab here"),
        ("in\u200bvisible\ufeff", "invisible"),
        ("\u0391\u0392\u0395 \u039a\u039f \u03a1\u03a4\u03a7", "ABE KO PTX"),
        ("5 k\u2126, \u2206", "5 kΩ, Δ"),
        ("back`tick", "back'tick"),
    ],
)
def test_look_alikes_are_replaced_by_gsm_characters(text: str, expected: str) -> None:
    normalized, _ = gsm_normalize(text)
    assert normalized == expected
    assert count_segments(normalized).encoding == "GSM-7"


def test_replacements_are_reported_with_their_position_in_the_original() -> None:
    # L=0 ’=1 é c h é a n c e=2..9 space=10 —=11 space=12 1=13 NNBSP=14
    text, replacements = gsm_normalize("L’échéance — 1\u202f200 €")
    assert text == "L'échéance - 1 200 €"
    assert replacements == (
        Replacement(1, "’", "'"),
        Replacement(11, "—", "-"),
        Replacement(14, "\u202f", " "),
    )


def test_letters_with_accents_are_left_alone() -> None:
    text = "Reçu: fenêtre, août, île, hôtel, dû"
    assert gsm_normalize(text) == (text, ())
    assert count_segments(text).encoding == "UCS-2"


def test_normalizing_turns_a_typographic_reminder_back_into_one_segment() -> None:
    text = "Votre facture F-118 n’est pas réglée – merci de payer avant le 15/03… Cordialement"
    assert count_segments(text).encoding == "UCS-2"
    assert count_segments(text).segments == 2  # 82 UTF-16 units > 70
    normalized, replacements = gsm_normalize(text)
    assert [r.original for r in replacements] == ["’", "–", "…"]
    assert count_segments(normalized).segments == 1


def test_every_look_alike_maps_to_gsm_text() -> None:
    for original, replacement in LOOK_ALIKES.items():
        assert original not in GSM_DEFAULT, original
        assert all(char in GSM_DEFAULT for char in replacement), original


def test_normalize_needs_a_string() -> None:
    with pytest.raises(TypeError):
        gsm_normalize(42)  # type: ignore[arg-type]


look_alike_texts = st.text(
    alphabet=st.one_of(st.sampled_from(GSM_DEFAULT), st.sampled_from(sorted(LOOK_ALIKES)))
)


@given(look_alike_texts)
def test_normalized_gsm_and_look_alike_text_is_gsm7(text: str) -> None:
    assert count_segments(gsm_normalize(text)[0]).encoding == "GSM-7"


@given(st.text())
def test_replacements_rebuild_the_normalized_text(text: str) -> None:
    normalized, replacements = gsm_normalize(text)
    rebuilt = list(text)
    for replacement in replacements:
        assert text[replacement.position] == replacement.original
        rebuilt[replacement.position] = replacement.replacement
    assert "".join(rebuilt) == normalized


@given(st.text(alphabet=st.sampled_from(GSM_DEFAULT)))
def test_text_without_look_alikes_is_unchanged(text: str) -> None:
    assert gsm_normalize(text) == (text, ())


# --- fit ---------------------------------------------------------------------------


def test_a_text_that_fits_is_returned_unchanged() -> None:
    text = "Your invoice F-118 is overdue, please pay today"
    assert fit(text, 1) is text


def test_fit_cuts_at_a_word_boundary_with_a_gsm_ellipsis() -> None:
    # "…" would make the text UCS-2, so "..." is used. k words of 4 letters take
    # 5k - 1 characters: 5k - 1 + 3 <= 160 gives k = 31, 157 characters.
    text = "word " * 100
    assert fit(text, 1) == "word " * 30 + "word..."


def test_fit_keeps_the_ellipsis_in_ucs2_text() -> None:
    # UCS-2 (ô), 70 units: k words of 3 letters: 4k - 1 + 1 <= 70 gives k = 17.
    text = "ôté " * 50
    assert fit(text, 1) == "ôté " * 16 + "ôté…"


def test_fit_to_two_segments() -> None:
    # 2 x 153 = 306 septets: 5k - 1 + 3 <= 306 gives k = 60 words, 302 characters.
    assert fit("word " * 100, 2) == "word " * 59 + "word..."


def test_fit_drops_trailing_punctuation_before_the_ellipsis() -> None:
    text = "Pay now, " + "x" * 200
    assert fit(text, 1) == "Pay now..."


def test_fit_with_no_word_boundary_cuts_between_characters() -> None:
    assert fit("x" * 200, 1) == "x" * 157 + "..."
    assert fit("x" * 200, 1, ellipsis="") == "x" * 160


def test_fit_never_separates_a_letter_from_its_combining_mark() -> None:
    text = "e\u0301" * 100  # UCS-2: 70 units per segment
    shortened = fit(text, 1, ellipsis="")
    assert shortened == "e\u0301" * 35
    assert not unicodedata.combining(text[len(shortened)])


def test_fit_counts_emoji_as_two_units() -> None:
    text = "\U0001f600" * 50  # 100 units: 34 emoji = 68 units + "…" = 69 <= 70
    assert fit(text, 1) == "\U0001f600" * 34 + "…"


def test_fit_respects_the_profile() -> None:
    profile = SmsProfile(concat_reference_bits=16)
    assert fit("x" * 400, 2, ellipsis="") == "x" * 306  # 2 x 153
    assert fit("x" * 400, 2, profile=profile, ellipsis="") == "x" * 304  # 2 x 152


@pytest.mark.parametrize("budget", [0, -1, True, 1.5])
def test_fit_refuses_a_budget_below_one(budget: object) -> None:
    with pytest.raises(InvalidField) as raised:
        fit("text", budget)  # type: ignore[arg-type]
    assert raised.value.field == "max_segments"


def test_fit_needs_a_string_ellipsis() -> None:
    with pytest.raises(TypeError):
        fit("x" * 200, 1, ellipsis=None)  # type: ignore[arg-type]


fit_chars = st.one_of(
    st.sampled_from(GSM_DEFAULT),
    st.sampled_from(" \n"),
    st.sampled_from("€[]^"),
    st.sampled_from("êç’…"),
    st.sampled_from(["\U0001f600", "\u0301"]),
)
fit_texts = st.integers(0, 900).flatmap(
    lambda size: st.text(alphabet=fit_chars, min_size=size, max_size=size)
)


@given(fit_texts, st.integers(1, 4), st.sampled_from(["…", "...", "", " [...]"]))
def test_fit_result_fits_the_budget(text: str, budget: int, ellipsis: str) -> None:
    shortened = fit(text, budget, ellipsis=ellipsis)
    assert count_segments(shortened).segments <= budget
    if count_segments(text).segments <= budget:
        assert shortened == text


@given(fit_texts, st.integers(1, 3))
def test_fit_result_is_a_prefix_of_the_text_and_an_ellipsis(text: str, budget: int) -> None:
    shortened = fit(text, budget)
    if shortened == text:
        return
    for marker in ("…", "..."):
        if shortened.endswith(marker) and text.startswith(shortened[: -len(marker)]):
            return
    raise AssertionError(f"{shortened!r} is not a prefix of the text plus an ellipsis")
