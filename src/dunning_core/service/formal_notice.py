"""What a formal notice (*mise en demeure*, *Mahnung mit Fristsetzung*) claims: the
deadline, late-payment interest and the fixed recovery compensation where they apply.

French and EU law (Code de commerce L441-10 and D441-5; directive 2011/7/EU; German
§ 288 BGB) give a business creditor late-payment interest and a fixed compensation of
40 EUR per late invoice from a business debtor; a consumer owes neither. The library
cannot know the contract, so the team says what applies in :class:`FormalNoticeTerms`;
the compensation is claimed only from accounts with a company registration id (a
business), and only in a currency the terms name.

>>> from datetime import date
>>> from decimal import Decimal
>>> from dunning_core.policies.fees import InterestRate
>>> terms = FormalNoticeTerms(deadline_days=8, interest_rate=InterestRate(Decimal("12.15")))
>>> terms.deadline(date(2026, 3, 2))
datetime.date(2026, 3, 10)

.. versionadded:: 0.3
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs

from dunning_core.domain.account import Account
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.policies.fees import RECOVERY_COMPENSATION_EUR, InterestRate, late_interest
from dunning_core.policies.ladder import DunningAction

__all__ = ["FormalNoticeTerms", "formal_notice_values"]


def _days(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
        raise InvalidField("FormalNoticeTerms.deadline_days", value, "must be 1 to 365 days")


def _compensation(value: Any) -> tuple[Money, ...]:
    items = (value,) if isinstance(value, Money) else tuple(value)
    for item in items:
        if not isinstance(item, Money) or item.amount <= 0:
            raise InvalidField(
                "FormalNoticeTerms.recovery_compensation", item, "must be positive Money"
            )
    return items


@attrs.frozen(kw_only=True)
class FormalNoticeTerms:
    """The terms a formal notice states.

    Args:
        deadline_days: Calendar days the customer is given to pay, counted from the
            day the notice is written (8 by default, the usual French practice).
        interest_rate: The annual late-payment rate, or ``None`` to claim no interest.
        recovery_compensation: The fixed compensation per late invoice, one Money per
            currency (40 EUR by default); empty to claim none.
        place: The place the letter is written from ("Lyon"), printed beside the date.
    """

    deadline_days: int = attrs.field(default=8, validator=_days)
    interest_rate: InterestRate | None = None
    recovery_compensation: tuple[Money, ...] = attrs.field(
        default=(RECOVERY_COMPENSATION_EUR,), converter=_compensation
    )
    place: str = ""

    def deadline(self, written_on: date) -> date:
        """The last day to pay for a notice written on ``written_on``."""
        return written_on + timedelta(days=self.deadline_days)

    def compensation_for(self, account: Account) -> Money | None:
        """The compensation per invoice this account owes, or ``None`` (a consumer, or
        a currency the terms do not name)."""
        if account.registration_id is None:
            return None
        for amount in self.recovery_compensation:
            if amount.currency == account.currency:
                return amount
        return None


def formal_notice_values(
    terms: FormalNoticeTerms, account: Account, action: DunningAction
) -> dict[str, object]:
    """The formal-notice variables of a notice context (see ``docs/messages.md``):
    ``deadline``, ``late_interest`` and ``interest_rate`` (or ``None``),
    ``recovery_compensation`` (or ``None``), ``fees`` (or ``None``) and
    ``total_claimed``."""
    currency = account.currency
    day = action.fired_on
    amount_due = action.open_amount
    interest: Money | None = None
    if terms.interest_rate is not None:
        interest = Money.sum(
            (
                late_interest(
                    line.open_amount, due_on=line.due_on, until=day, rate=terms.interest_rate
                )
                for line in action.lines
            ),
            currency,
        )
    per_invoice = terms.compensation_for(account)
    compensation = None if per_invoice is None else per_invoice * len(action.lines)
    fee_amounts = [line.fee for line in action.lines if line.fee is not None]
    fees = Money.sum(fee_amounts, currency) if fee_amounts else None
    total = amount_due
    for extra in (interest, compensation, fees):
        if extra is not None:
            total = total + extra
    rate = terms.interest_rate
    return {
        "deadline": terms.deadline(day),
        "late_interest": interest,
        "interest_rate": None if rate is None else rate.percent,
        "recovery_compensation": per_invoice,
        "fees": fees,
        "total_claimed": total,
    }
