"""A normal day of a steady portfolio: what the incremental cycle costs (issue 13).

Run: ``make bench``, or ``.venv/bin/python benchmarks/bench_incremental.py [--quick]``
(``--quick``: 10,000 accounts instead of 100,000).

The portfolio: accounts billed monthly for a year (12 invoices each, due 14 days after
issue, billing days spread over the month; one account in five on the due-date
reminders, one in five on the French formal notices, the others on five notices), of
which about 85 % are paid up, 12 % owe their last invoice and 3 % owe the last two to
four; paid invoices are settled by a payment each, received around the due date and
allocated. The SQLite file is built once
into ``.bench-cache/`` (named by a fingerprint of the schema version, the parameters and
this generator's code), and the cycle of the day before the measured day is run on it
then, so the history is what a daily run leaves behind: the measured days start from a
steady state.

Figures, on fresh copies of that file, each against a baseline of the same run:

1. **next day after 2 % changed**: the day's first run evaluates every account
   (``run_cycle(..., full=True)``, what every run did before issue 13); then payments are
   recorded for 1 % of the accounts (what they owe, or a payment ahead) and facts for
   another 1 % (promises, disputes, holds), and the next day's ordinary run is measured
   against that full run. Target: <= 0.1x.
2. **the day's ordinary run** (nothing written since the day before) on another copy,
   against the same full run: what a day costs when only the calendar moved.
3. Both ordinary runs must write what full runs write: the next day is repeated on a
   copy where every run is full, the day's ordinary run is compared with the full one,
   table by table (the script exits 1 when they differ).

The script exits 0 when a target is missed (the table says FAIL), and 1 when something
goes wrong.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import platform
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.domain.account import Account, Contact, Segment
from dunning_core.domain.facts import Dispute, Hold, PromiseToPay
from dunning_core.domain.invoice import Invoice
from dunning_core.domain.payment import Allocation, AllocationKind, Payment
from dunning_core.money import Money
from dunning_core.policies.ladder import LadderAssignment
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import CycleReport, run_cycle
from dunning_core.service.payments import record_payment
from dunning_core.service.settings import CycleConfig

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
SEED = 20261130
DAY = date(2026, 11, 30)  # the measured day; the file holds the run of the day before
MONTHS = 12
TERM_DAYS = 14
TARGET_NEXT_DAY = 0.10
CHANGED_SHARE = 0.02
TABLES = ("actions", "outbox", "events", "suspension_states", "credit_alert_states", "charges")


def account_id_of(k: int) -> str:
    return f"S-{k:07d}"


def ladder_of(k: int) -> str | None:
    """One account in five on the due-date reminders, one in five on the French formal
    notices (business days, stages in turn), the others on five notices."""
    return {0: "due-date-reminders", 1: "formal-notice-fr"}.get(k % 5)


def cycle_config(accounts: int) -> CycleConfig:
    assignments = {}
    for k in range(accounts):
        ladder = ladder_of(k)
        if ladder is not None:
            account_id = account_id_of(k)
            assignments[account_id] = LadderAssignment(account_id=account_id, ladder=ladder)
    return CycleConfig(default_ladder="five-notices-then-termination", assignments=assignments)


def _month_back(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, 28))


def generate(k: int) -> tuple[Account, list[Invoice], list[Payment], list[Allocation]]:
    """Account ``k``: a year of monthly invoices and the payments that settled them."""
    rng = random.Random(SEED * 1_000_003 + k)
    account_id = account_id_of(k)
    billing_day = 1 + k % 28  # spread over the month
    roll = rng.random()
    owing = 0 if roll < 0.85 else 1 if roll < 0.97 else rng.randint(2, 4)
    account = Account(
        id=account_id,
        name=f"Subscriber {k}",
        currency="EUR",
        segment=Segment.LARGE if rng.random() < 0.2 else Segment.SMALL,
        locale="fr_FR" if rng.random() < 0.4 else "en_US",
        timezone="Europe/Paris",
        contacts=(Contact(name="Billing", email=f"{account_id.lower()}@example.com"),),
        credit_limit=Money(1_000, "EUR") if rng.random() < 0.3 else None,
    )
    # The latest invoice is issued in the month before DAY, on the billing day.
    latest = date(DAY.year, DAY.month, billing_day)
    if latest > DAY - timedelta(days=1):
        latest = _month_back(latest, 1).replace(day=billing_day)
    invoices, payments, allocations = [], [], []
    for n in range(MONTHS):
        issued = _month_back(latest, MONTHS - 1 - n).replace(day=billing_day)
        invoice = Invoice(
            number=f"{account_id}-{n:02d}",
            account_id=account_id,
            issued_on=issued,
            due_on=issued + timedelta(days=TERM_DAYS),
            amount=Money.from_minor(rng.randrange(2_000, 20_000), "EUR"),
        )
        invoices.append(invoice)
        if n >= MONTHS - owing:
            continue
        received = invoice.due_on + timedelta(days=rng.randint(-10, 5))
        payment = Payment(
            id=f"{invoice.number}-P",
            account_id=account_id,
            amount=invoice.amount,
            received_on=min(received, DAY - timedelta(days=2)),
        )
        payments.append(payment)
        allocations.append(
            Allocation(
                invoice_number=invoice.number,
                amount=invoice.amount,
                kind=AllocationKind.CASH,
                source_id=payment.id,
            )
        )
    return account, invoices, payments, allocations


def write(uow_factory: UowFactory, first: int, stop: int) -> None:
    generated = [generate(k) for k in range(first, stop)]
    with uow_factory() as uow:
        uow.accounts.add_many(g[0] for g in generated)
        uow.ledger.add_invoices(i for g in generated for i in g[1])
        for g in generated:
            for payment in g[2]:
                uow.ledger.add_payment(payment)
        uow.ledger.add_allocations(a for g in generated for a in g[3])
        uow.commit()


def fingerprint(accounts: int) -> str:
    parts = [
        str(SCHEMA_VERSION),
        str(SEED),
        str(accounts),
        DAY.isoformat(),
        *(
            inspect.getsource(f)
            for f in (generate, write, cycle_config, ladder_of, account_id_of, _month_back)
        ),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=6).hexdigest()


def built_file(accounts: int) -> Path:
    """The portfolio with the cycle of the day before DAY run on it (cached)."""
    path = CACHE / f"steady-{accounts}-{fingerprint(accounts)}.sqlite3"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    start = time.perf_counter()
    store = SqliteStore(partial)
    for first in range(0, accounts, 2_000):
        write(store.unit_of_work, first, min(first + 2_000, accounts))
        if (first + 2_000) % 20_000 == 0:
            print(f"  building {path.name}: {first + 2_000:,} accounts", flush=True)
    report = run_cycle(store.unit_of_work, cycle_config(accounts), DAY - timedelta(days=1))
    print(f"  the day before: {summary(report)}", flush=True)
    connection = store.connection()
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    print(f"  built {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def fresh_copy(built: Path, name: str) -> Path:
    copy = CACHE / f"run-steady-{name}.sqlite3"
    discard(copy)
    shutil.copyfile(built, copy)
    return copy


def discard(copy: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)


def summary(report: CycleReport) -> str:
    actions = ", ".join(f"{kind} {count:,}" for kind, count in report.actions.items())
    return (
        f"{report.accounts:,} accounts evaluated ({'full' if report.full else 'due only'}); "
        f"actions: {actions or 'none'}; messages {report.messages:,}; suspended "
        f"{len(report.suspended):,}; reactivated {len(report.reactivated):,}"
    )


def changes(accounts: int) -> Iterator[tuple[str, int]]:
    """The accounts written to between the two days: ("pay" | "fact", k), 1 % each."""
    rng = random.Random(SEED + 1)
    chosen = rng.sample(range(accounts), int(accounts * CHANGED_SHARE))
    half = len(chosen) // 2
    for k in chosen[:half]:
        yield "pay", k
    for k in chosen[half:]:
        yield "fact", k


def record_changes(store: SqliteStore, accounts: int, config: CycleConfig) -> int:
    """Payments and facts on 2 % of the accounts, dated DAY, as the services record them."""
    at = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    count = 0
    for kind, k in changes(accounts):
        account_id = account_id_of(k)
        _, invoices, payments, _ = generate(k)
        open_ = invoices[len(payments) :] or invoices[-1:]
        if kind == "pay":
            amount = Money.sum((i.amount for i in open_), "EUR")
            payment = Payment(
                id=f"{account_id}-PAY-{DAY.isoformat()}",
                account_id=account_id,
                amount=amount,
                received_on=DAY,
            )
            record_payment(store.unit_of_work(), payment, config=config, as_of=at)
        else:
            with store.unit_of_work() as uow:
                shape = k % 3
                if shape == 0:
                    uow.facts.add_promise(
                        PromiseToPay(
                            id=f"{account_id}-PR",
                            account_id=account_id,
                            made_on=DAY,
                            due_on=DAY + timedelta(days=10),
                            amount=open_[0].amount,
                        )
                    )
                elif shape == 1:
                    uow.facts.add_dispute(
                        Dispute(
                            id=f"{account_id}-D",
                            account_id=account_id,
                            invoice_number=open_[-1].number,
                            opened_on=DAY,
                        )
                    )
                else:
                    uow.facts.add_hold(
                        Hold(
                            id=f"{account_id}-H",
                            account_id=account_id,
                            reason="customer called",
                            starts_on=DAY,
                            ends_on=DAY + timedelta(days=14),
                        )
                    )
                uow.commit()
        count += 1
    return count


def table_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the cycle writes, in a stable order (for the equality check)."""
    connection = sqlite3.connect(path)
    try:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        }
    finally:
        connection.close()


