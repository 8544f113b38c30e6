"""One notifier for every channel: routing, fallback and quiet hours.

:class:`RoutingNotifier` hands each outbox message to the transport of its channel
(EMAIL, SMS, WEBHOOK, LETTER, PHONE_TASK, ...). When the channel cannot reach the
customer it falls back to the next one: when the message has no recipient on it (no
mobile: e-mail instead), or when the transport's permanent failure says the address is
dead (a hard bounce, an unknown number). The order comes from the account's
preferences when given, else from the fallback table. With ``same_stage=``
(:func:`same_stage_from` reads the store), a fallback skips a channel on which the
message's stage already has its own message, so a stage sent by e-mail and SMS whose
e-mail bounces does not reach the customer twice by SMS.

SMS and phone calls keep quiet hours in the account's own timezone: by default from
08:00 to 20:00, Monday to Saturday, never on a public holiday of the account's country.
A message due in quiet hours is not dropped: the notifier raises
:class:`~dunning_core.errors.DeliveryDeferred` with the next allowed instant, and the
dispatcher schedules it then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Any, Final

import attrs

from dunning_core.domain.account import Account, Channel
from dunning_core.domain.calendar import BusinessCalendar, BusinessHours
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import (
    DeliveryDeferred,
    InvalidField,
    PermanentDeliveryError,
)
from dunning_core.ports import Clock, Notifier, UowFactory
from dunning_core.service.notices import recipient_for

__all__ = [
    "DEFAULT_FALLBACKS",
    "DEFAULT_SENDING_HOURS",
    "RoutingNotifier",
    "accounts_from",
    "country_calendar",
    "same_stage_from",
]

logger = logging.getLogger("dunning_core")

_MON_TO_SAT: Final = frozenset(range(6))

#: When each channel may reach a customer, in the customer's timezone; a channel not
#: listed may go at any time. Holidays of the account's calendar have no hours.
DEFAULT_SENDING_HOURS: Final[Mapping[Channel, BusinessHours]] = {
    Channel.SMS: BusinessHours(start=time(8), end=time(20), weekdays=_MON_TO_SAT),
    Channel.PHONE_TASK: BusinessHours(start=time(8), end=time(20), weekdays=_MON_TO_SAT),
}

#: Where a message goes when its channel cannot reach the customer.
DEFAULT_FALLBACKS: Final[Mapping[Channel, tuple[Channel, ...]]] = {
    Channel.SMS: (Channel.EMAIL,),
    Channel.PHONE_TASK: (Channel.SMS, Channel.EMAIL),
    Channel.WEBHOOK: (Channel.EMAIL,),
    Channel.EMAIL: (Channel.LETTER,),
    Channel.LETTER: (),
    Channel.REGISTERED_LETTER: (),
}


def accounts_from(uow_factory: UowFactory) -> Callable[[str], Account | None]:
    """An account look-up for :class:`RoutingNotifier`, reading the store."""

    def account(account_id: str) -> Account | None:
        with uow_factory() as uow:
            return uow.accounts.get(account_id)

    return account


def same_stage_from(uow_factory: UowFactory) -> Callable[[OutboxMessage], frozenset[Channel]]:
    """The channels on which a message's ladder stage already has another outbox
    message, read from the store, for ``RoutingNotifier(same_stage=...)``.

    A ladder stage with several channels fires one action per channel, each with its
    own outbox message keyed by the action's key. The history's action records of the
    message's key give its ladder, stages and day; the other actions of the account that
    fired one of those stages of that ladder on that day are its siblings, and the
    channels of their outbox messages are returned. A message that is not a ladder
    notice (no action record under its key) has no siblings.

    Args:
        uow_factory: Opens read units of work on the store.

    Returns:
        A callable: outbox message -> the sibling messages' channels.
    """

    def channels(message: OutboxMessage) -> frozenset[Channel]:
        with uow_factory() as uow:
            records = uow.history.actions_of([message.account_id]).get(message.account_id, ())
            fired = {
                (record.ladder, record.stage, record.fired_on)
                for record in records
                if record.key.partition("/")[0] == message.key and not record.skipped
            }
            siblings = {
                action
                for record in records
                if not record.skipped
                and (record.ladder, record.stage, record.fired_on) in fired
                and (action := record.key.partition("/")[0]) != message.key
            }
            found = (uow.outbox.get(action) for action in sorted(siblings))
            names = {sibling.channel for sibling in found if sibling is not None}
        return frozenset(known for known in Channel if known.value in names)

    return channels


def country_calendar(account: Account) -> BusinessCalendar | None:
    """The account's country's public holidays (``BusinessCalendar.for_country``), or
    ``None`` when it has no country or the ``holidays`` package does not know it (a
    warning is logged: quiet hours then keep only the weekdays)."""
    country = account.home_country
    if country is None:
        return None
    try:
        return _region_calendar(country, account.subdivision)
    except InvalidField as error:
        logger.warning("no public holidays for account %r: %s", account.id, error)
        return None


@lru_cache(maxsize=512)
def _region_calendar(country: str, subdivision: str | None) -> BusinessCalendar:
    # One value per region, so its cache of holidays by year serves every account there.
    return BusinessCalendar.for_country(country, subdivision)


def _channel(value: Any, field: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        choices = ", ".join(c.value for c in Channel)
        raise InvalidField(field, value, f"must be one of {choices}") from None


class RoutingNotifier:
    """A :class:`~dunning_core.ports.Notifier` that routes by channel.

    Args:
        transports: Channel -> the notifier that sends on it.
        accounts: Looks an account up by id (:func:`accounts_from` reads the store);
            needed for fallbacks and quiet hours.
        fallbacks: Channel -> the channels to try next, in order.
        preferences: The account's own order of channels, when it has one; it
            replaces ``fallbacks`` for that account.
        sending_hours: Channel -> when it may reach a customer, in the customer's
            timezone (``None`` or absent: any time).
        calendar_for: The holidays that have no sending hours for an account;
            :func:`country_calendar` by default.
        clock: The current time; the system clock by default.
        same_stage: Message -> the channels on which its stage already has another
            message (:func:`same_stage_from`); a fallback skips them. Asked only when
            a message falls back. ``None``: no channel is skipped for that reason.

    Raises:
        InvalidField: an unknown channel, or a transport that is not a notifier.
    """

    def __init__(
        self,
        transports: Mapping[Channel | str, Notifier],
        *,
        accounts: Callable[[str], Account | None],
        fallbacks: Mapping[Channel | str, Sequence[Channel | str]] = DEFAULT_FALLBACKS,  # type: ignore[assignment]
        preferences: Callable[[Account], Sequence[Channel | str]] | None = None,
        sending_hours: Mapping[Channel | str, BusinessHours | None] = DEFAULT_SENDING_HOURS,  # type: ignore[assignment]
        calendar_for: Callable[[Account], BusinessCalendar | None] = country_calendar,
        clock: Clock | None = None,
        same_stage: Callable[[OutboxMessage], Collection[Channel]] | None = None,
    ) -> None:
        self.transports: dict[Channel, Notifier] = {}
        for channel, transport in transports.items():
            if not callable(getattr(transport, "send", None)):
                raise InvalidField(
                    "RoutingNotifier.transports", transport, "must have a send(message) method"
                )
            self.transports[_channel(channel, "RoutingNotifier.transports")] = transport
        self.fallbacks = {
            _channel(channel, "RoutingNotifier.fallbacks"): tuple(
                _channel(item, "RoutingNotifier.fallbacks") for item in chain
            )
            for channel, chain in fallbacks.items()
        }
        self.sending_hours: dict[Channel, BusinessHours] = {}
        for channel, hours in sending_hours.items():
            if hours is None:
                continue
            if not isinstance(hours, BusinessHours):
                raise InvalidField("RoutingNotifier.sending_hours", hours, "must be BusinessHours")
            self.sending_hours[_channel(channel, "RoutingNotifier.sending_hours")] = hours
        self.accounts = accounts
        self.preferences = preferences
        self.calendar_for = calendar_for
        self.clock = clock
        self.same_stage = same_stage

    def _now(self) -> datetime:
        return datetime.now(UTC) if self.clock is None else self.clock.now()

    def candidates(self, channel: Channel, account: Account | None) -> tuple[Channel, ...]:
        """The channels tried for a message on ``channel``, in order."""
        if account is None:
            return (channel,)
        if self.preferences is not None:
            preferred = [_channel(c, "preferences") for c in self.preferences(account)]
            rest = [c for c in preferred if c is not channel]
        else:
            rest = list(self.fallbacks.get(channel, ()))
        ordered = [channel]
        for item in rest:
            if item not in ordered:
                ordered.append(item)
        return tuple(ordered)

    def _hold_for_quiet_hours(self, channel: Channel, account: Account | None) -> None:
        hours = self.sending_hours.get(channel)
        if hours is None or account is None:
            return
        now = self._now()
        calendar = self.calendar_for(account)
        opening = hours.next_opening(now, account.tz, calendar)
        if opening > now:
            raise DeliveryDeferred(
                f"{channel.value} quiet hours for account {account.id} "
                f"({account.timezone}); next allowed {opening.isoformat()}",
                not_before=opening,
            )

    def send(self, message: OutboxMessage) -> Delivery:
        """Send ``message`` on its channel, or on the next one that can reach the
        customer.

        Returns:
            The transport's delivery; ``channel`` is set when it went out on a fallback.

        Raises:
            DeliveryDeferred: the channel chosen is in quiet hours; try again then.
            TransientDeliveryError: the transport's, as it raised it.
            PermanentDeliveryError: no channel can reach the customer (every reason
                listed), or the transport's own when the address is not the problem.
        """
        channel = _channel(message.channel, "OutboxMessage.channel")
        account = self.accounts(message.account_id)
        failures: list[str] = []
        taken: Collection[Channel] | None = None
        for candidate in self.candidates(channel, account):
            transport = self.transports.get(candidate)
            if transport is None:
                failures.append(f"{candidate.value}: no transport configured")
                continue
            if candidate is not channel and self.same_stage is not None:
                if taken is None:
                    taken = self.same_stage(message)
                if candidate in taken:
                    failures.append(f"{candidate.value}: the stage has its own message on it")
                    continue
            if candidate is channel:
                recipient = message.recipient.strip()
            else:
                assert account is not None
                recipient = recipient_for(account, candidate)
            if not recipient:
                failures.append(f"{candidate.value}: no contact")
                continue
            self._hold_for_quiet_hours(candidate, account)
            routed = (
                message
                if candidate is channel
                else attrs.evolve(message, channel=candidate.value, recipient=recipient)
            )
            try:
                delivery = transport.send(routed)
            except PermanentDeliveryError as error:
                if not error.address_dead:
                    raise
                failures.append(f"{candidate.value}: {error.reason}")
                logger.info(
                    "message %r: %s address dead, trying the next channel", message.key, candidate
                )
                continue
            if candidate is channel:
                return delivery
            why = "; ".join(failures)
            note = f"fell back from {channel.value} to {candidate.value} ({why})"
            detail = f"{note}; {delivery.detail}" if delivery.detail else note
            return attrs.evolve(delivery, channel=candidate.value, detail=detail)
        who = message.account_id if account is not None else f"{message.account_id} (unknown)"
        raise PermanentDeliveryError(
            f"no channel reaches account {who}: " + "; ".join(failures), address_dead=True
        )
