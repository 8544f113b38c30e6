"""Statement building speed, as a ratio to a bare loop over the same data as tuples.

Run with ``make bench`` (or ``python benchmarks/bench_statement.py [--quick]``).
The bare loop does the arithmetic a statement must do (open amount, days past due,
aging bucket, totals) on plain tuples of Decimals, with no validation and no objects:
the floor any statement implementation would have in CPython.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from decimal import Decimal

from dunning_core import Account, Allocation, AllocationKind, Invoice, Money, build_statement


def portfolio(
    accounts: int, per_account: int
) -> list[tuple[Account, list[Invoice], list[Allocation]]]:
    base = date(2026, 1, 1)
    data = []
    for a in range(accounts):
        account = Account(id=f"A-{a}", name="x", currency="EUR")
        invoices, allocations = [], []
        for i in range(per_account):
            issued = base + timedelta(days=(a + 7 * i) % 120)
            invoice = Invoice(
                number=f"F-{a}-{i}",
                account_id=account.id,
                issued_on=issued,
                due_on=issued + timedelta(days=30),
                amount=Money.from_minor(10_000 + 37 * i + a % 1000, "EUR"),
            )
            invoices.append(invoice)
            if i % 3 == 0:
                allocations.append(
                    Allocation(
                        invoice_number=invoice.number,
                        amount=Money.from_minor(5_000, "EUR"),
                        kind=AllocationKind.WRITE_OFF,
                        source_id=f"W-{a}-{i}",
                    )
                )
        data.append((account, invoices, allocations))
    return data


def bare_loop(
    rows: list[tuple[list[tuple[str, date, date, Decimal]], dict[str, Decimal]]], on: date
) -> Decimal:
    grand = Decimal(0)
    for invoices, settled in rows:
        balance = overdue = Decimal(0)
        buckets = [Decimal(0)] * 5
        for number, issued, due, amount in sorted(invoices, key=lambda r: (r[2], r[1], r[0])):
            if issued > on:
                continue
            open_amount = amount - settled.get(number, Decimal(0))
            if open_amount:
                days = max((on - due).days, 0)
                balance += open_amount
                index = 0 if days == 0 else min(4, (days - 1) // 30 + 1)
                buckets[index] += open_amount
                if days:
                    overdue += open_amount
        grand += balance
    return grand


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 accounts instead of 100,000")
    args = parser.parse_args()
    accounts = 10_000 if args.quick else 100_000
    data = portfolio(accounts, 10)
    on = date(2026, 4, 15)
    rows = [
        (
            [(i.number, i.issued_on, i.due_on, i.amount.amount) for i in invoices],
            {a.invoice_number: a.amount.amount for a in allocations},
        )
        for _, invoices, allocations in data
    ]
    start = time.perf_counter()
    expected = bare_loop(rows, on)
    bare = time.perf_counter() - start

    start = time.perf_counter()
    total = Decimal(0)
    for account, invoices, allocations in data:
        total += build_statement(
            account, on, invoices=invoices, allocations=allocations
        ).balance.amount
    statements = time.perf_counter() - start
    assert total == expected, (total, expected)

    n = accounts * 10
    print(f"statements: {accounts:,} accounts, {n:,} invoices")
    print(f"  bare tuple loop     {bare:8.2f} s   {n / bare:12,.0f} invoices/s   1.00x")
    print(
        f"  build_statement     {statements:8.2f} s   {n / statements:12,.0f} invoices/s   "
        f"{statements / bare:.2f}x the bare loop"
    )


if __name__ == "__main__":
    main()
