"""Signing and verifying webhooks (standard library only).

`Standard Webhooks <https://www.standardwebhooks.com/>`_: the sender puts three headers
on each request: ``webhook-id`` (the message's unique id; here the outbox key, so a
resend carries the same id and the receiver can drop it), ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature``, a space-separated list of ``v1,<base64>`` where each
signature is HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` under one secret. A secret is
written ``whsec_`` followed by the base64 of its key bytes. Signing with every current
secret lets a receiver rotate: it accepts any of its own secrets, and the sender drops
the old one once every receiver has the new one.

Secrets never appear in a repr, a log line or an exception message.

`Stripe-style` signatures (:func:`verify_stripe_signature`, used by payment providers'
webhooks, issue 16) live here too: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC>``,
HMAC-SHA256 under the endpoint's secret over ``"<t>.<raw body>"``. A webhook is accepted
when one of its ``v1`` signatures matches (compared in constant time) and ``t`` is within
the tolerance of ``now``, which defeats replaying an old, correctly signed request.

.. versionchanged:: 0.3
   The Stripe-style verifier moved here from the private ``adapters.bank._stripe``;
   :mod:`dunning_core.adapters.bank` still exports it.

>>> secret = WebhookSecret("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
>>> secret
WebhookSecret('whsec_…')
>>> headers = sign_webhook("msg_1", 1_700_000_000, b'{"a":1}', [secret])
>>> sorted(headers)
['webhook-id', 'webhook-signature', 'webhook-timestamp']
>>> from datetime import datetime, timezone
>>> now = datetime.fromtimestamp(1_700_000_060, timezone.utc)
>>> verify_webhook(headers, b'{"a":1}', secret, now=now).id
'msg_1'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from dunning_core.errors import InvalidField, InvalidSignature, WebhookVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "VerifiedWebhook",
    "WebhookSecret",
    "sign_webhook",
    "stripe_signature_header",
    "verify_stripe_signature",
    "verify_webhook",
]

ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"
#: How far a timestamp may be from the receiver's clock, either way (replay window).
DEFAULT_TOLERANCE: Final = timedelta(minutes=5)

_PREFIX: Final = "whsec_"
_VERSION: Final = "v1"


class WebhookSecret:
    """A Standard Webhooks signing secret (``whsec_`` + base64 of the key bytes).

    The key stays inside: ``repr``, ``str`` and every error show ``whsec_…`` only.

    Args:
        secret: The secret as the receiver was given it; the ``whsec_`` prefix may be
            left out.

    Raises:
        InvalidField: not base64, or a key shorter than 24 bytes (the spec asks for
            24 to 64 random bytes). The message never contains the value.
    """

    __slots__ = ("_key",)

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str):
            raise InvalidField("WebhookSecret", "…", "must be a str such as 'whsec_…'")
        encoded = secret.removeprefix(_PREFIX)
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidField("WebhookSecret", _PREFIX + "…", "is not base64") from None
        if len(key) < 24:
            raise InvalidField(
                "WebhookSecret", _PREFIX + "…", f"has {len(key)} key bytes; at least 24 needed"
            )
        self._key = key

    @classmethod
    def generate(cls, size: int = 32) -> WebhookSecret:
        """A new random secret of ``size`` key bytes (24 to 64)."""
        if not 24 <= size <= 64:
            raise InvalidField("size", size, "must be between 24 and 64 bytes")
        return cls(base64.b64encode(_random.token_bytes(size)).decode("ascii"))

    def reveal(self) -> str:
        """The secret as text (``whsec_…``), to hand to a receiver once. Never log it."""
        return _PREFIX + base64.b64encode(self._key).decode("ascii")

    def signature(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``v1,<base64>`` signature of one message under this secret."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self._key, signed, hashlib.sha256).digest()
        return f"{_VERSION},{base64.b64encode(digest).decode('ascii')}"

    def __repr__(self) -> str:
        return f"WebhookSecret('{_PREFIX}…')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled for worker processes; the key travels like any other argument would.
        return (WebhookSecret, (self.reveal(),))


SecretLike = WebhookSecret | str


def _secrets(value: SecretLike | Iterable[SecretLike]) -> tuple[WebhookSecret, ...]:
    items: Iterable[SecretLike] = (value,) if isinstance(value, (str, WebhookSecret)) else value
    found = tuple(
        item if isinstance(item, WebhookSecret) else WebhookSecret(item) for item in items
    )
    if not found:
        raise InvalidField("secrets", (), "at least one secret is needed")
    return found


def _body(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _unix(moment: datetime | int) -> int:
    if isinstance(moment, datetime):
        if moment.utcoffset() is None:
            raise InvalidField("timestamp", moment, "must be a timezone-aware datetime")
        return int(moment.timestamp())
    if not isinstance(moment, int) or isinstance(moment, bool):
        raise InvalidField("timestamp", moment, "must be an aware datetime or Unix seconds")
    return moment


def sign_webhook(
    msg_id: str,
    timestamp: datetime | int,
    body: bytes | str,
    secrets: SecretLike | Sequence[SecretLike],
) -> dict[str, str]:
    """The three Standard Webhooks headers for one request.

    Args:
        msg_id: The message id (the same on a resend).
        timestamp: When it is sent: an aware datetime or Unix seconds.
        body: The exact request body (a str is encoded as UTF-8).
        secrets: One secret, or several during a rotation (one signature each).

    Returns:
        ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``.

    Raises:
        InvalidField: an empty or malformed id, a naive timestamp, no secret.
    """
    if not isinstance(msg_id, str) or not msg_id or any(c in msg_id for c in "\r\n\0 \t"):
        raise InvalidField("msg_id", msg_id, "must be non-empty, without spaces, CR, LF or NUL")
    unix = _unix(timestamp)
    data = _body(body)
    signatures = " ".join(secret.signature(msg_id, unix, data) for secret in _secrets(secrets))
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(unix), SIGNATURE_HEADER: signatures}


@attrs.frozen
class VerifiedWebhook:
    """A webhook whose signature checked out.

    Attributes:
        id: Its ``webhook-id``: keep the ids seen within the tolerance window and drop a
            repeat (a resend after a crash carries the same id).
        timestamp: When the sender signed it.
        body: The body, exactly as signed.
    """

    id: str
    timestamp: datetime
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing header {name!r}")


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: SecretLike | Sequence[SecretLike],
    tolerance: timedelta = DEFAULT_TOLERANCE,
    *,
    now: datetime | None = None,
) -> VerifiedWebhook:
    """Check a received webhook: its timestamp is recent and one of its signatures is
    the body's under one of ``secret``.

    Use the raw body as received, before any JSON parsing (a re-serialised body does
    not verify). Header names are matched in any case.

    Args:
        headers: The request's headers.
        body: The raw request body.
        secret: The receiver's secret, or several during a rotation.
        tolerance: How far the timestamp may be from ``now``, either way.
        now: The receiver's current time; the system clock by default.

    Returns:
        The verified webhook (id, timestamp, body).

    Raises:
        WebhookVerificationError: a header missing or malformed, a timestamp outside
            the tolerance, or no signature matching. The message names no secret.
        InvalidField: a secret is malformed, ``now`` is naive.
    """
    keys = _secrets(secret)
    msg_id = _header(headers, ID_HEADER)
    stamp_text = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    try:
        stamp = int(stamp_text)
    except ValueError:
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER}={stamp_text!r} is not an integer"
        ) from None
    current = datetime.now(UTC) if now is None else now
    if current.utcoffset() is None:
        raise InvalidField("now", current, "must be a timezone-aware datetime")
    signed_at = datetime.fromtimestamp(stamp, UTC)
    if abs(current - signed_at) > tolerance:
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER}={stamp_text}: {signed_at.isoformat()} is more than "
            f"{tolerance} away from {current.astimezone(UTC).isoformat()}"
        )
    data = _body(body)
    offered = [item.partition(",") for item in signatures.split()]
    candidates = [value for version, _, value in offered if version == _VERSION and value]
    if not candidates:
        raise WebhookVerificationError(f"no {_VERSION} signature in {SIGNATURE_HEADER}")
    for key in keys:
        expected = key.signature(msg_id, stamp, data).partition(",")[2]
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return VerifiedWebhook(msg_id, signed_at, data)
    raise WebhookVerificationError("no signature matches the body with the secrets given")


# -- Stripe-style signatures ---------------------------------------------------------------


def _stripe_mac(secret: str | bytes, timestamp: int, payload: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def stripe_signature_header(payload: bytes, secret: str | bytes, timestamp: int) -> str:
    """The ``Stripe-Signature`` header a sender computes for ``payload`` at ``timestamp``
    (for tests, and for a service that signs its own webhooks the same way).

    Args:
        payload: The raw request body.
        secret: The endpoint's signing secret.
        timestamp: Unix time in seconds.

    Returns:
        ``"t=<timestamp>,v1=<hex signature>"``.
    """
    return f"t={timestamp},v1={_stripe_mac(secret, timestamp, payload)}"


def verify_stripe_signature(
    payload: bytes,
    header: str,
    secret: str | bytes,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> int:
    """Check a Stripe-style webhook signature.

    Args:
        payload: The raw request body, exactly as received (not re-serialised JSON).
        header: The ``Stripe-Signature`` header.
        secret: The endpoint's signing secret.
        now: The current time (aware); the caller's clock.
        tolerance: How far ``t`` may be from ``now``, either way (five minutes, Stripe's
            own default).

    Returns:
        The signed timestamp (Unix seconds).

    Raises:
        InvalidSignature: the header is missing or malformed, the timestamp is outside
            the tolerance, or no ``v1`` signature matches. The message never contains
            the secret or the expected signature.
    """
    if not isinstance(payload, bytes):
        raise InvalidSignature("the payload must be the raw request body (bytes)")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidSignature("now must be a timezone-aware datetime")
    if not secret:
        raise InvalidSignature("no signing secret configured")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit():
                raise InvalidSignature("the signature header's timestamp is not a number")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("the signature header has no timestamp or no v1 signature")
    age = now.timestamp() - timestamp
    if abs(age) > tolerance.total_seconds():
        raise InvalidSignature(
            f"the signature timestamp is {int(abs(age))} s "
            f"{'old' if age > 0 else 'in the future'}; the tolerance is "
            f"{int(tolerance.total_seconds())} s"
        )
    expected = _stripe_mac(secret, timestamp, payload)
    # Compare with every candidate (no early exit on the first match), in constant time.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(candidate.encode("ascii", "replace"), expected.encode())
    if not matched:
        raise InvalidSignature("no v1 signature matches the payload")
    return timestamp
