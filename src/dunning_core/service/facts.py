"""Recording promises, disputes, holds and insolvency proceedings through the rules.

Each function stores the fact (inserted, or replaced by its id: resolving a dispute,
lifting a hold, a court's ruling are the same fact recorded again with its end date),
records a :class:`~dunning_core.domain.events.FactRecorded` event and re-decides
suspension in the same unit of work: a hold that suspends suspends now, a resolved
dispute lets the overdue invoice count now, a ruling brings the account back on
prepayment now, not at the next cycle.

>>> from datetime import date
>>> import attrs
>>> from dunning_core import Account, Dispute, Invoice, Money
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.ledger.add_invoices([Invoice(number="F-1", account_id="A-1",
...         issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), amount=Money("80", "EUR"))])
...     uow.commit()
>>> dispute = Dispute(id="D-1", account_id="A-1", invoice_number="F-1",
...                   opened_on=date(2026, 2, 5))
>>> record_dispute(store.unit_of_work(), dispute).decision.suspended
False
>>> resolved = attrs.evolve(dispute, resolved_on=date(2026, 3, 1))
>>> outcome = record_dispute(store.unit_of_work(), resolved)
>>> outcome.events[0].change, outcome.decision.reason_codes
('resolved', ('OVERDUE_DAYS',))

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from dunning_core.domain.dates import AsOf, as_instant
from dunning_core.domain.events import FactRecorded
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.errors import InvalidField, UnknownRecord
from dunning_core.ports import UnitOfWork
from dunning_core.service._change import finish_change
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.settings import CycleConfig

__all__ = ["record_dispute", "record_hold", "record_proceeding", "record_promise"]

F = TypeVar("F", PromiseToPay, Dispute, Hold, InsolvencyProceeding)

#: Where each kind of fact lives in AccountFacts, and the FactsStore method that adds it.
_FIELD = {
    PromiseToPay: "promises",
    Dispute: "disputes",
    Hold: "holds",
    InsolvencyProceeding: "proceedings",
}
_ADD = {
    PromiseToPay: "add_promise",
    Dispute: "add_dispute",
    Hold: "add_hold",
    InsolvencyProceeding: "add_proceeding",
}


def _record(
    uow: UnitOfWork,
    fact: F,
    kind: type[F],
    name: str,
    change: Callable[[F | None, F], str],
    day: date,
    config: CycleConfig | None,
    as_of: AsOf | None,
) -> AccountOutcome:
    check_unit_of_work(uow)
    with uow:
        outcome = _record_in(uow, fact, kind, name, change, day, config, as_of)
        if not outcome.repeated:
            uow.commit()
    return outcome


def _record_in(
    uow: UnitOfWork,
    fact: F,
    kind: type[F],
    name: str,
    change: Callable[[F | None, F], str],
    day: date,
    config: CycleConfig | None,
    as_of: AsOf | None,
) -> AccountOutcome:
    """Store ``fact``, record its event and re-decide suspension in the open ``uow``,
    which the caller commits."""
    if not isinstance(fact, kind):
        raise InvalidField(name, fact, f"must be a {kind.__name__}")
    when: AsOf = day if as_of is None else as_of
    as_instant(when)  # refuses a naive datetime before anything is written
    config = CycleConfig() if config is None else config
    account = uow.accounts.get(fact.account_id)
    if account is None:
        raise UnknownRecord("account", fact.account_id)
    known = uow.facts.load([fact.account_id])[fact.account_id]
    on_file: tuple[Any, ...] = getattr(known, _FIELD[kind])
    before = next((f for f in on_file if f.id == fact.id), None)
    if before == fact:
        return AccountOutcome(account_id=account.id, repeated=True)
    getattr(uow.facts, _ADD[kind])(fact)
    event = FactRecorded(
        account_id=account.id,
        as_of=when,
        fact=name,
        fact_id=fact.id,
        change=change(before, fact),
    )
    return finish_change(uow, config, account, when, [event])


def promise_in(
    uow: UnitOfWork, promise: PromiseToPay, config: CycleConfig, as_of: AsOf | None = None
) -> AccountOutcome:
    """What :func:`record_promise` does, inside the caller's open unit of work (not
    committed): for services that record a promise as part of a larger change.

    Args:
        uow: An entered unit of work; the caller commits it.
        promise: The promise.
        config: The policies.
        as_of: When it is recorded; the day the promise was made by default.

    Returns:
        The outcome, as :func:`record_promise` returns it.

    Raises:
        UnknownRecord: the promise names an account the store does not know.
        InvalidField: ``promise`` is not a :class:`PromiseToPay`.
    """
    return _record_in(uow, promise, PromiseToPay, "promise", _made, promise.made_on, config, as_of)


def dispute_in(
    uow: UnitOfWork, dispute: Dispute, config: CycleConfig, as_of: AsOf | None = None
) -> AccountOutcome:
    """What :func:`record_dispute` does, inside the caller's open unit of work (not
    committed).

    Args:
        uow: An entered unit of work; the caller commits it.
        dispute: The dispute.
        config: The policies.
        as_of: When it is recorded; the resolution or else the opening day by default.

    Returns:
        The outcome, as :func:`record_dispute` returns it.

    Raises:
        UnknownRecord: the dispute names an account the store does not know.
        InvalidField: ``dispute`` is not a :class:`Dispute`.
    """
    day = dispute.resolved_on or dispute.opened_on
    return _record_in(uow, dispute, Dispute, "dispute", _dispute_change, day, config, as_of)


def _made(before: PromiseToPay | None, after: PromiseToPay) -> str:
    return "made" if before is None else "updated"


def _dispute_change(before: Dispute | None, after: Dispute) -> str:
    if after.resolved_on is not None and (before is None or before.resolved_on is None):
        return "resolved"
    return "opened" if before is None else "updated"


def _hold_change(before: Hold | None, after: Hold) -> str:
    if before is not None and after.ends_on is not None and before.ends_on != after.ends_on:
        return "lifted"
    return "placed" if before is None else "updated"


def _proceeding_change(before: InsolvencyProceeding | None, after: InsolvencyProceeding) -> str:
    if after.ruled_on is not None and (before is None or before.ruled_on is None):
        return "ruled"
    return "opened" if before is None else "updated"


def record_promise(
    uow: UnitOfWork,
    promise: PromiseToPay,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Record a promise to pay (or a renegotiated one, under the same id).

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        promise: The promise.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the day the promise was made by default.

    Returns:
        The outcome: a ``FactRecorded`` event (``made`` or ``updated``), then any
        suspension change; ``repeated=True`` when it was on file unchanged.

    Raises:
        UnknownRecord: the promise names an account the store does not know.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    return _record(uow, promise, PromiseToPay, "promise", _made, promise.made_on, config, as_of)


def record_dispute(
    uow: UnitOfWork,
    dispute: Dispute,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Record a dispute, or its resolution (the same dispute with ``resolved_on``).

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        dispute: The dispute.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the resolution day, or else the opening day, by
            default.

    Returns:
        The outcome: ``FactRecorded`` (``opened``, ``resolved`` or ``updated``), then
        any suspension change (a resolved dispute lets its invoice count at once).

    Raises:
        UnknownRecord: the dispute names an account the store does not know.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    day = dispute.resolved_on or dispute.opened_on
    return _record(uow, dispute, Dispute, "dispute", _dispute_change, day, config, as_of)


def record_hold(
    uow: UnitOfWork,
    hold: Hold,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Place a hold, or lift it (the same hold with ``ends_on``).

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        hold: The hold; ``suspends=True`` suspends the account at once.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the hold's first day by default.

    Returns:
        The outcome: ``FactRecorded`` (``placed``, ``lifted`` or ``updated``), then any
        suspension change.

    Raises:
        UnknownRecord: the hold names an account the store does not know.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    return _record(uow, hold, Hold, "hold", _hold_change, hold.starts_on, config, as_of)


def record_proceeding(
    uow: UnitOfWork,
    proceeding: InsolvencyProceeding,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Record an insolvency proceeding, or the court's ruling (the same proceeding with
    ``ruled_on``).

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        proceeding: The proceeding.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the ruling day, or else the opening day, by
            default.

    Returns:
        The outcome: ``FactRecorded`` (``opened``, ``ruled`` or ``updated``), then any
        suspension change (suspended while open; after the ruling, back on prepayment).

    Raises:
        UnknownRecord: the proceeding names an account the store does not know.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    day = proceeding.ruled_on or proceeding.opened_on
    return _record(
        uow,
        proceeding,
        InsolvencyProceeding,
        "proceeding",
        _proceeding_change,
        day,
        config,
        as_of,
    )
