"""The dunning cycle on many workers, through procrastinate (extra ``procrastinate``).

procrastinate is the distributed engine: a PostgreSQL job queue with periodic tasks,
queueing locks, retries and worker heartbeats. This module only registers the cycle's
tasks on the team's own :class:`procrastinate.App`::

    import procrastinate
    from dunning_core.adapters.procrastinate import CycleRuntime, register_tasks

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DSN))
    tasks = register_tasks(app, build_runtime, shards=64)   # build_runtime: your code

The tasks, named ``<prefix>.<task>``:

``plan_cycle`` (periodic, ``plan_cron``)
    Records the run date's number of shards in the store (the first plan of a date
    wins) and defers one ``cycle_shard`` job per shard not yet done, each under a
    queueing lock: a second plan of the same date defers nothing that is still
    waiting, and nothing at all once the shards are done.
``cycle_shard(run_date, shard, shards)``
    Refuses a split that is not the recorded plan's
    (:class:`~dunning_core.errors.ShardPlanMismatch`), then runs
    :func:`~dunning_core.service.cycle.run_cycle` on that shard. Store failures are
    retried with exponential backoff; a retried, resumed or duplicated job is
    harmless, because the shard's checkpoint moves in the transaction of each batch and
    every effect has a unique key.
``dispatch_outbox`` (periodic if ``dispatch_cron`` is given)
    Runs :func:`~dunning_core.service.dispatch.dispatch`. Several may run at once:
    claims skip each other's locked rows and completions are fenced by lease tokens.
``retry_stalled_jobs`` (periodic, ``recover_cron``)
    Hands the cycle jobs of workers that stopped sending heartbeats (killed, machine
    lost) back to the queue.

Each worker process builds its :class:`CycleRuntime` (store, configuration, notifier,
clock) once, by calling the ``runtime`` function the team passes; the library reads no
environment variable and opens no connection at import.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import attrs
import procrastinate

from dunning_core.adapters.clock import SystemClock
from dunning_core.errors import InvalidField, ShardPlanMismatch, StoreError
from dunning_core.ports import Clock, Notifier, UnitOfWork
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.settings import CycleConfig
from dunning_core.sharding import check_shard, shard_label

__all__ = ["CycleRuntime", "CycleTasks", "ShardPlans", "register_tasks", "run_date_of"]

logger = logging.getLogger("dunning_core")


class ShardPlans(Protocol):
    """A store that records how many shards each run date is split in.

    :class:`~dunning_core.adapters.storage.postgres.PostgresStore` is one.
    """

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work."""

    def record_plan(self, run_date: date, shards: int) -> int:
        """Record the plan unless one is on file; return the shards on file."""

    def planned_shards(self, run_date: date) -> int | None:
        """The shards on file for ``run_date``, or ``None``."""


@attrs.frozen(kw_only=True)
class CycleRuntime:
    """What the tasks use in a worker process; built by the team's code.

    Attributes:
        store: The shared store (a ``PostgresStore``).
        config: The cycle's configuration.
        notifier: Sends outbox messages (``dispatch_outbox`` refuses to run without).
        clock: The time for dispatching.
        batch_size: Accounts per transaction in ``cycle_shard``.
        dispatch_batch: Messages claimed per transaction in ``dispatch_outbox``.
        lease_for: How long a dispatcher's claim stays exclusive.
    """

    store: ShardPlans
    config: CycleConfig
    notifier: Notifier | None = None
    clock: Clock = attrs.field(factory=SystemClock)
    batch_size: int = 500
    dispatch_batch: int = 100
    lease_for: timedelta = timedelta(minutes=5)


@attrs.frozen
class CycleTasks:
    """The tasks :func:`register_tasks` declared, to defer or call directly.

    Attributes:
        plan_cycle: ``plan_cycle(timestamp, run_date=None)``: plans the run date of the
            instant ``timestamp`` (seconds since the epoch, what a periodic tick
            passes), or ``run_date`` (ISO) when given.
        cycle_shard: ``cycle_shard(run_date, shard, shards)``.
        dispatch_outbox: ``dispatch_outbox(timestamp)`` (the instant is only logged;
            the runtime's clock dates the sends).
        retry_stalled_jobs: ``retry_stalled_jobs(timestamp)``.
        shards: The number of shards plans are made with.
        runtime: This process's runtime (built on first call).
    """

    plan_cycle: Any
    cycle_shard: Any
    dispatch_outbox: Any
    retry_stalled_jobs: Any
    shards: int
    runtime: Callable[[], CycleRuntime]


def run_date_of(timestamp: int, timezone: Any = UTC) -> date:
    """The run date of a periodic tick: the schedule's instant, in ``timezone``."""
    return datetime.fromtimestamp(timestamp, tz=timezone).date()


def _once_per_process(build: Callable[[], CycleRuntime]) -> Callable[[], CycleRuntime]:
    state: dict[str, Any] = {}
    guard = threading.Lock()

    def runtime() -> CycleRuntime:
        with guard:
            if state.get("pid") != os.getpid():
                state["runtime"] = build()
                state["pid"] = os.getpid()
            built: CycleRuntime = state["runtime"]
            return built

    return runtime


def _lock_name(prefix: str, run_date: date, shard: int, shards: int) -> str:
    return f"{prefix}.cycle:{run_date.isoformat()}:{shard}/{shards}"


