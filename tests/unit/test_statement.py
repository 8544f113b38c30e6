from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import (
    Account,
    AccountMismatch,
    AgingBucket,
    Allocation,
    AllocationKind,
    CreditNote,
    CurrencyMismatch,
    InvalidAsOf,
    InvalidField,
    Invoice,
    ItemStatus,
    Money,
    Payment,
    PaymentStatus,
    build_statement,
)
from dunning_core.testing import strategies as ds
from dunning_core.testing.strategies import Portfolio

ACCOUNT = Account(id="A-1", name="ACME", currency="EUR", timezone="Europe/Paris")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def inv(number: str, due: date, amount: str, issued: date | None = None) -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=issued or due - timedelta(days=30),
        due_on=due,
        amount=eur(amount),
    )


def cash(invoice: str, amount: str, source: str = "P-1") -> Allocation:
    return Allocation(invoice_number=invoice, amount=eur(amount), kind="CASH", source_id=source)


def pay(pid: str, amount: str, status: PaymentStatus = PaymentStatus.CLEARED) -> Payment:
    return Payment(
        id=pid, account_id="A-1", amount=eur(amount), received_on=date(2026, 1, 1), status=status
    )


# --- hand-worked examples ----------------------------------------------------------------


def test_days_past_due_are_zero_through_the_due_date() -> None:
    invoices = [inv("F-1", date(2026, 3, 31), "100")]
    assert (
        build_statement(ACCOUNT, date(2026, 3, 31), invoices=invoices).items[0].days_past_due == 0
    )
    assert build_statement(ACCOUNT, date(2026, 4, 1), invoices=invoices).items[0].days_past_due == 1
    assert (
        build_statement(ACCOUNT, date(2026, 5, 1), invoices=invoices).items[0].days_past_due == 31
    )


def test_a_customer_with_three_overdue_invoices_and_one_partial_payment() -> None:
    invoices = [
        inv("F-3", date(2026, 3, 1), "300.00"),
        inv("F-1", date(2026, 1, 1), "100.00"),
        inv("F-2", date(2026, 2, 1), "200.00"),
    ]
    allocations = [cash("F-1", "100.00"), cash("F-2", "50.00")]
    statement = build_statement(
        ACCOUNT,
        date(2026, 3, 15),
        invoices=invoices,
        payments=[pay("P-1", "150.00")],
        allocations=allocations,
    )
    assert [i.number for i in statement.items] == ["F-1", "F-2", "F-3"]
    assert [i.status for i in statement.items] == [
        ItemStatus.PAID,
        ItemStatus.PARTIALLY_PAID,
        ItemStatus.OPEN,
    ]
    assert [i.open_amount for i in statement.items] == [eur("0"), eur("150"), eur("300")]
    assert [i.days_past_due for i in statement.items] == [0, 42, 14]
    assert statement.balance == eur("450")
    assert statement.overdue_balance == eur("450")
    assert statement.oldest_days_past_due == 42
    assert statement.unapplied == eur("0")
    assert statement.aging[AgingBucket.D1_30] == eur("300")
    assert statement.aging[AgingBucket.D31_60] == eur("150")
    assert statement.aging[AgingBucket.CURRENT] == eur("0")
    assert [i.number for i in statement.open_items] == ["F-2", "F-3"]


def test_paying_the_same_invoice_twice_shows_as_overpaid() -> None:
    invoices = [inv("F-1", date(2026, 1, 31), "80.00")]
    statement = build_statement(
        ACCOUNT,
        date(2026, 2, 10),
        invoices=invoices,
        payments=[pay("P-1", "80.00"), pay("P-2", "80.00")],
        allocations=[cash("F-1", "80.00", "P-1"), cash("F-1", "80.00", "P-2")],
    )
    assert statement.items[0].status is ItemStatus.PAID
    assert statement.items[0].settled == eur("80.00")
    assert statement.balance == eur("0")
    assert statement.unapplied == eur("80.00")
    assert statement.net_balance == eur("-80.00")


def test_withholding_settles_the_invoice_without_consuming_cash() -> None:
    invoices = [inv("F-1", date(2026, 1, 31), "100.00")]
    statement = build_statement(
        ACCOUNT,
        date(2026, 2, 10),
        invoices=invoices,
        payments=[pay("P-1", "95.00")],
        allocations=[
            cash("F-1", "95.00"),
            Allocation(
                invoice_number="F-1",
                amount=eur("5.00"),
                kind=AllocationKind.WITHHOLDING,
                source_id="P-1",
                reference="CERT-7",
            ),
        ],
    )
    assert statement.items[0].status is ItemStatus.PAID
    assert statement.unapplied == eur("0")


