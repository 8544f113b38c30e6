"""Checks a translation catalog against its template: every text translated, the same
placeholders, no fuzzy entry, the right number of plural forms.

The built-in catalogs are checked by the test suite; a team that adds a language runs
the same check on its own ``.po`` file::

    problems = catalog_problems("dunning_core.pot", "vi/LC_MESSAGES/dunning_core.po")
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from dunning_core.rendering._substitute import placeholders

__all__ = ["catalog_problems", "compare_catalogs"]


def _read(path: str | os.PathLike[str], locale: str | None = None) -> object:
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def catalog_problems(
    template: str | os.PathLike[str], catalog: str | os.PathLike[str]
) -> list[str]:
    """Every problem of ``catalog`` (a ``.po`` file) against ``template`` (the ``.pot``).

    Returns:
        One line per problem, naming the message context; empty when the catalog is
        complete.
    """
    pot = _read(template)
    locale_dir = os.path.basename(os.path.dirname(os.path.dirname(os.fspath(catalog))))
    po = _read(catalog, locale=locale_dir)
    return compare_catalogs(pot, po)


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(item) for item in value)
    return ()


def compare_catalogs(pot: object, po: object) -> list[str]:
    """:func:`catalog_problems` over already-read babel catalogs."""
    problems: list[str] = []
    wanted = {(m.context, _texts(m.id)[0]): m for m in pot if m.id}  # type: ignore[attr-defined]
    found = {(m.context, _texts(m.id)[0]): m for m in po if m.id}  # type: ignore[attr-defined]
    plurals = int(po.num_plurals)  # type: ignore[attr-defined]
    for key, source in wanted.items():
        where = f"{key[0] or ''} ({key[1]!r})"
        message = found.get(key)
        if message is None:
            problems.append(f"{where}: missing")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy")
        forms = _texts(message.string)
        if not any(forms) or not all(forms):
            problems.append(f"{where}: not translated")
            continue
        if source.pluralizable:
            if len(forms) != plurals:
                problems.append(f"{where}: {len(forms)} plural forms, the language has {plurals}")
            english = placeholders(_texts(source.id)[-1])
        else:
            english = placeholders(_texts(source.id)[0])
        for form in forms:
            names = placeholders(form)
            if names != english:
                missing = sorted(english - names)
                extra = sorted(names - english)
                problems.append(
                    f"{where}: placeholders differ from the English text "
                    f"(missing {missing}, unknown {extra})"
                )
                break
    for key in found.keys() - wanted.keys():
        problems.append(f"{key[0] or ''} ({key[1]!r}): not in the template (obsolete)")
    return problems
