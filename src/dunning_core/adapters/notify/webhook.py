"""Signed webhooks (``httpx``; install the ``http`` extra).

:class:`WebhookNotifier` POSTs each outbox message as JSON to one endpoint, signed the
Standard Webhooks way (:mod:`dunning_core.adapters.webhook_signatures`): ``webhook-id``
is the outbox key, so a resend carries the same id and the receiver drops it. The body
holds the message and, with :func:`store_context`, its account and invoices.

Redirects are never followed. A destination that resolves to a private, loopback,
link-local or otherwise non-public address is refused unless ``allow_private=True``
(an internal service), so a URL typed by a customer cannot reach the billing network.
The host is resolved once per request, every address it has is checked, and the
connection goes to a checked address: the HTTP client never resolves the name itself,
so a DNS answer that changes between the check and the connection (rebinding) cannot
reach a private address. The request still carries the name in its ``Host`` header,
and TLS sends it as SNI and verifies the certificate against it (httpx's
``sni_hostname`` request extension).

Outcomes: 2xx sent; 429, 5xx and 408 transient (with ``Retry-After``); a timeout or a
dropped connection transient too (the receiver deduplicates on ``webhook-id``); 3xx
and other 4xx permanent.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from dunning_core.adapters.notify._common import retry_after
from dunning_core.adapters.webhook_signatures import WebhookSecret, sign_webhook
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import (
    InvalidField,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from dunning_core.ports import Clock, UowFactory

if TYPE_CHECKING:
    import httpx

__all__ = ["Resolver", "WebhookNotifier", "store_context", "system_resolver"]

_DETAIL: Final = 300
#: The ``type`` of every notice event.
NOTICE_EVENT: Final = "dunning.notice"

MessageContext = Callable[[OutboxMessage], Mapping[str, Any]]
#: ``(host, port) -> addresses``: how :class:`WebhookNotifier` resolves its host.
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> tuple[str, ...]:
    """The addresses the system resolver gives ``host`` for TCP, in its order.

    Args:
        host: A host name (IDNA-encoded) or an address.
        port: The port, passed on to ``getaddrinfo``.

    Returns:
        The distinct addresses, in the resolver's order.

    Raises:
        OSError: the name does not resolve.
    """
    found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return tuple(dict.fromkeys(str(address[0]) for *_, address in found))


def store_context(uow_factory: UowFactory) -> MessageContext:
    """A context source that adds the message's account and invoices to the body.

    The account comes from the account store; the invoices are those of the action
    whose key is the message's (a ladder notice), read from the history and the ledger.

    Args:
        uow_factory: Opens read units of work on the store.

    Returns:
        A callable for ``WebhookNotifier(context=...)``.
    """

    def context(message: OutboxMessage) -> Mapping[str, Any]:
        with uow_factory() as uow:
            account = uow.accounts.get(message.account_id)
            actions = uow.history.actions_of([message.account_id]).get(message.account_id, ())
            numbers = sorted(
                {
                    number
                    for record in actions
                    if record.key.partition("/")[0] == message.key and not record.skipped
                    for number in record.invoice_numbers
                }
            )
            invoices = uow.ledger.get_invoices(numbers) if numbers else {}
        found: dict[str, Any] = {"account": None, "invoices": []}
        if account is not None:
            found["account"] = {
                "id": account.id,
                "name": account.name,
                "currency": account.currency,
                "locale": account.locale,
                "country": account.home_country,
            }
        found["invoices"] = [
            {
                "number": invoice.number,
                "issued_on": invoice.issued_on.isoformat(),
                "due_on": invoice.due_on.isoformat(),
                "amount": str(invoice.amount.amount),
                "currency": invoice.amount.currency,
            }
            for invoice in (invoices[number] for number in numbers if number in invoices)
        ]
        return found

    return context


def _address_refused(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("private", ip.is_private),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return f"{ip} is a {label} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


class WebhookNotifier:
    """A :class:`~dunning_core.ports.Notifier` that POSTs signed JSON to an endpoint.

    Args:
        url: The receiver's endpoint (``https://`` unless ``allow_private``).
        secrets: The signing secret (``whsec_…``), or several during a rotation.
        allow_private: Allow a destination on a private or loopback address.
        timeout: Seconds for connecting, writing and reading.
        context: Adds fields to the body's ``data`` (see :func:`store_context`).
        client: An ``httpx.Client`` to use; one is made by default.
        clock: Gives ``webhook-timestamp``; the system clock by default.
        resolver: Resolves the URL's host name before each request
            (:func:`system_resolver` by default); the connection goes to an address it
            answered, checked.

    Raises:
        InvalidField: a bad URL or secret, or a literal private address without
            ``allow_private``. No message shows a secret.
    """

    def __init__(
        self,
        url: str,
        secrets: WebhookSecret | str | Sequence[WebhookSecret | str],
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        context: MessageContext | None = None,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidField("WebhookNotifier.url", url, "must be an http(s) URL")
        if parts.scheme == "http" and not allow_private:
            raise InvalidField(
                "WebhookNotifier.url", url, "must be https (http only with allow_private)"
            )
        if parts.username or parts.password:
            raise InvalidField("WebhookNotifier.url", "…", "must not carry credentials")
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise InvalidField("WebhookNotifier.timeout", timeout, "must be a positive number")
        items = (secrets,) if isinstance(secrets, (str, WebhookSecret)) else tuple(secrets)
        self.secrets = tuple(s if isinstance(s, WebhookSecret) else WebhookSecret(s) for s in items)
        if not self.secrets:
            raise InvalidField("WebhookNotifier.secrets", (), "at least one secret is needed")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.allow_private = allow_private
        if not allow_private:
            try:
                problem = _address_refused(self.host)
            except ValueError:
                problem = None  # a name: checked when sending
            if problem is not None:
                raise InvalidField("WebhookNotifier.url", url, f"{problem}; allow_private=False")
        self.timeout = float(timeout)
        self.context = context
        self.clock = clock
        self.resolver: Resolver = system_resolver if resolver is None else resolver
        self._client = client

    def __repr__(self) -> str:
        return (
            f"WebhookNotifier(url={self.url!r}, secrets=<{len(self.secrets)} hidden>, "
            f"allow_private={self.allow_private})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_client"] = None
        return state

    def close(self) -> None:
        """Close the HTTP client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        return self._client

    def body(self, message: OutboxMessage, now: datetime) -> bytes:
        """The JSON body for ``message`` (UTF-8, keys sorted)."""
        data: dict[str, Any] = {
            "key": message.key,
            "account_id": message.account_id,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "html_body": message.html_body,
            "created_at": message.created_at.isoformat(),
            "attempt": message.attempts,
        }
        if self.context is not None:
            data.update(self.context(message))
        payload = {"type": NOTICE_EVENT, "timestamp": now.isoformat(), "data": data}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def _destinations(self) -> tuple[str, ...]:
        """The addresses to connect to, each checked; empty for a literal address."""
        try:
            _address_refused(self.host)
        except ValueError:
            pass
        else:
            return ()  # an address in the URL: checked when built, nothing to resolve
        try:
            addresses = tuple(self.resolver(self.host, self.port))
        except OSError as error:
            raise TransientDeliveryError(f"cannot resolve {self.host!r}: {error}") from None
        if not addresses:
            raise TransientDeliveryError(f"cannot resolve {self.host!r}: no address")
        for address in addresses:
            try:
                problem = _address_refused(address)
            except ValueError:
                raise PermanentDeliveryError(
                    f"destination {self.host!r} refused: the resolver answered "
                    f"{address!r}, not an address"
                ) from None
            if problem is not None and not self.allow_private:
                raise PermanentDeliveryError(
                    f"destination {self.host!r} refused: {problem} (allow_private=False)"
                )
        return addresses

    def _post(
        self,
        url: httpx.URL,
        addresses: tuple[str, ...],
        body: bytes,
        headers: dict[str, str],
    ) -> httpx.Response:
        """POST to the first checked address that takes a connection, with the name as
        ``Host`` and as TLS server name."""
        import httpx

        client = self._http()
        if not addresses:
            return client.post(url, content=body, headers=headers, follow_redirects=False)
        name = url.raw_host.decode("ascii")
        pinned_headers = {**headers, "host": url.netloc.decode("ascii")}

        def pinned(address: str) -> httpx.Request:
            return client.build_request(
                "POST",
                url.copy_with(host=address.split("%")[0]),
                content=body,
                headers=pinned_headers,
                extensions={"sni_hostname": name},
            )

        *others, last = addresses
        for address in others:
            try:
                return client.send(pinned(address), follow_redirects=False)
            except httpx.ConnectError:
                continue  # the next checked address
        return client.send(pinned(last), follow_redirects=False)

    def send(self, message: OutboxMessage) -> Delivery:
        """POST ``message`` to the endpoint, signed.

        Returns:
            The delivery; its ``provider_message_id`` is the ``webhook-id``.

        Raises:
            TransientDeliveryError: 429, 5xx, 408, no connection, a timeout.
            PermanentDeliveryError: a refused destination, a redirect, another 4xx.
        """
        import httpx

        addresses = self._destinations()
        now = datetime.now(UTC) if self.clock is None else self.clock.now()
        body = self.body(message, now)
        headers = sign_webhook(message.key, now, body, self.secrets)
        headers["content-type"] = "application/json"
        try:
            response = self._post(httpx.URL(self.url), addresses, body, headers)
        except httpx.HTTPError as error:
            raise TransientDeliveryError(
                f"{self.host}: {type(error).__name__}; the receiver drops a resend by "
                "its webhook-id"
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return Delivery(provider_message_id=message.key, detail=f"HTTP {status}")
        quoted = " ".join(response.text[:_DETAIL].split())
        reason = f"{self.host}: HTTP {status} {response.reason_phrase}: {quoted}"
        if status == 429 or status >= 500 or status == 408:
            wait = retry_after(response.headers.get("Retry-After"), now)
            raise TransientDeliveryError(reason, retry_after=wait)
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise PermanentDeliveryError(
                f"{self.host}: HTTP {status} redirect to {location!r} not followed"
            )
        raise PermanentDeliveryError(reason)
