"""The character tables of 3GPP TS 23.038: the GSM 7-bit default alphabet, its extension
table, and the national language locking-shift and single-shift tables of annex A.

Tables map a 7-bit code to the Unicode character it stands for. Code 0x1B is the escape
to the extension (single-shift) table in every locking-shift table and is never an input
character, so it is left out of the maps. Sources: 3GPP TS 23.038 § 6.2.1 (default
alphabet), § 6.2.1.1 (extension table), annex A.2.1-A.2.3 (single shift) and
A.3.1-A.3.3 (locking shift); the language identifiers are those of § 6.2.1.2.4.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "DEFAULT_ALPHABET",
    "DEFAULT_EXTENSION",
    "ESCAPE",
    "LOCKING_SHIFT_TABLES",
    "SINGLE_SHIFT_TABLES",
    "NationalLanguage",
]

ESCAPE: Final = "\x1b"

# § 6.2.1, one row per high nibble (0x00-0x0F, 0x10-0x1F, ...). 0x09 is the capital
# C with cedilla: the 2003 edition of the standard settled it, after early handsets
# displayed a small one.
_DEFAULT_ROWS: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
)


def _from_rows(rows: tuple[str, ...]) -> Mapping[int, str]:
    table = {code: char for code, char in enumerate("".join(rows)) if char != ESCAPE}
    return MappingProxyType(table)


def _patched(base: Mapping[int, str], changes: Mapping[int, str]) -> Mapping[int, str]:
    return MappingProxyType({**base, **changes})


#: § 6.2.1: code -> character, 127 entries (0x1B, the escape, is not a character).
DEFAULT_ALPHABET: Final[Mapping[int, str]] = _from_rows(_DEFAULT_ROWS)

#: § 6.2.1.1: the characters reached through the escape; each costs 2 septets.
DEFAULT_EXTENSION: Final[Mapping[int, str]] = MappingProxyType(
    {
        0x0A: "\f",
        0x14: "^",
        0x28: "{",
        0x29: "}",
        0x2F: "\\",
        0x3C: "[",
        0x3D: "~",
        0x3E: "]",
        0x40: "|",
        0x65: "€",
    }
)


class NationalLanguage(enum.StrEnum):
    """A national language of 3GPP TS 23.038 annex A whose shift tables are known here.

    The value is the name used in profiles; :attr:`identifier` is the code sent in the
    user data header (information elements 0x24 and 0x25).
    """

    TURKISH = "turkish"
    SPANISH = "spanish"
    PORTUGUESE = "portuguese"

    @property
    def identifier(self) -> int:
        """The national language identifier of TS 23.038 § 6.2.1.2.4 (1, 2 or 3)."""
        return _IDENTIFIERS[self]


_IDENTIFIERS: Final = {
    NationalLanguage.TURKISH: 1,
    NationalLanguage.SPANISH: 2,
    NationalLanguage.PORTUGUESE: 3,
}

# Annex A.3: the locking-shift tables replace the whole default alphabet. Both differ
# from it in a few positions only, so they are written as those differences.
# A.3.2 (Spanish) is void: the standard defines no Spanish locking-shift table.
_TURKISH_LOCKING_CHANGES: Final = {
    0x04: "€",
    0x07: "ı",
    0x0B: "Ğ",
    0x0C: "ğ",
    0x1C: "Ş",
    0x1D: "ş",
    0x40: "İ",
    0x60: "ç",
}
_PORTUGUESE_LOCKING_CHANGES: Final = {
    0x04: "ê",
    0x06: "ú",
    0x07: "í",
    0x08: "ó",
    0x09: "ç",
    0x0B: "Ô",
    0x0C: "ô",
    0x0E: "Á",
    0x0F: "á",
    0x12: "ª",
    0x13: "Ç",
    0x14: "À",
    0x15: "∞",
    0x16: "^",
    0x17: "\\",
    0x18: "€",
    0x19: "Ó",
    0x1A: "|",
    0x1C: "Â",
    0x1D: "â",
    0x1E: "Ê",
    0x24: "º",
    0x40: "Í",
    0x5B: "Ã",
    0x5C: "Õ",
    0x5D: "Ú",
    0x60: "~",
    0x7B: "ã",
    0x7C: "õ",
    0x7D: "`",
}

#: Annex A.3: language -> (code -> character). Spanish has none (A.3.2 is void).
LOCKING_SHIFT_TABLES: Final[Mapping[NationalLanguage, Mapping[int, str]]] = MappingProxyType(
    {
        NationalLanguage.TURKISH: _patched(DEFAULT_ALPHABET, _TURKISH_LOCKING_CHANGES),
        NationalLanguage.PORTUGUESE: _patched(DEFAULT_ALPHABET, _PORTUGUESE_LOCKING_CHANGES),
    }
)

# Annex A.2: the single-shift tables replace the extension table. All three keep the
# default extension characters at their usual codes and add national letters.
_TURKISH_SINGLE_ADDITIONS: Final = {
    0x47: "Ğ",
    0x49: "İ",
    0x53: "Ş",
    0x63: "ç",
    0x67: "ğ",
    0x69: "ı",
    0x73: "ş",
}
_SPANISH_SINGLE_ADDITIONS: Final = {
    0x09: "ç",
    0x41: "Á",
    0x49: "Í",
    0x4F: "Ó",
    0x55: "Ú",
    0x61: "á",
    0x69: "í",
    0x6F: "ó",
    0x75: "ú",
}
_PORTUGUESE_SINGLE_ADDITIONS: Final = {
    0x05: "ê",
    0x09: "ç",
    0x0B: "Ô",
    0x0C: "ô",
    0x0E: "Á",
    0x0F: "á",
    0x12: "Φ",
    0x13: "Γ",
    0x15: "Ω",
    0x16: "Π",
    0x17: "Ψ",
    0x18: "Σ",
    0x19: "Θ",
    0x1F: "Ê",
    0x41: "À",
    0x49: "Í",
    0x4F: "Ó",
    0x55: "Ú",
    0x5B: "Ã",
    0x5C: "Õ",
    0x61: "Â",
    0x69: "í",
    0x6F: "ó",
    0x75: "ú",
    0x7B: "ã",
    0x7C: "õ",
    0x7F: "â",
}

#: Annex A.2: language -> (code -> character reached through the escape).
SINGLE_SHIFT_TABLES: Final[Mapping[NationalLanguage, Mapping[int, str]]] = MappingProxyType(
    {
        NationalLanguage.TURKISH: _patched(DEFAULT_EXTENSION, _TURKISH_SINGLE_ADDITIONS),
        NationalLanguage.SPANISH: _patched(DEFAULT_EXTENSION, _SPANISH_SINGLE_ADDITIONS),
        NationalLanguage.PORTUGUESE: _patched(DEFAULT_EXTENSION, _PORTUGUESE_SINGLE_ADDITIONS),
    }
)
