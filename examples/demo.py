"""``make demo``: the sample portfolio's statements and aging, in a readable table."""

from __future__ import annotations

from datetime import timedelta

from dunning_core import AgingBucket, build_statement
from examples.scenario import load


def main() -> None:
    scenario = load()
    as_of = scenario.start + timedelta(days=30)
    print(f"Statements on {as_of.isoformat()} (before any payment is applied)\n")
    header = f"{'account':<7} {'name':<34} {'balance':>16} {'overdue':>16} {'oldest':>6}  "
    header += " ".join(f"{bucket.value:>12}" for bucket in AgingBucket)
    print(header)
    print("-" * len(header))
    for account in scenario.accounts:
        invoices = [i for i in scenario.invoices if i.account_id == account.id]
        statement = build_statement(account, as_of, invoices=invoices)
        aging = " ".join(f"{statement.aging[b].amount:>12}" for b in AgingBucket)
        print(
            f"{account.id:<7} {account.name[:34]:<34} {statement.balance!s:>16} "
            f"{statement.overdue_balance!s:>16} {statement.oldest_days_past_due:>6}  {aging}"
        )


if __name__ == "__main__":
    main()
