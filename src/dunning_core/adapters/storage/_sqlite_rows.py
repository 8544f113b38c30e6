"""Rows <-> domain objects for the SQLite store: one small function per table.

Column order in each ``*_COLUMNS`` string matches the tuple the ``*_row`` function
builds and the tuple the ``*_from_row`` function reads, so the SQL and the translation
cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from dunning_core.adapters.storage._decode import (
    integer,
    json_value,
    money,
    parse_day,
    parse_instant,
    parse_optional_day,
    parse_optional_instant,
    reader,
    text_list,
)
from dunning_core.domain.account import (
    Account,
    Contact,
    PaymentTerms,
    PostalAddress,
    Segment,
    TermsKind,
)
from dunning_core.domain.attachments import (
    Attachment,
    attachments_from_json,
    attachments_to_json,
)
from dunning_core.domain.charges import Charge
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Allocation, Payment, Refund
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.errors import InvalidField
from dunning_core.sharding import shard_key

Row = Sequence[Any]


def instant(value: datetime) -> str:
    """An aware datetime as fixed-width ISO 8601 text in UTC (text order = time order)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def optional_instant(value: datetime | None) -> str | None:
    return None if value is None else instant(value)


def optional_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _flag(value: Any, field: str) -> bool:
    """A boolean column: the store writes 0 or 1."""
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise InvalidField(field, value, "not 0 or 1")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- accounts ---------------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    "id, shard_key, name, currency, segment, locale, timezone, credit_limit_minor, "
    "billing_entity_id, registration_id, tags, terms_kind, terms_days, contacts, country, "
    "subdivision"
)


def _address_dict(address: PostalAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "recipient": address.recipient,
        "lines": list(address.lines),
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def _contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "email": contact.email,
        "mobile": contact.mobile,
        "phone": contact.phone,
        "country": contact.country,
        "postal_address": _address_dict(contact.postal_address),
        "channels": sorted(contact.channels),
        "role": contact.role,
        "invalid_numbers": sorted(contact.invalid_numbers),
    }


def _address(data: Any) -> PostalAddress:
    return PostalAddress(
        recipient=data["recipient"],
        lines=data["lines"],
        postal_code=data["postal_code"],
        city=data["city"],
        country=data["country"],
    )


def _contact(data: Any) -> Contact:
    address = data["postal_address"]
    return Contact._stored(
        name=data["name"],
        email=data["email"],
        mobile=data["mobile"],
        phone=data["phone"],
        country=data.get("country"),  # absent from rows written before schema version 6
        postal_address=None if address is None else _address(address),
        channels=data["channels"],
        role=data["role"],
        invalid_numbers=data.get("invalid_numbers", ()),
    )


def account_row(account: Account) -> tuple[Any, ...]:
    limit = account.credit_limit
    return (
        account.id,
        shard_key(account.id),
        account.name,
        account.currency,
        account.segment.key,
        account.locale,
        account.timezone,
        None if limit is None else limit.minor_units,
        account.billing_entity_id,
        account.registration_id,
        _json(sorted(account.tags)),
        account.terms.kind.value,
        account.terms.days,
        _json([_contact_dict(c) for c in account.contacts]),
        account.country,
        account.subdivision,
    )


def _contacts(text: Any) -> list[Contact]:
    items = json_value(text, "accounts.contacts")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidField("accounts.contacts", text, "not a JSON array of contacts")
    try:
        return [_contact(item) for item in items]
    except (KeyError, TypeError, AttributeError) as error:
        problem = f"a contact lacks a field or has the wrong shape ({error!r})"
        raise InvalidField("accounts.contacts", text, problem) from None


def _terms_kind(value: Any) -> TermsKind:
    try:
        return TermsKind(value)
    except ValueError:
        raise InvalidField("accounts.terms_kind", value, "not a TermsKind") from None


