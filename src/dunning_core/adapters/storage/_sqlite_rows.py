"""Rows <-> domain objects for the SQLite store: one small function per table.

Column order in each ``*_COLUMNS`` string matches the tuple the ``*_row`` function
builds and the tuple the ``*_from_row`` function reads, so the SQL and the translation
cannot drift apart.

The rows a cycle loads by the hundred thousand (ledger, facts, history, states) are
rebuilt with unchecked constructors, which skip the validators: the library
validated each value when it wrote the row, and the schema's integrity checks refuse a
row that breaks the rules on every later write, whoever makes it (see
``_sqlite_schema``, version 9). Accounts, outbox messages and events still go through
their validating constructors (time zones, locales and addresses are beyond what SQL
can check, and they are read a row per account at most).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dunning_core._iso4217 import MINOR_UNITS
from dunning_core.domain._checks import unchecked_constructor
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
from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.facts import (
    Dispute,
    Hold,
    InsolvencyProceeding,
    ProceedingKind,
    PromiseToPay,
)
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import (
    Allocation,
    AllocationKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.money import Money
from dunning_core.sharding import shard_key

Row = Sequence[Any]

_from_minor = Money.from_minor
_day = date.fromisoformat
_exact = Money._exact


def _money(units: int, currency: str) -> Money:
    """A stored amount: integer minor units of a known currency (the validating
    ``Money.from_minor`` raises the library's error for anything else)."""
    digits = MINOR_UNITS.get(currency)
    if digits is None or type(units) is not int:
        return _from_minor(units, currency)
    return _exact(Decimal(units).scaleb(-digits), currency)


def _member(kind: Any) -> Any:
    """``kind(value)`` for a stored enum value, by dictionary lookup."""
    members = kind._value2member_map_

    def member(value: str) -> Any:
        found = members.get(value)
        return kind(value) if found is None else found  # kind(...) raises for a bad one

    return member


_invoice = unchecked_constructor(Invoice)
_credit_note = unchecked_constructor(CreditNote)
_payment = unchecked_constructor(Payment)
_allocation = unchecked_constructor(Allocation)
_charge = unchecked_constructor(Charge)
_promise = unchecked_constructor(PromiseToPay)
_dispute = unchecked_constructor(Dispute)
_proceeding = unchecked_constructor(InsolvencyProceeding)
_hold = unchecked_constructor(Hold)
_action = unchecked_constructor(ActionRecord)
_suspension = unchecked_constructor(SuspensionState)
_credit_alert = unchecked_constructor(CreditAlertState)
_method = _member(PaymentMethod)
_status = _member(PaymentStatus)
_allocation_kind = _member(AllocationKind)
_charge_kind = _member(ChargeKind)
_proceeding_kind = _member(ProceedingKind)


def instant(value: datetime) -> str:
    """An aware datetime as fixed-width ISO 8601 text in UTC (text order = time order)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def optional_instant(value: datetime | None) -> str | None:
    return None if value is None else instant(value)


def parse_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def optional_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_day(text: str | None) -> date | None:
    return None if text is None else _day(text)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# What JSON escapes in a string when non-ASCII is kept: quotes, backslashes, controls.
_JSON_SPECIAL = re.compile(r'["\\\x00-\x1f]')


def _json_strings(values: Sequence[str]) -> str:
    """``_json(list(values))`` for strings, written directly when none needs escaping
    (invoice numbers, reason codes: one per history row the cycle writes)."""
    if any(_JSON_SPECIAL.search(value) for value in values):
        return _json(list(values))
    return '["' + '","'.join(values) + '"]' if values else "[]"


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


def _address(data: dict[str, Any]) -> PostalAddress:
    return PostalAddress(
        recipient=data["recipient"],
        lines=data["lines"],
        postal_code=data["postal_code"],
        city=data["city"],
        country=data["country"],
    )


def _contact(data: dict[str, Any]) -> Contact:
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


def account_from_row(row: Row) -> Account:
    currency = row[3]
    return Account(
        id=row[0],
        name=row[2],
        currency=currency,
        segment=Segment(row[4]),
        locale=row[5],
        timezone=row[6],
        credit_limit=None if row[7] is None else _from_minor(row[7], currency),
        billing_entity_id=row[8],
        registration_id=row[9],
        tags=json.loads(row[10]),
        terms=PaymentTerms(TermsKind(row[11]), row[12]),
        contacts=[_contact(c) for c in json.loads(row[13])],
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


def invoice_from_row(row: Row) -> Invoice:
    return _invoice(  # type: ignore[no-any-return]
        account_id=row[0],
        number=row[1],
        issued_on=_day(row[2]),
        due_on=_day(row[3]),
        amount=_money(row[4], row[5]),
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


def charge_from_row(row: Row) -> Charge:
    return _charge(  # type: ignore[no-any-return]
        account_id=row[0],
        key=row[1],
        kind=_charge_kind(row[2]),
        amount=_money(row[3], row[4]),
        booked_on=_day(row[5]),
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


def refund_from_row(row: Row) -> Refund:
    return Refund(
        account_id=row[0],
        id=row[1],
        amount=_from_minor(row[2], row[3]),
        refunded_on=_day(row[4]),
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


def credit_note_from_row(row: Row) -> CreditNote:
    return _credit_note(  # type: ignore[no-any-return]
        account_id=row[0],
        number=row[1],
        issued_on=_day(row[2]),
        amount=_money(row[3], row[4]),
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


def payment_from_row(row: Row) -> Payment:
    return _payment(  # type: ignore[no-any-return]
        id=row[0],
        account_id=row[1],
        amount=_money(row[2], row[3]),
        received_on=_day(row[4]),
        method=_method(row[5]),
        status=_status(row[6]),
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


def allocation_from_row(row: Row) -> Allocation:
    return _allocation(  # type: ignore[no-any-return]
        invoice_number=row[0],
        amount=_money(row[1], row[2]),
        kind=_allocation_kind(row[3]),
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
    return RemittanceAdvice(
        payment_id=payment_id,
        reference=reference,
        lines=[
            RemittanceLine(
                invoice_number=row[2],
                amount_paid=_from_minor(row[4], row[3]),
                tax_withheld=_from_minor(row[5], row[3]),
                discount_taken=_from_minor(row[6], row[3]),
                reason=row[7],
                certificate=row[8],
            )
            for row in lines
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
        _json_strings(promise.invoice_numbers),
    )


def promise_from_row(row: Row) -> PromiseToPay:
    return _promise(  # type: ignore[no-any-return]
        account_id=row[0],
        id=row[1],
        made_on=_day(row[2]),
        due_on=_day(row[3]),
        amount=_money(row[4], row[5]),
        invoice_numbers=tuple(json.loads(row[6])),
        open_when_made=None,
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


def dispute_from_row(row: Row) -> Dispute:
    return _dispute(  # type: ignore[no-any-return]
        account_id=row[0],
        id=row[1],
        invoice_number=row[2],
        opened_on=_day(row[3]),
        reason=row[4],
        resolved_on=parse_day(row[5]),
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


def proceeding_from_row(row: Row) -> InsolvencyProceeding:
    return _proceeding(  # type: ignore[no-any-return]
        account_id=row[0],
        id=row[1],
        kind=_proceeding_kind(row[2]),
        opened_on=_day(row[3]),
        ruled_on=parse_day(row[4]),
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


def hold_from_row(row: Row) -> Hold:
    return _hold(  # type: ignore[no-any-return]
        account_id=row[0],
        id=row[1],
        reason=row[2],
        starts_on=_day(row[3]),
        ends_on=parse_day(row[4]),
        invoice_number=row[5],
        suspends=bool(row[6]),
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
        _json_strings(record.invoice_numbers),
        record.fired_on.isoformat(),
        int(record.skipped),
        record.payload,
    )


def action_from_row(row: Row) -> ActionRecord:
    return _action(  # type: ignore[no-any-return]
        account_id=row[0],
        key=row[1],
        ladder=row[2],
        stage=row[3],
        action=row[4],
        channel=row[5],
        invoice_numbers=tuple(json.loads(row[6])),
        fired_on=_day(row[7]),
        skipped=bool(row[8]),
        payload=row[9],
    )


SUSPENSION_COLUMNS = "account_id, suspended, reason_codes, since, requires_prepayment"


def suspension_row(state: SuspensionState) -> tuple[Any, ...]:
    return (
        state.account_id,
        int(state.suspended),
        _json_strings(state.reason_codes),
        optional_day(state.since),
        int(state.requires_prepayment),
    )


def suspension_from_row(row: Row) -> SuspensionState:
    return _suspension(  # type: ignore[no-any-return]
        account_id=row[0],
        suspended=bool(row[1]),
        reason_codes=tuple(sorted(json.loads(row[2]))),
        since=parse_day(row[3]),
        requires_prepayment=bool(row[4]),
    )


CREDIT_ALERT_COLUMNS = "account_id, fired"


def credit_alert_row(state: CreditAlertState) -> tuple[Any, ...]:
    return (state.account_id, _json(sorted(state.fired)))


def credit_alert_from_row(row: Row) -> CreditAlertState:
    return _credit_alert(  # type: ignore[no-any-return]
        account_id=row[0], fired=frozenset(json.loads(row[1]))
    )


EVENT_COLUMNS = "account_id, key, kind, occurred_at, payload"


def event_row(record: EventRecord) -> tuple[Any, ...]:
    return (
        record.account_id,
        record.key,
        record.kind,
        instant(record.occurred_at),
        record.payload,
    )


def event_from_row(row: Row) -> EventRecord:
    return EventRecord(
        account_id=row[0],
        key=row[1],
        kind=row[2],
        occurred_at=datetime.fromisoformat(row[3]),
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


def outbox_from_row(row: Row) -> OutboxMessage:
    return OutboxMessage(
        key=row[0],
        account_id=row[1],
        channel=row[2],
        recipient=row[3],
        subject=row[4],
        body=row[5],
        created_at=datetime.fromisoformat(row[6]),
        status=row[7],
        attempts=row[8],
        next_attempt_at=datetime.fromisoformat(row[9]),
        lease_token=row[10],
        lease_expires_at=parse_instant(row[11]),
        provider_message_id=row[12],
        sent_at=parse_instant(row[13]),
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


def checkpoint_from_row(row: Row) -> CycleCheckpoint:
    return CycleCheckpoint(
        run_date=_day(row[0]),
        shard=row[1],
        last_account_id=row[2],
        done=bool(row[3]),
    )
