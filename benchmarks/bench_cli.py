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
two sides run back to back in each round; the verdict is on the median of the rounds'
ratios of the CPU time each process used (user + system), wall-time ratios printed
beside them: on a shared machine wall time measures the neighbours too. The script
exits 0 when the target is missed (the table says FAIL) and 1 when something goes
wrong: the two sides disagree on what the run did, the run evaluated no account (a
cached file the cycle had nothing to do on, as a stale one once was) or had errors, or
the command showed no progress. The cached file is keyed by the source of the
generator and of the SQLite schema and row codec (``bench_cycle.fingerprint``), and its
schema version and account count are checked before it is used.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import attrs

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


@attrs.frozen
class Timing:
    """One child process: wall seconds, and the CPU seconds it used (user + system)."""

    wall: float
    cpu: float


def timed(command: list[str]) -> tuple[Timing, subprocess.CompletedProcess[str]]:
    """Run ``command`` to its end; its wall time and its own CPU time (the children's
    rusage before and after: the bench runs one child at a time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu), done


def run_direct(built: Path, accounts: int) -> tuple[Timing, dict[str, object]]:
    """``run_cycle`` in a fresh process; (its timing, what it did)."""
    copy = fresh_copy(built, "cli-direct")
    code = _DIRECT.format(
        bench=str(Path(__file__).resolve().parent), db=str(copy), accounts=accounts
    )
    try:
        timing, done = timed([sys.executable, "-c", code])
    finally:
        discard(copy)
    if done.returncode != 0:
        raise SystemExit(f"run_cycle failed ({done.returncode}): {done.stderr[-2000:]}")
    return timing, json.loads(done.stdout)


def run_command(built: Path, settings: Path) -> tuple[Timing, dict[str, object], str]:
    """``dunning run`` in a fresh process; (its timing, its JSON report, its stderr)."""
    copy = fresh_copy(built, "cli-command")
    try:
        timing, done = timed(
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
            ]
        )
    finally:
        discard(copy)
    if done.returncode not in (0, 1):
        raise SystemExit(f"dunning run failed ({done.returncode}): {done.stderr[-2000:]}")
    return timing, json.loads(done.stdout), done.stderr


_CONFIG_ONLY = """
import sys
sys.path.insert(0, {bench!r})
from bench_cycle import cycle_config
from dunning_core.service.cycle import run_cycle
cycle_config({accounts})
"""


def fixed_costs(settings: Path, accounts: int, times: int = 5) -> tuple[float, float]:
    """Median CPU seconds of what each side does besides the cycle: the baseline's
    import and configuration, and the command's start-up, settings file and store
    opening (``cases`` on an empty database)."""
    empty = bench_cycle.CACHE / "cli-empty.sqlite3"
    discard(empty)
    subprocess.run([str(DUNNING), "--db", str(empty), "init"], capture_output=True, check=True)
    code = _CONFIG_ONLY.format(bench=str(Path(__file__).resolve().parent), accounts=accounts)
    direct, command = [], []
    try:
        for _ in range(times):
            direct.append(timed([sys.executable, "-c", code])[0].cpu)
            cases = [str(DUNNING), "--db", str(empty), "--config", str(settings), "cases"]
            command.append(timed(cases)[0].cpu)
    finally:
        discard(empty)
    return statistics.median(direct), statistics.median(command)


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
    direct_runs: list[Timing] = []
    command_runs: list[Timing] = []
    inner = []
    for _ in range(rounds):
        timing, direct = run_direct(built, accounts)
        direct_runs.append(timing)
        inner.append(float(direct["inner"]))  # type: ignore[arg-type]
        timing, report, stderr = run_command(built, settings)
        command_runs.append(timing)
        same = (report["accounts"], report["actions"], report["messages"]) == (
            direct["accounts"],
            direct["actions"],
            direct["messages"],
        )
        if not same:
            print(f"the command and run_cycle disagree: {report} / {direct}", file=sys.stderr)
            return 1
        if not report["accounts"] or report["errors"] or report["already_done"]:
            print(f"the run evaluated no account or had errors: {stderr[-500:]!r}", file=sys.stderr)
            return 1
        progress = [line for line in stderr.splitlines() if line.startswith("progress:")]
        if len(progress) < 5:
            print(f"the command showed no progress: {stderr[-500:]!r}", file=sys.stderr)
            return 1
    # Each round runs the two sides back to back. On a machine shared with other work,
    # wall time measures the neighbours as much as the code (ratios of 0.6 and 3.0 were
    # seen on one afternoon); the CPU time each process used does not, so the verdict is
    # on the median of the rounds' CPU ratios, with the wall ratios shown beside them.
    wall = [c.wall / d.wall for c, d in zip(command_runs, direct_runs, strict=True)]
    cpu = [c.cpu / d.cpu for c, d in zip(command_runs, direct_runs, strict=True)]
    ratio = statistics.median(cpu)
    verdict = "ok" if ratio <= TARGET_RATIO else "FAIL"
    print(f"dunning run vs run_cycle, {accounts:,} accounts, {rounds} round(s) back to back")
    print("                           wall (median)   CPU (median)")
    for name, runs in (("run_cycle in a process", direct_runs), ("dunning run", command_runs)):
        wall_s = statistics.median(r.wall for r in runs)
        cpu_s = statistics.median(r.cpu for r in runs)
        print(f"  {name:<24} {wall_s:9.1f} s    {cpu_s:9.1f} s")
    print(f"  the cycle itself (inside run_cycle's process) {statistics.median(inner):.1f} s wall")
    print(f"  CPU ratio of each round   {', '.join(f'{r:.3f}' for r in cpu)}")
    print(f"  wall ratio of each round  {', '.join(f'{r:.3f}' for r in wall)}")
    print(f"  ratio (median CPU)        {ratio:.3f}   target <= {TARGET_RATIO}  {verdict}")
    print(
        f"  the run: {report['accounts']} accounts, {report['messages']} messages, "
        f"{len(progress)} progress lines"
    )
    # What the command adds, measured apart: steadier than any ratio of whole runs.
    direct_fixed, command_fixed = fixed_costs(settings, accounts)
    extra = command_fixed - direct_fixed
    share = extra / statistics.median(r.cpu for r in direct_runs)
    print(
        f"  fixed costs (CPU, median of 5): run_cycle's process {direct_fixed:.2f} s, "
        f"the command {command_fixed:.2f} s: {extra:+.2f} s, {share:+.2%} of a run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