@reader("accounts")
def account_from_row(row: Row) -> Account:
    currency = row[3]
    return Account(
        id=row[0],
        name=row[2],
        currency=currency,
        segment=Segment(row[4]),
        locale=row[5],
        timezone=row[6],
        credit_limit=(
            None if row[7] is None else money(row[7], currency, "accounts.credit_limit_minor")
        ),
        billing_entity_id=row[8],
        registration_id=row[9],
        tags=text_list(row[10], "accounts.tags"),
        terms=PaymentTerms(_terms_kind(row[11]), integer(row[12], "accounts.terms_days")),
        contacts=_contacts(row[13]),
        country=row[14],
        subdivision=row[15],
    )


# -- ledger -----------------------------------------------------------------------------

INVOICE_COLUMNS = "account_id, number, issued_on, due_on, amount_minor, currency, purchase_order"


def invoice_row(invoice: Invoice) -> tuple[Any, ...]:
    return (
        invoice.account_id,
        invoice.number,
        invoice.issued_on.isoformat(),
        invoice.due_on.isoformat(),
        invoice.amount.minor_units,
        invoice.amount.currency,
        invoice.purchase_order,
    )


@reader("invoices", 1)
def invoice_from_row(row: Row) -> Invoice:
    return Invoice(
        account_id=row[0],
        number=row[1],
        issued_on=parse_day(row[2], "invoices.issued_on"),
        due_on=parse_day(row[3], "invoices.due_on"),
        amount=money(row[4], row[5], "invoices.amount_minor"),
        purchase_order=row[6],
    )


CHARGE_COLUMNS = (
    "account_id, key, kind, amount_minor, currency, booked_on, invoice_number, stage, detail"
)


def charge_row(charge: Charge) -> tuple[Any, ...]:
    return (
        charge.account_id,
        charge.key,
        charge.kind.value,
        charge.amount.minor_units,
        charge.amount.currency,
        charge.booked_on.isoformat(),
        charge.invoice_number,
        charge.stage,
        charge.detail,
    )


@reader("charges", 1)
def charge_from_row(row: Row) -> Charge:
    return Charge(
        account_id=row[0],
        key=row[1],
        kind=row[2],
        amount=money(row[3], row[4], "charges.amount_minor"),
        booked_on=parse_day(row[5], "charges.booked_on"),
        invoice_number=row[6],
        stage=row[7],
        detail=row[8],
    )


REFUND_COLUMNS = "account_id, id, amount_minor, currency, refunded_on, reference"


def refund_row(refund: Refund) -> tuple[Any, ...]:
    return (
        refund.account_id,
        refund.id,
        refund.amount.minor_units,
        refund.amount.currency,
        refund.refunded_on.isoformat(),
        refund.reference,
    )


@reader("refunds", 1)
def refund_from_row(row: Row) -> Refund:
    return Refund(
        account_id=row[0],
        id=row[1],
        amount=money(row[2], row[3], "refunds.amount_minor"),
        refunded_on=parse_day(row[4], "refunds.refunded_on"),
        reference=row[5],
    )


CREDIT_NOTE_COLUMNS = (
    "account_id, number, issued_on, amount_minor, currency, credits_invoice, reason"
)


def credit_note_row(note: CreditNote) -> tuple[Any, ...]:
    return (
        note.account_id,
        note.number,
        note.issued_on.isoformat(),
        note.amount.minor_units,
        note.amount.currency,
        note.credits_invoice,
        note.reason,
    )


@reader("credit_notes", 1)
def credit_note_from_row(row: Row) -> CreditNote:
    return CreditNote(
        account_id=row[0],
        number=row[1],
        issued_on=parse_day(row[2], "credit_notes.issued_on"),
        amount=money(row[3], row[4], "credit_notes.amount_minor"),
        credits_invoice=row[5],
        reason=row[6],
    )


PAYMENT_COLUMNS = (
    "id, account_id, amount_minor, currency, received_on, method, status, "
    "bank_reference, payer_name"
)


