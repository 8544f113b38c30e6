"""Strategies for the ledger: invoices, credit notes, payments, remittance advices,
and whole portfolios (private)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs
from hypothesis import strategies as st

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.payment import Allocation, Payment, PaymentMethod, PaymentStatus
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.statement import AccountStatement, build_statement
from dunning_core.money import Money
from dunning_core.testing.strategies._accounts import accounts
from dunning_core.testing.strategies._base import _EPOCH, _identifiers, _strategy, dates, money

__all__ = [
    "Portfolio",
    "credit_notes",
    "invoices",
    "payments",
    "portfolios",
    "remittance_advices",
]


@st.composite
def invoices(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    number: str | st.SearchStrategy[str] | None = None,
    issued_on: date | st.SearchStrategy[date] | None = None,
    amount: Money | st.SearchStrategy[Money] | None = None,
    terms_days: int | st.SearchStrategy[int] | None = None,
) -> Invoice:
    """Valid invoices of ``account`` (an account is drawn when none is given).

    Args:
        account: The account billed.
        number: The invoice number; ``"INV-<n>"`` by default.
        issued_on: Issue date; :func:`dates` by default.
        amount: The amount; a positive Money in the account's currency by default.
        terms_days: Days from issue to due date; 0 to 90 by default.
    """
    acct = draw(accounts() if account is None else _strategy(account))
    issued = draw(dates() if issued_on is None else _strategy(issued_on))
    days = draw(st.integers(0, 90) if terms_days is None else _strategy(terms_days))
    return Invoice(
        number=draw(_identifiers.map("INV-{}".format) if number is None else _strategy(number)),
        account_id=acct.id,
        issued_on=issued,
        due_on=issued + timedelta(days=days),
        amount=draw(money(currency=acct.currency) if amount is None else _strategy(amount)),
    )


@st.composite
def credit_notes(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    credits: Sequence[Invoice] = (),
) -> CreditNote:
    """Credit notes of ``account``, crediting one of ``credits`` or none."""
    acct = draw(accounts() if account is None else _strategy(account))
    target = draw(st.one_of(st.none(), st.sampled_from(credits))) if credits else None
    return CreditNote(
        number=draw(_identifiers.map("CN-{}".format)),
        account_id=acct.id,
        issued_on=draw(dates()),
        amount=draw(money(currency=acct.currency, max_units=100_000)),
        credits_invoice=None if target is None else target.number,
    )


@st.composite
def payments(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    id: str | st.SearchStrategy[str] | None = None,
    amount: Money | st.SearchStrategy[Money] | None = None,
    status: PaymentStatus | st.SearchStrategy[PaymentStatus] = PaymentStatus.CLEARED,
    received_on: date | st.SearchStrategy[date] | None = None,
) -> Payment:
    """Payments of ``account``; CLEARED unless ``status`` says otherwise."""
    acct = draw(accounts() if account is None else _strategy(account))
    return Payment(
        id=draw(_identifiers.map("PAY-{}".format) if id is None else _strategy(id)),
        account_id=acct.id,
        amount=draw(money(currency=acct.currency) if amount is None else _strategy(amount)),
        received_on=draw(dates() if received_on is None else _strategy(received_on)),
        method=draw(st.sampled_from(PaymentMethod)),
        status=draw(_strategy(status)),
        bank_reference=draw(st.sampled_from(("", "VIR SEPA", "FACTURE"))),
    )


@st.composite
def remittance_advices(
    draw: st.DrawFn,
    *,
    for_invoices: Sequence[Invoice],
    payment: Payment | st.SearchStrategy[Payment] | None = None,
    withholding: bool | st.SearchStrategy[bool] | None = None,
) -> RemittanceAdvice:
    """Advices naming a non-empty subset of ``for_invoices``.

    Each line pays part or all of its invoice; with ``withholding`` some lines declare
    tax withheld (up to 10 % of the invoice). The advice's currency is the invoices'.

    Args:
        for_invoices: The invoices an advice may name (at least one, one currency).
        payment: The payment described; one in the invoices' currency is drawn if None.
        withholding: Whether lines may declare withholding tax; drawn by default.
    """
    if not for_invoices:
        raise ValueError("remittance_advices(for_invoices=...) needs at least one invoice")
    currency = for_invoices[0].currency
    named = draw(st.lists(st.sampled_from(for_invoices), min_size=1, unique_by=lambda i: i.number))
    may_withhold = draw(st.booleans() if withholding is None else _strategy(withholding))
    lines = []
    for invoice in named:
        units = invoice.amount.minor_units
        withheld = draw(st.integers(0, units // 10)) if may_withhold else 0
        paid = draw(st.integers(0 if withheld else 1, max(units - withheld, 1)))
        lines.append(
            RemittanceLine(
                invoice_number=invoice.number,
                amount_paid=Money.from_minor(paid, currency),
                tax_withheld=Money.from_minor(withheld, currency),
                certificate="CERT-1" if withheld else None,
            )
        )
    if payment is None:
        cash = sum(line.amount_paid.minor_units for line in lines)
        pay = Payment(
            id=draw(_identifiers.map("PAY-{}".format)),
            account_id=for_invoices[0].account_id,
            amount=Money.from_minor(max(cash, 1), currency),
            received_on=max(i.issued_on for i in named),
        )
    else:
        pay = draw(_strategy(payment))
    return RemittanceAdvice(payment_id=pay.id, lines=lines)


@attrs.frozen(kw_only=True)
class Portfolio:
    """One consistent account with its ledger, as :func:`portfolios` draws it.

    ``allocations`` is empty unless you record some: the statement then shows every
    payment and credit note as unapplied credit.
    """

    account: Account
    invoices: tuple[Invoice, ...]
    credit_notes: tuple[CreditNote, ...] = ()
    payments: tuple[Payment, ...] = ()
    advices: tuple[RemittanceAdvice, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    as_of: date = _EPOCH

    def statement(self, as_of: AsOf | None = None) -> AccountStatement:
        """The account statement on ``as_of`` (the portfolio's own date by default)."""
        return build_statement(
            self.account,
            self.as_of if as_of is None else as_of,
            invoices=self.invoices,
            credit_notes=self.credit_notes,
            payments=self.payments,
            allocations=self.allocations,
        )


@st.composite
def portfolios(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    min_invoices: int = 1,
    max_invoices: int = 8,
    max_payments: int = 3,
    max_credit_notes: int = 2,
    with_advices: bool = True,
) -> Portfolio:
    """One account with invoices, credit notes, payments and remittance advices, all in
    the account's currency and consistent with each other (unique numbers, payments
    identified to the account, advices naming its invoices).

    The portfolio's ``as_of`` is drawn between the first issue date and 200 days after
    the last due date, so statements see current and overdue items.
    """
    acct = draw(accounts() if account is None else _strategy(account))
    count = draw(st.integers(min_invoices, max_invoices))
    numbers = draw(st.lists(_identifiers, min_size=count, max_size=count, unique=True))
    amounts = money(currency=acct.currency, max_units=1_000_000)
    invs = tuple(draw(invoices(account=acct, number=f"INV-{n}", amount=amounts)) for n in numbers)
    notes = tuple(
        attrs.evolve(draw(credit_notes(account=acct, credits=invs)), number=f"CN-{k}")
        for k in range(draw(st.integers(0, max_credit_notes)))
    )
    pays = tuple(
        draw(payments(account=acct, id=f"PAY-{k}", status=st.sampled_from(PaymentStatus)))
        for k in range(draw(st.integers(0, max_payments)))
    )
    advices: tuple[RemittanceAdvice, ...] = ()
    if with_advices and invs and pays and draw(st.booleans()):
        advices = (draw(remittance_advices(for_invoices=invs, payment=pays[0])),)
    start = min(i.issued_on for i in invs) if invs else _EPOCH
    end = max(i.due_on for i in invs) + timedelta(days=200) if invs else _EPOCH
    as_of = draw(dates(min_value=start, max_value=end))
    return Portfolio(
        account=acct,
        invoices=invs,
        credit_notes=notes,
        payments=pays,
        advices=advices,
        as_of=as_of,
    )
