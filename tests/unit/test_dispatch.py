"""dispatch(): leases, retries with full-jitter backoff, dead letters, fencing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Account
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.errors import InvalidField
from dunning_core.service.dispatch import backoff_delay, dispatch
from dunning_core.testing.fakes import (
    PERMANENT,
    TRANSIENT,
    FixedClock,
    RecordingNotifier,
    ScriptedNotifier,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BASE = timedelta(seconds=30)
CAP = timedelta(hours=6)
LEASE = timedelta(minutes=5)


def _store(*keys: str) -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages(
            OutboxMessage.new(
                key=key,
                account_id="A-1",
                channel="EMAIL",
                recipient="billing@example.com",
                subject="Reminder",
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


def _run_until_settled(
    store: MemoryStore, notifier: ScriptedNotifier, *, max_attempts: int, seed: int = 0
) -> int:
    """Dispatch, jumping the clock to each retry, until nothing is pending; return rounds."""
    rng = random.Random(seed)
    now = T0
    for rounds in range(1, 100):
        dispatch(store.unit_of_work, notifier, now, max_attempts=max_attempts, rng=rng)
        with store.unit_of_work() as uow:
            pending = [
                m
                for m in uow.outbox.messages_of(["A-1"])["A-1"]
                if m.status is OutboxStatus.PENDING
            ]
        if not pending:
            return rounds
        now = max(m.next_attempt_at for m in pending)
    raise AssertionError("dispatch never settled")


def test_a_delivered_message_is_sent_once_with_the_provider_id() -> None:
    store = _store("M-1", "M-2")
    notifier = RecordingNotifier()
    report = dispatch(store.unit_of_work, notifier, T0)
    assert (report.claimed, report.sent, report.retried, report.dead) == (2, 2, 0, 0)
    sent = _get(store, "M-1")
    assert sent.status is OutboxStatus.SENT
    assert sent.provider_message_id == notifier.deliveries[0].provider_message_id
    assert sent.sent_at == T0
    later = dispatch(store.unit_of_work, notifier, T0 + timedelta(days=30))
    assert later.claimed == 0
    assert sorted(notifier.keys()) == ["M-1", "M-2"]


@given(failures=st.integers(0, 10), max_attempts=st.integers(1, 8))
def test_success_after_k_failures_or_dead_after_exactly_max_attempts(
    failures: int, max_attempts: int
) -> None:
    store = _store("M-1")
    notifier = ScriptedNotifier({"M-1": ScriptedNotifier.success_after(failures)})
    _run_until_settled(store, notifier, max_attempts=max_attempts)
    message = _get(store, "M-1")
    if failures < max_attempts:
        assert message.status is OutboxStatus.SENT
        assert notifier.calls == ["M-1"] * (failures + 1)
        assert notifier.delivered == ["M-1"]
    else:
        assert message.status is OutboxStatus.DEAD
        assert notifier.calls == ["M-1"] * max_attempts
        assert message.last_error is not None
        assert "attempts exhausted" in message.last_error
    assert message.attempts == len(notifier.calls)
    # Whatever happens next, a final message is never sent again.
    dispatch(store.unit_of_work, notifier, T0 + timedelta(days=365), max_attempts=max_attempts)
    assert len(notifier.calls) == message.attempts


def test_a_permanent_error_dead_letters_at_once() -> None:
    store = _store("M-1", "M-2")
    notifier = ScriptedNotifier({"M-1": [PERMANENT]})
    report = dispatch(store.unit_of_work, notifier, T0)
    assert (report.sent, report.dead) == (1, 1)
    assert report.dead_letters == (("M-1", "permanent: scripted permanent failure"),)
    dead = _get(store, "M-1")
    assert (dead.status, dead.attempts) == (OutboxStatus.DEAD, 1)
    assert dead.last_error == "permanent: scripted permanent failure"


@given(
    seed=st.integers(0, 2**32),
    base_s=st.integers(1, 120),
    cap_s=st.integers(1, 4 * 3600),
    max_attempts=st.integers(2, 10),
)
def test_every_retry_delay_is_within_the_full_jitter_bound(
    seed: int, base_s: int, cap_s: int, max_attempts: int
) -> None:
    base, cap = timedelta(seconds=base_s), timedelta(seconds=cap_s)
    store = _store("M-1")
    notifier = ScriptedNotifier(default=TRANSIENT)
    rng = random.Random(seed)
    now = T0
    for attempt in range(max_attempts - 1):
        report = dispatch(
            store.unit_of_work,
            notifier,
            now,
            max_attempts=max_attempts,
            base_delay=base,
            cap=cap,
            rng=rng,
        )
        assert report.retried == 1
        message = _get(store, "M-1")
        delay = message.next_attempt_at - now
        assert timedelta(0) < delay <= min(cap, base * 2**attempt)
        now = message.next_attempt_at
    report = dispatch(
        store.unit_of_work,
        notifier,
        now,
        max_attempts=max_attempts,
        base_delay=base,
        cap=cap,
        rng=rng,
    )
    assert report.dead == 1
    assert len(notifier.calls) == max_attempts


@given(attempt=st.integers(0, 200), seed=st.integers(0, 2**32))
def test_backoff_delay_stays_within_its_bound(attempt: int, seed: int) -> None:
    delay = backoff_delay(attempt, base=BASE, cap=CAP, rng=random.Random(seed))
    bound = CAP if attempt >= 20 else min(CAP, BASE * 2**attempt)
    assert timedelta(0) < delay <= bound


def test_backoff_delay_spreads_over_the_whole_interval() -> None:
    # Full jitter, not "equal jitter": draws land near zero as well as near the bound.
    rng = random.Random(7)
    draws = [backoff_delay(3, base=BASE, cap=CAP, rng=rng) for _ in range(400)]
    bound = BASE * 8
    assert min(draws) < bound / 10
    assert max(draws) > bound * 9 / 10


def test_the_same_seed_gives_the_same_schedule() -> None:
    schedules = []
    for _ in range(2):
        store = _store("M-1", "M-2")
        dispatch(store.unit_of_work, ScriptedNotifier(default=TRANSIENT), T0, rng=random.Random(3))
        schedules.append([_get(store, k).next_attempt_at for k in ("M-1", "M-2")])
    assert schedules[0] == schedules[1]


class _TakenOverMidSend:
    """A notifier during whose send the lease lapses and another dispatcher claims."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.sent: list[str] = []
        self.new_tokens: list[str | None] = []

    def send(self, message: OutboxMessage) -> Delivery:
        self.sent.append(message.key)
        with self.store.unit_of_work() as uow:  # the other dispatcher, after the lease
            (taken,) = uow.outbox.claim_due(T0 + LEASE, 10, LEASE)
            uow.commit()
        self.new_tokens.append(taken.lease_token)
        return Delivery(provider_message_id="prov-late")


