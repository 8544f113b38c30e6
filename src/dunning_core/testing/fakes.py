"""Hand-written fakes for tests: a clock you set, notifiers that record or follow a
script, and a unit-of-work wrapper that crashes at the Nth write.

>>> from datetime import datetime, timedelta, timezone
>>> clock = FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc))
>>> clock.advance(timedelta(days=1)).day
2
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, cast

import attrs

from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import InvalidField, PermanentDeliveryError, TransientDeliveryError
from dunning_core.ports import (
    AccountStore,
    CheckpointStore,
    FactsStore,
    HistoryStore,
    LedgerStore,
    OutboxStore,
    ReviewStore,
    UnitOfWork,
    UowFactory,
)

__all__ = [
    "PERMANENT",
    "SUCCESS",
    "TRANSIENT",
    "WRITE_METHODS",
    "FaultInjector",
    "FixedClock",
    "InjectedFault",
    "RecordedDelivery",
    "RecordingNotifier",
    "ScriptedNotifier",
]


class FixedClock:
    """A :class:`~dunning_core.ports.Clock` that only moves when told.

    Args:
        now: The starting instant (timezone-aware).

    Raises:
        InvalidField: ``now`` is naive.
    """

    def __init__(self, now: datetime) -> None:
        self._now = _aware(now)

    def now(self) -> datetime:
        """The instant the clock is set to."""
        return self._now

    def set(self, now: datetime) -> None:
        """Move the clock to ``now`` (backwards too: tests may need it)."""
        self._now = _aware(now)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new instant."""
        self._now = self._now + delta
        return self._now


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidField("now", value, "must be a timezone-aware datetime")
    return value


def _provider_id(key: str) -> str:
    # Deterministic, like a provider that deduplicates on the idempotency key.
    return "rec-" + hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@attrs.frozen(kw_only=True)
class RecordedDelivery:
    """One call to :meth:`RecordingNotifier.send`."""

    key: str
    account_id: str
    channel: str
    recipient: str
    subject: str
    body: str
    provider_message_id: str
    pid: int


