"""WebhookNotifier against a real HTTP server on 127.0.0.1; signatures checked by the
independent ``standardwebhooks`` package and by verify_webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from dunning_core import Account, Invoice, Money
from dunning_core.adapters.notify import WebhookNotifier, WebhookSecret, store_context
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.history import ActionRecord
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.errors import InvalidField, PermanentDeliveryError, TransientDeliveryError
from dunning_core.testing.servers import Reply, ScriptedHttpServer, free_port

SECRET = WebhookSecret.generate()
NEXT_SECRET = WebhookSecret.generate()


def notice(key: str = "a1b2c3", html: str | None = "<p>Pay</p>") -> OutboxMessage:
    return OutboxMessage.new(
        key=key,
        account_id="A-1",
        channel="WEBHOOK",
        recipient="A-1",
        subject="Relance",
        body="Veuillez régler la facture F-1.",
        html_body=html,
        created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )


@pytest.fixture
def http() -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer() as server:
        yield server


def test_the_package_verifies_our_webhook_and_the_body_holds_the_message(
    http: ScriptedHttpServer,
) -> None:
    http.script("/hooks", [Reply(204, b"")])
    notifier = WebhookNotifier(http.url("/hooks"), SECRET, allow_private=True, timeout=2)
    delivery = notifier.send(notice())
    [request] = http.requests
    payload = Webhook(SECRET.reveal()).verify(request.body, dict(request.headers))
    assert request.headers["webhook-id"] == "a1b2c3" == delivery.provider_message_id
    assert payload["type"] == "dunning.notice"
    data = payload["data"]
    assert (data["key"], data["account_id"], data["subject"]) == ("a1b2c3", "A-1", "Relance")
    assert data["body"] == "Veuillez régler la facture F-1." and data["html_body"] == "<p>Pay</p>"


def test_during_a_rotation_receivers_with_either_secret_verify(http: ScriptedHttpServer) -> None:
    http.script("/hooks", [Reply(200)])
    notifier = WebhookNotifier(http.url("/hooks"), [SECRET, NEXT_SECRET], allow_private=True)
    notifier.send(notice())
    request = http.requests[0]
    for secret in (SECRET, NEXT_SECRET):
        Webhook(secret.reveal()).verify(request.body, dict(request.headers))


def test_a_resend_carries_the_same_webhook_id(http: ScriptedHttpServer) -> None:
    http.script("/hooks", [Reply(500, b"down"), Reply(200)])
    notifier = WebhookNotifier(http.url("/hooks"), SECRET, allow_private=True)
    with pytest.raises(TransientDeliveryError, match="HTTP 500"):
        notifier.send(notice())
    notifier.send(notice())
    assert [r.headers["webhook-id"] for r in http.requests] == ["a1b2c3", "a1b2c3"]


def test_the_body_carries_the_account_and_the_invoices_of_the_notice(
    http: ScriptedHttpServer,
) -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="Lagon SARL", currency="XPF", country="NC"))
        uow.ledger.add_invoices(
            [
                Invoice(
                    number=number,
                    account_id="A-1",
                    issued_on=date(2026, 1, 1),
                    due_on=date(2026, 1, 31),
                    amount=Money("12000", "XPF"),
                )
                for number in ("F-1", "F-2", "F-3")
            ]
        )
        uow.history.add_actions(
            [
                ActionRecord(
                    key=f"a1b2c3/fired/{stage}",
                    account_id="A-1",
                    ladder="standard",
                    stage=stage,
                    action="REMIND",
                    channel="WEBHOOK",
                    invoice_numbers=numbers,
                    fired_on=date(2026, 3, 2),
                    skipped=False,
                )
                for stage, numbers in (("first", ("F-2",)), ("second", ("F-1",)))
            ]
        )
        uow.commit()
    http.script("/hooks", [Reply(200)])
    notifier = WebhookNotifier(
        http.url("/hooks"), SECRET, allow_private=True, context=store_context(store.unit_of_work)
    )
    notifier.send(notice())
    data = json.loads(http.requests[0].body)["data"]
    assert data["account"]["name"] == "Lagon SARL" and data["account"]["country"] == "NC"
    assert [(i["number"], i["amount"], i["currency"]) for i in data["invoices"]] == [
        ("F-1", "12000", "XPF"),
        ("F-2", "12000", "XPF"),
    ]


def test_loopback_and_private_destinations_are_refused_unless_allowed(
    http: ScriptedHttpServer,
) -> None:
    http.script("/hooks", [Reply(200)])
    for url in ("https://127.0.0.1/hooks", "https://10.1.2.3/x", "https://[::1]/x"):
        with pytest.raises(InvalidField, match="allow_private"):
            WebhookNotifier(url, SECRET)
    named = WebhookNotifier(f"https://localhost:{http.port}/hooks", SECRET)
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        named.send(notice())
    assert http.requests == []
    with pytest.raises(InvalidField, match="https"):
        WebhookNotifier("http://hooks.example/x", SECRET)


def test_redirects_are_not_followed(http: ScriptedHttpServer) -> None:
    http.script("/hooks", [Reply(307, b"", {"Location": http.url("/other")})])
    http.script("/other", [Reply(200)])
    notifier = WebhookNotifier(http.url("/hooks"), SECRET, allow_private=True)
    with pytest.raises(PermanentDeliveryError, match="not followed"):
        notifier.send(notice())
    assert [r.path for r in http.requests] == ["/hooks"]


def test_failures_map_to_their_class(http: ScriptedHttpServer) -> None:
    http.script(
        "/hooks",
        [
            Reply(429, b"slow down", {"Retry-After": "30"}),
            Reply(400, b"bad"),
            Reply(200, delay=3.0),
        ],
    )
    notifier = WebhookNotifier(http.url("/hooks"), SECRET, allow_private=True, timeout=0.5)
    with pytest.raises(TransientDeliveryError) as limited:
        notifier.send(notice())
    assert limited.value.retry_after == timedelta(seconds=30)
    with pytest.raises(PermanentDeliveryError, match="HTTP 400"):
        notifier.send(notice())
    with pytest.raises(TransientDeliveryError, match="webhook-id"):
        notifier.send(notice())
    closed = WebhookNotifier(f"http://127.0.0.1:{free_port()}/x", SECRET, allow_private=True)
    with pytest.raises(TransientDeliveryError):
        closed.send(notice())


def test_secrets_never_show(http: ScriptedHttpServer) -> None:
    notifier = WebhookNotifier(http.url("/hooks"), SECRET, allow_private=True)
    assert SECRET.reveal() not in repr(notifier)
    assert SECRET.reveal().removeprefix("whsec_") not in repr(notifier.secrets)
    with pytest.raises(InvalidField) as raised:
        WebhookNotifier("https://user:pw@hooks.example/x", SECRET)
    assert "pw" not in str(raised.value)


# -- Pinned destinations (DNS rebinding) --------------------------------------------------

PUBLIC = "93.184.215.14"  # a global address; the guard below never lets a byte go to it


class Rebinding:
    """A resolver that answers a public address first and loopback afterwards."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> tuple[str, ...]:
        self.calls.append((host, port))
        return (PUBLIC,) if len(self.calls) == 1 else ("127.0.0.1",)


