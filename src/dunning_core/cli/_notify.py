"""The notifiers ``dunning dispatch`` sends through, built from the settings file.

Each ``[notifiers.<CHANNEL>]`` table (or ``default``, for the channels not named) has
a ``type``: ``print`` (the default: one line per message on the terminal),
``directory`` (a file per message), or an adapter of
:mod:`dunning_core.adapters.notify`: ``smtp``
(:class:`~dunning_core.adapters.notify.SmtpNotifier`), ``sms_http``
(:class:`~dunning_core.adapters.notify.HttpSmsNotifier` over a ``twilio`` or ``json``
gateway), ``webhook`` (:class:`~dunning_core.adapters.notify.WebhookNotifier``) and
``letters`` (:class:`~dunning_core.adapters.notify.letters.LetterNotifier`). The other
keys are the adapter's own arguments; a key ending in ``_env`` names the environment
variable that holds the value (``password_env = "SMTP_PASSWORD"``), so a secret need not
be written in the file. Each adapter module is imported only when a table names it.

Every message goes through a :class:`~dunning_core.adapters.notify.RoutingNotifier`:
the transport of its channel, the fallback channels when the customer cannot be
reached on it, and quiet hours for SMS and calls in the customer's timezone, judged at
the dispatch instant. ``[routing]`` changes the fallbacks and turns the quiet hours off.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from dunning_core.cli._settings import UsageError
from dunning_core.domain.account import Channel
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import PermanentDeliveryError
from dunning_core.ports import Notifier, UowFactory
from dunning_core.rendering.tables import terminal_safe

__all__ = [
    "ADAPTER_TYPES",
    "DirectoryNotifier",
    "DispatchClock",
    "PrintingNotifier",
    "build_notifier",
]


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


class DispatchClock:
    """The instant a dispatch runs at, as a :class:`~dunning_core.ports.Clock`: the
    router's quiet hours and the e-mail ``Date`` follow ``--at`` (or each day of
    ``run --dispatch``), not the machine's clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """The dispatch instant."""
        return self.at


