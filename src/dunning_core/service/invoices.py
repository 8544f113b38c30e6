"""Recording invoices and credit notes through the rules.

:func:`record_invoice` stores an invoice (or its correction, under the same number) and
re-decides suspension. :func:`record_credit_note` stores a credit note and applies it
at once: to the invoice it credits (even while that invoice is disputed or on hold: a
credit note is usually how a dispute ends), or, crediting none, to the open invoices
oldest first, what is left staying on the account as credit. The allocations, the
event and the suspension change (a credit note can reactivate an account) are written
in one unit of work.

>>> from datetime import date
>>> from dunning_core import Account, CreditNote, Invoice, Money
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.commit()
>>> invoice = Invoice(number="F-1", account_id="A-1", issued_on=date(2026, 1, 2),
...                   due_on=date(2026, 2, 1), amount=Money("100", "EUR"))
>>> record_invoice(store.unit_of_work(), invoice).events[0].kind
'invoice.recorded'
>>> note = CreditNote(number="CN-1", account_id="A-1", issued_on=date(2026, 1, 20),
...                   amount=Money("30", "EUR"), credits_invoice="F-1")
>>> [(a.invoice_number, str(a.amount)) for a in
...  record_credit_note(store.unit_of_work(), note).allocations]
[('F-1', '30.00 EUR')]

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from dunning_core.domain.dates import AsOf, as_instant, localize
from dunning_core.domain.events import CreditNoteApplied, InvoiceRecorded
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.payment import Allocation
from dunning_core.errors import AccountMismatch, InvalidField, UnknownRecord
from dunning_core.money import Money
from dunning_core.policies.allocation import (
    AllocationOrder,
    Eligibility,
    UnappliedCredit,
    apply_credit,
)
from dunning_core.ports import UnitOfWork
from dunning_core.service._change import finish_change
from dunning_core.service._steps import account_data, statement_of
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.settings import CycleConfig

__all__ = ["record_credit_note", "record_credit_notes", "record_invoice", "record_invoices"]


def record_invoice(
    uow: UnitOfWork,
    invoice: Invoice,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Record an invoice, or correct one (same number), and re-decide suspension.

    Args:
        uow: A unit of work not yet entered (``store.unit_of_work()``); this function
            enters it and commits.
        invoice: The invoice.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the issue date by default.

    Returns:
        The outcome: :class:`~dunning_core.domain.events.InvoiceRecorded` (``replaced``
        for a correction), then any suspension change; ``repeated=True`` when the same
        invoice was on file.

    Raises:
        UnknownRecord: the invoice names an account the store does not know.
        AccountMismatch: an invoice with this number belongs to another account
            (numbers are unique across the ledger).
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    _check_record(invoice, Invoice, "invoice", "an")
    when: AsOf = invoice.issued_on if as_of is None else as_of
    as_instant(when)
    config = CycleConfig() if config is None else config
    with uow:
        outcome = _record_invoice(uow, config, invoice, when)
        if not outcome.repeated:
            uow.commit()
    return outcome


def record_invoices(
    uow: UnitOfWork,
    invoices: Iterable[Invoice],
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
    decide_suspension: bool = True,
) -> tuple[AccountOutcome, ...]:
    """Record several invoices in one unit of work: all of them, or none.

    Each is recorded as :func:`record_invoice` would, in the order given, each on its
    own issue date unless ``as_of`` is given; nothing is committed until the last is
    done, and a refused one (an unknown account, a number of another account) leaves
    the store as it was.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits once.
        invoices: The invoices, in the order to record them (the order they were
            issued gives each suspension decision the ledger of its day).
        config: The policies; the defaults if ``None``.
        as_of: When they are recorded; each one's issue date by default.
        decide_suspension: Re-decide each account's suspension after its change (the
            default, as the single service does). ``False`` for a first load of a
            ledger in several files: a decision taken between two of them would judge
            an account by half its data (invoices without the payments that settled
            them) and send its notice; the next cycle run decides from the whole
            ledger instead. The outcomes' ``decision`` is then ``None``.

    Returns:
        One outcome per invoice, in order.

    Raises:
        UnknownRecord, AccountMismatch: as :func:`record_invoice`; nothing is written.
        InvalidField: an item is not an :class:`~dunning_core.Invoice`.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.

    .. versionadded:: 0.2
    """
    return _record_batch(
        uow, invoices, Invoice, "invoice", "an", _record_invoice, config, as_of, decide_suspension
    )


def _record_batch(
    uow: UnitOfWork,
    records: Iterable[Any],
    cls: type,
    name: str,
    article: str,
    record_one: Callable[..., AccountOutcome],
    config: CycleConfig | None,
    as_of: AsOf | None,
    decide: bool,
) -> tuple[AccountOutcome, ...]:
    """The batch forms' one body: check everything, then record each on its issue date
    (or ``as_of``) in one unit of work, committed once unless every one was a repeat."""
    check_unit_of_work(uow)
    batch = list(records)
    for record in batch:
        _check_record(record, cls, name, article)
    if as_of is not None:
        as_instant(as_of)
    config = CycleConfig() if config is None else config
    with uow:
        outcomes = tuple(
            record_one(
                uow, config, record, record.issued_on if as_of is None else as_of, decide=decide
            )
            for record in batch
        )
        if not all(outcome.repeated for outcome in outcomes):
            uow.commit()
    return outcomes


def _check_record(record: object, cls: type, name: str, article: str) -> None:
    if not isinstance(record, cls):
        raise InvalidField(name, record, f"must be {article} {cls.__name__}")


def _record_invoice(
    uow: UnitOfWork, config: CycleConfig, invoice: Invoice, when: AsOf, *, decide: bool = True
) -> AccountOutcome:
    """Record ``invoice`` in the caller's (entered) unit of work, without committing."""
    account = uow.accounts.get(invoice.account_id)
    if account is None:
        raise UnknownRecord("account", invoice.account_id)
    before = uow.ledger.get_invoices([invoice.number]).get(invoice.number)
    if before == invoice:
        return AccountOutcome(account_id=account.id, repeated=True)
    if before is not None and before.account_id != invoice.account_id:
        raise AccountMismatch("Invoice.account_id", before.account_id, invoice.account_id)
    uow.ledger.add_invoices([invoice])
    event = InvoiceRecorded(
        account_id=account.id,
        as_of=when,
        invoice_number=invoice.number,
        amount=invoice.amount,
        replaced=before is not None,
    )
    return finish_change(uow, config, account, when, [event], decide=decide)


