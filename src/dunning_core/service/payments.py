"""Recording payments: store, identify, allocate, re-decide suspension, in one transaction.

:func:`record_payment` is what a bank-file import or a payment-provider webhook calls for
each payment. It stores the payment (a repeated id is a no-op), identifies an
unidentified payment by the invoice numbers in its bank reference when exactly one
account matches, allocates a cleared payment (the remittance advice first, then oldest
first), re-decides suspension and, when the account is reactivated, writes the event and
the customer's notice to the outbox in the same transaction. Service comes back the
moment the money is allocated, not at the next cycle.

:func:`reverse_payment` is the other way: a chargeback, a returned direct debit or a
failed card payment removes that payment's allocations, reopens exactly those invoices
and re-decides suspension.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from dunning_core._exports import renamed_keywords
from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf, as_instant, local_date
from dunning_core.domain.events import AccountReactivated, AccountSuspended, WriteOffRecovered
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Allocation, Payment, PaymentStatus
from dunning_core.domain.remittance import RemittanceAdvice
from dunning_core.domain.statement import AccountStatement, OpenItem
from dunning_core.errors import InvalidField, UnknownRecord
from dunning_core.policies.allocation import (
    AllocationResult,
    Eligibility,
    MatchEvidence,
    PaymentMatch,
    allocate,
    is_repeat,
    match_payment,
    reference_candidates,
)
from dunning_core.policies.suspension import SuspensionDecision
from dunning_core.ports import AccountLedger, UnitOfWork
from dunning_core.service._steps import account_data, decide_and_write, statement_of
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.records import event_record
from dunning_core.service.settings import CycleConfig
from dunning_core.service.write_offs import reopen_named_write_offs, settle_recoveries

__all__ = [
    "AdviceOutcome",
    "PaymentOutcome",
    "ReversalOutcome",
    "assign_payment",
    "record_advices",
    "record_payment",
    "record_payments",
    "reverse_payment",
]

logger = logging.getLogger("dunning_core")


@attrs.frozen(kw_only=True)
class PaymentOutcome:
    """What :func:`record_payment` did.

    Attributes:
        payment: The payment as stored (with its account once identified).
        repeated: True when the payment was already recorded and nothing changed.
        identified_by: For a payment that arrived unidentified, the match that
            identified it; ``None`` otherwise.
        candidates: The ranked matches of an unidentified payment (empty if identified
            from the start); several accounts matching leaves it in suspense.
        allocation: The allocation result, or ``None`` when the payment could not be
            allocated (not cleared, or still unidentified).
        decision: The suspension decision after the payment, or ``None``.
        event: ``AccountReactivated`` (naming this payment) or ``AccountSuspended`` when
            the payment changed the account's state, else ``None``.
        entity_events: Under central billing, the events of the other accounts of the
            billing entity whose invoices the payment settled.
        recoveries: The written-off invoices this payment recovered (it named them in
            its advice or bank reference), each a
            :class:`~dunning_core.domain.events.WriteOffRecovered`.
    """

    payment: Payment
    repeated: bool = False
    identified_by: PaymentMatch | None = None
    candidates: tuple[PaymentMatch, ...] = ()
    allocation: AllocationResult | None = None
    decision: SuspensionDecision | None = None
    event: AccountSuspended | AccountReactivated | None = None
    entity_events: tuple[AccountSuspended | AccountReactivated, ...] = ()
    recoveries: tuple[WriteOffRecovered, ...] = ()

    @property
    def in_suspense(self) -> bool:
        """True while the payment is not identified to an account."""
        return self.payment.account_id is None


@attrs.frozen(kw_only=True)
class ReversalOutcome:
    """What :func:`reverse_payment` did.

    Attributes:
        payment: The payment with its new status.
        repeated: True when it already had that status (nothing changed).
        removed: The allocations removed (the invoices reopen by exactly these amounts).
        decision: The suspension decision afterwards, or ``None`` for an unidentified
            payment.
        event: ``AccountSuspended`` when the reversal suspends the account, else ``None``.
        entity_events: Under central billing, the events of the other accounts whose
            invoices the payment had settled and now reopen.
    """

    payment: Payment
    repeated: bool = False
    removed: tuple[Allocation, ...] = ()
    decision: SuspensionDecision | None = None
    event: AccountSuspended | AccountReactivated | None = None
    entity_events: tuple[AccountSuspended | AccountReactivated, ...] = ()


@renamed_keywords(at="as_of")
def record_payment(
    uow: UnitOfWork,
    payment: Payment,
    advice: RemittanceAdvice | None = None,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> PaymentOutcome:
    """Record, identify and allocate ``payment``, and re-decide suspension, atomically.

    A payment id seen before with the same amount is a no-op (``repeated=True``), except
    for a PENDING payment now CLEARED (a direct debit arriving) and a payment in suspense
    now arriving with its account (identified by a person): those are allocated then.
    :func:`assign_payment` does the latter by id.

    Args:
        uow: A unit of work not yet entered (``store.unit_of_work()``); this function
            enters it and commits.
        payment: The payment; ``account_id=None`` for one the bank could not attach.
        advice: The customer's remittance advice for it, if any.
        config: Allocation and suspension policies, renderer; the defaults if ``None``.
        as_of: When it is recorded (a date, or an aware datetime); the payment's value
            date by default. Suspension is re-decided on that day.

    Returns:
        A :class:`PaymentOutcome`.

    Raises:
        DuplicatePayment: the id is on file with another amount or another account.
        InvalidRemittance, CurrencyMismatch: ``advice`` describes another payment, or
            is in another currency.
        UnknownRecord: the payment names an account the store does not know.
        InvalidUnitOfWork: ``uow`` is a factory (``store.unit_of_work``) rather than a
            unit of work (``store.unit_of_work()``).

    .. versionchanged:: 0.2
       ``at`` is now ``as_of``.
    """
    check_unit_of_work(uow)
    config = CycleConfig() if config is None else config
    when = payment.received_on if as_of is None else as_of
    as_instant(when)  # refuses a naive datetime before anything is written
    if advice is not None:
        advice.check_payment(payment)
    with uow:
        outcome = _record_payment(uow, config, payment, advice, when)
        if not outcome.repeated:
            uow.commit()
    return outcome


def record_payments(
    uow: UnitOfWork,
    payments: Iterable[Payment],
    advices: Mapping[str, RemittanceAdvice] | None = None,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
    decide_suspension: bool = True,
) -> tuple[PaymentOutcome, ...]:
    """Record several payments in one unit of work: all of them, or none (a bank file).

    Each is recorded, identified, allocated and re-decided as :func:`record_payment`
    would, in the order given (a later payment sees what the earlier ones settled), but
    nothing is committed until the last is done: a refused payment leaves the store as
    it was.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits once.
        payments: The payments, in the order they arrived.
        advices: Remittance advices by payment id.
        config: Allocation and suspension policies, renderer; the defaults if ``None``.
        as_of: When they are recorded; each one's value date by default.
        decide_suspension: Re-decide each account's suspension after its change (the
            default, as the single service does). ``False`` for a first load of a
            ledger in several files: a decision taken between two of them would judge
            an account by half its data (invoices without the payments that settled
            them) and send its notice; the next cycle run decides from the whole
            ledger instead. The outcomes' ``decision`` is then ``None``.

    Returns:
        One :class:`PaymentOutcome` per payment, in order.

    Raises:
        DuplicatePayment, InvalidRemittance, CurrencyMismatch, UnknownRecord: as
            :func:`record_payment`; nothing is written.
        InvalidField: an item is not a :class:`~dunning_core.Payment`.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.

    .. versionadded:: 0.2
    """
    check_unit_of_work(uow)
    config = CycleConfig() if config is None else config
    advices = {} if advices is None else advices
    batch = list(payments)
    for payment in batch:
        if not isinstance(payment, Payment):
            raise InvalidField("payment", payment, "must be a Payment")
        advice = advices.get(payment.id)
        if advice is not None:
            advice.check_payment(payment)
    if as_of is not None:
        as_instant(as_of)
    with uow:
        outcomes = tuple(
            _record_payment(
                uow,
                config,
                payment,
                advices.get(payment.id),
                payment.received_on if as_of is None else as_of,
                decide=decide_suspension,
            )
            for payment in batch
        )
        if not all(outcome.repeated for outcome in outcomes):
            uow.commit()
    return outcomes


def _record_payment(
    uow: UnitOfWork,
    config: CycleConfig,
    payment: Payment,
    advice: RemittanceAdvice | None,
    when: AsOf,
    *,
    decide: bool = True,
) -> PaymentOutcome:
    """Record ``payment`` in the caller's (entered) unit of work, without committing."""
    existing = uow.ledger.get_payment(payment.id)
    if existing is not None:
        # Raises DuplicatePayment on another amount or account.
        if is_repeat(payment, existing):
            return PaymentOutcome(payment=existing, repeated=True)
        clears = (
            existing.status is PaymentStatus.PENDING and payment.status is PaymentStatus.CLEARED
        )
        identifies = existing.account_id is None and payment.account_id is not None
        if not (clears or identifies):
            return PaymentOutcome(payment=existing, repeated=True)
        stored = existing
        if identifies:
            assert payment.account_id is not None  # for mypy: identifies says so
            if uow.accounts.get(payment.account_id) is None:
                raise UnknownRecord("account", payment.account_id)
            stored = uow.ledger.identify_payment(payment.id, payment.account_id)
        if clears:
            stored = uow.ledger.set_payment_status(payment.id, PaymentStatus.CLEARED)
        if stored.account_id is None or stored.status is not PaymentStatus.CLEARED:
            return PaymentOutcome(payment=stored)
        advice = advice or uow.ledger.advice_for(payment.id)
        return _allocate_and_decide(uow, config, stored, advice, when, decide=decide)

    identified_by: PaymentMatch | None = None
    candidates: tuple[PaymentMatch, ...] = ()
    if payment.account_id is None:
        identified_by, candidates = _identify(uow, payment, when)
        if identified_by is not None:
            payment = attrs.evolve(payment, account_id=identified_by.account_id)
    elif uow.accounts.get(payment.account_id) is None:
        raise UnknownRecord("account", payment.account_id)
    uow.ledger.add_payment(payment)
    if advice is not None:
        uow.ledger.add_advice(advice)
    if payment.account_id is None or payment.status is not PaymentStatus.CLEARED:
        return PaymentOutcome(payment=payment, candidates=candidates)
    outcome = _allocate_and_decide(uow, config, payment, advice, when, decide=decide)
    return attrs.evolve(outcome, identified_by=identified_by, candidates=candidates)


