"""Keeping a message cheap: look-alike replacement and shortening to a segment budget."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Final, NamedTuple

from dunning_core.errors import InvalidField
from dunning_core.policies.sms._profile import STRICT_3GPP, SmsProfile
from dunning_core.policies.sms._segments import count_segments

__all__ = ["LOOK_ALIKES", "Replacement", "fit", "gsm_normalize"]


def _same(replacement: str, chars: str) -> dict[str, str]:
    return dict.fromkeys(chars, replacement)


#: Characters that force UCS-2 although a GSM 7-bit character looks (nearly) the same,
#: and what :func:`gsm_normalize` puts instead. Letters with accents are not here:
#: replacing ``ê`` by ``e`` changes the spelling, which is the writer's call.
LOOK_ALIKES: Final = MappingProxyType(
    {
        # apostrophes and single quotes, primes, the backtick (ASCII, but not GSM)
        **_same("'", "\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4`\u2039\u203a"),
        # double quotes and guillemets
        **_same('"', "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"),
        # hyphens, dashes and the minus sign
        **_same("-", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
        "\u2026": "...",
        # no-break, narrow no-break, thin, figure and other fixed-width spaces; tab
        **_same(" ", "\u00a0\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"),
        **_same(" ", "\u2008\u2009\u200a\u205f\u3000\t"),
        # invisible characters: zero-width space, word joiner, BOM, soft hyphen
        **_same("", "\u200b\u2060\ufeff\u00ad"),
        # Greek capitals drawn like Latin ones (the GSM alphabet has the other ten)
        "\u0391": "A",
        "\u0392": "B",
        "\u0395": "E",
        "\u0396": "Z",
        "\u0397": "H",
        "\u0399": "I",
        "\u039a": "K",
        "\u039c": "M",
        "\u039d": "N",
        "\u039f": "O",
        "\u03a1": "P",
        "\u03a4": "T",
        "\u03a5": "Y",
        "\u03a7": "X",
        # symbols that share a glyph with a GSM Greek capital
        "\u2126": "\u03a9",  # OHM SIGN -> GREEK CAPITAL LETTER OMEGA
        "\u2206": "\u0394",  # INCREMENT -> GREEK CAPITAL LETTER DELTA
    }
)

_LOOK_ALIKE_PATTERN: Final = re.compile(
    "[" + "".join(re.escape(char) for char in sorted(LOOK_ALIKES)) + "]"
)


class Replacement(NamedTuple):
    """One change :func:`gsm_normalize` made.

    Attributes:
        position: Index of the replaced character in the original text.
        original: The character that was there.
        replacement: What stands there now (may be empty or several characters).
    """

    position: int
    original: str
    replacement: str


def gsm_normalize(text: str) -> tuple[str, tuple[Replacement, ...]]:
    """Replace look-alikes that would force UCS-2 by their GSM 7-bit twins.

    Typographic quotes and apostrophes, dashes, the ellipsis, no-break and other fixed
    spaces, invisible characters and the Greek capitals drawn like Latin letters are
    replaced (see :data:`LOOK_ALIKES`); everything else is left alone, so the result is
    GSM-7 only if the rest of the text is.

    Args:
        text: The message.

    Returns:
        The new text, and every replacement made, in order.

    Raises:
        TypeError: ``text`` is not a ``str``.

    >>> gsm_normalize("L’échéance — 1\u202f200 €")[0]
    "L'échéance - 1 200 €"
    """
    if type(text) is not str:
        raise TypeError(f"text must be str, not {type(text).__name__}")
    replacements: list[Replacement] = []

    def replace(match: re.Match[str]) -> str:
        original = match.group()
        replacement = LOOK_ALIKES[original]
        replacements.append(Replacement(match.start(), original, replacement))
        return replacement

    normalized = _LOOK_ALIKE_PATTERN.sub(replace, text)
    return normalized, tuple(replacements)


_TRAILING: Final = " \t\r\n\f,;:-\u2013\u2014\u00a0\u202f"


def _can_cut_before(text: str, index: int) -> bool:
    # Keep a base character with its combining marks, joiners and variation selectors.
    if index in (0, len(text)):
        return True
    char = text[index]
    return not (
        unicodedata.combining(char)
        or char in "\u200d\ufe0e\ufe0f"
        or (index > 0 and text[index - 1] == "\u200d")
    )


def _longest_fitting(fits: Callable[[int], bool], candidates: Sequence[int]) -> int | None:
    """The largest candidate that fits, by bisection: fitting is monotone in the length
    of the kept text except where the ellipsis changes form, and every answer returned
    was checked to fit."""
    low, high = 0, len(candidates) - 1
    found: int | None = None
    while low <= high:
        middle = (low + high) // 2
        if fits(candidates[middle]):
            found = candidates[middle]
            low = middle + 1
        else:
            high = middle - 1
    return found


def fit(
    text: str,
    max_segments: int,
    *,
    profile: SmsProfile = STRICT_3GPP,
    ellipsis: str = "…",
) -> str:
    """Shorten ``text`` at a word boundary so that it takes at most ``max_segments``.

    A text that already fits is returned unchanged. Otherwise the longest prefix ending
    at a word boundary (trailing spaces and ``, ; : -`` dropped) is kept, followed by
    ``ellipsis``. When ``ellipsis`` would turn a GSM-7 text into UCS-2 (``…`` does), its
    GSM look-alike (``...``) is used instead. A text with no usable word boundary is cut
    between characters; a character is never separated from its combining marks.

    Args:
        text: The message.
        max_segments: The budget, at least 1.
        profile: The sending route's rules; :data:`STRICT_3GPP` by default.
        ellipsis: What marks the cut.

    Returns:
        A text of at most ``max_segments`` segments.

    Raises:
        InvalidField: ``max_segments`` is not a positive integer.
        TypeError: ``text`` or ``ellipsis`` is not a ``str``.

    >>> fit("Your invoice F-118 is overdue, please pay today", 1)
    'Your invoice F-118 is overdue, please pay today'
    >>> len(fit("word " * 100, 1))  # 31 words of 4 letters, 30 spaces, "..."
    157
    """
    if type(max_segments) is not int or max_segments < 1:
        raise InvalidField("max_segments", max_segments, "must be an integer of at least 1")
    if type(ellipsis) is not str:
        raise TypeError(f"ellipsis must be str, not {type(ellipsis).__name__}")
    if count_segments(text, profile=profile).segments <= max_segments:
        return text
    plain_ellipsis = gsm_normalize(ellipsis)[0]

    def shortened(end: int) -> str:
        head = text[:end].rstrip(_TRAILING)
        candidate = head + ellipsis
        if plain_ellipsis != ellipsis:
            head_count = count_segments(head, profile=profile)
            if count_segments(candidate, profile=profile).encoding != head_count.encoding:
                candidate = head + plain_ellipsis
        return candidate

    def fits(end: int) -> bool:
        return count_segments(shortened(end), profile=profile).segments <= max_segments

    word_ends = [
        index
        for index in range(1, len(text))
        if text[index].isspace() and not text[index - 1].isspace()
    ]
    end = _longest_fitting(fits, word_ends)
    if end is None:
        cuts = [index for index in range(len(text) + 1) if _can_cut_before(text, index)]
        end = _longest_fitting(fits, cuts)
    if end is None:  # not even the ellipsis fits: cut the ellipsis itself
        return fit(ellipsis, max_segments, profile=profile, ellipsis="")
    return shortened(end)
