"""MT940 statements, read with the ``mt-940`` package, in two dialects of ``:86:``.

- German banks (DFÜ-Abkommen): ``:86:`` starts with a three-digit business code and
  carries ``?20``..``?63`` sub-fields, the SEPA keywords ``EREF+``, ``MREF+``, ``SVWZ+``
  in the purpose, the payer's IBAN in ``?31`` and name in ``?32``/``?33``. A returned
  direct debit (business code 108, 109, ...) names the original end-to-end id in
  ``EREF+`` and its reason either as an ISO code in the text (``SVWZ+``, ``?00``) or as
  a three-digit code in ``?34`` (the "Textschlüsselergänzung"), read through
  :data:`GERMAN_RETURN_REASONS` and the caller's own table.
- SWIFT-structured banks (Dutch and Belgian banks among others): ``:86:`` holds
  ``/EREF/``, ``/MARF/``, ``/REMI/``, ``/CNTP/`` (IBAN, BIC, name, city), ``/RTRN/``
  (the return reason) and so on.

Anything else in ``:86:`` is read as unstructured remittance text.

``mt-940`` is lenient (``1.000,00`` would come back as 1): every ``:61:`` line is checked
against the SWIFT format here first, so a line it would misread is reported instead.
MT940 files are small daily files; they are read whole, then entry by entry, each entry
on its own, so one bad line does not hide the next.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import IO, Any, Final

import mt940
from mt940.processors import transaction_details_post_processor

from dunning_core.adapters.bank._files import (
    EntryRejected,
    Item,
    Source,
    add,
    check_totals,
    problem_of,
)
from dunning_core.domain.bank import (
    BankEntry,
    BankTransactionKind,
    CreditDebit,
    StatementTotals,
)
from dunning_core.domain.references import normalize_iban
from dunning_core.errors import InvalidField, MalformedBankFile, UnsupportedBankFile
from dunning_core.money import Money

__all__ = ["GERMAN_RETURN_REASONS", "mt940_items", "return_reason_table"]

_FIELD = re.compile(r"^:(\d{2}[A-Z]?):", re.M)
# :61: value date, optional entry date, mark, optional funds code, amount with a
# decimal comma, the transaction type (N/F/S + 3), the rest.
_STATEMENT_LINE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>\d{1,12},\d{0,3})(?P<type>[NFS][A-Z0-9]{3})(?P<rest>.*)",
    re.S,
)
_BALANCE = re.compile(
    r"(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d{1,12},\d{0,3})"
)
_SWIFT_KEYS = (
    "EREF",
    "MARF",
    "REMI",
    "CNTP",
    "RTRN",
    "IREF",
    "TRCD",
    "CSID",
    "PREF",
    "ORDP",
    "BENM",
    "NAME",
    "ISDT",
    "SVCL",
    "ULTC",
    "ULTD",
    "PURP",
)
_SWIFT_KEY = re.compile(r"/(" + "|".join(_SWIFT_KEYS) + r")/")
_REASON = re.compile(r"[A-Z0-9]{4}")
# German business codes (Geschäftsvorfallcodes) for SEPA payments.
_GVC_DIRECT_DEBIT = frozenset({"104", "105", "106", "107", "171", "174", "181", "184"})
_GVC_RETURN = frozenset({"108", "109", "159", "180", "181", "184"})
_TYPE_KIND = {
    "TRF": BankTransactionKind.TRANSFER,
    "DDT": BankTransactionKind.DIRECT_DEBIT,
    "RTI": BankTransactionKind.DIRECT_DEBIT,
}
_GERMAN = re.compile(r"^\d{3}\?\d{2}")
#: The ``?34`` return codes of German statements whose ISO 20022 reason is documented
#: publicly: 912 "objection by the payer" (a Commerzbank example of ``?34``), and the
#: two substitutes the German interbank agreement uses for a reason with no code of its
#: own, 911 (FF01) and 914 (MS03). Banks document the rest in their own MT940 guides:
#: pass them to ``read_mt940(return_reasons=...)``.
GERMAN_RETURN_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {"911": "FF01", "912": "MD06", "914": "MS03"}
)
# The reason codes of SEPA direct-debit R-transactions (EPC guidance), looked for as
# whole tokens in a German return's text ("RTRN+AM04", "Rueckgabegrund MD01").
_SDD_REASONS: Final = frozenset(
    [
        "AC01",
        "AC04",
        "AC06",
        "AC13",
        "AG01",
        "AG02",
        "AM04",
        "AM05",
        "BE01",
        "BE05",
        "CNOR",
        "DNOR",
        "FF01",
        "FF05",
        "MD01",
        "MD02",
        "MD06",
        "MD07",
        "MS02",
        "MS03",
        "RC01",
        "RR01",
        "RR02",
        "RR03",
        "RR04",
        "SL01",
    ]
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}[A-Z0-9]{2})(?![A-Za-z0-9])")
_THREE_DIGITS = re.compile(r"\d{3}")

# mt-940 logs every pattern it fails to match; lines are checked before it sees them,
# so what it would log is reported as a problem instead.
logging.getLogger("mt940").addHandler(logging.NullHandler())


def _read_text(source: Source, name: str) -> str:
    try:
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as handle:
                raw = handle.read()
        else:
            raw = _read_handle(source)
    except OSError as error:
        raise MalformedBankFile(name, None, f"cannot be read: {error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # what German banks send
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_handle(handle: IO[bytes]) -> bytes:
    data = handle.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def return_reason_table(extra: Mapping[str, str] | None) -> Mapping[str, str]:
    """:data:`GERMAN_RETURN_REASONS` with the caller's ``?34`` codes over it.

    Raises:
        InvalidField: a key that is not three digits, or a value that is not a
            four-character ISO 20022 reason code.
    """
    if not extra:
        return GERMAN_RETURN_REASONS
    table = dict(GERMAN_RETURN_REASONS)
    for key, value in extra.items():
        field = f"read_mt940.return_reasons[{key!r}]"
        if not isinstance(key, str) or not _THREE_DIGITS.fullmatch(key):
            raise InvalidField(field, key, "a ?34 code is three digits")
        if not (isinstance(value, str) and len(value) == 4 and value.isalnum()):
            raise InvalidField(field, value, "must be an ISO 20022 reason code (AM04)")
        if not value.isupper():
            raise InvalidField(field, value, "must be an ISO 20022 reason code (AM04)")
        table[key] = value
    return MappingProxyType(table)


def mt940_items(
    source: Source, name: str, return_reasons: Mapping[str, str] = GERMAN_RETURN_REASONS
) -> Iterator[Item]:
    """Yield the entries, problems and statement totals of an MT940 file.

    ``return_reasons`` maps German ``?34`` codes to ISO reason codes
    (:func:`return_reason_table`).

    Raises:
        UnsupportedBankFile: no ``:20:`` statement in the file.
        MalformedBankFile: a statement lacks its account, opening or closing balance
            (a truncated file).
    """
    text = _read_text(source, name)
    starts = [m.start() for m in re.finditer(r"^:20:", text, re.M)]
    if not starts:
        raise UnsupportedBankFile(name, None, "no MT940 statement (:20:) in the file")
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        line = text.count("\n", 0, start) + 1
        yield from _statement(text[start:end], name, line, return_reasons)


def _fields(block: str, first_line: int) -> list[tuple[str, str, int]]:
    """``(tag, value, line)`` of each field of a statement block, continuation lines
    kept (joined by newlines)."""
    fields = []
    matches = list(_FIELD.finditer(block))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(block)
        value = block[match.end() : end].rstrip("\n")
        if value.endswith("\n-") or value == "-":
            value = value[:-1].rstrip("\n")
        line = first_line + block.count("\n", 0, match.start())
        fields.append((match.group(1), value, line))
    return fields


def _balance(value: str, line: int, field: str, name: str) -> tuple[Money, date]:
    match = _BALANCE.fullmatch(value.strip())
    if match is None:
        raise MalformedBankFile(name, line, f":{field}: {value!r} is not an MT940 balance")
    try:
        amount = Money(Decimal(match["amount"].replace(",", ".")), match["currency"])
        day = _yymmdd(match["date"], f":{field}:")
    except (InvalidField, EntryRejected) as error:
        raise MalformedBankFile(name, line, f":{field}: {value!r}: {error}") from None
    return (-amount if match["mark"] == "D" else amount), day


def _yymmdd(text: str, field: str) -> date:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise EntryRejected(field, text, "not a date (YYMMDD)") from None


def _statement(
    block: str, name: str, first_line: int, return_reasons: Mapping[str, str]
) -> Iterator[Item]:
    fields = _fields(block, first_line)
    tags = {tag: (value, line) for tag, value, line in fields}
    statement_id = tags.get("20", ("", first_line))[0].strip()
    account = tags.get("25", ("", first_line))[0].strip()
    opening_tag = "60F" if "60F" in tags else "60M"
    closing_tag = "62F" if "62F" in tags else "62M"
    for tag, what in (("25", "account (:25:)"), (opening_tag, "opening balance (:60F:)")):
        if tag not in tags:
            raise MalformedBankFile(name, first_line, f"statement {statement_id!r} has no {what}")
    if closing_tag not in tags:
        raise MalformedBankFile(
            name,
            first_line,
            f"statement {statement_id!r} has no closing balance (:62F:): truncated?",
        )
    opening, _ = _balance(*tags[opening_tag], opening_tag, name)
    closing, _ = _balance(*tags[closing_tag], closing_tag, name)
    currency = opening.currency
    account_iban: str | None = None
    try:
        account_iban = normalize_iban(account, ":25:")
    except InvalidField:
        account_iban = None
    header = f":20:{statement_id}\n:25:{account}\n:{opening_tag}:{tags[opening_tag][0]}\n"
    credits: Money | None = None
    debits: Money | None = None
    counts = {"credit": 0, "debit": 0, "unreadable": 0}
    derived: dict[str, int] = {}
    for index, (tag, value, line) in enumerate(fields):
        if tag != "61":
            continue
        details = ""
        if index + 1 < len(fields) and fields[index + 1][0] == "86":
            details = fields[index + 1][1]
        try:
            entry = _entry(
                header,
                value,
                details,
                currency,
                account_iban,
                f"{name}:{line}",
                derived,
                return_reasons,
            )
        except (EntryRejected, InvalidField) as error:
            counts["unreadable"] += 1
            yield problem_of(error, name, line, _bank_reference(value))
            continue
        if entry.is_credit:
            counts["credit"] += 1
            credits = add(credits, entry.amount)
        else:
            counts["debit"] += 1
            debits = add(debits, entry.amount)
        yield entry
    totals = StatementTotals(
        id=statement_id,
        account_iban=account_iban,
        account=account,
        currency=currency,
        entries=counts["credit"] + counts["debit"],
        credits=credits,
        debits=debits,
        opening_balance=opening,
        closing_balance=closing,
        source=name,
    )
    yield from check_totals(
        totals,
        declared_count=None,
        declared_credits=(None, None),
        declared_debits=(None, None),
        declared_sum=None,
        credit_count=counts["credit"],
        debit_count=counts["debit"],
        unreadable=counts["unreadable"],
        line=first_line,
        booked_only=counts["unreadable"] == 0,
    )
    if counts["unreadable"]:
        yield problem_of(
            EntryRejected(
                f":{closing_tag}:",
                str(closing.amount),
                f"statement {statement_id!r}: balance not checked, "
                f"{counts['unreadable']} entries could not be read",
            ),
            name,
            first_line,
            None,
        )
    yield totals


def _bank_reference(line: str) -> str | None:
    first = line.split("\n", 1)[0]
    if "//" in first:
        reference = first.split("//", 1)[1].strip()
        return reference or None
    return None


def _entry(
    header: str,
    line: str,
    details: str,
    currency: str,
    account_iban: str | None,
    where: str,
    derived: dict[str, int],
    return_reasons: Mapping[str, str],
) -> BankEntry:
    match = _STATEMENT_LINE.fullmatch(line)
    if match is None:
        raise EntryRejected(
            ":61:",
            line.split("\n", 1)[0],
            "not an MT940 statement line (YYMMDD[MMDD], C/D/RC/RD, amount with a decimal "
            "comma and no thousands separator, transaction type)",
        )
    value_on = _yymmdd(match["value"], ":61: value date")
    amount = Money(Decimal(match["amount"].replace(",", ".")), currency)
    if amount.amount <= 0:
        raise EntryRejected(":61:", match["amount"], "an entry amount is positive")
    german = bool(_GERMAN.match(details.replace("\n", "")))
    parsed = _parse(header, line, details, german)
    booked = parsed.get("entry_date") or parsed.get("date") or value_on
    booked_on = date(booked.year, booked.month, booked.day)
    mark = match["mark"]
    direction = CreditDebit.CREDIT if mark in ("C", "RD") else CreditDebit.DEBIT
    fields = _german(parsed) if german else _swift(details)
    kind = _TYPE_KIND.get(match["type"][1:], BankTransactionKind.OTHER)
    code = fields.pop("code", "")
    if german and code in _GVC_RETURN and direction is CreditDebit.DEBIT:
        german_reason = _german_reason(parsed, return_reasons)
        if german_reason is not None:
            fields["reason"] = german_reason
    if german and code in _GVC_DIRECT_DEBIT:
        kind = BankTransactionKind.DIRECT_DEBIT
    elif german and kind is BankTransactionKind.OTHER and code.startswith(("05", "15", "16")):
        kind = BankTransactionKind.TRANSFER
    returned = match["type"][1:] == "RTI" or (german and code in _GVC_RETURN)
    e2e = fields.get("e2e")
    reason = fields.get("reason")
    is_return = direction is CreditDebit.DEBIT and (returned or reason is not None)
    reference = _bank_reference(line)
    if reference is None:
        digest = hashlib.blake2b(f"{header}|{line}|{details}".encode(), digest_size=10).hexdigest()
        derived[digest] = derived.get(digest, 0) + 1
        reference = f"derived:{digest}:{derived[digest]}"
    iban_text = fields.get("iban")
    return BankEntry(
        reference=reference,
        account_iban=account_iban,
        booked_on=booked_on,
        value_on=value_on,
        amount=amount,
        direction=direction,
        kind=kind,
        bank_code=f"{match['type']}/{code}" if code else match["type"],
        counterparty_name=fields.get("name") or "",
        counterparty_iban=normalize_iban(iban_text, ":86: IBAN") if iban_text else None,
        end_to_end_id=e2e,
        mandate_id=fields.get("mandate"),
        remittance_text=fields.get("text") or "",
        creditor_reference=fields.get("creditor_reference"),
        original_end_to_end_id=e2e if is_return else None,
        return_reason=reason if is_return else None,
        reversal=mark.startswith("R"),
        source=where,
    )


def _parse(header: str, line: str, details: str, german: bool) -> dict[str, Any]:
    text = f"{header}:61:{line}\n" + (f":86:{details}\n" if details else "")
    processors: dict[str, Any] = (
        {"post_transaction_details": [transaction_details_post_processor]} if german else {}
    )
    try:
        transactions = mt940.parse(
            text, processors=processors, options=mt940.Options(applicant_iban=True)
        )
    except (RuntimeError, ValueError) as error:
        raise EntryRejected(":61:", line.split("\n", 1)[0], f"unreadable: {error}") from None
    if len(transactions) != 1:
        raise EntryRejected(":61:", line.split("\n", 1)[0], "unreadable statement line")
    data: dict[str, Any] = transactions[0].data
    return data


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _german(data: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, source in (
        ("code", "transaction_code"),
        ("name", "applicant_name"),
        ("iban", "applicant_iban"),
        ("mandate", "additional_position_reference"),
        ("text", "purpose"),
    ):
        value = _clean(data.get(source))
        if value is not None:
            fields[key] = value
    e2e = _clean(data.get("end_to_end_reference"))
    if e2e is not None and e2e != "NOTPROVIDED":
        fields["e2e"] = e2e
    if "iban" in fields and not fields["iban"][:2].isalpha():
        del fields["iban"]  # a German account number, not an IBAN
    return fields


def _german_reason(data: dict[str, Any], table: Mapping[str, str]) -> str | None:
    """A German return's ISO reason: the one SEPA reason code its text names (purpose
    and posting text), else its ``?34`` code through ``table``; ``None`` when neither
    says (several different codes in the text say nothing either)."""
    text = " ".join(
        value for value in (data.get("posting_text"), data.get("purpose")) if isinstance(value, str)
    )
    named: set[str] = {token for token in _TOKEN.findall(text) if token in _SDD_REASONS}
    if len(named) == 1:
        return named.pop()
    numeric = _clean(data.get("return_debit_notes"))
    if numeric is not None:
        return table.get(numeric)
    return None


def _swift(details: str) -> dict[str, str]:
    """Read SWIFT-structured ``:86:`` (``/EREF/.../REMI/...``), or keep the text."""
    flat = details.replace("\n", "")
    keys = list(_SWIFT_KEY.finditer(flat))
    if not keys or keys[0].start() != 0:
        text = _clean(details.replace("\n", " "))
        return {"text": text} if text else {}
    values: dict[str, str] = {}
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(flat)
        values.setdefault(match.group(1), flat[match.end() : end].strip("/"))
    fields: dict[str, str] = {}
    e2e = _clean(values.get("EREF"))
    if e2e is not None and e2e != "NOTPROVIDED":
        fields["e2e"] = e2e
    mandate = _clean(values.get("MARF"))
    if mandate:
        fields["mandate"] = mandate
    remittance = values.get("REMI", "")
    if remittance.startswith("USTD//"):
        fields["text"] = _clean(remittance[6:]) or ""
    elif remittance.startswith("STRD/"):
        parts = [p for p in remittance[5:].split("/") if p]
        if parts:
            fields["creditor_reference"] = "".join(parts[-1].split())
    elif remittance:
        fields["text"] = _clean(remittance) or ""
    party = values.get("CNTP") or values.get("ORDP") or values.get("BENM") or ""
    if party:
        parts = party.split("/")
        if parts and parts[0]:
            fields["iban"] = parts[0].replace(" ", "")
        if len(parts) > 2 and parts[2]:
            fields["name"] = _clean(parts[2]) or ""
    reason = (values.get("RTRN") or "").split("/")[0].strip()
    if _REASON.fullmatch(reason):
        fields["reason"] = reason
    return fields