def timed(
    store: SqliteStore, config: CycleConfig, day: date, **options: Any
) -> tuple[float, CycleReport]:
    start = time.perf_counter()
    report = run_cycle(store.unit_of_work, config, day, **options)
    return time.perf_counter() - start, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts")
    args = parser.parse_args()
    accounts = 10_000 if args.quick else 100_000
    CACHE.mkdir(exist_ok=True)
    print(
        f"{accounts:,} accounts billed monthly for a year ({accounts * MONTHS:,} invoices), "
        f"measured on {DAY} and {DAY + timedelta(days=1)}; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    built = built_file(accounts)
    config = cycle_config(accounts)
    problems: list[str] = []

    # A: the day's full run (the baseline), the changes, the next day's ordinary run.
    # B: the same writes, every run full (what A must hold in the end).
    # C: the day's ordinary run (what the day's full run on A must have written).
    copies = {name: fresh_copy(built, name) for name in ("a", "b", "c")}
    try:
        a, b, c = (SqliteStore(copies[name]) for name in ("a", "b", "c"))
        first_seconds, first = timed(a, config, DAY, full=True)
        a.close()
        after_first = table_rows(copies["a"])
        quiet_seconds, quiet = timed(c, config, DAY)
        c.close()
        if table_rows(copies["c"]) != after_first:
            problems.append(f"the ordinary run of {DAY} wrote something else than a full run")
        timed(b, config, DAY, full=True)
        changed = record_changes(a, accounts, config)
        record_changes(b, accounts, config)
        next_seconds, following = timed(a, config, DAY + timedelta(days=1))
        timed(b, config, DAY + timedelta(days=1), full=True)
        a.close()
        b.close()
        if table_rows(copies["a"]) != table_rows(copies["b"]):
            problems.append(
                f"the ordinary run of {DAY + timedelta(days=1)} differs from a full one"
            )
        print(f"the day's full run:     {summary(first)}")
        print(f"the day's ordinary run: {summary(quiet)}")
        print(f"the next day, after {changed:,} accounts changed: {summary(following)}")
    finally:
        for copy in copies.values():
            discard(copy)

    ratio_next = next_seconds / first_seconds
    ratio_quiet = quiet_seconds / first_seconds
    rows = [
        (
            f"next day, {CHANGED_SHARE:.0%} of accounts changed",
            f"{next_seconds:.2f} s",
            "the day's full run (full=True)",
            f"{first_seconds:.1f} s",
            f"{ratio_next:.3f}x",
            f"<= {TARGET_NEXT_DAY}x",
            "PASS" if ratio_next <= TARGET_NEXT_DAY else "FAIL",
        ),
        (
            "the day's ordinary run (nothing written)",
            f"{quiet_seconds:.2f} s",
            "the day's full run (full=True)",
            f"{first_seconds:.1f} s",
            f"{ratio_quiet:.3f}x",
            "-",
            "",
        ),
    ]
    header = ("figure", "value", "baseline", "baseline value", "ratio", "target", "result")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