def record_credit_note(
    uow: UnitOfWork,
    note: CreditNote,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Record a credit note and apply it: to the invoice it credits, or (crediting none)
    oldest first; then re-decide suspension.

    A credit note recorded again with other contents replaces the first: its
    allocations are taken back and it is applied afresh.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        note: The credit note.
        config: The policies (the allocation policy's order, ``UNAPPLIED``, keeps a
            note that credits no invoice on the account); the defaults if ``None``.
        as_of: When it is recorded; the note's issue date by default.

    Returns:
        The outcome: :class:`~dunning_core.domain.events.CreditNoteApplied` (what it
        settled and what is left as credit), then any suspension change; its
        ``allocations`` are the ones written.

    Raises:
        UnknownRecord: the note names an account, or an invoice, the store does not
            know.
        AccountMismatch: the invoice it credits belongs to another account.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    _check_record(note, CreditNote, "note", "a")
    when: AsOf = note.issued_on if as_of is None else as_of
    as_instant(when)
    config = CycleConfig() if config is None else config
    with uow:
        outcome = _record_credit_note(uow, config, note, when)
        if not outcome.repeated:
            uow.commit()
    return outcome


def record_credit_notes(
    uow: UnitOfWork,
    notes: Iterable[CreditNote],
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
    decide_suspension: bool = True,
) -> tuple[AccountOutcome, ...]:
    """Record and apply several credit notes in one unit of work: all of them, or none.

    Each is recorded and applied as :func:`record_credit_note` would, in the order
    given, each on its own issue date unless ``as_of`` is given; nothing is committed
    until the last is done.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits once.
        notes: The credit notes, in the order to apply them.
        config: The policies; the defaults if ``None``.
        as_of: When they are recorded; each one's issue date by default.
        decide_suspension: Re-decide each account's suspension after its change (the
            default, as the single service does). ``False`` for a first load of a
            ledger in several files: a decision taken between two of them would judge
            an account by half its data (invoices without the payments that settled
            them) and send its notice; the next cycle run decides from the whole
            ledger instead. The outcomes' ``decision`` is then ``None``.

    Returns:
        One outcome per note, in order; ``allocations`` are the ones written.

    Raises:
        UnknownRecord, AccountMismatch: as :func:`record_credit_note`; nothing is
            written.
        InvalidField: an item is not a :class:`~dunning_core.CreditNote`.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.

    .. versionadded:: 0.2
    """
    return _record_batch(
        uow, notes, CreditNote, "note", "a", _record_credit_note, config, as_of, decide_suspension
    )


def _record_credit_note(
    uow: UnitOfWork, config: CycleConfig, note: CreditNote, when: AsOf, *, decide: bool = True
) -> AccountOutcome:
    """Record and apply ``note`` in the caller's (entered) unit of work, without
    committing."""
    account, ledger, facts = account_data(uow, note.account_id)
    before = next((n for n in ledger.credit_notes if n.number == note.number), None)
    if before == note:
        return AccountOutcome(account_id=account.id, repeated=True)
    target = note.credits_invoice
    if target is not None:
        credited = uow.ledger.get_invoices([target]).get(target)
        if credited is None:
            raise UnknownRecord("invoice", target)
        if credited.account_id != account.id:
            raise AccountMismatch("Invoice.account_id", account.id, credited.account_id)
    if before is not None:
        uow.ledger.remove_allocations_of_source(note.number)
    uow.ledger.add_credit_notes([note])
    _, ledger, facts = account_data(uow, account.id)
    local = localize(when, account.tz)
    # The open items as they stand without this note (its credit is what we apply).
    without_note = attrs.evolve(
        ledger,
        credit_notes=tuple(n for n in ledger.credit_notes if n.number != note.number),
        allocations=tuple(a for a in ledger.allocations if a.source_id != note.number),
    )
    items = statement_of(account, without_note, local).items
    allocations: tuple[Allocation, ...] = ()
    credit = UnappliedCredit.from_credit_note(note)
    if target is not None:
        # The invoice it credits, whatever disputes or holds say.
        result = apply_credit(
            credit, [i for i in items if i.invoice.number == target], policy=config.allocation
        )
        allocations = result.allocations
    elif config.allocation.order is not AllocationOrder.UNAPPLIED:
        eligibility = Eligibility.from_facts([facts], local.day, accounts=[account])
        result = apply_credit(credit, items, policy=config.allocation, eligibility=eligibility)
        allocations = result.allocations
    uow.ledger.add_allocations(allocations)
    applied = tuple((a.invoice_number, a.amount) for a in allocations)
    used = Money.sum((a.amount for a in allocations), note.currency)
    event = CreditNoteApplied(
        account_id=account.id,
        as_of=when,
        credit_note_number=note.number,
        amount=note.amount,
        applied=applied,
        left=note.amount - used,
    )
    return finish_change(
        uow, config, account, when, [event], allocations=allocations, decide=decide
    )
