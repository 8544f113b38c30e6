"""SMS through an HTTP gateway (``httpx``; install the ``http`` extra).

:class:`HttpSmsNotifier` speaks to a Twilio-compatible Messages API
(:class:`TwilioGateway`: form-encoded ``To``, ``From`` or ``MessagingServiceSid``,
``Body``, basic auth) or to a generic JSON gateway (:class:`JsonGateway`: URL, field
names, bearer token and idempotency header configurable).

Before anything is sent, the recipient must be a valid number in E.164 and a mobile
one; the text goes through :func:`~dunning_core.policies.sms.gsm_normalize` (when the
account's :class:`SmsRules` allow it) and is fitted to the account's segment budget
with :func:`~dunning_core.policies.sms.fit`; the delivery records the segments billed.

What each outcome becomes:

* 2xx: sent (the provider's message id kept).
* 429, 5xx, 408: transient, waiting at least the ``Retry-After`` the gateway gave.
* 3xx: permanent (redirects are never followed); other 4xx: permanent, with the
  gateway's own error (Twilio's 21211 / 21614 / 21610 say the number is dead).
* No connection, or a timeout before the request was written: transient.
* A timeout or a dropped connection *after* the request was written: the gateway may
  have sent the SMS. With a gateway that takes an idempotency key, the retry carries
  the same key (the outbox key) and is transient; otherwise it is an
  :class:`~dunning_core.errors.UnknownDeliveryOutcome`, which the dispatcher moves to
  the dead letters marked for review instead of risking a second SMS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from dunning_core.adapters.notify._common import Secret, retry_after, secret
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import (
    DeliveryError,
    InvalidField,
    MalformedMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryOutcome,
)
from dunning_core.policies.sms import STRICT_3GPP, SmsProfile, count_segments, fit, gsm_normalize
from dunning_core.ports import Clock

if TYPE_CHECKING:
    import httpx

__all__ = [
    "GatewayRequest",
    "HttpSmsNotifier",
    "JsonGateway",
    "SmsGateway",
    "SmsRules",
    "TwilioGateway",
    "e164_mobile",
]

_DETAIL: Final = 300  # characters of a gateway's error body kept in a reason


def _positive_segments(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidField("SmsRules.max_segments", value, "must be an int >= 1")


def _profile(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, SmsProfile):
        raise InvalidField("SmsRules.profile", value, "must be an SmsProfile")


@attrs.frozen(kw_only=True)
class SmsRules:
    """How one account's SMS are prepared.

    Args:
        normalize: Replace typographic look-alikes by their GSM 7-bit twins
            (:func:`~dunning_core.policies.sms.gsm_normalize`), which keeps a French
            text with a curly apostrophe out of UCS-2 (70 characters a segment).
        max_segments: The budget: a longer text is shortened at a word boundary.
        profile: The sending route's encoding and billing rules.
    """

    normalize: bool = True
    max_segments: int = attrs.field(default=2, validator=_positive_segments)
    profile: SmsProfile = attrs.field(default=STRICT_3GPP, validator=_profile)

    def prepare(self, text: str) -> tuple[str, int]:
        """The text as it will be sent, and the number of segments it takes."""
        if self.normalize:
            text = gsm_normalize(text)[0]
        text = fit(text, self.max_segments, profile=self.profile)
        return text, count_segments(text, profile=self.profile).segments


def e164_mobile(value: str) -> str:
    """``value`` as an E.164 mobile number.

    Raises:
        MalformedMessage: not in international form, not a valid number, or a number
            that is not a mobile one.
    """
    import phonenumbers

    if not isinstance(value, str) or not value.strip().startswith("+"):
        raise MalformedMessage("recipient", value, "must be an E.164 number such as +33612345678")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise MalformedMessage("recipient", value, f"not a phone number ({error})") from None
    if not phonenumbers.is_valid_number(number):
        raise MalformedMessage("recipient", value, "not a valid number for its country")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise MalformedMessage("recipient", value, "not a mobile number: SMS cannot reach it")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@attrs.frozen
class GatewayRequest:
    """One HTTP request to a gateway.

    Attributes:
        url: Where it goes.
        headers: Its headers.
        form: A form-encoded body, or ``None``.
        json: A JSON body, or ``None``.
        auth: Basic-auth ``(user, secret)``, or ``None``.
    """

    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    form: Mapping[str, str] | None = None
    json: Mapping[str, Any] | None = None
    auth: tuple[str, Secret] | None = None


class SmsGateway(Protocol):
    """What :class:`HttpSmsNotifier` needs from a gateway's API."""

    @property
    def name(self) -> str:
        """A label for reasons and logs."""

    @property
    def takes_idempotency_key(self) -> bool:
        """Whether a retry carrying the same key is never sent twice by the gateway."""

    def request(self, key: str, to: str, text: str) -> GatewayRequest:
        """The request that sends ``text`` to ``to`` (``key``: the outbox key)."""

    def message_id(self, body: Any) -> str | None:
        """The gateway's id for the message, from its parsed JSON answer."""

    def error(self, status: int, body: Any) -> tuple[str, bool]:
        """A reason for a refusal, and whether it says the number is dead."""


