"""Compile the message catalogs (``.po`` to ``.mo``) after the library's own check.

``pybabel compile`` checks every message whose text looks printf-like with printf rules:
"70% of" reads as ``% o`` to it and the French "70 % de" as ``% d``, so it refuses
translations that are right. The catalogs hold ``str.format`` templates, so this script
runs the check that fits them, :func:`dunning_core.rendering.catalog_check.
catalog_problems` (every text translated, the same placeholders, no fuzzy entry, the
right plural forms), then writes each ``.mo``. It exits 1, writing nothing for that
language, when a catalog has a problem.

Usage: ``python scripts/compile_catalogs.py LOCALE_DIR DOMAIN LANGUAGE...``
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from dunning_core.rendering.catalog_check import catalog_problems


def main(argv: list[str]) -> int:
    """Check and compile each language's catalog; 1 when any has a problem."""
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder, domain, languages = Path(argv[0]), argv[1], argv[2:]
    failed = False
    for language in languages:
        source = folder / language / "LC_MESSAGES" / f"{domain}.po"
        found = catalog_problems(folder / f"{domain}.pot", source)
        for problem in found:
            print(f"{source}: {problem}", file=sys.stderr)
        if found:
            failed = True
            continue
        with source.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        with source.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"{source}: compiled")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
