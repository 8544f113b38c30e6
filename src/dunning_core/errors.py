"""One exception hierarchy, rooted at :class:`DunningError`.

Every error raised for bad input names the field and the offending value, so a caller
can report it without reading the library's source. Input errors also subclass the
builtin a caller would naturally catch (``ValueError`` or ``TypeError``), the way attrs'
``FrozenError`` subclasses ``AttributeError``.

Catch :class:`DunningError` to handle everything this library raises on purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "AccountMismatch",
    "AmountTooLarge",
    "BankFileError",
    "ChangeTooSoon",
    "ConfigError",
    "ConstraintViolation",
    "CorruptRecord",
    "CurrencyMismatch",
    "DateOutOfRange",
    "DeliveryDeferred",
    "DeliveryError",
    "DunningError",
    "DuplicatePayment",
    "DuplicateRefund",
    "ForeignDatabase",
    "HostileBankFile",
    "InvalidAmount",
    "InvalidAsOf",
    "InvalidContact",
    "InvalidCreditorReference",
    "InvalidDateRange",
    "InvalidField",
    "InvalidIban",
    "InvalidIdentifier",
    "InvalidInputFile",
    "InvalidLadder",
    "InvalidLocale",
    "InvalidPolicy",
    "InvalidRemittance",
    "InvalidSignature",
    "InvalidSmsProfile",
    "InvalidTimezone",
    "InvalidUnitOfWork",
    "MalformedBankFile",
    "MalformedMessage",
    "PermanentDeliveryError",
    "RenderError",
    "SchemaVersionError",
    "ShardPlanMismatch",
    "StoreBusy",
    "StoreError",
    "StoreUnavailable",
    "TemplateError",
    "TransientDeliveryError",
    "UnitOfWorkClosed",
    "UnknownCurrency",
    "UnknownDeliveryOutcome",
    "UnknownRecord",
    "UnsupportedBankFile",
    "WebhookVerificationError",
]


class DunningError(Exception):
    """Base class of every error this library raises on purpose."""


class InvalidField(DunningError, ValueError):
    """A value failed validation.

    Attributes:
        field: The name of the field (``"Invoice.due_on"``, ``"Money.amount"``).
        value: The value that was rejected.
    """

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}={value!r}: {problem}")


class InvalidIdentifier(InvalidField):
    """An identifier (account id, invoice or payment number, stage key, ...) is empty,
    begins or ends with whitespace, holds a control or format character (CR, LF, NUL,
    a bidirectional override, ...), or is not in Unicode NFC form. Identifiers are
    compared exactly, so such a value would be a second, look-alike record."""


class InvalidAmount(InvalidField):
    """An amount is not a whole number of the currency's minor units, or has the
    wrong sign for its field (a non-positive invoice amount, a negative remittance)."""


class AmountTooLarge(InvalidAmount):
    """An amount is beyond :data:`~dunning_core.money.MAX_MINOR_UNITS` (10^18 - 1 minor
    units, either sign): refused at construction and when arithmetic would go past it,
    so every store holds every amount exactly."""


class UnknownCurrency(InvalidField):
    """The currency code is not an ISO 4217 code with a minor unit (``XAU`` and
    ``XXX`` have none and are rejected too)."""


class InvalidTimezone(InvalidField):
    """The timezone is not an IANA key the tz database knows."""


class InvalidLocale(InvalidField):
    """The locale is not one babel (CLDR) knows."""


class InvalidDateRange(InvalidField):
    """Two dates are in the wrong order (an invoice due before it was issued)."""


class DateOutOfRange(InvalidField):
    """A date computed from the data (a due date plus a ladder offset, a grace period)
    falls outside the calendar Python can represent (years 1 to 9999). The cycle
    reports the account concerned and carries on."""


class InvalidContact(InvalidField):
    """An email address or mobile number is malformed."""


class InvalidAsOf(InvalidField):
    """An ``as_of`` value is neither a ``date`` nor a timezone-aware ``datetime``."""


class InvalidRemittance(InvalidField):
    """A remittance advice or one of its lines is inconsistent."""


class CurrencyMismatch(DunningError, ValueError):
    """Two amounts in different currencies were combined."""

    def __init__(self, left: str, right: str, context: str = "") -> None:
        self.left = left
        self.right = right
        where = f" in {context}" if context else ""
        super().__init__(f"cannot combine {left} with {right}{where}")


class AccountMismatch(DunningError, ValueError):
    """A record belongs to another account than the one being processed."""

    def __init__(self, field: str, expected: str, actual: str | None) -> None:
        self.field = field
        self.expected = expected
        self.actual = actual
        super().__init__(f"{field}={actual!r}: expected account {expected!r}")


class DuplicatePayment(DunningError):
    """A payment id was seen before with a different amount or account."""

    def __init__(self, payment_id: str, detail: str) -> None:
        self.payment_id = payment_id
        super().__init__(f"payment {payment_id!r} already recorded: {detail}")


class DuplicateRefund(DunningError, ValueError):
    """A refund id was seen before with a different amount, day or account."""

    def __init__(self, refund_id: str, detail: str) -> None:
        self.refund_id = refund_id
        super().__init__(f"refund {refund_id!r} already recorded: {detail}")


# -- policies ---------------------------------------------------------------------------


class InvalidPolicy(InvalidField):
    """A policy is configured with a value it cannot work with (a negative number of
    days, a credit threshold that is not a positive whole percentage, ...)."""


# --- SMS (policies.sms) ---------------------------------------------------------------


class InvalidSmsProfile(InvalidField):
    """An SMS sending profile has a field it cannot use (an unknown national language,
    a concatenation reference other than 8 or 16 bits, a character cost other than 1
    or 2)."""


# -- Dunning ladders ---------------------------------------------------------------------


class InvalidLadder(InvalidPolicy):
    """A ladder or one of its stages is inconsistent (duplicate stage keys, offsets not
    strictly increasing, two terminal actions, a notice stage without a channel).

    Attributes:
        stage: The key of the stage concerned, when one is.
    """

    def __init__(self, field: str, value: Any, problem: str, *, stage: str | None = None) -> None:
        super().__init__(field, value, problem)
        self.stage = stage


class ChangeTooSoon(DunningError, ValueError):
    """An account's ladder (its reminder option) was changed less than 30 days ago.

    Attributes:
        account_id: The account.
        changed_on: The day of the last change.
        first_allowed: The first day a new change is accepted.
    """

    def __init__(self, account_id: str, changed_on: Any, first_allowed: Any) -> None:
        self.account_id = account_id
        self.changed_on = changed_on
        self.first_allowed = first_allowed
        super().__init__(
            f"account {account_id!r} changed its ladder on {changed_on}; "
            f"the next change is allowed from {first_allowed}"
        )


class ConfigError(InvalidField):
    """A configuration file holds a bad value.

    The message names the file, the place in it (ladder and stage key) and the field;
    ``problems`` lists every problem found, so one bad stage does not hide the next.

    Attributes:
        path: The file.
        problems: ``(where, field, value, problem)`` for every problem, in file order;
            ``where`` reads like ``"ladder 'standard', stage 'first_notice'"``.
    """

    def __init__(self, path: str, problems: list[tuple[str, str, Any, str]]) -> None:
        self.path = path
        self.problems = tuple(problems)
        where, field, value, problem = problems[0]
        lines = [f"{path}: {w}: {f}={v!r}: {p}" for w, f, v, p in problems]
        Exception.__init__(self, "\n".join(lines))
        self.field = field
        self.value = value
        self.problem = problem
        self.where = where


# -- storage ----------------------------------------------------------------------------


class StoreError(DunningError):
    """A store could not do what was asked; the unit of work should be rolled back.

    Adapters translate their driver's exceptions (``sqlite3.Error``, ``psycopg.Error``)
    into this family, so callers never import a driver to handle a failure. The driver's
    exception stays available as ``__cause__``.
    """


class StoreBusy(StoreError):
    """Another writer held the store longer than the busy timeout. Retrying later is
    safe: nothing of the failed unit of work was written."""


class StoreUnavailable(StoreError, ConnectionError):
    """The store's server could not be reached, or the connection broke in the middle
    of a unit of work (a restart, a network cut). Nothing of the unit of work was
    committed unless its ``commit()`` returned; retrying later is safe for the
    library's services (their writes are keyed or checkpointed)."""


