"""Rows <-> domain objects for the PostgreSQL store, and how text crosses the wire.

Each table has a ``*_COLUMNS`` tuple of ``(column, SQL type)``, a ``*_row`` function that
builds the values in that order and a ``*_from_row`` function that reads them back, so
the SQL and the translation cannot drift apart.

PostgreSQL ``text`` cannot hold U+0000, which the ports must keep. Every string sent is
therefore escaped by :class:`EscapingTextDumper` (U+0001 becomes U+0001 U+0002, U+0000
becomes U+0001 U+0001) and unescaped on the way back by :class:`UnescapingTextLoader`.
Each code point maps to a prefix-free code word, in the same order, so byte order (the
``"C"`` collation) of escaped UTF-8 is still code-point order of the original, and ids
keep sorting and paging as the ports promise. Text without either character, which
is all text in practice, is stored as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types.string import StrDumper, StrDumperUnknown

from dunning_core.adapters.storage._decode import reader

# The row shapes both stores write alike come from the SQLite module (one definition).
from dunning_core.adapters.storage._sqlite_rows import (
    _contact,
    _json,
    optional_attachments,
)
from dunning_core.adapters.storage._sqlite_rows import (
    account_row as account_row,
)
from dunning_core.adapters.storage._sqlite_rows import (
    allocation_row as allocation_row,
)
from dunning_core.adapters.storage._sqlite_rows import (
    credit_alert_row as credit_alert_row,
)
from dunning_core.adapters.storage._sqlite_rows import (
    remittance_line_rows as remittance_line_rows,
)
from dunning_core.domain.account import Account, PaymentTerms, Segment, TermsKind
from dunning_core.domain.attachments import attachments_from_json
from dunning_core.domain.charges import Charge
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Allocation, Payment, Refund
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.money import Money

Row = Sequence[Any]
Columns = tuple[tuple[str, str], ...]

_from_minor = Money.from_minor

# -- text on the wire ---------------------------------------------------------------------

_ESCAPED = re.compile("\x01([\x01\x02])")


def escape(text: str) -> str:
    """``text`` without U+0000, reversibly and in the same code-point order."""
    return text.replace("\x01", "\x01\x02").replace("\x00", "\x01\x01")


def unescape(text: str) -> str:
    """The inverse of :func:`escape`."""
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "\x01" else "\x01", text)


class _EscapingDump:
    def dump(self, obj: str) -> Buffer | None:
        if "\x00" in obj or "\x01" in obj:
            obj = escape(obj)
        return obj.encode("utf-8")


class EscapingTextDumper(_EscapingDump, StrDumper):
    """``str`` -> ``text`` (text format), escaped (see the module docstring)."""


class EscapingUnknownDumper(_EscapingDump, StrDumperUnknown):
    """``str`` -> a literal of unknown type (psycopg's default for ``%s``), escaped."""


class EscapingBinaryDumper(_EscapingDump, Dumper):
    """``str`` -> ``text`` (binary format), escaped."""

    format = Format.BINARY
    oid = 25  # text


class UnescapingTextLoader(Loader):
    """``text`` -> ``str``, unescaped (text format)."""

    def load(self, data: Buffer) -> str:
        text = str(data, "utf-8")
        return unescape(text) if "\x01" in text else text


class UnescapingBinaryLoader(UnescapingTextLoader):
    """``text`` -> ``str``, unescaped (binary format)."""

    format = Format.BINARY


def register_text_adapters(context: AdaptContext) -> None:
    """Make a connection escape every string it sends and unescape every text it reads."""
    adapters = context.adapters
    adapters.register_dumper(str, EscapingBinaryDumper)
    adapters.register_dumper(str, EscapingTextDumper)
    adapters.register_dumper(str, EscapingUnknownDumper)  # the default, registered last
    for name in ("text", "varchar", "bpchar"):
        adapters.register_loader(name, UnescapingTextLoader)
        adapters.register_loader(name, UnescapingBinaryLoader)


# -- helpers ------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """An instant read back, in UTC whatever the session's ``TimeZone``."""
    return value.astimezone(UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def names(columns: Columns) -> str:
    """``"a, b, c"`` for a column tuple."""
    return ", ".join(name for name, _ in columns)


# -- accounts -----------------------------------------------------------------------------

ACCOUNT_COLUMNS: Columns = (
    ("id", "text"),
    ("shard_key", "bigint"),
    ("name", "text"),
    ("currency", "text"),
    ("segment", "text"),
    ("locale", "text"),
    ("timezone", "text"),
    ("credit_limit_minor", "bigint"),
    ("billing_entity_id", "text"),
    ("registration_id", "text"),
    ("tags", "text"),
    ("terms_kind", "text"),
    ("terms_days", "integer"),
    ("contacts", "text"),
    ("country", "text"),
    ("subdivision", "text"),
)


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
        credit_limit=None if row[7] is None else _from_minor(row[7], currency),
        billing_entity_id=row[8],
        registration_id=row[9],
        tags=json.loads(row[10]),
        terms=PaymentTerms(TermsKind(row[11]), row[12]),
        contacts=[_contact(c) for c in json.loads(row[13])],
        country=row[14],
        subdivision=row[15],
    )


# -- ledger -------------------------------------------------------------------------------

INVOICE_COLUMNS: Columns = (
    ("account_id", "text"),
    ("number", "text"),
    ("issued_on", "date"),
    ("due_on", "date"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("purchase_order", "text"),
)


def invoice_row(invoice: Invoice) -> tuple[Any, ...]:
    return (
        invoice.account_id,
        invoice.number,
        invoice.issued_on,
        invoice.due_on,
        invoice.amount.minor_units,
        invoice.amount.currency,
        invoice.purchase_order,
    )


@reader("invoices")
def invoice_from_row(row: Row) -> Invoice:
    return Invoice(
        account_id=row[0],
        number=row[1],
        issued_on=row[2],
        due_on=row[3],
        amount=_from_minor(row[4], row[5]),
        purchase_order=row[6],
    )


CREDIT_NOTE_COLUMNS: Columns = (
    ("account_id", "text"),
    ("number", "text"),
    ("issued_on", "date"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("credits_invoice", "text"),
    ("reason", "text"),
)


def credit_note_row(note: CreditNote) -> tuple[Any, ...]:
    return (
        note.account_id,
        note.number,
        note.issued_on,
        note.amount.minor_units,
        note.amount.currency,
        note.credits_invoice,
        note.reason,
    )


@reader("credit_notes")
def credit_note_from_row(row: Row) -> CreditNote:
    return CreditNote(
        account_id=row[0],
        number=row[1],
        issued_on=row[2],
        amount=_from_minor(row[3], row[4]),
        credits_invoice=row[5],
        reason=row[6],
    )


CHARGE_COLUMNS: Columns = (
    ("account_id", "text"),
    ("key", "text"),
    ("kind", "text"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("booked_on", "date"),
    ("invoice_number", "text"),
    ("stage", "text"),
    ("detail", "text"),
)


def charge_row(charge: Charge) -> tuple[Any, ...]:
    return (
        charge.account_id,
        charge.key,
        charge.kind.value,
        charge.amount.minor_units,
        charge.amount.currency,
        charge.booked_on,
        charge.invoice_number,
        charge.stage,
        charge.detail,
    )


@reader("charges")
def charge_from_row(row: Row) -> Charge:
    return Charge(
        account_id=row[0],
        key=row[1],
        kind=row[2],
        amount=_from_minor(row[3], row[4]),
        booked_on=row[5],
        invoice_number=row[6],
        stage=row[7],
        detail=row[8],
    )


REFUND_COLUMNS: Columns = (
    ("account_id", "text"),
    ("id", "text"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("refunded_on", "date"),
    ("reference", "text"),
)


def refund_row(refund: Refund) -> tuple[Any, ...]:
    return (
        refund.account_id,
        refund.id,
        refund.amount.minor_units,
        refund.amount.currency,
        refund.refunded_on,
        refund.reference,
    )


@reader("refunds")
def refund_from_row(row: Row) -> Refund:
    return Refund(
        account_id=row[0],
        id=row[1],
        amount=_from_minor(row[2], row[3]),
        refunded_on=row[4],
        reference=row[5],
    )


PAYMENT_COLUMNS: Columns = (
    ("id", "text"),
    ("account_id", "text"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("received_on", "date"),
    ("method", "text"),
    ("status", "text"),
    ("bank_reference", "text"),
    ("payer_name", "text"),
)


def payment_row(payment: Payment) -> tuple[Any, ...]:
    return (
        payment.id,
        payment.account_id,
        payment.amount.minor_units,
        payment.amount.currency,
        payment.received_on,
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
        amount=_from_minor(row[2], row[3]),
        received_on=row[4],
        method=row[5],
        status=row[6],
        bank_reference=row[7],
        payer_name=row[8],
    )


ALLOCATION_COLUMNS: Columns = (
    ("invoice_number", "text"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("kind", "text"),
    ("source_id", "text"),
    ("reference", "text"),
)


@reader("allocations")
def allocation_from_row(row: Row) -> Allocation:
    return Allocation(
        invoice_number=row[0],
        amount=_from_minor(row[1], row[2]),
        kind=row[3],
        source_id=row[4],
        reference=row[5],
    )


REMITTANCE_LINE_COLUMNS: Columns = (
    ("payment_id", "text"),
    ("position", "integer"),
    ("invoice_number", "text"),
    ("currency", "text"),
    ("paid_minor", "bigint"),
    ("withheld_minor", "bigint"),
    ("discount_minor", "bigint"),
    ("reason", "text"),
    ("certificate", "text"),
)


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


# -- facts --------------------------------------------------------------------------------

PROMISE_COLUMNS: Columns = (
    ("account_id", "text"),
    ("id", "text"),
    ("made_on", "date"),
    ("due_on", "date"),
    ("amount_minor", "bigint"),
    ("currency", "text"),
    ("invoice_numbers", "text"),
)


def promise_row(promise: PromiseToPay) -> tuple[Any, ...]:
    return (
        promise.account_id,
        promise.id,
        promise.made_on,
        promise.due_on,
        promise.amount.minor_units,
        promise.amount.currency,
        _json(list(promise.invoice_numbers)),
    )


@reader("promises")
def promise_from_row(row: Row) -> PromiseToPay:
    return PromiseToPay(
        account_id=row[0],
        id=row[1],
        made_on=row[2],
        due_on=row[3],
        amount=_from_minor(row[4], row[5]),
        invoice_numbers=json.loads(row[6]),
    )


DISPUTE_COLUMNS: Columns = (
    ("account_id", "text"),
    ("id", "text"),
    ("invoice_number", "text"),
    ("opened_on", "date"),
    ("reason", "text"),
    ("resolved_on", "date"),
)


def dispute_row(dispute: Dispute) -> tuple[Any, ...]:
    return (
        dispute.account_id,
        dispute.id,
        dispute.invoice_number,
        dispute.opened_on,
        dispute.reason,
        dispute.resolved_on,
    )


@reader("disputes")
def dispute_from_row(row: Row) -> Dispute:
    return Dispute(
        account_id=row[0],
        id=row[1],
        invoice_number=row[2],
        opened_on=row[3],
        reason=row[4],
        resolved_on=row[5],
    )


PROCEEDING_COLUMNS: Columns = (
    ("account_id", "text"),
    ("id", "text"),
    ("kind", "text"),
    ("opened_on", "date"),
    ("ruled_on", "date"),
    ("reference", "text"),
    ("court", "text"),
)


def proceeding_row(proceeding: InsolvencyProceeding) -> tuple[Any, ...]:
    return (
        proceeding.account_id,
        proceeding.id,
        proceeding.kind.value,
        proceeding.opened_on,
        proceeding.ruled_on,
        proceeding.reference,
        proceeding.court,
    )


@reader("proceedings")
def proceeding_from_row(row: Row) -> InsolvencyProceeding:
    return InsolvencyProceeding(
        account_id=row[0],
        id=row[1],
        kind=row[2],
        opened_on=row[3],
        ruled_on=row[4],
        reference=row[5],
        court=row[6],
    )


HOLD_COLUMNS: Columns = (
    ("account_id", "text"),
    ("id", "text"),
    ("reason", "text"),
    ("starts_on", "date"),
    ("ends_on", "date"),
    ("invoice_number", "text"),
    ("suspends", "boolean"),
)


def hold_row(hold: Hold) -> tuple[Any, ...]:
    return (
        hold.account_id,
        hold.id,
        hold.reason,
        hold.starts_on,
        hold.ends_on,
        hold.invoice_number,
        hold.suspends,
    )


@reader("holds")
def hold_from_row(row: Row) -> Hold:
    return Hold(
        account_id=row[0],
        id=row[1],
        reason=row[2],
        starts_on=row[3],
        ends_on=row[4],
        invoice_number=row[5],
        suspends=row[6],
    )


# -- history ------------------------------------------------------------------------------

ACTION_COLUMNS: Columns = (
    ("account_id", "text"),
    ("key", "text"),
    ("ladder", "text"),
    ("stage", "text"),
    ("action", "text"),
    ("channel", "text"),
    ("invoice_numbers", "text"),
    ("fired_on", "date"),
    ("skipped", "boolean"),
    ("payload", "text"),
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
        record.fired_on,
        record.skipped,
        record.payload,
    )


@reader("actions")
def action_from_row(row: Row) -> ActionRecord:
    return ActionRecord(
        account_id=row[0],
        key=row[1],
        ladder=row[2],
        stage=row[3],
        action=row[4],
        channel=row[5],
        invoice_numbers=json.loads(row[6]),
        fired_on=row[7],
        skipped=row[8],
        payload=row[9],
    )


SUSPENSION_COLUMNS: Columns = (
    ("account_id", "text"),
    ("suspended", "boolean"),
    ("reason_codes", "text"),
    ("since", "date"),
    ("requires_prepayment", "boolean"),
)


def suspension_row(state: SuspensionState) -> tuple[Any, ...]:
    return (
        state.account_id,
        state.suspended,
        _json(list(state.reason_codes)),
        state.since,
        state.requires_prepayment,
    )


@reader("suspension_states")
def suspension_from_row(row: Row) -> SuspensionState:
    return SuspensionState(
        account_id=row[0],
        suspended=row[1],
        reason_codes=json.loads(row[2]),
        since=row[3],
        requires_prepayment=row[4],
    )


CREDIT_ALERT_COLUMNS: Columns = (("account_id", "text"), ("fired", "text"))


@reader("credit_alert_states")
def credit_alert_from_row(row: Row) -> CreditAlertState:
    return CreditAlertState(account_id=row[0], fired=json.loads(row[1]))


EVENT_COLUMNS: Columns = (
    ("account_id", "text"),
    ("key", "text"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("payload", "text"),
)


def event_row(record: EventRecord) -> tuple[Any, ...]:
    return (record.account_id, record.key, record.kind, record.occurred_at, record.payload)


@reader("events")
def event_from_row(row: Row) -> EventRecord:
    return EventRecord(
        account_id=row[0], key=row[1], kind=row[2], occurred_at=utc(row[3]), payload=row[4]
    )


# -- outbox and checkpoints ---------------------------------------------------------------

OUTBOX_COLUMNS: Columns = (
    ("key", "text"),
    ("account_id", "text"),
    ("channel", "text"),
    ("recipient", "text"),
    ("subject", "text"),
    ("body", "text"),
    ("created_at", "timestamptz"),
    ("status", "text"),
    ("attempts", "integer"),
    ("next_attempt_at", "timestamptz"),
    ("lease_token", "text"),
    ("lease_expires_at", "timestamptz"),
    ("provider_message_id", "text"),
    ("sent_at", "timestamptz"),
    ("last_error", "text"),
    ("due_at", "timestamptz"),
    ("text_locale", "text"),
    ("document", "text"),
    ("html_body", "text"),
    ("attachments", "text"),
)


def outbox_row(message: OutboxMessage) -> tuple[Any, ...]:
    return (
        message.key,
        message.account_id,
        message.channel,
        message.recipient,
        message.subject,
        message.body,
        message.created_at,
        message.status.value,
        message.attempts,
        message.next_attempt_at,
        message.lease_token,
        message.lease_expires_at,
        message.provider_message_id,
        message.sent_at,
        message.last_error,
        message.due_at,
        message.text_locale,
        message.document,
        message.html_body,
        optional_attachments(message.attachments),
    )


@reader("outbox")
def outbox_from_row(row: Row) -> OutboxMessage:
    return OutboxMessage(
        key=row[0],
        account_id=row[1],
        channel=row[2],
        recipient=row[3],
        subject=row[4],
        body=row[5],
        created_at=utc(row[6]),
        status=row[7],
        attempts=row[8],
        next_attempt_at=utc(row[9]),
        lease_token=row[10],
        lease_expires_at=_optional_utc(row[11]),
        provider_message_id=row[12],
        sent_at=_optional_utc(row[13]),
        last_error=row[14],
        text_locale=row[16],
        document=row[17],
        html_body=row[18],
        attachments=attachments_from_json(row[19]),
    )


CHECKPOINT_COLUMNS: Columns = (
    ("run_date", "date"),
    ("shard", "text"),
    ("last_account_id", "text"),
    ("done", "boolean"),
)


def checkpoint_row(checkpoint: CycleCheckpoint) -> tuple[Any, ...]:
    return (checkpoint.run_date, checkpoint.shard, checkpoint.last_account_id, checkpoint.done)


@reader("checkpoints")
def checkpoint_from_row(row: Row) -> CycleCheckpoint:
    run_date: date = row[0]
    return CycleCheckpoint(run_date=run_date, shard=row[1], last_account_id=row[2], done=row[3])
