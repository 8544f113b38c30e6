"""Rows of an import file -> domain objects, every problem named by line and column.

One :class:`RecordKind` per importable kind (accounts, invoices, credit notes,
payments, advices) lists its columns (the docs' column table is generated from them)
and builds the domain object of one row. Parsing problems (an amount with a decimal
comma in a file declared with points, a date that is not a date) and the domain's own
validation (:class:`~dunning_core.errors.DunningError` naming ``Invoice.due_on``) both
come out as :class:`~dunning_core.cli._read.RowProblem` values on the row's column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from dunning_core import (
    Account,
    Contact,
    CreditNote,
    CurrencyMismatch,
    DunningError,
    InvalidField,
    Invoice,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentTerms,
    PostalAddress,
    RemittanceLine,
)
from dunning_core.cli._read import RowProblem, SourceRow, preview

__all__ = ["KINDS", "AdviceRow", "Cells", "Column", "RecordKind", "build_row", "parse_amount"]


@attrs.frozen
class Column:
    """One column of an import format.

    Attributes:
        name: The column name (case, spaces and dashes are ignored when reading).
        required: Whether a row must have a value.
        form: What a value looks like, for the docs.
        meaning: What it is.
    """

    name: str
    required: bool
    form: str
    meaning: str


@attrs.frozen
class AdviceRow:
    """One line of a remittance advice file: the payment, its advice number, the line."""

    payment_id: str
    reference: str | None
    line: RemittanceLine


class Cells:
    """Typed access to one row's cells; every problem is collected, none raised."""

    def __init__(self, row: SourceRow, *, decimal: str, date_format: str | None) -> None:
        self.row = row
        self.decimal = decimal
        self.date_format = date_format
        self.problems: list[RowProblem] = []

    def problem(self, column: str, value: object, reason: str) -> None:
        """Record a problem on ``column``."""
        self.problems.append(RowProblem(self.row.line, column, preview(value), reason))

    def _raw(self, column: str, required: bool) -> object | None:
        value = self.row.cells.get(column)
        if value is None and required:
            self.problem(column, "", "required, and empty or missing")
        return value

    def text(self, column: str, *, required: bool = False) -> str | None:
        """The cell as text (JSON numbers are written back as text)."""
        value = self._raw(column, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.problem(column, value, "expected text")
            return None
        return str(value)

    def items(self, column: str) -> tuple[str, ...]:
        """A list: a JSON array, or text split on ``;`` or ``|``."""
        value = self._raw(column, False)
        if value is None:
            return ()
        if isinstance(value, list):
            if all(isinstance(item, str) for item in value):
                return tuple(item.strip() for item in value if item.strip())
            self.problem(column, value, "expected a list of strings")
            return ()
        if not isinstance(value, str):
            self.problem(column, value, "expected a list separated by ';' or '|'")
            return ()
        return tuple(part.strip() for part in re.split(r"[;|]", value) if part.strip())

    def choice(self, column: str, choices: tuple[str, ...], default: str) -> str:
        """One of ``choices``, compared without case; ``-`` and spaces read as ``_``."""
        value = self.text(column)
        if value is None:
            return default
        normal = re.sub(r"[\s\-]+", "_", value.strip().upper())
        if normal not in choices:
            self.problem(column, value, f"must be one of {', '.join(choices)}")
            return default
        return normal

    def date(self, column: str, *, required: bool = False) -> date | None:
        """A date: ISO 8601 (``2026-03-31``), or the ``--date-format`` given."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            if self.date_format:
                return datetime.strptime(value, self.date_format).date()
            return date.fromisoformat(value)
        except ValueError:
            form = self.date_format or "YYYY-MM-DD (ISO 8601)"
            self.problem(column, value, f"not a date in the form {form}")
            return None

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        """A decimal amount; text follows ``--decimal`` (point or comma)."""
        value = self._raw(column, required)
        if value is None:
            return None
        if isinstance(value, bool):
            self.problem(column, value, "expected an amount")
            return None
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        if not isinstance(value, str):
            self.problem(column, value, "expected an amount")
            return None
        try:
            return parse_amount(value, self.decimal)
        except ValueError as error:
            self.problem(column, value, str(error))
            return None

    def money(self, column: str, currency: str | None, *, required: bool = False) -> Money | None:
        """An amount in ``currency``, exact to its minor unit."""
        amount = self.amount(column, required=required)
        if amount is None or currency is None:
            return None
        try:
            return Money(amount, currency)
        except DunningError as error:
            target = "currency" if "currency" in getattr(error, "field", "") else column
            shown = currency if target == "currency" else self.row.cells.get(column)
            self.problem(target, shown, _reason(error))
            return None

    def integer(self, column: str) -> int | None:
        """A whole number."""
        value = self.text(column)
        if value is None:
            return None
        if not re.fullmatch(r"[0-9]+", value):
            self.problem(column, value, "expected a whole number")
            return None
        return int(value)


_GROUPS = {
    "point": (re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"), ",", "."),
    "comma": (re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?"), ".", ","),
}
_SPACES = str.maketrans("", "", " \u00a0\u202f'’")


def parse_amount(text: str, decimal: str) -> Decimal:
    """Read an amount written with a decimal ``point`` or ``comma``.

    Spaces (also no-break ones) and apostrophes group digits; with a decimal point,
    commas may group thousands (``1,234.50``), with a decimal comma, points may
    (``1.234,50``). Nothing else is guessed.

    Raises:
        ValueError: the text is not such an amount (the message says what was expected).

    >>> parse_amount("1 234,50", "comma"), parse_amount("1,234.50", "point")
    (Decimal('1234.50'), Decimal('1234.50'))
    """
    pattern, group, mark = _GROUPS[decimal]
    compact = text.translate(_SPACES)
    if pattern.fullmatch(compact):
        normal = compact.replace(group, "").replace(mark, ".")
        try:
            return Decimal(normal)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            pass
    other = "comma" if decimal == "point" else "point"
    hint = ""
    if _GROUPS[other][0].fullmatch(compact):
        hint = f"; it reads as a decimal {other}: declare --decimal {other}"
    raise ValueError(f"not an amount with a decimal {decimal}{hint}")


def _reason(error: DunningError) -> str:
    if isinstance(error, InvalidField):
        return error.problem
    return str(error)


# Domain field (after "Class.") -> the column it comes from, where the names differ.
_FIELD_COLUMNS = {
    "lines": "address_line1",
    "recipient": "contact_name",
    "days": "terms",
    "kind": "terms",
    "amount_paid": "amount_paid",
    "invoice_number": "invoice_number",
}


def _column_of(error: DunningError, kind: RecordKind) -> str:
    if isinstance(error, CurrencyMismatch):
        return "currency"
    field = getattr(error, "field", "")
    name = field.rsplit(".", 1)[-1] if field else ""
    name = _FIELD_COLUMNS.get(name, name)
    names = {column.name for column in kind.columns}
    return name if name in names else ""


def _build_account(cells: Cells) -> Account | None:
    account_id = cells.text("id", required=True)
    name = cells.text("name", required=True)
    currency = cells.text("currency", required=True)
    contact = _contact(cells, name)
    terms = _terms(cells)
    tags = cells.items("tags")
    values: dict[str, Any] = {
        "id": account_id,
        "name": name,
        "currency": currency.upper() if currency else currency,
        "segment": (cells.text("segment") or "SMALL").upper(),
        "locale": cells.text("locale") or "en_US",
        "timezone": cells.text("timezone") or "UTC",
        "contacts": () if contact is None else (contact,),
        "billing_entity_id": cells.text("billing_entity_id"),
        "registration_id": cells.text("registration_id"),
        "tags": tags,
        "terms": terms,
    }
    limit = cells.money("credit_limit", values["currency"])
    if cells.problems:
        return None
    return Account(credit_limit=limit, **values)


def _contact(cells: Cells, name: str | None) -> Contact | None:
    lines = tuple(
        line for line in (cells.text("address_line1"), cells.text("address_line2")) if line
    )
    address_columns = (cells.text("postal_code"), cells.text("city"), cells.text("country"))
    address = None
    if lines or any(address_columns):
        postal_code, city, country = address_columns
        address = PostalAddress(
            recipient=cells.text("contact_name") or name or "",
            lines=lines,
            postal_code=postal_code or "",
            city=city or "",
            country=(country or "").upper(),
        )
    email, mobile, phone = cells.text("email"), cells.text("mobile"), cells.text("phone")
    channels = cells.items("channels")
    if not (email or mobile or phone or address):
        return None
    return Contact(
        name=cells.text("contact_name") or "",
        email=email,
        mobile=mobile,
        phone=phone,
        postal_address=address,
        channels=tuple(channel.upper() for channel in channels),
    )


def _terms(cells: Cells) -> PaymentTerms:
    value = cells.text("terms")
    if value is None:
        return PaymentTerms()
    normal = re.sub(r"[\s\-_]+", "", value.upper())
    match = re.fullmatch(r"(?:NET)?([0-9]{1,3})", normal)
    if match:
        return PaymentTerms.net(int(match.group(1)))
    if normal == "DUEONRECEIPT":
        return PaymentTerms.DUE_ON_RECEIPT
    if normal == "PREPAY":
        return PaymentTerms.PREPAY
    cells.problem("terms", value, "must be NET<days> (NET30), DUE_ON_RECEIPT or PREPAY")
    return PaymentTerms()


def _currency(cells: Cells) -> str | None:
    currency = cells.text("currency", required=True)
    return currency.upper() if currency else None


def _build_invoice(cells: Cells) -> Invoice | None:
    number: Any = cells.text("number", required=True)
    account_id: Any = cells.text("account_id", required=True)
    issued_on: Any = cells.date("issued_on", required=True)
    due_on: Any = cells.date("due_on", required=True)
    amount: Any = cells.money("amount", _currency(cells), required=True)
    purchase_order: Any = cells.text("purchase_order")
    if cells.problems:
        return None
    return Invoice(
        number=number,
        account_id=account_id,
        issued_on=issued_on,
        due_on=due_on,
        amount=amount,
        purchase_order=purchase_order,
    )


def _build_credit_note(cells: Cells) -> CreditNote | None:
    number: Any = cells.text("number", required=True)
    account_id: Any = cells.text("account_id", required=True)
    issued_on: Any = cells.date("issued_on", required=True)
    amount: Any = cells.money("amount", _currency(cells), required=True)
    credits_invoice: Any = cells.text("credits_invoice")
    reason: Any = cells.text("reason")
    if cells.problems:
        return None
    return CreditNote(
        number=number,
        account_id=account_id,
        issued_on=issued_on,
        amount=amount,
        credits_invoice=credits_invoice,
        reason=reason,
    )


_METHODS = tuple(str(m) for m in PaymentMethod)
_STATUSES = tuple(str(s) for s in PaymentStatus)


def _build_payment(cells: Cells) -> Payment | None:
    payment_id: Any = cells.text("id", required=True)
    account_id: Any = cells.text("account_id")
    amount: Any = cells.money("amount", _currency(cells), required=True)
    received_on: Any = cells.date("received_on", required=True)
    method: Any = cells.choice("method", _METHODS, "TRANSFER")
    status: Any = cells.choice("status", _STATUSES, "CLEARED")
    reference: Any = cells.text("bank_reference") or ""
    payer: Any = cells.text("payer_name") or ""
    if cells.problems:
        return None
    return Payment(
        id=payment_id,
        account_id=account_id,
        amount=amount,
        received_on=received_on,
        method=method,
        status=status,
        bank_reference=reference,
        payer_name=payer,
    )


def _build_advice_line(cells: Cells) -> AdviceRow | None:
    payment_id: Any = cells.text("payment_id", required=True)
    invoice_number: Any = cells.text("invoice_number", required=True)
    currency = _currency(cells)
    paid: Any = cells.money("amount_paid", currency, required=True)
    withheld: Any = cells.money("tax_withheld", currency)
    discount: Any = cells.money("discount_taken", currency)
    reason: Any = cells.text("reason")
    certificate: Any = cells.text("certificate")
    reference: Any = cells.text("reference")
    if cells.problems or paid is None or payment_id is None:
        return None
    extra: dict[str, Money] = {}
    if withheld is not None:
        extra["tax_withheld"] = withheld
    if discount is not None:
        extra["discount_taken"] = discount
    line = RemittanceLine(
        invoice_number=invoice_number,
        amount_paid=paid,
        reason=reason,
        certificate=certificate,
        **extra,
    )
    return AdviceRow(payment_id=payment_id, reference=reference, line=line)


@attrs.frozen
class RecordKind:
    """An importable kind of record.

    Attributes:
        name: The name on the command line (``credit-notes``).
        key: The column that identifies a record (``number``).
        columns: The columns, in the order the docs list them.
        builder: Builds the domain object of one row (``None`` when a problem was
            recorded on the cells).
    """

    name: str
    key: str
    columns: tuple[Column, ...]
    builder: Callable[[Cells], object | None]


def build_row(
    kind: RecordKind, row: SourceRow, *, decimal: str, date_format: str | None
) -> tuple[object | None, list[RowProblem]]:
    """Validate one row into the domain object of ``kind``.

    Returns:
        ``(object, [])``, or ``(None, problems)`` naming each bad column.
    """
    if row.problems:
        return None, list(row.problems)
    cells = Cells(row, decimal=decimal, date_format=date_format)
    try:
        built = kind.builder(cells)
    except DunningError as error:
        column = _column_of(error, kind)
        value = row.cells.get(column, "") if column else ""
        cells.problem(column, value, _reason(error))
        built = None
    if cells.problems:
        return None, cells.problems
    return built, []


def _columns(*specs: tuple[str, bool, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


_AMOUNT = "amount (see --decimal)"
_DATE = "date (ISO 8601 or --date-format)"

KINDS: Mapping[str, RecordKind] = {
    "accounts": RecordKind(
        "accounts",
        "id",
        _columns(
            ("id", True, "text", "account id (unique)"),
            ("name", True, "text", "the customer's name, as on letters"),
            ("currency", True, "ISO 4217 code", "the account's currency"),
            ("segment", False, "text", "SMALL (default), LARGE or a key of yours"),
            ("locale", False, "locale", "language of messages, e.g. fr_FR (default en_US)"),
            ("timezone", False, "IANA key", "days past due are counted in it (default UTC)"),
            ("credit_limit", False, _AMOUNT, "credit limit in the account's currency"),
            ("terms", False, "NET30, NET45, ..., DUE_ON_RECEIPT, PREPAY", "payment terms"),
            ("contact_name", False, "text", "the billing contact"),
            ("email", False, "email address", "where email notices go"),
            ("mobile", False, "E.164 number", "where SMS go (+33612345678)"),
            ("phone", False, "E.164 number", "for phone-call tasks"),
            ("channels", False, "list", "channels the contact accepts (EMAIL;SMS;LETTER)"),
            ("address_line1", False, "text", "postal address, first line"),
            ("address_line2", False, "text", "postal address, second line"),
            ("postal_code", False, "text", "postal code"),
            ("city", False, "text", "city"),
            ("country", False, "ISO 3166 code", "country (FR)"),
            ("billing_entity_id", False, "text", "the legal customer grouping accounts"),
            ("registration_id", False, "text", "company id (SIREN, RIDET, ...)"),
            ("tags", False, "list", "labels; no-dunning pauses every reminder"),
        ),
        _build_account,
    ),
    "invoices": RecordKind(
        "invoices",
        "number",
        _columns(
            ("number", True, "text", "invoice number, unique across the ledger"),
            ("account_id", True, "text", "the account billed (imported before)"),
            ("issued_on", True, _DATE, "issue date"),
            ("due_on", True, _DATE, "due date, not before the issue date"),
            ("amount", True, _AMOUNT, "amount due, greater than zero"),
            ("currency", True, "ISO 4217 code", "the account's currency"),
            ("purchase_order", False, "text", "the customer's purchase-order number"),
        ),
        _build_invoice,
    ),
    "credit-notes": RecordKind(
        "credit-notes",
        "number",
        _columns(
            ("number", True, "text", "credit note number, unique"),
            ("account_id", True, "text", "the account credited"),
            ("issued_on", True, _DATE, "issue date"),
            ("amount", True, _AMOUNT, "amount credited, greater than zero"),
            ("currency", True, "ISO 4217 code", "the account's currency"),
            ("credits_invoice", False, "text", "the invoice it credits (of the same account)"),
            ("reason", False, "text", "why it was granted"),
        ),
        _build_credit_note,
    ),
    "payments": RecordKind(
        "payments",
        "id",
        _columns(
            ("id", True, "text", "payment id (bank transaction, PSP charge), unique"),
            ("account_id", False, "text", "the account; empty: identified from the reference"),
            ("amount", True, _AMOUNT, "amount received, greater than zero"),
            ("currency", True, "ISO 4217 code", "currency of the amount"),
            ("received_on", True, _DATE, "value date"),
            ("method", False, "choice", f"{', '.join(_METHODS)} (default TRANSFER)"),
            ("status", False, "choice", f"{', '.join(_STATUSES)} (default CLEARED)"),
            ("bank_reference", False, "text", "the transfer's free text (invoice numbers)"),
            ("payer_name", False, "text", "the payer as the bank reports it"),
        ),
        _build_payment,
    ),
    "advices": RecordKind(
        "advices",
        "payment_id",
        _columns(
            ("payment_id", True, "text", "the payment the advice describes"),
            ("invoice_number", True, "text", "an invoice it pays (once per payment)"),
            ("amount_paid", True, _AMOUNT, "cash paid on that invoice (may be 0)"),
            ("currency", True, "ISO 4217 code", "currency of the amounts"),
            ("tax_withheld", False, _AMOUNT, "tax withheld and declared on that invoice"),
            ("discount_taken", False, _AMOUNT, "discount the customer deducted"),
            ("reason", False, "text", "reason for a short payment"),
            ("certificate", False, "text", "withholding tax certificate reference"),
            ("reference", False, "text", "the customer's advice number"),
        ),
        _build_advice_line,
    ),
}
