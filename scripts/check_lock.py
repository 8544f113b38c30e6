"""Check that the environment holds exactly what the lock file names.

Usage: ``python scripts/check_lock.py requirements/dev.lock``

Every requirement of the lock whose marker applies here must be installed at the locked
version, and nothing else may be installed (but the installer itself and the project).
Exits 1 with the differences otherwise, so ``make test`` cannot run on a drifted
environment.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

# Installed by `python -m venv` itself, or the project under test.
_NOT_LOCKED = frozenset({"pip", "setuptools", "dunning-core"})
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?")


def locked(path: Path) -> dict[str, str]:
    """The ``name -> version`` pins of the lock that apply to this interpreter."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match is None:
            continue
        marker = match["marker"]
        if marker is not None and not Marker(marker.strip()).evaluate():
            continue
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def installed() -> dict[str, str]:
    """The ``name -> version`` of every distribution in this environment."""
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }


def differences(pins: dict[str, str], present: dict[str, str]) -> list[str]:
    """What differs between the lock and the environment, one line per package."""
    problems = [
        f"{name}: locked {version}, installed {present.get(name, 'nothing')}"
        for name, version in sorted(pins.items())
        if present.get(name) != version
    ]
    problems += [
        f"{name}: installed {version}, not in the lock"
        for name, version in sorted(present.items())
        if name not in pins and name not in _NOT_LOCKED
    ]
    return problems


def main(argv: list[str]) -> int:
    """Compare the lock named in ``argv[1]`` with this environment."""
    if len(argv) != 2:
        print("usage: check_lock.py LOCKFILE", file=sys.stderr)
        return 2
    problems = differences(locked(Path(argv[1])), installed())
    if problems:
        print(f"the environment does not match {argv[1]}:", *problems, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