class ConstraintViolation(StoreError, ValueError):
    """A write broke an integrity rule: a record of an unknown account, an allocation
    to an unknown invoice, a second record under a key that must be unique."""


class UnknownRecord(StoreError, KeyError):
    """A record named by its key is not in the store.

    Attributes:
        kind: What was looked up (``"payment"``).
        key: The key that was not found.
    """

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r} in the store")

    def __str__(self) -> str:  # KeyError would show the repr of the whole message
        return str(self.args[0])


class SchemaVersionError(StoreError):
    """The database was written by a newer version of the library than this one."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"database schema version {found} is newer than this library supports "
            f"({supported}); upgrade dunning-core"
        )


class ShardPlanMismatch(DunningError, ValueError):
    """A cycle shard was asked with another number of shards than its run date's plan
    (or with no plan on file): running it would evaluate accounts of other shards.

    Attributes:
        run_date: The run date.
        planned: The number of shards on file (``None`` without a plan).
        asked: The number of shards of the refused job or plan.
    """

    def __init__(self, run_date: Any, planned: int | None, asked: int) -> None:
        self.run_date = run_date
        self.planned = planned
        self.asked = asked
        on_file = "no plan is on file" if planned is None else f"it is planned in {planned}"
        super().__init__(f"run date {run_date}: refusing a split in {asked} shards, {on_file}")


class InvalidUnitOfWork(InvalidField, TypeError):
    """A service got a unit of work where it takes a factory of them, or the reverse.

    The services that run one transaction (``record_payment``, ``record_invoice``, ...)
    take a unit of work not yet entered, ``store.unit_of_work()``; those that run many
    (``run_cycle``, ``dispatch``) take the factory, ``store.unit_of_work``. The message
    says which was expected.
    """


class CorruptRecord(StoreError, InvalidField):
    """A stored record cannot be read back: a hand edit, another program or a damaged
    file left a value this library never writes (``due_on = '2026-02-30'``, contacts
    that are not JSON, a timezone that is a folder of the tz database).

    The cycle reports the account in :attr:`CycleReport.errors
    <dunning_core.service.cycle.CycleReport.errors>` and carries on; the dispatcher
    moves an unreadable outbox message to the dead letters. The validation error that
    failed, if any, is the ``__cause__``.

    Attributes:
        table: Where the record is (``"invoices"``).
        key: The record's key as stored (an account id, an invoice number).
        field: The column or the domain field that failed (``"invoices.due_on"``,
            ``"Account.timezone"``).
        value: The stored value.
        problem: What is wrong with it.
    """

    def __init__(self, table: str, key: Any, field: str, value: Any, problem: str) -> None:
        InvalidField.__init__(self, field, value, problem)
        self.table = table
        self.key = key
        self.args = (f"{table} record {key!r}: {field}={value!r}: {problem}",)


class ForeignDatabase(StoreError):
    """The database file belongs to another application: it holds tables this library
    does not own, or its ``user_version`` is not one of this library's schema versions.
    Nothing was written to it. Open it with ``shared=True`` to keep this library's
    tables beside the other application's (when neither a table name nor the
    ``user_version`` clash)."""


class UnitOfWorkClosed(StoreError, RuntimeError):
    """A store was used outside its unit of work (before ``with`` or after it ended),
    or a unit of work was entered twice."""


# -- delivery ---------------------------------------------------------------------------


class DeliveryError(DunningError):
    """A notifier could not deliver a message.

    Attributes:
        reason: What the channel or provider said, kept on the outbox message.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TransientDeliveryError(DeliveryError):
    """The delivery may succeed later (timeout, rate limit, provider 5xx): the message is
    retried with backoff until its attempts run out.

    Attributes:
        retry_after: How long the provider asked to wait (its ``Retry-After``), or
            ``None``; the dispatcher waits at least that long.
    """

    def __init__(self, reason: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class DeliveryDeferred(TransientDeliveryError):
    """Not now, but nothing failed: the message may not go out before ``not_before``
    (quiet hours, a Sunday, a public holiday in the recipient's timezone). The
    dispatcher schedules it for that instant.

    Attributes:
        not_before: The first instant the message may be sent (timezone-aware).
    """

    def __init__(self, reason: str, *, not_before: datetime) -> None:
        super().__init__(reason)
        self.not_before = not_before


class PermanentDeliveryError(DeliveryError):
    """The delivery will never succeed (malformed address, recipient unknown, provider
    4xx): the message goes to the dead letters at once.

    Attributes:
        address_dead: True when the provider says the address itself is dead (a hard
            bounce, an unknown mailbox or number), so a router may try another channel.
    """

    def __init__(self, reason: str, *, address_dead: bool = False) -> None:
        super().__init__(reason)
        self.address_dead = address_dead


class MalformedMessage(PermanentDeliveryError, ValueError):
    """A message was refused before anything was sent: a header value with CR, LF or
    NUL in it (header injection), an address or number that does not parse. The
    message goes to the dead letters with this reason; nothing left the machine.

    Attributes:
        field: What was wrong (``"subject"``, ``"recipient"``, ``"sender"``).
        value: The value refused.
        problem: Why.
    """

    def __init__(self, field: str, value: Any, problem: str) -> None:
        super().__init__(f"{field}={value!r}: {problem}", address_dead=field == "recipient")
        self.field = field
        self.value = value
        self.problem = problem


class UnknownDeliveryOutcome(DeliveryError):
    """The request reached the provider but no answer came back (a timeout after it was
    written, a connection dropped before the reply): the provider may have sent the
    message. Without an idempotency key the provider honours, sending again could
    duplicate it, so the dispatcher moves it to the dead letters marked for review."""


class WebhookVerificationError(DunningError, ValueError):
    """A received webhook failed verification: a header missing, a timestamp outside
    the tolerance, or no signature matching the body with any of the secrets."""


# -- rendering --------------------------------------------------------------------------


class RenderError(DunningError):
    """A message could not be rendered: unknown template, or a placeholder with no
    value in the context.

    Attributes:
        template_key: The template being rendered.
    """

    def __init__(self, template_key: str, problem: str) -> None:
        self.template_key = template_key
        super().__init__(f"template {template_key!r}: {problem}")


# -- bank files and payment providers (adapters.bank) ----------------------------------


class InvalidIban(InvalidField):
    """An IBAN is malformed: unknown country format, wrong length or check digits."""


class InvalidCreditorReference(InvalidField):
    """A creditor reference is not a valid ISO 11649 RF reference, or an invoice number
    cannot be carried by one (no letter or digit, more than 21)."""


class BankFileError(DunningError, ValueError):
    """A bank file cannot be read at all (a single bad entry is reported as a problem
    instead, and the rest of the file is still read).

    Attributes:
        source: The file's name (or ``"<stream>"``).
        line: The line the problem was found on, when known.
        problem: What is wrong.
    """

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class HostileBankFile(BankFileError):
    """The file declares a DTD, an entity or an external reference: an XML bomb or an
    XXE attempt. ISO 20022 messages never need one, so nothing of the file is read."""


class MalformedBankFile(BankFileError):
    """The file is not well-formed (truncated XML, an MT940 statement without its
    closing balance) or its statement is inconsistent as a whole."""


class UnsupportedBankFile(BankFileError):
    """The file is not a message this reader knows (another namespace, another
    message, a version outside the supported range)."""


class InvalidSignature(DunningError, ValueError):
    """A webhook's signature is missing, malformed, stale or does not match.

    Attributes:
        problem: What is wrong, without the secret or the expected signature.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class TemplateError(RenderError, ValueError):
    """User templates that cannot be used: a syntax error, an unknown variable, an
    attribute or method reached for, an output over the size cap.

    Raised when the templates are loaded, listing every problem of the directory, so a
    bad template is found when the service starts, not when a notice is due.

    Attributes:
        problems: ``(path, line, problem)`` for every problem; ``line`` is 0 when the
            problem is the file as a whole.
    """

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        self.problems = tuple(problems)
        self.template_key = ""
        lines = [
            f"{path}:{line}: {problem}" if line else f"{path}: {problem}"
            for path, line, problem in problems
        ]
        Exception.__init__(self, "\n".join(lines))


# -- input files (the dunning command's imports) --------------------------------------


class InvalidInputFile(DunningError, ValueError):
    """A file given to import cannot be read as a whole: not UTF-8, no header, an
    unknown or missing column, a line that is not JSON. Problems with single rows are
    not raised but reported as values, every row at once.

    Attributes:
        path: The file.
        line: The line the problem is on (1 is the first), or ``None`` for the whole file.
        problem: What is wrong.
    """

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")
