"""Charges: dunning fees, late-payment interest and recovery compensation.

A charge is owed on top of an invoice and is never mixed into the invoice's amount: it
is its own line on the statement (``AccountStatement.charges``), with its own key so a
store books it once. :mod:`dunning_core.policies.fees` computes them; the ladder books
stage fees.

>>> from datetime import date
>>> from dunning_core.money import Money
>>> fee = Charge(key="fee:A-1:standard:second_notice:F-1", account_id="A-1",
...              kind=ChargeKind.STAGE_FEE, amount=Money("15.00", "EUR"),
...              booked_on=date(2026, 3, 3), invoice_number="F-1", stage="second_notice")
>>> str(fee.amount), fee.kind.value
('15.00 EUR', 'STAGE_FEE')
"""

from __future__ import annotations

import enum
from datetime import date

import attrs

from dunning_core.domain._checks import (
    a_date,
    identifier,
    optional_identifier,
    plain_text,
    positive_money,
    to_enum,
)
from dunning_core.money import Money

__all__ = ["Charge", "ChargeKind"]


class ChargeKind(enum.StrEnum):
    """What a charge is for."""

    STAGE_FEE = "STAGE_FEE"  #: a fixed fee a ladder stage books, once per invoice and stage
    LATE_INTEREST = "LATE_INTEREST"  #: statutory late-payment interest on one invoice
    RECOVERY_COMPENSATION = "RECOVERY_COMPENSATION"  #: fixed compensation (40 EUR in the EU)


def _charge_kind(value: object) -> ChargeKind:
    return to_enum(ChargeKind, "Charge.kind", value)


@attrs.frozen(kw_only=True)
class Charge:
    """An amount owed on top of an invoice, shown as its own statement line.

    Args:
        key: Deterministic identity: booking the same key twice books it once.
        account_id: The account charged.
        kind: Fee, interest or recovery compensation.
        amount: The amount, greater than zero, in the account's currency.
        booked_on: The day it was booked (for interest: the day it was computed to).
        invoice_number: The invoice it relates to, if any.
        stage: The ladder stage that booked it (stage fees), if any.
        detail: A human-readable explanation ("45 days at 12.15 % on ACT/365").

    Raises:
        InvalidField, InvalidAmount: on bad input, naming the field and the value.
    """

    key: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    kind: ChargeKind = attrs.field(converter=_charge_kind)
    amount: Money = attrs.field(validator=positive_money)
    booked_on: date = attrs.field(validator=a_date)
    invoice_number: str | None = attrs.field(default=None, validator=optional_identifier)
    stage: str | None = attrs.field(default=None, validator=optional_identifier)
    detail: str = attrs.field(default="", validator=plain_text)

    @property
    def currency(self) -> str:
        """The charge's currency."""
        return self.amount.currency
