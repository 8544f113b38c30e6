"""Where the next day's incremental run goes: cProfile of ``bench_incremental``'s run.

Run: ``.venv/bin/python benchmarks/profile_incremental.py [--accounts N] [--top 40]``
(it builds or reuses ``bench_incremental``'s cached file of that size). On a fresh copy:
the day's full run, the changes on 2 % of the accounts, then the next day's ordinary
run under cProfile; prints both times and the functions with the most cumulative time,
then the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_incremental as bench  # the steady portfolio and its cached file

from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.service.cycle import run_cycle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    bench.CACHE.mkdir(exist_ok=True)
    config = bench.cycle_config(args.accounts)
    copy = bench.fresh_copy(bench.built_file(args.accounts), "profile")
    try:
        store = SqliteStore(copy)
        start = time.perf_counter()
        run_cycle(store.unit_of_work, config, bench.DAY, full=True)
        full = time.perf_counter() - start
        bench.record_changes(store, args.accounts, config)
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        report = run_cycle(store.unit_of_work, config, bench.DAY + timedelta(days=1))
        profile.disable()
        following = time.perf_counter() - start
        store.close()
    finally:
        bench.discard(copy)
    print(
        f"the day's full run {full:.1f} s; the next day's run {following:.2f} s under "
        f"cProfile ({following / full:.3f}x), {report.accounts:,} accounts evaluated"
    )
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
