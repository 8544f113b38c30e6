"""Real servers on 127.0.0.1 for testing notifiers: SMTP (aiosmtpd, optionally with a
``trustme`` certificate) and a scripted HTTP server (standard library).

They are what the library's own tests, ``make bench`` and ``python -m examples.demo
--smtp`` run against, and what a user can point their own configuration at in a test.
``aiosmtpd`` and ``trustme`` are imported when a server is built (install them with the
``dev`` extra or by hand); the HTTP server needs nothing but the standard library.

Traffic goes only to the loopback interface.

>>> with ScriptedHttpServer() as http:
...     http.script("/sms", [Reply(200, body=b'{"sid": "SM1"}')])
...     import urllib.request
...     urllib.request.urlopen(http.url("/sms"), data=b"x").read()
b'{"sid": "SM1"}'
"""

from __future__ import annotations

import enum
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import attrs

__all__ = [
    "HOST",
    "LocalSmtpServer",
    "ReceivedEmail",
    "ReceivedRequest",
    "Reply",
    "ScriptedHttpServer",
    "SmtpAnswer",
    "TlsMode",
    "free_port",
]

#: Every server here listens on the loopback interface only.
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# -- SMTP ---------------------------------------------------------------------------------


class TlsMode(enum.StrEnum):
    """How the test SMTP server offers TLS."""

    NONE = "NONE"
    STARTTLS = "STARTTLS"  #: offered and required before MAIL
    IMPLICIT = "IMPLICIT"  #: TLS from the first byte (SMTPS)


class SmtpAnswer(enum.StrEnum):
    """What the test SMTP server does with a message's content (after DATA)."""

    ACCEPT = "ACCEPT"  #: 250, the message is kept
    TEMPFAIL = "TEMPFAIL"  #: 451 4.3.0
    REJECT = "REJECT"  #: 554 5.6.0
    DROP = "DROP"  #: keeps the message, then closes the connection without a reply


@attrs.frozen
class ReceivedEmail:
    """One message the test SMTP server kept.

    Attributes:
        envelope_from: ``MAIL FROM``.
        recipients: ``RCPT TO`` addresses it accepted.
        data: The message as received.
        login: The user that authenticated, if any.
        tls: Whether the session was encrypted.
        peer: The client's ``(address, port)``: one per connection.
    """

    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes
    login: str | None
    tls: bool
    peer: tuple[str, int]

    @property
    def message(self) -> Message:
        """The message parsed by the standard library."""
        return message_from_bytes(self.data)

    @property
    def message_id(self) -> str:
        """Its ``Message-ID`` header (``""`` when missing)."""
        return str(self.message.get("Message-ID", ""))