@attrs.frozen(kw_only=True)
class AdviceOutcome:
    """What :func:`record_advices` did with one advice.

    Attributes:
        payment_id: The payment the advice describes.
        repeated: The same advice was on file: nothing was written.
        replaced: Another advice for the payment was on file and was replaced.
        allocated: The payment is already allocated: the advice is kept (for the
            record, and for a reversal and a new payment of the same id) but the
            allocations stay as they are.

    .. versionadded:: 0.2
    """

    payment_id: str
    repeated: bool = False
    replaced: bool = False
    allocated: bool = False


def record_advices(
    uow: UnitOfWork, advices: Iterable[RemittanceAdvice]
) -> tuple[AdviceOutcome, ...]:
    """Keep remittance advices for payments already on file, in one unit of work.

    An advice that arrives after its payment is what allocates it when it clears (a
    pending direct debit) or when it is identified (a payment in suspense assigned by
    :func:`assign_payment`); for a payment already allocated it changes nothing but the
    record. Give an advice with its payment (:func:`record_payment`) when both are at
    hand, so the allocation follows it.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits once.
        advices: The advices.

    Returns:
        One outcome per advice, in order.

    Raises:
        UnknownRecord: an advice names a payment the store does not know (nothing
            written).
        InvalidRemittance, CurrencyMismatch: an advice does not fit its payment.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.

    .. versionadded:: 0.2
    """
    check_unit_of_work(uow)
    batch = list(advices)
    for advice in batch:
        if not isinstance(advice, RemittanceAdvice):
            raise InvalidField("advice", advice, "must be a RemittanceAdvice")
    outcomes: list[AdviceOutcome] = []
    with uow:
        for advice in batch:
            payment = uow.ledger.get_payment(advice.payment_id)
            if payment is None:
                raise UnknownRecord("payment", advice.payment_id)
            advice.check_payment(payment)
            known = uow.ledger.advice_for(advice.payment_id)
            if known == advice:
                outcomes.append(AdviceOutcome(payment_id=advice.payment_id, repeated=True))
                continue
            uow.ledger.add_advice(advice)
            outcomes.append(
                AdviceOutcome(
                    payment_id=advice.payment_id,
                    replaced=known is not None,
                    allocated=bool(uow.ledger.allocations_of_source(advice.payment_id)),
                )
            )
        if not all(outcome.repeated for outcome in outcomes):
            uow.commit()
    return tuple(outcomes)


