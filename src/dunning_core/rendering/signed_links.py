"""Signed payment links: a customer cannot change the account, the invoices or the
expiry of the link a notice carries, and cannot use it after it expires.

The link is ``{base_url}/{account}?invoice=N1&invoice=N2&expires=<unix time>&sig=<mac>``
where ``mac`` is HMAC-SHA256, keyed with the team's secret, over the account, the
invoice numbers and the expiry (encoded without ambiguity: a number holding a comma or
an ``&`` cannot be confused with two). The payment page calls
:func:`verify_payment_link` before it shows what to pay.

:class:`SignedDocumentLinks` signs download links the same way, for an attachment an
e-mail could not carry (over the size cap): ``{base_url}/{account}/{document}?expires=
<unix time>&sig=<mac>``, the MAC over ``["document", account, document, expiry]``, so a
payment link's signature is never a document link's. The download page calls
:func:`verify_document_link`, then
:func:`~dunning_core.service.attachments.linked_document` for the file.

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
>>> links = SignedPaymentLinks("https://pay.example", "s3cret-key-of-32-bytes-or-more!!",
...                            timedelta(days=30), clock=lambda: now)
>>> url = links.url_for("A-1", ["F-1", "F-2"])
>>> verify_payment_link(url, "s3cret-key-of-32-bytes-or-more!!", now).invoice_numbers
('F-1', 'F-2')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import attrs

from dunning_core.errors import DunningError, InvalidField

__all__ = [
    "InvalidPaymentLink",
    "SignedDocumentLinks",
    "SignedPaymentLinks",
    "VerifiedDocumentLink",
    "VerifiedPaymentLink",
    "verify_document_link",
    "verify_payment_link",
]

_MIN_SECRET_BYTES = 16


class InvalidPaymentLink(DunningError, ValueError):
    """A payment link failed verification: altered, expired, or not a signed link.

    Attributes:
        url: The link.
        reason: ``"tampered"``, ``"expired"`` or ``"malformed"``.
    """

    def __init__(self, url: str, reason: str, detail: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"payment link {reason}: {detail}")


@attrs.frozen
class VerifiedPaymentLink:
    """What a verified link asks to pay.

    Attributes:
        account_id: The account.
        invoice_numbers: The invoices (empty: every open invoice of the account).
        expires_at: When the link stops being valid.
    """

    account_id: str
    invoice_numbers: tuple[str, ...]
    expires_at: datetime


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(key) < _MIN_SECRET_BYTES:
        raise InvalidField(
            "secret", "<hidden>", f"must be at least {_MIN_SECRET_BYTES} bytes (32 recommended)"
        )
    return key


def _mac(key: bytes, account_id: str, invoices: Sequence[str], expires: int) -> str:
    message = json.dumps([account_id, list(invoices), expires], separators=(",", ":"))
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _SignedLinks:
    """What payment and download links share: a site, a key, a lifetime and a clock."""

    def __init__(
        self,
        base_url: str,
        secret: str | bytes,
        ttl: timedelta,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise InvalidField("base_url", base_url, "must start with https:// or http://")
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise InvalidField("ttl", ttl, "must be a positive timedelta")
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self._key = _key(secret)
        self._clock = clock


class SignedPaymentLinks(_SignedLinks):
    """A :class:`~dunning_core.ports.PaymentLinks` whose links carry an HMAC-SHA256
    signature and an expiry.

    Args:
        base_url: The payment site, ``https://`` (``http://`` for local tests).
        secret: The signing key, at least 16 bytes (32 random bytes recommended); the
            payment page verifies with the same key.
        ttl: How long a link stays valid after the notice is written.
        clock: Returns the current aware instant (the system clock in UTC by default;
            pass a fixed one in tests).

    Raises:
        InvalidField: a bad URL, a short secret or a ttl that is not positive.
    """

    def url_for(self, account_id: str, invoice_numbers: Sequence[str]) -> str:
        """A signed URL to pay ``invoice_numbers`` of ``account_id`` (every open invoice
        if empty), valid for ``ttl`` from now."""
        expires = int((self._clock() + self.ttl).timestamp())
        query = [("invoice", number) for number in invoice_numbers]
        query.append(("expires", str(expires)))
        query.append(("sig", _mac(self._key, account_id, invoice_numbers, expires)))
        return f"{self.base_url}/{quote(account_id, safe='')}?{urlencode(query, quote_via=quote)}"


def verify_payment_link(
    url: str, secret: str | bytes | Sequence[str | bytes], now: datetime
) -> VerifiedPaymentLink:
    """Check a link :class:`SignedPaymentLinks` made, and say what it asks to pay.

    Args:
        url: The link as the customer opened it.
        secret: The signing key, or several (the current one and those being retired).
        now: The current aware instant.

    Returns:
        The account, invoices and expiry the link carries.

    Raises:
        InvalidPaymentLink: the link was altered (``reason="tampered"``), has expired
            (``"expired"``), or is not a signed link (``"malformed"``).
        InvalidField: ``now`` is naive, or a secret is too short.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidField("now", now, "must be a timezone-aware datetime")
    keys = [_key(secret)] if isinstance(secret, str | bytes) else [_key(s) for s in secret]
    parts = urlsplit(url)
    account_id = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    signatures = query.get("sig", [])
    expiries = query.get("expires", [])
    if not account_id or len(signatures) != 1 or len(expiries) != 1:
        raise InvalidPaymentLink(url, "malformed", "no account, signature or expiry")
    try:
        expires = int(expiries[0])
    except ValueError:
        raise InvalidPaymentLink(url, "malformed", "the expiry is not a number") from None
    invoices = tuple(query.get("invoice", []))
    expected = [_mac(key, account_id, invoices, expires) for key in keys]
    if not any(hmac.compare_digest(signatures[0], mac) for mac in expected):
        raise InvalidPaymentLink(url, "tampered", "the signature does not match")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise InvalidPaymentLink(url, "expired", f"expired at {expires_at.isoformat()}")
    return VerifiedPaymentLink(
        account_id=account_id, invoice_numbers=invoices, expires_at=expires_at
    )


