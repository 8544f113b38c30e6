"""Ladder evaluations per second against the cost of building the statements.

100,000 accounts with 10 open invoices each (1,000,000 invoices), spread over the five
preset ladders; due dates from 70 days ago to 20 days ahead. For each account the run
builds its statement (the baseline), then evaluates its ladder with a steady-state
history (every stage due before today already recorded, as after daily runs). A second
pass evaluates the same statements with empty histories (a first run: every invoice
catches up at once), and a third rebuilds each history from its stored records first.

Accounts are generated and measured in chunks so that memory stays flat. Target: the
ladder adds less than the statements cost (``(statements + ladder) / statements < 2``).

Run: ``.venv/bin/python benchmarks/bench_ladder.py [--quick] [--accounts N]``
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import date, timedelta

from dunning_core import Account, Contact, Invoice, Money, PostalAddress, build_statement
from dunning_core.policies.ladder import (
    DayBasis,
    DunningHistory,
    Ladder,
    StageRecord,
    evaluate_ladder,
    presets,
)

TODAY = date(2026, 6, 15)
CHUNK = 5_000
INVOICES_PER_ACCOUNT = 10
ADDRESS = PostalAddress(
    recipient="Client", lines=["1 rue de la Paix"], postal_code="75002", city="Paris", country="FR"
)
CONTACTS = (Contact(email="ap@example.fr", mobile="+33612345678", postal_address=ADDRESS),)
ZONES = ("Europe/Paris", "Pacific/Noumea", "UTC", "America/New_York")


def stage_days(ladder: Ladder, due: date) -> list[tuple[str, date]]:
    """Each stage's day for an invoice due on ``due`` (the history a daily run leaves)."""
    return [
        (
            stage.key,
            ladder.calendar.shift(due, stage.offset)
            if stage.basis is DayBasis.BUSINESS
            else due + timedelta(days=stage.offset),
        )
        for stage in ladder.stages
    ]


def make_chunk(
    rng: random.Random, start: int, count: int
) -> list[tuple[Account, list[Invoice], tuple[StageRecord, ...], Ladder]]:
    chunk = []
    for n in range(start, start + count):
        account = Account(
            id=f"A-{n:06}",
            name="Client",
            currency="EUR",
            timezone=ZONES[n % len(ZONES)],
            contacts=CONTACTS,
        )
        ladder = presets.ALL[n % len(presets.ALL)]
        invoices = []
        records = []
        for k in range(INVOICES_PER_ACCOUNT):
            due = TODAY + timedelta(days=rng.randint(-70, 20))
            number = f"F-{n:06}-{k:02}"
            issued = due - timedelta(days=30)
            invoices.append(
                Invoice(
                    number=number,
                    account_id=account.id,
                    issued_on=issued,
                    due_on=due,
                    amount=Money.from_minor(rng.randint(1_000, 500_000), "EUR"),
                )
            )
            for key, day in stage_days(ladder, due):
                if issued <= day < TODAY:
                    records.append(
                        StageRecord(
                            account_id=account.id,
                            ladder=ladder.name,
                            stage=key,
                            invoice_numbers=(number,),
                            fired_on=day,
                            skipped=False,
                            action_key=f"{number}/{key}",
                        )
                    )
        chunk.append((account, invoices, tuple(records), ladder))
    return chunk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts instead of 100,000")
    parser.add_argument("--accounts", type=int, default=None)
    args = parser.parse_args()
    accounts = args.accounts or (10_000 if args.quick else 100_000)
    rng = random.Random(20260615)

    t_statements = t_ladder = t_first = t_rebuild = 0.0
    actions = first_actions = 0
    started = time.perf_counter()
    for start in range(0, accounts, CHUNK):
        chunk = make_chunk(rng, start, min(CHUNK, accounts - start))
        histories = [DunningHistory.from_records(r, account_id=a.id) for a, _, r, _ in chunk]

        gc.collect()
        t0 = time.perf_counter()
        statements = [build_statement(a, TODAY, invoices=i) for a, i, _, _ in chunk]
        t1 = time.perf_counter()
        for (_, _, _, ladder), statement, history in zip(chunk, statements, histories, strict=True):
            actions += len(evaluate_ladder(ladder, statement, history, TODAY))
        t2 = time.perf_counter()
        for (account, _, _, ladder), statement in zip(chunk, statements, strict=True):
            empty = DunningHistory.empty(account.id)
            first_actions += len(evaluate_ladder(ladder, statement, empty, TODAY))
        t3 = time.perf_counter()
        for (account, _, records, ladder), statement in zip(chunk, statements, strict=True):
            history = DunningHistory.from_records(records, account_id=account.id)
            evaluate_ladder(ladder, statement, history, TODAY)
        t4 = time.perf_counter()
        t_statements += t1 - t0
        t_ladder += t2 - t1
        t_first += t3 - t2
        t_rebuild += t4 - t3
        del chunk, histories, statements

    invoices = accounts * INVOICES_PER_ACCOUNT
    rows = [
        ("statements only", t_statements, "accounts/s", None),
        ("ladder (steady state)", t_ladder, "evaluations/s", actions),
        ("ladder (first run)", t_first, "evaluations/s", first_actions),
        ("history rebuilt + ladder", t_rebuild, "evaluations/s", None),
    ]
    print(f"ladder benchmark: {accounts:,} accounts x {INVOICES_PER_ACCOUNT} open invoices")
    for label, seconds, unit, count in rows:
        made = f"  {count:,} actions" if count is not None else ""
        print(f"  {label:<26}{seconds:7.2f} s  {accounts / seconds:9,.0f} {unit}{made}")
    per_statement = t_statements / invoices * 1e6
    per_ladder = t_ladder / invoices * 1e6
    print(f"  per invoice: statement {per_statement:.2f} us, ladder {per_ladder:.2f} us")
    for label, extra in [
        ("ladder, steady state", t_ladder),
        ("ladder, first run", t_first),
        ("history rebuilt + ladder", t_rebuild),
    ]:
        ratio = (t_statements + extra) / t_statements
        print(f"  (statements + {label}) / statements = {ratio:.2f}  (target < 2)")
    print(f"  wall time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
