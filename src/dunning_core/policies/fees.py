"""Late fees and statutory interest (pure).

Three kinds of charges, each its own statement line (:class:`~dunning_core.domain.
charges.Charge`), never mixed into an invoice's amount:

* **stage fees**: a fixed fee a ladder stage books, once per invoice and stage (the
  ladder computes them: ``DunningAction.fee_charges()``);
* **late-payment interest**: simple interest on the open amount from the day after the
  due date, at an annual rate the caller passes, on an actual/365 or actual/360 basis.
  In the EU the statutory rate for business debts is the ECB reference rate plus at
  least 8 points (directive 2011/7/EU, article 2); French law sets the ECB rate plus 10
  points by default (Code de commerce, article L441-10);
* **recovery compensation**: a fixed amount per late invoice, 40 EUR under the same
  directive (article 6).

Amounts are computed exactly in ``Decimal`` and rounded once, at the end, half-even.

>>> from datetime import date
>>> from dunning_core.money import Money
>>> late_interest(Money("1000.00", "EUR"), due_on=date(2026, 1, 31),
...               until=date(2026, 3, 17), rate=InterestRate(Decimal("12.15")))
Money('14.98', 'EUR')
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import CurrencyMismatch, InvalidField
from dunning_core.money import Money

__all__ = [
    "RECOVERY_COMPENSATION_EUR",
    "DayCount",
    "InterestRate",
    "interest_over_periods",
    "late_interest",
    "late_interest_exact",
    "late_payment_days",
    "recovery_compensation_charge",
    "statement_charges",
]

#: The fixed compensation for recovery costs per late invoice (directive 2011/7/EU,
#: article 6; French Code de commerce, article D441-5).
RECOVERY_COMPENSATION_EUR = Money("40.00", "EUR")

_HUNDRED = Decimal(100)


class DayCount(enum.StrEnum):
    """How a year is counted for interest: actual days over 365 or over 360."""

    ACT_365 = "ACT/365"
    ACT_360 = "ACT/360"

    @property
    def year_days(self) -> int:
        """365 or 360."""
        return 365 if self is DayCount.ACT_365 else 360


def _percent(value: Any) -> Decimal:
    if isinstance(value, (float, bool)):
        raise InvalidField("InterestRate.percent", value, "pass a Decimal or a str, not a float")
    try:
        rate = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidField("InterestRate.percent", value, "not a decimal number") from None
    if not rate.is_finite() or rate < 0:
        raise InvalidField("InterestRate.percent", value, "must be a finite rate >= 0")
    return rate


def _day_count(value: Any) -> DayCount:
    try:
        return DayCount(value)
    except ValueError:
        raise InvalidField("InterestRate.basis", value, "must be ACT/365 or ACT/360") from None


@attrs.frozen
class InterestRate:
    """An annual interest rate in percent and its day-count basis.

    Args:
        percent: The annual rate in percent (``Decimal("12.15")`` for 12.15 %); a str
            is accepted, a float is not.
        basis: ACT/365 (default) or ACT/360.

    Raises:
        InvalidField: a negative, non-decimal or float rate, or an unknown basis.
    """

    percent: Decimal = attrs.field(converter=_percent)
    basis: DayCount = attrs.field(default=DayCount.ACT_365, converter=_day_count)

    @classmethod
    def reference_plus(
        cls, reference_percent: Decimal | str, points: Decimal | str | int, basis: Any = "ACT/365"
    ) -> InterestRate:
        """A reference rate plus a margin: ``InterestRate.reference_plus("4.15", 8)`` is
        the EU statutory rate when the ECB rate is 4.15 %; the French default is the
        ECB rate plus 10 points."""
        return cls(_percent(reference_percent) + _percent(points), basis)

    def __str__(self) -> str:
        return f"{self.percent} % ({self.basis.value})"


def _a_date(field: str, value: Any) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidField(field, value, "must be a datetime.date")
    return value


def late_payment_days(due_on: date, until: date) -> int:
    """Days of interest from the day after ``due_on`` through ``until`` (0 if not late).

    >>> late_payment_days(date(2026, 1, 31), date(2026, 3, 17))
    45
    """
    days = (_a_date("until", until) - _a_date("due_on", due_on)).days
    return days if days > 0 else 0


def late_interest_exact(amount: Money, *, due_on: date, until: date, rate: InterestRate) -> Decimal:
    """The interest before rounding: ``amount x percent / 100 x days / year_days``.

    Use it to add up several periods and round once (:func:`interest_over_periods`).
    """
    days = late_payment_days(due_on, until)
    if not days or not amount.amount or not rate.percent:
        return Decimal(0)
    return amount.amount * rate.percent * days / (_HUNDRED * rate.basis.year_days)


def late_interest(amount: Money, *, due_on: date, until: date, rate: InterestRate) -> Money:
    """Simple late-payment interest on ``amount``, rounded once, half-even.

    Args:
        amount: The amount paid late (the open amount of the invoice).
        due_on: The due date; interest runs from the day after.
        until: The day of payment (or the day the interest is computed to).
        rate: The annual rate and its basis.

    Returns:
        The interest in ``amount``'s currency; zero on or before the due date.

    Raises:
        InvalidField: a date is not a ``date``.
    """
    exact = late_interest_exact(amount, due_on=due_on, until=until, rate=rate)
    return Money.of(exact, amount.currency, rounding=ROUND_HALF_EVEN)


def interest_over_periods(
    periods: Iterable[tuple[Money, date, date]], rate: InterestRate, currency: str
) -> Money:
    """Interest on an amount that changed over time (partial payments), rounded once.

    Args:
        periods: ``(open_amount, from_day, to_day)``: interest on ``open_amount`` for
            the days after ``from_day`` through ``to_day``. For an invoice due on D,
            partly paid on P1 then P2: ``[(full, D, P1), (rest, P1, P2), ...]``.
        rate: The annual rate and its basis.
        currency: The currency of every amount.

    Raises:
        CurrencyMismatch: a period is in another currency.
    """
    total = Decimal(0)
    for amount, start, end in periods:
        if amount.currency != currency:
            raise CurrencyMismatch(currency, amount.currency, "interest_over_periods")
        total += late_interest_exact(amount, due_on=start, until=end, rate=rate)
    return Money.of(total, currency, rounding=ROUND_HALF_EVEN)


def _key(*parts: str) -> str:
    return json.dumps(list(parts), ensure_ascii=False)


def recovery_compensation_charge(
    account_id: str, invoice_number: str, amount: Money, booked_on: date
) -> Charge:
    """The fixed recovery compensation for one late invoice, keyed so it is booked once
    per invoice whatever the day (``["recovery", account, invoice]`` as JSON)."""
    return Charge(
        key=_key("recovery", account_id, invoice_number),
        account_id=account_id,
        kind=ChargeKind.RECOVERY_COMPENSATION,
        amount=amount,
        booked_on=booked_on,
        invoice_number=invoice_number,
        detail=f"fixed compensation for recovery costs on invoice {invoice_number}",
    )


def statement_charges(
    statement: AccountStatement,
    *,
    rate: InterestRate | None = None,
    compensation: Money | None = None,
) -> tuple[Charge, ...]:
    """Interest and recovery compensation for every open invoice past due, as charges.

    Interest runs on each invoice's current open amount from the day after its due
    date to the statement's day (the key carries that day, so each day's figure is a
    new line that replaces the last: ``["interest", account, invoice, ISO day]``).
    Compensation is booked once per late invoice. For invoices already paid late, use
    :func:`late_interest` with the day of payment.

    Args:
        statement: The account's statement.
        rate: The annual interest rate, or ``None`` for no interest.
        compensation: The compensation per late invoice in the account's currency
            (``RECOVERY_COMPENSATION_EUR`` for EUR accounts), or ``None``.

    Returns:
        The charges, invoice by invoice (oldest first), interest before compensation;
        interest that rounds to zero is left out. Pass them to ``build_statement(...,
        charges=...)`` to show them on the statement.

    Raises:
        CurrencyMismatch: ``compensation`` is not in the account's currency.
    """
    account = statement.account
    if compensation is not None and compensation.currency != account.currency:
        raise CurrencyMismatch(account.currency, compensation.currency, "compensation")
    day = statement.as_of
    charges: list[Charge] = []
    for item in statement.items:
        if not item.is_overdue:
            continue
        number = item.invoice.number
        if rate is not None:
            interest = late_interest(item.open_amount, due_on=item.due_on, until=day, rate=rate)
            if interest.amount > 0:
                days = late_payment_days(item.due_on, day)
                charges.append(
                    Charge(
                        key=_key("interest", account.id, number, day.isoformat()),
                        account_id=account.id,
                        kind=ChargeKind.LATE_INTEREST,
                        amount=interest,
                        booked_on=day,
                        invoice_number=number,
                        detail=f"{days} days at {rate} on {item.open_amount}",
                    )
                )
        if compensation is not None and compensation.amount > 0:
            charges.append(recovery_compensation_charge(account.id, number, compensation, day))
    return tuple(charges)
