"""Outbox messages: a notice waiting to be sent, and what became of it.

The cycle writes one :class:`OutboxMessage` per notice in the same transaction as the
action it announces; :func:`dunning_core.service.dispatch.dispatch` sends them later.
A message's ``key`` is its idempotency key: the outbox ignores a second message with
the same key, and notifiers pass the key to providers that deduplicate on it.

Status moves PENDING -> SENDING (claimed under a lease) -> SENT, or back to PENDING
for a retry, or to DEAD when it can never be delivered.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from dunning_core.domain._checks import (
    field_name,
    identifier,
    non_empty_text,
    optional_text,
    plain_text,
    to_enum,
)
from dunning_core.domain.attachments import Attachment
from dunning_core.errors import InvalidField

__all__ = ["Delivery", "OutboxMessage", "OutboxStatus", "aware_datetime"]


class OutboxStatus(enum.StrEnum):
    """Where an outbox message stands."""

    PENDING = "PENDING"  #: waiting for its next attempt
    SENDING = "SENDING"  #: claimed by a dispatcher that holds its lease
    SENT = "SENT"  #: the provider accepted it; never sent again
    DEAD = "DEAD"  #: gave up (permanent error or attempts exhausted); kept with the reason


def aware_datetime(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Validator: a timezone-aware ``datetime`` (a naive one means nothing in storage)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidField(
            field_name(instance, attribute), value, "must be a timezone-aware datetime"
        )


def _optional_aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        aware_datetime(instance, attribute, value)


def _non_negative_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidField(field_name(instance, attribute), value, "must be an int >= 0")


def _refusals(value: Any) -> tuple[tuple[str, str], ...]:
    pairs = tuple(tuple(pair) for pair in value)
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            raise InvalidField("Delivery.refused", value, "must be (recipient, reason) pairs")
    return pairs


def _attachments(value: Any) -> tuple[Attachment, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Attachment):
            raise InvalidField("attachments", item, "must be Attachment values")
    return items


def _status(value: object) -> OutboxStatus:
    return to_enum(OutboxStatus, "OutboxMessage.status", value)


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """One rendered notice to one recipient, and its delivery state.

    Build a new one with :meth:`new`; stores and the dispatcher change the delivery
    fields.

    Args:
        key: Idempotency key, unique in the outbox (derived from the action's key).
        account_id: The account the notice is about.
        channel: The channel (a :class:`~dunning_core.domain.account.Channel` value).
        recipient: Address, phone number or endpoint, as the channel understands it.
        subject: Subject line (empty for channels without one).
        body: The rendered text (the plain-text part of an email).
        html_body: The HTML part of an email, when the renderer gave one; channels
            without HTML ignore it.
        created_at: When the message was written to the outbox.
        status: Delivery status.
        attempts: Delivery attempts started so far (a claim starts one).
        next_attempt_at: When the message is next due (PENDING), or was last attempted.
        lease_token: The fence token of the dispatcher holding it (SENDING only).
        lease_expires_at: When that lease lapses and another dispatcher may take over.
        provider_message_id: The provider's id once SENT.
        sent_at: When it was marked SENT.
        last_error: The reason of the last failed attempt, or of the dead letter.
        text_locale: The locale of the text used ("en" for a Vietnamese account whose
            language has no catalog: the fallback shows); "" when the renderer did not say.
        document: The letter of a LETTER or REGISTERED_LETTER message, as JSON
            (:class:`~dunning_core.documents.letter.Letter`), or ``None``.
        attachments: The files an e-mail asks to carry (invoices' PDFs, a statement, the
            notice as a letter); once SENT, each with what became of it (attached,
            linked, missing), as the notifier reported.

    Raises:
        InvalidField: an identifier is empty, a datetime is naive, ``attempts`` is
            negative.
    """

    key: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    channel: str = attrs.field(validator=non_empty_text)
    recipient: str = attrs.field(validator=plain_text)
    subject: str = attrs.field(validator=plain_text)
    body: str = attrs.field(validator=plain_text)
    html_body: str | None = attrs.field(default=None)
    created_at: datetime = attrs.field(validator=aware_datetime)
    status: OutboxStatus = attrs.field(default=OutboxStatus.PENDING, converter=_status)
    attempts: int = attrs.field(default=0, validator=_non_negative_int)
    next_attempt_at: datetime = attrs.field(validator=aware_datetime)
    lease_token: str | None = attrs.field(default=None, validator=optional_text)
    lease_expires_at: datetime | None = attrs.field(default=None, validator=_optional_aware)
    provider_message_id: str | None = attrs.field(default=None, validator=optional_text)
    sent_at: datetime | None = attrs.field(default=None, validator=_optional_aware)
    last_error: str | None = attrs.field(default=None)
    text_locale: str = attrs.field(default="", validator=plain_text)
    document: str | None = attrs.field(default=None, validator=optional_text)
    attachments: tuple[Attachment, ...] = attrs.field(default=(), converter=_attachments)

    @next_attempt_at.default
    def _due_at_creation(self) -> datetime:
        return self.created_at

    @html_body.validator
    def _check_html(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidField("OutboxMessage.html_body", value, "must be a string or None")

    @last_error.validator
    def _check_error(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidField("OutboxMessage.last_error", value, "must be a string or None")

    @classmethod
    def new(
        cls,
        *,
        key: str,
        account_id: str,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        created_at: datetime,
        text_locale: str = "",
        document: str | None = None,
        html_body: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> OutboxMessage:
        """A PENDING message, due at ``created_at``, with no attempt yet.

        Args:
            key: Idempotency key.
            account_id: The account.
            channel: The channel.
            recipient: Where it goes.
            subject: Subject line.
            body: Rendered text.
            created_at: An aware datetime.
            text_locale: The locale of the text used (see the class).
            document: A letter's stored document (JSON), if any.
            html_body: The HTML part, if the renderer made one.
            attachments: The files an e-mail asks to carry.
        """
        return cls(
            key=key,
            account_id=account_id,
            channel=str(channel),
            recipient=recipient,
            subject=subject,
            body=body,
            html_body=html_body,
            created_at=created_at,
            text_locale=text_locale,
            document=document,
            attachments=attachments,
        )

    @property
    def due_at(self) -> datetime | None:
        """When a dispatcher may next claim it: ``next_attempt_at`` while PENDING,
        ``lease_expires_at`` while SENDING (a lapsed lease is taken over), ``None``
        once SENT or DEAD. Stores index on it."""
        if self.status is OutboxStatus.PENDING:
            return self.next_attempt_at
        if self.status is OutboxStatus.SENDING:
            return self.lease_expires_at
        return None

    @property
    def is_final(self) -> bool:
        """True once SENT or DEAD: no dispatcher will touch it again."""
        return self.status is OutboxStatus.SENT or self.status is OutboxStatus.DEAD


@attrs.frozen(kw_only=True)
class Delivery:
    """What a notifier reports after the provider accepted a message.

    Args:
        provider_message_id: The provider's id for the message (kept on the outbox row).
        detail: Anything else worth keeping (a queue id, a file path).
        segments: For an SMS, the number of segments the text was sent (and billed) in.
        channel: The channel it actually went out on, when a router fell back to
            another one than the message's; ``None`` when it went as written.
        refused: Recipients the provider refused while it accepted the message for
            the others, as ``(recipient, reason)`` pairs.
        attachments: What the message carried: each of its attachments with its
            outcome (the dispatcher stores them on the message); ``()`` when the
            notifier sends no attachments.
    """

    provider_message_id: str = attrs.field(validator=non_empty_text)
    detail: str = attrs.field(default="", validator=plain_text)
    segments: int | None = attrs.field(default=None)
    channel: str | None = attrs.field(default=None, validator=optional_text)
    refused: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_refusals)
    attachments: tuple[Attachment, ...] = attrs.field(default=(), converter=_attachments)

    @segments.validator
    def _check_segments(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise InvalidField("Delivery.segments", value, "must be an int >= 1 or None")
