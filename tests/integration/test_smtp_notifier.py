"""SmtpNotifier against a real aiosmtpd server on 127.0.0.1 (trustme certificates)."""

from __future__ import annotations

import pickle
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message

import pytest

from dunning_core.adapters.notify.smtp import SmtpNotifier, SmtpSecurity
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.errors import (
    InvalidField,
    MalformedMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from dunning_core.testing.fakes import FixedClock
from dunning_core.testing.servers import LocalSmtpServer, SmtpAnswer, TlsMode, free_port

# aiosmtpd counts only STARTTLS as TLS and warns about AUTH on an SMTPS server.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SENDER = "ACME Billing <billing@acme.example>"
USER, PASSWORD = "dunning", "s3cret-Pa55"
CLOCK = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
SECURITY = {TlsMode.STARTTLS: SmtpSecurity.STARTTLS, TlsMode.IMPLICIT: SmtpSecurity.IMPLICIT_TLS}


def message(key: str = "k-1", **changes: str | None) -> OutboxMessage:
    fields: dict[str, str | None] = {
        "recipient": "Jean Dupont <jean@client.example>",
        "subject": "Relance : facture F-118 — 120,00 €",
        "body": "Bonjour,\n\nLa facture F-118 est échue.\n.\nCordialement",
        "html_body": None,
    }
    fields.update(changes)
    return OutboxMessage.new(
        key=key,
        account_id="A-1",
        channel="EMAIL",
        recipient=str(fields["recipient"]),
        subject=str(fields["subject"]),
        body=str(fields["body"]),
        html_body=fields["html_body"],
        created_at=CLOCK.now(),
    )


@pytest.fixture(params=[TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=str)
def tls_server(request: pytest.FixtureRequest) -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer(tls=request.param, credentials=(USER, PASSWORD)) as server:
        yield server


def notifier_for(server: LocalSmtpServer, **changes: object) -> SmtpNotifier:
    options: dict[str, object] = {
        "sender": SENDER,
        "security": SECURITY.get(server.tls, SmtpSecurity.INSECURE_PLAINTEXT),
        "clock": CLOCK,
        "timeout": 5.0,
    }
    if server.tls is not TlsMode.NONE:
        options.update(cafile=server.ca_file)
    if server.credentials is not None:
        options.update(username=USER, password=PASSWORD)
    options.update(changes)
    return SmtpNotifier(server.host, server.port, **options)  # type: ignore[arg-type]


def parts(received: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True)  # type: ignore[union-attr]
        .decode(part.get_content_charset() or "ascii")
        .replace("\r\n", "\n")  # SMTP lines end in CRLF
        for part in received.walk()
        if not part.is_multipart()
    }


def test_an_email_arrives_encrypted_authenticated_and_well_formed(
    tls_server: LocalSmtpServer,
) -> None:
    html = "<p>Bonjour,</p><p>La facture <b>F-118</b> est échue.</p>"
    with notifier_for(tls_server) as notifier:
        delivery = notifier.send(message(html_body=html))
    [received] = tls_server.messages
    assert received.tls and received.login == USER
    assert received.envelope_from == "billing@acme.example"
    assert received.recipients == ("jean@client.example",)
    email = received.message
    assert email.get_content_type() == "multipart/alternative"
    assert parts(email) == {"text/plain": message().body, "text/html": html}
    assert email["Auto-Submitted"] == "auto-generated"
    assert "List-Unsubscribe" not in email
    assert str(email["From"]) == SENDER
    assert str(email["To"]) == "Jean Dupont <jean@client.example>"
    assert email["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    assert delivery.provider_message_id == email["Message-ID"] == "<dunning.k-1@acme.example>"
    assert delivery.detail.startswith("250")


def test_a_message_without_html_is_plain_text_only(tls_server: LocalSmtpServer) -> None:
    with notifier_for(tls_server) as notifier:
        notifier.send(message())
    email = tls_server.messages[0].message
    assert email.get_content_type() == "text/plain"
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(email["Subject"]))) == message().subject