class _Handler:
    def __init__(self, server: LocalSmtpServer) -> None:
        self.owner = server

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.owner.refuse_recipients.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        answer = self.owner.answer
        if answer is SmtpAnswer.TEMPFAIL:
            return "451 4.3.0 try again later"
        if answer is SmtpAnswer.REJECT:
            return "554 5.6.0 message refused"
        login = session.auth_data
        self.owner._keep(
            ReceivedEmail(
                envelope_from=str(envelope.mail_from),
                recipients=tuple(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content),
                login=None if login is None else _text(login),
                tls=session.ssl is not None or self.owner.tls is TlsMode.IMPLICIT,
                peer=(str(session.peer[0]), int(session.peer[1])),
            )
        )
        if answer is SmtpAnswer.DROP:
            server.transport.abort()
        for hook in self.owner.on_message:
            hook()
        return "250 2.0.0 OK queued"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class LocalSmtpServer:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives.

    With TLS, a throwaway certificate authority from ``trustme`` issues the server's
    certificate for ``certificate_host`` (``127.0.0.1`` by default, so clients that
    check host names accept it; give another name to test that they refuse it).

    Args:
        tls: NONE, STARTTLS (required before MAIL) or IMPLICIT.
        certificate_host: The name or address the certificate is issued for.
        credentials: ``(user, password)``: AUTH is then required (over TLS only).
        port: The port; a free one by default.
        smtputf8: Whether the server offers SMTPUTF8.

    Attributes:
        answer: What to do with each message's content (:class:`SmtpAnswer`); change it
            at any time.
        refuse_recipients: Lower-case address -> the reply that refuses it at RCPT
            (``"550 5.1.1 no such user"``).
        on_message: Callables run after a message is kept and before the reply.
    """

    def __init__(
        self,
        *,
        tls: TlsMode | str = TlsMode.NONE,
        certificate_host: str = HOST,
        credentials: tuple[str, str] | None = None,
        port: int | None = None,
        smtputf8: bool = True,
    ) -> None:
        self.tls = TlsMode(tls)
        self.certificate_host = certificate_host
        self.credentials = credentials
        self.port = free_port() if port is None else port
        self.smtputf8 = smtputf8
        self.answer = SmtpAnswer.ACCEPT
        self.refuse_recipients: dict[str, str] = {}
        self.on_message: list[Callable[[], None]] = []
        self._messages: list[ReceivedEmail] = []
        self._lock = threading.Lock()
        self._controller: Any = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._ca: Any = None

    @property
    def host(self) -> str:
        """Where it listens: ``127.0.0.1``."""
        return HOST

    @property
    def messages(self) -> list[ReceivedEmail]:
        """Every message kept so far, in order of arrival."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget the messages kept so far."""
        with self._lock:
            self._messages.clear()

    def _keep(self, received: ReceivedEmail) -> None:
        with self._lock:
            self._messages.append(received)

    @property
    def ca_file(self) -> Path:
        """A PEM file of the certificate authority that issued the server certificate.

        Raises:
            RuntimeError: the server has no TLS, or is not started.
        """
        if self._folder is None or self._ca is None:
            raise RuntimeError("the server has no certificate (tls=NONE or not started)")
        return Path(self._folder.name) / "ca.pem"

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts the server's certificate authority (and
        checks host names, like ``ssl.create_default_context``)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def start(self) -> Self:
        """Start listening; returns the server.

        Raises:
            ImportError: aiosmtpd (or trustme, with TLS) is not installed.
        """
        from aiosmtpd.controller import Controller

        server_ssl: ssl.SSLContext | None = None
        if self.tls is not TlsMode.NONE:
            import trustme

            self._folder = tempfile.TemporaryDirectory(prefix="dunning-smtp-")
            self._ca = trustme.CA()
            self._ca.cert_pem.write_to_path(str(self.ca_file))
            certificate = self._ca.issue_cert(self.certificate_host)
            server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            certificate.configure_cert(server_ssl)
        kwargs: dict[str, Any] = {
            "enable_SMTPUTF8": self.smtputf8,
            "ident": "dunning-core test SMTP",
        }
        if self.tls is TlsMode.STARTTLS:
            kwargs.update(tls_context=server_ssl, require_starttls=True)
        if self.credentials is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # aiosmtpd only counts STARTTLS as TLS; SMTPS is encrypted all along.
                auth_require_tls=self.tls is not TlsMode.IMPLICIT,
            )
        self._controller = Controller(
            _Handler(self),
            hostname=HOST,
            port=self.port,
            ssl_context=server_ssl if self.tls is TlsMode.IMPLICIT else None,
            server_hostname="mx.test.invalid",  # the name the server gives in its greeting
            **kwargs,
        )
        if self.tls is TlsMode.IMPLICIT:
            self._controller._trigger_server = self._wait_listening
        self._controller.start()
        return self

    def _wait_listening(self) -> None:
        # aiosmtpd's readiness probe checks nothing of a certificate for another host
        # name; a plain TCP connection is enough to know the server is up.
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if self.credentials is not None and isinstance(auth_data, LoginPassword):
            user, password = self.credentials
            if _text(auth_data.login) == user and _text(auth_data.password) == password:
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- HTTP ---------------------------------------------------------------------------------


@attrs.frozen
class Reply:
    """One scripted HTTP answer.

    Attributes:
        status: The status code.
        body: The body.
        headers: Extra headers (``{"Retry-After": "120"}``).
        delay: Seconds to wait before answering (past a client's timeout: a hang).
        content_type: The body's type.
    """

    status: int = 200
    body: bytes = b"{}"
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@attrs.frozen
class ReceivedRequest:
    """One request the scripted server answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class ScriptedHttpServer:
    """A threaded HTTP server on 127.0.0.1 that answers each path from a script.

    ``script(path, replies)`` queues replies for a path: each request takes the next
    one, and the last one repeats. Unscripted paths get 404. Every request is kept in
    :attr:`requests`.

    Args:
        certificate_host: Serve HTTPS with a ``trustme`` certificate issued for this
            name (``None``: plain HTTP); :meth:`client_context` trusts its authority.
    """

    def __init__(self, *, certificate_host: str | None = None) -> None:
        self.certificate_host = certificate_host
        self._ca: Any = None
        self._scripts: dict[str, list[Reply]] = {}
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    def script(self, path: str, replies: Iterable[Reply]) -> None:
        """Answer the next requests to ``path`` with ``replies`` (the last repeats)."""
        with self._lock:
            self._scripts[path] = list(replies)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """``http://127.0.0.1:<port><path>`` (``https`` with a certificate)."""
        scheme = "http" if self.certificate_host is None else "https"
        return f"{scheme}://{HOST}:{self.port}{path}"

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts the server's certificate authority and
        checks host names.

        Raises:
            RuntimeError: the server has no certificate, or is not started.
        """
        if self._ca is None:
            raise RuntimeError("the server has no certificate (plain HTTP or not started)")
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def _next(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            replies = self._scripts.get(request.path.split("?")[0])
            if not replies:
                return Reply(404, b'{"error": "not scripted"}')
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def start(self) -> Self:
        """Start listening on a free port.

        Raises:
            ImportError: trustme is not installed (with a certificate only).
        """
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = owner._next(request)
                if reply.delay and owner._closing.wait(reply.delay):
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        if self.certificate_host is not None:
            import trustme

            self._ca = trustme.CA()
            server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert(self.certificate_host).configure_cert(server_ssl)
            self._server.socket = server_ssl.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; replies still waiting are abandoned."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