def _text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{type(instance).__name__}.{attribute.name}", value, "must be text")


def _optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _url(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _text(instance, attribute, value)
    if not value.startswith(("https://", "http://")):
        raise InvalidField(
            f"{type(instance).__name__}.{attribute.name}", value, "must be an http(s) URL"
        )


def _secret_converter(value: Any) -> Secret:
    checked = secret(value, "auth_token")
    if checked is None:
        raise InvalidField("auth_token", None, "is required")
    return checked


def _optional_secret(value: Any) -> Secret | None:
    return secret(value, "token")


#: Twilio error codes that say the number itself cannot receive SMS.
_TWILIO_DEAD: Final = frozenset({21211, 21214, 21217, 21401, 21407, 21408, 21610, 21612, 21614})


@attrs.frozen(kw_only=True)
class TwilioGateway:
    """A Twilio-compatible Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

    Args:
        account_sid: The account SID (the basic-auth user).
        auth_token: The auth token (a str or :class:`Secret`; never shown).
        sender: ``From``: an E.164 number or an alphanumeric sender id.
        messaging_service_sid: ``MessagingServiceSid``, instead of ``sender``.
        base_url: The API root (a compatible provider's, or a test server's).

    The Messages API takes no idempotency key: a timeout after the request was written
    is an unknown outcome, for review.
    """

    account_sid: str = attrs.field(validator=_text)
    auth_token: Secret = attrs.field(converter=_secret_converter, repr=False)
    sender: str | None = attrs.field(default=None, validator=_optional_text)
    messaging_service_sid: str | None = attrs.field(default=None, validator=_optional_text)
    base_url: str = attrs.field(default="https://api.twilio.com", validator=_url)

    def __attrs_post_init__(self) -> None:
        if (self.sender is None) == (self.messaging_service_sid is None):
            raise InvalidField(
                "TwilioGateway.sender", self.sender, "give sender or messaging_service_sid"
            )

    @property
    def name(self) -> str:
        """``"twilio"``."""
        return "twilio"

    @property
    def takes_idempotency_key(self) -> bool:
        """False: the Messages API has no idempotency key."""
        return False

    def request(self, key: str, to: str, text: str) -> GatewayRequest:
        """The form-encoded request."""
        form = {"To": to, "Body": text}
        if self.messaging_service_sid is not None:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            assert self.sender is not None
            form["From"] = self.sender
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return GatewayRequest(url=url, form=form, auth=(self.account_sid, self.auth_token))

    def message_id(self, body: Any) -> str | None:
        """The ``sid`` of the message."""
        return _lookup(body, "sid")

    def error(self, status: int, body: Any) -> tuple[str, bool]:
        """Twilio's ``code`` and ``message``; some codes mean a dead number."""
        if isinstance(body, Mapping) and "code" in body:
            code = body.get("code")
            return f"Twilio error {code}: {body.get('message', '')}", code in _TWILIO_DEAD
        return "", False


def _lookup(body: Any, path: str) -> str | None:
    value = body
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return None if value is None or value == "" else str(value)


@attrs.frozen(kw_only=True)
class JsonGateway:
    """A generic JSON SMS gateway: ``POST url`` with a JSON object.

    Args:
        url: The endpoint.
        to_field: The field for the E.164 number.
        text_field: The field for the text.
        sender: The sender id or number, if the gateway wants one.
        sender_field: The field for ``sender``.
        reference_field: A field that carries the outbox key (``None``: not sent).
        idempotency_header: The header that carries the outbox key as an idempotency
            key, or ``None`` when the gateway takes none (a timeout after the request
            was written then goes to review).
        token: A bearer token (a str or :class:`Secret`; never shown).
        auth_header: The header the token goes in.
        auth_scheme: What precedes the token in it (``"Bearer"``; ``""`` for none).
        id_field: Where the answer holds the gateway's message id (dotted path,
            ``"messages.0.id"``).
        extra: Constant fields added to every request.
    """

    url: str = attrs.field(validator=_url)
    to_field: str = attrs.field(default="to", validator=_text)
    text_field: str = attrs.field(default="text", validator=_text)
    sender: str | None = attrs.field(default=None, validator=_optional_text)
    sender_field: str = attrs.field(default="from", validator=_text)
    reference_field: str | None = attrs.field(default="reference", validator=_optional_text)
    idempotency_header: str | None = attrs.field(
        default="Idempotency-Key", validator=_optional_text
    )
    token: Secret | None = attrs.field(default=None, converter=_optional_secret, repr=False)
    auth_header: str = attrs.field(default="Authorization", validator=_text)
    auth_scheme: str = "Bearer"
    id_field: str = attrs.field(default="id", validator=_text)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        """The gateway's host."""
        return self.url.split("/")[2]

    @property
    def takes_idempotency_key(self) -> bool:
        """True when ``idempotency_header`` is set."""
        return self.idempotency_header is not None

    def request(self, key: str, to: str, text: str) -> GatewayRequest:
        """The JSON request."""
        body: dict[str, Any] = dict(self.extra)
        body[self.to_field] = to
        body[self.text_field] = text
        if self.sender is not None:
            body[self.sender_field] = self.sender
        if self.reference_field is not None:
            body[self.reference_field] = key
        headers: dict[str, str] = {}
        if self.idempotency_header is not None:
            headers[self.idempotency_header] = key
        if self.token is not None:
            scheme = f"{self.auth_scheme} " if self.auth_scheme else ""
            headers[self.auth_header] = scheme + self.token.reveal()
        return GatewayRequest(url=self.url, headers=headers, json=body)

    def message_id(self, body: Any) -> str | None:
        """The value at ``id_field``."""
        return _lookup(body, self.id_field)

    def error(self, status: int, body: Any) -> tuple[str, bool]:
        """No gateway-specific meaning: the body is quoted in the reason."""
        return "", False


def _parsed(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class HttpSmsNotifier:
    """A :class:`~dunning_core.ports.Notifier` that sends SMS through an HTTP gateway.

    Args:
        gateway: A :class:`TwilioGateway`, a :class:`JsonGateway` or your own
            :class:`SmsGateway`.
        rules: How texts are prepared (normalisation, segment budget, profile).
        rules_for: The rules of one account (by id), when accounts differ; ``rules``
            otherwise.
        timeout: Seconds for connecting, writing and reading.
        client: An ``httpx.Client`` to use (its own redirects setting is overridden:
            redirects are never followed); one is made by default.
        clock: Reads ``Retry-After`` dates; the system clock by default.

    Raises:
        InvalidField: a bad setting.
    """

    def __init__(
        self,
        gateway: SmsGateway,
        *,
        rules: SmsRules | None = None,
        rules_for: Callable[[str], SmsRules] | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise InvalidField("HttpSmsNotifier.timeout", timeout, "must be a positive number")
        self.gateway = gateway
        self.rules = SmsRules() if rules is None else rules
        self.rules_for = rules_for
        self.timeout = float(timeout)
        self.clock = clock
        self._client = client

    def __repr__(self) -> str:
        return f"HttpSmsNotifier(gateway={self.gateway!r}, rules={self.rules!r})"

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

    def prepare(self, message: OutboxMessage) -> tuple[str, str, int]:
        """The number, the text as it will be sent, and its segments.

        Raises:
            MalformedMessage: the recipient is not a valid E.164 mobile number.
        """
        to = e164_mobile(message.recipient)
        rules = self.rules if self.rules_for is None else self.rules_for(message.account_id)
        text, segments = rules.prepare(message.body)
        return to, text, segments

    def send(self, message: OutboxMessage) -> Delivery:
        """Send ``message.body`` to ``message.recipient``.

        Returns:
            The delivery, with the gateway's id and the segments sent.

        Raises:
            MalformedMessage: the number is not a valid E.164 mobile one (nothing sent).
            TransientDeliveryError: 429, 5xx, no connection, a timeout before the
                request was written (or after it, with an idempotency key).
            PermanentDeliveryError: a 3xx or another 4xx.
            UnknownDeliveryOutcome: a timeout or a dropped connection after the request
                was written, to a gateway without idempotency keys.
        """
        import httpx

        to, text, segments = self.prepare(message)
        spec = self.gateway.request(message.key, to, text)
        name = self.gateway.name
        auth: httpx.BasicAuth | None = None
        if spec.auth is not None:
            auth = httpx.BasicAuth(spec.auth[0], spec.auth[1].reveal())
        try:
            response = self._http().post(
                spec.url,
                headers=dict(spec.headers),
                data=None if spec.form is None else dict(spec.form),
                json=None if spec.json is None else dict(spec.json),
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                follow_redirects=False,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise TransientDeliveryError(
                f"{name}: no connection ({type(error).__name__})"
            ) from None
        except (httpx.WriteTimeout, httpx.WriteError) as error:
            raise TransientDeliveryError(
                f"{name}: the request could not be written ({type(error).__name__})"
            ) from None
        except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as error:
            raise self._unknown(name, type(error).__name__) from None
        except httpx.HTTPError as error:
            raise TransientDeliveryError(f"{name}: {type(error).__name__}") from None
        return self._outcome(response, name, message.key, segments)

    def _unknown(self, name: str, what: str) -> DeliveryError:
        if self.gateway.takes_idempotency_key:
            return TransientDeliveryError(
                f"{name}: no answer after the request was written ({what}); the retry "
                "carries the same idempotency key"
            )
        return UnknownDeliveryOutcome(
            f"{name}: no answer after the request was written ({what}); the SMS may have "
            "gone out and the gateway takes no idempotency key"
        )

    def _outcome(self, response: httpx.Response, name: str, key: str, segments: int) -> Delivery:
        status = response.status_code
        body = _parsed(response)
        if 200 <= status < 300:
            provider_id = self.gateway.message_id(body) or f"{name}:{key}"
            return Delivery(provider_message_id=provider_id, segments=segments)
        quoted = " ".join(response.text[:_DETAIL].split())
        specific, dead = self.gateway.error(status, body)
        reason = f"{name}: HTTP {status} {response.reason_phrase}: {specific or quoted}"
        if status == 429 or status >= 500 or status == 408:
            now = datetime.now(UTC) if self.clock is None else self.clock.now()
            wait = retry_after(response.headers.get("Retry-After"), now)
            raise TransientDeliveryError(reason, retry_after=wait)
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise PermanentDeliveryError(
                f"{name}: HTTP {status} redirect to {location!r} not followed"
            )
        raise PermanentDeliveryError(reason, address_dead=dead)