@pytest.mark.parametrize(
    "status", [PaymentStatus.CHARGED_BACK, PaymentStatus.FAILED, PaymentStatus.PENDING]
)
def test_only_cleared_payments_settle_invoices(status: PaymentStatus) -> None:
    invoices = [inv("F-1", date(2026, 1, 31), "100.00")]
    statement = build_statement(
        ACCOUNT,
        date(2026, 2, 10),
        invoices=invoices,
        payments=[pay("P-1", "100.00", status)],
        allocations=[cash("F-1", "100.00")],
    )
    assert statement.items[0].status is ItemStatus.OPEN
    assert statement.balance == eur("100.00")
    assert statement.unapplied == eur("0")
    expected_pending = "100.00" if status is PaymentStatus.PENDING else "0"
    assert statement.pending == eur(expected_pending)


def test_unallocated_credit_notes_and_pending_payments() -> None:
    invoices = [inv("F-1", date(2026, 1, 31), "100.00")]
    note = CreditNote(number="C-1", account_id="A-1", issued_on=date(2026, 2, 1), amount=eur("30"))
    statement = build_statement(
        ACCOUNT,
        date(2026, 2, 10),
        invoices=invoices,
        credit_notes=[note],
        payments=[pay("P-9", "70.00", PaymentStatus.PENDING)],
    )
    assert statement.unapplied == eur("30")
    assert statement.pending == eur("70")
    assert statement.balance == eur("100")


def test_payments_in_another_currency_are_listed_not_counted() -> None:
    usd = Payment(
        id="P-U", account_id="A-1", amount=Money("10", "USD"), received_on=date(2026, 1, 1)
    )
    statement = build_statement(
        ACCOUNT, date(2026, 2, 1), invoices=[inv("F-1", date(2026, 1, 31), "10")], payments=[usd]
    )
    assert statement.other_currency_payments == (usd,)
    assert statement.unapplied == eur("0")


def test_central_billing_allocation_consumes_the_payers_cash() -> None:
    # A-1 paid an invoice of its sister account A-2: A-1's payment is consumed, A-1's own
    # invoice is untouched.
    allocations = [cash("F-OTHER", "40.00")]
    statement = build_statement(
        ACCOUNT,
        date(2026, 2, 1),
        invoices=[inv("F-1", date(2026, 1, 31), "10")],
        payments=[pay("P-1", "50.00")],
        allocations=allocations,
    )
    assert statement.unapplied == eur("10.00")
    assert statement.balance == eur("10")


# --- errors ----------------------------------------------------------------------------


def test_records_of_another_account_are_refused() -> None:
    other = attrs.evolve(inv("F-1", date(2026, 1, 31), "10"), account_id="A-2")
    with pytest.raises(AccountMismatch, match=r"Invoice.account_id='A-2'"):
        build_statement(ACCOUNT, date(2026, 2, 1), invoices=[other])
    stranger = attrs.evolve(pay("P-1", "1"), account_id="A-2")
    with pytest.raises(AccountMismatch, match="Payment.account_id"):
        build_statement(ACCOUNT, date(2026, 2, 1), invoices=[], payments=[stranger])


def test_invoices_in_another_currency_are_refused() -> None:
    usd = attrs.evolve(inv("F-1", date(2026, 1, 31), "10"), amount=Money("10", "USD"))
    with pytest.raises(CurrencyMismatch, match="invoice F-1"):
        build_statement(ACCOUNT, date(2026, 2, 1), invoices=[usd])


def test_duplicate_invoice_numbers_are_refused() -> None:
    one = inv("F-1", date(2026, 1, 31), "10")
    with pytest.raises(InvalidField, match="Invoice.number='F-1'"):
        build_statement(ACCOUNT, date(2026, 2, 1), invoices=[one, one])


def test_allocations_beyond_what_a_payment_holds_are_refused() -> None:
    with pytest.raises(InvalidField, match="more than payment 'P-1' holds"):
        build_statement(
            ACCOUNT,
            date(2026, 2, 1),
            invoices=[inv("F-1", date(2026, 1, 31), "100")],
            payments=[pay("P-1", "10.00")],
            allocations=[cash("F-1", "20.00")],
        )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidAsOf, match="as_of"):
        build_statement(ACCOUNT, datetime(2026, 2, 1, 12, 0), invoices=[])


