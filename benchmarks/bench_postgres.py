"""The dunning cycle and the dispatch on PostgreSQL with procrastinate workers (issue 11).

Run: ``make bench``, or ``.venv/bin/python benchmarks/bench_postgres.py [--quick]``
(``--quick``: 10,000 accounts and 5,000 messages).

A throwaway PostgreSQL server (the machine's binaries, on a temporary directory) holds
the portfolio of ``bench_cycle`` (100,000 accounts, 1,000,000 invoices). Figures, each
against a baseline measured in the same run:

1. **cycle, 2 workers vs 1**: the first cycle of the day planned by ``plan_cycle`` in 32
   shards and run by 1, then 2, ``procrastinate worker`` processes (each on a fresh
   copy of the database), timed from the plan to the last shard's end. Target: 2
   workers at least 1.6x as fast (the machine has 2 cores, shared with the server).
2. **cycle vs the COPY floor**: what PostgreSQL itself needs for the cycle's volume, one
   transaction: ``COPY`` every invoice row out, ``COPY`` as many history rows in as the
   cycle recorded (median of three).
3. **dispatch, 4 dispatchers vs 1**: messages per second through ``dispatch_outbox``
   jobs (``dispatch`` with claims of 100 under leases) against a notifier that does
   nothing, with 1, then 4, worker processes each running one dispatcher.

The script exits 0 when a target is missed (the table says FAIL), 1 when something goes
wrong (the 1- and 2-worker runs disagree, a job fails, a message is sent twice).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import procrastinate
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cycle import (  # noqa: E402  (a sibling script)
    AS_OF,
    INVOICES_PER_ACCOUNT,
    chunks,
    print_table,
    write,
)
from pg_bench_app import SCHEMA, SHARDS, deferring_app  # noqa: E402  (what the workers import)

from dunning_core.adapters.storage.postgres import PostgresStore  # noqa: E402
from dunning_core.domain.outbox import OutboxMessage  # noqa: E402

TARGET_SPEEDUP = 1.6
RUN_DAY: date = AS_OF.date()

# -- the measuring side -----------------------------------------------------------------


class Cluster:
    """A database copied from the built one, and worker processes on it."""

    def __init__(self, server: Any, name: str, template: str, accounts: int) -> None:
        self.dsn = server.create_database(name, template=template)
        self.accounts = accounts
        self.workers: list[subprocess.Popen[bytes]] = []
        self.app = deferring_app(self.dsn)
        self.app.open()

    def start_workers(self, count: int) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            "BENCH_PG_DSN": self.dsn,
            "BENCH_PG_ACCOUNTS": str(self.accounts),
        }
        for index in range(count):
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "procrastinate",
                        "--app=pg_bench_app.app",
                        "worker",
                        "--concurrency=1",
                        f"--name=bench-{index}",
                        "--queues=dunning",
                    ],
                    env=env,
                    cwd=HERE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        self.wait_for_workers(count)

    def wait_for_workers(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.scalar("SELECT count(*) FROM procrastinate_workers") < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.2)

    def scalar(self, sql: str, *params: Any) -> int:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            row = connection.execute(sql.encode(), params).fetchone()  # type: ignore[call-overload]
        return int(row[0]) if row and row[0] is not None else 0

    def defer(self, task: str, **kwargs: Any) -> None:
        self.app.configure_task(f"dunning.{task}", queue="dunning").defer(**kwargs)

    def wait_final(self, task: str, expected: int) -> None:
        while True:
            waiting = self.scalar(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s "
                "AND status IN ('todo', 'doing')",
                f"dunning.{task}",
            )
            total = self.scalar(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s", f"dunning.{task}"
            )
            if waiting == 0 and total >= expected:
                failed = self.scalar(
                    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s "
                    "AND status <> 'succeeded'",
                    f"dunning.{task}",
                )
                if failed:
                    raise RuntimeError(f"{failed} {task} jobs did not succeed")
                return
            time.sleep(0.1)

    def close(self) -> None:
        for worker in self.workers:
            worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.app.close()


def build_template(server: Any, accounts: int) -> str:
    """The portfolio of ``bench_cycle`` in a database, with procrastinate's tables."""
    name = f"bench_{accounts}"
    dsn = server.create_database(name)
    store = PostgresStore(dsn, schema=SCHEMA)
    start = time.perf_counter()
    for batch in chunks(0, accounts):
        write(store.unit_of_work, batch)
    store.close()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(procrastinate.schema.SchemaManager.get_schema().encode())
        connection.execute(b"VACUUM ANALYZE")
    print(f"  built {accounts:,} accounts in {time.perf_counter() - start:.0f} s", flush=True)
    return name


def table_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        return {
            table: int(
                connection.execute(f"SELECT count(*) FROM {SCHEMA}.{table}".encode()).fetchone()[0]
            )  # type: ignore[index]
            for table in ("actions", "outbox", "events", "charges", "checkpoints")
        }


def cycle_run(
    server: Any, template: str, accounts: int, workers: int
) -> tuple[float, dict[str, int]]:
    cluster = Cluster(server, f"cycle_{workers}", template, accounts)
    try:
        cluster.start_workers(workers)
        start = time.perf_counter()
        cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
        cluster.wait_final("plan_cycle", 1)
        cluster.wait_final("cycle_shard", SHARDS)
        seconds = time.perf_counter() - start
    finally:
        cluster.close()
    return seconds, table_counts(cluster.dsn)