def payment_row(payment: Payment) -> tuple[Any, ...]:
    return (
        payment.id,
        payment.account_id,
        payment.amount.minor_units,
        payment.amount.currency,
        payment.received_on.isoformat(),
        payment.method.value,
        payment.status.value,
        payment.bank_reference,
        payment.payer_name,
    )


@reader("payments")
def payment_from_row(row: Row) -> Payment:
    return Payment(
        id=row[0],
        account_id=row[1],
        amount=money(row[2], row[3], "payments.amount_minor"),
        received_on=parse_day(row[4], "payments.received_on"),
        method=row[5],
        status=row[6],
        bank_reference=row[7],
        payer_name=row[8],
    )


ALLOCATION_COLUMNS = "invoice_number, amount_minor, currency, kind, source_id, reference"


def allocation_row(allocation: Allocation) -> tuple[Any, ...]:
    return (
        allocation.invoice_number,
        allocation.amount.minor_units,
        allocation.amount.currency,
        allocation.kind.value,
        allocation.source_id,
        allocation.reference,
    )


@reader("allocations", 4)
def allocation_from_row(row: Row) -> Allocation:
    return Allocation(
        invoice_number=row[0],
        amount=money(row[1], row[2], "allocations.amount_minor"),
        kind=row[3],
        source_id=row[4],
        reference=row[5],
    )


REMITTANCE_LINE_COLUMNS = (
    "payment_id, position, invoice_number, currency, paid_minor, withheld_minor, "
    "discount_minor, reason, certificate"
)


def remittance_line_rows(advice: RemittanceAdvice) -> list[tuple[Any, ...]]:
    return [
        (
            advice.payment_id,
            position,
            line.invoice_number,
            line.currency,
            line.amount_paid.minor_units,
            line.tax_withheld.minor_units,
            line.discount_taken.minor_units,
            line.reason,
            line.certificate,
        )
        for position, line in enumerate(advice.lines)
    ]


def remittance_advice_from_rows(
    payment_id: str, reference: str | None, lines: Sequence[Row]
) -> RemittanceAdvice:
    return _advice((payment_id, reference, lines))


@reader("remittance_advices")
def _advice(row: Row) -> RemittanceAdvice:
    payment_id, reference, lines = row
    return RemittanceAdvice(
        payment_id=payment_id,
        reference=reference,
        lines=[
            RemittanceLine(
                invoice_number=line[2],
                amount_paid=money(line[4], line[3], "remittance_lines.paid_minor"),
                tax_withheld=money(line[5], line[3], "remittance_lines.withheld_minor"),
                discount_taken=money(line[6], line[3], "remittance_lines.discount_minor"),
                reason=line[7],
                certificate=line[8],
            )
            for line in lines
        ],
    )


# -- facts ------------------------------------------------------------------------------

PROMISE_COLUMNS = "account_id, id, made_on, due_on, amount_minor, currency, invoice_numbers"


def promise_row(promise: PromiseToPay) -> tuple[Any, ...]:
    return (
        promise.account_id,
        promise.id,
        promise.made_on.isoformat(),
        promise.due_on.isoformat(),
        promise.amount.minor_units,
        promise.amount.currency,
        _json(list(promise.invoice_numbers)),
    )


@reader("promises", 1)
def promise_from_row(row: Row) -> PromiseToPay:
    return PromiseToPay(
        account_id=row[0],
        id=row[1],
        made_on=parse_day(row[2], "promises.made_on"),
        due_on=parse_day(row[3], "promises.due_on"),
        amount=money(row[4], row[5], "promises.amount_minor"),
        invoice_numbers=text_list(row[6], "promises.invoice_numbers"),
    )


DISPUTE_COLUMNS = "account_id, id, invoice_number, opened_on, reason, resolved_on"


