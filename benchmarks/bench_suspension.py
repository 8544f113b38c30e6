"""Suspension decisions per second for 100,000 accounts, against building their statements.

The baseline is measured in the same run on the same accounts: building each account's
statement (what any cycle must do anyway). The target is that deciding suspension costs
less than that, so suspension never dominates a cycle.

Run: ``.venv/bin/python benchmarks/bench_suspension.py [--quick] [--accounts N]``.
Accounts are generated (not timed) and processed in chunks so memory stays flat.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import date, timedelta

from dunning_core import (
    Account,
    AccountFacts,
    Allocation,
    AllocationKind,
    Dispute,
    Hold,
    InsolvencyProceeding,
    Invoice,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PromiseToPay,
    Segment,
    build_statement,
)
from dunning_core.policies.suspension import SuspensionPolicy, decide_suspension, transition

AS_OF = date(2026, 6, 1)
CURRENCIES = (("EUR", 2), ("EUR", 2), ("USD", 2), ("JPY", 0), ("XPF", 0))
ZONES = ("Europe/Paris", "Pacific/Noumea", "America/New_York", "UTC")
LOCALES = ("fr_FR", "en_US", "en_IE", "de_DE")


def _money(rng: random.Random, currency: str, digits: int, low: int, high: int) -> Money:
    return Money.from_minor(rng.randint(low, high) * 10**digits, currency)


def generate(rng: random.Random, index: int) -> tuple[Account, dict[str, object]]:
    """One account with 1-8 invoices, some paid, and sometimes facts or a pending debit."""
    currency, digits = rng.choice(CURRENCIES)
    account = Account(
        id=f"A-{index}",
        name="Customer",
        currency=currency,
        segment=Segment.SMALL if rng.random() < 0.7 else Segment.LARGE,
        locale=rng.choice(LOCALES),
        timezone=rng.choice(ZONES),
    )
    invoices = []
    for k in range(rng.randint(1, 8)):
        issued = AS_OF - timedelta(days=rng.randint(0, 120))
        invoices.append(
            Invoice(
                number=f"F-{index}-{k}",
                account_id=account.id,
                issued_on=issued,
                due_on=issued + timedelta(days=rng.choice((0, 15, 30))),
                amount=_money(rng, currency, digits, 10, 5000),
            )
        )
    payments: list[Payment] = []
    allocations: list[Allocation] = []
    # Most customers paid their older invoices; allocate in full, oldest first.
    paid = sorted(invoices, key=lambda i: i.sort_key)[: rng.randint(0, len(invoices))]
    if paid:
        total = Money.sum((i.amount for i in paid), currency)
        payment = Payment(id=f"P-{index}", account_id=account.id, amount=total, received_on=AS_OF)
        payments.append(payment)
        allocations.extend(
            Allocation(
                invoice_number=i.number,
                amount=i.amount,
                kind=AllocationKind.CASH,
                source_id=payment.id,
            )
            for i in paid
        )
    pending: list[Payment] = []
    if rng.random() < 0.05:
        pending.append(
            Payment(
                id=f"DD-{index}",
                account_id=account.id,
                amount=_money(rng, currency, digits, 100, 20000),
                received_on=AS_OF - timedelta(days=rng.randint(0, 20)),
                method=PaymentMethod.DIRECT_DEBIT,
                status=PaymentStatus.PENDING,
            )
        )
        payments.extend(pending)
    facts = _facts(rng, account, invoices, currency, digits)
    return account, {
        "invoices": invoices,
        "payments": payments,
        "allocations": allocations,
        "facts": facts,
        "pending": pending,
    }


def _facts(
    rng: random.Random, account: Account, invoices: list[Invoice], currency: str, digits: int
) -> AccountFacts | None:
    roll = rng.random()
    if roll >= 0.15:
        return None
    ago = AS_OF - timedelta(days=rng.randint(1, 40))
    if roll < 0.08:
        return AccountFacts(
            account_id=account.id,
            promises=[
                PromiseToPay(
                    id=f"PTP-{account.id}",
                    account_id=account.id,
                    made_on=ago,
                    due_on=ago + timedelta(days=rng.randint(0, 20)),
                    amount=_money(rng, currency, digits, 10, 5000),
                )
            ],
        )
    if roll < 0.11:
        return AccountFacts(
            account_id=account.id,
            disputes=[
                Dispute(
                    id=f"D-{account.id}",
                    account_id=account.id,
                    invoice_number=invoices[0].number,
                    opened_on=ago,
                )
            ],
        )
    if roll < 0.13:
        return AccountFacts(
            account_id=account.id,
            holds=[
                Hold(
                    id=f"H-{account.id}",
                    account_id=account.id,
                    reason="Fraud check",
                    starts_on=ago,
                    ends_on=AS_OF + timedelta(days=10),
                    suspends=True,
                )
            ],
        )
    return AccountFacts(
        account_id=account.id,
        proceedings=[
            InsolvencyProceeding(
                id=f"RJ-{account.id}",
                account_id=account.id,
                kind="RECEIVERSHIP",
                opened_on=ago,
                ruled_on=None if rng.random() < 0.5 else AS_OF,
            )
        ],
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts instead of 100,000")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args(argv)
    total = args.accounts or (10_000 if args.quick else 100_000)
    rng = random.Random(args.seed)
    policy = SuspensionPolicy()

    statement_seconds = decision_seconds = transition_seconds = 0.0
    suspended = deferred = prepayment = invoices = 0
    for start in range(0, total, args.chunk):
        batch = [generate(rng, i) for i in range(start, min(start + args.chunk, total))]
        invoices += sum(len(ledger["invoices"]) for _, ledger in batch)  # type: ignore[arg-type]
        gc.collect()

        t0 = time.perf_counter()
        statements = [
            build_statement(
                account,
                AS_OF,
                invoices=ledger["invoices"],  # type: ignore[arg-type]
                payments=ledger["payments"],  # type: ignore[arg-type]
                allocations=ledger["allocations"],  # type: ignore[arg-type]
            )
            for account, ledger in batch
        ]
        t1 = time.perf_counter()
        decisions = [
            decide_suspension(
                policy,
                statement,  # type: ignore[arg-type]
                AS_OF,
                facts=ledger["facts"],
                pending=ledger["pending"],  # type: ignore[arg-type]
            )
            for statement, (_, ledger) in zip(statements, batch, strict=True)
        ]
        t2 = time.perf_counter()
        for decision in decisions:
            transition(decision.next_state(None), decision, AS_OF)
        t3 = time.perf_counter()

        statement_seconds += t1 - t0
        decision_seconds += t2 - t1
        transition_seconds += t3 - t2
        suspended += sum(d.suspended for d in decisions)
        deferred += sum(bool(d.deferred) for d in decisions)
        prepayment += sum(d.requires_prepayment for d in decisions)

    ratio = decision_seconds / statement_seconds
    print(f"suspension: {total:,} accounts, {invoices / total:.1f} invoices each on average")
    print(
        f"  suspended {suspended / total:.1%}, held off by a payment in flight "
        f"{deferred / total:.1%}, prepayment only {prepayment / total:.1%}"
    )
    print(
        f"  build_statement (baseline): {total / statement_seconds:>10,.0f} accounts/s "
        f"({statement_seconds / total * 1e6:.1f} us each)"
    )
    print(
        f"  decide_suspension:          {total / decision_seconds:>10,.0f} accounts/s "
        f"({decision_seconds / total * 1e6:.1f} us each)"
    )
    print(
        f"  next_state + transition:    {total / transition_seconds:>10,.0f} accounts/s "
        f"({transition_seconds / total * 1e6:.1f} us each)"
    )
    verdict = "met" if ratio < 1 else "MISSED"
    print(f"  decision cost / statement cost: {ratio:.2f} (target < 1: {verdict})")
    return 0 if ratio < 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
