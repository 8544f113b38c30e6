"""What an allocation decided: :class:`AllocationResult`, its discrepancies (the
library's one :class:`~dunning_core.domain.reasons.Reason` shape, with a
:class:`DiscrepancyCode`) and the credit it leaves (:class:`UnappliedCredit`)."""

from __future__ import annotations

import enum
import warnings
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from dunning_core.domain._checks import non_empty_text, positive_money, to_enum
from dunning_core.domain.invoice import CreditNote
from dunning_core.domain.payment import Allocation, AllocationKind, Payment
from dunning_core.domain.reasons import Reason
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "AllocationResult",
    "DiscrepancyCode",
    "UnappliedCredit",
    "discrepancy",
    "totals_by_invoice",
]


class DiscrepancyCode(enum.StrEnum):
    """Stable codes for everything an allocation could not do as asked.

    The values never change: store them, filter on them, translate them.
    """

    #: The payment is not attached to an account: it waits in suspense.
    UNIDENTIFIED_PAYMENT = "UNIDENTIFIED_PAYMENT"
    #: The payment is PENDING, FAILED or CHARGED_BACK: its money cannot settle anything.
    PAYMENT_NOT_CLEARED = "PAYMENT_NOT_CLEARED"
    #: The payment id was applied before with the same amount: nothing was done again.
    REPEATED_PAYMENT = "REPEATED_PAYMENT"
    #: Open items of the account are in another currency than the money; they were
    #: not settled because no exchange rate was given.
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    #: The payment is more than every eligible open item: the rest is credit.
    OVERPAYMENT = "OVERPAYMENT"
    #: The remittance advice describes another payment; it was ignored.
    ADVICE_OTHER_PAYMENT = "ADVICE_OTHER_PAYMENT"
    #: The remittance advice is in another currency than the payment; it was ignored.
    ADVICE_CURRENCY_MISMATCH = "ADVICE_CURRENCY_MISMATCH"
    #: The advice accounts for more cash than the payment brought.
    ADVICE_EXCEEDS_PAYMENT = "ADVICE_EXCEEDS_PAYMENT"
    #: The advice names an invoice this ledger does not know.
    UNKNOWN_INVOICE = "UNKNOWN_INVOICE"
    #: The advice (or a credit note) names an invoice of an account the money may not settle.
    OTHER_ACCOUNT_INVOICE = "OTHER_ACCOUNT_INVOICE"
    #: The advice names an invoice that is already paid.
    INVOICE_ALREADY_PAID = "INVOICE_ALREADY_PAID"
    #: The advice states more for an invoice than remains open on it.
    ADVICE_EXCEEDS_OPEN = "ADVICE_EXCEEDS_OPEN"
    #: The named invoice is disputed; it receives nothing until the dispute is resolved.
    INVOICE_DISPUTED = "INVOICE_DISPUTED"
    #: The named invoice is on hold.
    INVOICE_ON_HOLD = "INVOICE_ON_HOLD"
    #: The named invoice was written off.
    INVOICE_WRITTEN_OFF = "INVOICE_WRITTEN_OFF"
    #: Tax withheld was declared without a certificate; it was not applied.
    WITHHOLDING_WITHOUT_CERTIFICATE = "WITHHOLDING_WITHOUT_CERTIFICATE"
    #: A discount taken exceeds the policy's tolerance; the invoice stays open for it.
    DISCOUNT_NOT_ALLOWED = "DISCOUNT_NOT_ALLOWED"
    #: A short payment with a reason exceeds the write-off tolerance; it stays open.
    SHORT_PAYMENT = "SHORT_PAYMENT"
    #: A credit note (or part of it) could not be applied and remains credit.
    CREDIT_NOTE_UNAPPLIED = "CREDIT_NOTE_UNAPPLIED"


def discrepancy(
    *,
    code: DiscrepancyCode,
    message: str,
    invoice_number: str | None = None,
    amount: Money | None = None,
) -> Reason:
    """Something an allocation could not do as asked: the library's one
    :class:`~dunning_core.domain.reasons.Reason` shape, about ``invoice_number`` (its
    ``subject``), with the ``amount`` concerned in its facts."""
    return Reason(
        code, message, subject=invoice_number, facts={} if amount is None else {"amount": amount}
    )


def totals_by_invoice(allocations: Iterable[Allocation]) -> dict[str, Money]:
    """What ``allocations`` add up to per invoice number, all kinds together, in the
    order the invoices first appear."""
    totals: dict[str, Money] = {}
    for allocation in allocations:
        number = allocation.invoice_number
        before = totals.get(number)
        totals[number] = allocation.amount if before is None else before + allocation.amount
    return totals


