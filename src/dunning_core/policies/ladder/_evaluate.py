"""``evaluate_ladder``: which stages are due for one account on one day, as actions.

Pure: the statement, the history, the facts and ``as_of`` go in; actions (and, with
:func:`decide_ladder`, a trace) come out. Nothing reads a clock or a local timezone.

One run, for each open invoice of the statement, oldest first:

1. Its trigger days: each stage's offset from the due date (calendar or business
   days), computed once per ladder, calendar and due date. A stage whose day falls
   before the invoice was issued does not apply to it.
2. Where it stands: the most advanced stage of this ladder recorded for it (fired or
   skipped). A partial payment restarts the ladder when the ladder says so; stages
   another ladder already covered (after a change of ladder) count as done.
3. What is due: with LATEST_ONLY the most advanced stage whose day has come (the ones
   passed over are recorded as skipped); with EACH_IN_TURN the next one. A stage whose
   minimum amount is not at stake is passed over.
4. Pauses (dispute, hold, promise to pay, money in flight) keep it silent.

Then, for the account: notices are held back while the previous one is too recent;
each channel gets one notice listing every invoice due a stage; each account-level
operation appears once; an open insolvency proceeding replaces everything with one
DECLARE_CLAIM.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.dates import AsOf, localize
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Allocation, AllocationKind, Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement, ItemStatus
from dunning_core.errors import AccountMismatch, InvalidAsOf, InvalidField
from dunning_core.money import Money
from dunning_core.policies._wake import WakeUp
from dunning_core.policies.ladder._actions import (
    DunningAction,
    LadderDecision,
    Outcome,
    Reason,
    ReasonCode,
    StageTrace,
    format_day,
    ladder_reason,
    note,
)
from dunning_core.policies.ladder._assignment import LadderAssignment
from dunning_core.policies.ladder._grouping import Firing, build_actions, declare_claims
from dunning_core.policies.ladder._history import DECLARE_CLAIM_PREFIX, DunningHistory
from dunning_core.policies.ladder._model import CatchUp, Ladder
from dunning_core.policies.ladder._pauses import account_pause, invoice_pauses, offer_pause_changes
from dunning_core.policies.ladder._plan import Plan, plan_for

__all__ = ["decide_ladder", "evaluate_ladder"]


def evaluate_ladder(
    ladder: Ladder,
    statement: AccountStatement,
    history: DunningHistory,
    as_of: AsOf,
    *,
    facts: AccountFacts | None = None,
    payments: Iterable[Payment] | None = None,
    allocations: Iterable[Allocation] | None = None,
    assignment: LadderAssignment | None = None,
    calendar: BusinessCalendar | None = None,
) -> tuple[DunningAction, ...]:
    """The actions ``ladder`` calls for on one account on ``as_of``.

    Args:
        ladder: The ladder the account follows.
        statement: The account's statement, built for the same day as ``as_of``.
        history: The account's stage records so far (what already fired or was
            skipped); store each run's ``action.to_records()`` and pass them back.
        as_of: A date (the account-local day; actions may start at local midnight) or
            an aware datetime (converted to the account's timezone).
        facts: Disputes, holds, promises to pay and insolvency proceedings.
        payments: The account's payments. PENDING ones within the ladder's clearing
            window pause the invoices they cover (``statement.pending`` is only a total
            for display: without ``payments`` no money counts as in flight); CHARGED_BACK
            ones (with
            ``allocations``) feed the chargeback option; CLEARED ones (with
            ``allocations``) date partial payments for ``restart_on_partial_payment``.
        allocations: The allocations on the account's invoices.
        assignment: The account's options (hand-over mode, chargebacks); without it,
            hand-overs are queued for review and chargebacks follow the ladder.
        calendar: Holidays for this account, instead of the ladder's own calendar.

    Returns:
        The actions, possibly none: account-level operations first (in stage order),
        then one notice per channel (in ``Channel`` order). Each has a deterministic
        ``key``.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime, or not the statement's day.
        AccountMismatch: the history, facts, payments or assignment belong to another
            account.
        InvalidField: the assignment names another ladder, or the ladder restarts on
            partial payments and ``payments`` or ``allocations`` is missing.
    """
    return _evaluate(
        ladder,
        statement,
        history,
        as_of,
        facts,
        payments,
        allocations,
        assignment,
        calendar,
        None,
        None,
    )


def decide_ladder(
    ladder: Ladder,
    statement: AccountStatement,
    history: DunningHistory,
    as_of: AsOf,
    *,
    facts: AccountFacts | None = None,
    payments: Iterable[Payment] | None = None,
    allocations: Iterable[Allocation] | None = None,
    assignment: LadderAssignment | None = None,
    calendar: BusinessCalendar | None = None,
    explain: bool = True,
) -> LadderDecision:
    """Like :func:`evaluate_ladder`, with the trace of every stage considered and the
    day the answer can next change.

    Use it to explain a decision (``decide_ladder(...).explain()``), or to collect the
    run's records and fee charges in one place; the actions are those
    :func:`evaluate_ladder` returns. Arguments and errors are the same, plus:

    Args:
        explain: Build the trace (``False``: an empty trace, for a caller that only
            needs the actions and :attr:`~LadderDecision.wakes_on`).

    The decision's ``wakes_on`` is the ladder's part of the account's wake-up date: once
    the actions are recorded in the history, :func:`evaluate_ladder` with the same
    ledger, facts and assignment returns nothing on every day before it (the next stage
    date of an open invoice after business-day and holiday shifts, the end of a pause,
    the day a held-back notice is allowed, the day after a stage caught up in turn, the
    statement's own changes). ``None``: nothing but a new fact or document can make the
    ladder act.

    .. versionchanged:: 0.2
       ``explain`` and ``LadderDecision.wakes_on``.
    """
    trace: list[StageTrace] | None = [] if explain else None
    wake = WakeUp(localize(as_of, statement.account.tz).day)
    actions = _evaluate(
        ladder,
        statement,
        history,
        as_of,
        facts,
        payments,
        allocations,
        assignment,
        calendar,
        trace,
        wake,
    )
    if trace is None:
        return LadderDecision(
            account_id=statement.account.id,
            ladder=ladder.name,
            as_of=statement.as_of,
            actions=actions,
            trace=(),
            wakes_on=wake.day,
        )
    # Account-level entries first, then invoice by invoice, oldest first (a stable sort
    # keeps each invoice's entries in the order they were decided).
    position = {item.invoice.number: i for i, item in enumerate(statement.items)}
    trace.sort(key=lambda t: -1 if t.invoice_number is None else position.get(t.invoice_number, -1))
    return LadderDecision(
        account_id=statement.account.id,
        ladder=ladder.name,
        as_of=statement.as_of,
        actions=actions,
        trace=tuple(trace),
        wakes_on=wake.day,
    )


def _check_inputs(
    ladder: Ladder,
    statement: AccountStatement,
    history: DunningHistory,
    day: date,
    as_of: AsOf,
    facts: AccountFacts | None,
    assignment: LadderAssignment | None,
) -> None:
    account = statement.account
    if statement.as_of != day:
        raise InvalidAsOf(
            "as_of",
            as_of,
            f"is {day} in {account.timezone}; the statement is for {statement.as_of}",
        )
    if history.account_id is not None and history.account_id != account.id:
        raise AccountMismatch("DunningHistory.account_id", account.id, history.account_id)
    if facts is not None and facts.account_id != account.id:
        raise AccountMismatch("AccountFacts.account_id", account.id, facts.account_id)
    if assignment is not None:
        if assignment.account_id != account.id:
            raise AccountMismatch("LadderAssignment.account_id", account.id, assignment.account_id)
        if assignment.ladder != ladder.name:
            problem = f"the account follows {assignment.ladder!r}, not {ladder.name!r}"
            raise InvalidField("LadderAssignment.ladder", assignment.ladder, problem)


def _evaluate(
    ladder: Ladder,
    statement: AccountStatement,
    history: DunningHistory,
    as_of: AsOf,
    facts: AccountFacts | None,
    payments: Iterable[Payment] | None,
    allocations: Iterable[Allocation] | None,
    assignment: LadderAssignment | None,
    calendar: BusinessCalendar | None,
    trace: list[StageTrace] | None,
    wake: WakeUp | None,
) -> tuple[DunningAction, ...]:
    account = statement.account
    local = localize(as_of, account.tz)  # a no-op when the caller converted already
    day, now = local.day, local.instant
    _check_inputs(ladder, statement, history, day, as_of, facts, assignment)
    paid = None if payments is None else tuple(payments)
    allocated = None if allocations is None else tuple(allocations)
    plan = plan_for(ladder, calendar)
    if wake is not None:
        wake.offer(statement.next_change_on)
        offer_pause_changes(
            wake,
            facts,
            paid,
            account,
            grace_days=ladder.promise_grace_days,
            clearing_window_days=ladder.clearing_window_days,
            calendar=plan.calendar,
        )
        if facts is not None:
            for proceeding in facts.proceedings:
                wake.offer(proceeding.opened_on)
                wake.offer(proceeding.ruled_on)

    # -- the whole account ----------------------------------------------------------------
    claims_cutoff: date | None = None
    if facts is not None and facts.proceedings:
        proceedings = facts.open_proceedings(day)
        if proceedings:
            return declare_claims(plan, statement, history, proceedings, day, now, trace)
        # After the ruling, what was owed at the opening is a claim in the proceeding.
        claims_cutoff = facts.claims_cutoff(day)
    paused = account_pause(account, facts, day, ladder.promise_grace_days)
    if paused is not None:
        if trace is not None:
            trace.append(StageTrace(Outcome.PAUSED, paused))
        return ()

    pauses: dict[str, Reason] = {}
    if facts is not None or paid is not None:
        pauses = invoice_pauses(
            statement,
            facts,
            day,
            grace_days=ladder.promise_grace_days,
            payments=paid,
            clearing_window_days=ladder.clearing_window_days,
            calendar=plan.calendar,
        )
    restarts: dict[str, date] = {}
    if ladder.restart_on_partial_payment:
        if paid is None or allocated is None:
            missing = "payments" if paid is None else "allocations"
            problem = (
                f"ladder {ladder.name!r} restarts on partial payments: pass the account's "
                "payments and allocations"
            )
            raise InvalidField(missing, None, problem)
        restarts = _partial_payment_days(statement, paid, allocated)
    chargebacks: frozenset[str] = frozenset()
    if assignment is not None and assignment.chargebacks_to_collection and paid and allocated:
        chargebacks = _charged_back(paid, allocated)

    firings = _due_stages(
        plan, statement, history, day, pauses, restarts, chargebacks, claims_cutoff, trace, wake
    )
    if firings and ladder.min_days_between_notices:
        firings = _hold_back(plan, history, firings, day, trace, wake)
    if not firings:
        return ()
    return build_actions(plan, account, firings, assignment, day, now, trace)


def _due_stages(
    plan: Plan,
    statement: AccountStatement,
    history: DunningHistory,
    day: date,
    pauses: dict[str, Reason],
    restarts: dict[str, date],
    chargebacks: frozenset[str],
    claims_cutoff: date | None,
    trace: list[StageTrace] | None,
    wake: WakeUp | None,
) -> list[Firing]:
    """The stage each open invoice is due in this run (the hot loop).

    With ``wake``, also offer it the next day each invoice's answer can change: its
    next stage date, or tomorrow when it caught up only part of the way (one stage in
    turn, or an earlier stage than the latest due).
    """
    currency = statement.account.currency
    overdue = statement.overdue_balance.amount
    minimums = plan.minimums(currency)
    any_minimum = any(m is not None for m in minimums)
    offsets = plan.offsets
    keys = plan.keys
    index = plan.index
    name = plan.name
    hand_over = plan.hand_over
    latest_only = plan.ladder.catch_up is CatchUp.LATEST_ONLY
    by_invoice = history._by_invoice
    paid = ItemStatus.PAID
    firings: list[Firing] = []
    for item in statement.items:
        if item.status is paid:
            continue
        invoice = item.invoice
        number = invoice.number
        if claims_cutoff is not None and invoice.issued_on <= claims_cutoff:
            if trace is not None:
                detail = (
                    f"invoice {number} is a claim in the insolvency proceeding opened on "
                    f"{format_day(claims_cutoff)}: it is never dunned again"
                )
                note(trace, Outcome.COMPLETE, ReasonCode.CLAIM_IN_PROCEEDING, detail, number)
            continue
        round_start = restarts.get(number) if restarts else None
        if round_start is None:
            triggers = plan.triggers(invoice.due_on)
            floor = bisect_left(triggers, invoice.issued_on) - 1
        else:
            triggers = plan.restart_triggers(round_start)
            floor = plan.last_pre_due
        due = bisect_right(triggers, day) - 1
        if wake is not None and due + 1 < len(triggers):
            wake.offer(triggers[due + 1])
        entries = by_invoice.get(number)
        if entries is None and due <= floor and number not in chargebacks:
            if trace is not None:
                _waiting(trace, plan, number, floor, triggers)
            continue
        position = -1
        if entries is not None:
            carried: date | None = None
            for record in entries:
                if record.ladder == name:
                    at = index.get(record.stage, -1)
                    # After a restart, only the records of the new round count.
                    if at > position and (round_start is None or record.fired_on >= round_start):
                        position = at
                elif (
                    not record.skipped
                    and (carried is None or record.fired_on > carried)
                    and not record.stage.startswith(DECLARE_CLAIM_PREFIX)
                ):
                    carried = record.fired_on  # another ladder's notice (a ladder change)
            if carried is not None:
                floor = max(floor, bisect_right(triggers, carried) - 1)
        start = position if position > floor else floor
        forced = (
            hand_over is not None
            and number in chargebacks
            and item.days_past_due > 0
            and start < hand_over
        )
        if due <= start and not forced:
            if trace is not None:
                _waiting(trace, plan, number, start, triggers)
            continue
        pause = pauses.get(number) if pauses else None
        if pause is not None:
            if trace is not None:
                stage = keys[max(due, start + 1)]
                trace.append(
                    StageTrace(
                        Outcome.PAUSED, ladder_reason(pause.code, pause.message, number, stage)
                    )
                )
            continue
        reasons: list[Reason] = []
        if forced:
            assert hand_over is not None
            target = hand_over
            detail = f"invoice {number} was charged back: it goes straight to collection"
            reasons.append(ladder_reason(ReasonCode.CHARGEBACK, detail, number, keys[target]))
        elif any_minimum:
            target = -1
            candidates = range(due, start, -1) if latest_only else range(start + 1, due + 1)
            for candidate in candidates:
                minimum = minimums[candidate]
                stake = overdue + (item.open_amount.amount if offsets[candidate] <= 0 else 0)
                if minimum is None or stake >= minimum:
                    target = candidate
                    break
                if trace is not None:
                    detail = (
                        f"stage {keys[candidate]} not sent for invoice {number}: "
                        f"{Money._exact(stake, currency)} at stake, below its minimum of "
                        f"{Money._exact(minimum, currency)}"
                    )
                    note(
                        trace,
                        Outcome.BELOW_MINIMUM,
                        ReasonCode.BELOW_MINIMUM,
                        detail,
                        number,
                        keys[candidate],
                    )
            if target < 0:
                continue
        else:
            target = due if latest_only else start + 1
        skipped = keys[start + 1 : target]
        if round_start is not None:
            detail = (
                f"a partial payment on {format_day(round_start)} restarted the ladder for "
                f"invoice {number}"
            )
            reasons.append(ladder_reason(ReasonCode.RESTARTED, detail, number, keys[target]))
        if skipped and not forced:
            detail = f"invoice {number} caught up to {keys[target]}, passing over " + ", ".join(
                skipped
            )
            reasons.append(ladder_reason(ReasonCode.CAUGHT_UP, detail, number, keys[target]))
        firings.append(Firing(len(firings), item, target, skipped, round_start, reasons))
        if wake is not None and target < due:
            wake.tomorrow()  # the next stage is due already: it comes in the next run
    return firings


def _waiting(
    trace: list[StageTrace], plan: Plan, number: str, start: int, triggers: tuple[date, ...]
) -> None:
    keys = plan.keys
    if start >= len(keys) - 1:
        detail = f"invoice {number} went through every stage of {plan.name}"
        note(trace, Outcome.COMPLETE, ReasonCode.COMPLETE, detail, number, keys[-1])
    else:
        nxt = keys[start + 1]
        detail = f"next for invoice {number}: {nxt} on {format_day(triggers[start + 1])}"
        note(trace, Outcome.WAITING, ReasonCode.WAITING, detail, number, nxt)


def _hold_back(
    plan: Plan,
    history: DunningHistory,
    firings: list[Firing],
    day: date,
    trace: list[StageTrace] | None,
    wake: WakeUp | None,
) -> list[Firing]:
    """Hold back the notice stages while the previous notice is too recent (and offer
    ``wake`` the first day they are allowed)."""
    last = _last_notice(plan, history)
    if last is None:
        return firings
    allowed = last + timedelta(days=plan.ladder.min_days_between_notices)
    if day >= allowed:
        return firings
    notice = plan.notice
    kept = [firing for firing in firings if not notice[firing.stage]]
    if wake is not None and len(kept) < len(firings):
        wake.offer(allowed)
    if trace is not None:
        for firing in firings:
            if notice[firing.stage]:
                number = firing.item.invoice.number
                stage = plan.keys[firing.stage]
                detail = (
                    f"stage {stage} for invoice {number} waits until {format_day(allowed)}: "
                    f"the previous notice went out on {format_day(last)}"
                )
                note(trace, Outcome.DEFERRED, ReasonCode.MIN_GAP, detail, number, stage)
    return kept


def _last_notice(plan: Plan, history: DunningHistory) -> date | None:
    """The day of the account's latest notice: a fired stage of this ladder that has
    channels, or any fired stage of another ladder."""
    latest: date | None = None
    for record in history.records:
        if record.skipped or (latest is not None and record.fired_on <= latest):
            continue
        if record.ladder == plan.name:
            at = plan.index.get(record.stage)
            if at is None or not plan.notice[at]:
                continue
        elif record.stage.startswith(DECLARE_CLAIM_PREFIX):
            continue
        latest = record.fired_on
    return latest


def _partial_payment_days(
    statement: AccountStatement, payments: tuple[Payment, ...], allocations: tuple[Allocation, ...]
) -> dict[str, date]:
    """The day of the latest cleared payment applied to each partially paid invoice,
    when it came after the due date (before it, nothing had been sent to restart)."""
    partial = {
        item.invoice.number: item.invoice.due_on
        for item in statement.items
        if item.status is ItemStatus.PARTIALLY_PAID
    }
    if not partial:
        return {}
    cleared = {p.id: p.received_on for p in payments if p.status is PaymentStatus.CLEARED}
    days: dict[str, date] = {}
    for allocation in allocations:
        number = allocation.invoice_number
        if number not in partial or not allocation.kind.consumes_payment:
            continue
        paid_on = cleared.get(allocation.source_id)
        if paid_on is not None and paid_on > partial[number]:
            known = days.get(number)
            if known is None or paid_on > known:
                days[number] = paid_on
    return days


def _charged_back(
    payments: tuple[Payment, ...], allocations: tuple[Allocation, ...]
) -> frozenset[str]:
    """Invoices that cash from a charged-back payment had settled."""
    reversed_ids = {p.id for p in payments if p.status is PaymentStatus.CHARGED_BACK}
    return frozenset(
        a.invoice_number
        for a in allocations
        if a.source_id in reversed_ids and a.kind is AllocationKind.CASH
    )
