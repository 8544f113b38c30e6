"""Rows <-> domain objects for the SQLite store: one small function per table.

Column order in each ``*_COLUMNS`` string matches the tuple the ``*_row`` function
builds and the tuple the ``*_from_row`` function reads, so the SQL and the translation
cannot drift apart.

Every ``*_from_row`` raises only :class:`~dunning_core.errors.CorruptRecord` for a row
it cannot rebuild (see ``_decode``). The rows a cycle loads by the hundred thousand
(ledger, facts, history, states) take a fast path when they look like what the store
writes (identifiers in printable ASCII, ISO dates in order, positive integer minor
units of a known currency, known enum values, JSON lists of such identifiers): they are
rebuilt with unchecked constructors, which skip the validators. The library validated
each value when it wrote the row, and the schema's triggers refuse a row that breaks
the rules SQL can check on every later write, whoever makes it (``_sqlite_schema``,
version 9). Any other row (one that got past the triggers, or a valid but unusual one:
a non-ASCII identifier, say) goes through the validating constructor, which rebuilds it
or names what is wrong. Accounts, outbox messages and events always go through their
validating constructors (time zones, locales and addresses are beyond what SQL can
check, and they are read a row per account at most).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dunning_core._iso4217 import MINOR_UNITS
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
from dunning_core.errors import InvalidField
from dunning_core.money import MAX_MINOR_UNITS, Money
from dunning_core.sharding import shard_key

Row = Sequence[Any]

# -- the fast path for the rows the store wrote (see the module's docstring) -----------

_exact = Money._exact
_fromisoformat = date.fromisoformat


def _ident(value: Any) -> bool:
    """Whether ``value`` is an identifier in the form nearly all are: printable ASCII
    without a space at either end (others are left to the validators)."""
    return (
        type(value) is str
        and value != ""
        and value[0] != " "
        and value[-1] != " "
        and value.isascii()
        and value.isprintable()
    )


def _maybe_ident(value: Any) -> bool:
    return value is None or _ident(value)


def _maybe_text(value: Any) -> bool:
    return value is None or type(value) is str


def _bit(value: Any) -> bool:
    return type(value) is int and (value == 0 or value == 1)


def _units(units: Any, currency: Any) -> bool:
    """Whether a stored amount is positive integer minor units of a known currency."""
    return type(units) is int and 0 < units <= MAX_MINOR_UNITS and currency in MINOR_UNITS


def _amount(units: int, currency: str) -> Money:
    """The Money of amounts :func:`_units` accepted."""
    return _exact(Decimal(units).scaleb(-MINOR_UNITS[currency]), currency)


def _day(value: Any) -> date | None:
    """A stored ISO day, or ``None`` when it is not one."""
    if type(value) is str:
        try:
            return _fromisoformat(value)
        except ValueError:
            return None
    return None


def _idents(text: Any) -> tuple[str, ...] | None:
    """A JSON list of identifiers, or ``None`` when it is something else."""
    if type(text) is str:
        try:
            items = json.loads(text)
        except ValueError:
            return None
        if type(items) is list and all(_ident(item) for item in items):
            return tuple(items)
    return None


def _member(kind: Any) -> Any:
    """A stored enum value's member by dictionary lookup, or ``None``."""
    members = kind._value2member_map_

    def member(value: Any) -> Any:
        return members.get(value) if type(value) is str else None

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


def optional_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _flag(value: Any, field: str) -> bool:
    """A boolean column: the store writes 0 or 1."""
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise InvalidField(field, value, "not 0 or 1")


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
    account_id, number, issued, due, units, currency, order = row
    if _ident(account_id) and _ident(number) and _units(units, currency) and _maybe_ident(order):
        issued_on, due_on = _day(issued), _day(due)
        if issued_on is not None and due_on is not None and due_on >= issued_on:
            return _invoice(  # type: ignore[no-any-return]
                account_id=account_id,
                number=number,
                issued_on=issued_on,
                due_on=due_on,
                amount=_amount(units, currency),
                purchase_order=order,
            )
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
    account_id, key, kind, units, currency, booked, invoice, stage, detail = row
    charge_kind, booked_on = _charge_kind(kind), _day(booked)
    if (
        _ident(account_id)
        and _ident(key)
        and charge_kind is not None
        and _units(units, currency)
        and booked_on is not None
        and _maybe_ident(invoice)
        and _maybe_ident(stage)
        and type(detail) is str
    ):
        return _charge(  # type: ignore[no-any-return]
            account_id=account_id,
            key=key,
            kind=charge_kind,
            amount=_amount(units, currency),
            booked_on=booked_on,
            invoice_number=invoice,
            stage=stage,
            detail=detail,
        )
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
    account_id, number, issued, units, currency, credits, reason = row
    issued_on = _day(issued)
    if (
        _ident(account_id)
        and _ident(number)
        and issued_on is not None
        and _units(units, currency)
        and _maybe_ident(credits)
        and _maybe_text(reason)
    ):
        return _credit_note(  # type: ignore[no-any-return]
            account_id=account_id,
            number=number,
            issued_on=issued_on,
            amount=_amount(units, currency),
            credits_invoice=credits,
            reason=reason,
        )
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
    payment_id, account_id, units, currency, received, method, status, bank, payer = row
    received_on, method_member, status_member = _day(received), _method(method), _status(status)
    if (
        _ident(payment_id)
        and _maybe_ident(account_id)
        and _units(units, currency)
        and received_on is not None
        and method_member is not None
        and status_member is not None
        and type(bank) is str
        and type(payer) is str
    ):
        return _payment(  # type: ignore[no-any-return]
            id=payment_id,
            account_id=account_id,
            amount=_amount(units, currency),
            received_on=received_on,
            method=method_member,
            status=status_member,
            bank_reference=bank,
            payer_name=payer,
        )
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
    invoice, units, currency, kind, source, reference = row
    kind_member = _allocation_kind(kind)
    if (
        _ident(invoice)
        and _units(units, currency)
        and kind_member is not None
        and _ident(source)
        and _maybe_text(reference)
    ):
        return _allocation(  # type: ignore[no-any-return]
            invoice_number=invoice,
            amount=_amount(units, currency),
            kind=kind_member,
            source_id=source,
            reference=reference,
        )
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
        _json_strings(promise.invoice_numbers),
    )


