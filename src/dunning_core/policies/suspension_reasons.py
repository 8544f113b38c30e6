"""Why an account is suspended: :class:`Reason`, :class:`Remedy`, and what a rule sees.

A suspension rule looks at a :class:`SuspensionContext` and returns zero or more
:class:`Reason` values. Each carries a stable ``code`` (what stores and dashboards key
on), the ``facts`` behind it (numbers and ids, for an agent or a template), a
``detail`` sentence for the customer, and the :class:`Remedy` that clears it (what
``SuspensionDecision.resumes_when`` is written from).

Everything here is re-exported by :mod:`dunning_core.policies.suspension`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import attrs

from dunning_core.domain._checks import (
    FrozenMapping,
    non_empty_text,
    optional_date,
    plain_text,
    to_enum,
    to_tuple,
)
from dunning_core.domain.events import AccountFacts
from dunning_core.domain.payment import Payment
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "Effect",
    "FactValue",
    "Reason",
    "ReasonCode",
    "Remedy",
    "RemedyKind",
    "SuspensionContext",
    "SuspensionRule",
]

#: What a reason's facts may hold: plain, immutable, serialisable values.
FactValue = str | int | bool | date | Decimal | Money | tuple[str, ...] | None


class ReasonCode(enum.StrEnum):
    """The stable codes of the built-in rules (a custom rule may use any other str)."""

    OVERDUE_DAYS = "overdue_days"
    BROKEN_PROMISE = "broken_promise"
    INSOLVENCY_OPEN = "insolvency_open"
    INSOLVENCY_RULED = "insolvency_ruled"
    CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
    MANUAL_HOLD = "manual_hold"


class Effect(enum.StrEnum):
    """What a reason does to the account."""

    SUSPEND = "SUSPEND"  #: service stops while the reason holds
    REQUIRE_PREPAYMENT = "REQUIRE_PREPAYMENT"  #: service runs, but only paid in advance


class RemedyKind(enum.StrEnum):
    """What clears a reason."""

    PAYMENT = "PAYMENT"  #: paying ``amount`` (on ``invoice_numbers`` when given)
    RULING = "RULING"  #: the court's ruling on an insolvency proceeding
    HOLD_END = "HOLD_END"  #: a manual hold reaching its end date
    HOLD_LIFTED = "HOLD_LIFTED"  #: a person lifting a manual hold with no end date
    OTHER = "OTHER"  #: whatever ``clause`` says (custom rules)


def _optional_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Money):
        raise InvalidField(f"Remedy.{attribute.name}", value, "must be a Money or None")


def _remedy_kind(value: object) -> RemedyKind:
    return to_enum(RemedyKind, "Remedy.kind", value)


@attrs.frozen(kw_only=True)
class Remedy:
    """What the customer (or someone else) must do for a reason to clear.

    Build one with the classmethods: ``Remedy.payment(amount, invoices)``,
    ``Remedy.ruling()``, ``Remedy.hold_end(on)``, ``Remedy.hold_lifted()``,
    ``Remedy.other(clause)``.

    Attributes:
        kind: The kind of remedy.
        amount: For PAYMENT, the amount that clears the reason.
        invoice_numbers: For PAYMENT, the invoices to pay (empty: any open invoice).
        on: For HOLD_END, the last day of the hold.
        clause: For OTHER, a clause completing "Service resumes once ..." (in the
            account's language), e.g. "your mandate is signed".
    """

    kind: RemedyKind = attrs.field(converter=_remedy_kind)
    amount: Money | None = attrs.field(default=None, validator=_optional_money)
    invoice_numbers: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    on: date | None = attrs.field(default=None, validator=optional_date)
    clause: str = attrs.field(default="", validator=plain_text)

    @classmethod
    def payment(cls, amount: Money, invoice_numbers: tuple[str, ...] = ()) -> Remedy:
        """Paying ``amount``, on ``invoice_numbers`` when given, clears the reason."""
        return cls(kind=RemedyKind.PAYMENT, amount=amount, invoice_numbers=invoice_numbers)

    @classmethod
    def ruling(cls) -> Remedy:
        """The court's ruling clears the reason."""
        return cls(kind=RemedyKind.RULING)

    @classmethod
    def hold_end(cls, on: date) -> Remedy:
        """The hold ends after ``on`` (its last day)."""
        return cls(kind=RemedyKind.HOLD_END, on=on)

    @classmethod
    def hold_lifted(cls) -> Remedy:
        """Someone must lift the hold."""
        return cls(kind=RemedyKind.HOLD_LIFTED)

    @classmethod
    def other(cls, clause: str) -> Remedy:
        """A custom condition, worded as a clause completing "Service resumes once"."""
        return cls(kind=RemedyKind.OTHER, clause=clause)


def _code(value: str) -> str:
    # A ReasonCode member is stored as its plain value, so states and stores see a str.
    return value.value if isinstance(value, enum.Enum) else value


def _facts(value: Mapping[str, FactValue]) -> Mapping[str, FactValue]:
    if not isinstance(value, Mapping):
        raise InvalidField("Reason.facts", value, "must be a mapping of names to values")
    return FrozenMapping(dict(sorted(value.items())))


def _effect(value: object) -> Effect:
    return to_enum(Effect, "Reason.effect", value)


@attrs.frozen(kw_only=True)
class Reason:
    """One reason a rule found, as data and as a sentence.

    Attributes:
        code: Stable machine code, e.g. ``"overdue_days"`` (see :class:`ReasonCode`).
        subject: What it is about: an invoice number, a promise, proceeding or hold id,
            the account id. Reasons sort by ``(code, subject)``.
        detail: A sentence a support agent can read to the customer, in the account's
            language, amounts and dates formatted for its locale.
        facts: The facts behind it (read-only mapping), e.g. ``days_past_due``.
        remedy: What clears it, or ``None`` when nothing the customer can do does.
        effect: SUSPEND (the default), or REQUIRE_PREPAYMENT for a reason that lets
            service run on prepayment only.
    """

    code: str = attrs.field(converter=_code, validator=non_empty_text)
    subject: str = attrs.field(validator=non_empty_text)
    detail: str = attrs.field(validator=plain_text)
    # Excluded from the hash (a mapping has none) but compared for equality.
    facts: Mapping[str, FactValue] = attrs.field(factory=dict, converter=_facts, hash=False)
    remedy: Remedy | None = None
    effect: Effect = attrs.field(default=Effect.SUSPEND, converter=_effect)

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """``(code, subject, detail)``: the order reasons appear in a decision."""
        return (self.code, self.subject, self.detail)


@attrs.frozen(kw_only=True)
class SuspensionContext:
    """Everything a rule may look at, for one account (or one billing entity) on one day.

    Attributes:
        statement: The account's statement on ``on``.
        facts: Promises, disputes, proceedings and holds of the account.
        on: The decision day, in the account's timezone.
        pending: PENDING payments in the account's currency (money in flight).
        unbilled: What the customer used and is not yet invoiced, or ``None``.
    """

    statement: AccountStatement
    facts: AccountFacts
    on: date
    pending: tuple[Payment, ...] = ()
    unbilled: Money | None = None

    @property
    def locale(self) -> str:
        """The account's locale, for sentences."""
        return self.statement.account.locale


class SuspensionRule(Protocol):
    """A rule of a :class:`~dunning_core.policies.suspension.SuspensionPolicy`.

    An implementation must be pure: the same context gives the same reasons, whatever
    the order of the facts in it; it neither reads the clock nor raises for an account
    in good standing (it returns ``()``).
    """

    def reasons(self, context: SuspensionContext) -> tuple[Reason, ...]:
        """The reasons this rule finds in ``context`` (empty when none)."""
        ...
