"""Money in flight: one rule for the ladder and the suspension policy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, AccountMismatch, Money, Payment
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.policies.in_flight import is_in_flight, payments_in_flight

ACCOUNT = Account(id="A-1", name="ACME", currency="EUR")
MONDAY = date(2026, 3, 2)


def debit(received_on: date, status: str = "PENDING", currency: str = "EUR") -> Payment:
    return Payment(
        id=f"DD-{received_on.isoformat()}",
        account_id="A-1",
        amount=Money("10", currency),
        received_on=received_on,
        status=status,
    )


def test_a_pending_payment_counts_through_its_last_business_day_then_not() -> None:
    calendar = BusinessCalendar(holidays={date(2026, 3, 6)})  # a Friday
    payment = debit(MONDAY)
    # 10 business days after Monday 2 March, skipping Friday 6: Tuesday 17 March.
    assert is_in_flight(payment, date(2026, 3, 17), window_days=10, calendar=calendar)
    assert not is_in_flight(payment, date(2026, 3, 18), window_days=10, calendar=calendar)


def test_only_pending_payments_in_the_accounts_currency_count() -> None:
    payments = [debit(MONDAY, "CLEARED"), debit(MONDAY, currency="USD"), debit(MONDAY)]
    found = payments_in_flight(
        payments, ACCOUNT, MONDAY, window_days=10, calendar=BusinessCalendar()
    )
    assert [p.currency for p in found] == ["EUR"] and found[0].status == "PENDING"
    other = Payment(id="X", account_id="A-2", amount=Money("1", "EUR"), received_on=MONDAY)
    with pytest.raises(AccountMismatch):
        payments_in_flight([other], ACCOUNT, MONDAY, window_days=10, calendar=BusinessCalendar())


@given(days_ahead=st.integers(0, 400), window=st.integers(0, 30))
def test_a_payment_dated_on_or_after_the_day_is_always_in_flight(
    days_ahead: int, window: int
) -> None:
    payment = debit(MONDAY + timedelta(days=days_ahead))
    assert is_in_flight(payment, MONDAY, window_days=window, calendar=BusinessCalendar())
