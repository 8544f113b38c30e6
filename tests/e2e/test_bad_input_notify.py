"""The issue's bad inputs, end to end through dispatch, RoutingNotifier and real servers
on 127.0.0.1: a name with CRLF + ``Bcc:``, a subject with NUL, the address ``a@b@c``,
the phone number ``0612``. Each is a typed error and a DEAD message with its reason;
nothing of them reaches a server, and the good messages beside them go out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dunning_core import Account, Contact
from dunning_core.adapters.notify import (
    HttpSmsNotifier,
    JsonGateway,
    RoutingNotifier,
    SmtpNotifier,
    accounts_from,
)
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Channel
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.errors import InvalidContact, MalformedMessage
from dunning_core.service.dispatch import dispatch
from dunning_core.testing.servers import (
    LocalSmtpServer,
    Reply,
    ScriptedHttpServer,
    TlsMode,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BAD = {
    "crlf-name": ("EMAIL", "Jean\r\nBcc: spy@attacker.example <jean@client.example>", "Relance"),
    "nul-subject": ("EMAIL", "jean@client.example", "Relance\0 facture F-1"),
    "two-ats": ("EMAIL", "a@b@c", "Relance"),
    "short-number": ("SMS", "0612", ""),
}
GOOD = {
    "good-email": ("EMAIL", "jean@client.example", "Relance"),
    "good-sms": ("SMS", "+33612345678", ""),
}


@pytest.fixture
def servers() -> Iterator[tuple[LocalSmtpServer, ScriptedHttpServer]]:
    with LocalSmtpServer(tls=TlsMode.STARTTLS) as smtp, ScriptedHttpServer() as http:
        http.script("/sms", [Reply(200, b'{"id": "sms-1"}')])
        yield smtp, http


def test_each_bad_input_is_a_dead_letter_with_its_reason_and_nothing_is_sent(
    servers: tuple[LocalSmtpServer, ScriptedHttpServer], tmp_path: Path
) -> None:
    smtp, http = servers
    store = SqliteStore(tmp_path / "outbox.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages(
            OutboxMessage.new(
                key=key,
                account_id="A-1",
                channel=channel,
                recipient=recipient,
                subject=subject,
                body="La facture F-1 est échue.",
                created_at=NOW,
            )
            for key, (channel, recipient, subject) in {**BAD, **GOOD}.items()
        )
        uow.commit()
    notifier = RoutingNotifier(
        {
            Channel.EMAIL: SmtpNotifier(
                smtp.host, smtp.port, sender="Billing <billing@acme.example>", cafile=smtp.ca_file
            ),
            Channel.SMS: HttpSmsNotifier(JsonGateway(url=http.url("/sms")), timeout=5),
        },
        accounts=accounts_from(store.unit_of_work),
        fallbacks={},  # show each failure as it is, not its fallback
        sending_hours={},
    )
    report = dispatch(store.unit_of_work, notifier, NOW)
    assert (report.sent, report.dead) == (2, 4)
    reasons = dict(report.dead_letters)
    assert "recipient=" in reasons["crlf-name"] and "contains CR" in reasons["crlf-name"]
    assert "subject=" in reasons["nul-subject"] and "contains NUL" in reasons["nul-subject"]
    assert "recipient='a@b@c'" in reasons["two-ats"]
    assert "recipient='0612'" in reasons["short-number"] and "E.164" in reasons["short-number"]
    with store.unit_of_work() as uow:
        for key, reason in reasons.items():
            message = uow.outbox.get(key)
            assert message is not None and message.status is OutboxStatus.DEAD
            assert message.last_error == reason
    assert [m.recipients for m in smtp.messages] == [("jean@client.example",)]
    assert b"attacker" not in smtp.messages[0].data
    assert len(http.requests) == 1 and b"+33612345678" in http.requests[0].body
    store.close()


@pytest.mark.parametrize("key", sorted(BAD))
def test_each_bad_input_raises_a_typed_error(key: str) -> None:
    channel, recipient, subject = BAD[key]
    message = OutboxMessage.new(
        key=key,
        account_id="A-1",
        channel=channel,
        recipient=recipient,
        subject=subject,
        body="x",
        created_at=NOW,
    )
    if channel == "EMAIL":
        sender = SmtpNotifier("127.0.0.1", 1, sender="b@acme.example")
        with pytest.raises(MalformedMessage) as raised:
            sender.build(message)
    else:
        with pytest.raises(MalformedMessage) as raised:
            HttpSmsNotifier(JsonGateway(url="http://127.0.0.1:1/sms")).prepare(message)
    assert isinstance(raised.value, ValueError)
    assert raised.value.field in ("recipient", "subject")


def test_the_same_bad_addresses_never_enter_a_contact() -> None:
    with pytest.raises(InvalidContact, match="Contact.email"):
        Contact(email="a@b@c")
    with pytest.raises(InvalidContact, match="Contact.mobile"):
        Contact(mobile="0612", country="FR")
