"""The built-in suspension rules.

Each rule is a small frozen value with a ``reasons(context)`` method (the
:class:`~dunning_core.policies.suspension.SuspensionRule` protocol). They read
the statement and the account's facts; none reads the clock.

- :class:`OverdueDays`: the oldest invoice is more than N days past due, N per segment.
- :class:`BrokenPromise`: a promise to pay whose date (plus grace) passed unpaid.
- :class:`OpenInsolvency`: a bankruptcy, receivership or similar proceeding is open;
  after the ruling the account runs on prepayment only.
- :class:`CreditLimitExceeded`: exposure at or above the credit limit (not in the
  default policy).
- :class:`ManualHold`: a person suspended the account (a :class:`~dunning_core.Hold`
  with ``suspends=True``).

Private; everything public here is re-exported by :mod:`dunning_core.policies.suspension`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from dunning_core.domain._checks import FrozenMapping
from dunning_core.domain.account import Segment
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import CurrencyMismatch, InvalidPolicy
from dunning_core.money import Money, minor_unit
from dunning_core.policies._wake import ONE_DAY, WakeUp
from dunning_core.policies.credit import credit_exposure
from dunning_core.policies.suspension import _text as text
from dunning_core.policies.suspension._reasons import (
    Effect,
    ReasonCode,
    Remedy,
    SuspensionContext,
    SuspensionReason,
)

__all__ = [
    "BrokenPromise",
    "CreditLimitExceeded",
    "ManualHold",
    "OpenInsolvency",
    "OverdueDays",
]


def _non_negative_days(field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidPolicy(field, value, "must be a whole number of days >= 0")
    return value


def _days_by_segment(value: Mapping[Segment | str, int]) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise InvalidPolicy("OverdueDays.after_days", value, "must map segments to days")
    converted: dict[str, int] = {}
    for segment, days in value.items():
        key = segment.key if isinstance(segment, Segment) else segment
        if not isinstance(key, str) or not key:
            raise InvalidPolicy("OverdueDays.after_days", segment, "not a segment")
        converted[key] = _non_negative_days(f"OverdueDays.after_days[{key!r}]", days)
    return FrozenMapping(converted)


def _default_days(value: object) -> int:
    return _non_negative_days("OverdueDays.default_days", value)


def _minimums(value: Mapping[str, Money] | Iterable[Money]) -> Mapping[str, Money]:
    field = "OverdueDays.minimum_overdue"
    items = value.items() if isinstance(value, Mapping) else ((None, m) for m in value)
    converted: dict[str, Money] = {}
    for currency, minimum in items:
        if not isinstance(minimum, Money) or minimum.amount < 0:
            raise InvalidPolicy(field, minimum, "every minimum must be a Money >= 0")
        if currency is not None and currency != minimum.currency:
            raise InvalidPolicy(field, minimum, f"is filed under currency {currency!r}")
        if minimum.currency in converted:
            raise InvalidPolicy(field, minimum, "a second minimum for the same currency")
        converted[minimum.currency] = minimum
    return FrozenMapping(converted)


def _open_total(items: Iterable[OpenItem], currency: str) -> Money:
    total = Money.zero(currency).amount
    for item in items:
        total += item.open_amount.amount
    return Money._exact(total, currency)


#: The seeds' delays: small customers after 15 days, large ones after 30.
STANDARD_DAYS: Mapping[str, int] = FrozenMapping({Segment.SMALL.key: 15, Segment.LARGE.key: 30})


@attrs.frozen(kw_only=True)
class OverdueDays:
    """Suspend when the oldest open invoice is more than N days past due.

    Days past due are the statement's, counted in the account's timezone. Invoices
    under an open dispute or an invoice-level hold do not count (the customer contests
    them, or someone decided to wait), unless ``ignore_disputed`` is False. Invoices
    issued by the opening of an insolvency proceeding never count: they are claims in
    the proceeding (the proceeding's own reasons apply instead).

    Args:
        after_days: N per segment: suspended at N + 1 days. Keys are
            :class:`~dunning_core.Segment` values or their keys. By default 15 for
            ``SMALL`` and 30 for ``LARGE``.
        default_days: N for any other segment (30).
        minimum_overdue: Per currency, overdue balances below this amount are ignored
            (a Money per currency, or a mapping currency -> Money). None by default.
        ignore_disputed: Leave out disputed and held invoices (True).

    Raises:
        InvalidPolicy: a number of days is negative or not an int, or a minimum is
            negative or filed twice.

    The reason's remedy is paying every invoice more than N days past due, which brings
    the oldest back within N days.
    """

    after_days: Mapping[str, int] = attrs.field(
        default=STANDARD_DAYS, converter=_days_by_segment, hash=False
    )
    default_days: int = attrs.field(default=30, converter=_default_days)
    minimum_overdue: Mapping[str, Money] = attrs.field(
        factory=dict, converter=_minimums, hash=False
    )
    ignore_disputed: bool = True

    def days_for(self, segment: Segment) -> int:
        """N for ``segment``: the account is suspended when more than N days late."""
        return self.after_days.get(segment.key, self.default_days)

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """An ``OVERDUE_DAYS`` reason, or nothing.

        Args:
            context: The account, its statement and facts on the decision day.

        Returns:
            At most one reason, whose subject is the account id.
        """
        statement = context.statement
        account = statement.account
        limit = self.days_for(account.segment)
        # Leaving invoices out can only lower the oldest, so this shortcut is exact.
        if statement.oldest_days_past_due <= limit:
            return ()
        facts = context.facts
        excluded: frozenset[str] = frozenset()
        if self.ignore_disputed and (facts.disputes or facts.holds):
            excluded = facts.disputed_invoices(context.on) | facts.held_invoices(context.on)
        cutoff = facts.claims_cutoff(context.on) if facts.proceedings else None
        if cutoff is not None:
            # Claims in an insolvency proceeding are the administrator's business.
            excluded |= {i.invoice.number for i in statement.items if i.invoice.issued_on <= cutoff}
        overdue = [
            item
            for item in statement.items
            if item.is_overdue and item.invoice.number not in excluded
        ]
        late = [item for item in overdue if item.days_past_due > limit]
        if not late:
            return ()
        currency = account.currency
        minimum = self.minimum_overdue.get(currency)
        overdue_balance = _open_total(overdue, currency)
        if minimum is not None and overdue_balance < minimum:
            return ()
        late_amount = _open_total(late, currency)
        oldest = max(late, key=lambda item: (item.days_past_due, item.invoice.number))
        numbers = tuple(item.invoice.number for item in late)
        locale = account.locale
        detail = text.phrase(
            locale,
            "overdue_days",
            amount=text.amount(locale, late_amount),
            limit=text.days(locale, limit),
            invoice=oldest.invoice.number,
            days=text.days(locale, oldest.days_past_due),
        )
        return (
            SuspensionReason(
                code=ReasonCode.OVERDUE_DAYS,
                subject=account.id,
                message=detail,
                facts={
                    "days_past_due": oldest.days_past_due,
                    "after_days": limit,
                    "segment": account.segment.key,
                    "oldest_invoice": oldest.invoice.number,
                    "late_amount": late_amount,
                    "overdue_balance": overdue_balance,
                    "invoice_numbers": numbers,
                },
                remedy=Remedy.payment(late_amount, numbers),
            ),
        )

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """The next day an open invoice becomes more than N days past due, or a dispute
        or invoice hold that leaves an invoice out begins or ends.

        Args:
            context: The account, its statement and facts on the decision day.
        """
        wake = WakeUp(context.on)
        crossing = timedelta(days=self.days_for(context.statement.account.segment) + 1)
        for item in context.statement.items:
            if item.is_open:
                wake.offer(item.invoice.due_on + crossing)
        if self.ignore_disputed:
            _offer_hold_and_dispute_changes(wake, context)
        return wake.day


def _offer_hold_and_dispute_changes(wake: WakeUp, context: SuspensionContext) -> None:
    facts = context.facts
    for dispute in facts.disputes:
        wake.offer(dispute.opened_on)
        wake.offer(dispute.resolved_on)
    for hold in facts.holds:
        if hold.invoice_number is not None:
            wake.offer(hold.starts_on)
            wake.offer(None if hold.ends_on is None else hold.ends_on + ONE_DAY)


def _grace_days(value: object) -> int:
    return _non_negative_days("BrokenPromise.grace_days", value)


@attrs.frozen(kw_only=True)
class BrokenPromise:
    """Suspend when a promise to pay was not kept.

    A promise is broken when the decision day is after its date plus ``grace_days`` and
    the overdue invoices it covers still owe more than the promise allows:

    - it covers the invoices it names, or (naming none) every invoice due on or before
      the promised date;
    - with ``open_when_made`` recorded on the promise, it is kept once what they owe has
      fallen to ``open_when_made - amount``; without it, once they are paid in full.

    A promise made after another one's date supersedes it (the debt was renegotiated),
    so only the newer one counts. Paying late still clears the reason.

    Args:
        grace_days: Calendar days after the promised date before it counts as broken
            (0: a promise for the 10th unpaid on the 11th is broken).

    Raises:
        InvalidPolicy: ``grace_days`` is negative or not an int.
    """

    grace_days: int = attrs.field(default=0, converter=_grace_days)

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """A ``BROKEN_PROMISE`` reason per broken promise (subject: the promise id).

        Args:
            context: The account, its statement and facts on the decision day.

        Raises:
            CurrencyMismatch: a promise is in another currency than the account.
        """
        promises = context.facts.promises
        if not promises:
            return ()
        on = context.on
        grace = timedelta(days=self.grace_days)
        statement = context.statement
        currency = statement.account.currency
        locale = statement.account.locale
        found: list[SuspensionReason] = []
        for promise in promises:
            if on <= promise.due_on + grace:
                continue
            if any(other.made_on > promise.due_on for other in promises):
                continue
            if promise.amount.currency != currency:
                raise CurrencyMismatch(currency, promise.amount.currency, f"promise {promise.id}")
            named = frozenset(promise.invoice_numbers)
            covered = [
                item
                for item in statement.items
                if item.is_overdue
                and (item.invoice.number in named if named else item.due_on <= promise.due_on)
            ]
            outstanding = _open_total(covered, currency)
            allowed = Money.zero(currency)
            if promise.open_when_made is not None:
                allowed = (promise.open_when_made - promise.amount).max(allowed)
            due = outstanding - allowed
            if due.amount <= 0:
                continue
            numbers = tuple(item.invoice.number for item in covered)
            detail = text.phrase(
                locale,
                "broken_promise",
                amount=text.amount(locale, promise.amount),
                date=text.long_date(locale, promise.due_on),
                due=text.amount(locale, due),
            )
            found.append(
                SuspensionReason(
                    code=ReasonCode.BROKEN_PROMISE,
                    subject=promise.id,
                    message=detail,
                    facts={
                        "promise_id": promise.id,
                        "promised_amount": promise.amount,
                        "promised_by": promise.due_on,
                        "grace_days": self.grace_days,
                        "still_due": due,
                        "invoice_numbers": numbers,
                    },
                    remedy=Remedy.payment(due, numbers),
                )
            )
        return tuple(found)

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """The day after a promise's date plus the grace: when it can break.

        Args:
            context: The account's facts on the decision day.
        """
        wake = WakeUp(context.on)
        grace = timedelta(days=self.grace_days) + ONE_DAY
        for promise in context.facts.promises:
            wake.offer(promise.due_on + grace)
        return wake.day


@attrs.frozen(kw_only=True)
class OpenInsolvency:
    """Suspend while an insolvency proceeding is open; prepayment only after the ruling.

    Named so as not to clash with the domain's
    :class:`~dunning_core.InsolvencyProceeding`. While a bankruptcy, receivership or
    similar proceeding is open, spending stops: one ``INSOLVENCY_OPEN`` reason per open
    proceeding, cleared only by the court's ruling (no payment clears it). Once the court
    has ruled, an ``INSOLVENCY_RULED`` reason with effect REQUIRE_PREPAYMENT says the
    account may resume only when paying in advance.

    Args:
        prepayment_after_ruling: Require prepayment after a ruling (True).
    """

    prepayment_after_ruling: bool = True

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """The reasons for each proceeding open or ruled on the decision day.

        Args:
            context: The account, its statement and facts on the decision day.
        """
        proceedings = context.facts.proceedings
        if not proceedings:
            return ()
        on = context.on
        locale = context.locale
        found: list[SuspensionReason] = []
        for proceeding in proceedings:
            remedy: Remedy | None
            if proceeding.is_open(on):
                code, day = ReasonCode.INSOLVENCY_OPEN, proceeding.opened_on
                effect, remedy = Effect.SUSPEND, Remedy.ruling()
            elif (
                self.prepayment_after_ruling
                and proceeding.ruled_on is not None
                and proceeding.is_ruled(on)
            ):
                code, day = ReasonCode.INSOLVENCY_RULED, proceeding.ruled_on
                effect, remedy = Effect.REQUIRE_PREPAYMENT, None  # nothing to clear
            else:
                continue  # not opened yet, or ruled and prepayment not required
            found.append(
                SuspensionReason(
                    code=code,
                    subject=proceeding.id,
                    message=text.phrase(
                        locale,
                        code.lower(),
                        kind=text.phrase(locale, proceeding.kind.value),
                        date=text.long_date(locale, day),
                    ),
                    facts={
                        "proceeding_id": proceeding.id,
                        "kind": proceeding.kind.value,
                        "opened_on": proceeding.opened_on,
                        "ruled_on": proceeding.ruled_on,
                        "reference": proceeding.reference,
                        "court": proceeding.court,
                    },
                    remedy=remedy,
                    effect=effect,
                )
            )
        return tuple(found)

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """The next opening or ruling day of a proceeding.

        Args:
            context: The account's facts on the decision day.
        """
        wake = WakeUp(context.on)
        for proceeding in context.facts.proceedings:
            wake.offer(proceeding.opened_on)
            wake.offer(proceeding.ruled_on)
        return wake.day


@attrs.frozen(kw_only=True)
class CreditLimitExceeded:
    """Suspend when exposure is at or above the account's credit limit.

    Exposure is the open balance plus, when ``include_unbilled``, the not-yet-invoiced
    amount passed to ``decide_suspension(..., unbilled=...)``. An account without a
    limit never triggers it. The remedy pays exposure down to one minor unit below the
    limit.

    Args:
        include_unbilled: Count the unbilled amount (True).
    """

    include_unbilled: bool = True

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """A ``CREDIT_LIMIT_EXCEEDED`` reason, or nothing.

        Args:
            context: The account, its statement and the unbilled amount.

        Raises:
            CurrencyMismatch: ``unbilled`` is in another currency than the account.
        """
        statement = context.statement
        account = statement.account
        limit = account.credit_limit
        if limit is None:
            return ()
        unbilled = context.unbilled if self.include_unbilled else None
        exposure = credit_exposure(statement, unbilled)
        if exposure < limit:
            return ()
        step = Money._exact(Decimal(1).scaleb(-minor_unit(limit.currency)), limit.currency)
        to_pay = exposure - limit + step
        locale = account.locale
        return (
            SuspensionReason(
                code=ReasonCode.CREDIT_LIMIT_EXCEEDED,
                subject=account.id,
                message=text.phrase(
                    locale,
                    "credit_limit_exceeded",
                    exposure=text.amount(locale, exposure),
                    limit=text.amount(locale, limit),
                ),
                facts={"exposure": exposure, "credit_limit": limit, "to_pay": to_pay},
                remedy=Remedy.payment(to_pay),
            ),
        )

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """``None``: exposure moves only with the statement (whose changes
        :func:`~dunning_core.policies.suspension.decide_suspension` adds) and with
        ``unbilled``, which the caller passes each time.

        Args:
            context: Unused.
        """
        return None


@attrs.frozen(kw_only=True)
class ManualHold:
    """Suspend while a person's account-level hold with ``suspends=True`` is active.

    A :class:`~dunning_core.Hold` with ``suspends=False`` only pauses dunning, and an
    invoice-level hold only takes its invoice out of :class:`OverdueDays`; neither
    suspends. The reason clears when the hold ends (after its ``ends_on``) or is lifted;
    no payment clears it.
    """

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        """A ``MANUAL_HOLD`` reason per active suspending hold (subject: the hold id).

        Args:
            context: The account's facts on the decision day.
        """
        if not context.facts.holds:
            return ()
        locale = context.locale
        found = []
        for hold in context.facts.account_holds(context.on):
            if not hold.suspends:
                continue
            found.append(
                SuspensionReason(
                    code=ReasonCode.MANUAL_HOLD,
                    subject=hold.id,
                    message=text.phrase(locale, "manual_hold", reason=hold.reason),
                    facts={
                        "hold_id": hold.id,
                        "reason": hold.reason,
                        "starts_on": hold.starts_on,
                        "ends_on": hold.ends_on,
                    },
                    remedy=(
                        Remedy.hold_lifted()
                        if hold.ends_on is None
                        else Remedy.hold_end(hold.ends_on)
                    ),
                )
            )
        return tuple(found)

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """The next day a suspending account-level hold starts, or the day after one
        ends.

        Args:
            context: The account's facts on the decision day.
        """
        wake = WakeUp(context.on)
        for hold in context.facts.holds:
            if hold.invoice_number is None and hold.suspends:
                wake.offer(hold.starts_on)
                wake.offer(None if hold.ends_on is None else hold.ends_on + ONE_DAY)
        return wake.day
