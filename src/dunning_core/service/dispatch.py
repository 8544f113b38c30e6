"""Send the outbox: leases, retries with backoff and full jitter, dead letters.

:func:`dispatch` claims due messages in one short transaction, sends each outside any
transaction (a slow provider never holds the database), and records each outcome in
its own short transaction that succeeds only while the claim's lease token still holds.

Exactly once, and where it stops: a message is claimed by one dispatcher at a time
(the claim is atomic), a SENT message is never claimed again, and a dispatcher whose
lease lapsed and was taken over cannot record anything (fencing). What no outbox can
rule out is a crash after the provider accepted a message and before SENT was
committed: the message is then sent again once its lease expires, with the same
idempotency key (``message.key``), which providers use to drop the duplicate.

What notifiers may say besides "sent", "transient" and "permanent": a transient error
can carry the provider's ``Retry-After`` (the retry waits at least that long); a
:class:`~dunning_core.errors.DeliveryDeferred` schedules the message for the instant
it names (quiet hours) without counting as a failure; an
:class:`~dunning_core.errors.UnknownDeliveryOutcome` (the provider may have sent it)
moves the message to DEAD with a reason that asks for a review, never to a blind retry.

Two clocks: ``now`` is business time, what decides which messages are due and when a
retry comes due; a caller may fix it (a simulation, a replay, the demo). Leases are
real time: they are granted and checked against ``lease_clock`` (the system clock
unless ``now`` is itself a clock), so a batch that outlives its lease stops sending
even when ``now`` never moves, and a send starts only while ``lease_margin`` of the
lease is left.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import (
    DeliveryDeferred,
    InvalidField,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryOutcome,
)
from dunning_core.ports import Clock, Notifier, UnitOfWork, UowFactory
from dunning_core.service._uow import check_uow_factory

__all__ = ["REVIEW_PREFIX", "DispatchReport", "backoff_delay", "dispatch"]

logger = logging.getLogger("dunning_core")

_MICROSECOND = timedelta(microseconds=1)

#: How the dead-letter reason of a message whose outcome is unknown starts.
REVIEW_PREFIX = "unknown outcome, review before resending: "
_DEFERRED = "deferred: "


@attrs.frozen(kw_only=True)
class DispatchReport:
    """What one :func:`dispatch` call did.

    Attributes:
        claimed: Messages claimed (each is one delivery attempt).
        sent: Messages the provider accepted and that are now SENT.
        retried: Attempts that failed transiently and were scheduled again.
        dead: Messages moved to DEAD.
        fenced: Messages this call gave up on because their lease lapsed: either
            before their turn to be sent came (not sent), or during the send (the
            outcome is not recorded). Another claim takes them over.
        dead_letters: ``(key, reason)`` of each message moved to DEAD.
        deferred: Messages a notifier put off to a later instant (quiet hours); they
            are PENDING again, due then.
        unknown: Messages moved to DEAD because the provider may have sent them
            without saying so; their reason starts with :data:`REVIEW_PREFIX`.
        segments: SMS segments the provider accepted (from each
            :attr:`~dunning_core.domain.outbox.Delivery.segments`).
        refused: ``(key, recipient, reason)`` for each recipient a provider refused
            while it accepted the message for the others (the message is SENT).
    """

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    fenced: int = 0
    dead_letters: tuple[tuple[str, str], ...] = ()
    deferred: int = 0
    unknown: int = 0
    segments: int = 0
    refused: tuple[tuple[str, str, str], ...] = ()


def backoff_delay(
    attempt: int, *, base: timedelta, cap: timedelta, rng: random.Random
) -> timedelta:
    """Full-jitter backoff: uniform in ``(0, min(cap, base * 2**attempt)]``, whole µs.

    Args:
        attempt: The 0-based number of the attempt that failed (0 for the first).
        base: The delay bound after the first failure.
        cap: The largest delay bound.
        rng: The random source (seed it for reproducible tests).

    Returns:
        The delay, at least one microsecond, so a retry is never due at the instant
        it was scheduled.
    """
    base_us = base // _MICROSECOND
    cap_us = cap // _MICROSECOND
    bound = min(cap_us, base_us << attempt) if attempt < 64 else cap_us
    return timedelta(microseconds=rng.randint(1, max(bound, 1)))


def _check_positive(name: str, value: timedelta) -> None:
    if not isinstance(value, timedelta) or value < _MICROSECOND:
        raise InvalidField(name, value, "must be a timedelta of at least one microsecond")


def dispatch(
    uow_factory: UowFactory,
    notifier: Notifier,
    now: datetime | Clock,
    *,
    max_attempts: int = 8,
    base_delay: timedelta = timedelta(seconds=30),
    cap: timedelta = timedelta(hours=6),
    lease_for: timedelta = timedelta(minutes=5),
    batch_size: int = 100,
    rng: random.Random | None = None,
    lease_clock: Clock | None = None,
    lease_margin: timedelta | None = None,
) -> DispatchReport:
    """Send every outbox message due at ``now``.

    Each message is claimed under a lease, sent with its idempotency key, and then:
    marked SENT with the provider's id (and what it carried, when the notifier reports
    attachments); or, after a transient error, scheduled again
    after a full-jitter backoff (:func:`backoff_delay`); or, after a permanent error or
    a failed last attempt (attempt number ``max_attempts``), moved to DEAD with the
    reason. Any other exception from the notifier counts as transient (and is logged).
    A message whose lease expired while an earlier attempt was in flight and whose
    attempts are already used up goes to DEAD without another send.

    Args:
        uow_factory: Makes units of work on the store holding the outbox.
        notifier: Sends one message.
        now: The instant to dispatch at, or a clock read before each claim and after
            each send: business time, deciding what is due and when retries come
            due. With a fixed instant each message is attempted at most once per
            call (a retry is always scheduled after ``now``).
        max_attempts: Attempts before a message is dead-lettered.
        base_delay: Backoff bound after the first failure.
        cap: Largest backoff bound.
        lease_for: How long a claim stays exclusive, on the lease clock; keep it well
            above the time a batch takes to send. A message whose lease lapsed (or
            has less than ``lease_margin`` left) before its turn is not sent but
            left to the next claim.
        batch_size: Messages claimed per transaction.
        rng: Random source for the jitter; a fresh ``random.Random()`` by default.
        lease_clock: The clock leases are granted and checked against: ``now`` when
            it is a clock, else the system clock (UTC). Real time, even when ``now``
            is fixed, so leases see time pass.
        lease_margin: A send starts only while at least this much of its lease is
            left; a quarter of ``lease_for`` by default. Keep it above the longest a
            send may take: a send that outlives its lease may be sent again by the
            dispatcher that takes the message over (the idempotency key lets the
            provider drop that copy).

    Returns:
        What was done.

    Raises:
        InvalidField: a parameter is out of range, or ``now`` is naive.
        InvalidUnitOfWork: ``uow_factory`` is a unit of work, not the factory.
        StoreError: the store failed (messages claimed so far keep their leases and are
            taken over once those expire).
    """
    check_uow_factory(uow_factory)
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidField("max_attempts", max_attempts, "must be an int >= 1")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidField("batch_size", batch_size, "must be an int >= 1")
    for name, value in (("base_delay", base_delay), ("cap", cap), ("lease_for", lease_for)):
        _check_positive(name, value)
    margin = lease_for / 4 if lease_margin is None else lease_margin
    if not isinstance(margin, timedelta) or not timedelta(0) <= margin < lease_for:
        raise InvalidField("lease_margin", lease_margin, "must be a timedelta in [0, lease_for)")
    read_clock = _clock(now)
    if lease_clock is not None:
        read_lease_clock = _clock(lease_clock)
    elif isinstance(now, datetime):
        read_lease_clock = _system_now
    else:
        read_lease_clock = read_clock
    jitter = random.Random() if rng is None else rng

    claimed = sent = retried = dead = fenced = deferred = unknown = segments = 0
    dead_letters: list[tuple[str, str]] = []
    refused: list[tuple[str, str, str]] = []
    while True:
        with uow_factory() as uow:
            batch = uow.outbox.claim_due(
                read_clock(), batch_size, lease_for, lease_now=read_lease_clock()
            )
            uow.commit()
        if not batch:
            break
        claimed += len(batch)
        for message in batch:
            outcome, reason, delivery = _attempt(
                uow_factory,
                notifier,
                message,
                read_clock,
                read_lease_clock,
                margin,
                max_attempts=max_attempts,
                base_delay=base_delay,
                cap=cap,
                rng=jitter,
            )
            if outcome == "sent":
                sent += 1
                if delivery is not None:
                    segments += delivery.segments or 0
                    refused.extend((message.key, *pair) for pair in delivery.refused)
            elif outcome == "retried":
                retried += 1
            elif outcome == "deferred":
                deferred += 1
            elif outcome == "dead":
                dead += 1
                unknown += reason.startswith(REVIEW_PREFIX)
                dead_letters.append((message.key, reason))
            else:
                fenced += 1
    return DispatchReport(
        claimed=claimed,
        sent=sent,
        retried=retried,
        dead=dead,
        fenced=fenced,
        dead_letters=tuple(dead_letters),
        deferred=deferred,
        unknown=unknown,
        segments=segments,
        refused=tuple(refused),
    )


def _clock(now: datetime | Clock) -> Callable[[], datetime]:
    if isinstance(now, datetime):
        if now.utcoffset() is None:
            raise InvalidField("now", now, "must be a timezone-aware datetime")
        return lambda: now
    return now.now


def _system_now() -> datetime:
    # The default lease clock (what adapters.clock.SystemClock reads; the service layer
    # does not import adapters).
    return datetime.now(UTC)


def _attempt(
    uow_factory: UowFactory,
    notifier: Notifier,
    message: OutboxMessage,
    read_clock: Callable[[], datetime],
    read_lease_clock: Callable[[], datetime],
    margin: timedelta,
    *,
    max_attempts: int,
    base_delay: timedelta,
    cap: timedelta,
    rng: random.Random,
) -> tuple[str, str, Delivery | None]:
    key, token = message.key, message.lease_token
    assert token is not None  # claim_due always hands out a token
    expires = message.lease_expires_at

    def dead(reason: str) -> tuple[str, str, None]:
        return _complete(
            uow_factory, "dead", reason, lambda uow: uow.outbox.mark_dead(key, token, reason)
        )

    if expires is not None and read_lease_clock() > expires - margin:
        # Its turn came after the lease lapsed, or so close to it that the send could
        # outlive it (a slow batch): another dispatcher may hold it by then. Sending
        # could duplicate it; leave it to the next claim.
        return "fenced", "lease expired (or about to) before the send", None
    deferred_last = (message.last_error or "").startswith(_DEFERRED)
    if message.attempts > max_attempts and not deferred_last:
        # (A deferral reported back without trying: the message gets its real attempt.)
        return dead(f"attempts exhausted ({max_attempts}); the last one did not report back")
    try:
        delivery = notifier.send(message)
    except PermanentDeliveryError as error:
        return dead(f"permanent: {error.reason}")
    except UnknownDeliveryOutcome as error:
        logger.warning("message %r: the provider may have sent it; marked for review", key)
        return dead(REVIEW_PREFIX + error.reason)
    except DeliveryDeferred as error:
        at = max(error.not_before, read_clock() + _MICROSECOND)
        reason = _DEFERRED + error.reason
        return _complete(
            uow_factory,
            "deferred",
            reason,
            lambda uow: uow.outbox.schedule_retry(key, token, at, reason),
        )
    except Exception as error:
        retry_after: timedelta | None = None
        if isinstance(error, TransientDeliveryError):
            reason = f"transient: {error.reason}"
            retry_after = error.retry_after
        else:
            logger.exception("notifier raised an unexpected error for message %r", key)
            reason = f"unexpected: {error!r}"
        if message.attempts >= max_attempts:
            return dead(f"attempts exhausted ({max_attempts}); last error {reason}")
        delay = backoff_delay(message.attempts - 1, base=base_delay, cap=cap, rng=rng)
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        at = read_clock() + delay
        return _complete(
            uow_factory,
            "retried",
            reason,
            lambda uow: uow.outbox.schedule_retry(key, token, at, reason),
        )
    provider_id = delivery.provider_message_id
    at = read_clock()
    for recipient, why in delivery.refused:
        logger.warning("message %r: recipient %r refused: %s", key, recipient, why)
    carried = delivery.attachments

    def sent(uow: UnitOfWork) -> bool:
        if not carried:  # stores written before 0.3 need not know the keyword
            return uow.outbox.mark_sent(key, token, provider_id, at)
        return uow.outbox.mark_sent(key, token, provider_id, at, attachments=carried)

    outcome, reason, _ = _complete(uow_factory, "sent", "", sent)
    return outcome, reason, delivery


def _complete(
    uow_factory: UowFactory,
    outcome: str,
    reason: str,
    record: Callable[[UnitOfWork], bool],
) -> tuple[str, str, None]:
    with uow_factory() as uow:
        held = record(uow)
        uow.commit()
    if not held:
        logger.warning("lease lost before recording %s; another dispatcher holds it", outcome)
        return "fenced", reason, None
    return outcome, reason, None