# --- timezones -------------------------------------------------------------------------


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def machine_timezone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test under several machine timezones: the result must not change."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_noumea_invoice_is_one_day_late_at_half_past_midnight_local(machine_timezone: str) -> None:
    noumea = Account(id="A-1", name="Kanak", currency="XPF", timezone="Pacific/Noumea")
    due_31 = Invoice(
        number="F-1",
        account_id="A-1",
        issued_on=date(2026, 1, 1),
        due_on=date(2026, 1, 31),
        amount=Money("5000", "XPF"),
    )
    local = datetime(2026, 2, 1, 0, 30, tzinfo=ZoneInfo("Pacific/Noumea"))
    as_utc = local.astimezone(UTC)  # 2026-01-31 13:30 UTC: still the 31st in UTC
    assert as_utc.date() == date(2026, 1, 31)
    statement = build_statement(noumea, as_utc, invoices=[due_31])
    assert statement.as_of == date(2026, 2, 1)
    assert statement.items[0].days_past_due == 1


def test_paris_dst_change_does_not_shift_the_day(machine_timezone: str) -> None:
    # Clocks go forward at 02:00 on 29 March 2026 in Paris.
    due = inv("F-1", date(2026, 3, 28), "10")
    just_after_midnight = datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    after_change = datetime(2026, 3, 29, 23, 59, tzinfo=ZoneInfo("Europe/Paris"))
    for moment in (just_after_midnight, after_change):
        statement = build_statement(ACCOUNT, moment.astimezone(UTC), invoices=[due])
        assert statement.items[0].days_past_due == 1
    next_day = datetime(2026, 3, 30, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert build_statement(ACCOUNT, next_day, invoices=[due]).items[0].days_past_due == 2


# --- properties ---------------------------------------------------------------------------


@st.composite
def allocated_portfolios(draw: st.DrawFn) -> Portfolio:
    """Portfolios whose payments are allocated (cash, partially, in random order)."""
    portfolio = draw(ds.portfolios())
    allocations = []
    for payment in portfolio.payments:
        left = payment.amount.minor_units
        for invoice in draw(st.permutations(portfolio.invoices)):
            if left == 0:
                break
            units = draw(st.integers(0, min(left, invoice.amount.minor_units)))
            if units:
                allocations.append(
                    Allocation(
                        invoice_number=invoice.number,
                        amount=Money.from_minor(units, payment.currency),
                        kind=AllocationKind.CASH,
                        source_id=payment.id,
                    )
                )
                left -= units
    return attrs.evolve(portfolio, allocations=tuple(allocations))


@given(allocated_portfolios())
def test_balance_equals_the_sum_of_open_amounts(portfolio: Portfolio) -> None:
    statement = portfolio.statement()
    currency = portfolio.account.currency
    assert statement.balance == Money.sum((i.open_amount for i in statement.items), currency)
    assert statement.overdue_balance == Money.sum(
        (i.open_amount for i in statement.items if i.days_past_due > 0), currency
    )


@given(allocated_portfolios())
def test_aging_buckets_add_up_to_the_balance(portfolio: Portfolio) -> None:
    statement = portfolio.statement()
    assert list(statement.aging) == list(AgingBucket)
    assert Money.sum(statement.aging.values(), portfolio.account.currency) == statement.balance


@given(allocated_portfolios())
def test_days_past_due_are_never_negative_and_match_the_calendar(portfolio: Portfolio) -> None:
    statement = portfolio.statement()
    for item in statement.items:
        assert item.days_past_due >= 0
        if item.is_open:
            assert item.days_past_due == max(0, (portfolio.as_of - item.due_on).days)
    assert statement.oldest_days_past_due == max(
        (i.days_past_due for i in statement.open_items), default=0
    )


@given(allocated_portfolios())
def test_open_amounts_stay_between_zero_and_the_invoice_amount(portfolio: Portfolio) -> None:
    for item in portfolio.statement().items:
        assert Money.zero(item.open_amount.currency) <= item.open_amount <= item.invoice.amount
        assert item.open_amount + item.settled == item.invoice.amount


@given(allocated_portfolios())
def test_money_is_conserved_between_invoices_and_credit(portfolio: Portfolio) -> None:
    # Everything that came in (cleared cash, credit notes) is either settling an invoice or
    # unapplied credit: nothing is created or lost.
    statement = portfolio.statement()
    currency = portfolio.account.currency
    on = portfolio.as_of
    came_in = Money.sum(
        (
            p.amount
            for p in portfolio.payments
            if p.status is PaymentStatus.CLEARED and p.received_on <= on
        ),
        currency,
    ) + Money.sum((n.amount for n in portfolio.credit_notes if n.issued_on <= on), currency)
    settled = Money.sum((i.settled for i in statement.items), currency)
    assert settled + statement.unapplied == came_in


@given(allocated_portfolios(), st.randoms(use_true_random=False))
def test_a_statement_is_unchanged_by_the_order_of_its_inputs(
    portfolio: Portfolio, rnd: st.SearchStrategy[object]
) -> None:
    def shuffled(items: tuple[object, ...]) -> list[object]:
        copy = list(items)
        rnd.shuffle(copy)  # type: ignore[attr-defined]
        return copy

    original = portfolio.statement()
    reordered = build_statement(
        portfolio.account,
        portfolio.as_of,
        invoices=shuffled(portfolio.invoices),  # type: ignore[arg-type]
        credit_notes=shuffled(portfolio.credit_notes),  # type: ignore[arg-type]
        payments=shuffled(portfolio.payments),  # type: ignore[arg-type]
        allocations=shuffled(portfolio.allocations),  # type: ignore[arg-type]
    )
    assert reordered == original


def test_a_statement_shows_only_what_existed_on_its_day() -> None:
    early = inv("F-1", date(2026, 1, 31), "100.00", issued=date(2026, 1, 1))
    later = inv("F-2", date(2026, 3, 31), "50.00", issued=date(2026, 3, 1))
    payment = attrs.evolve(pay("P-1", "100.00"), received_on=date(2026, 2, 20))
    note = CreditNote(number="C-1", account_id="A-1", issued_on=date(2026, 2, 25), amount=eur("5"))
    kwargs = {
        "invoices": [early, later],
        "payments": [payment],
        "credit_notes": [note],
        "allocations": [cash("F-1", "100.00")],
    }
    before = build_statement(ACCOUNT, date(2026, 2, 10), **kwargs)  # type: ignore[arg-type]
    assert [i.number for i in before.items] == ["F-1"]
    assert before.balance == eur("100.00")
    assert before.unapplied == eur("0")
    after = build_statement(ACCOUNT, date(2026, 3, 1), **kwargs)  # type: ignore[arg-type]
    assert [i.number for i in after.items] == ["F-1", "F-2"]
    assert after.balance == eur("50.00")
    assert after.unapplied == eur("5")


def test_refunds_lower_the_credit_and_never_below_zero() -> None:
    from dunning_core.domain.payment import Refund

    account = Account(id="A-1", name="ACME", currency="EUR")
    paid = Payment(id="P-1", account_id="A-1", amount=eur("80.00"), received_on=date(2026, 3, 1))
    back = Refund(id="R-1", account_id="A-1", amount=eur("30.00"), refunded_on=date(2026, 3, 2))
    sheet = build_statement(account, date(2026, 3, 3), invoices=[], payments=[paid], refunds=[back])
    assert (sheet.unapplied, sheet.refunded, sheet.refunds) == (eur("50.00"), eur("30.00"), (back,))
    too_much = attrs.evolve(back, id="R-2", amount=eur("60.00"))
    with pytest.raises(InvalidField, match="exceed the account's credit"):
        build_statement(
            account, date(2026, 3, 3), invoices=[], payments=[paid], refunds=[back, too_much]
        )


@given(portfolio=ds.portfolios(), share=st.integers(0, 100))
def test_a_refund_of_part_of_the_credit_conserves_money(portfolio: Portfolio, share: int) -> None:
    """Invariant: unapplied credit after a refund + the refund == unapplied before."""
    from dunning_core.domain.payment import Refund

    before = portfolio.statement()
    units = before.unapplied.minor_units * share // 100
    if units <= 0:
        return
    amount = Money.from_minor(units, before.currency)
    back = Refund(
        id="R-1", account_id=portfolio.account.id, amount=amount, refunded_on=before.as_of
    )
    after = build_statement(
        portfolio.account,
        portfolio.as_of,
        invoices=portfolio.invoices,
        credit_notes=portfolio.credit_notes,
        payments=portfolio.payments,
        allocations=portfolio.allocations,
        refunds=[back],
    )
    assert after.unapplied + after.refunded == before.unapplied
    assert after.balance == before.balance
