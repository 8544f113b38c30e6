"""Writing an invoice off as uncollectible, and recovering it when money comes after all.

:func:`write_off_invoice` settles what is open on an invoice with a ``WRITE_OFF``
allocation carrying the reason (a failed collection, a closed insolvency). The invoice
is then settled on the statement, so dunning stops for it, and the suspension is
re-decided in the same unit of work.

A later payment of a written-off invoice is a recovery: when
:func:`~dunning_core.service.payments.record_payment` sees a payment whose remittance
advice or bank reference names a written-off invoice, it takes back the write-off by
what the payment covers (the invoice reopens, the cash settles it, any rest stays
written off) and records a :class:`~dunning_core.domain.events.WriteOffRecovered`.

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.ledger.add_invoices([Invoice(number="F-1", account_id="A-1",
...         issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), amount=Money("80", "EUR"))])
...     uow.commit()
>>> outcome = write_off_invoice(store.unit_of_work(), "F-1", reason="collection failed",
...                             as_of=date(2026, 9, 1))
>>> [(a.kind.value, str(a.amount), a.reference) for a in outcome.allocations]
[('WRITE_OFF', '80.00 EUR', 'collection failed')]

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from dunning_core.domain.dates import AsOf, as_instant, localize
from dunning_core.domain.events import InvoiceWrittenOff, WriteOffRecovered
from dunning_core.domain.payment import Allocation, AllocationKind, Payment
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.errors import InvalidAmount, InvalidField, UnknownRecord
from dunning_core.money import Money
from dunning_core.policies.allocation import find_invoice_numbers
from dunning_core.ports import AccountLedger, UnitOfWork
from dunning_core.service._change import finish_change
from dunning_core.service._steps import account_data, statement_of
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.settings import CycleConfig

__all__ = ["WRITE_OFF_SOURCE_PREFIX", "write_off_invoice", "write_off_source"]

#: Write-off allocations name ``write-off:<invoice number>`` as their source.
WRITE_OFF_SOURCE_PREFIX = "write-off:"


def write_off_source(invoice_number: str) -> str:
    """The ``source_id`` of the write-off allocations of an invoice."""
    return WRITE_OFF_SOURCE_PREFIX + invoice_number


def write_off_invoice(
    uow: UnitOfWork,
    invoice_number: str,
    *,
    reason: str,
    as_of: AsOf,
    amount: Money | None = None,
    config: CycleConfig | None = None,
) -> AccountOutcome:
    """Write off what is open on an invoice (or ``amount`` of it) as uncollectible.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        invoice_number: The invoice.
        reason: Why (kept on the allocation and in the event).
        as_of: When (a date or an aware datetime); the open amount is that day's.
        amount: How much to write off; everything open by default.
        config: The policies; the defaults if ``None``.

    Returns:
        The outcome: :class:`~dunning_core.domain.events.InvoiceWrittenOff`, then any
        suspension change (writing off the overdue invoice can reactivate the account);
        its ``allocations`` hold the ``WRITE_OFF`` allocation.

    Raises:
        UnknownRecord: no such invoice.
        InvalidField: ``reason`` is empty, or nothing is open on the invoice.
        InvalidAmount: ``amount`` is not positive, in another currency, or more than is
            open.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidField("reason", reason, "a write-off needs a reason")
    as_instant(as_of)
    config = CycleConfig() if config is None else config
    with uow:
        invoice = uow.ledger.get_invoices([invoice_number]).get(invoice_number)
        if invoice is None:
            raise UnknownRecord("invoice", invoice_number)
        account, ledger, _ = account_data(uow, invoice.account_id)
        item = statement_of(account, ledger, localize(as_of, account.tz)).item(invoice_number)
        if not item.open_amount:
            raise InvalidField("invoice_number", invoice_number, "nothing is open on it")
        written = item.open_amount if amount is None else amount
        if not isinstance(written, Money) or written.currency != item.open_amount.currency:
            raise InvalidAmount("amount", amount, f"must be a Money in {account.currency}")
        if written.amount <= 0 or written > item.open_amount:
            raise InvalidAmount(
                "amount", amount, f"must be more than zero and at most {item.open_amount}"
            )
        allocation = Allocation(
            invoice_number=invoice_number,
            amount=written,
            kind=AllocationKind.WRITE_OFF,
            source_id=write_off_source(invoice_number),
            reference=reason,
        )
        uow.ledger.add_allocations([allocation])
        event = InvoiceWrittenOff(
            account_id=account.id,
            as_of=as_of,
            invoice_number=invoice_number,
            amount=written,
            reason=reason,
        )
        outcome = finish_change(uow, config, account, as_of, [event], allocations=[allocation])
        uow.commit()
    return outcome


