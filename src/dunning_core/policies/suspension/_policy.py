"""The suspension policy and the decision (private; see
:mod:`dunning_core.policies.suspension`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import attrs

from dunning_core.domain._checks import to_frozenset, to_tuple
from dunning_core.domain.account import Account, BillingEntity
from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidAsOf, InvalidPolicy
from dunning_core.money import Money
from dunning_core.policies.suspension._decision import (
    SuspensionDecision,
    _payment_needed,
    _resumes_when,
)
from dunning_core.policies.suspension._entity import merge_facts, merge_statements
from dunning_core.policies.suspension._reasons import (
    Effect,
    ReasonCode,
    RemedyKind,
    SuspensionContext,
    SuspensionReason,
    SuspensionRule,
)
from dunning_core.policies.suspension._rules import (
    BrokenPromise,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
)

__all__ = [
    "InFlightGrace",
    "SuspensionPolicy",
    "decide_entity_suspension",
    "decide_suspension",
]


# -- policy ---------------------------------------------------------------------------


def _business_days(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidPolicy("InFlightGrace.clearing_days", value, "must be an int >= 0")
    return value


def _holidays(value: Iterable[date]) -> frozenset[date]:
    days = to_frozenset(value)
    for day in days:
        if not isinstance(day, date):
            raise InvalidPolicy("InFlightGrace.holidays", day, "must be a datetime.date")
    return days


@attrs.frozen(kw_only=True)
class InFlightGrace:
    """Hold off some reasons while a PENDING payment that covers them is in flight.

    A direct debit can take up to 10 business days to arrive (the seeds' telephony
    provider says so): suspending a customer whose money is on its way is wrong. A
    pending payment counts from its ``received_on`` through ``clearing_days`` business
    days after it (Monday to Friday, minus ``holidays``). When the payments in flight
    add up to at least the amount that clears the reasons whose codes are in
    ``applies_to``, those reasons are deferred: they appear in
    ``SuspensionDecision.deferred`` instead of suspending.

    Args:
        clearing_days: Business days a pending payment stays credible (10).
        applies_to: Reason codes it can hold off (``OVERDUE_DAYS`` only, by default).
        holidays: Bank holidays that are not business days.

    Raises:
        InvalidPolicy: ``clearing_days`` is negative or a holiday is not a date.
    """

    clearing_days: int = attrs.field(default=10, converter=_business_days)
    applies_to: frozenset[str] = attrs.field(
        default=frozenset({ReasonCode.OVERDUE_DAYS.value}), converter=to_frozenset
    )
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_holidays)

    def last_day(self, received_on: date) -> date:
        """The last day a payment initiated on ``received_on`` counts as in flight."""
        day, left = received_on, self.clearing_days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in self.holidays:
                left -= 1
        return day


def _standard_rules() -> tuple[SuspensionRule, ...]:
    return (OverdueDays(), BrokenPromise(), OpenInsolvency(), ManualHold())


def _rules(value: Iterable[SuspensionRule]) -> tuple[SuspensionRule, ...]:
    rules = to_tuple(value)
    for rule in rules:
        if not callable(getattr(rule, "reasons", None)):
            raise InvalidPolicy("SuspensionPolicy.rules", rule, "a rule needs a reasons() method")
    return rules


@attrs.frozen(kw_only=True)
class SuspensionPolicy:
    """The rules that suspend an account, and the grace for payments in flight.

    ``SuspensionPolicy()`` is the seeds' policy: :class:`OverdueDays` (15 days for
    small customers, 30 for large ones), :class:`BrokenPromise`,
    :class:`OpenInsolvency` and :class:`ManualHold`, with a 10-business-day grace for
    pending payments that cover the overdue amount.

    Args:
        rules: The rules, each a :class:`SuspensionRule`.
        in_flight: The grace for pending payments, or ``None`` for none.

    Raises:
        InvalidPolicy: a rule has no ``reasons`` method.
    """

    rules: tuple[SuspensionRule, ...] = attrs.field(factory=_standard_rules, converter=_rules)
    in_flight: InFlightGrace | None = attrs.field(factory=InFlightGrace)


def _no_facts(account_id: str) -> AccountFacts:
    # Most accounts have no facts; skip the validators for this all-empty value (a
    # validated Account's id is a valid AccountFacts.account_id).
    facts = object.__new__(AccountFacts)
    for field in attrs.fields(AccountFacts):
        object.__setattr__(facts, field.name, account_id if field.name == "account_id" else ())
    return facts


def _in_flight(payments: Iterable[Payment], account: Account) -> tuple[Payment, ...]:
    kept = []
    for payment in payments:
        if payment.account_id != account.id:
            raise AccountMismatch("Payment.account_id", account.id, payment.account_id)
        if payment.status is PaymentStatus.PENDING and payment.currency == account.currency:
            kept.append(payment)
    return tuple(sorted(kept, key=lambda p: p.id))


def _legacy_facts(
    function: str, as_of: Any, legacy: tuple[Any, ...], facts: Any, missing: Any
) -> tuple[Any, AsOf]:
    """``f(policy, statement, facts, as_of)`` (0.1): facts third, as_of fourth."""
    if not legacy:
        return facts, as_of
    if len(legacy) > 1 or facts is not missing:
        raise TypeError(f"{function}() takes as_of as its third argument and facts by keyword")
    warnings.warn(
        f"{function}(policy, statement, facts, as_of) is deprecated; "
        f"use {function}(policy, statement, as_of, facts=facts)",
        DeprecationWarning,
        stacklevel=3,
    )
    return as_of, legacy[0]


def decide_suspension(
    policy: SuspensionPolicy,
    statement: AccountStatement,
    as_of: AsOf,
    *legacy: AsOf,
    facts: AccountFacts | None = None,
    pending: Iterable[Payment] = (),
    unbilled: Money | None = None,
) -> SuspensionDecision:
    """Decide whether ``statement``'s account is suspended on ``as_of``.

    Suspended if and only if at least one rule finds a reason (after the grace for
    payments in flight). The decision is a pure function of its inputs: the order of
    facts and payments does not matter.

    Pending payments are an explicit argument, not ``statement.pending``: the grace for
    payments in flight needs each payment's date (a direct debit initiated 3 weeks ago
    and still pending is no longer credible), and the statement only keeps their total.
    Pass the account's PENDING payments; others are ignored.

    Args:
        policy: The rules and the grace for payments in flight.
        statement: The account's statement, built for the same day as ``as_of``.
        facts: The account's promises, disputes, proceedings and holds (``None``: none).
        as_of: The decision day: a date, or an aware datetime converted to the account's
            timezone.
        legacy: Deprecated: the 0.1 order ``(policy, statement, facts, as_of)`` still
            works for one release, with a warning.
        pending: The account's payments in flight (status PENDING).
        unbilled: Service used and not yet invoiced, for :class:`CreditLimitExceeded`.

    Returns:
        The decision, with ``resumes_when`` written in the account's locale.

    .. versionchanged:: 0.2
       ``facts`` is a keyword argument with a default (it was third and required).

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime, or falls on another day than the
            statement in the account's timezone.
        AccountMismatch: ``facts`` or a pending payment belongs to another account.
        CurrencyMismatch: ``unbilled`` or a promise is in another currency.
    """
    facts, as_of = _legacy_facts("decide_suspension", as_of, legacy, facts, None)
    account = statement.account
    on = local_date(as_of, account.tz)
    if on != statement.as_of:
        raise InvalidAsOf(
            "as_of", as_of, f"the statement is for {statement.as_of.isoformat()}; decide that day"
        )
    if facts is None:
        facts = _no_facts(account.id)
    elif facts.account_id != account.id:
        raise AccountMismatch("AccountFacts.account_id", account.id, facts.account_id)
    if unbilled is not None and unbilled.currency != account.currency:
        raise CurrencyMismatch(account.currency, unbilled.currency, "unbilled")
    context = SuspensionContext(
        statement=statement,
        facts=facts,
        on=on,
        pending=_in_flight(pending, account),
        unbilled=unbilled,
    )
    found: list[SuspensionReason] = []
    for rule in policy.rules:
        found.extend(rule.reasons(context))
    if not found:
        return SuspensionDecision(account_id=account.id, as_of=on, suspended=False)

    suspending = [r for r in found if r.effect is Effect.SUSPEND]
    prepayment = [r for r in found if r.effect is Effect.REQUIRE_PREPAYMENT]
    deferred: list[SuspensionReason] = []
    used: tuple[str, ...] = ()
    grace = policy.in_flight
    if grace is not None and context.pending and suspending:
        deferrable = [
            r
            for r in suspending
            if r.code in grace.applies_to
            and r.remedy is not None
            and r.remedy.kind is RemedyKind.PAYMENT
        ]
        credible = [
            p for p in context.pending if p.received_on <= on <= grace.last_day(p.received_on)
        ]
        if deferrable and credible:
            needed = _payment_needed([r.remedy for r in deferrable if r.remedy], statement)
            in_flight = Money.sum((p.amount for p in credible), account.currency)
            if needed.amount is not None and in_flight >= needed.amount:
                deferred = deferrable
                suspending = [r for r in suspending if r not in deferrable]
                used = tuple(p.id for p in credible)
    return SuspensionDecision(
        account_id=account.id,
        as_of=on,
        suspended=bool(suspending),
        reasons=suspending,
        requires_prepayment=bool(prepayment),
        resumes_when=_resumes_when(suspending, statement) if suspending else "",
        prepayment_reasons=prepayment,
        deferred=deferred,
        in_flight_payments=used,
    )


def decide_entity_suspension(
    policy: SuspensionPolicy,
    statements: Iterable[AccountStatement],
    as_of: AsOf,
    *legacy: AsOf,
    facts: Iterable[AccountFacts] = (),
    entity: BillingEntity,
    account: Account | None = None,
    pending: Iterable[Payment] = (),
    unbilled: Money | None = None,
) -> SuspensionDecision:
    """Decide for a billing entity as a whole, from the statements of its accounts.

    The statements and facts are merged (:func:`merge_statements`, :func:`merge_facts`)
    and decided like one account: the oldest invoice of any account counts, a promise or
    a proceeding of any account applies to all. Apply the result to every account with
    ``decision.for_account(account_id)``.

    Args:
        policy: The rules.
        statements: One statement per account of the entity (one currency, one day).
        facts: The facts of the entity's accounts (any subset of them).
        as_of: The decision day.
        entity: The billing entity.
        account: What the merged statement stands for (see :func:`merge_statements`).
        pending: PENDING payments of the entity's accounts.
        unbilled: Not-yet-invoiced amount of the whole entity.

    Returns:
        A decision whose ``account_id`` is the merged account's (the entity's id).

    Raises:
        AccountMismatch: facts or a payment belong to an account outside the entity.
        InvalidField, CurrencyMismatch, InvalidAsOf: see :func:`merge_statements` and
            :func:`decide_suspension`.
    """
    facts, as_of = _legacy_facts("decide_entity_suspension", as_of, legacy, facts, ())
    members = list(statements)
    merged = merge_statements(members, entity=entity, account=account)
    member_ids = frozenset(s.account.id for s in members)
    every_facts = list(facts)
    for item in every_facts:
        if item.account_id not in member_ids:
            raise AccountMismatch("AccountFacts.account_id", entity.id, item.account_id)
    moved: list[Payment] = []
    for payment in pending:
        if payment.account_id not in member_ids:
            raise AccountMismatch("Payment.account_id", entity.id, payment.account_id)
        moved.append(attrs.evolve(payment, account_id=merged.account.id))
    return decide_suspension(
        policy,
        merged,
        as_of,
        facts=merge_facts(every_facts, entity_id=merged.account.id),
        pending=moved,
        unbilled=unbilled,
    )
