"""Payment-provider events (card payments, wallets) onto the ledger.

=========================  =================================================================
event                      what happens
=========================  =================================================================
``PAYMENT_SUCCEEDED``      :func:`~dunning_core.service.payments.record_payment`, CLEARED,
                           under the provider's payment id (identified, allocated)
``PAYMENT_FAILED``         a payment on file is reversed as FAILED; none on file: nothing
``REFUNDED``               a full refund reverses the payment (CHARGED_BACK: the money went
                           back); a partial refund is reported, not applied
``DISPUTED``               the payment is reversed as CHARGED_BACK (its invoices reopen)
``DISPUTE_WON``            the money comes back: a new CLEARED payment for the account,
                           its id derived from the event id
``DISPUTE_LOST``           nothing more (the dispute already reversed it); reversed now if
                           the dispute event was missed
=========================  =================================================================

Every event is applied once: the provider's event id is the idempotency key (an event
record ``provider-event:<id>`` on the account; the derived payment id of a won dispute),
and the payment and reversal services are idempotent themselves, so a redelivered or
out-of-order event changes nothing twice. :func:`stripe_event` maps Stripe's event
JSON onto :class:`ProviderEvent`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

from dunning_core.domain._checks import non_empty_text, optional_text, positive_money, to_enum
from dunning_core.domain.history import EventRecord
from dunning_core.domain.outbox import aware_datetime
from dunning_core.domain.payment import Payment, PaymentMethod, PaymentStatus
from dunning_core.errors import InvalidField
from dunning_core.money import Money, minor_unit
from dunning_core.ports import UowFactory
from dunning_core.service.payments import (
    PaymentOutcome,
    ReversalOutcome,
    record_payment,
    reverse_payment,
)
from dunning_core.service.settings import CycleConfig

__all__ = [
    "ProviderEvent",
    "ProviderEventKind",
    "ProviderEventOutcome",
    "apply_provider_event",
    "stripe_event",
]


class ProviderEventKind(enum.StrEnum):
    """The provider events the ledger reacts to."""

    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"
    DISPUTE_WON = "DISPUTE_WON"
    DISPUTE_LOST = "DISPUTE_LOST"


def _kind(value: object) -> ProviderEventKind:
    return to_enum(ProviderEventKind, "ProviderEvent.kind", value)


@attrs.frozen(kw_only=True)
class ProviderEvent:
    """One event of a payment provider, already verified (see
    :func:`~dunning_core.adapters.bank.verify_stripe_signature`).

    Args:
        id: The provider's event id (the idempotency key).
        kind: What happened.
        payment_id: The provider's id of the payment concerned (a payment intent).
        amount: The amount concerned (the payment, the refund, the dispute).
        occurred_at: When the provider says it happened (aware).
        account_id: The account, when the payment carries it (metadata); ``None`` leaves
            a new payment to identification and suspense.
        reference: Free text that may name invoices (a description, invoice numbers).
        provider: The provider's name, prefixed to derived ids.
    """

    id: str = attrs.field(validator=non_empty_text)
    kind: ProviderEventKind = attrs.field(converter=_kind)
    payment_id: str = attrs.field(validator=non_empty_text)
    amount: Money = attrs.field(validator=positive_money)
    occurred_at: datetime = attrs.field(validator=aware_datetime)
    account_id: str | None = attrs.field(default=None, validator=optional_text)
    reference: str = ""
    provider: str = "stripe"


@attrs.frozen(kw_only=True)
class ProviderEventOutcome:
    """What :func:`apply_provider_event` did.

    Attributes:
        event: The event.
        applied: False when nothing changed (a repeat, or nothing to do).
        payment: The payment service's outcome, for a payment recorded.
        reversal: The reversal service's outcome, for a payment reversed.
        detail: A sentence for a person.
    """

    event: ProviderEvent
    applied: bool
    payment: PaymentOutcome | None = None
    reversal: ReversalOutcome | None = None
    detail: str = ""


def _event_key(event: ProviderEvent) -> str:
    return f"provider-event:{event.provider}:{event.id}"


def apply_provider_event(
    uow_factory: UowFactory, event: ProviderEvent, *, config: CycleConfig | None = None
) -> ProviderEventOutcome:
    """Apply one provider event to the ledger (see the module's table).

    Args:
        uow_factory: Returns a fresh unit of work.
        event: The event, its signature already verified.
        config: Policies; the defaults if ``None``.

    Returns:
        A :class:`ProviderEventOutcome`; ``applied=False`` for a repeat or a no-op.

    Raises:
        DuplicatePayment: the payment id is on file with another amount or account.
        UnknownRecord: the event names an account the store does not know.
    """
    with uow_factory() as uow:
        existing = uow.ledger.get_payment(event.payment_id)
        account_id = event.account_id or (existing.account_id if existing else None)
        if account_id is not None and uow.accounts.get(account_id) is not None:
            seen = uow.history.events_of([account_id]).get(account_id, ())
            if any(record.key == _event_key(event) for record in seen):
                return ProviderEventOutcome(
                    event=event, applied=False, detail=f"event {event.id} already applied"
                )
    outcome = _apply(uow_factory, event, existing, config)
    account_id = account_id or _account_of(outcome)
    if outcome.applied and account_id is not None:
        with uow_factory() as uow:
            uow.history.add_events(
                [
                    EventRecord(
                        key=_event_key(event),
                        account_id=account_id,
                        kind=f"provider.{event.kind.lower()}",
                        occurred_at=event.occurred_at,
                        payload=json.dumps(
                            {"payment_id": event.payment_id, "amount": str(event.amount)},
                            sort_keys=True,
                        ),
                    )
                ]
            )
            uow.commit()
    return outcome


def _account_of(outcome: ProviderEventOutcome) -> str | None:
    if outcome.payment is not None:
        return outcome.payment.payment.account_id
    if outcome.reversal is not None:
        return outcome.reversal.payment.account_id
    return None


def _apply(
    uow_factory: UowFactory,
    event: ProviderEvent,
    existing: Payment | None,
    config: CycleConfig | None,
) -> ProviderEventOutcome:
    kind = event.kind
    if kind is ProviderEventKind.PAYMENT_SUCCEEDED:
        payment = Payment(
            id=event.payment_id,
            account_id=event.account_id,
            amount=event.amount,
            received_on=event.occurred_at.astimezone(UTC).date(),
            method=PaymentMethod.CARD,
            status=PaymentStatus.CLEARED,
            bank_reference=event.reference,
        )
        recorded = record_payment(uow_factory(), payment, config=config, as_of=event.occurred_at)
        return ProviderEventOutcome(
            event=event,
            applied=not recorded.repeated,
            payment=recorded,
            detail=f"payment {event.payment_id} recorded",
        )
    if existing is None:
        return ProviderEventOutcome(
            event=event,
            applied=False,
            detail=f"no payment {event.payment_id} on file: nothing to reverse",
        )
    if kind is ProviderEventKind.DISPUTE_WON:
        reinstated = Payment(
            id=f"{event.provider}:{event.id}",
            account_id=existing.account_id,
            amount=event.amount,
            received_on=event.occurred_at.astimezone(UTC).date(),
            method=existing.method,
            bank_reference=f"dispute won on {existing.id} {existing.bank_reference}".strip(),
        )
        recorded = record_payment(uow_factory(), reinstated, config=config, as_of=event.occurred_at)
        return ProviderEventOutcome(
            event=event,
            applied=not recorded.repeated,
            payment=recorded,
            detail=f"dispute won: {event.amount} credited again as {reinstated.id}",
        )
    if kind is ProviderEventKind.REFUNDED and event.amount != existing.amount:
        return ProviderEventOutcome(
            event=event,
            applied=False,
            detail=f"partial refund of {event.amount} on {existing.amount}: left to a person "
            "(issue a credit note for what was refunded)",
        )
    if kind is ProviderEventKind.DISPUTE_LOST and existing.status is PaymentStatus.CHARGED_BACK:
        return ProviderEventOutcome(
            event=event, applied=False, detail="dispute lost: already reversed when disputed"
        )
    status = (
        PaymentStatus.FAILED
        if kind is ProviderEventKind.PAYMENT_FAILED
        else (PaymentStatus.CHARGED_BACK)
    )
    reversed_ = reverse_payment(
        uow_factory(), existing.id, status, config=config, as_of=event.occurred_at
    )
    return ProviderEventOutcome(
        event=event,
        applied=not reversed_.repeated,
        reversal=reversed_,
        detail=f"payment {existing.id} reversed ({status})",
    )


_STRIPE_KINDS = {
    "payment_intent.succeeded": ProviderEventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": ProviderEventKind.PAYMENT_FAILED,
    "charge.refunded": ProviderEventKind.REFUNDED,
    "charge.dispute.created": ProviderEventKind.DISPUTED,
}


def stripe_event(event: Mapping[str, Any]) -> ProviderEvent | None:
    """Map a Stripe event (the parsed JSON body) onto a :class:`ProviderEvent`.

    ``payment_intent.succeeded`` / ``payment_intent.payment_failed``,
    ``charge.refunded`` (the refunded amount), ``charge.dispute.created`` and
    ``charge.dispute.closed`` (``won`` or ``lost``) are mapped; the payment is the
    payment intent. ``metadata.account_id`` names the account and ``metadata.invoices``
    or the description the invoices. Amounts are integer minor units, read with the
    currency's ISO 4217 minor unit.

    Returns:
        The event, or ``None`` for an event type the ledger does not react to.

    Raises:
        InvalidField: a field the mapping needs is missing or malformed.
    """
    try:
        kind_name = str(event["type"])
        obj = event["data"]["object"]
        created = datetime.fromtimestamp(int(event["created"]), UTC)
        event_id = str(event["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidField(
            "stripe event", event.get("id"), "missing id, type, created or data"
        ) from None
    kind = _STRIPE_KINDS.get(kind_name)
    if kind_name == "charge.dispute.closed":
        kind = {"won": ProviderEventKind.DISPUTE_WON, "lost": ProviderEventKind.DISPUTE_LOST}.get(
            str(obj.get("status"))
        )
    if kind is None:
        return None
    refunded = kind is ProviderEventKind.REFUNDED
    minor = obj.get("amount_refunded") if refunded else obj.get("amount")
    payment_id = obj.get("payment_intent") if kind_name.startswith("charge.") else obj.get("id")
    metadata = obj.get("metadata") or {}
    if not isinstance(minor, int) or isinstance(minor, bool) or not payment_id:
        raise InvalidField(f"stripe event {event_id}", minor, "no integer amount or payment")
    currency = str(obj.get("currency", "")).upper()
    amount = Money(Decimal(minor).scaleb(-minor_unit(currency)), currency)
    reference = " ".join(
        str(part) for part in (metadata.get("invoices"), obj.get("description")) if part
    )
    return ProviderEvent(
        id=event_id,
        kind=kind,
        payment_id=str(payment_id),
        amount=amount,
        occurred_at=created,
        account_id=metadata.get("account_id") or None,
        reference=reference,
    )
