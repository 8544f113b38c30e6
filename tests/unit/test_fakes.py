"""The test fakes behave as documented."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Account
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.errors import InvalidField, PermanentDeliveryError, TransientDeliveryError
from dunning_core.testing.fakes import (
    PERMANENT,
    TRANSIENT,
    FaultInjector,
    FixedClock,
    InjectedFault,
    RecordingNotifier,
    ScriptedNotifier,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _message(key: str) -> OutboxMessage:
    return OutboxMessage.new(
        key=key,
        account_id="A-1",
        channel="EMAIL",
        recipient="x@example.com",
        subject="s",
        body="b\nc",
        created_at=T0,
    )


def test_fixed_clock_is_set_and_advanced() -> None:
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(timedelta(hours=2)) == T0 + timedelta(hours=2)
    clock.set(T0 - timedelta(days=1))
    assert clock.now() == T0 - timedelta(days=1)
    with pytest.raises(InvalidField):
        FixedClock(datetime(2026, 1, 1))


@pytest.mark.parametrize("to_file", [False, True])
def test_recording_notifier_records_every_call(tmp_path: Path, to_file: bool) -> None:
    notifier = RecordingNotifier(tmp_path / "log.jsonl" if to_file else None)
    first = notifier.send(_message("k-1"))
    notifier.send(_message("k-1"))
    notifier.send(_message("k-2"))
    assert notifier.keys() == ["k-1", "k-1", "k-2"]
    assert notifier.deliveries[0].body == "b\nc"
    assert first.provider_message_id == notifier.deliveries[0].provider_message_id
    copy = pickle.loads(pickle.dumps(notifier))
    assert copy.keys() == notifier.keys()


def test_scripted_notifier_follows_the_script_then_the_default() -> None:
    notifier = ScriptedNotifier({"k": [TRANSIENT, PERMANENT]}, default=TRANSIENT)
    with pytest.raises(TransientDeliveryError):
        notifier.send(_message("k"))
    with pytest.raises(PermanentDeliveryError):
        notifier.send(_message("k"))
    with pytest.raises(TransientDeliveryError):
        notifier.send(_message("k"))
    ok = ScriptedNotifier({"k": ScriptedNotifier.success_after(1)})
    with pytest.raises(TransientDeliveryError):
        ok.send(_message("k"))
    assert ok.send(_message("k")).provider_message_id
    assert ok.send(_message("other")).provider_message_id
    assert ok.calls == ["k", "k", "other"]
    assert ok.delivered == ["k", "other"]
    with pytest.raises(InvalidField):
        ScriptedNotifier({"k": ["maybe"]})


def _write_twice(factory: FaultInjector) -> None:
    with factory() as uow:
        uow.accounts.add(Account(id="A-1", name="x", currency="EUR"))
        uow.accounts.count()  # a read: not counted
        uow.accounts.add(Account(id="A-2", name="x", currency="EUR"))
        uow.commit()


def test_fault_injector_fails_at_the_nth_write_before_writing() -> None:
    store = MemoryStore()
    injector = FaultInjector(store.unit_of_work, fail_at=2)
    with pytest.raises(InjectedFault):
        _write_twice(injector)
    assert injector.failed_on == "accounts.add"
    with store.unit_of_work() as uow:
        assert uow.accounts.count() == 0  # the crashed unit of work left nothing


def test_fault_injector_at_a_commit_fails_after_committing() -> None:
    store = MemoryStore()
    injector = FaultInjector(store.unit_of_work, fail_at=3)
    with pytest.raises(InjectedFault):
        _write_twice(injector)
    assert injector.failed_on == "commit"
    with store.unit_of_work() as uow:
        assert uow.accounts.count() == 2


def test_fault_injector_counts_only_the_stores_asked_and_fails_once() -> None:
    store = MemoryStore()
    injector = FaultInjector(store.unit_of_work, fail_at=None, stores={"outbox"})
    _write_twice(injector)
    assert injector.writes == 1  # only the commit
    assert not injector.tripped
    once = FaultInjector(store.unit_of_work, fail_at=1, count_commits=False)
    with pytest.raises(InjectedFault):
        _write_twice(once)
    _write_twice(once)
    assert once.writes == 3  # the failed write, then both writes of the rerun
