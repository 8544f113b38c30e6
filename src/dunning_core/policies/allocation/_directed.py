"""Allocation the customer or the seller directed: remittance advice lines and credit
notes (private)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal

from dunning_core.domain.invoice import CreditNote
from dunning_core.domain.payment import AllocationKind, Payment
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.statement import OpenItem
from dunning_core.money import Money
from dunning_core.policies.allocation._book import Book, Run
from dunning_core.policies.allocation._policy import AllocationOrder
from dunning_core.policies.allocation._result import (
    DiscrepancyCode,
    UnappliedCredit,
    discrepancy,
)

CASH = AllocationKind.CASH
WITHHOLDING = AllocationKind.WITHHOLDING
DISCOUNT = AllocationKind.DISCOUNT
WRITE_OFF = AllocationKind.WRITE_OFF
CREDIT_NOTE = AllocationKind.CREDIT_NOTE
Code = DiscrepancyCode


def follow_advice(
    run: Run, payment: Payment, owner: Hashable, advice: RemittanceAdvice, cash: Decimal
) -> Decimal:
    """Apply the advice's lines in their order; return the cash left.

    Each named invoice that the payment may settle receives, before anything else,
    what the line states (tax withheld, then cash, then a tolerated discount), capped
    at what is open on it; a short payment with a reason is written off within
    tolerance. Everything else becomes a discrepancy and its cash stays in the pool.
    """
    currency = payment.currency
    if advice.payment_id != payment.id:
        run.note(
            discrepancy(
                code=Code.ADVICE_OTHER_PAYMENT,
                message=f"The remittance advice describes payment {advice.payment_id}, not "
                f"{payment.id}; it was not followed.",
            )
        )
        return cash
    if advice.currency != currency:
        run.note(
            discrepancy(
                code=Code.ADVICE_CURRENCY_MISMATCH,
                message=f"The remittance advice is in {advice.currency} but the payment is in "
                f"{currency}; it was not followed.",
            )
        )
        return cash
    stated_cash = advice.cash_total
    if stated_cash > payment.amount:
        excess = stated_cash - payment.amount
        run.note(
            discrepancy(
                code=Code.ADVICE_EXCEEDS_PAYMENT,
                message=f"The remittance advice lists {stated_cash} in payments but "
                f"{payment.amount} was received; the lines were served in their order until "
                f"the money ran out ({excess} short).",
                amount=excess,
            )
        )
    for line in advice.lines:
        idx = _named_invoice(run, line.invoice_number, owner, currency, "The remittance advice")
        if idx is not None:
            cash = _follow_line(run, payment.id, line, idx, cash)
    return cash


def _named_invoice(run: Run, number: str, owner: Hashable, currency: str, who: str) -> int | None:
    """The index of an invoice a line names, or None after reporting why it cannot be paid."""
    book = run.book
    idx = book.index.get(number)
    if idx is None:
        run.note(
            discrepancy(
                code=Code.UNKNOWN_INVOICE,
                message=f"{who} names invoice {number}, which we cannot find on the account; "
                f"{_elsewhere(book)}.",
                invoice_number=number,
            )
        )
        return None
    item = book.items[idx]
    if book.group(item.invoice.account_id) != owner:
        run.note(
            discrepancy(
                code=Code.OTHER_ACCOUNT_INVOICE,
                message=f"{who} names invoice {number}, which belongs to another account "
                f"({item.invoice.account_id}); {_elsewhere(book)}.",
                invoice_number=number,
            )
        )
        return None
    if item.open_amount.currency != currency:
        run.note(
            discrepancy(
                code=Code.CURRENCY_MISMATCH,
                message=f"Invoice {number} is in {item.open_amount.currency}, the payment in "
                f"{currency}; it was not settled because no exchange rate was given, and "
                f"{_elsewhere(book)}.",
                invoice_number=number,
            )
        )
        return None
    eligibility = book.eligibility
    for code, numbers, words in (
        (Code.INVOICE_DISPUTED, eligibility.disputed, "is disputed"),
        (Code.INVOICE_ON_HOLD, eligibility.held, "is on hold"),
        (Code.INVOICE_WRITTEN_OFF, eligibility.written_off, "was written off"),
    ):
        if number in numbers:
            run.note(
                discrepancy(
                    code=code,
                    message=f"Invoice {number} {words}, so nothing was applied to it; "
                    f"{_elsewhere(book)}.",
                    invoice_number=number,
                )
            )
            return None
    if not book.opens[idx]:
        run.note(
            discrepancy(
                code=Code.INVOICE_ALREADY_PAID,
                message=f"Invoice {number} was already paid in full; {_elsewhere(book)}.",
                invoice_number=number,
            )
        )
        return None
    return idx


def _elsewhere(book: Book) -> str:
    if book.policy.order is AllocationOrder.UNAPPLIED:
        return "the money meant for it was kept as credit on the account"
    if book.policy.order is AllocationOrder.STATUTORY:
        return "the money meant for it went to the open debts in the statutory order"
    return "the money meant for it went to the oldest open invoices"


def _follow_line(
    run: Run, source_id: str, line: RemittanceLine, idx: int, cash: Decimal
) -> Decimal:
    book = run.book
    policy = book.policy
    item: OpenItem = book.items[idx]
    number = line.invoice_number
    currency = line.currency
    open_amount = book.opens[idx]
    stated = line.settles.amount
    if stated > open_amount:
        excess = Money._exact(stated - open_amount, currency)
        run.note(
            discrepancy(
                code=Code.ADVICE_EXCEEDS_OPEN,
                message=f"The remittance advice states {line.settles} for invoice {number}, but "
                f"only {Money._exact(open_amount, currency)} was open; the {excess} over it "
                "was not applied to this invoice.",
                invoice_number=number,
                amount=excess,
            )
        )
    left = open_amount
    complete = stated <= open_amount  # every stated part applied in full (so far)

    withheld = line.tax_withheld.amount
    if withheld:
        if policy.withholding_needs_certificate and line.certificate is None:
            run.note(
                discrepancy(
                    code=Code.WITHHOLDING_WITHOUT_CERTIFICATE,
                    message=f"Tax of {line.tax_withheld} withheld on invoice {number} was not "
                    "applied: please send the withholding tax certificate.",
                    invoice_number=number,
                    amount=line.tax_withheld,
                )
            )
            complete = False
        else:
            take = min(withheld, left)
            run.take(idx, take, WITHHOLDING, source_id, line.certificate)
            left -= take

    paid = line.amount_paid.amount
    if paid and left:
        take = min(paid, left, cash)
        if take:
            run.take(idx, take, CASH, source_id)
            left -= take
            cash -= take
        complete = complete and take == paid

    discount = line.discount_taken.amount
    if discount and left:
        take = min(discount, left)
        taken = Money._exact(take, currency)
        if policy.discount_tolerance.allows(taken, item.invoice.amount):
            run.take(idx, take, DISCOUNT, source_id, line.reason)
            left -= take
        else:
            run.note(
                discrepancy(
                    code=Code.DISCOUNT_NOT_ALLOWED,
                    message=f"The discount of {taken} taken on invoice {number} is more than "
                    "we can accept; that amount remains open.",
                    invoice_number=number,
                    amount=taken,
                )
            )
            complete = False

    if line.reason and left and complete:
        short = Money._exact(left, currency)
        if policy.write_off_tolerance.allows(short, item.invoice.amount):
            run.take(idx, left, WRITE_OFF, source_id, line.reason)
        else:
            run.note(
                discrepancy(
                    code=Code.SHORT_PAYMENT,
                    message=f"Invoice {number} was paid {short} short ({line.reason}); that "
                    "amount remains open.",
                    invoice_number=number,
                    amount=short,
                )
            )
    return cash


def apply_targeted_notes(
    run: Run, notes: Sequence[CreditNote]
) -> tuple[list[CreditNote], list[UnappliedCredit]]:
    """Apply credit notes that name an invoice to it; return the other notes and what is
    left of these."""
    book = run.book
    general: list[CreditNote] = []
    left: list[UnappliedCredit] = []
    for note in notes:
        target = note.credits_invoice
        if target is None:
            general.append(note)
            continue
        amount = note.amount.amount
        idx = book.index.get(target)
        why = ""
        if idx is None:
            why = f"invoice {target} is not among the open items"
        else:
            invoice = book.items[idx].invoice
            if book.group(invoice.account_id) != book.group(note.account_id):
                why = f"invoice {target} belongs to another account ({invoice.account_id})"
            elif invoice.currency != note.currency:
                why = f"invoice {target} is in {invoice.currency}"
            elif target in book.eligibility.written_off:
                why = f"invoice {target} was written off"
            else:
                # The seller's own credit settles the invoice it names even while the
                # invoice is disputed or held: that is usually how a dispute ends.
                take = min(amount, book.opens[idx])
                if take:
                    run.take(idx, take, CREDIT_NOTE, note.number)
                    amount -= take
                why = f"it is more than what was open on invoice {target}"
        if amount:
            left.append(_left_over(run, note, amount, why))
    return general, left


def apply_general_notes(run: Run, notes: Sequence[CreditNote]) -> list[UnappliedCredit]:
    """Consume credit notes that name no invoice oldest first, like cash."""
    book = run.book
    left: list[UnappliedCredit] = []
    keep = book.policy.order is AllocationOrder.UNAPPLIED
    for note in notes:
        amount = note.amount.amount
        if keep:
            why = "the account's policy keeps credit on account"
        else:
            amount = run.fill(
                (note.currency, book.group(note.account_id)), amount, CREDIT_NOTE, note.number
            )
            why = "it is more than the open invoices it may settle"
        if amount:
            left.append(_left_over(run, note, amount, why))
    return left


def _left_over(run: Run, note: CreditNote, amount: Decimal, why: str) -> UnappliedCredit:
    rest = Money._exact(amount, note.currency)
    run.note(
        discrepancy(
            code=Code.CREDIT_NOTE_UNAPPLIED,
            message=f"Credit note {note.number}: {rest} remains as credit because {why}.",
            invoice_number=note.credits_invoice,
            amount=rest,
        )
    )
    return UnappliedCredit.from_credit_note(note, rest)
