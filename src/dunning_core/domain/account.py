"""Customer accounts and how to reach them.

An :class:`Account` is the unit of dunning: it has one currency, one locale, one IANA
timezone (days past due are counted in it), a segment that policies key on (small and
large customers are suspended after different delays), contacts with the channels each
accepts, and optionally a billing entity that groups several accounts of one customer.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from dunning_core.domain._addresses import (
    country_of_locale,
    normalize_email,
    normalize_phone,
    valid_country,
)
from dunning_core.domain._checks import (
    field_name,
    identifier,
    optional_identifier,
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

    key: str = attrs.field(validator=identifier)

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


def _check_email(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        normalize_email(field_name(instance, attribute), value)


def _email_form(value: Any) -> Any:
    # The normal form (lower-case domain, NFC); a bad value is left for the validator.
    if isinstance(value, str):
        try:
            return normalize_email("Contact.email", value)
        except InvalidContact:
            return value
    return value


def _check_country(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not valid_country(value):
        raise InvalidField(
            field_name(instance, attribute), value, "must be an ISO 3166-1 alpha-2 code ('FR')"
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

    Phone numbers are read by libphonenumber and kept in E.164: the international form
    (``+33 6 12 34 56 78``) at once, numbers as dialled in a country
    (``06 12 34 56 78``, ``0033 6 12 34 56 78``) in ``country``, else the postal
    address's country, else the
    country of the :class:`Account` the contact is given to. ``mobile`` must be a mobile
    number (SMS goes there); ``phone`` any valid number. E-mail addresses are checked
    for their syntax only (internationalised domains allowed; nothing is looked up) and
    kept with the domain in lower case.

    Args:
        name: The person or service.
        email: An e-mail address.
        mobile: A mobile number, for SMS and phone tasks.
        phone: Any phone number, for phone tasks.
        country: ISO 3166-1 alpha-2 country the numbers are written in, when national.
        postal_address: Where letters go.
        channels: The channels the contact accepts (all it has details for if empty).
        role: What the contact is for (``"billing"`` by default).
        invalid_numbers: Numbers (E.164) a call report found wrong.

    Raises:
        InvalidContact: an address or number does not parse, is impossible for its
            country, or ``mobile`` is not a mobile number.
    """

    name: str = attrs.field(default="", validator=plain_text)
    email: str | None = attrs.field(default=None, converter=_email_form, validator=_check_email)
    mobile: str | None = attrs.field(default=None)
    phone: str | None = attrs.field(default=None)
    country: str | None = attrs.field(default=None, validator=_check_country)
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

    @classmethod
    def _stored(
        cls,
        *,
        name: str,
        email: str | None,
        mobile: str | None,
        phone: str | None,
        country: str | None,
        postal_address: PostalAddress | None,
        channels: Iterable[str],
        role: str,
        invalid_numbers: Iterable[str],
    ) -> Contact:
        """A contact a store wrote itself, rebuilt without parsing its addresses again
        (they were checked when it was written; the SMS and e-mail notifiers check what
        they send anyway). For stores only: a hundred thousand accounts load without a
        hundred thousand libphonenumber parses."""
        contact = object.__new__(cls)
        set_field = object.__setattr__
        set_field(contact, "name", name)
        set_field(contact, "email", email)
        set_field(contact, "mobile", mobile)
        set_field(contact, "phone", phone)
        set_field(contact, "country", country)
        set_field(contact, "postal_address", postal_address)
        set_field(contact, "channels", frozenset(Channel(item) for item in channels))
        set_field(contact, "role", role)
        set_field(contact, "invalid_numbers", frozenset(invalid_numbers))
        return contact

    def with_invalid_number(self, number: str) -> Contact:
        """This contact with ``number`` marked wrong (a call report said so).

        .. versionadded:: 0.3
        """
        return attrs.evolve(self, invalid_numbers=self.invalid_numbers | {number})

    def __attrs_post_init__(self) -> None:
        region = self.region
        for name in ("mobile", "phone"):
            value = getattr(self, name)
            if value is None:
                continue
            e164 = normalize_phone(f"Contact.{name}", value, region, mobile=name == "mobile")
            if e164 is not None:
                object.__setattr__(self, name, e164)

    @property
    def region(self) -> str | None:
        """The country national numbers are read in: ``country``, else the postal
        address's country, else ``None``."""
        if self.country is not None:
            return self.country
        address = self.postal_address
        if address is not None and address.country:
            return address.country
        return None

    @property
    def unresolved_numbers(self) -> tuple[str, ...]:
        """The fields (``"mobile"``, ``"phone"``) still in a national format because no
        country was known to read them; an :class:`Account` resolves them."""
        return tuple(
            name
            for name in ("mobile", "phone")
            if (value := getattr(self, name)) is not None and not value.startswith("+")
        )

    def read_in(self, country: str) -> Contact:
        """This contact with its national numbers read in ``country`` (E.164 after).

        Raises:
            InvalidContact: a number is not valid in ``country``.
        """
        if not self.unresolved_numbers:
            return self
        return attrs.evolve(self, country=country)

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

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=plain_text)
    registration_id: str | None = attrs.field(default=None, validator=optional_identifier)


