"""The dunning cycle at portfolio scale: speed and memory (issue 7, "Speed and memory").

Run: ``make bench``, or ``.venv/bin/python benchmarks/bench_cycle.py [--quick]``
(``--quick``: 10,000 accounts, and 20,000 for the doubling check).

The portfolio: 100,000 accounts with 10 invoices each (1,000,000 invoices), due dates
spread from 200 days past due to 25 days ahead so that every kind of decision happens
on the run day: due-date reminders, the notices of the five-notice ladder and its
termination, hand-overs to collection, legal action, cancelled orders, French
registered formal notices, claims declared in a receivership, small and large
customers suspended, credit-limit alerts. Some accounts have partial payments
allocated, unapplied cash or a payment still pending; a few have a promise to pay (kept
or broken), a disputed invoice, a hold, an open receivership or the "no-dunning" tag.
Every account is generated from its own index, so the first N accounts of the 2N
portfolio are the N portfolio.

The measured cycle is the portfolio's first: with no history, the ladders' catch-up
fires each account's latest due stage (only the formal-notice accounts carry their
earlier email, SMS and call, so that the registered notice is due). It is the heaviest
day for writes, and so the kindest case for the same-day rerun's ratio.

Figures, each against a baseline measured in the same run:

1. **memory cycle**: ``run_cycle`` on a ``MemoryStore`` holding the portfolio, against
   only building the statements of the same accounts (``build_statement``).
2. **SQLite cycle**: ``run_cycle`` on a ``SqliteStore`` (default batch size), end to
   end, against the storage engine's floor: plain ``sqlite3`` reading every invoice row
   and inserting one history row per action row the cycle recorded, in one transaction
   (``bench_storage.floor``, median of three). Target: under 120 s.
3. **same-day rerun**: a second cycle on the same day and file with ``resume=False``
   and ``full=True`` (every account evaluated again, due or not; it must create
   nothing), against the first. Target:
   under a third of it. The ``resume=True`` rerun (the run is marked done: a no-op) is
   shown on its own line.
4. **peak memory**: the SQLite cycle runs in a child process, which reports its peak
   RSS (``VmHWM``) after the first cycle; target under 500 MB (10^6 bytes), and flat
   when the portfolio doubles (the 2N peak within 10 % of the N peak). With ``--quick``
   the files are smaller than SQLite's page cache (64 MiB), so RSS still grows with
   them: that verdict, like the 120 s one, is given at full size only.

The SQLite files are built once per size into ``.bench-cache/`` (the file name carries
a fingerprint of the parameters and of this generator's code) and reused; each cycle
runs on a fresh copy. The script exits 0 when a target is missed (the table says
FAIL), and 1 when something goes wrong (a second cycle that writes, the memory and
SQLite cycles disagreeing, a child that fails).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from dunning_core.adapters.storage import _sqlite_rows, _sqlite_schema
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.domain.account import Account, Contact, PostalAddress, Segment
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.history import ActionRecord
from dunning_core.domain.invoice import Invoice
from dunning_core.domain.payment import Allocation, AllocationKind, Payment, PaymentStatus
from dunning_core.domain.statement import build_statement
from dunning_core.money import Money
from dunning_core.policies.ladder import LadderAssignment, presets
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import CycleReport, run_cycle
from dunning_core.service.settings import CycleConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_storage import floor  # the storage floor, shared with bench_storage

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
INVOICES_PER_ACCOUNT = 10
RUN_DAY = date(2026, 6, 30)
AS_OF = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)  # each account sees its own local day
BATCH = inspect.signature(run_cycle).parameters["batch_size"].default
SEED = 20260630
TARGET_SQLITE_SECONDS = 120.0
TARGET_RERUN_RATIO = 1 / 3
TARGET_PEAK_BYTES = 500_000_000
FLAT_RATIO = 1.10

# -- the portfolio ------------------------------------------------------------------------

_CURRENCIES = (("EUR", 5_000, 500_000),) * 14 + (
    ("USD", 5_000, 500_000),
    ("USD", 5_000, 500_000),
    ("USD", 5_000, 500_000),
    ("JPY", 5_000, 500_000),
    ("JPY", 5_000, 500_000),
    ("BHD", 20_000, 2_000_000),
)
# (share in 100, first due date relative to the run day: low, high, days between invoices)
_PROFILES = ((55, -12, 2, 3), (28, -40, -10, 4), (14, -100, -35, 6), (3, -200, -120, 10))


def ladder_of(k: int) -> str | None:
    """The ladder assigned to account ``k``, or None for the default (five notices)."""
    return {
        0: presets.DUE_DATE_REMINDERS.name,
        1: presets.REMINDERS_THEN_COLLECTION_THEN_LEGAL.name,
        2: presets.REMINDERS_THEN_COLLECTION_THEN_CANCELLATION.name,
        3: presets.FORMAL_NOTICE_FR.name,
    }.get(k % 20)


def cycle_config(accounts: int) -> CycleConfig:
    """Five notices then termination by default; one account in 20 on each other preset."""
    assignments = {}
    for k in range(accounts):
        ladder = ladder_of(k)
        if ladder is not None:
            account_id = account_id_of(k)
            assignments[account_id] = LadderAssignment(account_id=account_id, ladder=ladder)
    return CycleConfig(
        default_ladder=presets.FIVE_NOTICES_THEN_TERMINATION.name, assignments=assignments
    )


def account_id_of(k: int) -> str:
    """The id of account ``k`` (zero-padded, so id order is index order)."""
    return f"A-{k:07d}"


@attrs.define
class AccountData:
    """One generated account and everything the stores hold about it."""

    account: Account
    invoices: list[Invoice]
    payments: list[Payment] = attrs.field(factory=list)
    allocations: list[Allocation] = attrs.field(factory=list)
    promises: list[PromiseToPay] = attrs.field(factory=list)
    disputes: list[Dispute] = attrs.field(factory=list)
    holds: list[Hold] = attrs.field(factory=list)
    proceedings: list[InsolvencyProceeding] = attrs.field(factory=list)
    history: list[ActionRecord] = attrs.field(factory=list)


def _profile(roll: int) -> tuple[int, int, int]:
    for share, first_low, first_high, step in _PROFILES:
        if roll < share:
            return first_low, first_high, step
        roll -= share
    raise AssertionError("the profiles' shares add up to 100")


def generate(k: int) -> AccountData:
    """Account ``k`` of the portfolio (deterministic: a function of ``k`` alone)."""
    rng = random.Random(SEED * 1_000_003 + k)
    account_id = account_id_of(k)
    currency, low, high = rng.choice(_CURRENCIES)
    french = rng.random() < 0.4
    contact = Contact(
        name="Accounts payable",
        email=f"ap@{account_id.lower()}.example",
        mobile=f"+3361{k:07d}" if rng.random() < 0.6 else None,
        postal_address=PostalAddress(
            recipient=f"Customer {k}",
            lines=(f"{1 + k % 200} rue du Commerce",),
            # one address in 25 lacks its postal code: it blocks hand-overs and letters
            postal_code="" if rng.random() < 0.04 else f"{75001 + k % 20}",
            city="Paris" if french else "Lyon",
            country="FR",
        ),
    )
    first_low, first_high, step = _profile(rng.randrange(100))
    first_due = RUN_DAY + timedelta(days=rng.randint(first_low, first_high))
    invoices = []
    for n in range(INVOICES_PER_ACCOUNT):
        due = first_due + timedelta(days=n * step + rng.randrange(step))
        due = min(due, RUN_DAY + timedelta(days=25))
        invoices.append(
            Invoice(
                number=f"{account_id}-{n:02d}",
                account_id=account_id,
                issued_on=due - timedelta(days=30),
                due_on=due,
                amount=Money.from_minor(rng.randrange(low, high), currency),
            )
        )
    total = sum(invoice.amount.minor_units for invoice in invoices)
    tags = frozenset({"no-dunning"}) if rng.random() < 0.005 else frozenset()
    account = Account(
        id=account_id,
        name=f"Customer {k}",
        currency=currency,
        segment=Segment.LARGE if rng.random() < 0.2 else Segment.SMALL,
        locale="fr_FR" if french else "en_US",
        timezone="Europe/Paris" if french else "America/New_York",
        contacts=(contact,),
        # utilisation of the limit between 60 % and 130 %: alerts at 70, 85 and 100 %
        credit_limit=(
            Money.from_minor(int(total / rng.uniform(0.6, 1.3)), currency)
            if rng.random() < 0.3
            else None
        ),
        tags=tags,
    )
    data = AccountData(account=account, invoices=invoices)
    _add_payments(data, rng)
    _add_facts(data, rng)
    if ladder_of(k) == presets.FORMAL_NOTICE_FR.name:
        _add_formal_notice_history(data)
    return data


_EARLIER_STAGES = (
    ("relance_email", 1, "EMAIL"),
    ("relance_sms", 7, "SMS"),
    ("appel", 14, "PHONE_TASK"),
)


def _add_formal_notice_history(data: AccountData) -> None:
    """The email, SMS and call already done for invoices 3 weeks or more past due (the
    registered formal notice comes next; the ladder takes its stages in turn)."""
    for invoice in data.invoices:
        if invoice.due_on > RUN_DAY - timedelta(days=21):
            continue
        for stage, days, channel in _EARLIER_STAGES:
            data.history.append(
                ActionRecord(
                    key=f"earlier-{invoice.number}-{stage}/{stage}",
                    account_id=invoice.account_id,
                    ladder=presets.FORMAL_NOTICE_FR.name,
                    stage=stage,
                    action="REMIND",
                    channel=channel,
                    invoice_numbers=(invoice.number,),
                    fired_on=invoice.due_on + timedelta(days=days),
                )
            )


def _add_payments(data: AccountData, rng: random.Random) -> None:
    account_id, currency = data.account.id, data.account.currency
    roll = rng.random()
    oldest = data.invoices[0]
    if roll < 0.25:  # part of the oldest invoice paid and allocated
        part = Money.from_minor(
            max(1, oldest.amount.minor_units * rng.randrange(20, 90) // 100), currency
        )
        payment = Payment(
            id=f"P-{account_id}",
            account_id=account_id,
            amount=part,
            received_on=RUN_DAY - timedelta(days=rng.randrange(1, 20)),
        )
        data.payments.append(payment)
        data.allocations.append(
            Allocation(
                invoice_number=oldest.number,
                amount=part,
                kind=AllocationKind.CASH,
                source_id=payment.id,
            )
        )
    elif roll < 0.30:  # cash on account, not yet applied
        data.payments.append(
            Payment(
                id=f"P-{account_id}",
                account_id=account_id,
                amount=Money.from_minor(rng.randrange(1_000, 50_000), currency),
                received_on=RUN_DAY - timedelta(days=rng.randrange(1, 10)),
            )
        )
    elif roll < 0.31:  # a direct debit in flight
        data.payments.append(
            Payment(
                id=f"P-{account_id}",
                account_id=account_id,
                amount=oldest.amount,
                received_on=RUN_DAY - timedelta(days=2),
                status=PaymentStatus.PENDING,
            )
        )


def _add_facts(data: AccountData, rng: random.Random) -> None:
    account_id, currency = data.account.id, data.account.currency
    roll = rng.random()
    oldest = data.invoices[0]
    if roll < 0.01:  # a promise, kept for now
        data.promises.append(
            PromiseToPay(
                id=f"PR-{account_id}",
                account_id=account_id,
                made_on=RUN_DAY - timedelta(days=5),
                due_on=RUN_DAY + timedelta(days=7),
                amount=oldest.amount,
                invoice_numbers=(oldest.number,),
            )
        )
    elif roll < 0.02:  # a promise broken three days ago
        data.promises.append(
            PromiseToPay(
                id=f"PR-{account_id}",
                account_id=account_id,
                made_on=RUN_DAY - timedelta(days=20),
                due_on=RUN_DAY - timedelta(days=3),
                amount=Money.from_minor(oldest.amount.minor_units, currency),
                invoice_numbers=(oldest.number,),
            )
        )
    elif roll < 0.035:
        data.disputes.append(
            Dispute(
                id=f"D-{account_id}",
                account_id=account_id,
                invoice_number=data.invoices[1].number,
                opened_on=RUN_DAY - timedelta(days=10),
                reason="goods returned",
            )
        )
    elif roll < 0.04:
        data.holds.append(
            Hold(
                id=f"H-{account_id}",
                account_id=account_id,
                reason="account review",
                starts_on=RUN_DAY - timedelta(days=4),
                ends_on=RUN_DAY + timedelta(days=10),
            )
        )
    elif roll < 0.042:
        data.proceedings.append(
            InsolvencyProceeding(
                id=f"IP-{account_id}",
                account_id=account_id,
                kind="RECEIVERSHIP",
                opened_on=RUN_DAY - timedelta(days=30),
                reference=f"RG {k_of(account_id)}",
                court="Tribunal de commerce de Paris",
            )
        )


def k_of(account_id: str) -> int:
    """The index of an account id."""
    return int(account_id[2:])


def write(uow_factory: UowFactory, batch: list[AccountData]) -> None:
    """Write generated accounts into a store, in one transaction."""
    with uow_factory() as uow:
        uow.accounts.add_many(data.account for data in batch)
        uow.ledger.add_invoices(i for data in batch for i in data.invoices)
        for data in batch:
            for payment in data.payments:
                uow.ledger.add_payment(payment)
            for promise in data.promises:
                uow.facts.add_promise(promise)
            for dispute in data.disputes:
                uow.facts.add_dispute(dispute)
            for hold in data.holds:
                uow.facts.add_hold(hold)
            for proceeding in data.proceedings:
                uow.facts.add_proceeding(proceeding)
        uow.ledger.add_allocations(a for data in batch for a in data.allocations)
        uow.history.add_actions(r for data in batch for r in data.history)
        uow.commit()


def chunks(first: int, stop: int, size: int = 2_000) -> Iterator[list[AccountData]]:
    """Accounts ``first`` to ``stop - 1``, generated ``size`` at a time."""
    for start in range(first, stop, size):
        yield list(map(generate, range(start, min(start + size, stop))))


# -- the SQLite files ---------------------------------------------------------------------


def fingerprint() -> str:
    """Changes whenever the data the files hold would change: the generator, and the
    SQLite schema and row codec the files are written with (their source text, not only
    the schema's version number: a migration edited under the same number, as version 4
    once was, would otherwise leave a stale file in the cache)."""
    parts = [
        str(SCHEMA_VERSION),
        *(inspect.getsource(module) for module in (_sqlite_schema, _sqlite_rows)),
        str(SEED),
        RUN_DAY.isoformat(),
        str(INVOICES_PER_ACCOUNT),
        repr(_CURRENCIES),
        repr(_PROFILES),
        repr(_EARLIER_STAGES),
        *(
            inspect.getsource(f)
            for f in (
                account_id_of,
                ladder_of,
                _profile,
                generate,
                _add_payments,
                _add_facts,
                _add_formal_notice_history,
                write,
            )
        ),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=6).hexdigest()


def built_file(accounts: int, smaller: Path | None = None) -> Path:
    """The SQLite file of ``accounts`` accounts, built into the cache if missing.

    ``smaller`` is an already-built file of a prefix of the portfolio: it is copied and
    the missing accounts are appended (the generator is per account, so the result is
    the file a build from scratch would give).
    """
    path = CACHE / f"cycle-{accounts}-{fingerprint()}.sqlite3"
    if path.exists():
        problem = _stale(path, accounts)
        if problem is None:
            return path
        print(f"  {path.name} is stale ({problem}): rebuilding", flush=True)
        path.unlink()
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    start = time.perf_counter()
    first = 0
    if smaller is not None:
        shutil.copyfile(smaller, partial)
        first = _account_count(partial)
    store = SqliteStore(partial)
    for batch in chunks(first, accounts):
        write(store.unit_of_work, batch)
        done = k_of(batch[-1].account.id) + 1
        if done % 20_000 == 0 or done == accounts:
            print(f"  building {path.name}: {done:,} accounts", flush=True)
    connection = store.connection()
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    print(f"  built {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def _stale(path: Path, accounts: int) -> str | None:
    """Why a cached file cannot be used (another schema version, not every account),
    or None when it can."""
    connection = sqlite3.connect(path)
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version != SCHEMA_VERSION:
            return f"schema version {version}, not {SCHEMA_VERSION}"
        count = int(connection.execute("SELECT count(*) FROM accounts").fetchone()[0])
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        connection.close()
    return None if count == accounts else f"{count:,} accounts, not {accounts:,}"


def _account_count(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM accounts").fetchone()[0])
    finally:
        connection.close()


def fresh_copy(built: Path, name: str) -> Path:
    """A fresh copy of a built file to run on (so runs are comparable)."""
    copy = CACHE / f"run-{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(built, copy)
    return copy


def discard(copy: Path) -> None:
    """Remove a run copy and its WAL files."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)