def test_a_stalled_dispatcher_cannot_complete_a_message_taken_over() -> None:
    store = _store("M-1")
    notifier = _TakenOverMidSend(store)
    report = dispatch(store.unit_of_work, notifier, T0, lease_for=LEASE, lease_clock=FixedClock(T0))
    assert (report.sent, report.fenced) == (0, 1)
    message = _get(store, "M-1")
    assert message.status is OutboxStatus.SENDING
    assert message.lease_token == notifier.new_tokens[0]
    assert message.provider_message_id is None


def test_an_unexpected_notifier_error_counts_as_transient() -> None:
    class Broken:
        def send(self, message: OutboxMessage) -> Delivery:
            raise ValueError("bug in a notifier")

    store = _store("M-1")
    report = dispatch(store.unit_of_work, Broken(), T0)
    assert report.retried == 1
    message = _get(store, "M-1")
    assert message.status is OutboxStatus.PENDING
    assert message.last_error is not None
    assert "bug in a notifier" in message.last_error


def test_a_lost_last_attempt_is_dead_lettered_without_another_send() -> None:
    store = _store("M-1")
    with store.unit_of_work() as uow:  # a dispatcher claims its last attempt and dies
        uow.outbox.claim_due(T0, 10, LEASE)
        uow.commit()
    notifier = RecordingNotifier()
    report = dispatch(store.unit_of_work, notifier, T0 + LEASE, max_attempts=1)
    assert report.dead == 1
    assert notifier.keys() == []
    assert _get(store, "M-1").status is OutboxStatus.DEAD


def test_a_clock_is_read_for_each_claim_and_outcome() -> None:
    store = _store("M-1")
    clock = FixedClock(T0)

    class Slow:
        def send(self, message: OutboxMessage) -> Delivery:
            clock.advance(timedelta(seconds=2))
            return Delivery(provider_message_id="p")

    dispatch(store.unit_of_work, Slow(), clock)
    assert _get(store, "M-1").sent_at == T0 + timedelta(seconds=2)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("now", {"now": datetime(2026, 3, 2, 8, 0)}),
        ("max_attempts", {"max_attempts": 0}),
        ("batch_size", {"batch_size": 0}),
        ("base_delay", {"base_delay": timedelta(0)}),
        ("lease_for", {"lease_for": timedelta(seconds=-1)}),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(name: str, kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"now": T0, **kwargs}
    with pytest.raises(InvalidField) as raised:
        dispatch(_store().unit_of_work, RecordingNotifier(), **arguments)  # type: ignore[arg-type]
    assert raised.value.field == name


def test_a_message_whose_lease_lapsed_before_its_turn_is_not_sent_by_that_batch() -> None:
    store = _store("M-1", "M-2")
    clock = FixedClock(T0)

    class SlowFirst:
        def __init__(self) -> None:
            self.calls: list[tuple[str, int]] = []

        def send(self, message: OutboxMessage) -> Delivery:
            self.calls.append((message.key, message.attempts))
            if len(self.calls) == 1:
                clock.advance(LEASE)  # the batch's other lease lapses meanwhile
            return Delivery(provider_message_id="p")

    notifier = SlowFirst()
    report = dispatch(store.unit_of_work, notifier, clock, lease_for=LEASE)
    # M-2 was skipped by the first batch, re-claimed (attempt 2) and sent once.
    assert notifier.calls == [("M-1", 1), ("M-2", 2)]
    assert (report.claimed, report.sent, report.fenced) == (3, 2, 1)
    assert _get(store, "M-2").status is OutboxStatus.SENT
