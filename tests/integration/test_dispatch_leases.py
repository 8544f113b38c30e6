"""Issue 15, case 2: ``dispatch`` given a fixed ``now`` checks leases against a clock.

On main, with a fixed ``now`` (how the docs and the demo call it) the lease check
before each send never saw time pass: a batch that outlived its lease kept sending
while a second dispatcher, which claimed the expired leases, sent the same messages
(50 of 485 sent twice with a 2 s lease and 30 ms per send). Now ``now`` only says what
is due; leases are granted and checked against ``lease_clock`` (the system clock by
default), and a send starts only while ``lease_margin`` of the lease is left.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dunning_core.adapters.clock import SystemClock
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Account
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.ports import UowFactory
from dunning_core.service.dispatch import DispatchReport, dispatch
from dunning_core.testing.fakes import FixedClock, RecordingNotifier

# The business time the caller dispatches at: far from the machine's clock on purpose.
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _seed(uow_factory: UowFactory, count: int) -> list[str]:
    keys = [f"M-{k:04d}" for k in range(count)]
    with uow_factory() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages(
            OutboxMessage.new(
                key=key,
                account_id="A-1",
                channel="EMAIL",
                recipient="billing@example.com",
                subject="Reminder",
                body=f"Body of {key}",
                created_at=T0 - timedelta(hours=1),
            )
            for key in keys
        )
        uow.commit()
    return keys


def test_two_dispatchers_with_a_fixed_now_never_send_a_message_twice(tmp_path: Path) -> None:
    # The reproduction, scaled down: a 1 s lease, 30 ms per send, a batch of 60
    # (1.8 s of sending). The second dispatcher starts once the first one's leases have
    # expired, with its own fixed now, as a cron job would.
    store = SqliteStore(tmp_path / "outbox.sqlite3")
    keys = _seed(store.unit_of_work, 60)
    notifier = RecordingNotifier(pause=0.03)
    lease = timedelta(seconds=1)
    reports: list[DispatchReport] = []

    def run(now: datetime) -> None:
        reports.append(dispatch(store.unit_of_work, notifier, now, lease_for=lease, batch_size=60))

    first = threading.Thread(target=run, args=(T0,))
    first.start()
    time.sleep(1.1)
    second = threading.Thread(target=run, args=(T0 + timedelta(minutes=1),))
    second.start()
    first.join()
    second.join()

    sent_twice = [key for key, n in Counter(notifier.keys()).items() if n > 1]
    assert sent_twice == []
    assert sum(r.fenced for r in reports) >= 1  # the first dispatcher stopped in time

    # What was left under a lease is taken over once that lease expires.
    deadline = time.monotonic() + 15
    while store.unit_of_work and time.monotonic() < deadline:
        dispatch(store.unit_of_work, notifier, SystemClock(), lease_for=lease)
        with store.unit_of_work(read_only=True) as uow:
            if uow.outbox.counts()[OutboxStatus.SENT] == len(keys):
                break
        time.sleep(0.2)
    assert sorted(notifier.keys()) == keys  # every message, each exactly once
    store.close()


class _SlowNotifier:
    """Each send takes ``step`` on the lease clock."""

    def __init__(self, clock: FixedClock, step: timedelta) -> None:
        self.clock = clock
        self.step = step
        self.keys: list[str] = []

    def send(self, message: OutboxMessage) -> Delivery:
        self.clock.advance(self.step)
        self.keys.append(message.key)
        return Delivery(provider_message_id=f"p-{message.key}")


def test_leases_follow_the_lease_clock_not_the_fixed_now() -> None:
    store = MemoryStore()
    keys = _seed(store.unit_of_work, 10)
    leases = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))
    notifier = _SlowNotifier(leases, timedelta(seconds=30))
    report = dispatch(
        store.unit_of_work,
        notifier,
        T0,
        lease_clock=leases,
        lease_for=timedelta(minutes=2),
        lease_margin=timedelta(seconds=30),
        batch_size=10,
    )
    # Sends start at 0, 30, 60 and 90 s of a 2-minute lease; at 120 s less than the
    # margin is left: the other six wait. Their leases lapse at once on the lease
    # clock, so the next claim of this call takes them (four sent, two wait again),
    # and the next the last two. `now` stayed at T0 throughout.
    assert notifier.keys == keys  # each once, in order
    assert (report.sent, report.fenced, report.claimed) == (10, 8, 18)


def test_the_default_lease_clock_is_the_system_clock_when_now_is_fixed() -> None:
    store = MemoryStore()
    keys = _seed(store.unit_of_work, 5)
    notifier = RecordingNotifier(pause=0.12)
    before = datetime.now(UTC)
    report = dispatch(
        store.unit_of_work, notifier, T0, lease_for=timedelta(milliseconds=300), batch_size=5
    )
    # 300 ms leases, a quarter of them kept as margin: two sends fit, the rest wait.
    assert 1 <= report.sent <= 2
    assert report.sent + report.fenced == len(keys)
    with store.unit_of_work() as uow:
        held = [m for m in map(uow.outbox.get, keys) if m and m.status is OutboxStatus.SENDING]
    assert held
    for message in held:
        assert message.lease_expires_at is not None
        assert message.lease_expires_at >= before  # granted on the machine's clock, not T0


def test_a_clock_as_now_also_judges_the_leases() -> None:
    store = MemoryStore()
    keys = _seed(store.unit_of_work, 4)
    clock = FixedClock(T0)
    notifier = _SlowNotifier(clock, timedelta(minutes=2))
    report = dispatch(store.unit_of_work, notifier, clock, lease_for=timedelta(minutes=5))
    # 5-minute leases with 75 s of margin: sends at 0 and 2 min; at 4 min only 1 is left.
    assert notifier.keys == keys[:2]
    assert report.fenced == 2