def _with_secrets(where: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with each ``<key>_env`` replaced by ``<key>`` = that variable's value."""
    resolved: dict[str, Any] = {}
    for key, value in options.items():
        if not key.endswith("_env"):
            resolved[key] = value
            continue
        name = str(value)
        if not os.environ.get(name):
            raise UsageError(f"notifier {where}: {key} names {name}, which is not set or empty")
        resolved[key.removesuffix("_env")] = os.environ[name]
    return resolved


def _smtp(options: dict[str, Any], clock: DispatchClock) -> Notifier:
    from dunning_core.adapters.notify import SmtpNotifier

    host = options.pop("host", None)
    notifier: Notifier = SmtpNotifier(host, options.pop("port", None), clock=clock, **options)
    return notifier


_RULES_KEYS = ("normalize", "max_segments")


def _sms_http(options: dict[str, Any], clock: DispatchClock) -> Notifier:
    from dunning_core.adapters.notify.sms_http import (
        HttpSmsNotifier,
        JsonGateway,
        SmsRules,
        TwilioGateway,
    )

    gateways: dict[str, Callable[..., Any]] = {"twilio": TwilioGateway, "json": JsonGateway}
    kind = str(options.pop("gateway", ""))
    if kind not in gateways:
        raise UsageError(f"sms_http needs gateway = one of {', '.join(gateways)}, not {kind!r}")
    rules = SmsRules(**{k: options.pop(k) for k in _RULES_KEYS if k in options})
    timeout = options.pop("timeout", 10.0)
    notifier: Notifier = HttpSmsNotifier(
        gateways[kind](**options), rules=rules, timeout=timeout, clock=clock
    )
    return notifier


def _webhook(options: dict[str, Any], clock: DispatchClock) -> Notifier:
    from dunning_core.adapters.notify.webhook import WebhookNotifier

    url = options.pop("url", None)
    secrets = options.pop("secrets", options.pop("secret", None))
    notifier: Notifier = WebhookNotifier(url, secrets, clock=clock, **options)
    return notifier


def _letters(options: dict[str, Any], clock: DispatchClock) -> Notifier:
    del clock
    from dunning_core.adapters.notify.letters import LetterNotifier
    from dunning_core.documents.letter import Sender

    sender = options.pop("sender", None)
    if not isinstance(sender, dict):
        raise UsageError('letters needs sender = { name = "...", lines = [...], city = ... }')
    notifier: Notifier = LetterNotifier(options.pop("spool_dir", None), sender=Sender(**sender))
    return notifier


#: Notifier types of :mod:`dunning_core.adapters.notify`, each built from its table.
ADAPTER_TYPES: Mapping[str, Callable[[dict[str, Any], DispatchClock], Notifier]] = {
    "smtp": _smtp,
    "sms_http": _sms_http,
    "webhook": _webhook,
    "letters": _letters,
}


def _build_one(
    channel: str, spec: Mapping[str, Any], printer: PrintingNotifier, clock: DispatchClock
) -> Notifier:
    kind = str(spec["type"])
    options = _with_secrets(channel, {k: v for k, v in spec.items() if k != "type"})
    try:
        if kind == "print":
            if options:
                raise TypeError(f"print takes no options, not {', '.join(sorted(options))}")
            return printer
        if kind == "directory":
            return DirectoryNotifier(options["path"])
        if kind not in ADAPTER_TYPES:
            known = ", ".join(["print", "directory", *ADAPTER_TYPES])
            raise UsageError(f"notifier {channel!r}: unknown type {kind!r}; known: {known}")
        try:
            return ADAPTER_TYPES[kind](options, clock)
        except ImportError as error:
            raise UsageError(
                f"notifier {channel!r}: type {kind!r} is not available ({error}); "
                'install its extra, e.g. pip install "dunning-core[http]"'
            ) from None
    except KeyError as missing:
        raise UsageError(f"notifier {channel!r} of type {kind!r} needs {missing}") from None
    except TypeError as error:
        raise UsageError(f"notifier {channel!r} of type {kind!r}: {error}") from None


def build_notifier(
    specs: Mapping[str, Mapping[str, Any]],
    routing: Mapping[str, Any],
    stream: TextIO,
    *,
    uow_factory: UowFactory,
    clock: DispatchClock,
    bodies: bool = False,
) -> tuple[Notifier, PrintingNotifier]:
    """The :class:`~dunning_core.adapters.notify.RoutingNotifier` for the
    ``[notifiers]`` and ``[routing]`` tables, and the printer it may use.

    Args:
        specs: Channel (or ``default``) -> the notifier's table.
        routing: The ``[routing]`` table: ``fallbacks`` (channel -> channels to try
            next; the router's defaults otherwise) and ``quiet_hours`` (``false``: SMS
            and calls at any hour).
        stream: Where ``print`` notifiers write.
        uow_factory: The store, for the router's account look-ups and for the channels
            a message's ladder stage already used (a fallback skips them).
        clock: The dispatch instant.
        bodies: ``print`` shows each message's text too.

    Raises:
        UsageError: a table names an unknown or unavailable type, lacks an argument, or
            names an environment variable that is not set.
        DunningError: an adapter refused its settings (``InvalidField``).
    """
    from dunning_core.adapters.notify import RoutingNotifier, accounts_from
    from dunning_core.adapters.notify.routing import same_stage_from

    printer = PrintingNotifier(stream, bodies=bodies)
    unknown = set(specs) - {"default", *Channel}
    if unknown:
        known = ", ".join(["default", *Channel])
        raise UsageError(f"[notifiers]: unknown channel {', '.join(sorted(unknown))}; {known}")
    built = {channel: _build_one(channel, spec, printer, clock) for channel, spec in specs.items()}
    default = built.get("default", printer)
    transports: dict[Channel | str, Notifier] = {
        channel: built.get(channel, default) for channel in Channel
    }
    extra = set(routing) - {"fallbacks", "quiet_hours"}
    if extra:
        raise UsageError(f"[routing]: unknown key {', '.join(sorted(extra))}")
    options: dict[str, Any] = {}
    if "fallbacks" in routing:
        options["fallbacks"] = {k: list(v) for k, v in dict(routing["fallbacks"]).items()}
    if routing.get("quiet_hours", True) is False:
        options["sending_hours"] = {}
    router = RoutingNotifier(
        transports,
        accounts=accounts_from(uow_factory),
        clock=clock,
        same_stage=same_stage_from(uow_factory),  # a fallback never repeats a stage's channel
        **options,
    )
    return router, printer
