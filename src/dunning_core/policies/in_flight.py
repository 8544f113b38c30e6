"""Money in flight: the one rule for "a payment is on its way".

A PENDING payment (a direct debit, a scheduled card retry) is money in flight on a day
when it is dated at most ``window_days`` business days before that day, or later than
it (a retry scheduled ahead). Past its clearing window it will not arrive, and counts
for nothing. The ladder pauses the invoices such money covers; the suspension policy
holds off the reasons it covers. Both call :func:`payments_in_flight`.

>>> from datetime import date
>>> from dunning_core import Account, Money, Payment
>>> from dunning_core.domain.calendar import BusinessCalendar
>>> acct = Account(id="A-1", name="ACME", currency="EUR")
>>> debit = Payment(id="DD-1", account_id="A-1", amount=Money("80", "EUR"),
...                 received_on=date(2026, 3, 2), status="PENDING")  # a Monday
>>> [p.id for p in payments_in_flight([debit], acct, date(2026, 3, 16),
...                                   window_days=10, calendar=BusinessCalendar())]
['DD-1']
>>> payments_in_flight([debit], acct, date(2026, 3, 17), window_days=10,
...                    calendar=BusinessCalendar())
()

.. versionadded:: 0.2
   The ladder and the suspension policy each had their own version of this rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from dunning_core.domain.account import Account
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.errors import AccountMismatch

__all__ = ["flight_ends_on", "is_in_flight", "payments_in_flight"]


def is_in_flight(
    payment: Payment, on: date, *, window_days: int, calendar: BusinessCalendar
) -> bool:
    """True when ``payment`` is PENDING and still within its clearing window on ``on``.

    Args:
        payment: The payment.
        on: The account-local day.
        window_days: Business days a pending payment stays credible after its date.
        calendar: Which days are business days.
    """
    if payment.status is not PaymentStatus.PENDING:
        return False
    received = payment.received_on
    return on <= received or calendar.add_business_days(received, window_days) >= on


def flight_ends_on(payment: Payment, *, window_days: int, calendar: BusinessCalendar) -> date:
    """The first day on which ``payment``, if still PENDING, is no longer in flight.

    The day after the last day of its clearing window (or after its date, for a
    payment dated beyond the window): where :func:`is_in_flight` turns false and stays
    false, so a policy that relies on money in flight can change that day.

    >>> from dunning_core import Money, Payment
    >>> debit = Payment(id="DD-1", account_id="A-1", amount=Money("80", "EUR"),
    ...                 received_on=date(2026, 3, 2), status="PENDING")  # a Monday
    >>> flight_ends_on(debit, window_days=10, calendar=BusinessCalendar())
    datetime.date(2026, 3, 17)

    .. versionadded:: 0.2
    """
    last = calendar.add_business_days(payment.received_on, window_days)
    return max(last, payment.received_on) + timedelta(days=1)


def payments_in_flight(
    payments: Iterable[Payment],
    account: Account,
    on: date,
    *,
    window_days: int,
    calendar: BusinessCalendar,
) -> tuple[Payment, ...]:
    """The account's payments in flight on ``on``, in its currency, by id.

    Args:
        payments: The account's payments, any status (others than PENDING are ignored,
            and so are payments in another currency).
        account: The account.
        on: The account-local day.
        window_days: Business days a pending payment stays credible after its date.
        calendar: Which days are business days.

    Returns:
        The payments, sorted by id.

    Raises:
        AccountMismatch: a payment belongs to another account.
    """
    kept = []
    for payment in payments:
        if payment.account_id != account.id:
            raise AccountMismatch("Payment.account_id", account.id, payment.account_id)
        if payment.currency == account.currency and is_in_flight(
            payment, on, window_days=window_days, calendar=calendar
        ):
            kept.append(payment)
    return tuple(sorted(kept, key=lambda p: p.id))
