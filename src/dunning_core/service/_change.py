"""The shared end of every account service (private): record the change's events and
re-decide suspension, in the caller's unit of work."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf, as_instant, localize
from dunning_core.domain.events import Event
from dunning_core.domain.payment import Allocation
from dunning_core.ports import UnitOfWork
from dunning_core.service._steps import account_data, decide_and_write, statement_of
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.records import event_record
from dunning_core.service.settings import CycleConfig


def event_key(event: Event, *, cause: str = "") -> str:
    """``<kind>:<account>:<instant>:<digest>``: the same change recorded again has the
    same key (the store ignores it); two different changes never share one."""
    record = event_record(event, key="-")
    digest = hashlib.sha256(f"{record.payload}\x00{cause}".encode()).hexdigest()[:16]
    return f"{event.kind}:{event.account_id}:{record.occurred_at.isoformat()}:{digest}"


def finish_change(
    uow: UnitOfWork,
    config: CycleConfig,
    account: Account,
    as_of: AsOf,
    happened: Sequence[Event],
    *,
    allocations: Sequence[Allocation] = (),
    decide: bool = True,
) -> AccountOutcome:
    """Write ``happened`` to the history, then re-decide the account's suspension on
    ``as_of`` from what the store now holds (writing the state, event and notice);
    with ``decide=False`` the decision is left to the next cycle run.

    The suspension event's key names the change (the first event's key), so two changes
    on one day each keep their own suspension or reactivation."""
    keys = [event_key(event) for event in happened]
    uow.history.add_events([event_record(e, key=k) for e, k in zip(happened, keys, strict=True)])
    if not decide:
        return AccountOutcome(
            account_id=account.id, events=tuple(happened), allocations=tuple(allocations)
        )
    cause = keys[0].split(":", 1)[1] if keys else "change"
    _, ledger, facts = account_data(uow, account.id)
    statement = statement_of(account, ledger, localize(as_of, account.tz))
    step = decide_and_write(
        uow, config, account, statement, ledger, facts, as_instant(as_of), cause=cause
    )
    events = (*happened, step.event) if step.event is not None else tuple(happened)
    return AccountOutcome(
        account_id=account.id,
        events=events,
        decision=step.decision,
        allocations=tuple(allocations),
    )
