"""What the notifiers share (private): secrets kept out of sight, header checks,
recipient parsing, Message-IDs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Final

import attrs

from dunning_core.domain._addresses import mailbox_forms
from dunning_core.errors import InvalidContact, InvalidField, MalformedMessage

__all__ = [
    "Secret",
    "check_header",
    "message_id",
    "parse_mailboxes",
    "retry_after",
    "secret",
]

_REDACTED: Final = "***"


class Secret:
    """A password or API token: ``repr`` and ``str`` show ``***``, never the value.

    >>> Secret("hunter2")
    Secret('***')
    >>> Secret("hunter2").reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise InvalidField("secret", _REDACTED, "must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        """The value, for the one call that needs it. Never log it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))


def secret(value: str | Secret | None, field: str) -> Secret | None:
    """``value`` as a :class:`Secret` (``None`` stays ``None``).

    Raises:
        InvalidField: an empty string; the message does not show it.
    """
    if value is None or isinstance(value, Secret):
        return value
    if not isinstance(value, str) or not value:
        raise InvalidField(field, _REDACTED, "must be a non-empty string or a Secret")
    return Secret(value)


_FORBIDDEN: Final = re.compile(r"[\r\n\0]")


def check_header(field: str, value: str) -> str:
    """``value`` unchanged when it may go in a header.

    Raises:
        MalformedMessage: it holds CR, LF or NUL (header injection), or is no string.
    """
    if not isinstance(value, str):
        raise MalformedMessage(field, value, "must be a string")
    found = _FORBIDDEN.search(value)
    if found is not None:
        name = {"\r": "CR", "\n": "LF", "\0": "NUL"}[found.group()]
        raise MalformedMessage(field, value, f"contains {name}: refused (header injection)")
    return value


@attrs.frozen
class Mailbox:
    """One parsed address: display name, normal form, ASCII form (``None`` when the
    local part is not ASCII)."""

    display_name: str
    normalized: str
    ascii: str | None

    @property
    def envelope(self) -> str:
        """What goes in ``MAIL FROM`` / ``RCPT TO``: the ASCII form when there is one."""
        return self.ascii or self.normalized


def parse_mailboxes(field: str, value: str) -> tuple[Mailbox, ...]:
    """Parse an address list (``"Name <a@b.example>, c@d.example"``) strictly; the
    answer for each distinct value is cached (recipients repeat across a batch).

    Raises:
        MalformedMessage: CR/LF/NUL, an empty list, anything the RFC 5322 parser flags
            as a defect, or an address whose syntax email-validator refuses.
    """
    if not isinstance(value, str):
        raise MalformedMessage(field, value, "must be a string")
    found = _parse_mailboxes(field, value)
    if isinstance(found, MalformedMessage):
        raise MalformedMessage(found.field, found.value, found.problem)
    return found


@lru_cache(maxsize=4096)
def _parse_mailboxes(field: str, value: str) -> tuple[Mailbox, ...] | MalformedMessage:
    try:
        return _parse(field, value)
    except MalformedMessage as error:
        return error


def _parse(field: str, value: str) -> tuple[Mailbox, ...]:
    from email.policy import SMTP

    check_header(field, value)
    if not value.strip():
        raise MalformedMessage(field, value, "no address")
    from email.errors import NonASCIILocalPartDefect

    header: Any = SMTP.header_factory("To", value)
    # A non-ASCII local part is fine with SMTPUTF8 (RFC 6531); email-validator checks it.
    defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    if defects:
        raise MalformedMessage(field, value, f"does not parse as addresses: {defects[0]}")
    mailboxes = []
    for address in header.addresses:
        spec = f"{address.username}@{address.domain}"
        try:
            normalized, ascii_form = mailbox_forms(field, spec)
        except InvalidContact as error:
            raise MalformedMessage(field, value, error.problem) from None
        mailboxes.append(Mailbox(str(address.display_name), normalized, ascii_form))
    if not mailboxes:
        raise MalformedMessage(field, value, "no address")
    return tuple(mailboxes)


_ATOM: Final = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def message_id(key: str, domain: str) -> str:
    """The ``Message-ID`` of the message with outbox key ``key``: the same on every
    send, so a resend after a crash is recognisably the same message.

    >>> message_id("5f2a9c", "acme.example")
    '<dunning.5f2a9c@acme.example>'
    >>> message_id("a key/with spaces", "acme.example")
    '<dunning.cb3c98194cea859cfdafc9eb5224e03b@acme.example>'
    """
    left = key if len(key) <= 128 and _ATOM.fullmatch(key) else _digest(key)
    return f"<dunning.{left}@{domain}>"


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as a delay from ``now``.

    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> retry_after("120", now)
    datetime.timedelta(seconds=120)
    >>> retry_after("Mon, 02 Mar 2026 09:05:00 GMT", now)
    datetime.timedelta(seconds=300)
    >>> retry_after("soon", now) is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))