class _AmountsByInvoice(dict[str, Money]):
    """A dict that can still be called, for one release, like the 0.1 method."""

    def __call__(self) -> dict[str, Money]:
        warnings.warn(
            "AllocationResult.by_invoice is a property now; drop the call",
            DeprecationWarning,
            stacklevel=2,
        )
        return dict(self)


def _credit_kind(value: object) -> AllocationKind:
    kind = to_enum(AllocationKind, "UnappliedCredit.kind", value)
    if kind not in (AllocationKind.CREDIT, AllocationKind.CREDIT_NOTE):
        raise InvalidField("UnappliedCredit.kind", value, "must be CREDIT or CREDIT_NOTE")
    return kind


@attrs.frozen(kw_only=True)
class UnappliedCredit:
    """Credit sitting on an account: a payment's unapplied rest or a credit note's.

    :func:`~dunning_core.policies.allocation.apply_credit` applies it later, its
    allocations naming ``source_id`` with ``kind`` (CREDIT for a payment's rest, so
    that reversing the payment also reverses them; CREDIT_NOTE for a credit note).

    Args:
        source_id: The payment id or the credit note number.
        account_id: The account the credit belongs to.
        amount: The credit still available, greater than zero.
        kind: CREDIT or CREDIT_NOTE.
    """

    source_id: str = attrs.field(validator=non_empty_text)
    account_id: str = attrs.field(validator=non_empty_text)
    amount: Money = attrs.field(validator=positive_money)
    kind: AllocationKind = attrs.field(default=AllocationKind.CREDIT, converter=_credit_kind)

    @classmethod
    def from_payment(cls, payment: Payment, amount: Money | None = None) -> UnappliedCredit:
        """The credit left by ``payment`` (all of it unless ``amount`` says how much).

        Raises:
            InvalidField: the payment is unidentified (it has no account to credit).
        """
        if payment.account_id is None:
            raise InvalidField("Payment.account_id", None, "an unidentified payment is no credit")
        return cls(
            source_id=payment.id,
            account_id=payment.account_id,
            amount=payment.amount if amount is None else amount,
            kind=AllocationKind.CREDIT,
        )

    @classmethod
    def from_credit_note(cls, note: CreditNote, amount: Money | None = None) -> UnappliedCredit:
        """The credit of ``note`` (all of it unless ``amount`` says how much is left)."""
        return cls(
            source_id=note.number,
            account_id=note.account_id,
            amount=note.amount if amount is None else amount,
            kind=AllocationKind.CREDIT_NOTE,
        )

    @property
    def currency(self) -> str:
        """The credit's currency."""
        return self.amount.currency


@attrs.frozen(kw_only=True)
class AllocationResult:
    """What applying one payment (or one credit) did, with its reasons.

    Conservation holds for every result that is not a repeat: the allocations that
    consume the source (CASH for a payment, CREDIT or CREDIT_NOTE for a credit) plus
    ``unapplied`` equal ``amount`` exactly.

    Attributes:
        source_id: The payment id (or the credit's source id).
        amount: The money the source brought.
        account_id: The account of the payment, ``None`` while unidentified.
        received_on: The payment's value date (``None`` for a credit).
        source_kind: What consumed the source: CASH for a payment, else CREDIT or
            CREDIT_NOTE.
        allocations: Every allocation made, in the order made: credit notes naming an
            invoice, then the advice's lines, then other credit notes, then the rest.
        directed: The allocations that followed the remittance advice (a prefix of
            ``allocations`` after any targeted credit note).
        unapplied: What the source left unapplied; credit on the account when the
            payment is identified and cleared, money in suspense otherwise.
        discrepancies: What could not be done as asked: :class:`~dunning_core.Reason`
            values whose code is a :class:`DiscrepancyCode`, whose subject is the
            invoice concerned (if any) and whose facts hold the ``amount`` concerned.
        left_open: ``(invoice number, open amount)`` for the invoices this allocation
            touched that still have something open (the partly paid ones), in the order
            first touched. :attr:`open_after` lists every invoice touched.
        credit: The unapplied rest as credit to apply later, or ``None``.
        credit_notes_left: Credit notes passed in that were not fully consumed.
        repeated: True when the payment id had been applied already (nothing was done).
    """

    source_id: str
    amount: Money
    account_id: str | None
    received_on: date | None
    source_kind: AllocationKind
    allocations: tuple[Allocation, ...]
    directed: tuple[Allocation, ...]
    unapplied: Money
    discrepancies: tuple[Reason, ...]
    left_open: tuple[tuple[str, Money], ...]
    credit: UnappliedCredit | None = None
    credit_notes_left: tuple[UnappliedCredit, ...] = ()
    repeated: bool = False

    @property
    def payment_id(self) -> str:
        """Alias of :attr:`source_id`."""
        return self.source_id

    @property
    def currency(self) -> str:
        """The currency of the source."""
        return self.amount.currency

    @property
    def applied(self) -> Money:
        """What the source itself settled (``amount - unapplied``, unless repeated)."""
        kind = self.source_kind
        return Money.sum(
            (
                a.amount
                for a in self.allocations
                if a.kind is kind and a.source_id == self.source_id
            ),
            self.currency,
        )

    @property
    def open_after(self) -> tuple[tuple[str, Money], ...]:
        """``(invoice number, open amount)`` after this allocation for every invoice it
        touched, in the order first touched (zero for those now paid in full)."""
        still = dict(self.left_open)
        seen: dict[str, Money] = {}
        for allocation in self.allocations:
            number = allocation.invoice_number
            if number not in seen:
                seen[number] = still.get(number) or Money.zero(allocation.amount.currency)
        return tuple(seen.items())

    @property
    def codes(self) -> frozenset[str]:
        """The discrepancy codes, for quick tests (``X in result.codes``)."""
        return frozenset(d.code for d in self.discrepancies)

    @property
    def by_invoice(self) -> dict[str, Money]:
        """Everything allocated per invoice number, all kinds together.

        .. versionchanged:: 0.2
           A property, like :attr:`codes` and :attr:`applied` (it was a method).
        """
        return _AmountsByInvoice(totals_by_invoice(self.allocations))

    def explain(self, locale: str = "en_US") -> str:
        """A plain-text account of what was done, for a support agent to paste into an
        email to the customer.

        Args:
            locale: The locale amounts are formatted in (the sentences are English).

        Returns:
            A few lines: the source, one line per invoice, what remains, the notes.
        """
        return _explain(self, locale)


