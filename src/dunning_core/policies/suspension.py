"""Suspension and automatic reactivation, with reasons.

An account's service stops (campaigns paused, line cut, subscription stopped) while at
least one reason holds: an invoice too far overdue, a broken promise to pay, an open
insolvency proceeding, a manual hold, optionally exposure over the credit limit. It
resumes by itself the moment no reason remains, typically right after a payment is
allocated.

- :class:`SuspensionPolicy` is a tuple of rules (see
  :mod:`~dunning_core.policies.suspension_rules`) and the grace given to payments in
  flight (:class:`InFlightGrace`).
- :func:`decide_suspension` returns a :class:`SuspensionDecision`: suspended or not,
  the reasons, whether prepayment is required, and what clears it.
- :func:`transition` compares a decision with the persisted
  :class:`~dunning_core.domain.state.SuspensionState` and returns the event to
  publish, :class:`AccountSuspended` or :class:`AccountReactivated`, or ``None``.
- :func:`decide_entity_suspension` decides for a billing entity as a whole.

Pure: no clock, no I/O. Pending payments are an explicit argument (see
:func:`decide_suspension`).

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money, build_statement
>>> acct = Account(id="A-1", name="ACME", currency="EUR")  # a small customer
>>> inv = Invoice(number="F-1", account_id="A-1", issued_on=date(2026, 1, 2),
...               due_on=date(2026, 2, 1), amount=Money("80.00", "EUR"))
>>> on = date(2026, 2, 17)  # 16 days past due
>>> decision = decide_suspension(SuspensionPolicy(), build_statement(acct, on, invoices=[inv]),
...                              None, on)
>>> decision.suspended, decision.reason_codes
(True, ('overdue_days',))
>>> decision.resumes_when
'Service resumes once you pay €80.00 on invoice F-1.'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import attrs

from dunning_core.domain._checks import to_frozenset, to_tuple
from dunning_core.domain.account import Account, BillingEntity
from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.events import AccountFacts
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidAsOf, InvalidPolicy
from dunning_core.money import Money
from dunning_core.policies.suspension_decision import (
    SuspensionDecision,
    _payment_needed,
    _resumes_when,
)
from dunning_core.policies.suspension_entity import merge_facts, merge_statements
from dunning_core.policies.suspension_events import (
    AccountReactivated,
    AccountSuspended,
    transition,
)
from dunning_core.policies.suspension_reasons import (
    Effect,
    FactValue,
    Reason,
    ReasonCode,
    Remedy,
    RemedyKind,
    SuspensionContext,
    SuspensionRule,
)
from dunning_core.policies.suspension_rules import (
    BrokenPromise,
    CreditLimitExceeded,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
)

__all__ = [
    "AccountReactivated",
    "AccountSuspended",
    "BrokenPromise",
    "CreditLimitExceeded",
    "Effect",
    "FactValue",
    "InFlightGrace",
    "ManualHold",
    "OpenInsolvency",
    "OverdueDays",
    "Reason",
    "ReasonCode",
    "Remedy",
    "RemedyKind",
    "SuspensionContext",
    "SuspensionDecision",
    "SuspensionPolicy",
    "SuspensionRule",
    "decide_entity_suspension",
    "decide_suspension",
    "merge_facts",
    "merge_statements",
    "transition",
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
        applies_to: Reason codes it can hold off (``overdue_days`` only, by default).
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


def decide_suspension(
    policy: SuspensionPolicy,
    statement: AccountStatement,
    facts: AccountFacts | None,
    as_of: AsOf,
    *,
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
        pending: The account's payments in flight (status PENDING).
        unbilled: Service used and not yet invoiced, for :class:`CreditLimitExceeded`.

    Returns:
        The decision, with ``resumes_when`` written in the account's locale.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime, or falls on another day than the
            statement in the account's timezone.
        AccountMismatch: ``facts`` or a pending payment belongs to another account.
        CurrencyMismatch: ``unbilled`` or a promise is in another currency.
    """
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
    found: list[Reason] = []
    for rule in policy.rules:
        found.extend(rule.reasons(context))
    if not found:
        return SuspensionDecision(account_id=account.id, as_of=on, suspended=False)

    suspending = [r for r in found if r.effect is Effect.SUSPEND]
    prepayment = [r for r in found if r.effect is Effect.REQUIRE_PREPAYMENT]
    deferred: list[Reason] = []
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
    facts: Iterable[AccountFacts],
    as_of: AsOf,
    *,
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
        merge_facts(every_facts, entity_id=merged.account.id),
        as_of,
        pending=moved,
        unbilled=unbilled,
    )
