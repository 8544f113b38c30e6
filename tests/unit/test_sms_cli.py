"""The ``python -m dunning_core.cli.sms`` tool."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from dunning_core.cli.sms import main


def test_prints_the_count_and_each_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["a" * 152 + "€" + "b" * 10]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "GSM-7: 2 segment(s), 164 units, 153 per segment, 141 left"
    assert lines[1] == f"part 1: {'a' * 152!r}"
    assert lines[2] == f"part 2: {'€' + 'b' * 10!r}"


def test_national_tables_and_normalization(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--language", "turkish", "--normalize", "Sayın’"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "replaced '’' at 5 by \"'\""
    # ı at 1 septet in the Turkish locking table, ' at 1: 6 septets out of 155
    assert lines[1] == "GSM-7 (locking turkish): 1 segment(s), 6 units, 155 per segment, 149 left"


def test_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("ô"))
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("UCS-2: 1 segment(s), 1 units")


def test_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dunning_core.policies.sms", "--reference-bits", "16", "x" * 161],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        done.stdout.splitlines()[0] == "GSM-7: 2 segment(s), 161 units, 152 per segment, 143 left"
    )
