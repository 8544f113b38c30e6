"""Strategies for cash application cases and policies (private)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs
from hypothesis import strategies as st

from dunning_core.domain.account import Account
from dunning_core.domain.invoice import Invoice
from dunning_core.domain.payment import Allocation, Payment
from dunning_core.domain.statement import OpenItem, build_statement
from dunning_core.money import Money
from dunning_core.policies.allocation import (
    AllocationOrder,
    AllocationPolicy,
    Eligibility,
    Tolerance,
)
from dunning_core.testing.strategies._base import _identifiers, _strategy, currencies, dates

__all__ = ["AllocationCase", "allocation_cases", "allocation_policies"]


@attrs.frozen(kw_only=True)
class AllocationCase:
    """Accounts with invoices, some already partly settled, and a payment to apply.

    The payment belongs to ``accounts[0]``; the other accounts are there to be left
    alone (or, under central billing, to share the payer's billing entity).

    Attributes:
        accounts: The accounts; the first is the payer's.
        invoices: Every invoice, of all accounts, with unique numbers.
        prior: Allocations already on file (source ids ``PRIOR-<n>``).
        payment: The payment to apply (CLEARED, identified to ``accounts[0]``).
        as_of: The statement day.
        eligibility: Disputed, held and written-off invoices, and billing entities.
    """

    accounts: tuple[Account, ...]
    invoices: tuple[Invoice, ...]
    prior: tuple[Allocation, ...]
    payment: Payment
    as_of: date
    eligibility: Eligibility

    @property
    def payer(self) -> Account:
        """The payer's account."""
        return self.accounts[0]

    def open_items(self, allocations: Sequence[Allocation] = ()) -> tuple[OpenItem, ...]:
        """Every account's statement items after ``prior`` and ``allocations``."""
        recorded = (*self.prior, *allocations)
        items: list[OpenItem] = []
        for account in self.accounts:
            mine = [i for i in self.invoices if i.account_id == account.id]
            statement = build_statement(account, self.as_of, invoices=mine, allocations=recorded)
            items.extend(statement.items)
        return tuple(items)


@st.composite
def allocation_cases(
    draw: st.DrawFn,
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_accounts: int = 3,
    max_invoices: int = 8,
    exclusions: bool = True,
    mixed_currencies: bool = True,
    payment_units: st.SearchStrategy[int] | None = None,
) -> AllocationCase:
    """Cases for property-testing cash application.

    Due dates are drawn from a few weeks so that ties (same due date, same issue date)
    are common and the invoice number has to break them.

    Args:
        currency: The payer's currency; :func:`currencies` by default.
        max_accounts: Up to this many accounts (at least one, the payer's).
        max_invoices: Up to this many invoices per account.
        exclusions: Whether some invoices are disputed, held or written off.
        mixed_currencies: Whether other accounts may bill in another currency.
        payment_units: The payment amount in minor units; by default up to a little
            more than everything open on the payer's account, so overpayments happen.
    """
    code = draw(currencies() if currency is None else _strategy(currency))
    count = draw(st.integers(1, max_accounts))
    accts: list[Account] = []
    entities: dict[str, str] = {}
    for k in range(1, count + 1):
        other = draw(st.sampled_from(("EUR", "JPY"))) if mixed_currencies and k > 1 else code
        other = draw(st.sampled_from((code, other)))
        accts.append(Account(id=f"A-{k}", name="ACME SARL", currency=other, credit_limit=None))
        if draw(st.booleans()):
            entities[f"A-{k}"] = "E-1"
    per_account = [draw(st.integers(0 if k else 1, max_invoices)) for k in range(count)]
    numbers = draw(
        st.lists(
            st.integers(1, 999), min_size=sum(per_account), max_size=sum(per_account), unique=True
        )
    )
    invs: list[Invoice] = []
    prior: list[Allocation] = []
    for acct, how_many in zip(accts, per_account, strict=True):
        for _ in range(how_many):
            number = f"INV-{numbers[len(invs)]}"
            issued = draw(dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 10)))
            units = draw(st.integers(1, 100_000))
            invoice = Invoice(
                number=number,
                account_id=acct.id,
                issued_on=issued,
                due_on=issued + timedelta(days=draw(st.sampled_from((0, 10, 30)))),
                amount=Money.from_minor(units, acct.currency),
            )
            invs.append(invoice)
            # Untouched, half paid, paid, nearly paid (less open than a typical tax
            # withholding), or anything.
            settled = draw(
                st.one_of(
                    st.sampled_from((0, 0, units // 2, units)),
                    st.integers(min(units - units // 20, units - 1), units - 1),
                    st.integers(0, units),
                )
            )
            if settled:
                prior.append(
                    Allocation(
                        invoice_number=number,
                        amount=Money.from_minor(settled, acct.currency),
                        kind="CASH",
                        source_id=f"PRIOR-{len(prior)}",
                    )
                )
    disputed = held = written_off = frozenset[str]()
    if exclusions and invs:
        pick = st.frozensets(st.sampled_from([i.number for i in invs]), max_size=2)
        disputed, held, written_off = draw(pick), draw(pick), draw(pick)
    payer_open = sum(i.amount.minor_units for i in invs if i.account_id == "A-1")
    units_drawn = draw(
        st.integers(1, max(payer_open + payer_open // 5, 10))
        if payment_units is None
        else payment_units
    )
    payment = Payment(
        id=f"PAY-{draw(_identifiers)}",
        account_id="A-1",
        amount=Money.from_minor(units_drawn, code),
        received_on=date(2026, 3, 1),
    )
    return AllocationCase(
        accounts=tuple(accts),
        invoices=tuple(invs),
        prior=tuple(prior),
        payment=payment,
        as_of=date(2026, 3, 1),
        eligibility=Eligibility(
            disputed=disputed, held=held, written_off=written_off, billing_entities=entities
        ),
    )


def allocation_policies(
    *, orders: Sequence[AllocationOrder] = (AllocationOrder.OLDEST_FIRST,)
) -> st.SearchStrategy[AllocationPolicy]:
    """Allocation policies: central billing on or off, tolerances of 0 to 5 %."""
    tolerance = st.builds(
        Tolerance, percent=st.one_of(st.none(), st.sampled_from(("0.5", "2", "5")))
    )
    return st.builds(
        AllocationPolicy,
        order=st.sampled_from(tuple(orders)),
        central_billing=st.booleans(),
        discount_tolerance=tolerance,
        write_off_tolerance=tolerance,
        withholding_needs_certificate=st.booleans(),
    )