class RecordingNotifier:
    """A notifier that accepts every message and records each call, duplicates included.

    In memory by default. With ``path``, each delivery is appended to that file as one
    JSON line with a single ``O_APPEND`` write, so several processes can share it (the
    notifier pickles as its path); :attr:`deliveries` reads the file back.

    Args:
        path: A file to record to, or ``None`` to record in memory.
        pause: Seconds each send takes (lets concurrent dispatchers overlap in tests).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, pause: float = 0.0) -> None:
        self.path = None if path is None else Path(path)
        self.pause = pause
        self._memory: list[RecordedDelivery] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "pause": self.pause, "memory": list(self._memory)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self.pause = state["pause"]
        self._memory = state["memory"]
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage) -> Delivery:
        """Record ``message`` and report it delivered."""
        if self.pause:
            time.sleep(self.pause)
        record = RecordedDelivery(
            key=message.key,
            account_id=message.account_id,
            channel=message.channel,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            provider_message_id=_provider_id(message.key),
            pid=os.getpid(),
        )
        if self.path is None:
            with self._lock:
                self._memory.append(record)
        else:
            line = json.dumps(attrs.asdict(record), ensure_ascii=True) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("ascii"))
            finally:
                os.close(fd)
        return Delivery(provider_message_id=record.provider_message_id)

    @property
    def deliveries(self) -> list[RecordedDelivery]:
        """Every recorded call, in the order recorded."""
        if self.path is None:
            with self._lock:
                return list(self._memory)
        if not self.path.exists():
            return []
        with self.path.open(encoding="ascii") as lines:
            return [RecordedDelivery(**json.loads(line)) for line in lines if line.strip()]

    def keys(self) -> list[str]:
        """The idempotency keys of every recorded call, in order."""
        return [d.key for d in self.deliveries]


#: Script outcomes for :class:`ScriptedNotifier`.
SUCCESS: Final = "ok"
TRANSIENT: Final = "transient"
PERMANENT: Final = "permanent"


class ScriptedNotifier:
    """A notifier whose answer for each message key follows a script.

    ``script[key]`` lists the outcomes of successive sends of that key (``SUCCESS``,
    ``TRANSIENT`` or ``PERMANENT``); once the list is used up, or for keys without a
    script, ``default`` applies.

    >>> notifier = ScriptedNotifier({"k": ScriptedNotifier.success_after(2)})
    >>> notifier.script["k"]
    ('transient', 'transient', 'ok')

    Attributes:
        calls: Every key sent, in order.
        delivered: Keys whose send succeeded, in order.
    """

    def __init__(
        self, script: Mapping[str, Sequence[str]] | None = None, *, default: str = SUCCESS
    ) -> None:
        self.script = {key: tuple(outcomes) for key, outcomes in (script or {}).items()}
        for outcomes in (*self.script.values(), (default,)):
            for outcome in outcomes:
                if outcome not in (SUCCESS, TRANSIENT, PERMANENT):
                    raise InvalidField(
                        "script", outcome, "must be 'ok', 'transient' or 'permanent'"
                    )
        self.default = default
        self.calls: list[str] = []
        self.delivered: list[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def success_after(failures: int) -> tuple[str, ...]:
        """A script of ``failures`` transient errors, then success."""
        return (TRANSIENT,) * failures + (SUCCESS,)

    def send(self, message: OutboxMessage) -> Delivery:
        """Answer as scripted for ``message.key``.

        Raises:
            TransientDeliveryError: the script says ``"transient"``.
            PermanentDeliveryError: the script says ``"permanent"``.
        """
        with self._lock:
            attempt = self.calls.count(message.key)
            self.calls.append(message.key)
            outcomes = self.script.get(message.key, ())
            outcome = outcomes[attempt] if attempt < len(outcomes) else self.default
            if outcome == SUCCESS:
                self.delivered.append(message.key)
        if outcome == TRANSIENT:
            raise TransientDeliveryError(f"scripted transient failure #{attempt + 1}")
        if outcome == PERMANENT:
            raise PermanentDeliveryError("scripted permanent failure")
        return Delivery(provider_message_id=_provider_id(message.key))


class InjectedFault(RuntimeError):
    """The crash :class:`FaultInjector` simulates. Deliberately not a DunningError, so
    no library code mistakes it for bad data and carries on."""


#: The methods of each store that write, as :class:`FaultInjector` counts them.
WRITE_METHODS: Final[Mapping[str, frozenset[str]]] = {
    "accounts": frozenset({"add", "add_many"}),
    "ledger": frozenset(
        {
            "add_invoices",
            "add_credit_notes",
            "add_payment",
            "set_payment_status",
            "add_allocations",
            "remove_allocations_of_source",
            "add_advice",
        }
    ),
    "facts": frozenset({"add_promise", "add_dispute", "add_proceeding", "add_hold"}),
    "history": frozenset(
        {"add_actions", "put_suspension_states", "put_credit_alert_states", "add_events"}
    ),
    "outbox": frozenset({"add_messages", "claim_due", "mark_sent", "schedule_retry", "mark_dead"}),
    "checkpoints": frozenset({"put"}),
    "reviews": frozenset({"mark", "mark_all", "schedule", "put_basis"}),
}


class FaultInjector:
    """A ``UowFactory`` wrapper that simulates a crash at the Nth write.

    Writes are the store methods in :data:`WRITE_METHODS` (of the stores named in
    ``stores``, every store by default) and ``commit()``, counted from 1 across every
    unit of work the wrapper makes. At write number ``fail_at`` it raises
    :class:`InjectedFault` instead of writing; when that write is a ``commit()``, the
    commit happens first and the fault follows it (a crash right after a durable
    commit, before the caller knows). It fails once; later writes pass through.

    Args:
        uow_factory: The factory to wrap.
        fail_at: The write to fail at (1-based), or ``None`` to only count.
        stores: The stores whose writes count (``{"outbox"}``); all by default.
        count_commits: Whether ``commit()`` counts as a write.

    Attributes:
        writes: Writes seen so far.
        failed_on: ``"store.method"`` or ``"commit"`` once the fault fired.
    """

    def __init__(
        self,
        uow_factory: UowFactory,
        *,
        fail_at: int | None,
        stores: Collection[str] | None = None,
        count_commits: bool = True,
    ) -> None:
        self._factory = uow_factory
        self.fail_at = fail_at
        self.stores = frozenset(WRITE_METHODS if stores is None else stores)
        self.count_commits = count_commits
        self.writes = 0
        self.failed_on: str | None = None
        self._lock = threading.Lock()

    @property
    def tripped(self) -> bool:
        """True once the fault has fired."""
        return self.failed_on is not None

    def __call__(self) -> UnitOfWork:
        """A unit of work of the wrapped factory whose writes are counted."""
        return _FaultyUnitOfWork(self._factory(), self)

    def _step(self, what: str) -> bool:
        """Count one write; True when it is the one to fail."""
        with self._lock:
            self.writes += 1
            if self.failed_on is None and self.writes == self.fail_at:
                self.failed_on = what
                return True
            return False


class _FaultyStore:
    def __init__(self, inner: object, name: str, injector: FaultInjector) -> None:
        self._inner = inner
        self._name = name
        self._injector = injector

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._inner, attribute)
        injector = self._injector
        if self._name not in injector.stores or attribute not in WRITE_METHODS[self._name]:
            return value
        what = f"{self._name}.{attribute}"

        def write(*args: Any, **kwargs: Any) -> Any:
            if injector._step(what):
                raise InjectedFault(f"injected crash at write {injector.writes} ({what})")
            return value(*args, **kwargs)

        return write


class _FaultyUnitOfWork:
    def __init__(self, inner: UnitOfWork, injector: FaultInjector) -> None:
        self._inner = inner
        self._injector = injector
        self.accounts = cast(AccountStore, _FaultyStore(inner.accounts, "accounts", injector))
        self.ledger = cast(LedgerStore, _FaultyStore(inner.ledger, "ledger", injector))
        self.facts = cast(FactsStore, _FaultyStore(inner.facts, "facts", injector))
        self.history = cast(HistoryStore, _FaultyStore(inner.history, "history", injector))
        self.outbox = cast(OutboxStore, _FaultyStore(inner.outbox, "outbox", injector))
        self.checkpoints = cast(
            CheckpointStore, _FaultyStore(inner.checkpoints, "checkpoints", injector)
        )
        self.reviews = cast(ReviewStore, _FaultyStore(inner.reviews, "reviews", injector))

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        fail = self._injector.count_commits and self._injector._step("commit")
        self._inner.commit()
        if fail:
            raise InjectedFault(f"injected crash after commit (write {self._injector.writes})")

    def rollback(self) -> None:
        self._inner.rollback()
