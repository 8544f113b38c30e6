"""``dunning run`` against calling ``run_cycle`` directly, on the cycle benchmark's
portfolio (issue 12: within 1.2x).

Run: ``make bench``, or ``.venv/bin/python benchmarks/bench_cli.py [--quick]``
(``--quick``: 10,000 accounts instead of 100,000).

Both sides run in a fresh process on a fresh copy of the same SQLite file (built and
cached by ``bench_cycle.py``), with the same ladders and assignments (one account in 20
on each non-default preset), for the same instant, and are timed from outside, start to
exit: the baseline is ``python -c`` importing the library and calling ``run_cycle``,
the command is the ``dunning`` console script reading the same assignments from a TOML
settings file, with its progress written to stderr (plain lines: not a terminal). The
two runs alternate, and each figure is the median of its runs. The script exits 0 when
the target is missed (the table says FAIL) and 1 when something goes wrong (the two
sides disagree on what the run did, or the command shows no progress).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cycle  # the portfolio, its cached SQLite files
from bench_cycle import AS_OF, account_id_of, built_file, discard, fresh_copy, ladder_of

TARGET_RATIO = 1.2
DUNNING = Path(sys.executable).with_name("dunning")

_DIRECT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_cycle import AS_OF, cycle_config
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.service.cycle import run_cycle
store = SqliteStore({db!r})
started = time.perf_counter()
report = run_cycle(store.unit_of_work, cycle_config({accounts}), AS_OF)
inner = time.perf_counter() - started
store.close()
print(json.dumps({{"accounts": report.accounts, "actions": dict(report.actions),
                  "messages": report.messages, "inner": inner}}))
"""


def settings_file(accounts: int) -> Path:
    """The benchmark's ladders as a ``dunning`` settings file (cached)."""
    path = bench_cycle.CACHE / f"cli-settings-{accounts}.toml"
    lines = ["[cycle]", 'default_ladder = "five-notices-then-termination"', "", "[assignments]"]
    for k in range(accounts):
        ladder = ladder_of(k)
        if ladder is not None:
            lines.append(f'"{account_id_of(k)}" = "{ladder}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_direct(built: Path, accounts: int) -> tuple[float, dict[str, object]]:
    """``run_cycle`` in a fresh process; (wall seconds, what it did)."""
    copy = fresh_copy(built, "cli-direct")
    code = _DIRECT.format(
        bench=str(Path(__file__).resolve().parent), db=str(copy), accounts=accounts
    )
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - start
    finally:
        discard(copy)
    return seconds, json.loads(done.stdout)


def run_command(built: Path, settings: Path) -> tuple[float, dict[str, object], str]:
    """``dunning run`` in a fresh process; (wall seconds, its JSON report, its stderr)."""
    copy = fresh_copy(built, "cli-command")
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [
                str(DUNNING),
                "--db",
                str(copy),
                "--config",
                str(settings),
                "run",
                "--as-of",
                AS_OF.isoformat(),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    finally:
        discard(copy)
    if done.returncode not in (0, 1):
        raise SystemExit(f"dunning run failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout), done.stderr


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts")
    parser.add_argument(
        "--rounds", type=int, help="runs of each side (default 3, or 1 at full size)"
    )
    arguments = parser.parse_args()
    accounts = 10_000 if arguments.quick else 100_000
    rounds = arguments.rounds or (3 if arguments.quick else 1)
    bench_cycle.CACHE.mkdir(exist_ok=True)
    built = built_file(accounts)
    settings = settings_file(accounts)
    direct_times, command_times, inner = [], [], []
    for _ in range(rounds):
        seconds, direct = run_direct(built, accounts)
        direct_times.append(seconds)
        inner.append(float(direct["inner"]))  # type: ignore[arg-type]
        seconds, report, stderr = run_command(built, settings)
        command_times.append(seconds)
        same = (report["accounts"], report["actions"], report["messages"]) == (
            direct["accounts"],
            direct["actions"],
            direct["messages"],
        )
        if not same:
            print(f"the command and run_cycle disagree: {report} / {direct}", file=sys.stderr)
            return 1
        if not report["accounts"] or report["errors"]:
            print(f"the run evaluated no account or had errors: {stderr[-500:]!r}", file=sys.stderr)
            return 1
        progress = [line for line in stderr.splitlines() if line.startswith("progress:")]
        if len(progress) < 5:
            print(f"the command showed no progress: {stderr[-500:]!r}", file=sys.stderr)
            return 1
    direct_s = statistics.median(direct_times)
    command_s = statistics.median(command_times)
    ratio = command_s / direct_s
    verdict = "ok" if ratio <= TARGET_RATIO else "FAIL"
    print(f"dunning run vs run_cycle, {accounts:,} accounts, {rounds} round(s), process wall time")
    cycle_s = statistics.median(inner)
    print(f"  run_cycle in a process   {direct_s:8.1f} s   (the cycle itself {cycle_s:.1f} s)")
    print(f"  dunning run              {command_s:8.1f} s   ({len(progress)} progress lines)")
    print(f"  ratio                    {ratio:8.3f}     target <= {TARGET_RATIO}  {verdict}")
    print(f"  the run: {report['accounts']} accounts, {report['messages']} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
