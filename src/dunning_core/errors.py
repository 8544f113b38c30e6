"""One exception hierarchy, rooted at :class:`DunningError`.

Every error raised for bad input names the field and the offending value, so a caller
can report it without reading the library's source. Input errors also subclass the
builtin a caller would naturally catch (``ValueError`` or ``TypeError``), the way attrs'
``FrozenError`` subclasses ``AttributeError``.

Catch :class:`DunningError` to handle everything this library raises on purpose.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccountMismatch",
    "ChangeTooSoon",
    "ConfigError",
    "ConstraintViolation",
    "CurrencyMismatch",
    "DeliveryError",
    "DunningError",
    "DuplicatePayment",
    "DuplicateRefund",
    "InvalidAmount",
    "InvalidAsOf",
    "InvalidContact",
    "InvalidDateRange",
    "InvalidField",
    "InvalidInputFile",
    "InvalidLadder",
    "InvalidLocale",
    "InvalidPolicy",
    "InvalidRemittance",
    "InvalidSmsProfile",
    "InvalidTimezone",
    "InvalidUnitOfWork",
    "PermanentDeliveryError",
    "RenderError",
    "SchemaVersionError",
    "StoreBusy",
    "StoreError",
    "TemplateError",
    "TransientDeliveryError",
    "UnitOfWorkClosed",
    "UnknownCurrency",
    "UnknownRecord",
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


class InvalidAmount(InvalidField):
    """An amount is not a whole number of the currency's minor units, or has the
    wrong sign for its field (a non-positive invoice amount, a negative remittance)."""


class UnknownCurrency(InvalidField):
    """The currency code is not an ISO 4217 code with a minor unit (``XAU`` and
    ``XXX`` have none and are rejected too)."""


class InvalidTimezone(InvalidField):
    """The timezone is not an IANA key the tz database knows."""


class InvalidLocale(InvalidField):
    """The locale is not one babel (CLDR) knows."""


class InvalidDateRange(InvalidField):
    """Two dates are in the wrong order (an invoice due before it was issued)."""


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


class InvalidUnitOfWork(InvalidField, TypeError):
    """A service got a unit of work where it takes a factory of them, or the reverse.

    The services that run one transaction (``record_payment``, ``record_invoice``, ...)
    take a unit of work not yet entered, ``store.unit_of_work()``; those that run many
    (``run_cycle``, ``dispatch``) take the factory, ``store.unit_of_work``. The message
    says which was expected.
    """


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
    retried with backoff until its attempts run out."""


class PermanentDeliveryError(DeliveryError):
    """The delivery will never succeed (malformed address, recipient unknown, provider
    4xx): the message goes to the dead letters at once."""


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