# -- download links ----------------------------------------------------------------------


def _document_mac(key: bytes, account_id: str, document: str, expires: int) -> str:
    message = json.dumps(["document", account_id, document, expires], separators=(",", ":"))
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@attrs.frozen
class VerifiedDocumentLink:
    """What a verified download link gives access to.

    Attributes:
        account_id: The account.
        document: The document (``"invoice:F-1"``, ``"statement:<outbox key>"``,
            ``"notice:<outbox key>"``).
        expires_at: When the link stops being valid.
    """

    account_id: str
    document: str
    expires_at: datetime


class SignedDocumentLinks(_SignedLinks):
    """A :class:`~dunning_core.ports.DocumentLinks` whose links carry an HMAC-SHA256
    signature over the account, the document and the expiry.

    >>> now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    >>> links = SignedDocumentLinks("https://docs.example", "s3cret-key-of-32-bytes-or-more!!",
    ...                             timedelta(days=30), clock=lambda: now)
    >>> url = links.url_for_document("A-1", "invoice:F-1")
    >>> verify_document_link(url, "s3cret-key-of-32-bytes-or-more!!", now).document
    'invoice:F-1'

    Args:
        base_url: The download site, ``https://`` (``http://`` for local tests).
        secret: The signing key, at least 16 bytes (use another key than the payment
            links').
        ttl: How long a link stays valid after the e-mail is sent.
        clock: Returns the current aware instant (the system clock by default).

    Raises:
        InvalidField: a bad URL, a short secret or a ttl that is not positive.
    """

    def url_for_document(self, account_id: str, document: str) -> str:
        """A signed URL to download ``document`` of ``account_id``, valid for ``ttl``."""
        expires = int((self._clock() + self.ttl).timestamp())
        query = urlencode(
            [
                ("expires", str(expires)),
                ("sig", _document_mac(self._key, account_id, document, expires)),
            ]
        )
        return f"{self.base_url}/{quote(account_id, safe='')}/{quote(document, safe='')}?{query}"


def verify_document_link(
    url: str, secret: str | bytes | Sequence[str | bytes], now: datetime
) -> VerifiedDocumentLink:
    """Check a link :class:`SignedDocumentLinks` made, and say what it gives access to.

    Args:
        url: The link as the customer opened it.
        secret: The signing key, or several (the current one and those being retired).
        now: The current aware instant.

    Returns:
        The account, the document and the expiry.

    Raises:
        InvalidPaymentLink: the link was altered (``reason="tampered"``), has expired
            (``"expired"``), or is not a signed download link (``"malformed"``).
        InvalidField: ``now`` is naive, or a secret is too short.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidField("now", now, "must be a timezone-aware datetime")
    keys = [_key(secret)] if isinstance(secret, str | bytes) else [_key(s) for s in secret]
    parts = urlsplit(url)
    segments = parts.path.rstrip("/").rsplit("/", 2)
    query = parse_qs(parts.query, keep_blank_values=True)
    signatures = query.get("sig", [])
    expiries = query.get("expires", [])
    if len(segments) < 3 or len(signatures) != 1 or len(expiries) != 1:
        raise InvalidPaymentLink(url, "malformed", "no account, document, signature or expiry")
    account_id, document = unquote(segments[1]), unquote(segments[2])
    if not account_id or not document:
        raise InvalidPaymentLink(url, "malformed", "no account or document")
    try:
        expires = int(expiries[0])
    except ValueError:
        raise InvalidPaymentLink(url, "malformed", "the expiry is not a number") from None
    expected = [_document_mac(key, account_id, document, expires) for key in keys]
    if not any(hmac.compare_digest(signatures[0], mac) for mac in expected):
        raise InvalidPaymentLink(url, "tampered", "the signature does not match")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise InvalidPaymentLink(url, "expired", f"expired at {expires_at.isoformat()}")
    return VerifiedDocumentLink(account_id=account_id, document=document, expires_at=expires_at)