def test_a_resend_carries_the_same_message_id_and_another_key_another(
    tls_server: LocalSmtpServer,
) -> None:
    with notifier_for(tls_server) as notifier:
        notifier.send(message("k-1"))
        notifier.send(message("k-1"))
        notifier.send(message("k-2"))
    ids = [received.message_id for received in tls_server.messages]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize("mode", [TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=str)
def test_a_certificate_for_another_host_name_is_refused(mode: TlsMode) -> None:
    with LocalSmtpServer(tls=mode, certificate_host="mail.elsewhere.example") as server:
        notifier = notifier_for(server)
        with pytest.raises(TransientDeliveryError, match="TLS certificate .* refused"):
            notifier.send(message())
        assert server.messages == []


@pytest.mark.parametrize("mode", [TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=str)
def test_a_certificate_from_an_unknown_authority_is_refused(mode: TlsMode) -> None:
    with LocalSmtpServer(tls=mode) as server:
        notifier = notifier_for(server, cafile=None, ssl_context=ssl.create_default_context())
        with pytest.raises(TransientDeliveryError, match="certificate verify failed|refused"):
            notifier.send(message())
        assert server.messages == []


def test_a_server_without_starttls_gets_nothing_in_plain_text() -> None:
    with LocalSmtpServer(tls=TlsMode.NONE) as server:
        notifier = SmtpNotifier(server.host, server.port, sender=SENDER, timeout=5)
        with pytest.raises(TransientDeliveryError, match="does not offer STARTTLS"):
            notifier.send(message())
        assert server.messages == []


def test_plain_smtp_to_a_local_relay_is_an_explicit_choice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with LocalSmtpServer(tls=TlsMode.NONE) as server:
        with caplog.at_level("WARNING", logger="dunning_core"):
            notifier = SmtpNotifier(
                server.host,
                server.port,
                sender=SENDER,
                security=SmtpSecurity.INSECURE_PLAINTEXT,
                timeout=5,
            )
        assert "WITHOUT ENCRYPTION" in caplog.text
        notifier.send(message())
        notifier.close()
        assert len(server.messages) == 1 and not server.messages[0].tls


def test_credentials_are_never_sent_in_plain_text() -> None:
    with pytest.raises(InvalidField, match="never sent over an unencrypted") as raised:
        SmtpNotifier(
            "127.0.0.1",
            2525,
            sender=SENDER,
            security="INSECURE_PLAINTEXT",
            username=USER,
            password=PASSWORD,
        )
    assert PASSWORD not in str(raised.value)


def test_a_wrong_password_is_refused_and_never_shown(tls_server: LocalSmtpServer) -> None:
    notifier = notifier_for(tls_server, password="wrong-Pa55word")
    with pytest.raises(TransientDeliveryError, match="refused the login") as raised:
        notifier.send(message())
    assert "wrong-Pa55word" not in str(raised.value)
    assert "wrong-Pa55word" not in repr(notifier) and "***" in repr(notifier)
    assert tls_server.messages == []


def test_4xx_after_data_is_transient_and_5xx_permanent(tls_server: LocalSmtpServer) -> None:
    with notifier_for(tls_server) as notifier:
        tls_server.answer = SmtpAnswer.TEMPFAIL
        with pytest.raises(TransientDeliveryError, match="451"):
            notifier.send(message())
        tls_server.answer = SmtpAnswer.REJECT
        with pytest.raises(PermanentDeliveryError, match="554") as raised:
            notifier.send(message())
        assert not raised.value.address_dead
        tls_server.answer = SmtpAnswer.ACCEPT
        notifier.send(message())  # the connection is still usable
    assert len(tls_server.messages) == 1


def test_a_connection_dropped_after_data_is_transient_and_the_resend_is_recognisable(
    tls_server: LocalSmtpServer,
) -> None:
    with notifier_for(tls_server) as notifier:
        tls_server.answer = SmtpAnswer.DROP
        with pytest.raises(TransientDeliveryError, match="same Message-ID"):
            notifier.send(message())
        tls_server.answer = SmtpAnswer.ACCEPT
        notifier.send(message())
    first, second = tls_server.messages
    assert first.message_id == second.message_id == "<dunning.k-1@acme.example>"


def test_a_recipient_refused_while_others_were_accepted_is_reported(
    tls_server: LocalSmtpServer,
) -> None:
    tls_server.refuse_recipients["gone@client.example"] = "550 5.1.1 no such user"
    recipients = "jean@client.example, gone@client.example"
    with notifier_for(tls_server) as notifier:
        delivery = notifier.send(message(recipient=recipients))
    assert delivery.refused == (("gone@client.example", "550 5.1.1 no such user"),)
    assert tls_server.messages[0].recipients == ("jean@client.example",)


def test_every_recipient_refused_is_permanent_for_5xx_and_transient_for_4xx(
    tls_server: LocalSmtpServer,
) -> None:
    tls_server.refuse_recipients["gone@client.example"] = "550 5.1.1 no such user"
    tls_server.refuse_recipients["full@client.example"] = "452 4.2.2 mailbox full"
    with notifier_for(tls_server) as notifier:
        with pytest.raises(PermanentDeliveryError, match="no such user") as dead:
            notifier.send(message(recipient="gone@client.example"))
        assert dead.value.address_dead
        with pytest.raises(TransientDeliveryError, match="mailbox full"):
            notifier.send(message(recipient="full@client.example, gone@client.example"))
        notifier.send(message())  # the transaction was reset; the connection still works
    assert len(tls_server.messages) == 1


def test_a_connection_closed_by_the_server_while_idle_is_replaced() -> None:
    port = free_port()
    with LocalSmtpServer(tls=TlsMode.STARTTLS, port=port) as first:
        notifier = notifier_for(first)
        notifier.send(message("k-1"))
    with LocalSmtpServer(tls=TlsMode.STARTTLS, port=port) as second:
        notifier._ssl_context = second.client_context()  # the new server's new CA
        notifier.send(message("k-2"))
        notifier.close()
        assert [m.message_id for m in second.messages] == ["<dunning.k-2@acme.example>"]


def test_connections_are_reused_then_renewed() -> None:
    with LocalSmtpServer(tls=TlsMode.STARTTLS) as server:
        with notifier_for(server, max_messages_per_connection=2) as notifier:
            for index in range(5):
                notifier.send(message(f"k-{index}"))
        peers = [received.peer for received in server.messages]
        assert len(peers) == 5
        assert peers[0] == peers[1] != peers[2] == peers[3] != peers[4]


def test_a_non_ascii_mailbox_needs_smtputf8() -> None:
    with LocalSmtpServer(tls=TlsMode.STARTTLS, smtputf8=True) as server:
        with notifier_for(server) as notifier:
            notifier.send(message(recipient="José <josé@client.example>"))
        assert server.messages[0].recipients == ("josé@client.example",)
    with LocalSmtpServer(tls=TlsMode.STARTTLS, smtputf8=False) as server:
        with notifier_for(server) as notifier, pytest.raises(MalformedMessage, match="SMTPUTF8"):
            notifier.send(message(recipient="josé@client.example"))
        assert server.messages == []


def test_an_idn_domain_goes_out_in_punycode() -> None:
    with LocalSmtpServer(tls=TlsMode.STARTTLS, smtputf8=False) as server:
        with notifier_for(server) as notifier:
            notifier.send(message(recipient="compta@société.example"))
        assert server.messages[0].recipients == ("compta@xn--socit-esab.example",)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recipient": "Jean\r\nBcc: spy@attacker.example <jean@client.example>"}, "recipient"),
        ({"subject": "Relance\0 facture"}, "subject"),
        ({"subject": "Relance\r\nBcc: spy@attacker.example"}, "subject"),
        ({"recipient": "a@b@c"}, "recipient"),
        ({"recipient": "jean"}, "recipient"),
        ({"recipient": ""}, "recipient"),
    ],
)
def test_bad_headers_are_refused_before_connecting(changes: dict[str, str], field: str) -> None:
    # Nothing listens on this port: reaching the network would be a transient error.
    notifier = SmtpNotifier("127.0.0.1", free_port(), sender=SENDER, timeout=2)
    with pytest.raises(MalformedMessage) as raised:
        notifier.send(message(**changes))
    assert raised.value.field == field
    assert isinstance(raised.value, PermanentDeliveryError) and isinstance(raised.value, ValueError)


