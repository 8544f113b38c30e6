"""A fallback does not send a stage twice on one channel: the real cycle writes a stage
on EMAIL and SMS into SQLite, the e-mail bounces, and RoutingNotifier with
``same_stage_from`` skips SMS (the stage's own SMS is there) for the next channel."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dunning_core import Account, Contact, Invoice, Money, PostalAddress
from dunning_core.adapters.notify.routing import (
    RoutingNotifier,
    accounts_from,
    same_stage_from,
)
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Channel
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.errors import PermanentDeliveryError
from dunning_core.policies.ladder import Ladder, Stage
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.settings import CycleConfig
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
    locale="fr_NC",
    timezone="Pacific/Noumea",
    country="NC",
    contacts=[Contact(email="compta@lagon.example", mobile="+687751234", postal_address=ADDRESS)],
)
DUE = date(2026, 3, 2)  # a Monday
INVOICE = Invoice(
    number="F-1",
    account_id="A-1",
    issued_on=DUE - timedelta(days=30),
    due_on=DUE,
    amount=Money("120000", "XPF"),
)
# "first" goes by e-mail and SMS, "second" by e-mail only.
LADDER = Ladder(
    name="two-stages",
    stages=[
        Stage(key="first", offset=1, channels=["EMAIL", "SMS"], template="first_notice"),
        Stage(key="second", offset=8, channels="EMAIL", template="second_notice"),
    ],
)
CONFIG = CycleConfig(ladders={LADDER.name: LADDER}, default_ladder=LADDER.name)
PREFERENCES = (Channel.EMAIL, Channel.SMS, Channel.LETTER)
# Tuesday 10 March 2026, 14:00 in Nouméa (03:00 UTC, after the run of that day):
# inside every channel's sending hours.
DISPATCH_AT = datetime(2026, 3, 10, 14, 0, tzinfo=NOUMEA)


class Transport:
    def __init__(self, bounce: bool = False) -> None:
        self.bounce = bounce
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> Delivery:
        if self.bounce:
            raise PermanentDeliveryError("550 5.1.1 no such user", address_dead=True)
        self.sent.append(message)
        return Delivery(provider_message_id=f"{message.channel}:{message.key}")


@pytest.mark.parametrize("skip_same_stage", [True, False])
def test_a_bounced_email_does_not_fall_back_to_a_channel_its_stage_already_used(
    tmp_path: Path, skip_same_stage: bool
) -> None:
    store = SqliteStore(str(tmp_path / "dunning.sqlite3"))
    with store.unit_of_work() as uow:
        uow.accounts.add(ACCOUNT)
        uow.ledger.add_invoices([INVOICE])
        uow.commit()
    for offset in (1, 8):
        run_cycle(store.unit_of_work, CONFIG, DUE + timedelta(days=offset))
    with store.unit_of_work(read_only=True) as uow:
        written = uow.outbox.messages_of(["A-1"])["A-1"]
    assert sorted(m.channel for m in written) == ["EMAIL", "EMAIL", "SMS"]

    email, sms, letter = Transport(bounce=True), Transport(), Transport()
    router = RoutingNotifier(
        {Channel.EMAIL: email, Channel.SMS: sms, Channel.LETTER: letter},
        accounts=accounts_from(store.unit_of_work),
        preferences=lambda account: PREFERENCES,
        clock=FixedClock(DISPATCH_AT),
        same_stage=same_stage_from(store.unit_of_work) if skip_same_stage else None,
    )
    report = dispatch(store.unit_of_work, router, FixedClock(DISPATCH_AT))
    assert report.sent == 3

    # The stages' own SMS: one, for "first". Each bounced e-mail falls back along the
    # preferences (SMS, then LETTER); with the check, "first" already has an SMS, so its
    # e-mail goes by letter, while "second" (e-mail only) may still use SMS.
    first_email, second_email = sorted(
        (m for m in written if m.channel == "EMAIL"), key=lambda m: m.created_at
    )
    own_sms = [m.key for m in written if m.channel == "SMS"]
    if skip_same_stage:
        assert sorted(m.key for m in sms.sent) == sorted([*own_sms, second_email.key])
        assert [m.key for m in letter.sent] == [first_email.key]
    else:
        assert sorted(m.key for m in sms.sent) == sorted(
            [*own_sms, first_email.key, second_email.key]
        )
        assert letter.sent == []
    with store.unit_of_work(read_only=True) as uow:
        statuses = {m.status for m in uow.outbox.messages_of(["A-1"])["A-1"]}
    assert statuses == {OutboxStatus.SENT}


def test_a_message_that_is_not_a_ladder_notice_has_no_siblings(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "dunning.sqlite3"))
    lone = OutboxMessage.new(
        key="manual-1",
        account_id="A-1",
        channel="EMAIL",
        recipient="compta@lagon.example",
        subject="Relance",
        body="Votre facture F-1 est échue.",
        created_at=DISPATCH_AT,
    )
    with store.unit_of_work() as uow:
        uow.accounts.add(ACCOUNT)
        uow.outbox.add_messages([lone])
        uow.commit()
    assert same_stage_from(store.unit_of_work)(lone) == frozenset()
