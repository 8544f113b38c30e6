"""Why an account is suspended: :class:`SuspensionReason`, :class:`Remedy`, and what a
rule sees (private; re-exported by :mod:`dunning_core.policies.suspension`).

A suspension rule looks at a :class:`SuspensionContext` and returns zero or more
:class:`SuspensionReason` values: the library's one
:class:`~dunning_core.domain.reasons.Reason` shape (a stable upper-case ``code``, a
``message`` for the customer, the ``subject``, the ``facts`` behind it), plus the
:class:`Remedy` that clears it (what ``SuspensionDecision.resumes_when`` is written
from) and its :class:`Effect`.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any, Protocol

import attrs

from dunning_core.domain._checks import optional_date, plain_text, to_enum, to_tuple
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Payment
from dunning_core.domain.reasons import FactValue, Reason
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "Effect",
    "FactValue",
    "ReasonCode",
    "Remedy",
    "RemedyKind",
    "SuspensionContext",
    "SuspensionReason",
    "SuspensionRule",
]


class ReasonCode(enum.StrEnum):
    """The stable codes of the built-in rules (a custom rule may use any other str)."""

    OVERDUE_DAYS = "OVERDUE_DAYS"
    BROKEN_PROMISE = "BROKEN_PROMISE"
    INSOLVENCY_OPEN = "INSOLVENCY_OPEN"
    INSOLVENCY_RULED = "INSOLVENCY_RULED"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    MANUAL_HOLD = "MANUAL_HOLD"


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


def _effect(value: object) -> Effect:
    return to_enum(Effect, "SuspensionReason.effect", value)


# Keyword-only per field, not for the class: before attrs 25.4 a class-level kw_only
# also made the inherited code and message keyword-only.
@attrs.frozen
class SuspensionReason(Reason):
    """One reason a suspension rule found: a :class:`~dunning_core.domain.reasons.Reason`
    with what clears it and what it does to the account.

    Args:
        code: Stable code, e.g. ``"OVERDUE_DAYS"`` (see :class:`ReasonCode`).
        message: A sentence a support agent can read to the customer, in the account's
            language, amounts and dates formatted for its locale.
        subject: What it is about: an invoice number, a promise, proceeding or hold id,
            the account id. Reasons sort by ``(code, subject)``.
        facts: The facts behind it (read-only mapping), e.g. ``days_past_due``.
        remedy: What clears it, or ``None`` when nothing the customer can do does.
        effect: SUSPEND (the default), or REQUIRE_PREPAYMENT for a reason that lets
            service run on prepayment only.

    .. versionchanged:: 0.2
       Was ``Reason`` with ``detail=``; the sentence is now ``message``.
    """

    remedy: Remedy | None = attrs.field(default=None, kw_only=True)
    effect: Effect = attrs.field(default=Effect.SUSPEND, converter=_effect, kw_only=True)


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

    A rule may also have a ``wakes_on(context) -> date | None`` method: the earliest
    day after ``context.on`` on which its reasons can differ for the same documents
    and facts, besides the statement's own changes (the built-in rules do; see
    :attr:`~dunning_core.policies.suspension.SuspensionDecision.wakes_on`). A rule
    without one is asked again every day.

    .. versionchanged:: 0.2
       The optional ``wakes_on`` method.
    """

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """The reasons this rule finds in ``context`` (empty when none)."""
        ...
