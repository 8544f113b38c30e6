"""E-mail addresses and phone numbers, checked by the libraries made for it (private).

Phone numbers go through ``phonenumbers`` (Google's libphonenumber metadata): a number
written in a national format (``06 12 34 56 78``) is read with a country, every number
is stored in E.164 (``+33612345678``), and a number meant for SMS must be a mobile one.
E-mail addresses go through ``email-validator`` for their syntax only (internationalised
domains accepted, no DNS look-up). Both are imported on first use and every answer is
cached, so rebuilding stored accounts costs a dictionary look-up per address.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from dunning_core.errors import InvalidContact

__all__ = [
    "country_of_locale",
    "mailbox_forms",
    "normalize_email",
    "normalize_phone",
    "valid_country",
]

_COUNTRY: Final = re.compile(r"[A-Z]{2}")
_CACHE: Final = 1 << 16


def valid_country(value: object) -> bool:
    """True for an ISO 3166-1 alpha-2 code shape (``"FR"``, ``"NC"``)."""
    return isinstance(value, str) and _COUNTRY.fullmatch(value) is not None


def country_of_locale(locale: str) -> str | None:
    """The territory of a locale (``"fr_NC"`` -> ``"NC"``), or ``None``."""
    _, _, territory = locale.replace("-", "_").partition("_")
    territory = territory.split("_")[-1] if territory else ""
    return territory if valid_country(territory) else None


def normalize_email(field: str, value: object) -> str:
    """The address in normal form (domain in lower case, Unicode NFC).

    Raises:
        InvalidContact: not a string, or not an address by RFC 5321/6531 syntax.
    """
    if not isinstance(value, str):
        raise InvalidContact(field, value, "not an email address: must be a string")
    return mailbox_forms(field, value)[0]


_MOBILE_TYPES: Final = frozenset({1, 2})  # PhoneNumberType.MOBILE, FIXED_LINE_OR_MOBILE
_TYPE_NAMES: Final = {
    0: "a fixed line",
    3: "a toll-free number",
    4: "a premium-rate number",
    5: "a shared-cost number",
    6: "a VoIP number",
    7: "a personal number",
    8: "a pager",
    9: "a UAN",
    10: "a voicemail access number",
}
# phonenumbers.ValidationResult, by value.
_POSSIBILITY: Final = {
    1: "unknown country calling code",
    2: "too short",
    3: "too long",
    4: "a local number only (the area code is missing)",
    5: "wrong number of digits",
}


@lru_cache(maxsize=_CACHE)
def _phone(value: str, region: str | None, mobile: bool) -> tuple[str | None, str]:
    """``(e164, "")``, ``(None, problem)``, or ``(None, "")`` when a national number
    needs a region that was not given."""
    import phonenumbers

    # "00 33 ..." is an international call only where 00 is the prefix: it needs a region.
    international = value.lstrip().startswith("+")
    if not international and region is None:
        return None, ""
    try:
        number = phonenumbers.parse(value, None if international else region)
    except phonenumbers.NumberParseException as error:
        return None, f"not a phone number ({error})"
    where = phonenumbers.region_code_for_number(number) or region or "its country"
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None, f"not a possible number for {where}: {_POSSIBILITY.get(reason, 'invalid')}"
    if not phonenumbers.is_valid_number(number):
        return None, f"not a valid number for {where} (no such number range)"
    if mobile:
        kind = phonenumbers.number_type(number)
        if kind not in _MOBILE_TYPES:
            what = _TYPE_NAMES.get(kind, "not a mobile number")
            return None, f"{what}, not a mobile: SMS needs a mobile number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def normalize_phone(field: str, value: object, region: str | None, *, mobile: bool) -> str | None:
    """The number in E.164, or ``None`` when it is written in a national format and no
    country is known to read it with.

    Args:
        field: The field name for errors (``"Contact.mobile"``).
        value: The number as written: international (``+33 6 12 34 56 78``) or as
            dialled in ``region`` (``06 12 34 56 78``, ``0033 6 12 34 56 78`` from France).
        region: The ISO 3166-1 country a national number is read in.
        mobile: Whether the number must reach a mobile phone (SMS).

    Raises:
        InvalidContact: not a string, not a number, impossible or invalid for its
            country, or (``mobile``) a fixed line.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidContact(field, value, "must be a phone number as a non-empty string")
    e164, problem = _phone(value, region, mobile)
    if problem:
        raise InvalidContact(field, value, problem)
    return e164


@lru_cache(maxsize=_CACHE)
def _mailbox(value: str) -> tuple[str, str | None, str]:
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return "", None, str(error)
    return checked.normalized, checked.ascii_email, ""


def mailbox_forms(field: str, value: str) -> tuple[str, str | None]:
    """An address's normal form and its all-ASCII form (IDN domain in punycode), or
    ``None`` for the latter when the local part itself is not ASCII (SMTPUTF8 needed).

    Raises:
        InvalidContact: not an address by RFC 5321/6531 syntax.
    """
    normalized, ascii_form, problem = _mailbox(value)
    if problem:
        raise InvalidContact(field, value, f"not an email address: {problem}")
    return normalized, ascii_form
