"""Provider events onto record_payment / reverse_payment, and Stripe-style signatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dunning_core import Account, Invoice, Money
from dunning_core.adapters.bank import stripe_signature_header, verify_stripe_signature
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.payment import PaymentStatus
from dunning_core.errors import InvalidSignature
from dunning_core.service.provider_events import (
    ProviderEventKind,
    apply_provider_event,
    stripe_event,
)

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SECRET = "whsec_test_secret"


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="A", currency="EUR"))
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-1",
                    account_id="A-1",
                    issued_on=date(2026, 2, 1),
                    due_on=date(2026, 3, 1),
                    amount=Money("50.00", "EUR"),
                )
            ]
        )
        uow.commit()
    return store


def stripe(kind: str, event_id: str, obj: dict[str, object], offset: int = 0) -> dict[str, object]:
    return {
        "id": event_id,
        "type": kind,
        "created": int(AT.timestamp()) + offset,
        "data": {"object": obj},
    }


INTENT = {"id": "pi_1", "amount": 5000, "currency": "eur", "metadata": {"account_id": "A-1"}}
CHARGE = {"payment_intent": "pi_1", "amount": 5000, "currency": "eur", "amount_refunded": 5000}


def open_amount(store: MemoryStore) -> Decimal:
    with store.unit_of_work() as uow:
        ledger = uow.ledger.load(["A-1"])["A-1"]
    paid = sum(
        (a.amount.amount for a in ledger.allocations if a.invoice_number == "F-1"), Decimal(0)
    )
    return Decimal("50.00") - paid


def apply(store: MemoryStore, event: dict[str, object]) -> bool:
    mapped = stripe_event(event)
    assert mapped is not None
    return apply_provider_event(store.unit_of_work, mapped).applied


def test_succeeded_then_disputed_then_won_is_money_in_out_in(store: MemoryStore) -> None:
    assert apply(store, stripe("payment_intent.succeeded", "evt_1", INTENT))
    assert open_amount(store) == Decimal("0.00")
    assert apply(store, stripe("charge.dispute.created", "evt_2", CHARGE, 60))
    assert open_amount(store) == Decimal("50.00")
    won = dict(CHARGE, status="won")
    assert apply(store, stripe("charge.dispute.closed", "evt_3", won, 120))
    assert open_amount(store) == Decimal("0.00")
    # Redelivered events change nothing.
    for event_id, kind, obj in (
        ("evt_1", "payment_intent.succeeded", INTENT),
        ("evt_2", "charge.dispute.created", CHARGE),
        ("evt_3", "charge.dispute.closed", won),
    ):
        assert not apply(store, stripe(kind, event_id, obj))
    assert open_amount(store) == Decimal("0.00")


def test_refund_reverses_and_a_partial_refund_is_left_to_a_person(store: MemoryStore) -> None:
    apply(store, stripe("payment_intent.succeeded", "evt_1", INTENT))
    partial = dict(CHARGE, amount_refunded=1000)
    assert not apply(store, stripe("charge.refunded", "evt_2", partial))
    assert open_amount(store) == Decimal("0.00")
    assert apply(store, stripe("charge.refunded", "evt_3", CHARGE))
    with store.unit_of_work() as uow:
        payment = uow.ledger.get_payment("pi_1")
    assert payment is not None and payment.status is PaymentStatus.CHARGED_BACK


def test_a_failure_of_an_unknown_payment_changes_nothing(store: MemoryStore) -> None:
    failed = stripe("payment_intent.payment_failed", "evt_9", dict(INTENT, id="pi_9"))
    assert not apply(store, failed)
    lost = stripe("charge.dispute.closed", "evt_8", dict(CHARGE, status="lost"))
    mapped = stripe_event(lost)
    assert mapped is not None and mapped.kind is ProviderEventKind.DISPUTE_LOST


def test_unhandled_stripe_types_map_to_nothing() -> None:
    assert stripe_event(stripe("customer.created", "evt_x", {})) is None


def test_a_jpy_amount_is_whole_yen() -> None:
    event = stripe_event(stripe("payment_intent.succeeded", "e", dict(INTENT, currency="jpy")))
    assert event is not None and event.amount == Money("5000", "JPY")


def test_a_valid_signature_is_accepted() -> None:
    body = b'{"id": "evt_1"}'
    header = stripe_signature_header(body, SECRET, int(AT.timestamp()))
    assert verify_stripe_signature(body, header, SECRET, now=AT) == int(AT.timestamp())
    # A second v1 (secret rotation) may match instead of the first.
    rotated = f"{header},v1={'0' * 64}"
    assert verify_stripe_signature(body, rotated, SECRET, now=AT + timedelta(minutes=4))


@pytest.mark.parametrize(
    ("body", "header", "now", "problem"),
    [
        (b"{}", "t=abc,v1=00", AT, "not a number"),
        (b"{}", "", AT, "no timestamp"),
        (b"{}", None, AT + timedelta(minutes=6), "old"),
        (b"{}", None, AT - timedelta(minutes=6), "future"),
        (b'{"tampered": 1}', None, AT, "no v1 signature matches"),
    ],
)
def test_a_bad_signature_is_refused(
    body: bytes, header: str | None, now: datetime, problem: str
) -> None:
    header = (
        header
        if header is not None
        else stripe_signature_header(b"{}", SECRET, int(AT.timestamp()))
    )
    with pytest.raises(InvalidSignature) as caught:
        verify_stripe_signature(body, header, SECRET, now=now)
    assert problem in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_signature_with_another_secret_is_refused() -> None:
    header = stripe_signature_header(b"{}", "another", int(AT.timestamp()))
    with pytest.raises(InvalidSignature):
        verify_stripe_signature(b"{}", header, SECRET, now=AT)
