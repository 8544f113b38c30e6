"""HttpSmsNotifier against a real HTTP server on 127.0.0.1 scripted to answer 200, 429
with Retry-After, 500, 400, a redirect, and to hang past the client's timeout."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from dunning_core.adapters.notify.sms_http import (
    HttpSmsNotifier,
    JsonGateway,
    SmsRules,
    TwilioGateway,
)
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Account
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.errors import (
    MalformedMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryOutcome,
)
from dunning_core.policies.sms import count_segments
from dunning_core.service.dispatch import REVIEW_PREFIX, dispatch
from dunning_core.testing.fakes import FixedClock
from dunning_core.testing.servers import Reply, ScriptedHttpServer, free_port

SID, TOKEN = "AC0123456789abcdef", "tw-token-Zq9"
TWILIO_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
TEXT = "Bonjour, votre facture F-118 de 120,00 EUR est échue depuis le 1er mars. Merci."


def sms(key: str = "k-1", recipient: str = "+33612345678", body: str = TEXT) -> OutboxMessage:
    return OutboxMessage.new(
        key=key,
        account_id="A-1",
        channel="SMS",
        recipient=recipient,
        subject="",
        body=body,
        created_at=CLOCK.now(),
    )


@pytest.fixture
def http() -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer() as server:
        yield server


def twilio(http: ScriptedHttpServer, **changes: object) -> HttpSmsNotifier:
    gateway = TwilioGateway(
        account_sid=SID, auth_token=TOKEN, sender="+33700000000", base_url=http.url("")
    )
    options: dict[str, object] = {"timeout": 0.5, "clock": CLOCK}
    options.update(changes)
    return HttpSmsNotifier(gateway, **options)  # type: ignore[arg-type]


def json_gateway(http: ScriptedHttpServer, **changes: object) -> HttpSmsNotifier:
    fields: dict[str, object] = {
        "url": http.url("/v1/sms"),
        "to_field": "destination",
        "text_field": "message",
        "sender": "ACME",
        "token": "json-token-Yx7",
        "id_field": "messages.0.id",
    }
    fields.update(changes)
    return HttpSmsNotifier(JsonGateway(**fields), timeout=0.5, clock=CLOCK)  # type: ignore[arg-type]


def created(sid: str = "SM123") -> Reply:
    return Reply(201, json.dumps({"sid": sid, "status": "queued"}).encode())


def test_a_twilio_request_is_form_encoded_with_basic_auth(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [created("SM42")])
    delivery = twilio(http).send(sms())
    [request] = http.requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
    assert form == {"To": "+33612345678", "From": "+33700000000", "Body": TEXT}
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert delivery.provider_message_id == "SM42"
    assert delivery.segments == count_segments(TEXT).segments == 1


def test_a_messaging_service_replaces_the_sender(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [created()])
    gateway = TwilioGateway(
        account_sid=SID, auth_token=TOKEN, messaging_service_sid="MG1", base_url=http.url("")
    )
    HttpSmsNotifier(gateway, timeout=1).send(sms())
    form = parse_qs(http.requests[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG1"] and "From" not in form


def test_a_json_gateway_gets_its_fields_token_and_idempotency_key(
    http: ScriptedHttpServer,
) -> None:
    http.script("/v1/sms", [Reply(200, b'{"messages": [{"id": "g-9"}]}')])
    delivery = json_gateway(http).send(sms("key-77"))
    [request] = http.requests
    assert json.loads(request.body) == {
        "destination": "+33612345678",
        "message": TEXT,
        "from": "ACME",
        "reference": "key-77",
    }
    assert request.headers["idempotency-key"] == "key-77"
    assert request.headers["authorization"] == "Bearer json-token-Yx7"
    assert delivery.provider_message_id == "g-9"


def test_look_alikes_are_normalised_unless_the_account_says_not(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [created()])
    curly = "L’échéance de la facture F-118 est passée — merci de régler"
    delivery = twilio(http).send(sms(body=curly))
    sent = parse_qs(http.requests[0].body.decode())["Body"][0]
    assert sent == "L'échéance de la facture F-118 est passée - merci de régler"
    assert delivery.segments == 1 and count_segments(sent).encoding == "GSM-7"

    raw = twilio(http, rules_for=lambda account_id: SmsRules(normalize=False))
    kept = raw.send(sms(body=curly))
    assert parse_qs(http.requests[1].body.decode())["Body"][0] == curly
    assert kept.segments == count_segments(curly).segments


def test_a_long_text_is_fitted_to_the_segment_budget(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [created()])
    long_text = "Votre facture est échue, merci de la régler sans délai. " * 12
    delivery = twilio(http, rules=SmsRules(max_segments=2)).send(sms(body=long_text))
    sent = parse_qs(http.requests[0].body.decode())["Body"][0]
    assert sent.endswith("...") and long_text.startswith(sent[:-3])
    assert count_segments(sent).segments == delivery.segments == 2


def test_429_is_transient_with_the_gateways_retry_after(http: ScriptedHttpServer) -> None:
    http.script(
        TWILIO_PATH,
        [
            Reply(429, b'{"code": 20429, "message": "Too Many Requests"}', {"Retry-After": "120"}),
            Reply(503, b"busy", {"Retry-After": "Mon, 02 Mar 2026 09:10:00 GMT"}),
            Reply(500, b"oops"),
        ],
    )
    notifier = twilio(http)
    with pytest.raises(TransientDeliveryError, match="HTTP 429") as first:
        notifier.send(sms())
    assert first.value.retry_after == timedelta(seconds=120)
    with pytest.raises(TransientDeliveryError, match="HTTP 503") as second:
        notifier.send(sms())
    assert second.value.retry_after == timedelta(minutes=10)
    with pytest.raises(TransientDeliveryError, match="HTTP 500") as third:
        notifier.send(sms())
    assert third.value.retry_after is None


def test_4xx_is_permanent_and_a_dead_number_says_so(http: ScriptedHttpServer) -> None:
    http.script(
        TWILIO_PATH,
        [
            Reply(400, b'{"code": 21211, "message": "Invalid \'To\' Phone Number"}'),
            Reply(400, b'{"code": 21602, "message": "Message body is required."}'),
        ],
    )
    notifier = twilio(http)
    with pytest.raises(PermanentDeliveryError, match="Twilio error 21211") as dead:
        notifier.send(sms())
    assert dead.value.address_dead
    with pytest.raises(PermanentDeliveryError, match="21602") as other:
        notifier.send(sms())
    assert not other.value.address_dead


def test_a_redirect_is_not_followed(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [Reply(302, b"", {"Location": http.url("/elsewhere")})])
    http.script("/elsewhere", [created()])
    with pytest.raises(PermanentDeliveryError, match="redirect .* not followed"):
        twilio(http).send(sms())
    assert [r.path for r in http.requests] == [TWILIO_PATH]


def test_a_hang_after_the_request_without_idempotency_is_an_unknown_outcome(
    http: ScriptedHttpServer,
) -> None:
    http.script(TWILIO_PATH, [Reply(201, b'{"sid": "late"}', delay=3.0)])
    with pytest.raises(UnknownDeliveryOutcome, match="may have gone out"):
        twilio(http).send(sms())
    assert len(http.requests) == 1  # it was written, and not sent again


def test_a_hang_with_an_idempotency_key_is_retried_with_the_same_key(
    http: ScriptedHttpServer, tmp_path: object
) -> None:
    http.script(
        "/v1/sms",
        [Reply(200, b'{"messages": [{"id": "late"}]}', delay=3.0), Reply(200, b'{"messages": []}')],
    )
    store = SqliteStore(f"{tmp_path}/outbox.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages([sms("key-9")])
        uow.commit()
    notifier = json_gateway(http)
    first = dispatch(store.unit_of_work, notifier, CLOCK.now(), rng=random.Random(0))
    assert first.retried == 1
    later = CLOCK.now() + timedelta(hours=1)
    second = dispatch(store.unit_of_work, notifier, later, rng=random.Random(0))
    assert second.sent == 1 and second.segments == 1
    keys = [request.headers["idempotency-key"] for request in http.requests]
    assert keys == ["key-9", "key-9"]
    with store.unit_of_work() as uow:
        message = uow.outbox.get("key-9")
    assert message is not None and message.status is OutboxStatus.SENT
    # No id in the answer: the outbox key stands in for the gateway's.
    assert message.provider_message_id == "127.0.0.1:" + str(http.port) + ":key-9"
    store.close()


def test_an_unknown_outcome_goes_to_review_through_dispatch(
    http: ScriptedHttpServer, tmp_path: object
) -> None:
    http.script(TWILIO_PATH, [Reply(201, b'{"sid": "late"}', delay=3.0)])
    store = SqliteStore(f"{tmp_path}/outbox.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages([sms("key-5")])
        uow.commit()
    report = dispatch(store.unit_of_work, twilio(http), CLOCK.now())
    assert (report.dead, report.unknown) == (1, 1)
    with store.unit_of_work() as uow:
        message = uow.outbox.get("key-5")
    assert message is not None and message.status is OutboxStatus.DEAD
    assert message.last_error is not None and message.last_error.startswith(REVIEW_PREFIX)
    store.close()


def test_a_retry_after_reaches_the_outbox(http: ScriptedHttpServer, tmp_path: object) -> None:
    http.script(TWILIO_PATH, [Reply(429, b"{}", {"Retry-After": "3600"}), created("SM7")])
    store = SqliteStore(f"{tmp_path}/outbox.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.outbox.add_messages([sms("key-1")])
        uow.commit()
    dispatch(store.unit_of_work, twilio(http), CLOCK.now(), rng=random.Random(0))
    with store.unit_of_work() as uow:
        waiting = uow.outbox.get("key-1")
    assert waiting is not None and waiting.next_attempt_at == CLOCK.now() + timedelta(hours=1)
    early = dispatch(store.unit_of_work, twilio(http), CLOCK.now() + timedelta(minutes=59))
    assert early.claimed == 0
    report = dispatch(store.unit_of_work, twilio(http), CLOCK.now() + timedelta(hours=1))
    assert report.sent == 1
    store.close()


def test_no_server_is_transient() -> None:
    gateway = JsonGateway(url=f"http://127.0.0.1:{free_port()}/sms")
    with pytest.raises(TransientDeliveryError, match="no connection"):
        HttpSmsNotifier(gateway, timeout=1).send(sms())


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        ("0612", "E.164"),
        ("06 12 34 56 78", "E.164"),
        ("+33123456789", "not a mobile"),
        ("+3361234", "not a valid number"),
        ("+68712345", "not a valid number"),  # New Caledonia numbers have 6 digits
    ],
)
def test_numbers_are_checked_before_any_request(
    http: ScriptedHttpServer, recipient: str, problem: str
) -> None:
    http.script(TWILIO_PATH, [created()])
    with pytest.raises(MalformedMessage, match=problem) as raised:
        twilio(http).send(sms(recipient=recipient))
    assert raised.value.field == "recipient" and raised.value.address_dead
    assert http.requests == []


def test_a_number_with_spaces_goes_out_in_e164(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [created()])
    twilio(http).send(sms(recipient="+687 75 12 34"))
    assert parse_qs(http.requests[0].body.decode())["To"] == ["+687751234"]


def test_tokens_never_show_in_reprs_or_errors(http: ScriptedHttpServer) -> None:
    http.script(TWILIO_PATH, [Reply(401, b'{"code": 20003, "message": "Authenticate"}')])
    notifier = twilio(http)
    with pytest.raises(PermanentDeliveryError) as raised:
        notifier.send(sms())
    for text in (repr(notifier), repr(notifier.gateway), str(raised.value)):
        assert TOKEN not in text
    gateway = JsonGateway(url="https://sms.example/send", token="json-token-Yx7")
    assert "json-token-Yx7" not in repr(gateway) and "json-token-Yx7" not in repr(
        HttpSmsNotifier(gateway)
    )