_KIND_WORDS = {
    AllocationKind.CASH: "paid",
    AllocationKind.CREDIT: "paid from credit",
    AllocationKind.CREDIT_NOTE: "credited",
    AllocationKind.WITHHOLDING: "tax withheld",
    AllocationKind.DISCOUNT: "discount",
    AllocationKind.WRITE_OFF: "written off",
}


def _explain(result: AllocationResult, locale: str) -> str:
    def fmt(money: Money) -> str:
        return money.format(locale)

    if result.source_kind is AllocationKind.CASH:
        head = f"Payment {result.source_id} of {fmt(result.amount)}"
        if result.received_on is not None:
            head += f" received on {result.received_on.isoformat()}"
    elif result.source_kind is AllocationKind.CREDIT:
        head = f"Credit of {fmt(result.amount)} left by payment {result.source_id}"
    else:
        head = f"Credit note {result.source_id} of {fmt(result.amount)}"
    lines: list[str] = []
    if result.repeated:
        lines.append(f"{head} had already been applied; nothing was changed.")
    elif result.allocations:
        lines.append(f"{head} was applied as follows:")
        lines.extend(_invoice_lines(result, fmt))
    else:
        lines.append(f"{head} was not applied to any invoice.")
    if not result.repeated and result.unapplied:
        if result.credit is not None:
            lines.append(f"{fmt(result.unapplied)} remains as credit on the account.")
        else:
            lines.append(f"{fmt(result.unapplied)} remains unapplied.")
    for left in result.credit_notes_left:
        lines.append(f"Credit note {left.source_id}: {fmt(left.amount)} remains as credit.")
    if result.discrepancies:
        lines.append("Please note:")
        lines.extend(f"- {d.message}" for d in result.discrepancies)
    return "\n".join(lines)


def _invoice_lines(result: AllocationResult, fmt: Any) -> list[str]:
    parts: dict[str, list[str]] = {}
    for allocation in result.allocations:
        words = _KIND_WORDS[allocation.kind]
        if allocation.kind is AllocationKind.CREDIT_NOTE:
            words = f"credited by {allocation.source_id}"
        text = f"{fmt(allocation.amount)} {words}"
        if allocation.kind is AllocationKind.WITHHOLDING and allocation.reference:
            text += f" (certificate {allocation.reference})"
        parts.setdefault(allocation.invoice_number, []).append(text)
    open_after: Mapping[str, Money] = dict(result.open_after)
    out = []
    for number, texts in parts.items():
        remaining = open_after.get(number)
        if remaining is None:
            status = ""
        elif remaining:
            status = f"; {fmt(remaining)} remains open"
        else:
            status = "; now paid in full"
        out.append(f"- invoice {number}: {', '.join(texts)}{status}")
    return out
