"""Payments, proofs of payment and allocations (how a payment settles invoices)."""

from __future__ import annotations

import enum
from datetime import date

import attrs

from dunning_core.domain._checks import (
    a_date,
    identifier,
    optional_date,
    optional_identifier,
    optional_positive_money,
    optional_text,
    plain_text,
    positive_money,
    to_enum,
)
from dunning_core.money import Money

__all__ = [
    "Allocation",
    "AllocationKind",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "ProofKind",
    "ProofOfPayment",
    "Refund",
]


class PaymentMethod(enum.StrEnum):
    """How the customer paid."""

    CARD = "CARD"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    TRANSFER = "TRANSFER"
    CHECK = "CHECK"
    CASH = "CASH"
    OTHER = "OTHER"


class PaymentStatus(enum.StrEnum):
    """Where the money is.

    Only CLEARED money settles invoices. PENDING money is in flight (a direct debit can
    take 10 business days); policies may wait for it. FAILED and CHARGED_BACK money is
    gone: allocations made from it are reversed.
    """

    PENDING = "PENDING"
    CLEARED = "CLEARED"
    FAILED = "FAILED"
    CHARGED_BACK = "CHARGED_BACK"

    @property
    def settles(self) -> bool:
        """True when money in this status can settle invoices."""
        return self is PaymentStatus.CLEARED


def _method(value: object) -> PaymentMethod:
    return to_enum(PaymentMethod, "Payment.method", value)


def _status(value: object) -> PaymentStatus:
    return to_enum(PaymentStatus, "Payment.status", value)


@attrs.frozen(kw_only=True)
class Payment:
    """Money received (or announced) from a customer.

    Args:
        id: Unique payment id (the bank transaction id, the PSP charge id, ...).
        account_id: The account it was identified to, or ``None`` while unidentified
            (it waits in suspense until matched).
        amount: Amount received, greater than zero.
        received_on: Value date.
        method: How it was paid.
        status: Where the money is; CLEARED by default.
        bank_reference: The free text of the bank transfer, where customers write
            invoice numbers.
        payer_name: The payer as the bank reports it.
    """

    id: str = attrs.field(validator=identifier)
    account_id: str | None = attrs.field(validator=optional_identifier)
    amount: Money = attrs.field(validator=positive_money)
    received_on: date = attrs.field(validator=a_date)
    method: PaymentMethod = attrs.field(default=PaymentMethod.TRANSFER, converter=_method)
    status: PaymentStatus = attrs.field(default=PaymentStatus.CLEARED, converter=_status)
    bank_reference: str = attrs.field(default="", validator=plain_text)
    payer_name: str = attrs.field(default="", validator=plain_text)

    @property
    def currency(self) -> str:
        """The payment's currency."""
        return self.amount.currency

    @property
    def is_identified(self) -> bool:
        """True once the payment is attached to an account."""
        return self.account_id is not None


class ProofKind(enum.StrEnum):
    """The kind of document a customer sends to prove a payment."""

    TRANSFER = "TRANSFER"
    CHECK = "CHECK"


# What each kind of proof must show, as the seeds' collection teams list it.
_REQUIRED: dict[ProofKind, tuple[str, ...]] = {
    ProofKind.TRANSFER: (
        "payer_name",
        "payer_account",
        "payee_name",
        "payee_account",
        "amount",
        "paid_on",
    ),
    ProofKind.CHECK: (
        "payee_name",
        "payer_name",
        "paid_on",
        "amount",
        "check_number",
        "tracking_number",
    ),
}


def _proof_kind(value: object) -> ProofKind:
    return to_enum(ProofKind, "ProofOfPayment.kind", value)


@attrs.frozen(kw_only=True)
class ProofOfPayment:
    """A bank receipt or a copy of a check that a customer sends as evidence.

    A transfer proof must show the payer's name and account, the payee's name and
    account, the amount and the date; a check proof the payee, the payer, the date, the
    amount, the check number and the tracking number. :meth:`missing_fields` says what
    is absent, so a clerk can ask for exactly that.
    """

    kind: ProofKind = attrs.field(converter=_proof_kind)
    payer_name: str | None = attrs.field(default=None, validator=optional_text)
    payer_account: str | None = attrs.field(default=None, validator=optional_text)
    payee_name: str | None = attrs.field(default=None, validator=optional_text)
    payee_account: str | None = attrs.field(default=None, validator=optional_text)
    amount: Money | None = attrs.field(default=None, validator=optional_positive_money)
    paid_on: date | None = attrs.field(default=None, validator=optional_date)
    check_number: str | None = attrs.field(default=None, validator=optional_text)
    tracking_number: str | None = attrs.field(default=None, validator=optional_text)
    transaction_id: str | None = attrs.field(default=None, validator=optional_text)
    invoice_numbers: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def missing_fields(self) -> tuple[str, ...]:
        """The required fields this proof lacks, in the order a clerk would list them."""
        return tuple(name for name in _REQUIRED[self.kind] if getattr(self, name) is None)

    @property
    def is_complete(self) -> bool:
        """True when every field this kind of proof must show is present."""
        return not self.missing_fields()


class AllocationKind(enum.StrEnum):
    """What settled (part of) an invoice.

    CASH and CREDIT consume the payment named by ``source_id``; CREDIT_NOTE consumes a
    credit note; WITHHOLDING, DISCOUNT and WRITE_OFF settle the invoice without money
    changing hands (tax the customer withheld and declared, an agreed discount, a
    short-pay written off within tolerance).
    """

    CASH = "CASH"
    CREDIT = "CREDIT"  #: unapplied credit of an earlier payment, applied later
    CREDIT_NOTE = "CREDIT_NOTE"
    WITHHOLDING = "WITHHOLDING"
    DISCOUNT = "DISCOUNT"
    WRITE_OFF = "WRITE_OFF"

    @property
    def consumes_payment(self) -> bool:
        """True for kinds that use up the paying source's money."""
        return self in (AllocationKind.CASH, AllocationKind.CREDIT)


def _allocation_kind(value: object) -> AllocationKind:
    return to_enum(AllocationKind, "Allocation.kind", value)


@attrs.frozen(kw_only=True)
class Allocation:
    """One amount applied to one invoice from one source.

    Args:
        invoice_number: The invoice settled (in part).
        amount: Amount applied, greater than zero.
        kind: What settled it.
        source_id: The payment id, or the credit note number for CREDIT_NOTE.
        reference: Extra evidence, e.g. the withholding tax certificate number.
    """

    invoice_number: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    kind: AllocationKind = attrs.field(converter=_allocation_kind)
    source_id: str = attrs.field(validator=identifier)
    reference: str | None = attrs.field(default=None, validator=optional_text)


@attrs.frozen(kw_only=True)
class Refund:
    """Unapplied credit paid back to the customer (an overpayment, a credit note's rest).

    A refund consumes the account's credit: the statement shows it as its own line and
    lowers ``unapplied`` by its amount. Recording one goes through
    :func:`dunning_core.service.refunds.refund_credit`, which refuses more than the
    credit and ignores a repeated id.

    Args:
        id: Unique refund id (the bank transfer out, the PSP refund id): its
            idempotency key.
        account_id: The account refunded.
        amount: Amount paid back, greater than zero.
        refunded_on: The day the money left.
        reference: Free text (the transfer's reference).

    .. versionadded:: 0.2
    """

    id: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=positive_money)
    refunded_on: date = attrs.field(validator=a_date)
    reference: str = attrs.field(default="", validator=plain_text)

    @property
    def currency(self) -> str:
        """The refund's currency."""
        return self.amount.currency
