"""Stripe-style signed webhooks: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC>``.

The signature is HMAC-SHA256, keyed with the endpoint's secret, over
``"<t>.<raw body>"``. A webhook is accepted when one of its ``v1`` signatures matches
(compared in constant time) and ``t`` is within the tolerance of ``now``, which defeats
replaying an old, correctly signed request.

This lives here until the library has one module for webhook signatures; it has no
dependency beyond the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from dunning_core.errors import InvalidSignature

__all__ = ["DEFAULT_TOLERANCE", "stripe_signature_header", "verify_stripe_signature"]

#: Stripe's own default: five minutes either way.
DEFAULT_TOLERANCE = timedelta(minutes=5)


def _mac(secret: str | bytes, timestamp: int, payload: bytes) -> str:
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
    return f"t={timestamp},v1={_mac(secret, timestamp, payload)}"


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
        tolerance: How far ``t`` may be from ``now``, either way.

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
    expected = _mac(secret, timestamp, payload)
    # Compare with every candidate (no early exit on the first match), in constant time.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(candidate.encode("ascii", "replace"), expected.encode())
    if not matched:
        raise InvalidSignature("no v1 signature matches the payload")
    return timestamp
