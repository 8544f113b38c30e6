"""The built-in catalogs: complete, current, and checked by a function that can fail."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import dunning_core.rendering
from dunning_core.rendering.catalog import LANGUAGES, catalog_languages
from dunning_core.rendering.catalog_check import catalog_problems, compare_catalogs

LOCALE = Path(dunning_core.rendering.__file__).parent / "locale"
POT = LOCALE / "dunning_core.pot"
SOURCES = [
    Path(dunning_core.rendering.__file__).parent / "_notices.py",
    Path(dunning_core.rendering.__file__).parent / "_document_texts.py",
]
TRANSLATED = [language for language in LANGUAGES if language != "en"]


def _po(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "dunning_core.po"


def _mo(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "dunning_core.mo"


def test_the_package_ships_a_catalog_per_language() -> None:
    assert catalog_languages() == frozenset(LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_text_with_the_same_placeholders(language: str) -> None:
    assert catalog_problems(POT, _po(language)) == []


def test_the_template_holds_every_text_the_source_marks() -> None:
    keywords = {"_t": ((1, "c"), 2), "_tn": ((1, "c"), 2, 3)}
    marked = {
        (context, message if isinstance(message, str) else message[0])
        for source in SOURCES
        for _, message, _, context in extract_from_file("python", str(source), keywords=keywords)
    }
    with POT.open("rb") as handle:
        template = read_po(handle)
    in_template = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id
    }
    assert marked == in_template, "run `make messages`: the .pot is stale"


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogs_match_their_sources(language: str) -> None:
    with _po(language).open("rb") as handle:
        source = read_po(handle, locale=language)
    with _mo(language).open("rb") as handle:
        compiled = read_mo(handle)
    expected = {(_context(m.context), _first(m.id)): _forms(m.string) for m in source if m.id}
    actual = {(_context(m.context), _first(m.id)): _forms(m.string) for m in compiled if m.id}
    assert actual == expected, "run `make messages`: the .mo is stale"


def _context(context: str | bytes | None) -> str | None:
    # babel before 2.13 reads a .mo file's contexts as bytes.
    return context.decode() if isinstance(context, bytes) else context


def _first(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _forms(msgstr: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (msgstr,) if isinstance(msgstr, str) else tuple(msgstr)


def _catalogs(
    *entries: tuple[str, str | tuple[str, str], str | tuple[str, ...]],
) -> tuple[Catalog, Catalog]:
    pot = Catalog()
    po = Catalog(locale="fr")
    for context, msgid, msgstr in entries:
        pot.add(msgid, context=context)
        if msgstr:
            po.add(msgid, msgstr, context=context)
    # Round-trip through the .po format, as the real files are read.
    return _round_trip(pot, None), _round_trip(po, "fr")


def _round_trip(catalog: Catalog, locale: str | None) -> Catalog:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog)
    buffer.seek(0)
    return read_po(buffer, locale=locale)


def test_a_missing_translation_is_a_problem() -> None:
    pot, po = _catalogs(
        ("a|subject", "Invoice {number}", "Facture {number}"),
        ("a|body", "Pay {amount}", ""),
    )
    problems = compare_catalogs(pot, po)
    assert len(problems) == 1
    assert problems[0].startswith("a|body") and "missing" in problems[0]


def test_a_placeholder_that_differs_from_the_english_text_is_a_problem() -> None:
    pot, po = _catalogs(("a|body", "Pay {amount} by {day}", "Payez {montant} avant le {day}"))
    problems = compare_catalogs(pot, po)
    assert len(problems) == 1
    assert "missing ['amount']" in problems[0] and "unknown ['montant']" in problems[0]


def test_a_plural_needs_every_form_of_the_language() -> None:
    pot, po = _catalogs(
        ("a|days", ("{n} day", "{n} days"), ("{n} jour",)),
    )
    # French has two plural forms (one, other) in older CLDR data and three (one, many,
    # other) since CLDR 42: one form is too few with either.
    problems = compare_catalogs(pot, po)
    assert len(problems) == 1
    assert problems[0].startswith("a|days")


def test_a_complete_catalog_has_no_problem() -> None:
    pot, po = _catalogs(
        ("a|subject", "Invoice {number}", "Facture {number}"),
        ("a|days", ("{n} day", "{n} days"), ("{n} jour", "{n} jours", "{n} jours")),
    )
    assert compare_catalogs(pot, po) == []


COMPILE = Path(__file__).resolve().parents[2] / "scripts" / "compile_catalogs.py"


def _compile(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(COMPILE), str(folder), "dunning_core", *TRANSLATED],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _texts_of(catalog: Catalog) -> dict[object, object]:
    def frozen(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(message.context, frozen(message.id)): frozen(message.string) for message in catalog}


def test_make_messages_compiles_the_shipped_catalogs_into_the_shipped_mo_files(
    tmp_path: Path,
) -> None:
    # pybabel's printf check refuses "70 % de"; the script must not (make messages).
    folder = tmp_path / "locale"
    shutil.copytree(LOCALE, folder)
    for language in TRANSLATED:
        (folder / language / "LC_MESSAGES" / "dunning_core.mo").unlink()
    result = _compile(folder)
    assert result.returncode == 0, result.stderr
    for language in TRANSLATED:
        compiled = folder / language / "LC_MESSAGES" / "dunning_core.mo"
        with compiled.open("rb") as new, _mo(language).open("rb") as shipped:
            assert _texts_of(read_mo(new)) == _texts_of(read_mo(shipped))


def test_make_messages_refuses_a_translation_with_a_placeholder_its_source_lacks(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "locale"
    shutil.copytree(LOCALE, folder)
    po = folder / "fr" / "LC_MESSAGES" / "dunning_core.po"
    text = po.read_text(encoding="utf-8")
    planted = text.replace("{credit_limit}.", "{credit_limt}.", 1)
    assert planted != text
    po.write_text(planted, encoding="utf-8")
    before = (folder / "fr" / "LC_MESSAGES" / "dunning_core.mo").read_bytes()
    result = _compile(folder)
    assert result.returncode == 1
    assert "credit_limt" in result.stderr
    assert (folder / "fr" / "LC_MESSAGES" / "dunning_core.mo").read_bytes() == before
