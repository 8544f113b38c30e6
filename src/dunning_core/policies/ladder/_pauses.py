"""Pauses: the facts that keep a ladder silent, for one invoice or the whole account.

While a pause holds, the invoice (or the account) gets no notice and nothing is
recorded; when it ends, the ladder resumes where it stood: the stages already fired
stay fired, and the ones whose day passed meanwhile follow the ladder's catch-up rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from dunning_core.domain.account import Account
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement
from dunning_core.policies._wake import ONE_DAY, WakeUp
from dunning_core.policies.in_flight import flight_ends_on, payments_in_flight
from dunning_core.policies.ladder._actions import Reason, ReasonCode, format_day, ladder_reason

__all__ = ["account_pause", "invoice_pauses", "offer_pause_changes"]


def _until(day: date | None) -> str:
    return "until lifted" if day is None else f"until {format_day(day)}"


def account_pause(
    account: Account, facts: AccountFacts | None, on: date, grace_days: int
) -> Reason | None:
    """The reason the whole account gets no notice on ``on`` (insolvency aside), if any.

    Checked in this order: the ``no-dunning`` tag, an account-level hold, a promise to
    pay that names no invoice and is not broken yet (``on`` is at most ``grace_days``
    after its date).
    """
    if account.dunning_paused:
        return ladder_reason(
            ReasonCode.NO_DUNNING, f"no reminder: account {account.id} is tagged no-dunning"
        )
    if facts is None:
        return None
    for hold in facts.account_holds(on):
        return ladder_reason(
            ReasonCode.ACCOUNT_HOLD,
            f"no reminder: account {account.id} is on hold {_until(hold.ends_on)} ({hold.reason})",
        )
    for promise in facts.promises:
        if not promise.invoice_numbers and _promise_holds(
            promise.made_on, promise.due_on, on, grace_days
        ):
            return ladder_reason(
                ReasonCode.PROMISE_TO_PAY,
                f"no reminder: account {account.id} promised to pay {promise.amount} by "
                f"{format_day(promise.due_on)}",
            )
    return None


def _promise_holds(made_on: date, due_on: date, on: date, grace_days: int) -> bool:
    return made_on <= on and (on - due_on).days <= grace_days


def invoice_pauses(
    statement: AccountStatement,
    facts: AccountFacts | None,
    on: date,
    *,
    grace_days: int,
    payments: Iterable[Payment] | None,
    clearing_window_days: int,
    calendar: BusinessCalendar,
) -> dict[str, Reason]:
    """The reason each paused invoice gets no notice on ``on``.

    An invoice is paused when it is disputed, on hold, covered by a promise to pay not
    yet broken, or covered by money in flight. Money in flight is the PENDING payments
    (a direct debit, a scheduled card retry) dated at most ``clearing_window_days``
    business days before ``on`` (or later than ``on``); without ``payments`` there is
    none (``statement.pending`` is a total without dates, for display). It covers the
    open invoices oldest first, the way it will be applied once it clears; an invoice it
    cannot cover in full is not paused.

    Returns:
        ``{invoice_number: reason}``; the first applicable reason in the order above.

    Raises:
        AccountMismatch: a payment belongs to another account.
    """
    reasons: dict[str, Reason] = {}
    if facts is not None:
        for dispute in facts.disputes:
            if dispute.is_open(on) and dispute.invoice_number not in reasons:
                number = dispute.invoice_number
                reasons[number] = ladder_reason(
                    ReasonCode.DISPUTED,
                    f"no reminder: invoice {number} is disputed since "
                    f"{format_day(dispute.opened_on)}",
                    number,
                )
        for hold in facts.holds:
            held = hold.invoice_number
            if held is not None and hold.is_active(on) and held not in reasons:
                reasons[held] = ladder_reason(
                    ReasonCode.INVOICE_HOLD,
                    f"no reminder: invoice {held} is on hold {_until(hold.ends_on)} "
                    f"({hold.reason})",
                    held,
                )
        for promise in facts.promises:
            if promise.invoice_numbers and _promise_holds(
                promise.made_on, promise.due_on, on, grace_days
            ):
                for number in promise.invoice_numbers:
                    reasons.setdefault(
                        number,
                        ladder_reason(
                            ReasonCode.PROMISE_TO_PAY,
                            f"no reminder: invoice {number} is covered by a promise to pay "
                            f"{promise.amount} by {format_day(promise.due_on)}",
                            number,
                        ),
                    )
    if payments is None:
        return reasons
    account = statement.account
    in_flight, described = _in_flight(account, on, payments, clearing_window_days, calendar)
    if in_flight:
        for item in statement.items:
            if not item.is_open:
                continue
            open_amount = item.open_amount.amount
            if open_amount > in_flight:
                break  # oldest first: younger invoices would not be reached either
            in_flight -= open_amount
            number = item.invoice.number
            reasons.setdefault(
                number,
                ladder_reason(
                    ReasonCode.PAYMENT_IN_FLIGHT,
                    f"no reminder: invoice {number} is covered by {described}",
                    number,
                ),
            )
    return reasons


def _in_flight(
    account: Account,
    on: date,
    payments: Iterable[Payment],
    window: int,
    calendar: BusinessCalendar,
) -> tuple[Decimal, str]:
    total = Decimal(0)
    names: list[str] = []
    for payment in payments_in_flight(payments, account, on, window_days=window, calendar=calendar):
        total += payment.amount.amount
        names.append(
            f"{payment.method.value.lower().replace('_', ' ')} {payment.id} of {payment.amount} "
            f"dated {format_day(payment.received_on)}"
        )
    return total, "payment in flight: " + ", ".join(names)


def offer_pause_changes(
    wake: WakeUp,
    facts: AccountFacts | None,
    payments: Iterable[Payment] | None,
    account: Account,
    *,
    grace_days: int,
    clearing_window_days: int,
    calendar: BusinessCalendar,
) -> None:
    """Offer ``wake`` every day on which a pause can begin or end.

    Between two such days :func:`account_pause` and :func:`invoice_pauses` give the same
    answer (for the same statement): a hold starts or ends (the day after its last day),
    a dispute is raised or resolved, a promise is made or runs out (the day after its
    date plus ``grace_days``), money stops being in flight (the day after its clearing
    window).
    """
    if facts is not None:
        for hold in facts.holds:
            wake.offer(hold.starts_on)
            if hold.ends_on is not None:
                wake.offer(hold.ends_on + ONE_DAY)
        for dispute in facts.disputes:
            wake.offer(dispute.opened_on)
            wake.offer(dispute.resolved_on)
        grace = timedelta(days=grace_days) + ONE_DAY
        for promise in facts.promises:
            wake.offer(promise.made_on)
            wake.offer(promise.due_on + grace)
    if payments is not None:
        for payment in payments:
            if payment.status is PaymentStatus.PENDING and payment.currency == account.currency:
                wake.offer(
                    flight_ends_on(payment, window_days=clearing_window_days, calendar=calendar)
                )