def register_tasks(
    app: procrastinate.App,
    runtime: Callable[[], CycleRuntime],
    *,
    shards: int = 64,
    prefix: str = "dunning",
    queue: str = "dunning",
    plan_cron: str | None = "0 5 * * *",
    run_timezone: Any = UTC,
    dispatch_cron: str | None = None,
    recover_cron: str | None = "*/5 * * * *",
    stalled_after: float = 60.0,
    max_attempts: int = 8,
    backoff: int = 2,
) -> CycleTasks:
    """Declare the cycle's tasks on ``app``.

    Args:
        app: The team's procrastinate app.
        runtime: Builds this process's :class:`CycleRuntime` (called once per worker
            process, on the first job).
        shards: How many shards a plan splits a run date in (in the tens or hundreds;
            keep it fixed: a worker refuses a date planned with another number).
        prefix: Task names start with it (``"dunning.cycle_shard"``).
        queue: The queue the tasks' jobs go to.
        plan_cron: When ``plan_cycle`` runs (``None``: not periodic).
        run_timezone: The timezone in which a tick's instant becomes the run date.
        dispatch_cron: When ``dispatch_outbox`` runs (``None``: not periodic).
        recover_cron: When ``retry_stalled_jobs`` runs (``None``: not periodic).
        stalled_after: Seconds without a worker heartbeat after which its cycle jobs
            are handed back to the queue.
        max_attempts: Attempts of a ``cycle_shard`` job that fails on the store.
        backoff: Base of the exponential wait between attempts, in seconds
            (``backoff ** (attempt + 1)``).

    Returns:
        The declared tasks.

    Raises:
        InvalidField: ``shards`` is not a positive int.
    """
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise InvalidField("shards", shards, "must be a positive int")
    get_runtime = _once_per_process(runtime)
    retry = procrastinate.RetryStrategy(
        max_attempts=max_attempts,
        exponential_wait=backoff,
        retry_exceptions=[StoreError, ConnectionError],
    )

    @app.task(name=f"{prefix}.cycle_shard", queue=queue, retry=retry)
    def cycle_shard(run_date: str, shard: int, shards: int) -> dict[str, Any]:
        day = date.fromisoformat(run_date)
        split = check_shard((shard, shards))
        assert split is not None
        current = get_runtime()
        planned = current.store.planned_shards(day)
        if planned != shards:
            raise ShardPlanMismatch(day, planned, shards)
        report = run_cycle(
            current.store.unit_of_work,
            current.config,
            day,
            shard=split,
            batch_size=current.batch_size,
        )
        for error in report.errors:
            logger.warning(
                "cycle %s shard %s: account %s skipped: %s",
                day,
                report.shard,
                error.account_id,
                error.message,
            )
        return {
            "shard": report.shard,
            "accounts": report.accounts,
            "actions": report.actions_total,
            "messages": report.messages,
            "errors": len(report.errors),
            "already_done": report.already_done,
        }

    def plan(timestamp: int, run_date: str | None = None) -> dict[str, Any]:
        day = (
            run_date_of(timestamp, run_timezone)
            if run_date is None
            else date.fromisoformat(run_date)
        )
        current = get_runtime()
        recorded = current.store.record_plan(day, shards)
        if recorded != shards:
            raise ShardPlanMismatch(day, recorded, shards)
        with current.store.unit_of_work() as uow:
            done = {
                index
                for index in range(shards)
                if (checkpoint := uow.checkpoints.get(day, shard_label((index, shards))))
                is not None
                and checkpoint.done
            }
        deferred = 0
        for index in range(shards):
            if index in done:
                continue
            try:
                cycle_shard.configure(
                    queueing_lock=_lock_name(prefix, day, index, shards),
                    lock=_lock_name(prefix, day, index, shards),
                ).defer(run_date=day.isoformat(), shard=index, shards=shards)
            except procrastinate.exceptions.AlreadyEnqueued:
                continue
            deferred += 1
        logger.info("cycle %s planned in %d shards: %d jobs deferred", day, shards, deferred)
        return {"run_date": day.isoformat(), "shards": shards, "deferred": deferred}

    plan_task = app.task(name=f"{prefix}.plan_cycle", queue=queue)(plan)
    if plan_cron is not None:
        app.periodic(cron=plan_cron, periodic_id=f"{prefix}.plan")(plan_task)

    def send(timestamp: int) -> dict[str, Any]:
        current = get_runtime()
        if current.notifier is None:
            raise InvalidField("notifier", None, "dispatch_outbox needs a notifier")
        report = dispatch(
            current.store.unit_of_work,
            current.notifier,
            current.clock,
            lease_for=current.lease_for,
            batch_size=current.dispatch_batch,
        )
        return {
            "claimed": report.claimed,
            "sent": report.sent,
            "retried": report.retried,
            "dead": report.dead,
            "fenced": report.fenced,
        }

    dispatch_task = app.task(name=f"{prefix}.dispatch_outbox", queue=queue)(send)
    if dispatch_cron is not None:
        app.periodic(cron=dispatch_cron, periodic_id=f"{prefix}.dispatch")(dispatch_task)

    async def recover(timestamp: int) -> int:
        stalled = await app.job_manager.get_stalled_jobs(
            task_name=f"{prefix}.cycle_shard", seconds_since_heartbeat=stalled_after
        )
        count = 0
        for job in stalled:
            await app.job_manager.retry_job(job)
            count += 1
        if count:
            logger.warning("%d cycle jobs of stalled workers handed back to the queue", count)
        return count

    recover_task = app.task(name=f"{prefix}.retry_stalled_jobs", queue=queue)(recover)
    if recover_cron is not None:
        app.periodic(cron=recover_cron, periodic_id=f"{prefix}.recover")(recover_task)

    return CycleTasks(
        plan_cycle=plan_task,
        cycle_shard=cycle_shard,
        dispatch_outbox=dispatch_task,
        retry_stalled_jobs=recover_task,
        shards=shards,
        runtime=get_runtime,
    )