# -- the SQLite cycles, in a child process ------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident set so far (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def summary(report: CycleReport) -> dict[str, Any]:
    """The figures of a report two cycles must agree on."""
    return {
        "accounts": report.accounts,
        "actions": dict(report.actions),
        "messages": report.messages,
        "suspended": len(report.suspended),
        "reactivated": len(report.reactivated),
        "credit_alerts": report.credit_alerts,
        "errors": len(report.errors),
        "already_done": report.already_done,
    }


def _table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("actions", "outbox", "events", "suspension_states", "credit_alert_states")
        }
    finally:
        connection.close()


def child(path: Path, accounts: int, reruns: bool) -> dict[str, Any]:
    """Run the SQLite cycle(s) on ``path``; what the parent prints comes back as JSON."""
    config = cycle_config(accounts)
    store = SqliteStore(path)
    ready = peak_rss_bytes()
    result: dict[str, Any] = {"rss_ready": ready, "rows_before": _table_counts(path)}

    def timed(**options: Any) -> tuple[float, CycleReport]:
        start = time.perf_counter()
        report = run_cycle(store.unit_of_work, config, AS_OF, **options)
        return time.perf_counter() - start, report

    result["first_seconds"], first = timed()
    result["first"] = summary(first)
    result["peak_first"] = peak_rss_bytes()
    store.close()
    result["rows_first"] = _table_counts(path)
    if reruns:
        result["again_seconds"], again = timed(resume=False, full=True)
        result["again"] = summary(again)
        result["done_seconds"], done = timed()
        result["done"] = summary(done)
        store.close()
        result["rows_again"] = _table_counts(path)
    result["peak_end"] = peak_rss_bytes()
    return result


