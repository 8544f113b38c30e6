"""Account statements: what is open, how late, and how old (derived, pure).

:func:`build_statement` reads invoices, credit notes, payments and the allocations
already made, and returns an :class:`AccountStatement`. It applies allocations as
recorded; it does not allocate anything itself (that is
:mod:`dunning_core.policies.allocation`). A credit note or a payment that no allocation
consumes shows as unapplied credit.

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money
>>> acct = Account(id="A-1", name="Boulangerie Kanak", currency="XPF", timezone="Pacific/Noumea")
>>> inv = Invoice(number="F-1", account_id="A-1", issued_on=date(2026, 1, 1),
...               due_on=date(2026, 1, 31), amount=Money("12000", "XPF"))
>>> st = build_statement(acct, date(2026, 3, 3), invoices=[inv])
>>> st.items[0].days_past_due, str(st.overdue_balance), st.aging[AgingBucket.D31_60]
(31, '12000 XPF', Money('12000', 'XPF'))
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from dunning_core.domain.account import Account
from dunning_core.domain.charges import Charge
from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.payment import (
    Allocation,
    AllocationKind,
    Payment,
    PaymentStatus,
    Refund,
)
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidField
from dunning_core.money import Money

__all__ = [
    "AccountStatement",
    "AgingBucket",
    "ItemStatus",
    "OpenItem",
    "aging_bucket",
    "aging_totals",
    "build_statement",
]


class ItemStatus(enum.StrEnum):
    """Where an invoice stands."""

    OPEN = "OPEN"  #: nothing settled yet
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


class AgingBucket(enum.StrEnum):
    """Aging buckets by days past due."""

    CURRENT = "current"  #: not yet past due
    D1_30 = "1-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    OVER_90 = "over 90"


def aging_bucket(days_past_due: int) -> AgingBucket:
    """The bucket for a number of days past due (0 is current)."""
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    if days_past_due <= 30:
        return AgingBucket.D1_30
    if days_past_due <= 60:
        return AgingBucket.D31_60
    if days_past_due <= 90:
        return AgingBucket.D61_90
    return AgingBucket.OVER_90


@attrs.frozen(kw_only=True)
class OpenItem:
    """One invoice as it stands on the statement date.

    Attributes:
        invoice: The invoice.
        open_amount: What remains to be paid (never negative).
        settled: What allocations settled, capped at the invoice amount.
        days_past_due: Days since the due date in the account's timezone; 0 up to and
            including the due date, and 0 once the invoice is paid.
        status: OPEN, PARTIALLY_PAID or PAID.
    """

    invoice: Invoice
    open_amount: Money
    settled: Money
    days_past_due: int
    status: ItemStatus

    @property
    def number(self) -> str:
        """The invoice number."""
        return self.invoice.number

    @property
    def due_on(self) -> date:
        """The invoice's due date."""
        return self.invoice.due_on

    @property
    def is_open(self) -> bool:
        """True while something remains to be paid."""
        return self.status is not ItemStatus.PAID

    @property
    def is_overdue(self) -> bool:
        """True when open and past due."""
        return self.days_past_due > 0 and self.is_open


