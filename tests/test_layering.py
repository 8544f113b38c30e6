"""DESIGN.md's layering rule: dependencies point downwards only.

domain/ imports nothing of the package but money, errors and domain; policies/ only
domain, money, errors and policies; neither touches service/, adapters/, ports, cli,
config or rendering. The package root never imports hypothesis.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dunning_core"

ALLOWED = {
    "domain": {"money", "errors", "domain", "_iso4217"},
    "policies": {"money", "errors", "domain", "policies", "_iso4217"},
}
PURE_STDLIB_FORBIDDEN = {"sqlite3", "socket", "smtplib", "http", "urllib", "requests", "time"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_inner_layers_import_only_what_design_allows(layer: str) -> None:
    offenders = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "dunning_core":
                parts = module.split(".")
                inner = parts[1] if len(parts) > 1 else ""
                if inner not in ALLOWED[layer]:
                    offenders.append(f"{path.relative_to(SRC)} imports {module}")
            elif top in PURE_STDLIB_FORBIDDEN:
                offenders.append(f"{path.relative_to(SRC)} does I/O or reads the clock: {module}")
    assert offenders == []


def test_core_never_reads_the_clock_or_local_timezone() -> None:
    needles = ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow(", "localtime(")
    offenders = []
    for layer in ALLOWED:
        for path in sorted((SRC / layer).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in needles if n in text]
    assert offenders == []


def test_package_root_does_not_import_hypothesis() -> None:
    code = "import sys, dunning_core; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