def in_child(built: Path, accounts: int, *, reruns: bool) -> dict[str, Any]:
    """Run :func:`child` on a fresh copy of ``built`` in a new process."""
    copy = fresh_copy(built, f"{accounts}")
    try:
        command = [sys.executable, __file__, "--child", str(copy), "--accounts", str(accounts)]
        if reruns:
            command.append("--reruns")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the cycle's child process failed:\n{done.stderr}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        discard(copy)


def measured_floor(built: Path, history_rows: int) -> float:
    """The storage floor on a fresh copy (median of three): read every invoice row,
    insert ``history_rows`` history rows, commit."""
    copy = fresh_copy(built, "floor")
    try:
        times = sorted(floor(copy, history_rows=history_rows)[0] for _ in range(3))
    finally:
        discard(copy)
    return times[1]


# -- the memory cycle ---------------------------------------------------------------------


def memory_figures(accounts: int) -> dict[str, Any]:
    """(memory cycle seconds, statements-only seconds, the cycle's summary)."""
    store = MemoryStore()
    datas: list[AccountData] = []
    for batch in chunks(0, accounts):
        write(store.unit_of_work, batch)
        datas.extend(batch)
    config = cycle_config(accounts)

    start = time.perf_counter()
    for data in datas:
        build_statement(
            data.account,
            AS_OF,
            invoices=data.invoices,
            payments=data.payments,
            allocations=data.allocations,
        )
    statements = time.perf_counter() - start

    start = time.perf_counter()
    report = run_cycle(store.unit_of_work, config, AS_OF)
    cycle = time.perf_counter() - start
    return {"cycle": cycle, "statements": statements, "summary": summary(report)}