def copy_floor(dsn: str, history_rows: int) -> float:
    """COPY every invoice row out and ``history_rows`` history rows in, one transaction."""
    with psycopg.connect(dsn) as connection:
        ids = [row[0] for row in connection.execute(f"SELECT id FROM {SCHEMA}.accounts".encode())]
        connection.rollback()
        start = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {SCHEMA}.invoices TO STDOUT".encode()) as copy:
                for _ in copy:
                    pass
            columns = (
                "account_id, key, ladder, stage, action, channel, invoice_numbers, fired_on, "
                "skipped, payload"
            )
            with cursor.copy(f"COPY {SCHEMA}.actions ({columns}) FROM STDIN".encode()) as copy:
                for n in range(history_rows):
                    copy.write_row(
                        (
                            ids[n % len(ids)],
                            f"floor:{n}",
                            "l",
                            "s",
                            "a",
                            "",
                            "[]",
                            RUN_DAY,
                            False,
                            "",
                        )
                    )
        connection.commit()
        seconds = time.perf_counter() - start
        connection.execute(f"DELETE FROM {SCHEMA}.actions WHERE key LIKE 'floor:%%'".encode())
        connection.commit()
    return seconds


def _messages(count: int, account_ids: list[str]) -> Iterator[OutboxMessage]:
    created = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)
    for n in range(count):
        yield OutboxMessage.new(
            key=f"bench-{n:07d}",
            account_id=account_ids[n % len(account_ids)],
            channel="EMAIL",
            recipient="ap@example.com",
            subject="Reminder",
            body="Please pay invoice F-1 (120.00 EUR).",
            created_at=created,
        )


def dispatch_run(
    server: Any, template: str, accounts: int, dispatchers: int, messages: int
) -> float:
    cluster = Cluster(server, f"dispatch_{dispatchers}", template, accounts)
    try:
        store = PostgresStore(cluster.dsn, schema=SCHEMA)
        with store.unit_of_work() as uow:
            ids = uow.accounts.iter_ids(limit=1_000)
            uow.outbox.add_messages(_messages(messages, ids))
            uow.commit()
        store.close()
        cluster.start_workers(dispatchers)
        start = time.perf_counter()
        for _ in range(dispatchers):
            cluster.defer("dispatch_outbox", timestamp=0)
        cluster.wait_final("dispatch_outbox", dispatchers)
        seconds = time.perf_counter() - start
        sent = cluster.scalar(f"SELECT count(*) FROM {SCHEMA}.outbox WHERE status = 'SENT'")
        if sent != messages:
            raise RuntimeError(f"{dispatchers} dispatchers sent {sent} of {messages} messages")
    finally:
        cluster.close()
    return messages / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts, 5,000 messages")
    args = parser.parse_args()
    accounts = 10_000 if args.quick else 100_000
    messages = 5_000 if args.quick else 20_000

    from dunning_core.testing.postgres import TemporaryPostgres

    settings = {"shared_buffers": "1GB", "max_wal_size": "8GB", "checkpoint_timeout": "30min"}
    with TemporaryPostgres(settings=settings) as server:
        version = server.psql("SHOW server_version").strip()
        print(
            f"{accounts:,} accounts, {accounts * INVOICES_PER_ACCOUNT:,} invoices, {SHARDS} "
            f"shards, as of {RUN_DAY}; PostgreSQL {version}; {os.cpu_count()} CPUs",
            flush=True,
        )
        template = build_template(server, accounts)
        one, counts_one = cycle_run(server, template, accounts, 1)
        print(f"  1 worker: {one:.1f} s", flush=True)
        two, counts_two = cycle_run(server, template, accounts, 2)
        print(f"  2 workers: {two:.1f} s", flush=True)
        floor_copy = server.create_database("floor", template=template)
        history_rows = counts_one["actions"] - table_counts(floor_copy)["actions"]
        floors = [copy_floor(floor_copy, history_rows) for _ in range(3)]
        floor_seconds = statistics.median(floors)
        rate_one = dispatch_run(server, template, accounts, 1, messages)
        print(f"  1 dispatcher: {rate_one:,.0f} messages/s", flush=True)
        rate_four = dispatch_run(server, template, accounts, 4, messages)
        print(f"  4 dispatchers: {rate_four:,.0f} messages/s", flush=True)

    problems = []
    if counts_one != counts_two:
        problems.append(f"the 1- and 2-worker cycles disagree: {counts_one} vs {counts_two}")
    speedup = one / two
    rows = [
        (
            "PG cycle, 2 procrastinate workers",
            f"{two:.1f} s",
            "1 worker",
            f"{one:.1f} s",
            f"{speedup:.2f}x",
            f">= {TARGET_SPEEDUP}x",
            "PASS" if speedup >= TARGET_SPEEDUP else "FAIL",
        ),
        (
            "PG cycle, 1 worker",
            f"{one:.1f} s",
            f"COPY floor: invoices out, {history_rows:,} rows in",
            f"{floor_seconds:.2f} s",
            f"{one / floor_seconds:.1f}x",
            "-",
            "",
        ),
        (
            "PG dispatch, 4 dispatchers",
            f"{rate_four:,.0f} msg/s",
            "1 dispatcher",
            f"{rate_one:,.0f} msg/s",
            f"{rate_four / rate_one:.2f}x",
            "-",
            "",
        ),
    ]
    print(f"cycle rows written: {counts_one}")
    print()
    print_table(rows)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
