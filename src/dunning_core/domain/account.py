"""Customer accounts and how to reach them.

An :class:`Account` is the unit of dunning: it has one currency, one locale, one IANA
timezone (days past due are counted in it), a segment that policies key on (small and
large customers are suspended after different delays), contacts with the channels each
accepts, and optionally a billing entity that groups several accounts of one customer.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from dunning_core.domain._checks import (
    field_name,
    non_empty_text,
    optional_text,
    plain_text,
    to_frozenset,
    to_tuple,
)
from dunning_core.errors import (
    CurrencyMismatch,
    InvalidAmount,
    InvalidContact,
    InvalidField,
    InvalidLocale,
    InvalidTimezone,
)
from dunning_core.money import Money, minor_unit

__all__ = [
    "Account",
    "BillingEntity",
    "Channel",
    "Contact",
    "PaymentTerms",
    "PostalAddress",
    "Segment",
    "TermsKind",
]


class Channel(enum.StrEnum):
    """A way to reach a customer."""

    EMAIL = "EMAIL"
    SMS = "SMS"
    LETTER = "LETTER"
    REGISTERED_LETTER = "REGISTERED_LETTER"
    PHONE_TASK = "PHONE_TASK"
    WEBHOOK = "WEBHOOK"


@attrs.frozen
class Segment:
    """A customer segment that policies key on.

    ``Segment.SMALL`` and ``Segment.LARGE`` are built in (the seeds suspend small
    customers after 15 days and large ones after 30); any other key is allowed
    (``Segment("PUBLIC_SECTOR")``).
    """

    key: str = attrs.field(validator=non_empty_text)

    SMALL: ClassVar[Segment]
    LARGE: ClassVar[Segment]

    def __str__(self) -> str:
        return self.key


Segment.SMALL = Segment("SMALL")
Segment.LARGE = Segment("LARGE")


def _to_segment(value: Segment | str) -> Segment:
    return value if isinstance(value, Segment) else Segment(value)


class TermsKind(enum.StrEnum):
    """How an account pays."""

    NET = "NET"  #: invoices due a number of days after issue
    DUE_ON_RECEIPT = "DUE_ON_RECEIPT"
    PREPAY = "PREPAY"  #: pays before service (after an insolvency ruling, say)


@attrs.frozen
class PaymentTerms:
    """Payment terms: ``PaymentTerms.net(30)``, ``PaymentTerms.PREPAY``."""

    kind: TermsKind = TermsKind.NET
    days: int = attrs.field(default=30)

    PREPAY: ClassVar[PaymentTerms]
    DUE_ON_RECEIPT: ClassVar[PaymentTerms]

    @days.validator
    def _check_days(self, attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidField("PaymentTerms.days", value, "must be an int >= 0")

    @classmethod
    def net(cls, days: int) -> PaymentTerms:
        """Invoices due ``days`` after issue."""
        return cls(TermsKind.NET, days)


PaymentTerms.PREPAY = PaymentTerms(TermsKind.PREPAY, 0)
PaymentTerms.DUE_ON_RECEIPT = PaymentTerms(TermsKind.DUE_ON_RECEIPT, 0)

# Countries where addresses carry no postal code (a short, documented list; others need one).
_NO_POSTAL_CODE = frozenset({"AE", "AO", "BO", "FJ", "GH", "HK", "IE", "JM", "QA", "TZ", "UG"})


@attrs.frozen(kw_only=True)
class PostalAddress:
    """A postal address, as a print-and-mail service or a collection agency needs it.

    ``is_complete`` is the precondition for registered letters and the hand-over to
    collection ("the complete address of the customer is indispensable").
    """

    recipient: str = attrs.field(default="", validator=plain_text)
    lines: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    postal_code: str = attrs.field(default="", validator=plain_text)
    city: str = attrs.field(default="", validator=plain_text)
    country: str = attrs.field(default="")

    @lines.validator
    def _check_lines(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for line in value:
            if not isinstance(line, str):
                raise InvalidField("PostalAddress.lines", value, "every line must be a string")

    @country.validator
    def _check_country(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value and not (isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value)):
            raise InvalidField(
                "PostalAddress.country", value, "must be an ISO 3166-1 alpha-2 code such as 'FR'"
            )

    def missing_fields(self) -> tuple[str, ...]:
        """The fields a letter cannot go without and that are empty, in a stable order."""
        missing = []
        if not self.recipient.strip():
            missing.append("recipient")
        if not any(line.strip() for line in self.lines):
            missing.append("lines")
        if not self.postal_code.strip() and self.country not in _NO_POSTAL_CODE:
            missing.append("postal_code")
        if not self.city.strip():
            missing.append("city")
        if not self.country:
            missing.append("country")
        return tuple(missing)

    @property
    def is_complete(self) -> bool:
        """True when nothing a letter needs is missing."""
        return not self.missing_fields()


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _check_email(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _EMAIL.fullmatch(value)):
        raise InvalidContact(field_name(instance, attribute), value, "not an email address")


def _check_mobile(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _E164.fullmatch(value)):
        raise InvalidContact(
            field_name(instance, attribute), value, "must be in E.164 form such as '+687123456'"
        )


def _to_channels(value: Any) -> frozenset[Channel]:
    try:
        return frozenset(Channel(item) for item in to_frozenset(value))
    except ValueError:
        raise InvalidContact("Contact.channels", value, "unknown channel") from None


@attrs.frozen(kw_only=True)
class Contact:
    """Someone to send dunning messages to, and the channels they accept.

    When ``channels`` is left empty, every channel the contact has the details for is
    accepted (email if ``email``, SMS if ``mobile``, letters if ``postal_address``, phone
    tasks if ``phone`` or ``mobile``). ``invalid_numbers`` holds the numbers a call
    report found wrong: they are not used again, so the ladder falls back to the
    contact's other number, another contact, or the stage's other channels.
    """

    name: str = attrs.field(default="", validator=plain_text)
    email: str | None = attrs.field(default=None, validator=_check_email)
    mobile: str | None = attrs.field(default=None, validator=_check_mobile)
    phone: str | None = attrs.field(default=None, validator=_check_mobile)
    postal_address: PostalAddress | None = None
    channels: frozenset[Channel] = attrs.field(default=frozenset(), converter=_to_channels)
    role: str = attrs.field(default="billing", validator=plain_text)
    invalid_numbers: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)

    @property
    def valid_mobile(self) -> str | None:
        """The mobile number, unless a call found it wrong."""
        return None if self.mobile in self.invalid_numbers else self.mobile

    @property
    def call_number(self) -> str | None:
        """The number to call: the phone, else the mobile, leaving out wrong numbers."""
        if self.phone is not None and self.phone not in self.invalid_numbers:
            return self.phone
        return self.valid_mobile

    def with_invalid_number(self, number: str) -> Contact:
        """This contact with ``number`` marked wrong (a call report said so).

        .. versionadded:: 0.3
        """
        return attrs.evolve(self, invalid_numbers=self.invalid_numbers | {number})

    def accepts(self, channel: Channel) -> bool:
        """True when this contact can be reached on ``channel`` (a number marked wrong
        by a call report does not count).

        .. versionchanged:: 0.3
           Numbers in ``invalid_numbers`` are left out.
        """
        if self.channels and channel not in self.channels:
            return False
        if channel is Channel.EMAIL:
            return self.email is not None
        if channel is Channel.SMS:
            return self.valid_mobile is not None
        if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
            return self.postal_address is not None
        if channel is Channel.PHONE_TASK:
            return self.call_number is not None
        return bool(self.channels)  # WEBHOOK only when asked for explicitly


@attrs.frozen(kw_only=True)
class BillingEntity:
    """The legal customer behind one or more accounts (central billing)."""

    id: str = attrs.field(validator=non_empty_text)
    name: str = attrs.field(validator=plain_text)
    registration_id: str | None = attrs.field(default=None, validator=optional_text)


@lru_cache(maxsize=1024)
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


@lru_cache(maxsize=1024)
def _locale_known(locale: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def _check_timezone(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidTimezone("Account.timezone", value, "must be an IANA timezone key")
    try:
        _zone(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone("Account.timezone", value, "unknown IANA timezone") from None


def _check_locale(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _locale_known(value):
        raise InvalidLocale("Account.locale", value, "babel (CLDR) does not know this locale")


def _check_currency(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    minor_unit(value)


@attrs.frozen(kw_only=True)
class Account:
    """A customer account: the unit a dunning cycle evaluates.

    Args:
        id: Stable identifier (also the shard key).
        name: The customer's name as it appears on letters.
        currency: ISO 4217 code of the account; invoices and payments use it.
        segment: ``Segment.SMALL``, ``Segment.LARGE`` or any user key (a str is accepted).
        locale: Locale for messages, e.g. ``"fr_FR"``.
        timezone: IANA key, e.g. ``"Pacific/Noumea"``; days past due are counted in it.
        credit_limit: The credit limit, or ``None`` for no limit (no credit alerts).
        contacts: Who to send messages to.
        billing_entity_id: The entity that groups several accounts of one customer.
        registration_id: Company registration id (SIREN, RIDET, ...), for insolvency
            monitoring.
        tags: Free labels; ``"no-dunning"`` pauses every reminder.
        terms: Payment terms (``PaymentTerms.PREPAY`` after an insolvency ruling).

    Raises:
        UnknownCurrency, InvalidLocale, InvalidTimezone, InvalidField, CurrencyMismatch:
            on bad input, naming the field and the value.
    """

    NO_DUNNING: ClassVar[str] = "no-dunning"

    id: str = attrs.field(validator=non_empty_text)
    name: str = attrs.field(validator=plain_text)
    currency: str = attrs.field(validator=_check_currency)
    segment: Segment = attrs.field(default=Segment.SMALL, converter=_to_segment)
    locale: str = attrs.field(default="en_US", validator=_check_locale)
    timezone: str = attrs.field(default="UTC", validator=_check_timezone)
    credit_limit: Money | None = attrs.field(default=None)
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=to_tuple)
    billing_entity_id: str | None = attrs.field(default=None, validator=optional_text)
    registration_id: str | None = attrs.field(default=None, validator=optional_text)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    terms: PaymentTerms = PaymentTerms()

    @credit_limit.validator
    def _check_limit(self, attribute: attrs.Attribute[Any], value: Money | None) -> None:
        if value is None:
            return
        if not isinstance(value, Money):
            raise InvalidAmount("Account.credit_limit", value, "must be a Money or None")
        if value.currency != self.currency:
            raise CurrencyMismatch(self.currency, value.currency, "Account.credit_limit")
        if value.amount <= 0:
            raise InvalidAmount("Account.credit_limit", value, "must be greater than zero")

    @contacts.validator
    def _check_contacts(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for contact in value:
            if not isinstance(contact, Contact):
                raise InvalidField("Account.contacts", contact, "every contact must be a Contact")

    @property
    def tz(self) -> ZoneInfo:
        """The account's timezone as a ``ZoneInfo``."""
        return _zone(self.timezone)

    @property
    def dunning_paused(self) -> bool:
        """True when the account is tagged ``no-dunning``."""
        return self.NO_DUNNING in self.tags

    def contacts_for(self, channel: Channel) -> tuple[Contact, ...]:
        """The contacts that accept ``channel``, in the order they were given."""
        return tuple(c for c in self.contacts if c.accepts(channel))

    @property
    def postal_address(self) -> PostalAddress | None:
        """The first contact's postal address, if any (where letters go)."""
        for contact in self.contacts:
            if contact.postal_address is not None:
                return contact.postal_address
        return None
