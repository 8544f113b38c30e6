"""E-mail through an SMTP server (standard library ``smtplib``, no extra).

:class:`SmtpNotifier` sends each outbox message as one e-mail: ``multipart/alternative``
with the plain text and, when the renderer made one, the HTML part, inside a
``multipart/mixed`` with the PDFs when the message carries attachments (invoices
through the :class:`~dunning_core.ports.Documents` port, a statement, the notice as a
letter: :class:`~dunning_core.adapters.notify.attachments.EmailAttachments`); a ``Message-ID``
derived from the outbox key (a resend after a crash is recognisably the same message);
``Auto-Submitted: auto-generated`` (dunning notices are transactional: no
``List-Unsubscribe``). Everything a header holds is checked before connecting: CR, LF
or NUL in a value, or an address that does not parse, raises
:class:`~dunning_core.errors.MalformedMessage` and nothing is sent.

Transport security is required by default: STARTTLS (port 587) or implicit TLS (port
465), with the certificate and the host name verified against the system's trust store
or the ``ssl_context`` given. Plain SMTP exists only under the loud name
:attr:`SmtpSecurity.INSECURE_PLAINTEXT`, for a relay on the same machine, and never with
a password.

What each reply becomes (and so what the dispatcher does with the message):

* 2xx: sent.
* 4xx, a connection refused or lost, a timeout: ``TransientDeliveryError`` (retried).
* 5xx to MAIL FROM, to RCPT TO for every recipient, or to DATA:
  ``PermanentDeliveryError`` (dead); 550/551/553 or 5.1.x to RCPT say the address is
  dead (``address_dead``), which lets a router fall back to another channel.
* Some recipients refused while others were accepted: sent, with each refusal in
  ``Delivery.refused``.
* TLS refused (no STARTTLS offered, a certificate that does not verify) or AUTH
  refused: transient, with a reason that names the configuration to fix.
* The connection lost after the content was sent: transient; the server may have
  taken the message, and the resend carries the same ``Message-ID``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import hashlib
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

import attrs

from dunning_core.adapters.notify._common import (
    Mailbox,
    Secret,
    check_header,
    message_id,
    parse_mailboxes,
    secret,
)
from dunning_core.adapters.notify.attachments import EmailAttachments, FileAttachment
from dunning_core.domain.attachments import Attachment
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import (
    DeliveryError,
    InvalidField,
    MalformedMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from dunning_core.ports import Clock

__all__ = ["BuiltEmail", "SmtpNotifier", "SmtpSecurity", "build_email"]

logger = logging.getLogger("dunning_core")


class SmtpSecurity(enum.StrEnum):
    """How the connection to the SMTP server is protected."""

    #: Plain connection upgraded with STARTTLS before anything else (port 587). The
    #: server must offer it; there is no fall-back to plain text.
    STARTTLS = "STARTTLS"
    #: TLS from the first byte, "SMTPS" (port 465).
    IMPLICIT_TLS = "IMPLICIT_TLS"
    #: No encryption at all: only for a relay on the same machine or a private link.
    #: Credentials are refused with it.
    INSECURE_PLAINTEXT = "INSECURE_PLAINTEXT"


_DEFAULT_PORTS: Final = {
    SmtpSecurity.STARTTLS: 587,
    SmtpSecurity.IMPLICIT_TLS: 465,
    SmtpSecurity.INSECURE_PLAINTEXT: 25,
}
_DOMAIN: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@attrs.frozen
class BuiltEmail:
    """An e-mail ready for the wire.

    Attributes:
        envelope_from: ``MAIL FROM``.
        recipients: The parsed ``To`` addresses (``RCPT TO`` uses their envelope form).
        data: The message bytes.
        message_id: Its ``Message-ID``.
        smtputf8: Whether an address needs the SMTPUTF8 extension.
        attachments: What the message carries: each requested attachment with its
            outcome (attached, linked, missing, omitted).
    """

    envelope_from: str
    recipients: tuple[Mailbox, ...]
    data: bytes
    message_id: str
    smtputf8: bool
    attachments: tuple[Attachment, ...] = ()


def _formatted(mailbox: Mailbox, utf8: bool) -> str:
    spec = mailbox.normalized if utf8 else mailbox.envelope
    username, _, domain = spec.rpartition("@")
    return str(Address(display_name=mailbox.display_name, username=username, domain=domain))


@lru_cache(maxsize=4096)
def _address_header(name: str, mailboxes: tuple[Mailbox, ...], utf8: bool) -> str:
    """The folded header line, encoded as RFC 2047 asks (computed once per list)."""
    policy = SMTPUTF8 if utf8 else SMTP
    text = ", ".join(_formatted(mailbox, utf8) for mailbox in mailboxes)
    folded: str = policy.header_factory(name, text).fold(policy=policy)
    return folded


_LONGEST_LINE: Final = 998  # RFC 5322 2.1.1, without the CRLF


def _text_part(text: str, subtype: str, utf8: bool) -> bytes:
    """A text part (its headers, a blank line, its body), CRLF line ends; the body
    ends as the text does (the CRLF before a boundary belongs to the boundary).

    Plain ASCII with short lines goes as 7bit; anything else as quoted-printable of its
    UTF-8 bytes (8bit when the session is SMTPUTF8 anyway).
    """
    raw = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    short = all(len(line) <= _LONGEST_LINE for line in raw.split(b"\n"))
    if short and raw.isascii() and b"\0" not in raw:
        encoding, body = "7bit", raw
    elif short and utf8 and b"\0" not in raw:
        encoding, body = "8bit", raw
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(raw, istext=True)
    body = body.replace(b"\n", b"\r\n")
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _disposition(filename: str) -> str:
    """``attachment; filename=...``: quoted when ASCII, RFC 2231 (UTF-8, percent-encoded)
    otherwise, folded by the email package's policy."""
    if filename.isascii():
        value = f'attachment; filename="{filename}"'
    else:
        value = f"attachment; filename*=utf-8''{quote(filename, safe='')}"
    folded: str = SMTP.header_factory("Content-Disposition", value).fold(policy=SMTP)
    return folded


