"""The cycle on real procrastinate worker processes over a real PostgreSQL server.

One run: 4 worker processes (``procrastinate worker``) run a 64-shard cycle over
20,000 accounts, planned by the ``plan_cycle`` task; the store must then hold exactly
what one ``run_cycle`` on SQLite wrote for the same portfolio (history, outbox, events,
charges, states), and every shard's checkpoint done. Then the faults, each on a fresh
copy of a smaller portfolio, each ending with 0 duplicate and 0 lost messages, the
same ledger, and ``run_cycle`` completing on a rerun: a worker killed with SIGKILL in
the middle of a shard, the server stopped with ``pg_ctl stop -m immediate`` mid-run and
restarted, every job delivered twice, a dispatcher whose lease expired marking its
messages sent. The control run (every job delivered twice, the outbox's unique key
dropped, account locks off so the deliveries race) must produce duplicates: it proves
the checks can fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
import pytest

from dunning_core.adapters.storage.postgres import PostgresStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.outbox import OutboxStatus
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import run_cycle
from dunning_core.sharding import shard_of
from dunning_core.testing.fakes import RecordingNotifier
from dunning_core.testing.postgres import TemporaryPostgres

E2E = Path(__file__).resolve().parent
sys.path.insert(0, str(E2E))
import pg_cycle_app as deployed  # noqa: E402  (the module the workers import)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ACCOUNTS, SHARDS, WORKERS = 20_000, 64, 4
FAULT_ACCOUNTS, FAULT_SHARDS = 2_000, 8
RUN_DAY = deployed.RUN_DAY
SCHEMA = "dunning"
_TIMEOUT = 240.0

Snapshot = dict[str, Any]


def snapshot(uow_factory: UowFactory, accounts: int) -> Snapshot:
    """What a cycle writes, per account, read through the ports."""
    ids = [deployed.account_id_of(k) for k in range(accounts)]
    found: Snapshot = {}
    for start in range(0, len(ids), 2_000):
        chunk = ids[start : start + 2_000]
        with uow_factory() as uow:
            actions = uow.history.actions_of(chunk)
            messages = uow.outbox.messages_of(chunk)
            events = uow.history.events_of(chunk)
            ledgers = uow.ledger.load(chunk)
            suspension = uow.history.suspension_states(chunk)
            credit = uow.history.credit_alert_states(chunk)
        for account_id in chunk:
            ledger = ledgers[account_id]
            found[account_id] = (
                actions[account_id],
                tuple(
                    (m.key, m.channel, m.recipient, m.subject, m.body, m.created_at)
                    for m in messages[account_id]
                ),
                events[account_id],
                ledger.charges,
                ledger.invoices,
                ledger.payments,
                ledger.allocations,
                suspension.get(account_id),
                credit.get(account_id),
            )
    return found


_references: dict[int, Snapshot] = {}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Snapshot]:
    """One ``run_cycle`` on SQLite over the portfolio of N accounts (computed once)."""

    def of(accounts: int) -> Snapshot:
        if accounts not in _references:
            path = tmp_path_factory.mktemp("reference") / f"ref-{accounts}.sqlite3"
            store = SqliteStore(path)
            deployed.load(store.unit_of_work, accounts)
            report = run_cycle(store.unit_of_work, deployed.cycle_config(accounts), RUN_DAY)
            assert report.accounts == accounts and not report.errors
            assert report.messages > accounts // 4  # the portfolio makes the ladders work
            _references[accounts] = snapshot(store.unit_of_work, accounts)
            store.close()
        return _references[accounts]

    return of


class Deployment:
    """One database holding a fresh copy of a portfolio and procrastinate's tables, and
    the worker processes running against it."""

    def __init__(
        self,
        server: TemporaryPostgres,
        name: str,
        accounts: int,
        shards: int,
        logs: Path,
        *,
        locks: bool = True,
    ) -> None:
        self.server = server
        self.accounts = accounts
        self.shards = shards
        self.logs = logs
        self.locks = locks
        self.dsn = server.create_database(name, template=_template(server, accounts))
        self.deliveries = logs / "deliveries.jsonl"
        self.workers: list[subprocess.Popen[bytes]] = []
        self.worker_env: list[dict[str, str]] = []
        self.spawned = self.restarts = 0
        self.store = PostgresStore(self.dsn, schema=SCHEMA, max_connections=2)
        # The test defers jobs by task name, through an app of its own.
        self.app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=self.dsn)
        )
        self.app.open()

    def env(self, **changes: str) -> dict[str, str]:
        path = os.pathsep.join([str(E2E), os.environ.get("PYTHONPATH", "")])
        values = {
            "PYTHONPATH": path,
            "DUNNING_TEST_DSN": self.dsn,
            "DUNNING_TEST_SCHEMA": SCHEMA,
            "DUNNING_TEST_ACCOUNTS": str(self.accounts),
            "DUNNING_TEST_SHARDS": str(self.shards),
            "DUNNING_TEST_ACCOUNT_LOCKS": "1" if self.locks else "0",
            "DUNNING_TEST_DELIVERIES": str(self.deliveries),
            "DUNNING_TEST_BATCH": "40",
        }
        values.update(changes)
        return {**os.environ, **values}

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.spawned += 1
        log = (self.logs / f"worker-{self.spawned}.log").open("wb")
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "procrastinate",
                "--app=pg_cycle_app.app",
                "worker",
                "--concurrency=1",
                f"--name=worker-{self.spawned}",
                "--queues=dunning",
            ],
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=E2E,
        )

    def start_worker(self, **env: str) -> subprocess.Popen[bytes]:
        worker = self._spawn(env)
        self.workers.append(worker)
        self.worker_env.append(env)
        return worker

    def start_workers(self, count: int) -> None:
        for _ in range(count):
            self.start_worker()

    def supervise(self) -> None:
        """Restart the workers that died, as a process supervisor would."""
        for index, worker in enumerate(self.workers):
            if worker.poll() is not None:
                self.restarts += 1
                self.workers[index] = self._spawn(self.worker_env[index])

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
        self.workers, self.worker_env = [], []

    def worker_logs(self) -> str:
        parts = []
        for log in sorted(self.logs.glob("worker-*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def defer(self, task: str, **kwargs: Any) -> int:
        task_name = f"dunning.{task}"
        return int(self.app.configure_task(task_name, queue="dunning").defer(**kwargs))

    def jobs(self, task: str = "cycle_shard") -> Counter[str]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT status, count(*) FROM procrastinate_jobs WHERE task_name = %s "
                "GROUP BY status",
                (f"dunning.{task}",),
            ).fetchall()
        return Counter(dict(rows))

    def wait_for(self, what: str, done: Callable[[], bool], timeout: float = _TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            self.supervise()
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}\n{self.worker_logs()}")
            time.sleep(0.3)

    def wait_jobs_final(self, task: str = "cycle_shard", expected: int | None = None) -> None:
        def final() -> bool:
            jobs = self.jobs(task)
            total = sum(jobs.values())
            waiting = jobs["todo"] + jobs["doing"]
            return waiting == 0 and (expected is None or total >= expected)

        self.wait_for(f"the {task} jobs", final)

    def checkpoints(self) -> dict[str, tuple[str | None, bool]]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            rows = connection.execute(
                f"SELECT shard, last_account_id, done FROM {SCHEMA}.checkpoints "
                "WHERE run_date = %s",
                (RUN_DAY,),
            ).fetchall()
        return {shard: (last, done) for shard, last, done in rows}

    def counts(self) -> dict[str, int]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            return {
                table: int(
                    connection.execute(f"SELECT count(*) FROM {SCHEMA}.{table}").fetchone()[0]  # type: ignore[index]
                )
                for table in ("actions", "outbox", "events", "charges", "allocations")
            }

    def problems(self, reference: Snapshot) -> list[str]:
        """What differs from the SQLite reference: duplicated, lost or changed rows."""
        found: list[str] = []
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            for table in ("outbox", "actions", "events", "charges"):
                duplicated = connection.execute(
                    f"SELECT key, count(*) FROM {SCHEMA}.{table} GROUP BY key HAVING count(*) > 1"
                ).fetchall()
                if duplicated:
                    found.append(f"{len(duplicated)} duplicated keys in {table}")
        mine = snapshot(self.store.unit_of_work, self.accounts)
        lost = extra = changed = 0
        for account_id, expected in reference.items():
            got = mine[account_id]
            if got != expected:
                changed += 1
                lost += len(set(expected[1]) - set(got[1]))
                extra += len(got[1]) - len(set(got[1]) & set(expected[1]))
        if changed:
            found.append(
                f"{changed} accounts differ from the SQLite run ({lost} messages lost, "
                f"{extra} extra)"
            )
        expected_last: dict[int, str] = {}
        for k in range(self.accounts):
            account_id = deployed.account_id_of(k)
            expected_last[shard_of(account_id, self.shards)] = account_id
        checkpoints = self.checkpoints()
        for index in range(self.shards):
            label = f"{index}/{self.shards}"
            # A run of every account records its last id (it resumes after it); a run of
            # the accounts due records none (it resumes from the accounts still due).
            if checkpoints.get(label) not in ((expected_last.get(index), True), (None, True)):
                found.append(f"checkpoint {label}: {checkpoints.get(label)}")
        return found

    def rerun_completes(self) -> None:
        """``run_cycle`` for every shard of the date completes (and writes nothing)."""
        before = self.counts()
        config = deployed.cycle_config(self.accounts)
        for index in range(self.shards):
            report = run_cycle(self.store.unit_of_work, config, RUN_DAY, shard=(index, self.shards))
            assert report.already_done or report.actions_total == 0
        assert self.counts() == before

    def close(self) -> None:
        self.stop_workers()
        self.app.close()
        self.store.close()


_templates: dict[int, str] = {}


def _template(server: TemporaryPostgres, accounts: int) -> str:
    """A database holding the portfolio and procrastinate's schema, to copy from."""
    if accounts not in _templates:
        name = f"portfolio_{accounts}"
        dsn = server.create_database(name)
        store = PostgresStore(dsn, schema=SCHEMA)
        deployed.load(store.unit_of_work, accounts)
        store.close()
        schema = procrastinate.schema.SchemaManager.get_schema()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(schema.encode())
            connection.execute(f"VACUUM ANALYZE {SCHEMA}.accounts".encode())
        _templates[accounts] = name
    return _templates[accounts]


