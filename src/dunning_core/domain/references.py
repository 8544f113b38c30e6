"""Payment references a bank carries: RF creditor references (ISO 11649) and IBANs.

An RF creditor reference is ``RF``, two check digits (ISO 7064 mod 97-10) and up to 21
letters or digits. :func:`creditor_reference` builds one from an invoice number: the
number's letters and digits, upper-cased (``F-2026-0042`` gives ``RF69F20260042``), so
a clerk still recognises the invoice in it and the bank's check digits catch a mistyped
reference before it reaches the ledger.

The check digits are computed and verified by ``python-stdnum`` (the ``bank`` extra),
imported when first needed.

>>> creditor_reference("F-2026-0042")
'RF69F20260042'
>>> reference_body("RF69 F202 6004 2")
'F20260042'
>>> normalize_iban("de89 3704 0044 0532 0130 00")
'DE89370400440532013000'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from dunning_core.errors import InvalidCreditorReference, InvalidIban

__all__ = [
    "creditor_reference",
    "find_creditor_references",
    "format_creditor_reference",
    "invoice_reference_key",
    "is_creditor_reference",
    "normalize_iban",
    "reference_body",
]

#: The most letters and digits an RF reference carries after ``RF`` and its check digits.
MAX_BODY = 21
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
# Where an RF reference may start in free text: RF and two check digits after a
# word boundary, optionally followed by a space (the printed form groups by four).
_RF_START = re.compile(r"(?<![0-9A-Za-z])RF[0-9]{2} ?", re.I)


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def invoice_reference_key(invoice_number: str) -> str:
    """The part of an invoice number an RF reference keeps: its letters and digits,
    upper-cased. Two invoice numbers with the same key share a reference.

    >>> invoice_reference_key("f-2026/0042")
    'F20260042'
    """
    return _NOT_ALNUM.sub("", invoice_number).upper()


def creditor_reference(invoice: Any) -> str:
    """The RF creditor reference (ISO 11649) of an invoice, in electronic form.

    Args:
        invoice: An :class:`~dunning_core.domain.invoice.Invoice`, or its number.

    Returns:
        ``"RF"``, the two check digits and the invoice number's letters and digits,
        upper-cased, without spaces (print it with :func:`format_creditor_reference`).

    Raises:
        InvalidCreditorReference: the number has no letter or digit, or more than 21.
    """
    from stdnum.iso7064 import mod_97_10

    number = invoice if isinstance(invoice, str) else getattr(invoice, "number", invoice)
    if not isinstance(number, str):
        raise InvalidCreditorReference("invoice", invoice, "must be an Invoice or its number")
    body = invoice_reference_key(number)
    if not body:
        raise InvalidCreditorReference("invoice.number", number, "has no letter or digit")
    if len(body) > MAX_BODY:
        raise InvalidCreditorReference(
            "invoice.number",
            number,
            f"has {len(body)} letters and digits; an RF reference carries at most {MAX_BODY}",
        )
    check = mod_97_10.calc_check_digits(body + "RF")
    return f"RF{check}{body}"


def is_creditor_reference(text: str) -> bool:
    """True when ``text`` (spaces allowed) is an RF reference with valid check digits."""
    if not isinstance(text, str):
        return False
    return _valid_rf(text)


@lru_cache(maxsize=4096)
def _valid_rf(text: str) -> bool:
    from stdnum import iso11649

    return bool(iso11649.is_valid(text))


def reference_body(reference: str) -> str:
    """The letters and digits an RF reference carries after its check digits.

    Raises:
        InvalidCreditorReference: ``reference`` is not a valid RF reference.
    """
    if not is_creditor_reference(reference):
        raise InvalidCreditorReference(
            "creditor_reference", reference, "not an ISO 11649 RF reference (bad check digits?)"
        )
    return _compact(reference)[4:]


def format_creditor_reference(reference: str) -> str:
    """The printed form of an RF reference, in groups of four (``RF69 F202 6004 2``).

    Raises:
        InvalidCreditorReference: ``reference`` is not a valid RF reference.
    """
    compact = "RF" + _compact(reference)[2:4] + reference_body(reference)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def find_creditor_references(text: str) -> tuple[str, ...]:
    """The valid RF references written in free text (a customer typed one into the
    transfer's message), in electronic form, in the order they appear.

    A reference may be printed in groups of four (``RFnn`` then a space), so its text
    is then read across a single space that follows a group of four; the longest run that
    ends at a word's end and has valid check digits is taken
    (``"RF18 5390 0754 7034 thanks"`` gives ``RF18539007547034``).
    """
    found: list[str] = []
    for start in _RF_START.finditer(text):
        body: list[str] = []
        ends: list[int] = []  # body lengths that end where a word ends
        position = start.end()
        printed = start.group(0).endswith(" ")  # "RF18 5390 ...": groups of four
        group = 0
        while position < len(text) and len(body) < MAX_BODY:
            char = text[position]
            if char.isascii() and char.isalnum():
                body.append(char)
                group += 1
                following = text[position + 1 : position + 2]
                if not (following.isascii() and following.isalnum()):
                    ends.append(len(body))
                position += 1
            elif (
                printed
                and char == " "
                and group == 4
                and text[position + 1 : position + 2].isalnum()
            ):
                position += 1
                group = 0
            else:
                break
        head = _compact(start.group(0))
        for length in reversed(ends):
            candidate = head + "".join(body[:length]).upper()
            if is_creditor_reference(candidate):
                if candidate not in found:
                    found.append(candidate)
                break
    return tuple(found)


def normalize_iban(value: str, field: str = "iban") -> str:
    """An IBAN in electronic form (no spaces, upper case), checked by ``python-stdnum``:
    country format and length, and the mod-97 check digits.

    Args:
        value: The IBAN as written (``"FR76 3000 6000 0112 3456 7890 189"``).
        field: The field named in the error.

    Raises:
        InvalidIban: the IBAN is malformed or its check digits are wrong.
    """
    if not isinstance(value, str):
        raise InvalidIban(field, value, "must be a string")
    checked = _checked_iban(value)
    if checked.startswith("!"):
        raise InvalidIban(field, value, f"not a valid IBAN ({checked[1:]})")
    return checked


# A bank file names the same few thousand payers over and over: each IBAN is checked
# once per process ("!" marks the problem of an invalid one).
@lru_cache(maxsize=65536)
def _checked_iban(value: str) -> str:
    from stdnum import iban
    from stdnum.exceptions import ValidationError

    try:
        return str(iban.validate(value))
    except ValidationError as error:
        return f"!{error}"
