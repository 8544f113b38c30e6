"""The message and event builders: from decisions to the rows one transaction writes
(private to the service layer).

One function per kind of effect, each pure: decisions in, storage rows out. The cycle
and the account services call them and write the results in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from dunning_core.documents.compose import notice_letter, statement_letter
from dunning_core.domain.account import Account, Channel
from dunning_core.domain.attachments import Attachment, AttachmentKind
from dunning_core.domain.charges import Charge
from dunning_core.domain.events import (
    AccountReactivated,
    AccountSuspended,
    ClaimDeclared,
    CreditAlertRaised,
    Event,
    StageFired,
)
from dunning_core.domain.history import ActionRecord, EventRecord
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Payment
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import RenderError
from dunning_core.money import Money
from dunning_core.policies.credit import CreditAlert
from dunning_core.policies.ladder import DECLARE_CLAIM_PREFIX, ActionKind, DunningAction
from dunning_core.policies.suspension import SuspensionDecision
from dunning_core.ports import RenderedMessage
from dunning_core.rendering.catalog import Labels
from dunning_core.service.attachments import last_statement_day
from dunning_core.service.formal_notice import formal_notice_values
from dunning_core.service.notices import notice_context, recipient_for, render_for_channel
from dunning_core.service.records import action_records, event_record
from dunning_core.service.settings import CycleConfig


@attrs.define
class Effects:
    """What evaluating one account (or one service call) writes, and the events."""

    actions: list[ActionRecord] = attrs.field(factory=list)
    messages: list[OutboxMessage] = attrs.field(factory=list)
    events: list[EventRecord] = attrs.field(factory=list)
    charges: list[Charge] = attrs.field(factory=list)
    happened: list[Event] = attrs.field(factory=list)

    def extend(self, other: Effects) -> None:
        """Add another account's effects to this batch's."""
        self.actions.extend(other.actions)
        self.messages.extend(other.messages)
        self.events.extend(other.events)
        self.charges.extend(other.charges)
        self.happened.extend(other.happened)

    def record(self, event: Event, key: str) -> None:
        """Keep ``event`` and its history row."""
        self.happened.append(event)
        self.events.append(event_record(event, key=key))


def message(
    key: str,
    account: Account,
    channel: Channel,
    rendered: RenderedMessage,
    created_at: datetime,
    not_before: datetime | None = None,
    *,
    document: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> OutboxMessage | None:
    """The outbox row of a rendered notice, or ``None`` when nobody can receive it."""
    recipient = recipient_for(account, channel)
    if not recipient:
        return None
    built = OutboxMessage.new(
        key=key,
        account_id=account.id,
        channel=str(channel),
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html,
        created_at=created_at,
        text_locale=rendered.locale,
        document=document,
        attachments=attachments,
    )
    if not_before is not None and not_before > created_at:
        built = attrs.evolve(built, next_attempt_at=not_before)
    return built


def _operation_event(account: Account, action: DunningAction, created_at: datetime) -> Event:
    if action.kind is ActionKind.DECLARE_CLAIM:
        return ClaimDeclared(
            account_id=account.id,
            as_of=created_at,
            ladder=action.ladder,
            proceeding_id=action.stage.removeprefix(DECLARE_CLAIM_PREFIX),
            invoice_numbers=action.invoice_numbers,
            amount=action.open_amount,
            reasons=action.reasons,
            key=action.key,
        )
    return StageFired(
        account_id=account.id,
        as_of=created_at,
        ladder=action.ladder,
        stage=action.stage,
        action=action.kind.value,
        invoice_numbers=action.invoice_numbers,
        needs_review=action.needs_review,
        reasons=action.reasons,
        key=action.key,
    )


_LETTERS = frozenset({Channel.LETTER, Channel.REGISTERED_LETTER})


def _letter(
    config: CycleConfig,
    account: Account,
    action: DunningAction,
    rendered: RenderedMessage,
    context: dict[str, object],
) -> str | None:
    """The letter of a LETTER or REGISTERED_LETTER notice, as the JSON the outbox keeps
    (the notifier adds the sender); ``None`` without a complete address."""
    address = account.postal_address
    if address is None or not address.is_complete:
        return None
    sender = config.letter_sender
    letter = notice_letter(
        rendered=rendered,
        context=context,
        address=address,
        locale=account.locale,
        written_on=action.fired_on,
        place=config.formal_notice.place or (sender.city if sender is not None else ""),
        reference=action.key[:16],
        registered=action.channel is Channel.REGISTERED_LETTER,
        sender=sender,
    )
    return letter.to_json()


@attrs.frozen(kw_only=True)
class StatementSource:
    """What a statement of account attached to a notice is made of: the statement the
    cycle built, the account's payments, and its history (for the last statement's day)."""

    statement: AccountStatement
    payments: Sequence[Payment] = ()
    history: Sequence[ActionRecord] = ()


def _attachments(
    config: CycleConfig,
    account: Account,
    action: DunningAction,
    rendered: RenderedMessage,
    context: dict[str, object],
    source: StatementSource | None,
) -> tuple[Attachment, ...]:
    """The files an e-mail notice asks for, in the order they are attached: the notice
    as a letter, the statement, the invoices (oldest first)."""
    policy = config.attachments
    if not policy.applies_to(action.stage, action.channel):
        return ()
    labels = Labels(account.locale)
    sender = config.letter_sender
    place = config.formal_notice.place or (sender.city if sender is not None else "")
    address = account.postal_address
    if address is not None and not address.is_complete:
        address = None
    reference = action.key[:16]
    found: list[Attachment] = []
    if policy.notice_pdf:
        values = {**formal_notice_values(config.formal_notice, account, action), **context}
        letter = notice_letter(
            rendered=rendered,
            context=values,
            address=address,
            locale=account.locale,
            written_on=action.fired_on,
            place=place,
            reference=reference,
            registered=False,
            sender=sender,
        )
        name = labels("notice_file", reference=reference)
        found.append(Attachment.document(AttachmentKind.NOTICE, letter.to_json(), filename=name))
    if policy.statement and source is not None:
        statement = source.statement
        since = last_statement_day(policy, source.history, statement.as_of)
        letter = statement_letter(
            statement,
            address=address,
            locale=account.locale,
            place=place,
            payments=source.payments,
            since=since,
            sender=sender,
        )
        name = labels("statement_file", account_id=account.id)
        found.append(Attachment.document(AttachmentKind.STATEMENT, letter.to_json(), filename=name))
    if policy.invoices:
        found.extend(
            Attachment.invoice(number, filename=labels("invoice_file", number=number))
            for number in action.invoice_numbers
        )
    return tuple(found)


def ladder_effects(
    config: CycleConfig,
    account: Account,
    actions: Sequence[DunningAction],
    created_at: datetime,
    *,
    statement: StatementSource | None = None,
) -> Effects:
    """History rows for every action, an outbox message per notice (with the files an
    e-mail asks for, :class:`~dunning_core.service.attachments.AttachmentPolicy`), an
    event per account-level operation (suspend, terminate, hand over, declare a claim,
    ...), and the stage fees the actions book (their keys make each fee booked once)."""
    effects = Effects()
    for action in actions:
        effects.actions.extend(action_records(action))
        effects.charges.extend(action.fee_charges())
        if action.channel is None:
            effects.record(_operation_event(account, action, created_at), action.key)
            continue
        context = notice_context(config, account, action)
        rendered = render_for_channel(
            config.renderer, action.template, action.channel, account.locale, context
        )
        document = None
        if action.channel in _LETTERS:
            document = _letter(config, account, action, rendered, context)
        built = message(
            action.key,
            account,
            action.channel,
            rendered,
            created_at,
            action.not_before,
            document=document,
            attachments=_attachments(config, account, action, rendered, context, statement),
        )
        if built is not None:
            effects.messages.append(built)
    return effects


def suspension_effects(
    config: CycleConfig,
    account: Account,
    decision: SuspensionDecision,
    event: AccountSuspended | AccountReactivated | None,
    as_of: datetime,
    *,
    cause: str | None = None,
) -> Effects:
    """The event (and the customer's notice) of a suspension or a reactivation.

    The key is the kind, the account and the instant, plus ``cause`` (the payment, or
    the reversal) for a transition a service makes: a payment and its chargeback
    recorded the same day are two transitions, each with its own event.
    """
    effects = Effects()
    if event is None:
        return effects
    key = f"{event.kind}:{account.id}:{as_of.isoformat()}"
    if cause is not None:
        key = f"{key}:{cause}"
    effects.record(event, key)
    if config.notify_suspension:
        context = {
            "customer_name": account.name,
            "account_id": account.id,
            "locale": account.locale,
            "reason": "; ".join(reason.message for reason in decision.reasons),
            "resumes_when": decision.resumes_when,
            "pay_url": config.links.url_for(account.id, ()),
        }
        rendered = config.renderer.render(event.kind, account.locale, context)
        built = message(key, account, Channel.EMAIL, rendered, as_of)
        if built is not None:
            effects.messages.append(built)
    return effects


def _credit_notice(
    config: CycleConfig, threshold: int, locale: str, context: dict[str, object]
) -> RenderedMessage:
    """The threshold's own text (``credit.alert.85``) when the renderer has one, else
    the generic ``credit.alert``."""
    try:
        return config.renderer.render(f"credit.alert.{threshold}", locale, context)
    except RenderError:
        return config.renderer.render("credit.alert", locale, context)


def credit_alert_effects(
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    alerts: Sequence[CreditAlert],
    exposure: Money,
    as_of: datetime,
) -> Effects:
    """An event and (optionally) a notice per credit-limit alert."""
    effects = Effects()
    limit = account.credit_limit
    if limit is None:
        return effects
    for alert in alerts:
        key = f"credit.alert:{account.id}:{alert.threshold}:{statement.as_of.isoformat()}"
        effects.record(
            CreditAlertRaised(
                account_id=account.id,
                as_of=as_of,
                threshold=alert.threshold,
                exposure=exposure,
                credit_limit=limit,
                day=statement.as_of,
            ),
            key,
        )
        if config.notify_credit_alerts:
            context = {
                "customer_name": account.name,
                "account_id": account.id,
                "locale": account.locale,
                "pay_url": config.links.url_for(account.id, ()),
                "threshold": alert.threshold,
                "balance": exposure,
                "credit_limit": limit,
            }
            rendered = _credit_notice(config, alert.threshold, account.locale, context)
            built = message(key, account, Channel.EMAIL, rendered, as_of)
            if built is not None:
                effects.messages.append(built)
    return effects