def dispute_row(dispute: Dispute) -> tuple[Any, ...]:
    return (
        dispute.account_id,
        dispute.id,
        dispute.invoice_number,
        dispute.opened_on.isoformat(),
        dispute.reason,
        optional_day(dispute.resolved_on),
    )


@reader("disputes", 1)
def dispute_from_row(row: Row) -> Dispute:
    return Dispute(
        account_id=row[0],
        id=row[1],
        invoice_number=row[2],
        opened_on=parse_day(row[3], "disputes.opened_on"),
        reason=row[4],
        resolved_on=parse_optional_day(row[5], "disputes.resolved_on"),
    )


PROCEEDING_COLUMNS = "account_id, id, kind, opened_on, ruled_on, reference, court"


def proceeding_row(proceeding: InsolvencyProceeding) -> tuple[Any, ...]:
    return (
        proceeding.account_id,
        proceeding.id,
        proceeding.kind.value,
        proceeding.opened_on.isoformat(),
        optional_day(proceeding.ruled_on),
        proceeding.reference,
        proceeding.court,
    )


@reader("proceedings", 1)
def proceeding_from_row(row: Row) -> InsolvencyProceeding:
    return InsolvencyProceeding(
        account_id=row[0],
        id=row[1],
        kind=row[2],
        opened_on=parse_day(row[3], "proceedings.opened_on"),
        ruled_on=parse_optional_day(row[4], "proceedings.ruled_on"),
        reference=row[5],
        court=row[6],
    )


HOLD_COLUMNS = "account_id, id, reason, starts_on, ends_on, invoice_number, suspends"


def hold_row(hold: Hold) -> tuple[Any, ...]:
    return (
        hold.account_id,
        hold.id,
        hold.reason,
        hold.starts_on.isoformat(),
        optional_day(hold.ends_on),
        hold.invoice_number,
        int(hold.suspends),
    )


@reader("holds", 1)
def hold_from_row(row: Row) -> Hold:
    return Hold(
        account_id=row[0],
        id=row[1],
        reason=row[2],
        starts_on=parse_day(row[3], "holds.starts_on"),
        ends_on=parse_optional_day(row[4], "holds.ends_on"),
        invoice_number=row[5],
        suspends=_flag(row[6], "holds.suspends"),
    )


# -- history ----------------------------------------------------------------------------

ACTION_COLUMNS = (
    "account_id, key, ladder, stage, action, channel, invoice_numbers, fired_on, skipped, payload"
)


def action_row(record: ActionRecord) -> tuple[Any, ...]:
    return (
        record.account_id,
        record.key,
        record.ladder,
        record.stage,
        record.action,
        record.channel,
        _json(list(record.invoice_numbers)),
        record.fired_on.isoformat(),
        int(record.skipped),
        record.payload,
    )


@reader("actions", 1)
def action_from_row(row: Row) -> ActionRecord:
    return ActionRecord(
        account_id=row[0],
        key=row[1],
        ladder=row[2],
        stage=row[3],
        action=row[4],
        channel=row[5],
        invoice_numbers=text_list(row[6], "actions.invoice_numbers"),
        fired_on=parse_day(row[7], "actions.fired_on"),
        skipped=_flag(row[8], "actions.skipped"),
        payload=row[9],
    )


SUSPENSION_COLUMNS = "account_id, suspended, reason_codes, since, requires_prepayment"


def suspension_row(state: SuspensionState) -> tuple[Any, ...]:
    return (
        state.account_id,
        int(state.suspended),
        _json(list(state.reason_codes)),
        optional_day(state.since),
        int(state.requires_prepayment),
    )


@reader("suspension_states")
def suspension_from_row(row: Row) -> SuspensionState:
    return SuspensionState(
        account_id=row[0],
        suspended=_flag(row[1], "suspension_states.suspended"),
        reason_codes=text_list(row[2], "suspension_states.reason_codes"),
        since=parse_optional_day(row[3], "suspension_states.since"),
        requires_prepayment=_flag(row[4], "suspension_states.requires_prepayment"),
    )


