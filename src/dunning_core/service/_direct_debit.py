"""Direct-debit returns after the reversal (private): the retry decision's effects.

A re-presentation is an outbox message of kind ``DIRECT_DEBIT_RETRY`` keyed by the
re-presentation's end-to-end id, with an account-level hold that pauses the ladder until
it has had time to come back; a stop is a ``DIRECT_DEBIT_STOP`` message. Each writes an
account event. Every key derives from the returned payment, so a reimport writes nothing.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import attrs

from dunning_core.domain.bank import BankEntry
from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.facts import Hold
from dunning_core.domain.history import EventRecord
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Payment
from dunning_core.policies.direct_debit import (
    DirectDebitRetryPolicy,
    RetryAction,
    RetryDecision,
    decide_direct_debit_retry,
)
from dunning_core.ports import UowFactory

__all__ = [
    "DIRECT_DEBIT_RETRY",
    "DIRECT_DEBIT_STOP",
    "follow_up_return",
    "followed_up",
    "lift_hold",
    "representment_id",
    "retry_key",
]

#: Outbox message kind (its ``channel``): re-present a returned direct debit. Sent to the
#: team's own collection system; due on the re-presentation day.
DIRECT_DEBIT_RETRY = "DIRECT_DEBIT_RETRY"
#: Outbox message kind: stop collecting this account by direct debit.
DIRECT_DEBIT_STOP = "DIRECT_DEBIT_STOP"
_E2E_MAX = 35  # ISO 20022 Max35Text


_E2E_MAX = 35  # ISO 20022 Max35Text


def representment_id(end_to_end_id: str, attempt: int) -> str:
    """The end-to-end id a re-presentation is asked to carry: ``<original>-R<n>``,
    shortened to 35 characters (a Max35Text) from the left of the original."""
    suffix = f"-R{attempt}"
    return end_to_end_id[: _E2E_MAX - len(suffix)] + suffix


def retry_key(payment_id: str) -> str:
    return f"{DIRECT_DEBIT_RETRY}:{payment_id}"


def followed_up(uow_factory: UowFactory, payment: Payment) -> bool:
    """True when a return of ``payment`` was already followed up (a reimport)."""
    if payment.account_id is None:
        return True
    with uow_factory() as uow:
        events = uow.history.events_of([payment.account_id]).get(payment.account_id, ())
    return any(
        e.kind.startswith("direct_debit.") and e.key.endswith(f":{payment.id}") for e in events
    )


def follow_up_return(
    uow_factory: UowFactory,
    policy: DirectDebitRetryPolicy,
    entry: BankEntry,
    payment: Payment,
    invoices: tuple[str, ...],
    *,
    as_of: AsOf,
    at: datetime,
    hold_days: int,
) -> RetryDecision:
    """Decide the retry and write its effects in one transaction; every write is
    keyed on the returned payment, so importing the return again changes nothing."""
    account_id = payment.account_id
    assert account_id is not None  # the caller checked
    assert entry.return_reason is not None
    with uow_factory() as uow:
        previous = uow.outbox.get(retry_key(payment.id))
        retries_so_far = _attempt_of(previous) if previous is not None else 0
        decision = decide_direct_debit_retry(
            policy, entry.return_reason, entry.booked_on, retries_so_far=retries_so_far
        )
        account = uow.accounts.get(account_id)
        tz = account.tz if account is not None else None
        facts: dict[str, object] = {
            "payment_id": payment.id,
            "amount": str(payment.amount.amount),
            "currency": payment.currency,
            "reason_code": decision.reason_code,
            "returned_on": entry.booked_on.isoformat(),
            "mandate_id": entry.mandate_id,
            "debtor_iban": entry.counterparty_iban,
            "invoice_numbers": list(invoices),
            "reasons": [r.message for r in decision.reasons],
        }
        messages: list[OutboxMessage] = []
        if decision.action is RetryAction.RETRY:
            assert decision.retry_on is not None
            retry_id = representment_id(payment.id, decision.attempt)
            facts |= {
                "attempt": decision.attempt,
                "retry_on": decision.retry_on.isoformat(),
                "end_to_end_id": retry_id,
            }
            message = OutboxMessage.new(
                key=retry_key(retry_id),
                account_id=account_id,
                channel=DIRECT_DEBIT_RETRY,
                recipient=entry.mandate_id or entry.counterparty_iban or "",
                subject=f"Re-present {payment.amount} on {decision.retry_on} as {retry_id}",
                body=json.dumps(facts, sort_keys=True),
                created_at=at,
            )
            due = datetime.combine(decision.retry_on, time(0), tzinfo=tz or at.tzinfo)
            messages.append(attrs.evolve(message, next_attempt_at=max(due, at)))
            until = policy.calendar.add_business_days(decision.retry_on, hold_days)
            start = min(entry.booked_on, _day(as_of, tz))
            uow.facts.add_hold(_hold(account_id, retry_id, start, until, decision))
            kind = "direct_debit.retry_scheduled"
        elif decision.action is RetryAction.STOP_DIRECT_DEBIT:
            messages.append(
                OutboxMessage.new(
                    key=f"{DIRECT_DEBIT_STOP}:{payment.id}",
                    account_id=account_id,
                    channel=DIRECT_DEBIT_STOP,
                    recipient=entry.mandate_id or entry.counterparty_iban or "",
                    subject=f"Stop direct debit for account {account_id} ({decision.reason_code})",
                    body=json.dumps(facts, sort_keys=True),
                    created_at=at,
                )
            )
            kind = "direct_debit.stopped"
        else:
            kind = "direct_debit.not_retried"
        uow.outbox.add_messages(messages)
        uow.history.add_events(
            [
                EventRecord(
                    key=f"{kind}:{payment.id}",
                    account_id=account_id,
                    kind=kind,
                    occurred_at=at,
                    payload=json.dumps(facts, sort_keys=True),
                )
            ]
        )
        uow.commit()
    return decision


def lift_hold(uow_factory: UowFactory, account_id: str, retry_id: str, arrived_on: date) -> None:
    """End the ladder's hold the day the re-presentation arrives."""
    hold_id = f"{DIRECT_DEBIT_RETRY}:{retry_id}"
    with uow_factory() as uow:
        facts = uow.facts.load([account_id]).get(account_id)
        for hold in facts.holds if facts is not None else ():
            if hold.id == hold_id and (hold.ends_on is None or hold.ends_on > arrived_on):
                uow.facts.add_hold(attrs.evolve(hold, ends_on=max(hold.starts_on, arrived_on)))
                uow.commit()


def _hold(
    account_id: str, retry_id: str, start: date, until: date, decision: RetryDecision
) -> Hold:
    """An account-level hold: it pauses the ladder (every notice of the account) but not
    allocation, so a transfer arriving meanwhile still settles the invoices."""
    return Hold(
        id=f"{DIRECT_DEBIT_RETRY}:{retry_id}",
        account_id=account_id,
        reason=f"direct-debit re-presentation {retry_id} pending (due {decision.retry_on})",
        starts_on=start,
        ends_on=max(until, start),
    )


def _day(as_of: AsOf, tz: object) -> date:
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")
    return local_date(as_of, zone)


def _attempt_of(message: OutboxMessage) -> int:
    try:
        attempt = json.loads(message.body).get("attempt", 1)
    except (ValueError, AttributeError):
        return 1
    return attempt if isinstance(attempt, int) and attempt > 0 else 1