def _file_part(attachment: FileAttachment) -> bytes:
    """A base64 part: its headers, a blank line, 76-character lines ending in CRLF."""
    body = base64.encodebytes(attachment.data).replace(b"\n", b"\r\n")
    head = (
        f"Content-Type: {attachment.content_type}\r\n"
        + _disposition(attachment.filename)
        + "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + body.removesuffix(b"\r\n")


def _boundary(key: str, content: bytes) -> str:
    # Deterministic (a resend is byte for byte the same but for Date), and never a line
    # of the parts: quoted-printable escapes "=", so "=_" cannot occur in an encoded part.
    boundary = "=_dunning_" + hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()
    while boundary.encode("ascii") in content:
        boundary += "_"
    return boundary


def build_email(
    message: OutboxMessage,
    *,
    sender: str,
    reply_to: str | None = None,
    envelope_sender: str | None = None,
    message_id_domain: str,
    date: datetime,
    attachments: Sequence[FileAttachment] = (),
    carried: Sequence[Attachment] = (),
) -> BuiltEmail:
    """The e-mail for one outbox message, every header checked.

    Args:
        message: The outbox message (``recipient`` is an address list).
        sender: The ``From`` mailbox (``"Billing <billing@acme.example>"``).
        reply_to: A ``Reply-To`` mailbox, if any.
        envelope_sender: Where bounces go (``MAIL FROM``); the sender's address by
            default.
        message_id_domain: The right-hand side of the ``Message-ID``.
        date: The ``Date`` header.
        attachments: Files to attach: the text (and HTML) then go inside a
            ``multipart/mixed`` with one base64 part per file.
        carried: What the message carries, kept on the result
            (:attr:`BuiltEmail.attachments`).

    Returns:
        The envelope and the message bytes.

    Raises:
        MalformedMessage: a header value holds CR, LF or NUL, or an address does not
            parse.
    """
    subject = check_header("subject", message.subject)
    recipients = parse_mailboxes("recipient", message.recipient)
    senders = parse_mailboxes("sender", sender)
    if len(senders) != 1:
        raise MalformedMessage("sender", sender, "must be exactly one address")
    replies = parse_mailboxes("reply_to", reply_to) if reply_to is not None else ()
    bounce = parse_mailboxes("envelope_sender", envelope_sender)[0] if envelope_sender else None
    every = [*recipients, *senders, *replies, *([bounce] if bounce else [])]
    utf8 = any(mailbox.ascii is None for mailbox in every)
    policy = SMTPUTF8 if utf8 else SMTP
    ident = message_id(message.key, message_id_domain)
    try:
        head = [
            _address_header("From", senders, utf8),
            _address_header("To", recipients, utf8),
        ]
        if replies:
            head.append(_address_header("Reply-To", replies, utf8))
        head.append(policy.header_factory("Subject", subject).fold(policy=policy))
        head.append(f"Date: {format_datetime(date.astimezone(UTC))}\r\n")
        head.append(f"Message-ID: {ident}\r\n")
        head.append("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n")
    except (ValueError, TypeError) as error:  # the email package's own refusals
        raise MalformedMessage("message", message.key, f"cannot be encoded: {error}") from None
    plain = _text_part(message.body, "plain", utf8)
    if message.html_body is None:
        body = plain
    else:
        html = _text_part(message.html_body, "html", utf8)
        boundary = _boundary(message.key, plain + html)
        body = (
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode()
            + f"--{boundary}\r\n".encode()
            + plain
            + f"\r\n--{boundary}\r\n".encode()
            + html
            + f"\r\n--{boundary}--\r\n".encode()
        )
    if attachments:
        files = [_file_part(attachment) for attachment in attachments]
        mixed = _boundary(message.key + "\0mixed", body + b"".join(files))
        body = (
            f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'.encode()
            + f"--{mixed}\r\n".encode()
            # The alternative's closing line ends in CRLF; the next boundary brings its own.
            + (body if message.html_body is None else body.removesuffix(b"\r\n"))
            + b"".join(f"\r\n--{mixed}\r\n".encode() + part for part in files)
            + f"\r\n--{mixed}--\r\n".encode()
        )
    data = "".join(head).encode("utf-8" if utf8 else "ascii") + body
    return BuiltEmail(
        envelope_from=(bounce or senders[0]).envelope,
        recipients=tuple(recipients),
        data=data,
        message_id=ident,
        smtputf8=utf8,
        attachments=tuple(carried),
    )


class _Stale(Exception):
    """The connection was dead before anything of the message was sent."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _dead_address(code: int, text: bytes | str) -> bool:
    # 550/551/553 to RCPT, or an enhanced status 5.1.x (bad destination mailbox).
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return code in (550, 551, 553) or body.lstrip().startswith("5.1.")


def _refused(stage: str, code: int, text: bytes | str, *, rcpt: bool = False) -> DeliveryError:
    reply = f"{stage}: {_reply(code, text)}"
    if 500 <= code < 600:
        return PermanentDeliveryError(reply, address_dead=rcpt and _dead_address(code, text))
    return TransientDeliveryError(reply)


class SmtpNotifier:
    """A :class:`~dunning_core.ports.Notifier` that sends e-mail through an SMTP server.

    One connection is kept open and reused (a fresh one after
    ``max_messages_per_connection`` messages, or when the server closed it while idle);
    calls from several threads take turns on it. The notifier pickles without its
    connection, so each worker process opens its own.

    Args:
        host: The SMTP server.
        port: Its port; 587 (STARTTLS), 465 (implicit TLS) or 25 (plain) by default.
        sender: The ``From`` mailbox, e.g. ``"ACME Billing <billing@acme.example>"``.
        security: STARTTLS (default), IMPLICIT_TLS, or INSECURE_PLAINTEXT.
        ssl_context: The TLS settings; ``ssl.create_default_context()`` (system trust
            store, host name checked) by default.
        cafile: A PEM file of certificate authorities to trust instead of the system's
            (host names still checked). Unlike ``ssl_context``, it pickles.
        username: Log in with AUTH as this user.
        password: The password (a str or a :class:`Secret`; never shown anywhere).
        reply_to: A ``Reply-To`` mailbox (the accounts-receivable team).
        envelope_sender: The ``MAIL FROM`` address bounces go to; the sender's by
            default.
        message_id_domain: The domain in ``Message-ID``; the sender's by default.
        timeout: Seconds each network operation may take.
        local_hostname: The name given in ``EHLO``; the machine's by default.
        max_messages_per_connection: Messages sent on one connection before a new one.
        clock: Gives the ``Date`` header; the system clock by default.
        attachments: Fetches, prints and caps the files a message asks for (the team's
            :class:`~dunning_core.ports.Documents`, download links, the size cap);
            ``EmailAttachments()`` by default, which prints statements and notices
            and records every invoice as missing.

    Raises:
        InvalidField: a setting is unusable (no host, a bad port, a sender that is not
            one address, credentials over plain text, a password without a user).
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        sender: str,
        security: SmtpSecurity | str = SmtpSecurity.STARTTLS,
        ssl_context: ssl.SSLContext | None = None,
        cafile: str | os.PathLike[str] | None = None,
        username: str | None = None,
        password: str | Secret | None = None,
        reply_to: str | None = None,
        envelope_sender: str | None = None,
        message_id_domain: str | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        max_messages_per_connection: int = 100,
        clock: Clock | None = None,
        attachments: EmailAttachments | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise InvalidField("SmtpNotifier.host", host, "must be a host name or address")
        try:
            self.security = SmtpSecurity(security)
        except ValueError:
            choices = ", ".join(s.value for s in SmtpSecurity)
            raise InvalidField("SmtpNotifier.security", security, f"one of {choices}") from None
        port = _DEFAULT_PORTS[self.security] if port is None else port
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise InvalidField("SmtpNotifier.port", port, "must be an int from 1 to 65535")
        self.password = secret(password, "SmtpNotifier.password")
        if self.password is not None and not username:
            raise InvalidField("SmtpNotifier.username", username, "a password needs a username")
        if username is not None and self.password is None:
            raise InvalidField("SmtpNotifier.password", None, "a username needs a password")
        if username is not None and self.security is SmtpSecurity.INSECURE_PLAINTEXT:
            raise InvalidField(
                "SmtpNotifier.security",
                self.security.value,
                "credentials are never sent over an unencrypted connection",
            )
        for name, value in (("username", username), ("local_hostname", local_hostname)):
            if value is not None:
                _config_header(name, value)
        self.sender = _one_mailbox("sender", sender)
        self.reply_to = reply_to
        if reply_to is not None:
            _config_addresses("reply_to", reply_to)
        self.envelope_sender = envelope_sender
        if envelope_sender is not None:
            _one_mailbox("envelope_sender", envelope_sender)
        domain = message_id_domain or self.sender.envelope.rpartition("@")[2]
        if not _DOMAIN.fullmatch(domain):
            raise InvalidField("SmtpNotifier.message_id_domain", domain, "must be a domain name")
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise InvalidField("SmtpNotifier.timeout", timeout, "must be a positive number")
        if not isinstance(max_messages_per_connection, int) or max_messages_per_connection < 1:
            raise InvalidField(
                "SmtpNotifier.max_messages_per_connection",
                max_messages_per_connection,
                "must be an int >= 1",
            )
        self.host = host
        self.port = port
        self.username = username
        self.message_id_domain = domain
        self.timeout = float(timeout)
        self.local_hostname = local_hostname
        self.max_messages_per_connection = max_messages_per_connection
        self.clock = clock
        self.attachments = EmailAttachments() if attachments is None else attachments
        self._sender_text = sender
        if ssl_context is not None and cafile is not None:
            raise InvalidField("SmtpNotifier.cafile", str(cafile), "give ssl_context or cafile")
        self._ssl_context = ssl_context
        self.cafile = None if cafile is None else os.fspath(cafile)
        self._connection: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        self._lock = threading.Lock()
        if self.security is SmtpSecurity.INSECURE_PLAINTEXT:
            logger.warning(
                "SmtpNotifier sends to %s:%d WITHOUT ENCRYPTION (INSECURE_PLAINTEXT): "
                "acceptable only for a relay on this machine",
                host,
                port,
            )

    def __repr__(self) -> str:
        password = "None" if self.password is None else "'***'"
        return (
            f"SmtpNotifier(host={self.host!r}, port={self.port}, "
            f"security={self.security.value}, sender={self._sender_text!r}, "
            f"username={self.username!r}, password={password})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_connection"] = None
        state["_sent_on_connection"] = 0
        del state["_lock"]
        if state["_ssl_context"] is not None:
            if self.cafile is None:
                raise TypeError("an SmtpNotifier with an ssl_context does not pickle; use cafile")
            state["_ssl_context"] = None  # rebuilt from cafile
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __enter__(self) -> SmtpNotifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        with self._lock:
            self._drop(polite=True)

    def build(self, message: OutboxMessage) -> BuiltEmail:
        """The e-mail :meth:`send` would send for ``message``, without connecting: its
        attachments fetched and printed, their notes added to the text.

        Raises:
            MalformedMessage: a header value holds CR, LF or NUL, or an address does
                not parse.
            TransientDeliveryError: the Documents port failed, or fpdf2 is missing.
        """
        now = datetime.now(UTC) if self.clock is None else self.clock.now()
        assembled = self.attachments.assemble(message)
        if assembled.notes:
            message = attrs.evolve(
                message,
                body=assembled.text(message.body),
                html_body=assembled.html(message.html_body),
            )
        return build_email(
            message,
            sender=self._sender_text,
            reply_to=self.reply_to,
            envelope_sender=self.envelope_sender,
            message_id_domain=self.message_id_domain,
            date=now,
            attachments=assembled.files,
            carried=assembled.carried,
        )

    def send(self, message: OutboxMessage) -> Delivery:
        """Send ``message`` as one e-mail.

        Returns:
            The delivery: its ``provider_message_id`` is the ``Message-ID``, its
            ``detail`` the server's reply to DATA (with the queue id), ``refused`` the
            recipients refused while others were accepted, ``attachments`` what the
            message carried.

        Raises:
            MalformedMessage: refused before connecting (header injection, an address
                that does not parse).
            TransientDeliveryError: a 4xx reply, a connection or TLS problem, a timeout.
            PermanentDeliveryError: a 5xx reply.
        """
        built = self.build(message)
        with self._lock:
            for _ in range(2):
                fresh = self._connection is None
                connection = self._connect()
                try:
                    return self._transaction(connection, built)
                except _Stale as stale:
                    self._drop(polite=False)
                    if fresh:
                        raise TransientDeliveryError(str(stale)) from None
            raise TransientDeliveryError("the server closed two connections in a row")

    # -- the wire -----------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context(cafile=self.cafile)
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            if self._sent_on_connection < self.max_messages_per_connection:
                return self._connection
            self._drop(polite=True)
        where = f"{self.host}:{self.port}"
        connection: smtplib.SMTP | None = None
        try:
            if self.security is SmtpSecurity.IMPLICIT_TLS:
                connection = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._context(),
                )
            else:
                connection = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
            connection.ehlo()
            if self.security is SmtpSecurity.STARTTLS:
                if not connection.has_extn("starttls"):
                    raise TransientDeliveryError(
                        f"{where} does not offer STARTTLS; refusing to send in plain text"
                    )
                connection.starttls(context=self._context())
                connection.ehlo()
            if self.username is not None and self.password is not None:
                connection.login(self.username, self.password.reveal())
        except TransientDeliveryError:
            _close(connection)
            raise
        except ssl.SSLCertVerificationError as error:
            _close(connection)
            raise TransientDeliveryError(
                f"TLS certificate of {where} refused: {error.verify_message}"
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            _close(connection)
            raise TransientDeliveryError(
                f"{where} refused the login of {self.username!r}: "
                f"{_reply(error.smtp_code, error.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as error:
            _close(connection)
            raise TransientDeliveryError(
                f"{where} refused the session: {_reply(error.smtp_code, error.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            _close(connection)
            raise TransientDeliveryError(f"cannot open a session with {where}: {error}") from None
        self._connection = connection
        self._sent_on_connection = 0
        return connection

    def _drop(self, *, polite: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and polite:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.quit()
        _close(connection)

    def _transaction(self, connection: smtplib.SMTP, built: BuiltEmail) -> Delivery:
        options: list[str] = []
        if connection.does_esmtp and connection.has_extn("size"):
            options.append(f"SIZE={len(built.data)}")
        if built.smtputf8:
            if not connection.has_extn("smtputf8"):
                raise MalformedMessage(
                    "recipient",
                    ", ".join(m.normalized for m in built.recipients),
                    f"needs SMTPUTF8, which {self.host}:{self.port} does not offer",
                )
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        try:
            code, text = connection.mail(built.envelope_from, options)
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            raise _Stale(f"connection lost before MAIL FROM: {error}") from None
        if code == 421:
            raise _Stale(f"MAIL FROM: {_reply(code, text)}")
        if code != 250:
            self._reset(connection)
            raise _refused("MAIL FROM", code, text)
        refused: dict[str, tuple[int, bytes]] = {}
        for mailbox in built.recipients:
            try:
                code, text = connection.rcpt(mailbox.envelope)
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                self._drop(polite=False)
                raise TransientDeliveryError(f"connection lost during RCPT TO: {error}") from None
            if code == 421:
                self._drop(polite=False)
                raise TransientDeliveryError(f"RCPT TO: {_reply(code, text)}")
            if code not in (250, 251):
                refused[mailbox.normalized] = (code, text)
        if len(refused) == len(built.recipients):
            self._reset(connection)
            raise self._all_refused(refused)
        try:
            code, text = connection.data(built.data)
        except smtplib.SMTPDataError as error:  # DATA itself refused (no 354)
            self._reset(connection)
            raise _refused("DATA", error.smtp_code, error.smtp_error) from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop(polite=False)
            raise TransientDeliveryError(
                f"connection lost after DATA ({error}); the server may have accepted the "
                f"message, which is sent again with the same Message-ID {built.message_id}"
            ) from None
        if code != 250:
            if code == 421:
                self._drop(polite=False)
            else:
                self._reset(connection)
            raise _refused("end of DATA", code, text)
        self._sent_on_connection += 1
        return Delivery(
            provider_message_id=built.message_id,
            detail=_reply(code, text),
            attachments=built.attachments,
            refused=tuple(
                (address, _reply(code, text)) for address, (code, text) in refused.items()
            ),
        )

    def _all_refused(self, refused: dict[str, tuple[int, bytes]]) -> DeliveryError:
        replies = "; ".join(f"{address}: {_reply(*answer)}" for address, answer in refused.items())
        if any(400 <= code < 500 for code, _ in refused.values()):
            return TransientDeliveryError(f"RCPT TO refused every recipient: {replies}")
        dead = all(_dead_address(code, text) for code, text in refused.values())
        return PermanentDeliveryError(
            f"RCPT TO refused every recipient: {replies}", address_dead=dead
        )

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            code, _ = connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(polite=False)
            return
        if code != 250:
            self._drop(polite=False)


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


def _config_header(name: str, value: str) -> None:
    try:
        check_header(name, value)
    except MalformedMessage as error:
        raise InvalidField(f"SmtpNotifier.{name}", value, error.problem) from None


def _config_addresses(name: str, value: str) -> tuple[Mailbox, ...]:
    try:
        return parse_mailboxes(name, value)
    except MalformedMessage as error:
        raise InvalidField(f"SmtpNotifier.{name}", value, error.problem) from None


def _one_mailbox(name: str, value: str) -> Mailbox:
    found = _config_addresses(name, value)
    if len(found) != 1:
        raise InvalidField(f"SmtpNotifier.{name}", value, "must be exactly one address")
    return found[0]
