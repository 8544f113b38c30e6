"""DESIGN.md's layering rule, for every layer: dependencies point downwards only.

Each top-level part of the package may import only the parts listed for it below (and
itself); the package root and the private helpers (``_exports``, ``_iso4217``,
``_version``) are shared. The rules a reader checks first are spelled out as their own
tests: config imports no service or adapter; ports import no adapter; the service
layer imports no adapter; the pure layers neither do I/O nor read the clock.

Deprecated aliases resolve their new home by name when first used
(:mod:`dunning_core._exports`), so an old path in a lower layer holds a string, not an
import: the rule is about the code a layer runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dunning_core"

SHARED = {"_exports", "_iso4217", "_version", "errors", "money"}
#: What each part may import besides itself and SHARED.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "money": set(),
    "sharding": set(),
    "domain": set(),
    "policies": {"domain"},
    "ports": {"domain", "sharding"},
    "config": {"domain", "policies"},
    "rendering": {"domain", "ports"},
    "documents": {"domain", "ports", "rendering"},
    "service": {"domain", "policies", "ports", "sharding", "config", "rendering", "documents"},
    "adapters": {
        "domain",
        "policies",
        "ports",
        "sharding",
        "config",
        "rendering",
        "documents",
        "service",
    },
    # The command is a composition root: it opens the stores and notifiers it is told to
    # (their public modules only; see test_adapters_internals_stay_private_to_the_adapters).
    "cli": {
        "domain",
        "policies",
        "ports",
        "sharding",
        "config",
        "rendering",
        "documents",
        "service",
        "adapters",
    },
    "testing": {
        "domain",
        "policies",
        "ports",
        "sharding",
        "config",
        "rendering",
        "documents",
        "service",
        "adapters",
    },
}
PURE = ("domain", "policies", "sharding", "money", "errors")
IO_MODULES = {"sqlite3", "socket", "smtplib", "http", "urllib", "requests", "time", "argparse"}
CLOCK_READS = ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow(", "localtime(")


def _part(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


def _files(part: str) -> list[Path]:
    folder = SRC / part
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [SRC / f"{part}.py"]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _package_imports(path: Path) -> set[str]:
    """The parts of dunning_core a file imports (``"domain"``, ``"service"``, ...)."""
    parts = set()
    for module in _imports(path):
        names = module.split(".")
        if names[0] == "dunning_core" and len(names) > 1:
            parts.add(names[1])
    return parts


def test_every_part_of_the_package_has_a_rule() -> None:
    parts = {_part(path) for path in SRC.rglob("*.py")} - {"__init__"} - SHARED
    assert parts <= set(ALLOWED), f"add a layering rule for {sorted(parts - set(ALLOWED))}"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(part: str) -> None:
    allowed = ALLOWED[part] | SHARED | {part}
    offenders = [
        f"{path.relative_to(SRC)} imports dunning_core.{inner}"
        for path in _files(part)
        for inner in sorted(_package_imports(path) - allowed)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("part", "forbidden"),
    [
        ("config", {"service", "adapters", "rendering", "ports", "cli"}),
        ("ports", {"adapters", "service", "cli"}),
        ("service", {"adapters", "cli"}),
        ("policies", {"ports", "service", "adapters", "config", "rendering", "cli"}),
        ("domain", {"policies", "ports", "service", "adapters", "config", "rendering", "cli"}),
    ],
)
def test_the_rules_a_reader_checks_first(part: str, forbidden: set[str]) -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports dunning_core.{inner}"
        for path in _files(part)
        for inner in sorted(_package_imports(path) & forbidden)
    ]
    assert offenders == []


@pytest.mark.parametrize("part", PURE)
def test_pure_layers_do_no_io_and_never_read_the_clock(part: str) -> None:
    offenders = []
    for path in _files(part):
        offenders += [
            f"{path.relative_to(SRC)} does I/O: {module}"
            for module in sorted(_imports(path))
            if module.split(".")[0] in IO_MODULES
        ]
        text = path.read_text(encoding="utf-8")
        offenders += [
            f"{path.relative_to(SRC)} reads the clock: {n}" for n in CLOCK_READS if n in text
        ]
    assert offenders == []


def test_adapters_internals_stay_private_to_the_adapters() -> None:
    offenders = []
    for part in ALLOWED:
        if part in ("adapters", "testing"):
            continue
        for path in _files(part):
            for module in _imports(path):
                names = module.split(".")
                if names[:2] == ["dunning_core", "adapters"] and any(
                    n.startswith("_") for n in names[2:]
                ):
                    offenders.append(f"{path.relative_to(SRC)} imports {module}")
    assert offenders == []


def test_package_root_does_not_import_hypothesis() -> None:
    code = "import sys, dunning_core; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _documented_tree() -> set[str]:
    text = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```text\n", 1)[1].split("```", 1)[0]
    paths: set[str] = set()
    stack: list[str] = []
    for line in block.splitlines()[1:]:  # the first line is src/dunning_core/
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2 - 1
        name = line.split()[0]
        stack[depth:] = [name.rstrip("/")]
        paths.add("/".join(stack) + ("/" if name.endswith("/") else ""))
    return paths


def _is_deprecated_alias(path: Path) -> bool:
    return path.read_text(encoding="utf-8").lstrip('"').startswith("Deprecated")


def test_the_architecture_page_lists_every_public_module() -> None:
    """docs/architecture.md's tree: every module a user imports, and nothing else."""
    documented = _documented_tree()
    actual: set[str] = set()
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if any(part.startswith("_") and part != "__init__.py" for part in relative.parts):
            continue  # private modules and packages
        if _is_deprecated_alias(path):
            continue
        if path.name == "__init__.py":
            if relative.parent != Path("."):
                actual.add(relative.parent.as_posix() + "/")
            else:
                actual.add("__init__.py")
            continue
        # Modules of a policy package are private; the package line stands for them.
        actual.add(relative.as_posix())
    listed_packages = {p for p in documented if p.endswith("/")}
    covered = {
        p
        for p in actual
        if not p.endswith("/")
        and any(p.startswith(pkg) for pkg in listed_packages)
        and p not in documented
        and p.count("/") > 0
        and Path(p).parent.as_posix() + "/" in listed_packages
        and (SRC / Path(p).parent / "__init__.py").read_text(encoding="utf-8").count("__all__")
    }
    assert sorted(actual - documented - covered) == []
    assert sorted(documented - actual) == []