def test_bad_settings_are_refused_by_name() -> None:
    for kwargs, name in [
        ({"sender": "a@b@c"}, "sender"),
        ({"sender": "a@x.example, b@x.example"}, "sender"),
        ({"sender": SENDER, "port": 0}, "port"),
        ({"sender": SENDER, "security": "TLS1.0"}, "security"),
        ({"sender": SENDER, "password": "x"}, "username"),
        ({"sender": SENDER, "username": "u"}, "password"),
        ({"sender": SENDER, "local_hostname": "evil\r\nRSET"}, "local_hostname"),
        ({"sender": SENDER, "reply_to": "x\ny@z.example"}, "reply_to"),
    ]:
        with pytest.raises(InvalidField) as raised:
            SmtpNotifier("127.0.0.1", **kwargs)  # type: ignore[arg-type]
        assert raised.value.field == f"SmtpNotifier.{name}", kwargs


def test_the_notifier_pickles_without_its_connection_or_password_in_clear() -> None:
    with LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=(USER, PASSWORD)) as server:
        notifier = notifier_for(server, clock=None)
        notifier.send(message())
        copy = pickle.loads(pickle.dumps(notifier))
        assert copy._connection is None
        copy.send(message("k-2"))
        copy.close()
        notifier.close()
        assert len(server.messages) == 2
