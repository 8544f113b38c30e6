"""docs/cli.md stays true: its terminal session is replayed and every output compared,
and its column tables list the columns the importer reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from dunning_core.cli._rows import KINDS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cli.md"


def _session() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/cli.md has no console block"
    steps: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return [(command, "".join(f"{line}\n" for line in output)) for command, output in steps]


def test_the_documented_session_replays_exactly(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DUNNING_DB": "dunning.sqlite3",
        "DUNNING_CONFIG": "examples/ledger/dunning.toml",
    }
    steps = _session()
    assert len(steps) >= 10
    for command, expected in steps:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            check=False,
            timeout=300,
        )
        assert done.stdout.decode("utf-8").replace("\r\n", "\n") == expected, command
    assert (tmp_path / "report.html").exists()


def test_the_documented_columns_are_the_importers() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind in KINDS.values():
        section = text.split(f"### {kind.name}\n", 1)[1].split("###", 1)[0]
        documented = re.findall(r"^\| `([a-z_0-9]+)` \| (yes|) \|", section, re.MULTILINE)
        assert documented == [(c.name, "yes" if c.required else "") for c in kind.columns]
