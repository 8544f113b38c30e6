"""Remittance advices: the customer's own statement of what a payment is for.

"Please attach your remittance advice, listing invoice numbers and the respective
amounts": an advice names invoices, the amount paid on each and, where the customer
deducted it, the tax withheld (French *retenue à la source*, with its certificate) or a
discount taken. Allocation follows it first, then fills the rest oldest first.
"""

from __future__ import annotations

from typing import Any

import attrs

from dunning_core.domain._checks import identifier, optional_text, to_tuple
from dunning_core.domain.payment import Payment
from dunning_core.errors import CurrencyMismatch, InvalidAmount, InvalidRemittance
from dunning_core.money import Money

__all__ = ["RemittanceAdvice", "RemittanceLine"]


def _non_negative(field: str) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Money):
            raise InvalidAmount(field, value, "must be a Money")
        if value.amount < 0:
            raise InvalidAmount(field, value, "must not be negative")

    return check


@attrs.frozen(kw_only=True)
class RemittanceLine:
    """One invoice named on an advice.

    Args:
        invoice_number: The invoice the customer means.
        amount_paid: Cash paid on it (may be zero when only tax was withheld).
        tax_withheld: Tax the customer withheld and declared; settles the invoice
            alongside the cash, not as cash. Zero by default.
        discount_taken: A discount the customer deducted. Zero by default.
        reason: The customer's reason for a short payment, if any.
        certificate: The withholding tax certificate reference, if any.

    Raises:
        InvalidAmount: an amount is negative, or the line settles nothing.
        CurrencyMismatch: the amounts are not all in one currency.
    """

    invoice_number: str = attrs.field(validator=identifier)
    amount_paid: Money = attrs.field(validator=_non_negative("RemittanceLine.amount_paid"))
    tax_withheld: Money = attrs.field(validator=_non_negative("RemittanceLine.tax_withheld"))
    discount_taken: Money = attrs.field(validator=_non_negative("RemittanceLine.discount_taken"))
    reason: str | None = attrs.field(default=None, validator=optional_text)
    certificate: str | None = attrs.field(default=None, validator=optional_text)

    @tax_withheld.default
    def _no_tax(self) -> Money:
        return Money.zero(self.amount_paid.currency)

    @discount_taken.default
    def _no_discount(self) -> Money:
        return Money.zero(self.amount_paid.currency)

    def __attrs_post_init__(self) -> None:
        currency = self.amount_paid.currency
        for name in ("tax_withheld", "discount_taken"):
            other: Money = getattr(self, name)
            if other.currency != currency:
                raise CurrencyMismatch(currency, other.currency, f"RemittanceLine.{name}")
        if not (self.amount_paid or self.tax_withheld or self.discount_taken):
            raise InvalidAmount(
                "RemittanceLine.amount_paid",
                self.amount_paid,
                f"line for {self.invoice_number!r} settles nothing (all amounts are zero)",
            )

    @property
    def currency(self) -> str:
        """The line's currency."""
        return self.amount_paid.currency

    @property
    def settles(self) -> Money:
        """Everything the customer says this line settles: cash + tax + discount."""
        return self.amount_paid + self.tax_withheld + self.discount_taken


@attrs.frozen(kw_only=True)
class RemittanceAdvice:
    """What a customer says one payment is for.

    Args:
        payment_id: The payment it describes.
        lines: One line per invoice named; an invoice may appear only once.
        reference: The customer's own advice number, if any.

    Raises:
        InvalidRemittance: no lines, or an invoice named twice.
        CurrencyMismatch: lines in different currencies.
    """

    payment_id: str = attrs.field(validator=identifier)
    lines: tuple[RemittanceLine, ...] = attrs.field(converter=to_tuple)
    reference: str | None = attrs.field(default=None, validator=optional_text)

    @lines.validator
    def _check_lines(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        if not value:
            raise InvalidRemittance("RemittanceAdvice.lines", value, "an advice needs a line")
        seen: set[str] = set()
        for line in value:
            if not isinstance(line, RemittanceLine):
                raise InvalidRemittance(
                    "RemittanceAdvice.lines", line, "every line must be a RemittanceLine"
                )
            if line.invoice_number in seen:
                raise InvalidRemittance(
                    "RemittanceAdvice.lines",
                    line.invoice_number,
                    "invoice named twice; merge the lines",
                )
            seen.add(line.invoice_number)
            if line.currency != value[0].currency:
                raise CurrencyMismatch(value[0].currency, line.currency, "RemittanceAdvice.lines")

    @property
    def currency(self) -> str:
        """The advice's currency (all lines share it)."""
        return self.lines[0].currency

    @property
    def cash_total(self) -> Money:
        """The cash the advice accounts for."""
        return Money.sum((line.amount_paid for line in self.lines), self.currency)

    def check_payment(self, payment: Payment) -> None:
        """Check that this advice describes ``payment``.

        Raises:
            InvalidRemittance: the advice names another payment.
            CurrencyMismatch: the advice's currency differs from the payment's.
        """
        if payment.id != self.payment_id:
            raise InvalidRemittance(
                "RemittanceAdvice.payment_id",
                self.payment_id,
                f"describes another payment than {payment.id!r}",
            )
        if payment.currency != self.currency:
            raise CurrencyMismatch(payment.currency, self.currency, "RemittanceAdvice")