CREDIT_ALERT_COLUMNS = "account_id, fired"


def credit_alert_row(state: CreditAlertState) -> tuple[Any, ...]:
    return (state.account_id, _json(sorted(state.fired)))


@reader("credit_alert_states")
def credit_alert_from_row(row: Row) -> CreditAlertState:
    fired = json_value(row[1], "credit_alert_states.fired")
    if not isinstance(fired, list):
        raise InvalidField("credit_alert_states.fired", row[1], "not a JSON array")
    return CreditAlertState(account_id=row[0], fired=fired)


EVENT_COLUMNS = "account_id, key, kind, occurred_at, payload"


def event_row(record: EventRecord) -> tuple[Any, ...]:
    return (
        record.account_id,
        record.key,
        record.kind,
        instant(record.occurred_at),
        record.payload,
    )


@reader("events", 1)
def event_from_row(row: Row) -> EventRecord:
    return EventRecord(
        account_id=row[0],
        key=row[1],
        kind=row[2],
        occurred_at=parse_instant(row[3], "events.occurred_at"),
        payload=row[4],
    )


# -- outbox and checkpoints -------------------------------------------------------------

OUTBOX_COLUMNS = (
    "key, account_id, channel, recipient, subject, body, created_at, status, attempts, "
    "next_attempt_at, lease_token, lease_expires_at, provider_message_id, sent_at, "
    "last_error, due_at, text_locale, document, html_body, attachments"
)


def outbox_row(message: OutboxMessage) -> tuple[Any, ...]:
    return (
        message.key,
        message.account_id,
        message.channel,
        message.recipient,
        message.subject,
        message.body,
        instant(message.created_at),
        message.status.value,
        message.attempts,
        instant(message.next_attempt_at),
        message.lease_token,
        optional_instant(message.lease_expires_at),
        message.provider_message_id,
        optional_instant(message.sent_at),
        message.last_error,
        optional_instant(message.due_at),
        message.text_locale,
        message.document,
        message.html_body,
        optional_attachments(message.attachments),
    )


def optional_attachments(attachments: Sequence[Attachment]) -> str | None:
    """The attachments column: JSON, or NULL for a message that carries nothing."""
    return attachments_to_json(attachments) if attachments else None


@reader("outbox")
def outbox_from_row(row: Row) -> OutboxMessage:
    return OutboxMessage(
        key=row[0],
        account_id=row[1],
        channel=row[2],
        recipient=row[3],
        subject=row[4],
        body=row[5],
        created_at=parse_instant(row[6], "outbox.created_at"),
        status=row[7],
        attempts=integer(row[8], "outbox.attempts"),
        next_attempt_at=parse_instant(row[9], "outbox.next_attempt_at"),
        lease_token=row[10],
        lease_expires_at=parse_optional_instant(row[11], "outbox.lease_expires_at"),
        provider_message_id=row[12],
        sent_at=parse_optional_instant(row[13], "outbox.sent_at"),
        last_error=row[14],
        text_locale=row[16],
        document=row[17],
        html_body=row[18],
        attachments=attachments_from_json(row[19]),
    )


CHECKPOINT_COLUMNS = "run_date, shard, last_account_id, done"


def checkpoint_row(checkpoint: CycleCheckpoint) -> tuple[Any, ...]:
    return (
        checkpoint.run_date.isoformat(),
        checkpoint.shard,
        checkpoint.last_account_id,
        int(checkpoint.done),
    )


@reader("checkpoints", 1)
def checkpoint_from_row(row: Row) -> CycleCheckpoint:
    return CycleCheckpoint(
        run_date=parse_day(row[0], "checkpoints.run_date"),
        shard=row[1],
        last_account_id=row[2],
        done=_flag(row[3], "checkpoints.done"),
    )
