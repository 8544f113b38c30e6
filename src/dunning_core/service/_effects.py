"""Turning policy decisions into what the stores keep (private to the service layer).

One function per kind of effect, each pure: decisions in, storage records out. The cycle
and the payment service call them and write the results in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import attrs

from dunning_core.config import CycleConfig
from dunning_core.domain.account import Account, Channel
from dunning_core.domain.charges import Charge
from dunning_core.domain.dates import AsOf
from dunning_core.domain.events import AccountFacts
from dunning_core.domain.history import ActionRecord, EventRecord
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.state import SuspensionState
from dunning_core.domain.statement import AccountStatement, build_statement
from dunning_core.errors import DunningError, InvalidAsOf
from dunning_core.money import Money
from dunning_core.policies.credit import CreditAlert
from dunning_core.policies.ladder import DunningAction, DunningHistory, StageRecord
from dunning_core.policies.suspension import (
    AccountReactivated,
    AccountSuspended,
    SuspensionDecision,
    decide_suspension,
    transition,
)
from dunning_core.ports import AccountLedger, RenderedMessage

__all__ = [
    "Effects",
    "action_records",
    "credit_alert_effects",
    "history_from_records",
    "instant",
    "ladder_effects",
    "recipient_for",
    "statement_of",
    "suspension_effects",
    "suspension_step",
]

# History row keys are "<action key>/fired|skipped/<stage>": one action can carry a stage
# fired for some invoices and skipped (caught up) for others, and both records are kept.
# Action keys are hex digests, so the first "/" ends them.
_SEPARATOR = "/"


@attrs.define
class Effects:
    """What evaluating one account (or recording one payment) writes."""

    actions: list[ActionRecord] = attrs.field(factory=list)
    messages: list[OutboxMessage] = attrs.field(factory=list)
    events: list[EventRecord] = attrs.field(factory=list)
    charges: list[Charge] = attrs.field(factory=list)

    def extend(self, other: Effects) -> None:
        """Add another account's effects to this batch's."""
        self.actions.extend(other.actions)
        self.messages.extend(other.messages)
        self.events.extend(other.events)
        self.charges.extend(other.charges)


def instant(as_of: AsOf) -> datetime:
    """An aware instant for ``as_of``: itself if a datetime, else 00:00 UTC of the day.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime (its meaning would depend on the
            machine's timezone) or not a date at all.
    """
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InvalidAsOf("as_of", as_of, "a datetime must be timezone-aware")
        return as_of
    if not isinstance(as_of, date):
        raise InvalidAsOf("as_of", as_of, "must be a date or an aware datetime")
    return datetime.combine(as_of, time(0, 0), tzinfo=UTC)


def run_date(as_of: AsOf) -> date:
    """The run's date: ``as_of`` itself, or the UTC date of an aware datetime."""
    if isinstance(as_of, datetime):
        return instant(as_of).astimezone(UTC).date()
    return as_of


def statement_of(account: Account, ledger: AccountLedger, as_of: AsOf) -> AccountStatement:
    """The statement of ``account`` from its ledger as the store loaded it."""
    return build_statement(
        account,
        as_of,
        invoices=ledger.invoices,
        credit_notes=ledger.credit_notes,
        payments=ledger.payments,
        allocations=ledger.allocations,
        charges=ledger.charges,
    )


# -- history --------------------------------------------------------------------------------


def action_records(action: DunningAction) -> list[ActionRecord]:
    """The storage rows for an action's stage records: one per stage fired and one per
    stage skipped, each with its own key."""
    return [
        ActionRecord(
            key=_SEPARATOR.join(
                (record.action_key, "skipped" if record.skipped else "fired", record.stage)
            ),
            account_id=record.account_id,
            ladder=record.ladder,
            stage=record.stage,
            action=str(action.kind),
            channel="" if action.channel is None else str(action.channel),
            invoice_numbers=record.invoice_numbers,
            fired_on=record.fired_on,
            skipped=record.skipped,
        )
        for record in action.to_records()
    ]


def history_from_records(account_id: str, records: Iterable[ActionRecord]) -> DunningHistory:
    """Rebuild the ladder's history of one account from its stored action rows."""
    stage_records = []
    for row in records:
        action_key, _, _ = row.key.partition(_SEPARATOR)
        stage_records.append(
            StageRecord(
                account_id=row.account_id,
                ladder=row.ladder,
                stage=row.stage,
                invoice_numbers=row.invoice_numbers,
                fired_on=row.fired_on,
                skipped=row.skipped,
                action_key=action_key,
            )
        )
    return DunningHistory.from_records(stage_records, account_id=account_id)


# -- messages -------------------------------------------------------------------------------


def _address_text(account: Account) -> str:
    address = account.postal_address
    if address is None:
        return ""
    parts = [address.recipient, *address.lines, f"{address.postal_code} {address.city}".strip()]
    parts.append(address.country)
    return "\n".join(part for part in parts if part)


def recipient_for(account: Account, channel: Channel) -> str:
    """Where a notice on ``channel`` goes: every accepting email address (comma
    separated), the first mobile for SMS, the first phone for a call task, the postal
    address for letters, the account id for a webhook; ``""`` when there is none."""
    contacts = account.contacts_for(channel)
    if channel is Channel.EMAIL:
        return ", ".join(c.email for c in contacts if c.email)
    if channel is Channel.SMS:
        return next((c.mobile for c in contacts if c.mobile), "")
    if channel is Channel.PHONE_TASK:
        return next((c.phone or c.mobile for c in contacts if c.phone or c.mobile), "") or ""
    if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
        return _address_text(account)
    return account.id


def _render(
    config: CycleConfig, template: str, channel: Channel, locale: str, context: dict[str, Any]
) -> RenderedMessage:
    """Render with the channel's own variant (``"relance.sms"``) when the renderer has it."""
    try:
        return config.renderer.render(f"{template}.{channel.value.lower()}", locale, context)
    except DunningError:
        return config.renderer.render(template, locale, context)


def _message(
    key: str,
    account: Account,
    channel: Channel,
    rendered: RenderedMessage,
    created_at: datetime,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    recipient = recipient_for(account, channel)
    if not recipient:
        return None
    message = OutboxMessage.new(
        key=key,
        account_id=account.id,
        channel=str(channel),
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        created_at=created_at,
    )
    if not_before is not None and not_before > created_at:
        message = attrs.evolve(message, next_attempt_at=not_before)
    return message


def _notice_context(config: CycleConfig, account: Account, action: DunningAction) -> dict[str, Any]:
    oldest = action.lines[0]
    return {
        "customer_name": account.name,
        "invoice_numbers": list(action.invoice_numbers),
        "amount_due": action.open_amount,
        "due_on": oldest.due_on,
        "days_overdue": max(line.days_past_due for line in action.lines),
        "pay_url": config.links.url_for(account.id, action.invoice_numbers),
        "stage": action.stage,
    }


def _payload(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def ladder_effects(
    config: CycleConfig,
    account: Account,
    actions: Sequence[DunningAction],
    created_at: datetime,
) -> Effects:
    """History rows for every action, an outbox message per notice, an event per
    account-level operation (suspend, terminate, hand over, declare a claim, ...), and the
    stage fees the actions book (their keys make each fee booked once)."""
    effects = Effects()
    for action in actions:
        effects.actions.extend(action_records(action))
        effects.charges.extend(action.fee_charges())
        if action.channel is None:
            effects.events.append(
                EventRecord(
                    key=action.key,
                    account_id=account.id,
                    kind=f"ladder.{action.kind.value.lower()}",
                    occurred_at=created_at,
                    payload=_payload(
                        {
                            "ladder": action.ladder,
                            "stage": action.stage,
                            "invoices": list(action.invoice_numbers),
                            "needs_review": action.needs_review,
                            "reasons": [str(reason) for reason in action.reasons],
                        }
                    ),
                )
            )
            continue
        rendered = _render(
            config,
            action.template,
            action.channel,
            account.locale,
            _notice_context(config, account, action),
        )
        message = _message(
            action.key, account, action.channel, rendered, created_at, action.not_before
        )
        if message is not None:
            effects.messages.append(message)
    return effects


@attrs.frozen
class SuspensionStep:
    """A suspension decision with what follows from it, before anything is written.

    Attributes:
        decision: The decision.
        event: The suspension or reactivation it causes, or ``None``.
        state: The state to store, or ``None`` when it did not change.
        effects: The event record and the customer's notice.
    """

    decision: SuspensionDecision
    event: AccountSuspended | AccountReactivated | None
    state: SuspensionState | None
    effects: Effects


def suspension_step(
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    payments: Iterable[Payment],
    facts: AccountFacts | None,
    previous: SuspensionState | None,
    at: datetime,
    *,
    cleared_by: str | None = None,
    cause: str | None = None,
) -> SuspensionStep:
    """Decide suspension on the statement's day (pending payments hold off overdue days)
    and work out the event, the state to store and the notice, all against ``previous``."""
    pending = [p for p in payments if p.status is PaymentStatus.PENDING]
    decision = decide_suspension(
        config.suspension, statement, facts, statement.as_of, pending=pending
    )
    event = transition(previous, decision, at, cleared_by=cleared_by)
    state = decision.next_state(previous)
    effects = suspension_effects(
        config, account, decision, event, at, cleared_by=cleared_by, cause=cause
    )
    return SuspensionStep(
        decision=decision,
        event=event,
        state=None if state == previous else state,
        effects=effects,
    )


def suspension_effects(
    config: CycleConfig,
    account: Account,
    decision: SuspensionDecision,
    event: AccountSuspended | AccountReactivated | None,
    at: datetime,
    *,
    cleared_by: str | None = None,
    cause: str | None = None,
) -> Effects:
    """The event (and the customer's notice) of a suspension or a reactivation.

    The key is the kind, the account and the instant, plus ``cause`` (the payment, or
    the reversal) for a transition a payment service makes: a payment and its
    chargeback recorded the same day are two transitions, each with its own event.
    """
    effects = Effects()
    if event is None:
        return effects
    suspended = isinstance(event, AccountSuspended)
    kind = "account.suspended" if suspended else "account.reactivated"
    key = f"{kind}:{account.id}:{at.isoformat()}"
    if cause is not None:
        key = f"{key}:{cause}"
    effects.events.append(
        EventRecord(
            key=key,
            account_id=account.id,
            kind=kind,
            occurred_at=at,
            payload=_payload(
                {
                    "reasons": [reason.code for reason in decision.reasons],
                    "resumes_when": decision.resumes_when,
                    "requires_prepayment": decision.requires_prepayment,
                    "cleared_by": cleared_by,
                }
            ),
        )
    )
    if config.notify_suspension:
        context = {
            "customer_name": account.name,
            "reason": "; ".join(reason.detail for reason in decision.reasons),
            "resumes_when": decision.resumes_when,
            "pay_url": config.links.url_for(account.id, ()),
        }
        rendered = config.renderer.render(kind, account.locale, context)
        message = _message(key, account, Channel.EMAIL, rendered, at)
        if message is not None:
            effects.messages.append(message)
    return effects


def credit_alert_effects(
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    alerts: Sequence[CreditAlert],
    exposure: Money,
    at: datetime,
) -> Effects:
    """An event and (optionally) a notice per credit-limit alert."""
    effects = Effects()
    limit = account.credit_limit
    for alert in alerts:
        key = f"credit.alert:{account.id}:{alert.threshold}:{statement.as_of.isoformat()}"
        effects.events.append(
            EventRecord(
                key=key,
                account_id=account.id,
                kind="credit.alert",
                occurred_at=at,
                payload=_payload(
                    {
                        "threshold": alert.threshold,
                        "exposure": str(exposure),
                        "limit": str(limit),
                    }
                ),
            )
        )
        if config.notify_credit_alerts and limit is not None:
            context = {
                "customer_name": account.name,
                "threshold": alert.threshold,
                "balance": exposure,
                "credit_limit": limit,
            }
            rendered = config.renderer.render("credit.alert", account.locale, context)
            message = _message(key, account, Channel.EMAIL, rendered, at)
            if message is not None:
                effects.messages.append(message)
    return effects