@reader("promises", 1)
def promise_from_row(row: Row) -> PromiseToPay:
    account_id, promise_id, made, due, units, currency, numbers = row
    made_on, due_on, invoice_numbers = _day(made), _day(due), _idents(numbers)
    if (
        _ident(account_id)
        and _ident(promise_id)
        and made_on is not None
        and due_on is not None
        and due_on >= made_on
        and _units(units, currency)
        and invoice_numbers is not None
    ):
        return _promise(  # type: ignore[no-any-return]
            account_id=account_id,
            id=promise_id,
            made_on=made_on,
            due_on=due_on,
            amount=_amount(units, currency),
            invoice_numbers=invoice_numbers,
            open_when_made=None,
        )
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
    account_id, dispute_id, invoice, opened, reason, resolved = row
    opened_on, resolved_on = _day(opened), _day(resolved)
    if (
        _ident(account_id)
        and _ident(dispute_id)
        and _ident(invoice)
        and opened_on is not None
        and type(reason) is str
        and (resolved is None or (resolved_on is not None and resolved_on >= opened_on))
    ):
        return _dispute(  # type: ignore[no-any-return]
            account_id=account_id,
            id=dispute_id,
            invoice_number=invoice,
            opened_on=opened_on,
            reason=reason,
            resolved_on=resolved_on,
        )
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
    account_id, proceeding_id, kind, opened, ruled, reference, court = row
    kind_member, opened_on, ruled_on = _proceeding_kind(kind), _day(opened), _day(ruled)
    if (
        _ident(account_id)
        and _ident(proceeding_id)
        and kind_member is not None
        and opened_on is not None
        and (ruled is None or (ruled_on is not None and ruled_on >= opened_on))
        and _maybe_text(reference)
        and _maybe_text(court)
    ):
        return _proceeding(  # type: ignore[no-any-return]
            account_id=account_id,
            id=proceeding_id,
            kind=kind_member,
            opened_on=opened_on,
            ruled_on=ruled_on,
            reference=reference,
            court=court,
        )
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
    account_id, hold_id, reason, starts, ends, invoice, suspends = row
    starts_on, ends_on = _day(starts), _day(ends)
    if (
        _ident(account_id)
        and _ident(hold_id)
        and type(reason) is str
        and reason.strip() != ""
        and starts_on is not None
        and (ends is None or (ends_on is not None and ends_on >= starts_on))
        and _maybe_ident(invoice)
        and _bit(suspends)
    ):
        return _hold(  # type: ignore[no-any-return]
            account_id=account_id,
            id=hold_id,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            invoice_number=invoice,
            suspends=bool(suspends),
        )
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
        _json_strings(record.invoice_numbers),
        record.fired_on.isoformat(),
        int(record.skipped),
        record.payload,
    )


@reader("actions", 1)
def action_from_row(row: Row) -> ActionRecord:
    account_id, key, ladder, stage, action, channel, numbers, fired, skipped, payload = row
    invoice_numbers, fired_on = _idents(numbers), _day(fired)
    if (
        _ident(account_id)
        and _ident(key)
        and type(ladder) is str
        and type(stage) is str
        and type(action) is str
        and type(channel) is str
        and invoice_numbers is not None
        and fired_on is not None
        and _bit(skipped)
        and type(payload) is str
    ):
        return _action(  # type: ignore[no-any-return]
            account_id=account_id,
            key=key,
            ladder=ladder,
            stage=stage,
            action=action,
            channel=channel,
            invoice_numbers=invoice_numbers,
            fired_on=fired_on,
            skipped=bool(skipped),
            payload=payload,
        )
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
        _json_strings(state.reason_codes),
        optional_day(state.since),
        int(state.requires_prepayment),
    )


@reader("suspension_states")
def suspension_from_row(row: Row) -> SuspensionState:
    account_id, suspended, codes, since, prepayment = row
    reason_codes, since_day = _idents(codes), _day(since)
    if (
        _ident(account_id)
        and _bit(suspended)
        and reason_codes is not None
        and (since is None or since_day is not None)
        and _bit(prepayment)
    ):
        return _suspension(  # type: ignore[no-any-return]
            account_id=account_id,
            suspended=bool(suspended),
            reason_codes=tuple(sorted(reason_codes)),
            since=since_day,
            requires_prepayment=bool(prepayment),
        )
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
    account_id, text = row
    if _ident(account_id) and type(text) is str:
        try:
            fired = json.loads(text)
        except ValueError:
            fired = None
        if type(fired) is list and all(type(t) is int and t > 0 for t in fired):
            return _credit_alert(  # type: ignore[no-any-return]
                account_id=account_id, fired=frozenset(fired)
            )
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
