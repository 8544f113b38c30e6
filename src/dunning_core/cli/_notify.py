"""The notifiers ``dunning dispatch`` sends through: printing (the default), a folder of
files, or an adapter of :mod:`dunning_core.adapters.notify` named in the settings,
routed by channel."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from dunning_core.cli._settings import UsageError, adapter_notifier
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import PermanentDeliveryError
from dunning_core.ports import Notifier
from dunning_core.rendering.tables import terminal_safe

__all__ = ["ChannelRouter", "DirectoryNotifier", "PrintingNotifier", "build_notifier"]


def _provider_id(prefix: str, message: OutboxMessage) -> str:
    return f"{prefix}-{hashlib.sha256(message.key.encode()).hexdigest()[:16]}"


class PrintingNotifier:
    """Prints each message (channel, recipient, subject; with ``bodies``, the text)."""

    def __init__(self, stream: TextIO, *, bodies: bool = False) -> None:
        self.stream = stream
        self.bodies = bodies
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> Delivery:
        """Print ``message``; always accepted."""
        recipient = terminal_safe(message.recipient.splitlines()[0] if message.recipient else "")
        self.stream.write(
            f"-> {message.channel:<17} {message.account_id:<10} {recipient[:40]:<40} "
            f"{terminal_safe(message.subject)}\n"
        )
        if self.bodies:
            for line in message.body.splitlines():
                self.stream.write(f"     {terminal_safe(line)}\n")
        self.sent.append(message)
        return Delivery(provider_message_id=_provider_id("print", message))


class DirectoryNotifier:
    """Writes each message to ``<path>/<channel>/<account>-<key prefix>.txt`` (a letter
    for a print-and-mail service, say). Writing the same message again replaces it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, message: OutboxMessage) -> Delivery:
        """Write ``message``'s file."""
        folder = self.path / message.channel
        account = message.account_id
        safe_account = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in account)
        target = folder / f"{safe_account}-{message.key[:16]}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(
                f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}\n",
                encoding="utf-8",
            )
        except OSError as error:
            raise PermanentDeliveryError(f"cannot write {target}: {error}") from error
        return Delivery(provider_message_id=_provider_id("file", message), detail=str(target))


class ChannelRouter:
    """Sends each message through the notifier of its channel, or the default one."""

    def __init__(self, by_channel: Mapping[str, Notifier], default: Notifier) -> None:
        self.by_channel = dict(by_channel)
        self.default = default

    def send(self, message: OutboxMessage) -> Delivery:
        """Route ``message``."""
        return self.by_channel.get(message.channel, self.default).send(message)


def build_notifier(
    specs: Mapping[str, Mapping[str, Any]], stream: TextIO, *, bodies: bool = False
) -> tuple[Notifier, PrintingNotifier]:
    """The router for the ``[notifiers]`` tables, and the printer it may use.

    Raises:
        UsageError: a table names an unknown or unavailable notifier type.
    """
    printer = PrintingNotifier(stream, bodies=bodies)
    builders: dict[str, Callable[[dict[str, Any]], Notifier]] = {
        "print": lambda options: printer,
        "directory": lambda options: DirectoryNotifier(options["path"]),
    }
    built: dict[str, Notifier] = {}
    for channel, spec in specs.items():
        options = {k: v for k, v in spec.items() if k != "type"}
        kind = str(spec["type"])
        try:
            builder = builders.get(kind)
            notifier = builder(options) if builder else adapter_notifier(kind, options)
        except KeyError as missing:
            raise UsageError(f"notifier {channel!r} of type {kind!r} needs {missing}") from None
        except TypeError as error:
            raise UsageError(f"notifier {channel!r} of type {kind!r}: {error}") from None
        built[channel] = notifier  # type: ignore[assignment]
    default = built.pop("default")
    return ChannelRouter(built, default), printer
