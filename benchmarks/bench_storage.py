"""Storage floor vs the SQLite store's batch loads (100,000 accounts, 1,000,000 invoices).

Run: ``.venv/bin/python benchmarks/bench_storage.py`` (``--quick``: a tenth of the size).

Measures, on one SQLite file:

* **floor**: raw ``sqlite3``, one transaction: read every invoice row, insert one history
  row per account, commit. What the storage engine itself needs, with nothing built.
* **store**: what the cycle does through the ports, one unit of work per page of 500
  accounts: ``iter_ids``, ``accounts.get_many``, ``ledger.load``, ``facts.load``,
  ``history.actions_of``, ``history.suspension_states``, one ``ActionRecord`` per
  account through ``history.add_actions``, ``commit``. Quoted as a ratio to the floor.
* **read only**: ``ledger.load`` of every page against a raw read of every invoice row.

The database is built once into ``.bench-cache/`` and reused; rows a run adds are
deleted afterwards so reruns compare alike.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.domain.account import Account
from dunning_core.domain.history import ActionRecord
from dunning_core.domain.invoice import Invoice
from dunning_core.domain.payment import Allocation, Payment
from dunning_core.money import Money

ROOT = Path(__file__).resolve().parents[1]
PAGE = 500
INVOICES_PER_ACCOUNT = 10
RUN_DAY = date(2026, 6, 30)


def _accounts(first: int, stop: int) -> Iterator[Account]:
    currencies = ("EUR", "EUR", "EUR", "JPY", "BHD")
    for k in range(first, stop):
        yield Account(id=f"A-{k:07d}", name=f"Customer {k}", currency=currencies[k % 5])


def build(path: Path, accounts: int) -> None:
    """Create the benchmark database (accounts, invoices, some payments allocated)."""
    rng = random.Random(20260630)
    store = SqliteStore(path)
    start = time.perf_counter()
    chunk = 5_000
    for first in range(0, accounts, chunk):
        batch = list(_accounts(first, min(first + chunk, accounts)))
        invoices, payments, allocations = [], [], []
        for account in batch:
            for n in range(INVOICES_PER_ACCOUNT):
                issued = date(2026, 1, 1) + timedelta(days=rng.randrange(150))
                invoices.append(
                    Invoice(
                        number=f"{account.id}-{n:02d}",
                        account_id=account.id,
                        issued_on=issued,
                        due_on=issued + timedelta(days=30),
                        amount=Money.from_minor(rng.randrange(1_000, 5_000_000), account.currency),
                    )
                )
            if rng.random() < 0.3:
                paid = invoices[-1]
                payment = Payment(
                    id=f"P-{account.id}",
                    account_id=account.id,
                    amount=paid.amount,
                    received_on=paid.due_on,
                )
                payments.append(payment)
                allocations.append(
                    Allocation(
                        invoice_number=paid.number,
                        amount=paid.amount,
                        kind="CASH",
                        source_id=payment.id,
                    )
                )
        with store.unit_of_work() as uow:
            uow.accounts.add_many(batch)
            uow.ledger.add_invoices(invoices)
            for payment in payments:
                uow.ledger.add_payment(payment)
            uow.ledger.add_allocations(allocations)
            uow.commit()
    store.connection().execute("ANALYZE")
    store.close()
    print(f"built {path.name}: {time.perf_counter() - start:.1f} s", flush=True)


def floor(path: Path, *, history_rows: int | None = None) -> tuple[float, float, int]:
    """Raw sqlite3: (read+insert+commit seconds, read-only seconds, rows read).

    Inserts ``history_rows`` history rows (one per account by default), spread over
    the accounts; ``bench_cycle`` passes the number of actions its cycle recorded.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA cache_size=-65536")
    start = time.perf_counter()
    rows = 0
    for _ in connection.execute("SELECT * FROM invoices"):
        rows += 1
    read_only = time.perf_counter() - start

    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for _ in connection.execute("SELECT * FROM invoices"):
        pass
    ids = [row[0] for row in connection.execute("SELECT id FROM accounts")]
    count = len(ids) if history_rows is None else history_rows
    connection.executemany(
        "INSERT INTO actions (account_id, key, ladder, stage, action, channel, "
        "invoice_numbers, fired_on, skipped, payload) VALUES (?, ?, 'l', 's', 'a', '', '[]', "
        "?, 0, '')",
        ((ids[n % len(ids)], f"floor:{n}", RUN_DAY.isoformat()) for n in range(count)),
    )
    connection.execute("COMMIT")
    total = time.perf_counter() - start
    connection.execute("DELETE FROM actions WHERE key >= 'floor:' AND key < 'floor;'")
    connection.close()
    return total, read_only, rows


def through_the_store(path: Path) -> tuple[float, int]:
    """The cycle's storage traffic through the ports; (seconds, invoices loaded)."""
    store = SqliteStore(path)
    start = time.perf_counter()
    after: str | None = None
    loaded = 0
    while True:
        with store.unit_of_work() as uow:
            ids = uow.accounts.iter_ids(after=after, limit=PAGE)
            if not ids:
                break
            accounts = uow.accounts.get_many(ids)
            ledgers = uow.ledger.load(ids)
            uow.facts.load(ids)
            uow.history.actions_of(ids)
            uow.history.suspension_states(ids)
            loaded += sum(len(ledger.invoices) for ledger in ledgers.values())
            uow.history.add_actions(
                ActionRecord(
                    key=f"store:{account_id}",
                    account_id=account_id,
                    ladder="l",
                    stage="s",
                    action="a",
                    fired_on=RUN_DAY,
                )
                for account_id in accounts
            )
            uow.commit()
        after = ids[-1]
    elapsed = time.perf_counter() - start
    store.connection().execute("DELETE FROM actions")
    store.close()
    return elapsed, loaded


def ledger_reads(path: Path) -> float:
    """``ledger.load`` of every page, read-only."""
    store = SqliteStore(path)
    start = time.perf_counter()
    after: str | None = None
    with store.unit_of_work(read_only=True) as uow:
        while ids := uow.accounts.iter_ids(after=after, limit=PAGE):
            uow.ledger.load(ids)
            after = ids[-1]
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts / 100,000 invoices")
    args = parser.parse_args()
    accounts = 10_000 if args.quick else 100_000
    cache = ROOT / ".bench-cache"
    cache.mkdir(exist_ok=True)
    path = cache / f"storage-{accounts}-v{SCHEMA_VERSION}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in cache.glob(partial.name + "*"):
            leftover.unlink()
        build(partial, accounts)
        partial.rename(path)
        for suffix in ("-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)

    invoices = accounts * INVOICES_PER_ACCOUNT
    print(f"{accounts:,} accounts, {invoices:,} invoices, pages of {PAGE}")
    floor_total, raw_read, rows = floor(path)
    assert rows == invoices, rows
    store_total, loaded = through_the_store(path)
    assert loaded == invoices, loaded
    reads = ledger_reads(path)
    print(f"floor  (raw read all invoices + 1 history row/account, 1 txn): {floor_total:7.2f} s")
    print(
        f"store  (cycle storage traffic via ports, 1 txn/page):         {store_total:7.2f} s"
        f"   ratio {store_total / floor_total:5.1f}x floor"
    )
    print(f"raw read of every invoice row:                                {raw_read:7.2f} s")
    print(
        f"ledger.load of every page (Invoice objects built):            {reads:7.2f} s"
        f"   ratio {reads / raw_read:5.1f}x raw read"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
