"""Notifiers: the :class:`~dunning_core.ports.Notifier` port's adapters.

* :class:`SmtpNotifier`: e-mail through an SMTP server (standard library).
* :class:`HttpSmsNotifier`: SMS through a Twilio-compatible or a JSON HTTP gateway.
* :class:`WebhookNotifier`: signed JSON to an endpoint (Standard Webhooks), and
  :func:`verify_webhook` for the receiving side.
* :class:`~dunning_core.adapters.notify.letters.LetterNotifier`: letters as PDF in a
  print spool (the ``letters`` extra).
* :class:`RoutingNotifier`: picks the transport by channel, falls back to another
  channel, and keeps SMS and calls out of quiet hours.

The HTTP notifiers need ``httpx`` (the ``http`` extra) and the letters ``fpdf2``; each
is imported only when its notifier is, so ``from dunning_core.adapters.notify import
SmtpNotifier`` works without either.
See docs/channels.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dunning_core.adapters.notify._common import Secret
from dunning_core.adapters.notify.smtp import SmtpNotifier, SmtpSecurity
from dunning_core.adapters.webhook_signatures import (
    VerifiedWebhook,
    WebhookSecret,
    sign_webhook,
    verify_webhook,
)

if TYPE_CHECKING:
    from dunning_core.adapters.notify.letters import LetterNotifier
    from dunning_core.adapters.notify.routing import (
        RoutingNotifier,
        accounts_from,
        country_calendar,
    )
    from dunning_core.adapters.notify.sms_http import (
        HttpSmsNotifier,
        JsonGateway,
        SmsGateway,
        SmsRules,
        TwilioGateway,
    )
    from dunning_core.adapters.notify.webhook import WebhookNotifier, store_context

__all__ = [
    "HttpSmsNotifier",
    "JsonGateway",
    "LetterNotifier",
    "RoutingNotifier",
    "Secret",
    "SmsGateway",
    "SmsRules",
    "SmtpNotifier",
    "SmtpSecurity",
    "TwilioGateway",
    "VerifiedWebhook",
    "WebhookNotifier",
    "WebhookSecret",
    "accounts_from",
    "country_calendar",
    "sign_webhook",
    "store_context",
    "verify_webhook",
]

_LAZY = {
    "LetterNotifier": "letters",
    "HttpSmsNotifier": "sms_http",
    "JsonGateway": "sms_http",
    "SmsGateway": "sms_http",
    "SmsRules": "sms_http",
    "TwilioGateway": "sms_http",
    "WebhookNotifier": "webhook",
    "store_context": "webhook",
    "RoutingNotifier": "routing",
    "accounts_from": "routing",
    "country_calendar": "routing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
