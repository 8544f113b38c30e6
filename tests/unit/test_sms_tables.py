"""The 3GPP TS 23.038 tables, spot-checked against the standard's own layout."""

from __future__ import annotations

import doctest
import importlib

import pytest

from dunning_core.policies.sms import (
    DEFAULT_ALPHABET,
    DEFAULT_EXTENSION,
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    NationalLanguage,
)

EXTENSION = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}  # fmt: skip


def test_default_alphabet_has_127_characters_and_no_escape() -> None:
    assert len(DEFAULT_ALPHABET) == 127
    assert 0x1B not in DEFAULT_ALPHABET
    assert len(set(DEFAULT_ALPHABET.values())) == 127


@pytest.mark.parametrize(
    ("code", "char"),
    [(0x00, "@"), (0x09, "Ç"), (0x0A, "\n"), (0x0D, "\r"), (0x10, "Δ"), (0x1A, "Ξ"),
     (0x1F, "É"), (0x24, "¤"), (0x40, "¡"), (0x5B, "Ä"), (0x5F, "§"), (0x60, "¿"),
     (0x7B, "ä"), (0x7F, "à")],
)  # fmt: skip
def test_default_alphabet_positions(code: int, char: str) -> None:
    assert DEFAULT_ALPHABET[code] == char


def test_default_extension_table() -> None:
    assert dict(DEFAULT_EXTENSION) == EXTENSION


def test_spanish_has_no_locking_shift_table() -> None:
    # TS 23.038 A.3.2 is void.
    assert set(LOCKING_SHIFT_TABLES) == {NationalLanguage.TURKISH, NationalLanguage.PORTUGUESE}


@pytest.mark.parametrize(
    ("language", "changes"),
    [
        (NationalLanguage.TURKISH, {0x04: "€", 0x07: "ı", 0x0B: "Ğ", 0x0C: "ğ", 0x1C: "Ş",
                                    0x1D: "ş", 0x40: "İ", 0x60: "ç"}),
        (NationalLanguage.PORTUGUESE, {0x04: "ê", 0x06: "ú", 0x07: "í", 0x08: "ó", 0x09: "ç",
                                       0x0B: "Ô", 0x0C: "ô", 0x0E: "Á", 0x0F: "á", 0x12: "ª",
                                       0x13: "Ç", 0x14: "À", 0x15: "∞", 0x16: "^", 0x17: "\\",
                                       0x18: "€", 0x19: "Ó", 0x1A: "|", 0x1C: "Â", 0x1D: "â",
                                       0x1E: "Ê", 0x24: "º", 0x40: "Í", 0x5B: "Ã", 0x5C: "Õ",
                                       0x5D: "Ú", 0x60: "~", 0x7B: "ã", 0x7C: "õ", 0x7D: "`"}),
    ],
)  # fmt: skip
def test_locking_shift_tables_differ_from_the_default_where_annex_a3_says(
    language: NationalLanguage, changes: dict[int, str]
) -> None:
    table = LOCKING_SHIFT_TABLES[language]
    assert len(table) == 127
    assert 0x1B not in table
    assert len(set(table.values())) == 127
    differing = {code: char for code, char in table.items() if DEFAULT_ALPHABET[code] != char}
    assert differing == changes


@pytest.mark.parametrize(
    ("language", "additions"),
    [
        (NationalLanguage.TURKISH, {0x47: "Ğ", 0x49: "İ", 0x53: "Ş", 0x63: "ç", 0x67: "ğ",
                                    0x69: "ı", 0x73: "ş"}),
        (NationalLanguage.SPANISH, {0x09: "ç", 0x41: "Á", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú",
                                    0x61: "á", 0x69: "í", 0x6F: "ó", 0x75: "ú"}),
        (NationalLanguage.PORTUGUESE, {0x05: "ê", 0x09: "ç", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á",
                                       0x0F: "á", 0x12: "Φ", 0x13: "Γ", 0x15: "Ω", 0x16: "Π",
                                       0x17: "Ψ", 0x18: "Σ", 0x19: "Θ", 0x1F: "Ê", 0x41: "À",
                                       0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x5B: "Ã", 0x5C: "Õ",
                                       0x61: "Â", 0x69: "í", 0x6F: "ó", 0x75: "ú", 0x7B: "ã",
                                       0x7C: "õ", 0x7F: "â"}),
    ],
)  # fmt: skip
def test_single_shift_tables_extend_the_extension_table_as_annex_a2_says(
    language: NationalLanguage, additions: dict[int, str]
) -> None:
    assert dict(SINGLE_SHIFT_TABLES[language]) == {**EXTENSION, **additions}


def test_national_language_identifiers() -> None:
    assert [language.identifier for language in NationalLanguage] == [1, 2, 3]


def test_docstring_examples_run() -> None:
    # The public names report the package as their module, so the examples of the
    # private modules' functions run with the package's.
    failures, tried = doctest.testmod(importlib.import_module("dunning_core.policies.sms"))
    assert tried >= 7
    assert failures == 0