# -- recovery (used by record_payment) -----------------------------------------------------


@attrs.frozen
class Recovery:
    """A written-off invoice a payment names, reopened for the payment to settle."""

    invoice_number: str
    written_off: Money
    reason: str | None


def reopen_named_write_offs(
    uow: UnitOfWork,
    ledger: AccountLedger,
    payment: Payment,
    advice: RemittanceAdvice | None,
) -> tuple[AccountLedger, RemittanceAdvice | None, tuple[Recovery, ...]]:
    """Take back the write-offs of the invoices ``payment`` names (its advice's lines,
    or invoice numbers in its bank reference), in the caller's unit of work.

    Returns:
        The ledger without those write-offs, the advice to follow (one directing the
        payment to the reopened invoices when the customer sent none), and the
        recoveries to settle after allocation (:func:`settle_recoveries`).
    """
    written: dict[str, list[Allocation]] = {}
    for allocation in ledger.allocations:
        if allocation.kind is AllocationKind.WRITE_OFF and allocation.source_id.startswith(
            WRITE_OFF_SOURCE_PREFIX
        ):
            written.setdefault(allocation.invoice_number, []).append(allocation)
    if not written:
        return ledger, advice, ()
    if advice is not None:
        named = [line.invoice_number for line in advice.lines if line.invoice_number in written]
    else:
        named = list(find_invoice_numbers(payment.bank_reference, written))
    if not named:
        return ledger, advice, ()
    recoveries = []
    for number in named:
        taken = uow.ledger.remove_allocations_of_source(write_off_source(number))
        amount = Money.sum((a.amount for a in taken), payment.currency)
        recoveries.append(Recovery(number, amount, taken[0].reference if taken else None))
    removed = {write_off_source(number) for number in named}
    ledger = attrs.evolve(
        ledger, allocations=tuple(a for a in ledger.allocations if a.source_id not in removed)
    )
    if advice is None:
        left = payment.amount
        lines = []
        for recovery in recoveries:
            paid = recovery.written_off.min(left)
            if paid.amount > 0:
                lines.append(
                    RemittanceLine(invoice_number=recovery.invoice_number, amount_paid=paid)
                )
                left = left - paid
        advice = RemittanceAdvice(payment_id=payment.id, lines=lines) if lines else None
    return ledger, advice, tuple(recoveries)


def settle_recoveries(
    uow: UnitOfWork,
    recoveries: Sequence[Recovery],
    allocations: Sequence[Allocation],
    payment: Payment,
    as_of: AsOf,
) -> tuple[tuple[WriteOffRecovered, ...], tuple[Allocation, ...]]:
    """After the payment's allocation: write off again what it did not cover.

    Returns:
        The recoveries as events, and the write-off allocations written again.
    """
    events = []
    rewritten: list[Allocation] = []
    for recovery in recoveries:
        number = recovery.invoice_number
        covered = Money.sum(
            (
                a.amount
                for a in allocations
                if a.invoice_number == number and a.source_id == payment.id
            ),
            payment.currency,
        ).min(recovery.written_off)
        rest = recovery.written_off - covered
        if rest.amount > 0:
            rewritten.append(
                Allocation(
                    invoice_number=number,
                    amount=rest,
                    kind=AllocationKind.WRITE_OFF,
                    source_id=write_off_source(number),
                    reference=recovery.reason,
                )
            )
        if covered.amount > 0:
            assert payment.account_id is not None  # only identified payments recover
            events.append(
                WriteOffRecovered(
                    account_id=payment.account_id,
                    as_of=as_of,
                    invoice_number=number,
                    amount=covered,
                    payment_id=payment.id,
                )
            )
    uow.ledger.add_allocations(rewritten)
    return tuple(events), tuple(rewritten)
