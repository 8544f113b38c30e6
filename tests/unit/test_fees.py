"""Late-payment interest, recovery compensation and statement charges.

Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, Invoice, Money, build_statement
from dunning_core.domain.charges import ChargeKind
from dunning_core.errors import CurrencyMismatch, InvalidField
from dunning_core.policies.fees import (
    RECOVERY_COMPENSATION_EUR,
    DayCount,
    InterestRate,
    interest_over_periods,
    late_interest,
    late_payment_days,
    statement_charges,
)

DUE = date(2026, 1, 31)
EUR_1000 = Money("1000.00", "EUR")
RATE = InterestRate(Decimal("12.15"))


def test_the_issue_example_1000_eur_45_days_late_at_12_15_percent_act_365() -> None:
    # 1000.00 x 12.15 % x 45 / 365 = 14.979452... -> 14.98
    paid_on = date(2026, 3, 17)  # 28 days of February + 17 of March = 45
    assert late_payment_days(DUE, paid_on) == 45
    assert late_interest(EUR_1000, due_on=DUE, until=paid_on, rate=RATE) == Money("14.98", "EUR")


def test_act_360_counts_a_shorter_year() -> None:
    # 1000.00 x 12.15 % x 45 / 360 = 15.1875 -> 15.19
    rate = InterestRate("12.15", DayCount.ACT_360)
    assert late_interest(EUR_1000, due_on=DUE, until=date(2026, 3, 17), rate=rate) == Money(
        "15.19", "EUR"
    )


def test_rounding_is_half_even() -> None:
    # 125.00 x 36.5 % x 1 / 365 = 0.125 exactly -> 0.12 (half-even), not 0.13
    rate = InterestRate("36.5")
    assert late_interest(
        Money("125.00", "EUR"), due_on=DUE, until=DUE + timedelta(days=1), rate=rate
    ) == Money("0.12", "EUR")
    # 135.00 x 36.5 % / 365 = 0.135 -> 0.14 (the even neighbour)
    assert late_interest(
        Money("135.00", "EUR"), due_on=DUE, until=DUE + timedelta(days=1), rate=rate
    ) == Money("0.14", "EUR")


def test_periods_are_rounded_once_at_the_end() -> None:
    # 1.00 x 36.5 % x 5 / 365 = 0.005 per period: each alone rounds to 0.00 (half-even),
    # together they make 0.01 exactly.
    rate = InterestRate("36.5")
    one = Money("1.00", "EUR")
    five = DUE + timedelta(days=5)
    assert late_interest(one, due_on=DUE, until=five, rate=rate) == Money("0.00", "EUR")
    periods = [(one, DUE, five), (one, five, five + timedelta(days=5))]
    assert interest_over_periods(periods, rate, "EUR") == Money("0.01", "EUR")
    with pytest.raises(CurrencyMismatch):
        interest_over_periods([(Money("1", "USD"), DUE, five)], rate, "EUR")


def test_rates_from_a_reference_rate_plus_points() -> None:
    assert InterestRate.reference_plus("4.15", 8).percent == Decimal("12.15")  # EU: ECB + 8
    assert InterestRate.reference_plus(Decimal("2.15"), 10).percent == Decimal(
        "12.15"
    )  # FR: BCE + 10
    assert str(InterestRate("12.15", "ACT/360")) == "12.15 % (ACT/360)"
    with pytest.raises(InvalidField):
        InterestRate(12.15)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        InterestRate("-1")
    with pytest.raises(InvalidField):
        InterestRate("1", "30/360")


def test_recovery_compensation_is_40_eur() -> None:
    assert Money("40.00", "EUR") == RECOVERY_COMPENSATION_EUR


amounts = st.integers(1, 10**9).map(lambda cents: Money.from_minor(cents, "EUR"))
rates = st.decimals(min_value=0, max_value=50, places=2).map(InterestRate)


@given(amounts, rates, st.integers(-400, 0))
def test_interest_is_zero_on_or_before_the_due_date(
    amount: Money, rate: InterestRate, days: int
) -> None:
    assert late_interest(amount, due_on=DUE, until=DUE + timedelta(days=days), rate=rate).is_zero


@given(amounts, rates, st.integers(0, 2000), st.integers(0, 2000), st.sampled_from(DayCount))
def test_interest_is_monotonic_in_days(
    amount: Money, rate: InterestRate, a: int, b: int, basis: DayCount
) -> None:
    rate = InterestRate(rate.percent, basis)
    short, long = sorted((a, b))
    earlier = late_interest(amount, due_on=DUE, until=DUE + timedelta(days=short), rate=rate)
    later = late_interest(amount, due_on=DUE, until=DUE + timedelta(days=long), rate=rate)
    assert earlier <= later


@given(amounts, amounts, rates, st.integers(0, 2000))
def test_interest_is_monotonic_in_amount(x: Money, y: Money, rate: InterestRate, days: int) -> None:
    small, big = sorted((x, y))
    until = DUE + timedelta(days=days)
    assert late_interest(small, due_on=DUE, until=until, rate=rate) <= late_interest(
        big, due_on=DUE, until=until, rate=rate
    )


@given(amounts, rates, st.integers(1, 2000))
def test_interest_matches_a_fraction_reference(
    amount: Money, rate: InterestRate, days: int
) -> None:
    from fractions import Fraction

    exact = Fraction(amount.amount) * Fraction(rate.percent) / 100 * days / 365
    cents = exact * 100
    floor = cents.numerator // cents.denominator
    rest = cents - floor
    rounded = floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)
    found = late_interest(amount, due_on=DUE, until=DUE + timedelta(days=days), rate=rate)
    assert found.minor_units == rounded


def test_statement_charges_are_lines_of_their_own() -> None:
    account = Account(id="A-1", name="SAS", currency="EUR", timezone="Europe/Paris")
    late = Invoice(
        number="F-1", account_id="A-1", issued_on=date(2026, 1, 1), due_on=DUE, amount=EUR_1000
    )
    current = Invoice(
        number="F-2",
        account_id="A-1",
        issued_on=date(2026, 3, 1),
        due_on=date(2026, 3, 31),
        amount=EUR_1000,
    )
    on = date(2026, 3, 17)
    plain = build_statement(account, on, invoices=[late, current])
    charges = statement_charges(plain, rate=RATE, compensation=RECOVERY_COMPENSATION_EUR)
    assert [(c.kind, c.invoice_number, c.amount) for c in charges] == [
        (ChargeKind.LATE_INTEREST, "F-1", Money("14.98", "EUR")),
        (ChargeKind.RECOVERY_COMPENSATION, "F-1", Money("40.00", "EUR")),
    ]
    assert "45 days at 12.15 % (ACT/365) on 1000.00 EUR" in charges[0].detail
    charged = build_statement(account, on, invoices=[late, current], charges=charges)
    assert charged.charges_total == Money("54.98", "EUR")
    assert charged.balance == plain.balance == Money("2000.00", "EUR")
    assert charged.items == plain.items  # never mixed into the invoice amounts
    assert charged.total_due == Money("2054.98", "EUR")
    tomorrow = statement_charges(
        build_statement(account, on + timedelta(days=1), invoices=[late]), rate=RATE
    )
    assert tomorrow[0].key != charges[0].key  # each day's interest is a new figure
    recovery_again = statement_charges(
        build_statement(account, on + timedelta(days=1), invoices=[late]),
        compensation=RECOVERY_COMPENSATION_EUR,
    )
    assert recovery_again[0].key == charges[1].key  # compensation is booked once per invoice
    with pytest.raises(CurrencyMismatch):
        statement_charges(plain, compensation=Money("40.00", "USD"))
    assert statement_charges(plain) == ()
