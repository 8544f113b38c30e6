"""RoutingNotifier: channel routing, fallbacks (no contact, dead address), preferences,
and quiet hours in the account's timezone with its country's public holidays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dunning_core import Account, Contact, PostalAddress
from dunning_core.adapters.notify.routing import RoutingNotifier
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Channel
from dunning_core.domain.calendar import BusinessHours
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.errors import (
    DeliveryDeferred,
    InvalidField,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from dunning_core.service.dispatch import dispatch
from dunning_core.testing.fakes import FixedClock

NOUMEA = ZoneInfo("Pacific/Noumea")
ADDRESS = PostalAddress(
    recipient="Lagon SARL",
    lines=("1 rue de l'Alma",),
    postal_code="98800",
    city="Nouméa",
    country="NC",
)
ACCOUNT = Account(
    id="A-1",
    name="Lagon SARL",
    currency="XPF",
    timezone="Pacific/Noumea",
    country="NC",
    contacts=[Contact(email="compta@lagon.example", mobile="75 12 34", postal_address=ADDRESS)],
)
NO_MOBILE = Account(
    id="A-2",
    name="Sans mobile",
    currency="XPF",
    timezone="Pacific/Noumea",
    country="NC",
    contacts=[Contact(email="ap@sans.example")],
)
ACCOUNTS = {account.id: account for account in (ACCOUNT, NO_MOBILE)}
# Tuesday 3 March 2026, 10:00 in Nouméa (UTC+11).
MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=NOUMEA)


class Transport:
    """A fake transport that records what it is given and answers from ``outcome``."""

    def __init__(self, outcome: Callable[[OutboxMessage], Delivery] | None = None) -> None:
        self.sent: list[OutboxMessage] = []
        self.outcome = outcome

    def send(self, message: OutboxMessage) -> Delivery:
        self.sent.append(message)
        if self.outcome is not None:
            return self.outcome(message)
        return Delivery(provider_message_id=f"{message.channel}:{message.key}", detail="ok")


def bounce(message: OutboxMessage) -> Delivery:
    raise PermanentDeliveryError("550 5.1.1 no such user", address_dead=True)


def reject(message: OutboxMessage) -> Delivery:
    raise PermanentDeliveryError("554 5.6.0 content refused")


def busy(message: OutboxMessage) -> Delivery:
    raise TransientDeliveryError("451 try later")


def message(
    channel: str, recipient: str, account_id: str = "A-1", key: str = "k-1"
) -> OutboxMessage:
    return OutboxMessage.new(
        key=key,
        account_id=account_id,
        channel=channel,
        recipient=recipient,
        subject="Relance",
        body="Votre facture F-1 est échue.",
        created_at=MORNING,
    )


def router(clock_at: datetime = MORNING, **transports: Transport) -> RoutingNotifier:
    return RoutingNotifier(
        {Channel(name): transport for name, transport in transports.items()},
        accounts=ACCOUNTS.get,
        clock=FixedClock(clock_at),
    )


def test_each_channel_goes_to_its_transport() -> None:
    email, sms = Transport(), Transport()
    notifier = router(EMAIL=email, SMS=sms)
    assert notifier.send(message("EMAIL", "compta@lagon.example")).channel is None
    notifier.send(message("SMS", "+687751234"))
    assert [m.channel for m in email.sent] == ["EMAIL"]
    assert [m.recipient for m in sms.sent] == ["+687751234"]


def test_no_mobile_falls_back_to_email() -> None:
    email, sms = Transport(), Transport()
    delivery = router(EMAIL=email, SMS=sms).send(message("SMS", "", account_id="A-2"))
    assert sms.sent == []
    [sent] = email.sent
    assert (sent.channel, sent.recipient, sent.key) == ("EMAIL", "ap@sans.example", "k-1")
    assert delivery.channel == "EMAIL" and "fell back from SMS to EMAIL" in delivery.detail


def test_a_hard_bounce_falls_back_to_a_letter() -> None:
    email, letter = Transport(bounce), Transport()
    delivery = router(EMAIL=email, LETTER=letter).send(message("EMAIL", "compta@lagon.example"))
    [sent] = letter.sent
    assert sent.channel == "LETTER" and "98800 Nouméa" in sent.recipient
    assert delivery.channel == "LETTER" and "no such user" in delivery.detail


def test_other_failures_are_not_fallen_back_from() -> None:
    letter = Transport()
    with pytest.raises(PermanentDeliveryError, match="content refused"):
        router(EMAIL=Transport(reject), LETTER=letter).send(message("EMAIL", "a@lagon.example"))
    with pytest.raises(TransientDeliveryError):
        router(EMAIL=Transport(busy), LETTER=letter).send(message("EMAIL", "a@lagon.example"))
    assert letter.sent == []


def test_when_nothing_reaches_the_customer_every_reason_is_given() -> None:
    notifier = router(SMS=Transport(bounce), EMAIL=Transport(bounce))
    with pytest.raises(PermanentDeliveryError) as raised:
        notifier.send(message("SMS", "+687751234"))
    assert "SMS: 550" in raised.value.reason and "EMAIL: 550" in raised.value.reason
    assert raised.value.address_dead


def test_the_accounts_preferences_order_the_fallbacks() -> None:
    email, letter, webhook = Transport(), Transport(), Transport(bounce)
    notifier = RoutingNotifier(
        {Channel.EMAIL: email, Channel.LETTER: letter, Channel.WEBHOOK: webhook},
        accounts=ACCOUNTS.get,
        preferences=lambda account: [Channel.WEBHOOK, Channel.LETTER, Channel.EMAIL],
        clock=FixedClock(MORNING),
    )
    notifier.send(message("WEBHOOK", "A-1"))
    assert len(letter.sent) == 1 and email.sent == []


@pytest.mark.parametrize(
    ("now", "opening"),
    [
        # Friday 21:00 -> Saturday 08:00 (Saturday is allowed).
        (datetime(2026, 3, 6, 21, 0, tzinfo=NOUMEA), datetime(2026, 3, 7, 8, 0, tzinfo=NOUMEA)),
        # Saturday 20:30 -> Monday 08:00 (no SMS on Sundays).
        (datetime(2026, 3, 7, 20, 30, tzinfo=NOUMEA), datetime(2026, 3, 9, 8, 0, tzinfo=NOUMEA)),
        # Wednesday 23 Sept 22:00 -> Friday 08:00: Thursday 24 is Citizenship Day in NC.
        (
            datetime(2026, 9, 23, 22, 0, tzinfo=NOUMEA),
            datetime(2026, 9, 25, 8, 0, tzinfo=NOUMEA),
        ),
        # 07:59 -> 08:00 the same day.
        (datetime(2026, 3, 3, 7, 59, tzinfo=NOUMEA), datetime(2026, 3, 3, 8, 0, tzinfo=NOUMEA)),
    ],
)
def test_an_sms_in_quiet_hours_is_deferred_to_the_next_allowed_instant(
    now: datetime, opening: datetime
) -> None:
    sms = Transport()
    notifier = router(now.astimezone(UTC), SMS=sms)
    with pytest.raises(DeliveryDeferred) as raised:
        notifier.send(message("SMS", "+687751234"))
    assert raised.value.not_before == opening
    assert sms.sent == []
    router(opening, SMS=sms).send(message("SMS", "+687751234"))
    assert len(sms.sent) == 1


def test_email_has_no_quiet_hours_but_its_sms_fallback_does() -> None:
    night = datetime(2026, 3, 3, 23, 0, tzinfo=NOUMEA)
    email = Transport()
    router(night, EMAIL=email).send(message("EMAIL", "compta@lagon.example"))
    assert len(email.sent) == 1
    # A phone task with no phone on file falls back to SMS, which keeps quiet hours.
    sms = Transport()
    with pytest.raises(DeliveryDeferred):
        router(night, PHONE_TASK=Transport(), SMS=sms).send(message("PHONE_TASK", ""))
    assert sms.sent == []


def test_sending_hours_are_configurable_per_channel() -> None:
    sms = Transport()
    late = datetime(2026, 3, 3, 21, 0, tzinfo=NOUMEA)
    notifier = RoutingNotifier(
        {Channel.SMS: sms},
        accounts=ACCOUNTS.get,
        sending_hours={Channel.SMS: BusinessHours(start=time(7), end=time(22))},
        clock=FixedClock(late),
    )
    notifier.send(message("SMS", "+687751234"))
    unrestricted = RoutingNotifier(
        {Channel.SMS: sms}, accounts=ACCOUNTS.get, sending_hours={}, clock=FixedClock(late)
    )
    unrestricted.send(message("SMS", "+687751234"))
    assert len(sms.sent) == 2


def test_a_deferred_message_waits_in_the_outbox_and_goes_out_at_the_opening() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(ACCOUNT)
        uow.outbox.add_messages([message("SMS", "+687751234")])
        uow.commit()
    sms = Transport()
    night = datetime(2026, 3, 3, 22, 0, tzinfo=NOUMEA)
    clock = FixedClock(night)
    notifier = RoutingNotifier({Channel.SMS: sms}, accounts=ACCOUNTS.get, clock=clock)
    report = dispatch(store.unit_of_work, notifier, clock)
    assert report.deferred == 1 and sms.sent == []
    with store.unit_of_work() as uow:
        waiting = uow.outbox.get("k-1")
    opening = datetime(2026, 3, 4, 8, 0, tzinfo=NOUMEA)
    assert waiting is not None and waiting.status is OutboxStatus.PENDING
    assert waiting.next_attempt_at == opening
    clock.set(opening - timedelta(minutes=1))
    assert dispatch(store.unit_of_work, notifier, clock).claimed == 0
    clock.set(opening)
    assert dispatch(store.unit_of_work, notifier, clock).sent == 1
    assert len(sms.sent) == 1


def test_bad_settings_are_refused_by_name() -> None:
    with pytest.raises(InvalidField, match="RoutingNotifier.transports"):
        RoutingNotifier({"PIGEON": Transport()}, accounts=ACCOUNTS.get)
    with pytest.raises(InvalidField, match="send"):
        RoutingNotifier({"EMAIL": object()}, accounts=ACCOUNTS.get)  # type: ignore[dict-item]
    with pytest.raises(InvalidField, match="sending_hours"):
        RoutingNotifier(
            {},
            accounts=ACCOUNTS.get,
            sending_hours={"SMS": "8-20"},  # type: ignore[dict-item]
        )


def test_a_fallback_skips_a_channel_the_stage_already_has_and_says_so() -> None:
    sms = Transport()
    asked: list[str] = []

    def same_stage(sent: OutboxMessage) -> frozenset[Channel]:
        asked.append(sent.key)
        return frozenset({Channel.SMS})

    notifier = RoutingNotifier(
        {Channel.EMAIL: Transport(bounce), Channel.SMS: sms},
        accounts=ACCOUNTS.get,
        preferences=lambda account: [Channel.EMAIL, Channel.SMS],
        clock=FixedClock(MORNING),
        same_stage=same_stage,
    )
    with pytest.raises(PermanentDeliveryError) as raised:
        notifier.send(message("EMAIL", "compta@lagon.example"))
    assert "SMS: the stage has its own message on it" in raised.value.reason
    assert sms.sent == [] and asked == ["k-1"]
    # Not asked when the message's own channel delivers it.
    notifier.send(message("SMS", "+687751234", key="k-2"))
    assert asked == ["k-1"] and len(sms.sent) == 1
