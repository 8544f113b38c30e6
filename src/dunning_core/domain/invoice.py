"""Invoices and credit notes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from dunning_core.domain._checks import (
    a_date,
    not_before,
    optional_identifier,
    optional_text,
    positive_money,
)
from dunning_core.domain._checks import identifier as _id
from dunning_core.errors import InvalidAmount, InvalidField
from dunning_core.money import Money

__all__ = ["CreditNote", "Invoice"]


@attrs.frozen(kw_only=True)
class Invoice:
    """An amount a customer owes, due on a date.

    Invoice numbers are unique across the whole ledger (not only within an account):
    allocations, remittance advices and bank references name invoices by number alone.

    Args:
        number: The invoice number, e.g. ``"F-2026-0042"``.
        account_id: The account billed.
        issued_on: Issue date.
        due_on: Due date; not before ``issued_on``.
        amount: Amount due, greater than zero (a credit is a :class:`CreditNote`).
        purchase_order: The customer's purchase-order number, if they gave one.

    Raises:
        InvalidAmount: ``amount`` is not a positive Money.
        InvalidDateRange: ``due_on`` is before ``issued_on``.
        InvalidField: an identifier is empty or a date is not a ``date``.
    """

    number: str = attrs.field(validator=_id)
    account_id: str = attrs.field(validator=_id)
    issued_on: date = attrs.field(validator=a_date)
    due_on: date = attrs.field(validator=[a_date, not_before("issued_on")])
    amount: Money = attrs.field(validator=positive_money)
    purchase_order: str | None = attrs.field(default=None, validator=optional_identifier)

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return self.amount.currency

    @property
    def sort_key(self) -> tuple[date, date, str]:
        """Oldest-first order: due date, then issue date, then number (a total order)."""
        return (self.due_on, self.issued_on, self.number)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Invoice:
        """Build from a flat mapping (a CSV row, a JSON object) with ISO dates and a
        decimal string amount: ``number, account_id, issued_on, due_on, amount,
        currency[, purchase_order]``.

        Raises:
            InvalidField: the row is not a mapping, a key is missing, a date is not ISO
                8601 or a value has the wrong type (an amount read as a float: write
                amounts as strings, since a JSON number is a float).
        """
        if not isinstance(row, Mapping):
            raise InvalidField("Invoice", row, "a row must map column names to values")
        try:
            return cls(
                number=row["number"],
                account_id=row["account_id"],
                issued_on=_iso_date("Invoice.issued_on", row["issued_on"]),
                due_on=_iso_date("Invoice.due_on", row["due_on"]),
                amount=_amount(row["amount"], row["currency"]),
                purchase_order=row.get("purchase_order") or None,
            )
        except KeyError as missing:
            raise InvalidField(f"Invoice.{missing.args[0]}", None, "missing from row") from None


def _amount(value: Any, currency: Any) -> Money:
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return Money(value, currency)
    problem = (
        "read as a float (a JSON number?): write amounts as decimal strings"
        if isinstance(value, float)
        else "must be a decimal string"
    )
    raise InvalidAmount("Invoice.amount", value, problem)


@attrs.frozen(kw_only=True)
class CreditNote:
    """A credit the seller grants: it reduces the invoice it credits, or, when it
    credits none, is consumed oldest invoice first like cash.

    Args:
        number: The credit note number.
        account_id: The account credited.
        issued_on: Issue date.
        amount: Amount credited, greater than zero.
        credits_invoice: The invoice number it credits, or ``None``.
    """

    number: str = attrs.field(validator=_id)
    account_id: str = attrs.field(validator=_id)
    issued_on: date = attrs.field(validator=a_date)
    amount: Money = attrs.field(validator=positive_money)
    credits_invoice: str | None = attrs.field(default=None, validator=optional_identifier)
    reason: str | None = attrs.field(default=None, validator=optional_text)

    @property
    def currency(self) -> str:
        """The credit note's currency."""
        return self.amount.currency


def _iso_date(field: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidField(field, value, "expected an ISO 8601 date such as '2026-03-31'") from None