@renamed_keywords(at="as_of")
def assign_payment(
    uow: UnitOfWork,
    payment_id: str,
    account_id: str,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> PaymentOutcome:
    """Attach a payment waiting in suspense to an account (a person identified it from
    a proof of payment, say), then allocate it with its stored advice and re-decide
    suspension, in one transaction.

    Args:
        uow: A unit of work not yet entered.
        payment_id: The unidentified payment.
        account_id: The account it belongs to.
        config: Policies and renderer; the defaults if ``None``.
        as_of: When it is recorded; the payment's value date by default.

    Returns:
        A :class:`PaymentOutcome`; ``repeated=True`` when the payment was already
        identified to this account.

    Raises:
        UnknownRecord: no such payment, or no such account.
        ConstraintViolation: the payment is identified to another account.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    config = CycleConfig() if config is None else config
    if as_of is not None:
        as_instant(as_of)  # refuses a naive datetime before anything is written
    with uow:
        payment = uow.ledger.get_payment(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        if payment.account_id == account_id:
            return PaymentOutcome(payment=payment, repeated=True)
        if uow.accounts.get(account_id) is None:
            raise UnknownRecord("account", account_id)
        payment = uow.ledger.identify_payment(payment_id, account_id)
        if payment.status is not PaymentStatus.CLEARED:
            uow.commit()
            return PaymentOutcome(payment=payment)
        advice = uow.ledger.advice_for(payment_id)
        outcome = _allocate_and_decide(
            uow, config, payment, advice, payment.received_on if as_of is None else as_of
        )
        uow.commit()
    return outcome


@renamed_keywords(at="as_of")
def reverse_payment(
    uow: UnitOfWork,
    payment_id: str,
    status: PaymentStatus = PaymentStatus.CHARGED_BACK,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf,
) -> ReversalOutcome:
    """Reverse a payment: a chargeback, a returned direct debit, a failed card payment.

    Exactly the allocations made from this payment are removed, so exactly those
    invoices reopen by exactly those amounts; nothing else moves. Suspension is
    re-decided on ``as_of`` (a chargeback can suspend the account again).

    Args:
        uow: A unit of work not yet entered.
        payment_id: The payment.
        status: CHARGED_BACK (default) or FAILED.
        config: Policies and renderer; the defaults if ``None``.
        as_of: When the reversal is recorded (a date or an aware datetime).

    Returns:
        A :class:`ReversalOutcome`.

    Raises:
        UnknownRecord: no payment has this id.
        InvalidField: ``status`` is not CHARGED_BACK or FAILED.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    config = CycleConfig() if config is None else config
    as_instant(as_of)  # refuses a naive datetime before anything is written
    if status not in (PaymentStatus.CHARGED_BACK, PaymentStatus.FAILED):
        raise InvalidField("status", status, "a reversal is CHARGED_BACK or FAILED")
    with uow:
        payment = uow.ledger.get_payment(payment_id)
        if payment is None:
            raise UnknownRecord("payment", payment_id)
        if payment.status is status:
            return ReversalOutcome(payment=payment, repeated=True)
        payment = uow.ledger.set_payment_status(payment_id, status)
        removed = uow.ledger.remove_allocations_of_source(payment_id)
        if payment.account_id is None:
            uow.commit()
            return ReversalOutcome(payment=payment, removed=removed)
        # The payer, then (central billing) every other account whose invoices reopen.
        reopened = uow.ledger.get_invoices({a.invoice_number for a in removed})
        others = sorted({i.account_id for i in reopened.values()} - {payment.account_id})
        cause = f"{payment_id}:{status}"
        decision, event, entity_events = None, None, []
        for account_id in (payment.account_id, *others):
            account, ledger, facts = account_data(uow, account_id)
            statement = statement_of(account, ledger, as_of)
            decided, happened = _decide(
                uow, config, account, statement, ledger, facts, as_of, None, cause=cause
            )
            if account_id == payment.account_id:
                decision, event = decided, happened
            elif happened is not None:
                entity_events.append(happened)
        uow.commit()
    logger.info(
        "payment %s reversed (%s): %d allocations removed", payment_id, status, len(removed)
    )
    return ReversalOutcome(
        payment=payment,
        removed=removed,
        decision=decision,
        event=event,
        entity_events=tuple(entity_events),
    )


# -- steps ----------------------------------------------------------------------------------


def _identify(
    uow: UnitOfWork, payment: Payment, as_of: AsOf
) -> tuple[PaymentMatch | None, tuple[PaymentMatch, ...]]:
    """Look up the invoice numbers a bank reference may hold; identify the payment when
    every invoice the reference names belongs to one account.

    Naming invoices of two accounts leaves the payment in suspense with the ranked
    candidates, even when one of them also matches the amount: a person decides.
    """
    invoices = uow.ledger.get_invoices(sorted(reference_candidates(payment.bank_reference)))
    if not invoices:
        return None, ()
    items: list[OpenItem] = []
    for account_id in sorted({invoice.account_id for invoice in invoices.values()}):
        account, ledger, _ = account_data(uow, account_id)
        items.extend(statement_of(account, ledger, as_of).items)
    matches = match_payment(payment, items)
    named = {m.account_id for m in matches if MatchEvidence.NUMBER_IN_REFERENCE in m.evidence}
    if len(named) != 1:
        return None, matches
    return next(m for m in matches if m.account_id in named), matches


def _allocate_and_decide(
    uow: UnitOfWork,
    config: CycleConfig,
    payment: Payment,
    advice: RemittanceAdvice | None,
    as_of: AsOf,
    *,
    decide: bool = True,
) -> PaymentOutcome:
    payer_id = payment.account_id
    assert payer_id is not None  # the callers checked it
    payer, _, _ = account_data(uow, payer_id)
    account_ids = [payer_id]
    if config.allocation.central_billing and payer.billing_entity_id is not None:
        account_ids += [
            i for i in uow.accounts.ids_of_entity(payer.billing_entity_id) if i != payer_id
        ]
    data = {account_id: account_data(uow, account_id) for account_id in account_ids}
    # A payment naming a written-off invoice of the payer is a recovery: the write-off
    # is taken back, the payment settles the invoice, any rest is written off again.
    payer_data = data[payer_id]
    reopened, advice, recoveries = reopen_named_write_offs(uow, payer_data[1], payment, advice)
    data[payer_id] = (payer_data[0], reopened, payer_data[2])
    day = _day(payer, as_of, payment.received_on)
    items: list[OpenItem] = []
    for account, ledger, _ in data.values():
        items.extend(statement_of(account, _without(ledger, payment.id), day).items)
    eligibility = Eligibility.from_facts(
        [facts for _, _, facts in data.values()],
        day,
        accounts=[account for account, _, _ in data.values()],
    )
    result = allocate(
        payment, items, advice=advice, policy=config.allocation, eligibility=eligibility
    )
    uow.ledger.add_allocations(result.allocations)
    recovered, rewritten = settle_recoveries(uow, recoveries, result.allocations, payment, as_of)
    uow.history.add_events(
        [
            event_record(r, key=f"{r.kind}:{payer_id}:{r.invoice_number}:{payment.id}")
            for r in recovered
        ]
    )

    # Re-decide every account the payment touched: the payer, and under central billing
    # the sister accounts whose invoices it settled.
    owner = {item.invoice.number: item.invoice.account_id for item in items}
    touched = {payer_id} | {owner[a.invoice_number] for a in result.allocations}
    decision, event, others = None, None, []
    for account_id in account_ids:
        if account_id not in touched or not decide:
            continue
        account, ledger, facts = data[account_id]
        payments = _without(ledger, payment.id).payments
        if account_id == payer_id:
            payments = (*payments, payment)
        written = rewritten if account_id == payer_id else ()
        after = attrs.evolve(
            ledger,
            payments=payments,
            allocations=(*ledger.allocations, *result.allocations, *written),
        )
        statement = statement_of(account, after, day)
        decided, happened = _decide(
            uow, config, account, statement, after, facts, as_of, payment.id, cause=payment.id
        )
        if account_id == payer_id:
            decision, event = decided, happened
        elif happened is not None:
            others.append(happened)
    return PaymentOutcome(
        payment=payment,
        allocation=result,
        decision=decision,
        event=event,
        entity_events=tuple(others),
        recoveries=recovered,
    )


def _day(account: Account, as_of: AsOf, received_on: date) -> date:
    """The allocation day: the recording day, but never before the money arrived."""
    day = local_date(as_of, account.tz)
    return max(day, received_on)


def _without(ledger: AccountLedger, payment_id: str) -> AccountLedger:
    return attrs.evolve(ledger, payments=tuple(p for p in ledger.payments if p.id != payment_id))


def _decide(
    uow: UnitOfWork,
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    ledger: AccountLedger,
    facts: AccountFacts,
    as_of: AsOf,
    cleared_by: str | None,
    *,
    cause: str,
) -> tuple[SuspensionDecision, AccountSuspended | AccountReactivated | None]:
    step = decide_and_write(
        uow,
        config,
        account,
        statement,
        ledger,
        facts,
        as_instant(as_of),
        cleared_by=cleared_by,
        cause=cause,
    )
    return step.decision, step.event
