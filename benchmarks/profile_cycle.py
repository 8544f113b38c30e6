"""Where a cycle's time goes: cProfile of one run on the benchmark portfolio.

Run: ``.venv/bin/python benchmarks/profile_cycle.py [--store memory|sqlite]
[--accounts N] [--top 30]`` (after ``bench_cycle.py`` built the SQLite file of that
size; the memory store is filled from the same generator). Prints the functions with the
most time of their own, then the most cumulative time, and the share of the run spent
in the phases issue 13 looks at (loading rows, statements, suspension, ladder,
messages, writes).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cycle as bench  # the portfolio and its cached SQLite files

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.service.cycle import run_cycle

#: Phases by the functions that mark them (cumulative time of each).
PHASES = {
    "load rows (ledger, facts, accounts, history)": (
        "load",
        "get_many",
        "actions_of",
        "suspension_states",
        "credit_alert_states",
    ),
    "statements": ("build_statement",),
    "suspension": ("suspension_step",),
    "ladder": ("decide_ladder",),
    "history from rows": ("history_from_records",),
    "messages and events": ("ladder_effects", "credit_alert_effects"),
    "credit alerts": ("credit_alerts",),
    "batch writes": (
        "add_actions",
        "add_messages",
        "add_events",
        "add_charges",
        "put_suspension_states",
        "put_credit_alert_states",
        "schedule",
    ),
    "commit": ("commit",),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("memory", "sqlite"), default="sqlite")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    config = bench.cycle_config(args.accounts)
    if args.store == "sqlite":
        copy = bench.fresh_copy(bench.built_file(args.accounts), "profile")
        store: MemoryStore | SqliteStore = SqliteStore(copy)
    else:
        store = MemoryStore()
        for batch in bench.chunks(0, args.accounts):
            bench.write(store.unit_of_work, batch)
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    report = run_cycle(store.unit_of_work, config, bench.AS_OF)
    profile.disable()
    elapsed = time.perf_counter() - start
    store.close()
    if args.store == "sqlite":
        bench.discard(copy)
    print(f"{args.store} cycle, {report.accounts:,} accounts: {elapsed:.1f} s (under cProfile)")
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    print("\nphases (cumulative time, share of the profiled total):")
    for phase, names in PHASES.items():
        seconds = sum(
            row[3]
            for (_, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
            if name in names
        )
        print(f"  {phase:<48} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    print()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