@attrs.frozen(kw_only=True)
class AccountStatement:
    """An account's position on one day.

    Attributes:
        account: The account.
        as_of: The statement day, in the account's timezone.
        items: Every invoice issued by ``as_of``, oldest first (due date, issue date,
            number).
        balance: Sum of open amounts (what the customer owes, before credit).
        overdue_balance: Sum of open amounts past due.
        oldest_days_past_due: Days past due of the oldest open invoice (0 if none).
        unapplied: Credit not applied to any invoice: payments and credit notes not
            (fully) allocated, plus anything allocated beyond an invoice's amount, less
            what was refunded.
        pending: Payments of the account still in flight (PENDING).
        other_currency_payments: Cleared payments in another currency than the
            account's; they cannot count until converted with a rate.
        aging_buckets: ``(bucket, amount)`` for every bucket, current first; they add
            up to ``balance`` exactly. :attr:`aging` gives them as a dict.
        charges: Fees, late-payment interest and recovery compensation, each its own
            line (booked day, then key), never mixed into an invoice's open amount nor
            into ``balance``, ``overdue_balance`` or the aging; see
            :attr:`charges_total` and :attr:`total_due`.
        refunds: Credit paid back to the customer by ``as_of`` (refund day, then id);
            already deducted from ``unapplied``. See :attr:`refunded`.
        next_document_on: The earliest day after ``as_of`` on which a document given
            to :func:`build_statement` but dated later enters the statement (an invoice
            or credit note issued, a payment received, a refund made), or ``None``. See
            :attr:`next_change_on`.

    .. versionchanged:: 0.2
       ``next_document_on`` and :attr:`next_change_on` (the statement's part of an
       account's wake-up date).
    """

    account: Account
    as_of: date
    items: tuple[OpenItem, ...]
    balance: Money
    overdue_balance: Money
    oldest_days_past_due: int
    unapplied: Money
    pending: Money
    other_currency_payments: tuple[Payment, ...] = ()
    aging_buckets: tuple[tuple[AgingBucket, Money], ...] = ()
    charges: tuple[Charge, ...] = ()
    refunds: tuple[Refund, ...] = ()
    next_document_on: date | None = None

    @property
    def next_change_on(self) -> date | None:
        """The earliest day after ``as_of`` on which the statement built from the same
        documents changes other than by days past due counting up: a document dated
        later enters it, or an open item falls past due (the day after its due date).
        ``None`` when neither can happen.

        Policies that read only the statement's balances and items (credit alerts,
        suspension, the ladder's amounts at stake) can change that day at the
        earliest; their own thresholds on days past due are theirs to add.
        """
        earliest = self.next_document_on
        day = self.as_of
        for item in self.items:
            if item.status is not ItemStatus.PAID and item.days_past_due == 0:
                turns = item.invoice.due_on + _ONE_DAY
                if turns > day and (earliest is None or turns < earliest):
                    earliest = turns
        return earliest

    @property
    def currency(self) -> str:
        """The account's currency."""
        return self.account.currency

    @property
    def aging(self) -> dict[AgingBucket, Money]:
        """Open amounts by aging bucket (every bucket present, zeros included)."""
        return dict(self.aging_buckets)

    @property
    def open_items(self) -> tuple[OpenItem, ...]:
        """Items with something left to pay, oldest first."""
        return tuple(item for item in self.items if item.is_open)

    @property
    def overdue_items(self) -> tuple[OpenItem, ...]:
        """Open items past due, oldest first."""
        return tuple(item for item in self.items if item.is_overdue)

    @property
    def charges_total(self) -> Money:
        """The sum of :attr:`charges` (zero when there are none)."""
        return Money.sum((charge.amount for charge in self.charges), self.account.currency)

    @property
    def total_due(self) -> Money:
        """What the customer owes with the charges: ``balance + charges_total``."""
        return self.balance + self.charges_total

    @property
    def refunded(self) -> Money:
        """The sum of :attr:`refunds` (zero when there are none)."""
        return Money.sum((refund.amount for refund in self.refunds), self.account.currency)

    @property
    def net_balance(self) -> Money:
        """Balance minus unapplied credit (negative when the customer is in credit)."""
        return self.balance - self.unapplied

    def item(self, number: str) -> OpenItem:
        """The item for invoice ``number``.

        Raises:
            KeyError: no such invoice on this statement.
        """
        for item in self.items:
            if item.invoice.number == number:
                return item
        raise KeyError(number)


_ONE_DAY = timedelta(days=1)


def _sooner(day: date, earliest: date | None) -> date:
    return day if earliest is None or day < earliest else earliest


