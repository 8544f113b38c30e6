"""Signed payment links: what was signed verifies; one character changed, or an
expired link, does not."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.errors import InvalidField
from dunning_core.rendering.signed_links import (
    InvalidPaymentLink,
    SignedDocumentLinks,
    SignedPaymentLinks,
    verify_document_link,
    verify_payment_link,
)

SECRET = "k" * 32
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = "https://pay.example/p"


def _links(now: datetime = NOW, ttl: timedelta = timedelta(days=30)) -> SignedPaymentLinks:
    return SignedPaymentLinks(BASE, SECRET, ttl, clock=lambda: now)


numbers = st.text(alphabet=string.ascii_letters + string.digits + "-/,& é", min_size=1, max_size=12)


@given(
    st.text(
        alphabet=string.ascii_letters + string.digits + "-_ /é", min_size=1, max_size=12
    ).filter(lambda s: s.strip("/") == s),
    st.lists(numbers, max_size=4),
)
def test_a_link_verifies_to_what_was_signed(account_id: str, invoices: list[str]) -> None:
    url = _links().url_for(account_id, invoices)
    verified = verify_payment_link(url, SECRET, NOW + timedelta(days=29))
    assert verified.account_id == account_id
    assert verified.invoice_numbers == tuple(invoices)
    assert verified.expires_at == NOW + timedelta(days=30)


@given(st.data())
def test_a_link_with_one_character_changed_fails(data: st.DataObject) -> None:
    url = _links().url_for("A-1", ["F-1", "F-2"])
    signed_part = len(BASE) + 1  # the account, the invoices, the expiry and the signature
    position = data.draw(st.integers(signed_part, len(url) - 1))
    replacement = data.draw(
        st.sampled_from(string.ascii_letters + string.digits).filter(lambda c: c != url[position])
    )
    altered = url[:position] + replacement + url[position + 1 :]
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_payment_link(altered, SECRET, NOW)
    assert caught.value.reason in ("tampered", "malformed")


def test_an_invoice_added_or_removed_fails() -> None:
    url = _links().url_for("A-1", ["F-1", "F-2"])
    for altered in (
        url.replace("invoice=F-2&", ""),
        url.replace("invoice=F-1", "invoice=F-1&invoice=F-9"),
    ):
        with pytest.raises(InvalidPaymentLink, match="tampered"):
            verify_payment_link(altered, SECRET, NOW)


def test_an_expired_link_fails() -> None:
    url = _links(ttl=timedelta(hours=1)).url_for("A-1", ["F-1"])
    verify_payment_link(url, SECRET, NOW + timedelta(minutes=59))
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_payment_link(url, SECRET, NOW + timedelta(hours=1))
    assert caught.value.reason == "expired"


def test_a_later_expiry_written_into_the_link_fails() -> None:
    url = _links().url_for("A-1", ["F-1"])
    expires = int((NOW + timedelta(days=30)).timestamp())
    altered = url.replace(f"expires={expires}", f"expires={expires + 86400 * 365}")
    with pytest.raises(InvalidPaymentLink, match="tampered"):
        verify_payment_link(altered, SECRET, NOW)


def test_another_key_fails_and_a_retired_key_can_still_verify() -> None:
    url = _links().url_for("A-1", ["F-1"])
    with pytest.raises(InvalidPaymentLink, match="tampered"):
        verify_payment_link(url, "x" * 32, NOW)
    assert verify_payment_link(url, ["x" * 32, SECRET], NOW).account_id == "A-1"


def test_a_static_link_is_malformed_for_verification() -> None:
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_payment_link("https://pay.example/A-1?invoices=F-1", SECRET, NOW)
    assert caught.value.reason == "malformed"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidField, match="secret"):
        SignedPaymentLinks(BASE, "short", timedelta(days=1))
    with pytest.raises(InvalidField, match="ttl"):
        SignedPaymentLinks(BASE, SECRET, timedelta(0))
    with pytest.raises(InvalidField, match="base_url"):
        SignedPaymentLinks("ftp://x", SECRET, timedelta(days=1))
    with pytest.raises(InvalidField, match="now"):
        verify_payment_link(_links().url_for("A-1", []), SECRET, datetime(2026, 3, 1))


# -- download links (an attachment over the e-mail size cap) ------------------------------


def _document_links(now: datetime = NOW) -> SignedDocumentLinks:
    return SignedDocumentLinks(
        "https://docs.example/d", SECRET, timedelta(days=14), clock=lambda: now
    )


@given(
    st.text(alphabet=string.ascii_letters + string.digits + "-_ é", min_size=1, max_size=12),
    st.text(alphabet=string.ascii_letters + string.digits + "-_:/ é", min_size=1, max_size=24),
)
def test_a_download_link_verifies_to_what_was_signed(account_id: str, document: str) -> None:
    url = _document_links().url_for_document(account_id, document)
    verified = verify_document_link(url, SECRET, NOW + timedelta(days=13))
    assert (verified.account_id, verified.document) == (account_id, document)


@given(st.data())
def test_a_download_link_with_one_character_changed_fails(data: st.DataObject) -> None:
    url = _document_links().url_for_document("A-1", "invoice:F-1")
    position = data.draw(st.integers(len("https://docs.example/d/"), len(url) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits))
    changed = url[:position] + replacement + url[position + 1 :]
    if changed == url:
        return
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_document_link(changed, SECRET, NOW)
    assert caught.value.reason in ("tampered", "malformed", "expired")


def test_an_expired_download_link_fails() -> None:
    url = _document_links().url_for_document("A-1", "statement:k1")
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_document_link(url, SECRET, NOW + timedelta(days=14))
    assert caught.value.reason == "expired"


def test_a_payment_link_signature_does_not_open_a_document() -> None:
    payment = _links().url_for("A-1", ["F-1"])
    signature = payment.rsplit("sig=", 1)[1]
    expires = payment.split("expires=", 1)[1].split("&", 1)[0]
    forged = f"https://docs.example/d/A-1/invoice%3AF-1?expires={expires}&sig={signature}"
    with pytest.raises(InvalidPaymentLink) as caught:
        verify_document_link(forged, SECRET, NOW)
    assert caught.value.reason == "tampered"
