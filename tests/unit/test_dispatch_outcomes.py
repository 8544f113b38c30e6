"""dispatch() and the finer outcomes notifiers report: Retry-After, deferrals (quiet
hours), unknown outcomes, per-recipient refusals and SMS segments."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Account
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.errors import (
    DeliveryDeferred,
    TransientDeliveryError,
    UnknownDeliveryOutcome,
)
from dunning_core.service.dispatch import REVIEW_PREFIX, dispatch

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _store(*keys: str) -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages(
            OutboxMessage.new(
                key=key,
                account_id="A-1",
                channel="SMS",
                recipient="+33612345678",
                subject="",
                body=f"Body of {key}",
                created_at=T0,
            )
            for key in keys
        )
        uow.commit()
    return store


def _get(store: MemoryStore, key: str) -> OutboxMessage:
    with store.unit_of_work() as uow:
        message = uow.outbox.get(key)
    assert message is not None
    return message


class Raising:
    """A notifier that raises the given error for every message."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, message: OutboxMessage) -> Delivery:
        self.calls += 1
        raise self.error


def test_a_retry_waits_at_least_the_providers_retry_after() -> None:
    store = _store("M-1")
    wait = timedelta(hours=2)  # far above the first backoff bound (30 s)
    notifier = Raising(TransientDeliveryError("429 Too Many Requests", retry_after=wait))
    report = dispatch(store.unit_of_work, notifier, T0, rng=random.Random(1))
    assert report.retried == 1
    message = _get(store, "M-1")
    assert message.status is OutboxStatus.PENDING
    assert message.next_attempt_at == T0 + wait
    assert message.last_error == "transient: 429 Too Many Requests"


def test_a_short_retry_after_does_not_shorten_the_backoff() -> None:
    store = _store("M-1")
    notifier = Raising(TransientDeliveryError("503", retry_after=timedelta(microseconds=1)))
    dispatch(store.unit_of_work, notifier, T0, rng=random.Random(3), base_delay=timedelta(hours=1))
    expected = T0 + timedelta(microseconds=random.Random(3).randint(1, 3_600_000_000))
    assert _get(store, "M-1").next_attempt_at == expected


def test_a_deferred_message_is_due_at_the_instant_named_and_not_dropped() -> None:
    store = _store("M-1")
    opening = T0 + timedelta(hours=11)
    notifier = Raising(DeliveryDeferred("quiet hours for SMS", not_before=opening))
    report = dispatch(store.unit_of_work, notifier, T0)
    assert (report.deferred, report.retried, report.dead) == (1, 0, 0)
    message = _get(store, "M-1")
    assert message.status is OutboxStatus.PENDING
    assert message.next_attempt_at == opening
    assert message.last_error == "deferred: quiet hours for SMS"


def test_a_deferral_on_the_last_attempt_still_leaves_one_real_try() -> None:
    store = _store("M-1")
    opening = T0 + timedelta(hours=1)
    dispatch(
        store.unit_of_work,
        Raising(DeliveryDeferred("night", not_before=opening)),
        T0,
        max_attempts=1,
    )
    assert _get(store, "M-1").status is OutboxStatus.PENDING

    class Accepting:
        def send(self, message: OutboxMessage) -> Delivery:
            return Delivery(provider_message_id="P-1", segments=2)

    report = dispatch(store.unit_of_work, Accepting(), opening, max_attempts=1)
    assert report.sent == 1 and report.segments == 2
    assert _get(store, "M-1").status is OutboxStatus.SENT


def test_an_unknown_outcome_goes_to_review_not_to_a_retry() -> None:
    store = _store("M-1")
    notifier = Raising(UnknownDeliveryOutcome("read timeout after the request was sent"))
    report = dispatch(store.unit_of_work, notifier, T0)
    assert (report.dead, report.unknown, report.retried) == (1, 1, 0)
    message = _get(store, "M-1")
    assert message.status is OutboxStatus.DEAD
    assert message.last_error == REVIEW_PREFIX + "read timeout after the request was sent"
    later = dispatch(store.unit_of_work, notifier, T0 + timedelta(days=1))
    assert later.claimed == 0 and notifier.calls == 1


def test_recipients_refused_by_the_provider_are_reported_with_the_sent_message() -> None:
    store = _store("M-1", "M-2")

    class PartlyRefusing:
        def send(self, message: OutboxMessage) -> Delivery:
            refused = (("b@example.com", "550 5.1.1 no such user"),) if message.key == "M-1" else ()
            return Delivery(provider_message_id=f"id-{message.key}", refused=refused)

    report = dispatch(store.unit_of_work, PartlyRefusing(), T0)
    assert report.sent == 2
    assert report.refused == (("M-1", "b@example.com", "550 5.1.1 no such user"),)
    assert _get(store, "M-1").status is OutboxStatus.SENT
