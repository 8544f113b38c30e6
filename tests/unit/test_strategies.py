"""The shipped strategies draw valid, consistent data and plug into st.from_type."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, CreditNote, Invoice, Money, Payment, PaymentStatus
from dunning_core.money import minor_unit
from dunning_core.testing import strategies as ds
from dunning_core.testing.strategies import Portfolio


@given(ds.portfolios())
def test_portfolios_are_consistent(portfolio: Portfolio) -> None:
    account = portfolio.account
    numbers = [i.number for i in portfolio.invoices]
    assert len(numbers) == len(set(numbers))
    assert all(i.account_id == account.id for i in portfolio.invoices)
    assert all(i.currency == account.currency for i in portfolio.invoices)
    assert all(p.account_id == account.id for p in portfolio.payments)
    assert all(n.account_id == account.id for n in portfolio.credit_notes)
    for note in portfolio.credit_notes:
        assert note.credits_invoice is None or note.credits_invoice in numbers
    for advice in portfolio.advices:
        assert advice.payment_id in {p.id for p in portfolio.payments}
        assert {line.invoice_number for line in advice.lines} <= set(numbers)
    portfolio.statement()  # builds without error


@given(ds.money(currency=ds.currencies(every=True)))
def test_money_strategy_respects_each_currency_minor_unit(money: Money) -> None:
    assert money.amount.as_tuple().exponent == -minor_unit(money.currency)


@given(ds.payments(status=st.sampled_from(PaymentStatus), amount=Money("5", "JPY")))
def test_keyword_arguments_accept_values_or_strategies(payment: Payment) -> None:
    assert payment.amount == Money("5", "JPY")


@given(
    st.from_type(Invoice),
    st.from_type(Account),
    st.from_type(Payment),
    st.from_type(CreditNote),
    st.from_type(Money),
)
def test_types_resolve_through_the_hypothesis_entry_point(
    invoice: Invoice, account: Account, payment: Payment, note: CreditNote, money: Money
) -> None:
    assert isinstance(invoice, Invoice) and invoice.due_on >= invoice.issued_on
    assert isinstance(account, Account)
    assert isinstance(payment, Payment) and payment.amount.is_positive
    assert isinstance(note, CreditNote)
    assert isinstance(money, Money)


def test_minimal_portfolio_shrinks_to_something_readable() -> None:
    from hypothesis import find

    smallest = find(ds.portfolios(), lambda p: True)
    assert len(smallest.invoices) == 1
    assert smallest.account.currency == "EUR"
    assert smallest.payments == ()