_names = iter(range(1, 10_000))


@pytest.fixture
def deployment(
    postgres_server: TemporaryPostgres, tmp_path: Path
) -> Iterator[Callable[..., Deployment]]:
    made: list[Deployment] = []

    def make(accounts: int, shards: int, **options: Any) -> Deployment:
        made.append(
            Deployment(
                postgres_server, f"scenario_{next(_names)}", accounts, shards, tmp_path, **options
            )
        )
        return made[-1]

    yield make
    for each in made:
        each.close()


def _plan_and_run(cluster: Deployment, workers: int = WORKERS) -> None:
    cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
    cluster.start_workers(workers)
    cluster.wait_jobs_final("plan_cycle", expected=1)
    cluster.wait_jobs_final(expected=cluster.shards)


def test_four_workers_run_64_shards_exactly_like_one_sqlite_run(
    deployment: Callable[..., Deployment], reference: Callable[[int], Snapshot]
) -> None:
    cluster = deployment(ACCOUNTS, SHARDS)
    _plan_and_run(cluster)
    assert cluster.jobs() == Counter({"succeeded": SHARDS})
    assert cluster.problems(reference(ACCOUNTS)) == []
    rows = cluster.counts()

    # A second plan for the same day defers nothing and adds no row.
    cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
    cluster.wait_jobs_final("plan_cycle", expected=2)
    assert cluster.jobs("plan_cycle") == Counter({"succeeded": 2})
    assert cluster.jobs() == Counter({"succeeded": SHARDS})
    assert cluster.counts() == rows

    # A worker configured with another number of shards refuses the date, and a job of
    # another split is refused too.
    cluster.stop_workers()
    cluster.start_worker(DUNNING_TEST_SHARDS="32")
    cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
    cluster.defer("cycle_shard", run_date=RUN_DAY.isoformat(), shard=0, shards=32)
    cluster.wait_jobs_final("plan_cycle", expected=3)
    cluster.wait_jobs_final(expected=SHARDS + 1)
    assert cluster.jobs("plan_cycle")["failed"] == 1
    assert cluster.jobs()["failed"] == 1
    assert "ShardPlanMismatch" in cluster.worker_logs()
    assert cluster.counts() == rows
    cluster.rerun_completes()


