"""The suspension policy and the decision (private; see
:mod:`dunning_core.policies.suspension`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import attrs

from dunning_core.domain._checks import to_tuple
from dunning_core.domain.account import Account, BillingEntity
from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidAsOf, InvalidPolicy
from dunning_core.money import Money
from dunning_core.policies._wake import ONE_DAY, WakeUp
from dunning_core.policies.in_flight import payments_in_flight
from dunning_core.policies.suspension._decision import (
    SuspensionDecision,
    _payment_needed,
    _resumes_when,
)
from dunning_core.policies.suspension._entity import merge_facts, merge_statements
from dunning_core.policies.suspension._grace import InFlightGrace
from dunning_core.policies.suspension._reasons import (
    Effect,
    RemedyKind,
    SuspensionContext,
    SuspensionReason,
    SuspensionRule,
)
from dunning_core.policies.suspension._rules import (
    BrokenPromise,
    CreditLimitExceeded,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
)

__all__ = [
    "SuspensionPolicy",
    "decide_entity_suspension",
    "decide_suspension",
]


# -- policy ---------------------------------------------------------------------------


def _rule(field: str, kind: type) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, kind):
            raise InvalidPolicy(
                f"SuspensionPolicy.{field}", value, f"must be a {kind.__name__} or None"
            )

    return check


def _extra_rules(value: Iterable[SuspensionRule]) -> tuple[SuspensionRule, ...]:
    rules = to_tuple(value)
    for rule in rules:
        if not callable(getattr(rule, "reasons", None)):
            raise InvalidPolicy("SuspensionPolicy.rules", rule, "a rule needs a reasons() method")
    return rules


def _grace(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, InFlightGrace):
        raise InvalidPolicy("SuspensionPolicy.in_flight", value, "must be an InFlightGrace or None")


#: The built-in rules and the field of :class:`SuspensionPolicy` each one fills.
_SLOTS: tuple[tuple[str, type], ...] = (
    ("overdue_days", OverdueDays),
    ("broken_promise", BrokenPromise),
    ("insolvency", OpenInsolvency),
    ("manual_hold", ManualHold),
    ("credit_limit", CreditLimitExceeded),
)
_UNSET: Any = object()


@attrs.frozen(kw_only=True, init=False)
class SuspensionPolicy:
    """The rules that suspend an account, and the grace for payments in flight.

    ``SuspensionPolicy()`` is the seeds' policy: :class:`OverdueDays` (15 days for
    small customers, 30 for large ones), :class:`BrokenPromise`,
    :class:`OpenInsolvency` and :class:`ManualHold`, with a 10-business-day grace for
    pending payments that cover the overdue amount. Each built-in rule has its own
    field, so changing one parameter is one call:

    >>> import attrs
    >>> from dunning_core import Segment
    >>> from dunning_core.policies.suspension import OverdueDays, SuspensionPolicy
    >>> policy = attrs.evolve(
    ...     SuspensionPolicy(), overdue_days=OverdueDays(after_days={Segment.SMALL: 10})
    ... )
    >>> policy.overdue_days.days_for(Segment.SMALL), len(policy.rules)
    (10, 4)

    Args:
        overdue_days: The :class:`OverdueDays` rule, or ``None`` to leave it out.
        broken_promise: The :class:`BrokenPromise` rule, or ``None``.
        insolvency: The :class:`OpenInsolvency` rule, or ``None``.
        manual_hold: The :class:`ManualHold` rule, or ``None``.
        credit_limit: The :class:`CreditLimitExceeded` rule; ``None`` (not applied) by
            default.
        extra_rules: Your own rules (:class:`SuspensionRule`), applied after these.
        in_flight: The grace for pending payments, or ``None`` for none.
        rules: Instead of the fields above, the whole list of rules: each built-in rule
            fills its field (the others are left out), anything else goes to
            ``extra_rules``.

    Raises:
        InvalidPolicy: a field holds something else than its rule, or a rule has no
            ``reasons`` method.

    .. versionchanged:: 0.2
       One field per built-in rule (``rules`` is derived from them), so
       ``attrs.evolve`` changes one rule without rebuilding the tuple.
    """

    overdue_days: OverdueDays | None = attrs.field(validator=_rule("overdue_days", OverdueDays))
    broken_promise: BrokenPromise | None = attrs.field(
        validator=_rule("broken_promise", BrokenPromise)
    )
    insolvency: OpenInsolvency | None = attrs.field(validator=_rule("insolvency", OpenInsolvency))
    manual_hold: ManualHold | None = attrs.field(validator=_rule("manual_hold", ManualHold))
    credit_limit: CreditLimitExceeded | None = attrs.field(
        validator=_rule("credit_limit", CreditLimitExceeded)
    )
    extra_rules: tuple[SuspensionRule, ...] = attrs.field(converter=_extra_rules)
    in_flight: InFlightGrace | None = attrs.field(validator=_grace)

    def __init__(
        self,
        *,
        overdue_days: OverdueDays | None = _UNSET,
        broken_promise: BrokenPromise | None = _UNSET,
        insolvency: OpenInsolvency | None = _UNSET,
        manual_hold: ManualHold | None = _UNSET,
        credit_limit: CreditLimitExceeded | None = None,
        extra_rules: Iterable[SuspensionRule] = (),
        in_flight: InFlightGrace | None = _UNSET,
        rules: Iterable[SuspensionRule] | None = None,
    ) -> None:
        slots: dict[str, Any] = {
            "overdue_days": overdue_days,
            "broken_promise": broken_promise,
            "insolvency": insolvency,
            "manual_hold": manual_hold,
            "credit_limit": credit_limit,
        }
        if rules is not None:
            named = [name for name, value in slots.items() if value is not _UNSET]
            if named != ["credit_limit"] or credit_limit is not None or tuple(extra_rules):
                raise InvalidPolicy(
                    "SuspensionPolicy.rules", named, "give either rules= or the named rules"
                )
            slots = dict.fromkeys(slots)
            extras: list[SuspensionRule] = []
            for rule in _extra_rules(rules):
                name = next((n for n, kind in _SLOTS if type(rule) is kind), None)
                if name is not None and slots[name] is None:
                    slots[name] = rule
                else:
                    extras.append(rule)
            extra_rules = extras
        defaults = {
            "overdue_days": OverdueDays,
            "broken_promise": BrokenPromise,
            "insolvency": OpenInsolvency,
            "manual_hold": ManualHold,
        }
        for name, make in defaults.items():
            if slots[name] is _UNSET:
                slots[name] = make()
        self.__attrs_init__(
            **slots,
            extra_rules=extra_rules,
            in_flight=InFlightGrace() if in_flight is _UNSET else in_flight,
        )

    @property
    def rules(self) -> tuple[SuspensionRule, ...]:
        """Every rule applied, built-in ones first, then :attr:`extra_rules`."""
        built_in = tuple(rule for name, _ in _SLOTS if (rule := getattr(self, name)) is not None)
        return (*built_in, *self.extra_rules)


def _no_facts(account_id: str) -> AccountFacts:
    # Most accounts have no facts; skip the validators for this all-empty value (a
    # validated Account's id is a valid AccountFacts.account_id).
    facts = object.__new__(AccountFacts)
    for field in attrs.fields(AccountFacts):
        object.__setattr__(facts, field.name, account_id if field.name == "account_id" else ())
    return facts


def _pending(payments: Iterable[Payment], account: Account) -> tuple[Payment, ...]:
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
        The decision, with ``resumes_when`` written in the account's locale, and
        ``wakes_on``: the earliest later day the decision can differ for the same
        documents and facts (the statement's own changes, each rule's ``wakes_on``, the
        end of a pending payment's clearing window; a rule without ``wakes_on`` makes it
        the next day).

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
        pending=_pending(pending, account),
        unbilled=unbilled,
    )
    found: list[SuspensionReason] = []
    wake = WakeUp(on)
    wake.offer(statement.next_change_on)
    for rule in policy.rules:
        found.extend(rule.reasons(context))
        wakes_on = getattr(rule, "wakes_on", None)
        wake.offer(wakes_on(context) if callable(wakes_on) else on + ONE_DAY)
    grace = policy.in_flight
    if grace is not None and context.pending:
        wake.offer(grace.wakes_on(context))
    if not found:
        return SuspensionDecision(
            account_id=account.id, as_of=on, suspended=False, wakes_on=wake.day
        )

    suspending = [r for r in found if r.effect is Effect.SUSPEND]
    prepayment = [r for r in found if r.effect is Effect.REQUIRE_PREPAYMENT]
    deferred: list[SuspensionReason] = []
    used: tuple[str, ...] = ()
    if grace is not None and context.pending and suspending:
        deferrable = [
            r
            for r in suspending
            if r.code in grace.applies_to
            and r.remedy is not None
            and r.remedy.kind is RemedyKind.PAYMENT
        ]
        credible = payments_in_flight(
            context.pending,
            account,
            on,
            window_days=grace.clearing_window_days,
            calendar=grace.calendar,
        )
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
        wakes_on=wake.day,
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