_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")


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
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: zoneinfo opens "Europe" (a folder of the tz database) as a file and
        # fails with IsADirectoryError.
        raise InvalidTimezone("Account.timezone", value, "unknown IANA timezone") from None


def _check_locale(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _locale_known(value):
        raise InvalidLocale("Account.locale", value, "babel (CLDR) does not know this locale")


def _check_subdivision(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _SUBDIVISION.fullmatch(value)):
        raise InvalidField(
            "Account.subdivision", value, "must be a subdivision code such as 'BY' or 'CT'"
        )


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
        country: ISO 3166-1 alpha-2 country of the customer (``"FR"``, ``"NC"``):
            national phone numbers of its contacts are read in it and public holidays
            come from it. When ``None``, the locale's territory stands in
            (``fr_NC`` -> ``NC``); see :attr:`home_country`.
        subdivision: The state, province or community for regional holidays, as the
            ``holidays`` package names it (``"BY"`` for Bavaria, ``"CT"`` for
            Catalonia).

    Raises:
        UnknownCurrency, InvalidLocale, InvalidTimezone, InvalidField, CurrencyMismatch:
            on bad input, naming the field and the value.
        InvalidContact: a contact's national number cannot be read in the account's
            country, or no country is known to read it.
    """

    NO_DUNNING: ClassVar[str] = "no-dunning"

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=plain_text)
    currency: str = attrs.field(validator=_check_currency)
    segment: Segment = attrs.field(default=Segment.SMALL, converter=_to_segment)
    locale: str = attrs.field(default="en_US", validator=_check_locale)
    timezone: str = attrs.field(default="UTC", validator=_check_timezone)
    credit_limit: Money | None = attrs.field(default=None)
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=to_tuple)
    billing_entity_id: str | None = attrs.field(default=None, validator=optional_identifier)
    registration_id: str | None = attrs.field(default=None, validator=optional_identifier)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    terms: PaymentTerms = PaymentTerms()
    country: str | None = attrs.field(default=None, validator=_check_country)
    subdivision: str | None = attrs.field(default=None, validator=_check_subdivision)

    def __attrs_post_init__(self) -> None:
        home = self.home_country
        contacts = list(self.contacts)
        for index, contact in enumerate(contacts):
            waiting = contact.unresolved_numbers
            if not waiting:
                continue
            if home is None:
                raise InvalidContact(
                    f"Account.contacts[{index}].{waiting[0]}",
                    getattr(contact, waiting[0]),
                    "a national number needs a country: set Account.country or Contact.country",
                )
            source = "" if self.country is not None else f", the territory of {self.locale}"
            try:
                contacts[index] = contact.read_in(home)
            except InvalidContact as error:
                raise InvalidContact(
                    f"Account.contacts[{index}].{error.field.rpartition('.')[2]}",
                    error.value,
                    f"{error.problem} (read in {home}{source}; set Account.country "
                    "or Contact.country, or write the number in international form)",
                ) from None
        object.__setattr__(self, "contacts", tuple(contacts))

    @property
    def home_country(self) -> str | None:
        """``country``, else the locale's territory (``fr_NC`` -> ``"NC"``), else None."""
        return self.country if self.country is not None else country_of_locale(self.locale)

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
