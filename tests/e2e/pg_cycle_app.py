"""The team's side of a procrastinate deployment, as the real-process tests run it.

Worker processes import this module (``procrastinate --app=pg_cycle_app.app worker``)
with the connection string and options in environment variables the *test* sets (the
library itself reads none). It also generates the test portfolio, so the test process
and the workers agree on the configuration.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import attrs
import procrastinate

from dunning_core import Account, Contact, Invoice, Money, Segment
from dunning_core.adapters.procrastinate import CycleRuntime, register_tasks
from dunning_core.adapters.storage.postgres import PostgresStore, PostgresUnitOfWork
from dunning_core.domain.account import PostalAddress
from dunning_core.domain.payment import Allocation, Payment
from dunning_core.policies.ladder import LadderAssignment, presets
from dunning_core.ports import UowFactory
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.fakes import RecordingNotifier

RUN_DAY = date(2026, 6, 30)
_CURRENCIES = ("EUR",) * 7 + ("USD", "JPY", "BHD")


def account_id_of(k: int) -> str:
    return f"C-{k:06d}"


def ladder_of(k: int) -> str | None:
    return {
        0: presets.DUE_DATE_REMINDERS.name,
        1: presets.REMINDERS_THEN_COLLECTION_THEN_LEGAL.name,
        2: presets.FORMAL_NOTICE_FR.name,
    }.get(k % 10)


def cycle_config(accounts: int) -> CycleConfig:
    """Five notices then termination by default; three in ten accounts on other ladders."""
    assignments = {}
    for k in range(accounts):
        ladder = ladder_of(k)
        if ladder is not None:
            assignments[account_id_of(k)] = LadderAssignment(
                account_id=account_id_of(k), ladder=ladder
            )
    return CycleConfig(
        default_ladder=presets.FIVE_NOTICES_THEN_TERMINATION.name, assignments=assignments
    )


@attrs.frozen
class Generated:
    account: Account
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]
    allocations: tuple[Allocation, ...]


def generate(k: int) -> Generated:
    """Account ``k`` (a function of ``k`` alone): three invoices, the first due between
    90 days ago and 30 days ahead, a partial payment on one account in five, a credit
    limit on one in four, large customers one in five."""
    rng = random.Random(20260630 * 1_000_003 + k)
    account_id = account_id_of(k)
    currency = rng.choice(_CURRENCIES)
    invoices = []
    first_due = RUN_DAY - timedelta(days=rng.randint(-30, 90))
    for n in range(3):
        due = min(first_due + timedelta(days=n * rng.randint(3, 15)), RUN_DAY + timedelta(30))
        invoices.append(
            Invoice(
                number=f"{account_id}-{n}",
                account_id=account_id,
                issued_on=due - timedelta(days=30),
                due_on=due,
                amount=Money.from_minor(rng.randrange(10_000, 900_000), currency),
            )
        )
    total = sum(i.amount.minor_units for i in invoices)
    account = Account(
        id=account_id,
        name=f"Customer {k}",
        currency=currency,
        segment=Segment.LARGE if rng.random() < 0.2 else Segment.SMALL,
        locale="fr_FR" if rng.random() < 0.4 else "en_US",
        timezone="Europe/Paris",
        contacts=(
            Contact(
                name="Accounts payable",
                email=f"ap@{account_id.lower()}.example",
                mobile=f"+3361{k:07d}" if rng.random() < 0.5 else None,
                postal_address=PostalAddress(
                    recipient=f"Customer {k}",
                    lines=(f"{1 + k % 90} rue du Commerce",),
                    postal_code=f"{75001 + k % 20}",
                    city="Paris",
                    country="FR",
                ),
            ),
        ),
        credit_limit=(
            Money.from_minor(int(total / rng.uniform(0.6, 1.3)), currency)
            if rng.random() < 0.25
            else None
        ),
    )
    payments: tuple[Payment, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    if rng.random() < 0.2:
        part = Money.from_minor(invoices[0].amount.minor_units // 2, currency)
        payment = Payment(
            id=f"P-{account_id}",
            account_id=account_id,
            amount=part,
            received_on=RUN_DAY - timedelta(days=5),
        )
        payments = (payment,)
        allocations = (
            Allocation(
                invoice_number=invoices[0].number, amount=part, kind="CASH", source_id=payment.id
            ),
        )
    return Generated(account, tuple(invoices), payments, allocations)


def chunks(accounts: int, size: int = 2_000) -> Iterator[list[Generated]]:
    for start in range(0, accounts, size):
        yield [generate(k) for k in range(start, min(start + size, accounts))]


def load(uow_factory: UowFactory, accounts: int) -> None:
    """Write the portfolio of ``accounts`` accounts into a store."""
    for batch in chunks(accounts):
        with uow_factory() as uow:
            uow.accounts.add_many(g.account for g in batch)
            uow.ledger.add_invoices(i for g in batch for i in g.invoices)
            for generated in batch:
                for payment in generated.payments:
                    uow.ledger.add_payment(payment)
            uow.ledger.add_allocations(a for g in batch for a in g.allocations)
            uow.commit()


# -- what the workers run ---------------------------------------------------------------


class _UnlockedUnitOfWork(PostgresUnitOfWork):
    """A unit of work that takes no account locks: lets two deliveries of one shard race,
    so the fault tests can show what the unique keys alone hold."""

    def locking(self, select: str) -> str:
        return select

    def lock_accounts(self, account_ids: Sequence[str]) -> None:
        return None

    def lock_key(self, kind: str, key: str) -> None:
        return None


class UnlockedPostgresStore(PostgresStore):
    """A PostgresStore whose units of work take no account locks (tests only)."""

    def unit_of_work(self, *, read_only: bool = False) -> PostgresUnitOfWork:
        return _UnlockedUnitOfWork(self, read_only=read_only)


def _settings() -> dict[str, Any]:
    return {
        "dsn": os.environ.get("DUNNING_TEST_DSN", ""),
        "schema": os.environ.get("DUNNING_TEST_SCHEMA", "dunning"),
        "accounts": int(os.environ.get("DUNNING_TEST_ACCOUNTS", "0")),
        "shards": int(os.environ.get("DUNNING_TEST_SHARDS", "64")),
        "locks": os.environ.get("DUNNING_TEST_ACCOUNT_LOCKS", "1") == "1",
        "deliveries": os.environ.get("DUNNING_TEST_DELIVERIES", ""),
        "batch": int(os.environ.get("DUNNING_TEST_BATCH", "100")),
    }


def build_runtime() -> CycleRuntime:
    """What each worker process builds once: the store, the configuration, the notifier."""
    settings = _settings()
    kind = PostgresStore if settings["locks"] else UnlockedPostgresStore
    store = kind(settings["dsn"], schema=settings["schema"], max_connections=2, timeout=10)
    notifier = RecordingNotifier(settings["deliveries"]) if settings["deliveries"] else None
    return CycleRuntime(
        store=store,
        config=cycle_config(settings["accounts"]),
        notifier=notifier,
        batch_size=settings["batch"],
        dispatch_batch=20,
    )


app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=_settings()["dsn"]),
    worker_defaults={
        "update_heartbeat_interval": 0.5,
        "stalled_worker_timeout": 3,
        "fetch_job_polling_interval": 0.5,
        "install_signal_handlers": True,
    },
)
tasks = register_tasks(
    app,
    build_runtime,
    shards=_settings()["shards"],
    plan_cron=None,
    recover_cron="* * * * * */2",  # every two seconds (a sixth column: seconds)
    stalled_after=3,
    backoff=1,
    max_attempts=20,
)
