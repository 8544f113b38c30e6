"""Phone calls and their reports.

A PHONE_TASK stage writes a call task to the outbox (the ``call.task`` text: whom to
call, on which number, about what, what to say). When the collector has called, they
record the report with :func:`record_call_report`:

* ``REACHED_PROMISE``: the customer promised to pay; the promise is stored as the same
  :class:`~dunning_core.domain.facts.PromiseToPay` the ladder and the suspension policy
  already honour (reminders pause until the promised day and its grace, a broken
  promise suspends);
* ``REACHED_DISPUTE``: the customer contests the invoices; a
  :class:`~dunning_core.domain.facts.Dispute` per invoice of the task, with the note as
  the reason, holds them out of the ladder;
* ``REACHED_REFUSED``, ``NO_ANSWER``, ``VOICEMAIL``: recorded, nothing else changes;
* ``WRONG_NUMBER``: the number is marked wrong on the contact, so the next stage falls
  back to the contact's other number, another contact or the stage's other channels.

Promises, disputes and the contact change go through the account services
(:func:`~dunning_core.service.facts.record_promise`,
:func:`~dunning_core.service.facts.record_dispute`,
:func:`~dunning_core.service.accounts.record_account`) in the report's own unit of
work: each records its event and re-decides suspension at once, exactly as when
recorded through those services. Every report is an event in the account's history
(kind ``call.reported``).

.. versionadded:: 0.3
"""

from __future__ import annotations

from typing import Any

import attrs

from dunning_core.domain.account import Channel
from dunning_core.domain.dates import AsOf, as_instant, local_date
from dunning_core.domain.events import CallOutcome, CallReported
from dunning_core.domain.facts import Dispute, PromiseToPay
from dunning_core.errors import AccountMismatch, InvalidField, UnknownRecord
from dunning_core.ports import UnitOfWork
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.accounts import account_in
from dunning_core.service.facts import dispute_in, promise_in
from dunning_core.service.records import event_record
from dunning_core.service.settings import CycleConfig

# CallOutcome and CallReported live in domain.events (events are domain objects); they
# stay importable from here, where record_call_report uses them.
__all__ = ["record_call_report"]


def _outcome(value: Any) -> CallOutcome:
    try:
        return CallOutcome(value)
    except ValueError:
        choices = ", ".join(outcome.value for outcome in CallOutcome)
        raise InvalidField("outcome", value, f"must be one of {choices}") from None


def record_call_report(
    uow: UnitOfWork,
    task_key: str,
    outcome: CallOutcome | str,
    as_of: AsOf,
    *,
    note: str | None = None,
    promise: PromiseToPay | None = None,
    config: CycleConfig | None = None,
) -> CallReported:
    """Record what came of the call task ``task_key``, atomically.

    Args:
        uow: A unit of work not yet entered (``store.unit_of_work()``); this function
            enters it and commits.
        task_key: The outbox key of the PHONE_TASK message.
        outcome: A :class:`CallOutcome` (or its name).
        as_of: When the call was made (a date or an aware datetime).
        note: What the collector noted (the reason of a dispute).
        promise: The promise, for ``REACHED_PROMISE`` (and only then).
        config: The policies the account services apply (suspension re-decided at
            once, as :func:`~dunning_core.service.facts.record_promise`,
            :func:`~dunning_core.service.facts.record_dispute` and
            :func:`~dunning_core.service.accounts.record_account` do); the defaults if
            ``None``. Pass the cycle's own.

    Returns:
        The :class:`CallReported` event written to the history.

    Raises:
        UnknownRecord: no call task has this key.
        InvalidField: the outcome is unknown; a promise is missing for
            ``REACHED_PROMISE`` or given for another outcome; a dispute has no note.
        AccountMismatch: the promise is for another account.
        UnknownRecord: the task's account is not on file (a promise, a dispute or a
            wrong number changes it).
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    result = _outcome(outcome)
    instant = as_instant(as_of)
    if (result is CallOutcome.REACHED_PROMISE) != (promise is not None):
        raise InvalidField(
            "promise", promise, "give the promise with REACHED_PROMISE, and only then"
        )
    if result is CallOutcome.REACHED_DISPUTE and not (note and note.strip()):
        raise InvalidField("note", note, "a dispute needs the reason the customer gave")
    with uow:
        task = uow.outbox.get(task_key)
        if task is None or task.channel != Channel.PHONE_TASK.value:
            raise UnknownRecord("call task", task_key)
        account_id = task.account_id
        number = task.recipient
        promise_id: str | None = None
        dispute_ids: tuple[str, ...] = ()
        config = CycleConfig() if config is None else config
        if promise is not None:
            if promise.account_id != account_id:
                raise AccountMismatch("promise.account_id", account_id, promise.account_id)
            promise_in(uow, promise, config, as_of)
            promise_id = promise.id
        if result is CallOutcome.REACHED_DISPUTE:
            account = uow.accounts.get(account_id)
            if account is None:
                raise UnknownRecord("account", account_id)
            day = local_date(as_of, account.tz)
            disputes = [
                Dispute(
                    id=f"call:{task_key}:{number_}",
                    account_id=account_id,
                    invoice_number=number_,
                    opened_on=day,
                    reason=(note or "").strip(),
                )
                for number_ in _task_invoices(uow, account_id, task_key)
            ]
            for dispute in disputes:
                dispute_in(uow, dispute, config, as_of)
            dispute_ids = tuple(d.id for d in disputes)
        if result is CallOutcome.WRONG_NUMBER:
            _mark_wrong_number(uow, account_id, number, config, as_of)
        event = CallReported(
            account_id=account_id,
            as_of=as_of,
            task_key=task_key,
            outcome=result,
            number=number,
            note=(note or "").strip(),
            promise_id=promise_id,
            dispute_ids=dispute_ids,
        )
        uow.history.add_events([event_record(event, key=f"call:{task_key}:{instant.isoformat()}")])
        uow.commit()
    return event


def _task_invoices(uow: UnitOfWork, account_id: str, task_key: str) -> list[str]:
    """The invoices the call task was about, from the ladder's history rows."""
    prefix = task_key + "/"
    numbers: list[str] = []
    for record in uow.history.actions_of([account_id]).get(account_id, ()):
        if record.key.startswith(prefix) and not record.skipped:
            numbers.extend(n for n in record.invoice_numbers if n not in numbers)
    return numbers


def _mark_wrong_number(
    uow: UnitOfWork, account_id: str, number: str, config: CycleConfig, as_of: AsOf
) -> None:
    account = uow.accounts.get(account_id)
    if account is None:
        raise UnknownRecord("account", account_id)
    contacts = tuple(
        contact.with_invalid_number(number)
        if number in (contact.phone, contact.mobile)
        else contact
        for contact in account.contacts
    )
    account_in(uow, attrs.evolve(account, contacts=contacts), config, as_of)
