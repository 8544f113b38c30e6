"""Standard Webhooks signatures: ours verify with the independent ``standardwebhooks``
package, and verify_webhook refuses what it must."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as TheirError

from dunning_core.adapters.webhook_signatures import (
    WebhookSecret,
    sign_webhook,
    verify_webhook,
)
from dunning_core.errors import InvalidField, WebhookVerificationError

# Signatures are checked against the independent standardwebhooks package, a locked dev
# dependency imported plainly: without it the tests fail rather than skip.

SECRET = WebhookSecret.generate()
OLD_SECRET = WebhookSecret.generate()
BODY = json.dumps({"type": "dunning.notice", "data": {"key": "k1", "amount": "120.00"}})
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_our_signature_verifies_with_the_standardwebhooks_package() -> None:
    now = datetime.now(UTC)  # the package checks against the real clock
    headers = sign_webhook("msg_k1", now, BODY, SECRET)
    assert Webhook(SECRET.reveal()).verify(BODY, headers) == json.loads(BODY)


def test_during_a_rotation_either_secret_verifies_with_the_package() -> None:
    headers = sign_webhook("msg_k1", datetime.now(UTC), BODY, [OLD_SECRET, SECRET])
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (OLD_SECRET, SECRET):
        assert Webhook(secret.reveal()).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(TheirError):
        Webhook(WebhookSecret.generate().reveal()).verify(BODY, headers)


def test_the_package_signature_verifies_with_ours() -> None:
    theirs = Webhook(SECRET.reveal()).sign("msg_x", T, BODY)
    headers = {
        "Webhook-Id": "msg_x",
        "Webhook-Timestamp": str(int(T.timestamp())),
        "Webhook-Signature": theirs,
    }
    verified = verify_webhook(headers, BODY.encode(), SECRET, now=T + timedelta(minutes=4))
    assert verified.id == "msg_x"
    assert verified.timestamp == T
    assert verified.json() == json.loads(BODY)


@given(body=st.binary(max_size=200), msg_id=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_a_signed_body_verifies_and_any_change_to_it_does_not(body: bytes, msg_id: str) -> None:
    headers = sign_webhook(msg_id, T, body, SECRET)
    assert verify_webhook(headers, body, SECRET, now=T).body == body
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify_webhook(headers, body + b" ", SECRET, now=T)


def test_a_tampered_body_is_refused() -> None:
    headers = sign_webhook("msg_k1", T, BODY, SECRET)
    tampered = BODY.replace("120.00", "12.00")
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify_webhook(headers, tampered, SECRET, now=T)


def test_an_old_or_future_timestamp_is_refused() -> None:
    headers = sign_webhook("msg_k1", T, BODY, SECRET)
    verify_webhook(headers, BODY, SECRET, now=T + timedelta(minutes=5))
    with pytest.raises(WebhookVerificationError, match="more than 0:05:00 away"):
        verify_webhook(headers, BODY, SECRET, now=T + timedelta(minutes=5, seconds=1))
    with pytest.raises(WebhookVerificationError, match="more than"):
        verify_webhook(headers, BODY, SECRET, now=T - timedelta(minutes=6))
    verify_webhook(headers, BODY, SECRET, timedelta(hours=1), now=T + timedelta(minutes=59))


def test_a_rotated_secret_verifies_while_the_receiver_holds_both() -> None:
    old_only = sign_webhook("msg_k1", T, BODY, OLD_SECRET)
    verify_webhook(old_only, BODY, [SECRET, OLD_SECRET], now=T)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(old_only, BODY, SECRET, now=T)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(missing: str) -> None:
    headers = sign_webhook("msg_k1", T, BODY, SECRET)
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        verify_webhook(headers, BODY, SECRET, now=T)


def test_malformed_headers_are_refused() -> None:
    headers = sign_webhook("msg_k1", T, BODY, SECRET)
    with pytest.raises(WebhookVerificationError, match="not an integer"):
        verify_webhook({**headers, "webhook-timestamp": "soon"}, BODY, SECRET, now=T)
    with pytest.raises(WebhookVerificationError, match="no v1 signature"):
        verify_webhook({**headers, "webhook-signature": "v2,abc"}, BODY, SECRET, now=T)


def test_secrets_never_show_in_reprs_or_errors() -> None:
    text = SECRET.reveal()
    key_part = text.removeprefix("whsec_")
    assert key_part not in repr(SECRET) and key_part not in str(SECRET)
    assert pickle.loads(pickle.dumps(SECRET)).reveal() == text
    with pytest.raises(InvalidField) as short:
        WebhookSecret("whsec_" + "c2hvcnQ=")
    assert "c2hvcnQ" not in str(short.value)
    with pytest.raises(InvalidField) as bad:
        WebhookSecret("whsec_not base64!")
    assert "not base64!" not in str(bad.value)
    headers = sign_webhook("msg_k1", T, BODY, SECRET)
    with pytest.raises(WebhookVerificationError) as refused:
        verify_webhook(headers, "x", SECRET, now=T)
    assert key_part not in str(refused.value)


def test_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(InvalidField, match="msg_id"):
        sign_webhook("a\r\nb", T, BODY, SECRET)
    with pytest.raises(InvalidField, match="timestamp"):
        sign_webhook("m", datetime(2026, 3, 2), BODY, SECRET)
    with pytest.raises(InvalidField, match="secrets"):
        sign_webhook("m", T, BODY, [])


# -- Stripe-style signatures (moved here from the bank adapter, issue 16) ---------------


def test_the_stripe_verifier_lives_beside_standard_webhooks_and_the_bank_path_still_works() -> None:
    from dunning_core.adapters import bank, webhook_signatures

    assert bank.verify_stripe_signature is webhook_signatures.verify_stripe_signature
    assert bank.stripe_signature_header is webhook_signatures.stripe_signature_header
    assert webhook_signatures.verify_stripe_signature.__module__ == webhook_signatures.__name__


def test_a_stripe_signature_computed_by_hand_verifies() -> None:
    import hashlib
    import hmac

    from dunning_core.adapters.webhook_signatures import verify_stripe_signature
    from dunning_core.errors import InvalidSignature

    body = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    stamp = int(at.timestamp())
    mac = hmac.new(b"whsec_test", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_stripe_signature(body, f"t={stamp},v1={mac}", "whsec_test", now=at) == stamp
    with pytest.raises(InvalidSignature, match="no v1 signature matches"):
        verify_stripe_signature(body + b" ", f"t={stamp},v1={mac}", "whsec_test", now=at)
