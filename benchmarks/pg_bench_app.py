"""The procrastinate app the workers of ``bench_postgres`` run (``--app=pg_bench_app.app``).

The connection string and the portfolio's size come from environment variables that
``bench_postgres`` sets for its worker processes (the library itself reads none).
"""

from __future__ import annotations

import os

import procrastinate
from bench_cycle import cycle_config

from dunning_core.adapters.procrastinate import CycleRuntime, register_tasks
from dunning_core.adapters.storage.postgres import PostgresStore
from dunning_core.domain.outbox import Delivery, OutboxMessage

SCHEMA = "dunning"
SHARDS = 32


class NullNotifier:
    """Accepts every message at once (the provider's id is the message key)."""

    def send(self, message: OutboxMessage) -> Delivery:
        return Delivery(provider_message_id=message.key)


def _runtime() -> CycleRuntime:
    store = PostgresStore(os.environ["BENCH_PG_DSN"], schema=SCHEMA, max_connections=2)
    return CycleRuntime(
        store=store,
        config=cycle_config(int(os.environ["BENCH_PG_ACCOUNTS"])),
        notifier=NullNotifier(),
    )


app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ.get("BENCH_PG_DSN", "")),
    worker_defaults={"fetch_job_polling_interval": 0.2},
)
tasks = register_tasks(app, _runtime, shards=SHARDS, plan_cron=None, recover_cron=None)


def deferring_app(dsn: str) -> procrastinate.App:
    """An app that only defers jobs by task name, for the measuring process."""
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=dsn))
