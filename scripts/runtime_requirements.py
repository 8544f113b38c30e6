"""Print the package's runtime requirements (``[project].dependencies``), one per line.

``make test-latest`` upgrades exactly these to their newest releases the ranges admit.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path


def runtime_requirements(pyproject: Path) -> list[str]:
    """The requirement strings of ``[project].dependencies``."""
    with pyproject.open("rb") as file:
        project = tomllib.load(file)["project"]
    return [str(requirement) for requirement in project["dependencies"]]


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    sys.stdout.write("\n".join(runtime_requirements(root / "pyproject.toml")) + "\n")