def build_statement(
    account: Account,
    as_of: AsOf,
    *,
    invoices: Iterable[Invoice],
    credit_notes: Iterable[CreditNote] = (),
    payments: Iterable[Payment] = (),
    allocations: Iterable[Allocation] = (),
    charges: Iterable[Charge] = (),
    refunds: Iterable[Refund] = (),
) -> AccountStatement:
    """Build the statement of ``account`` on ``as_of``.

    The statement shows the account as it stood on ``as_of``: invoices and credit notes
    issued later, and payments received later, are left out. Allocations are applied as
    recorded, except those from a payment that ``payments`` shows as PENDING (not arrived
    yet), FAILED or CHARGED_BACK (never arrived), or received after ``as_of``: only
    cleared money settles an invoice. An invoice
    is never settled beyond its amount: any excess becomes unapplied credit, which is
    how a customer who paid the same invoice twice shows as overpaid.

    Args:
        account: The account.
        as_of: A date, or an aware datetime converted to the account's timezone.
        invoices: The account's invoices (paid ones may be included).
        credit_notes: The account's credit notes.
        payments: The account's payments, any status.
        allocations: Allocations to these invoices, and allocations made from these
            payments and credit notes (to any account's invoices, for central billing).
        charges: Fees, interest and recovery compensation to show as their own lines
            (a charge given twice is shown once). They change no invoice amount and
            none of the balances; :attr:`AccountStatement.total_due` adds them.
        refunds: Credit paid back to the customer; those made by ``as_of`` lower
            ``unapplied`` (a refund given twice is counted once).

    Returns:
        The statement. Its value does not depend on the order of any input.

    Raises:
        AccountMismatch: an invoice, credit note, payment or charge belongs to another
            account.
        CurrencyMismatch: an invoice, credit note, allocation or charge is in another
            currency.
        InvalidField: an invoice number appears twice, allocations consume more than
            a payment or credit note holds, two different charges (or refunds) share a
            key, or the refunds exceed the credit.
        InvalidAsOf: ``as_of`` is a naive datetime.
    """
    on = local_date(as_of, account.tz)
    currency = account.currency
    account_id = account.id

    by_number: dict[str, Invoice] = {}
    not_yet_issued: set[str] = set()
    later: date | None = None  # the first document dated after the statement day
    for invoice in invoices:
        if invoice.account_id != account_id:
            raise AccountMismatch("Invoice.account_id", account_id, invoice.account_id)
        if invoice.amount.currency != currency:
            raise CurrencyMismatch(currency, invoice.amount.currency, f"invoice {invoice.number}")
        if invoice.number in by_number:
            raise InvalidField("Invoice.number", invoice.number, "appears twice in the statement")
        if invoice.issued_on <= on:
            by_number[invoice.number] = invoice
        else:
            not_yet_issued.add(invoice.number)
            later = _sooner(invoice.issued_on, later)

    # Sources of money and what each still holds.
    remaining: dict[str, Decimal] = {}
    source_kind: dict[str, str] = {}
    pending = Decimal(0)
    unsettled_sources: set[str] = set()
    foreign: list[Payment] = []
    for payment in payments:
        if payment.account_id != account_id:
            raise AccountMismatch("Payment.account_id", account_id, payment.account_id)
        pay_status = payment.status
        if payment.received_on > on:
            unsettled_sources.add(payment.id)  # not received yet on the statement day
            later = _sooner(payment.received_on, later)
        elif pay_status is not PaymentStatus.CLEARED:
            unsettled_sources.add(payment.id)
            if pay_status is PaymentStatus.PENDING and payment.amount.currency == currency:
                pending += payment.amount.amount
        elif payment.amount.currency != currency:
            foreign.append(payment)
        else:
            remaining[payment.id] = payment.amount.amount
            source_kind[payment.id] = "payment"
    for note in credit_notes:
        if note.account_id != account_id:
            raise AccountMismatch("CreditNote.account_id", account_id, note.account_id)
        if note.amount.currency != currency:
            raise CurrencyMismatch(currency, note.amount.currency, f"credit note {note.number}")
        if note.issued_on > on:
            unsettled_sources.add(note.number)
            later = _sooner(note.issued_on, later)
            continue
        remaining[note.number] = note.amount.amount
        source_kind[note.number] = "credit note"

    settled: dict[str, Decimal] = {}
    for allocation in allocations:
        if allocation.source_id in unsettled_sources or allocation.invoice_number in not_yet_issued:
            continue
        kind = allocation.kind
        consumes = kind is AllocationKind.CASH or kind is AllocationKind.CREDIT
        source = allocation.source_id
        mine = allocation.invoice_number in by_number
        counted_source = (consumes or kind is AllocationKind.CREDIT_NOTE) and source in remaining
        if not mine and not counted_source:
            continue  # another account's business entirely
        if allocation.amount.currency != currency:
            raise CurrencyMismatch(currency, allocation.amount.currency, "Allocation.amount")
        amount = allocation.amount.amount
        if counted_source:
            remaining[source] -= amount
        if mine:
            settled[allocation.invoice_number] = (
                settled.get(allocation.invoice_number, Decimal(0)) + amount
            )

    for source, left in remaining.items():
        if left < 0:
            raise InvalidField(
                "Allocation.amount",
                source,
                f"allocations consume {-left} {currency} more than {source_kind[source]} "
                f"{source!r} holds",
            )

    zero = Money.zero(currency).amount
    unapplied = sum(remaining.values(), zero)
    buckets: dict[AgingBucket, Decimal] = dict.fromkeys(AgingBucket, zero)
    balance = overdue = zero
    oldest = 0
    items: list[OpenItem] = []
    for invoice in sorted(by_number.values(), key=_oldest_first):
        amount = invoice.amount.amount
        paid = settled.get(invoice.number, zero)
        if paid > amount:
            unapplied += paid - amount
            paid = amount
        open_amount = amount - paid
        if open_amount:
            days = (on - invoice.due_on).days
            days = days if days > 0 else 0
            status = ItemStatus.PARTIALLY_PAID if paid else ItemStatus.OPEN
            balance += open_amount
            buckets[aging_bucket(days)] += open_amount
            if days:
                overdue += open_amount
                oldest = days if days > oldest else oldest
        else:
            days = 0
            status = ItemStatus.PAID
        items.append(
            OpenItem(
                invoice=invoice,
                open_amount=Money._exact(open_amount, currency),
                settled=Money._exact(paid, currency),
                days_past_due=days,
                status=status,
            )
        )

    booked: dict[str, Charge] = {}
    for charge in charges:
        if charge.account_id != account_id:
            raise AccountMismatch("Charge.account_id", account_id, charge.account_id)
        if charge.amount.currency != currency:
            raise CurrencyMismatch(currency, charge.amount.currency, f"charge {charge.key}")
        if booked.setdefault(charge.key, charge) != charge:
            raise InvalidField("Charge.key", charge.key, "given twice with different contents")

    made: dict[str, Refund] = {}
    for refund in refunds:
        if refund.account_id != account_id:
            raise AccountMismatch("Refund.account_id", account_id, refund.account_id)
        if refund.amount.currency != currency:
            raise CurrencyMismatch(currency, refund.amount.currency, f"refund {refund.id}")
        if made.setdefault(refund.id, refund) != refund:
            raise InvalidField("Refund.id", refund.id, "given twice with different contents")
    shown = sorted(
        (r for r in made.values() if r.refunded_on <= on), key=lambda r: (r.refunded_on, r.id)
    )
    for refund in made.values():
        if refund.refunded_on > on:
            later = _sooner(refund.refunded_on, later)
    for refund in shown:
        unapplied -= refund.amount.amount
    if unapplied < 0:
        raise InvalidField(
            "Refund.amount",
            tuple(r.id for r in shown),
            f"the refunds exceed the account's credit by {-unapplied} {currency}",
        )

    return AccountStatement(
        account=account,
        as_of=on,
        items=tuple(items),
        balance=Money._exact(balance, currency),
        overdue_balance=Money._exact(overdue, currency),
        oldest_days_past_due=oldest,
        unapplied=Money._exact(unapplied, currency),
        pending=Money._exact(pending + zero, currency),
        other_currency_payments=tuple(sorted(foreign, key=lambda p: p.id)),
        aging_buckets=tuple(
            (bucket, Money._exact(buckets[bucket], currency)) for bucket in AgingBucket
        ),
        charges=tuple(sorted(booked.values(), key=lambda c: (c.booked_on, c.key))),
        refunds=tuple(shown),
        next_document_on=later,
    )


def _oldest_first(invoice: Invoice) -> tuple[date, date, str]:
    return (invoice.due_on, invoice.issued_on, invoice.number)


def aging_totals(
    statements: Iterable[AccountStatement], currency: str
) -> Mapping[AgingBucket, Money]:
    """Add the aging of several statements in one currency (a portfolio view).

    Raises:
        CurrencyMismatch: a statement is in another currency.
    """
    totals = dict.fromkeys(AgingBucket, Money.zero(currency))
    for statement in statements:
        for bucket, amount in statement.aging_buckets:
            totals[bucket] = totals[bucket] + amount
    return totals