def test_a_worker_killed_mid_shard_loses_and_duplicates_nothing(
    deployment: Callable[..., Deployment], reference: Callable[[int], Snapshot]
) -> None:
    cluster = deployment(FAULT_ACCOUNTS, FAULT_SHARDS)
    cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
    cluster.start_workers(WORKERS)

    def busy_mid_shard() -> bool:
        started = [done for _, done in cluster.checkpoints().values()]
        return cluster.jobs()["doing"] == WORKERS and started.count(False) >= 1

    cluster.wait_for("every worker in a shard", busy_mid_shard)
    victim = cluster.workers[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    # The killed worker's job stays "doing" until its heartbeat is stale; the periodic
    # retry_stalled_jobs hands it back, and a live worker resumes the shard.
    cluster.wait_jobs_final(expected=FAULT_SHARDS)
    assert cluster.jobs()["succeeded"] == FAULT_SHARDS
    with psycopg.connect(cluster.dsn, autocommit=True) as connection:
        retried = connection.execute(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'dunning.cycle_shard' AND attempts > 0"
        ).fetchone()
    assert retried is not None and retried[0] >= 1  # the stalled job was run again
    assert cluster.problems(reference(FAULT_ACCOUNTS)) == []
    cluster.rerun_completes()


def test_postgres_stopped_immediately_mid_run_and_restarted(
    deployment: Callable[..., Deployment],
    reference: Callable[[int], Snapshot],
    postgres_server: TemporaryPostgres,
) -> None:
    cluster = deployment(FAULT_ACCOUNTS, FAULT_SHARDS)
    cluster.defer("plan_cycle", timestamp=0, run_date=RUN_DAY.isoformat())
    cluster.start_workers(WORKERS)

    def some_done_some_not() -> bool:
        done = [d for _, d in cluster.checkpoints().values()]
        return done.count(True) >= 2 and cluster.jobs()["doing"] >= 1

    cluster.wait_for("the run to be under way", some_done_some_not)
    cluster.store.close()
    postgres_server.stop("immediate")
    time.sleep(1.0)
    postgres_server.restart()
    # Workers that die with their connections are restarted (Deployment.supervise).
    cluster.wait_jobs_final(expected=FAULT_SHARDS)
    unfinished = [label for label, (_, done) in cluster.checkpoints().items() if not done]
    assert cluster.jobs()["succeeded"] == FAULT_SHARDS, (cluster.jobs(), unfinished)
    assert cluster.problems(reference(FAULT_ACCOUNTS)) == []
    cluster.rerun_completes()


def _deliver_every_job_twice(cluster: Deployment) -> None:
    """Each shard's job twice, back to back, so two workers run the pair at once."""
    assert cluster.store.record_plan(RUN_DAY, cluster.shards) == cluster.shards
    for index in range(cluster.shards):
        for _ in range(2):
            cluster.defer(
                "cycle_shard", run_date=RUN_DAY.isoformat(), shard=index, shards=cluster.shards
            )
    cluster.start_workers(WORKERS)
    cluster.wait_jobs_final(expected=2 * cluster.shards)
    assert cluster.jobs()["succeeded"] == 2 * cluster.shards


@pytest.mark.parametrize("locks", [True, False], ids=["account-locks", "keys-alone"])
def test_every_job_delivered_twice_writes_each_effect_once(
    deployment: Callable[..., Deployment], reference: Callable[[int], Snapshot], locks: bool
) -> None:
    cluster = deployment(FAULT_ACCOUNTS, FAULT_SHARDS, locks=locks)
    _deliver_every_job_twice(cluster)
    assert cluster.problems(reference(FAULT_ACCOUNTS)) == []
    cluster.rerun_completes()


def test_control_without_the_outbox_unique_key_the_same_fault_duplicates(
    deployment: Callable[..., Deployment], reference: Callable[[int], Snapshot]
) -> None:
    """The control: the same fault with the outbox's unique key dropped (and account
    locks off, as in ``keys-alone``) must produce duplicates, so the checks above bite."""
    cluster = deployment(FAULT_ACCOUNTS, FAULT_SHARDS, locks=False)
    with psycopg.connect(cluster.dsn, autocommit=True) as connection:
        connection.execute(f"ALTER TABLE {SCHEMA}.outbox DROP CONSTRAINT outbox_pkey")
    _deliver_every_job_twice(cluster)
    problems = cluster.problems(reference(FAULT_ACCOUNTS))
    assert any("duplicated keys in outbox" in problem for problem in problems), problems


def test_dispatchers_never_send_twice_and_a_stale_lease_cannot_mark_sent(
    deployment: Callable[..., Deployment], reference: Callable[[int], Snapshot]
) -> None:
    cluster = deployment(FAULT_ACCOUNTS, FAULT_SHARDS)
    _plan_and_run(cluster)
    assert cluster.problems(reference(FAULT_ACCOUNTS)) == []
    with cluster.store.unit_of_work() as uow:
        total = sum(uow.outbox.counts().values())
        # A dispatcher claims ten messages, then stalls past its lease.
        long_ago = datetime.now(UTC) - timedelta(minutes=10)
        stale = uow.outbox.claim_due(long_ago, 10, timedelta(seconds=1))
        uow.commit()
    assert len(stale) == 10

    for _ in range(WORKERS):
        cluster.defer("dispatch_outbox", timestamp=0)
    cluster.wait_jobs_final("dispatch_outbox", expected=WORKERS)
    with cluster.store.unit_of_work() as uow:
        counts = uow.outbox.counts()
    if counts[OutboxStatus.SENT] < total:  # a dispatcher finished before the others claimed
        cluster.defer("dispatch_outbox", timestamp=0)
        cluster.wait_jobs_final("dispatch_outbox", expected=WORKERS + 1)

    # The stalled dispatcher wakes up: its lease was taken over, it cannot mark sent.
    with cluster.store.unit_of_work() as uow:
        for message in stale:
            assert message.lease_token is not None
            assert not uow.outbox.mark_sent(
                message.key, message.lease_token, "stale", datetime.now(UTC)
            )
        uow.commit()
        counts = uow.outbox.counts()
        resent = [uow.outbox.get(m.key) for m in stale]
    assert counts == {
        OutboxStatus.PENDING: 0,
        OutboxStatus.SENDING: 0,
        OutboxStatus.SENT: total,
        OutboxStatus.DEAD: 0,
    }
    assert all(m is not None and m.provider_message_id != "stale" for m in resent)
    sent = Counter(d.key for d in RecordingNotifier(cluster.deliveries).deliveries)
    assert len(sent) == total  # none lost
    assert [key for key, times in sent.items() if times > 1] == []  # none twice