# -- the report ---------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def print_table(rows: list[tuple[str, str, str, str, str, str, str]]) -> None:
    """Rows of (figure, value, baseline, baseline value, ratio, target, result)."""
    header = ("figure", "value", "baseline", "baseline value", "ratio", "target", "result")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = [
            cell.rjust(width) if i in (1, 3, 4) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


_EXPECTED_KINDS = (
    "REMIND",
    "FORMAL_NOTICE",
    "TERMINATE",
    "HAND_OVER_TO_COLLECTION",
    "LEGAL_ACTION",
    "CANCEL_ORDER",
    "DECLARE_CLAIM",
)


def _mix(summary_: dict[str, Any]) -> str:
    actions = ", ".join(f"{kind} {count:,}" for kind, count in summary_["actions"].items())
    return (
        f"{summary_['accounts']:,} accounts evaluated; actions: {actions}; messages "
        f"{summary_['messages']:,}; suspended {summary_['suspended']:,}; credit alerts "
        f"{summary_['credit_alerts']:,}; accounts skipped as invalid {summary_['errors']:,}"
    )


def _missing(summary_: dict[str, Any]) -> list[str]:
    missing = [kind for kind in _EXPECTED_KINDS if not summary_["actions"].get(kind)]
    missing += [what for what in ("suspended", "credit_alerts") if not summary_[what]]
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 and 20,000 accounts")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reruns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.accounts, args.reruns)))
        return 0

    accounts = 10_000 if args.quick else 100_000
    full = not args.quick
    CACHE.mkdir(exist_ok=True)
    print(
        f"{accounts:,} accounts, {accounts * INVOICES_PER_ACCOUNT:,} invoices, as of "
        f"{AS_OF.isoformat()}, batches of {BATCH} (run_cycle's default); "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    built = built_file(accounts)
    doubled = built_file(2 * accounts, smaller=built)

    problems: list[str] = []
    at_n = in_child(built, accounts, reruns=True)
    first, again = at_n["first_seconds"], at_n["again_seconds"]
    history_rows = at_n["rows_first"]["actions"] - at_n["rows_before"]["actions"]
    floor_seconds = measured_floor(built, history_rows)
    at_2n = in_child(doubled, 2 * accounts, reruns=False)
    memory = memory_figures(accounts)

    wrote_again = at_n["again"]["actions"] or at_n["again"]["messages"]
    if wrote_again or at_n["rows_again"] != at_n["rows_first"]:
        problems.append(
            f"the same-day rerun wrote something: {at_n['again']}, rows {at_n['rows_again']}"
            f" after the first run's {at_n['rows_first']}"
        )
    if not at_n["done"]["already_done"]:
        problems.append("the resume=True rerun did not find the run done")
    if memory["summary"] != at_n["first"]:
        problems.append(
            f"the memory and SQLite cycles disagree:\n  {memory['summary']}\n  {at_n['first']}"
        )

    peak_n, peak_2n = at_n["peak_first"], at_2n["peak_first"]
    rows = [
        (
            "memory cycle (run_cycle, MemoryStore)",
            f"{memory['cycle']:.1f} s",
            "statements only (build_statement)",
            f"{memory['statements']:.1f} s",
            f"{memory['cycle'] / memory['statements']:.1f}x",
            "-",
            "",
        ),
        (
            "SQLite cycle, first run of the day",
            f"{first:.1f} s",
            f"SQLite floor: read invoices, {history_rows:,} rows",
            f"{floor_seconds:.2f} s",
            f"{first / floor_seconds:.1f}x",
            f"< {TARGET_SQLITE_SECONDS:.0f} s",
            _verdict(first < TARGET_SQLITE_SECONDS) if full else "(full size only)",
        ),
        (
            "SQLite rerun, same day, resume=False, full=True",
            f"{again:.1f} s",
            "SQLite first run",
            f"{first:.1f} s",
            f"{again / first:.2f}",
            "< 0.33",
            _verdict(again / first < TARGET_RERUN_RATIO),
        ),
        (
            "SQLite rerun, same day, resume=True",
            f"{at_n['done_seconds']:.3f} s",
            "(no-op: the run is marked done)",
            "",
            "",
            "-",
            "",
        ),
        (
            f"peak RSS, SQLite cycle, {accounts:,} accounts",
            _mb(peak_n),
            "RSS before the cycle",
            _mb(at_n["rss_ready"]),
            f"{peak_n / at_n['rss_ready']:.2f}x",
            "< 500 MB",
            _verdict(peak_n < TARGET_PEAK_BYTES),
        ),
        (
            f"peak RSS, SQLite cycle, {2 * accounts:,} accounts",
            _mb(peak_2n),
            f"peak at {accounts:,} accounts",
            _mb(peak_n),
            f"{peak_2n / peak_n:.2f}x",
            f"< {FLAT_RATIO:.2f}x and < 500 MB",
            (
                _verdict(peak_2n / peak_n < FLAT_RATIO and peak_2n < TARGET_PEAK_BYTES)
                if full
                else "(full size only)"
            ),
        ),
    ]
    print(f"first cycle ({accounts:,} accounts): {_mix(at_n['first'])}")
    missing = _missing(at_n["first"])
    if missing:
        print(f"  note: nothing of {', '.join(missing)} in this run")
    print(
        f"SQLite cycle at {2 * accounts:,} accounts: {at_2n['first_seconds']:.1f} s "
        f"({at_2n['first_seconds'] / first:.2f}x the {accounts:,}-account cycle); peak RSS "
        f"over the three runs at {accounts:,}: {_mb(at_n['peak_end'])}"
    )
    if not full:
        print(
            "  (quick: the files are smaller than SQLite's page cache, 64 MiB by default, "
            "so RSS still grows with them)"
        )
    print()
    print_table(rows)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