class LoopbackOnly(httpx.BaseTransport):
    """A real transport that refuses (without connecting) any host but 127.0.0.1 and
    keeps what each request asked for."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.seen: list[tuple[str, str, object]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(
            (request.url.host, request.headers["host"], request.extensions.get("sni_hostname"))
        )
        if request.url.host != "127.0.0.1":
            raise httpx.ConnectError("the test allows 127.0.0.1 only", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_rebinding_answer_after_the_check_does_not_reach_loopback(
    http: ScriptedHttpServer,
) -> None:
    # "localhost" is loopback to the system resolver, which an unpinned client would
    # ask after the check; the notifier must connect to the address it checked.
    http.script("/hooks", [Reply(200)])
    resolver = Rebinding()
    guard = LoopbackOnly()
    notifier = WebhookNotifier(
        f"https://localhost:{http.port}/hooks",
        SECRET,
        resolver=resolver,
        client=httpx.Client(transport=guard, follow_redirects=False),
    )
    with pytest.raises(TransientDeliveryError):
        notifier.send(notice())
    assert resolver.calls == [("localhost", http.port)]
    assert guard.seen == [(PUBLIC, f"localhost:{http.port}", "localhost")]
    assert http.requests == []
    # The next send resolves again, and the loopback answer is refused before connecting.
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        notifier.send(notice())
    assert len(guard.seen) == 1 and http.requests == []


def test_the_connection_goes_to_the_resolved_address_with_the_name_as_host(
    http: ScriptedHttpServer,
) -> None:
    # hooks.invalid resolves nowhere (RFC 6761): only the injected answer can reach us.
    http.script("/hooks", [Reply(204, b"")])
    calls: list[str] = []

    def resolve(host: str, port: int) -> tuple[str, ...]:
        calls.append(host)
        return ("127.0.0.1",)

    notifier = WebhookNotifier(
        f"http://hooks.invalid:{http.port}/hooks", SECRET, allow_private=True, resolver=resolve
    )
    notifier.send(notice())
    [request] = http.requests
    assert request.headers["host"] == f"hooks.invalid:{http.port}"
    assert calls == ["hooks.invalid"]


def test_a_dead_address_falls_to_the_next_checked_one(http: ScriptedHttpServer) -> None:
    http.script("/hooks", [Reply(200)])
    closed = free_port()

    def resolve(host: str, port: int) -> tuple[str, ...]:
        return ("127.0.0.2", "127.0.0.1") if port == http.port else ()

    notifier = WebhookNotifier(
        f"http://hooks.invalid:{http.port}/hooks", SECRET, allow_private=True, resolver=resolve
    )
    notifier.send(notice())
    assert len(http.requests) == 1
    nowhere = WebhookNotifier(
        f"http://hooks.invalid:{closed}/hooks", SECRET, allow_private=True, resolver=resolve
    )
    with pytest.raises(TransientDeliveryError, match="no address"):
        nowhere.send(notice())


@pytest.mark.parametrize(
    ("certificate_host", "accepted"), [("hooks.test", True), ("other.test", False)]
)
def test_https_to_a_pinned_address_verifies_the_certificate_against_the_name(
    certificate_host: str, accepted: bool
) -> None:
    with ScriptedHttpServer(certificate_host=certificate_host) as https:
        https.script("/hooks", [Reply(200)])
        client = httpx.Client(verify=https.client_context(), follow_redirects=False)
        notifier = WebhookNotifier(
            f"https://hooks.test:{https.port}/hooks",
            SECRET,
            allow_private=True,
            client=client,
            resolver=lambda host, port: ("127.0.0.1",),
        )
        if accepted:
            notifier.send(notice())
            [request] = https.requests
            assert request.headers["host"] == f"hooks.test:{https.port}"
        else:
            with pytest.raises(TransientDeliveryError, match="ConnectError"):
                notifier.send(notice())
            assert https.requests == []
        notifier.close()


def test_a_resolver_answer_that_is_not_an_address_is_refused() -> None:
    notifier = WebhookNotifier(
        "https://hooks.example/x", SECRET, resolver=lambda host, port: ("hooks.evil",)
    )
    with pytest.raises(PermanentDeliveryError, match="not an address"):
        notifier.send(notice())
