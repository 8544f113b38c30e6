"""From stages due to actions: one notice per channel, one operation per stage.

The invoices due a stage in one run are grouped: each channel gets one notice listing
every invoice with its stage (the most advanced stage picks the template), and each
account-level operation (suspend, terminate, hand over, ...) appears once. Channel
preconditions are checked here, and the hand-over option applies.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from dunning_core.domain.account import Account, Channel
from dunning_core.domain.facts import InsolvencyProceeding
from dunning_core.domain.statement import AccountStatement, OpenItem
from dunning_core.money import Money
from dunning_core.policies.ladder._actions import (
    DunningAction,
    InvoiceLine,
    Outcome,
    Reason,
    ReasonCode,
    StageTrace,
    action_key,
    format_day,
    ladder_reason,
    note,
)
from dunning_core.policies.ladder._assignment import HandOver, LadderAssignment
from dunning_core.policies.ladder._history import DECLARE_CLAIM_PREFIX, DunningHistory
from dunning_core.policies.ladder._model import ActionKind, Stage
from dunning_core.policies.ladder._plan import Plan

_NEEDS_ADDRESS = frozenset({ActionKind.HAND_OVER_TO_COLLECTION, ActionKind.LEGAL_ACTION})
_TIMED_CHANNELS = frozenset({Channel.SMS, Channel.PHONE_TASK})
_CONTACT_NEEDED = {
    Channel.EMAIL: "an email address",
    Channel.SMS: "a mobile number",
    Channel.PHONE_TASK: "a phone number",
}


class Firing:
    """One invoice due one stage in this run."""

    __slots__ = ("item", "order", "reasons", "round_start", "skipped", "stage")

    def __init__(
        self,
        order: int,
        item: OpenItem,
        stage: int,
        skipped: tuple[str, ...],
        round_start: date | None,
        reasons: list[Reason],
    ) -> None:
        self.order = order  # position on the statement: lines list invoices oldest first
        self.item = item
        self.stage = stage
        self.skipped = skipped
        self.round_start = round_start
        self.reasons = reasons


def channel_problem(account: Account, channel: Channel) -> str | None:
    """Why ``channel`` cannot reach ``account`` (``None`` when it can).

    EMAIL, SMS and PHONE_TASK need a contact accepting them; LETTER and
    REGISTERED_LETTER a contact with a complete postal address; WEBHOOK nothing (the
    endpoint is the integration's, not a contact's).
    """
    if channel is Channel.WEBHOOK:
        return None
    contacts = account.contacts_for(channel)
    if channel is Channel.LETTER or channel is Channel.REGISTERED_LETTER:
        if any(c.postal_address is not None and c.postal_address.is_complete for c in contacts):
            return None
        return f"no {channel.value} to account {account.id}: {_address_problem(account)}"
    if contacts:
        return None
    return f"no {channel.value} to account {account.id}: no contact with {_CONTACT_NEEDED[channel]}"


def _address_problem(account: Account) -> str:
    address = account.postal_address
    if address is None:
        return "no postal address"
    return "the postal address lacks " + ", ".join(address.missing_fields())


def due_reason(
    number: str,
    stage: Stage,
    due_on: date,
    day: date,
    channels: tuple[Channel, ...],
    operation: bool,
) -> Reason:
    """The reason an invoice is due a stage on ``day``, as a sentence."""
    late = (day - due_on).days
    if late > 0:
        when = f"{late} day(s) past due"
    elif late < 0:
        when = f"due in {-late} day(s)"
    else:
        when = "due today"
    detail = (
        f"invoice {number} is {when}: stage {stage.key}, {_what(stage.action, channels, operation)}"
    )
    return ladder_reason(ReasonCode.STAGE_DUE, detail, number, stage.key)


@lru_cache(maxsize=1024)
def _what(action: ActionKind, channels: tuple[Channel, ...], operation: bool) -> str:
    """What a stage does, in words (the same few sentences for every account)."""
    how = ", ".join(c.value for c in channels)
    if operation and how:
        return f"{action.value} (notice by {how})"
    return action.value + (f" by {how}" if how else "")


def build_actions(
    plan: Plan,
    account: Account,
    firings: list[Firing],
    assignment: LadderAssignment | None,
    day: date,
    now: datetime,
    trace: list[StageTrace] | None,
) -> tuple[DunningAction, ...]:
    """Group the firings of one run into actions: operations first, then notices."""
    currency = account.currency
    by_stage: dict[int, list[Firing]] = {}
    for firing in firings:
        by_stage.setdefault(firing.stage, []).append(firing)

    problems: dict[Channel, str | None] = {}
    actions: list[DunningAction] = []
    notices: dict[Channel, list[tuple[Firing, InvoiceLine]]] = {}
    review: set[int] = set()
    stage_reasons: dict[int, list[Reason]] = {}
    for at in sorted(by_stage):
        stage = plan.stages[at]
        group = by_stage[at]
        extra = stage_reasons[at] = []
        usable: list[Channel] = []
        for channel in stage.channels:
            if channel not in problems:
                problems[channel] = channel_problem(account, channel)
            problem = problems[channel]
            if problem is None:
                usable.append(channel)
            else:
                extra.append(ladder_reason(ReasonCode.NO_CONTACT, problem, None, stage.key))
        operation = not stage.action.is_notice
        if not usable and not operation:
            if trace is not None:
                why = "; ".join(r.message for r in extra)
                for firing in group:
                    number = firing.item.invoice.number
                    detail = f"stage {stage.key} not sent for invoice {number}: {why}"
                    note(trace, Outcome.BLOCKED, ReasonCode.NO_CONTACT, detail, number, stage.key)
            continue
        missing = _address_missing(stage, account)
        if missing is not None:
            # Blocked, not queued: nothing is recorded, so the stage fires on the first
            # run after the address is completed.
            if trace is not None:
                for firing in group:
                    number = firing.item.invoice.number
                    detail = f"stage {stage.key} not carried out for invoice {number}: {missing}"
                    note(
                        trace,
                        Outcome.BLOCKED,
                        ReasonCode.ADDRESS_INCOMPLETE,
                        detail,
                        number,
                        stage.key,
                    )
            continue
        if _needs_review(stage, account, assignment, extra):
            review.add(at)
        fee = stage.fee_for(currency)
        lines = []
        for firing in group:
            item = firing.item
            invoice = item.invoice
            line = InvoiceLine(
                invoice_number=invoice.number,
                stage=stage.key,
                open_amount=item.open_amount,
                due_on=invoice.due_on,
                days_past_due=item.days_past_due,
                skipped_stages=firing.skipped,
                fee=fee,
                round_start=firing.round_start,
            )
            lines.append(line)
            for channel in usable:
                notices.setdefault(channel, []).append((firing, line))
            if trace is not None:
                number = invoice.number
                for skipped in firing.skipped:
                    detail = (
                        f"stage {skipped} skipped for invoice {number}: caught up to {stage.key}"
                    )
                    note(trace, Outcome.SKIPPED, ReasonCode.CAUGHT_UP, detail, number, skipped)
                reason = due_reason(number, stage, invoice.due_on, day, tuple(usable), operation)
                trace.append(StageTrace(Outcome.FIRED, reason))
        if operation:
            actions.append(
                _action(plan, account, at, None, group, lines, at in review, extra, day, now)
            )

    for channel in Channel:
        entries = notices.get(channel)
        if not entries:
            continue
        entries.sort(key=lambda entry: entry[0].order)
        group = [firing for firing, _ in entries]
        stages_in = sorted({firing.stage for firing in group})
        extra = [reason for at in stages_in for reason in stage_reasons[at]]
        actions.append(
            _action(
                plan,
                account,
                stages_in[-1],
                channel,
                group,
                [line for _, line in entries],
                any(at in review for at in stages_in),
                extra,
                day,
                now,
            )
        )
    return tuple(actions)


def _needs_review(
    stage: Stage, account: Account, assignment: LadderAssignment | None, extra: list[Reason]
) -> bool:
    review = False
    if stage.action is ActionKind.HAND_OVER_TO_COLLECTION and (
        assignment is None or assignment.hand_over is HandOver.REVIEW
    ):
        review = True
        option = "the account's option" if assignment is not None else "the default option"
        detail = f"hand-over of account {account.id} queued for review ({option})"
        extra.append(ladder_reason(ReasonCode.REVIEW_REQUIRED, detail, None, stage.key))
    return review


def _address_missing(stage: Stage, account: Account) -> str | None:
    """Why a hand-over or a legal action cannot be carried out (no complete postal
    address), or ``None`` when it can."""
    if stage.action not in _NEEDS_ADDRESS:
        return None
    address = account.postal_address
    if address is not None and address.is_complete:
        return None
    what = stage.action.value.lower().replace("_", " ")
    return f"{what} needs a complete postal address: {_address_problem(account)}"


def _action(
    plan: Plan,
    account: Account,
    at: int,
    channel: Channel | None,
    firings: list[Firing],
    lines: list[InvoiceLine],
    needs_review: bool,
    extra: list[Reason],
    day: date,
    now: datetime,
) -> DunningAction:
    stage = plan.stages[at]
    operation = channel is None
    reasons: list[Reason] = []
    for firing, line in zip(firings, lines, strict=True):
        of_line = plan.stages[firing.stage]
        channels = of_line.channels if channel is None else (channel,)
        reasons.append(
            due_reason(line.invoice_number, of_line, line.due_on, day, channels, operation)
        )
        reasons.extend(firing.reasons)
    reasons.extend(extra)
    fees = [line.fee for line in lines if line.fee is not None]
    rounds = [(line.invoice_number, line.round_start) for line in lines if line.round_start]
    numbers = [line.invoice_number for line in lines]
    if channel in _TIMED_CHANNELS:
        not_before = plan.ladder.business_hours.next_opening(now, account.tz, plan.calendar)
    else:
        not_before = now
    return DunningAction(
        account_id=account.id,
        ladder=plan.name,
        stage=stage.key,
        kind=stage.action,
        channel=channel,
        lines=tuple(lines),
        key=action_key(account.id, plan.name, stage.key, channel, numbers, rounds),
        not_before=not_before,
        template=stage.template,
        fee=Money.sum(fees, account.currency) if fees else None,
        needs_review=needs_review,
        reasons=tuple(reasons),
        fired_on=day,
    )


def declare_claims(
    plan: Plan,
    statement: AccountStatement,
    history: DunningHistory,
    proceedings: tuple[InsolvencyProceeding, ...],
    day: date,
    now: datetime,
    trace: list[StageTrace] | None,
) -> tuple[DunningAction, ...]:
    """One DECLARE_CLAIM per open proceeding not declared yet, listing the open invoices
    issued on or before its opening; no reminder of any kind."""
    account = statement.account
    declared = {
        record.stage: record.fired_on
        for record in history.records
        if record.stage.startswith(DECLARE_CLAIM_PREFIX)
    }
    actions: list[DunningAction] = []
    for proceeding in proceedings:
        kind = proceeding.kind.value.lower()
        reference = proceeding.reference or proceeding.id
        pause = ladder_reason(
            ReasonCode.INSOLVENCY,
            f"no reminder: {kind} proceeding {reference} open since "
            f"{format_day(proceeding.opened_on)}; collection stops and the claim is declared",
        )
        if trace is not None:
            trace.append(StageTrace(Outcome.PAUSED, pause))
        stage_key = DECLARE_CLAIM_PREFIX + proceeding.id
        if stage_key in declared:
            if trace is not None:
                when = format_day(declared[stage_key])
                detail = f"claim in proceeding {reference} declared on {when}"
                note(trace, Outcome.COMPLETE, ReasonCode.INSOLVENCY, detail, None, stage_key)
            continue
        items = [
            item
            for item in statement.items
            if item.is_open and item.invoice.issued_on <= proceeding.opened_on
        ]
        if not items:
            continue
        lines = tuple(
            InvoiceLine(
                invoice_number=item.invoice.number,
                stage=stage_key,
                open_amount=item.open_amount,
                due_on=item.invoice.due_on,
                days_past_due=item.days_past_due,
            )
            for item in items
        )
        total = Money.sum((line.open_amount for line in lines), account.currency)
        court = f" before {proceeding.court}" if proceeding.court else ""
        detail = f"declare {total} ({len(lines)} invoice(s)) in {kind} proceeding {reference}"
        reason = ladder_reason(ReasonCode.INSOLVENCY, detail + court, None, stage_key)
        if trace is not None:
            trace.append(StageTrace(Outcome.FIRED, reason))
        numbers = [line.invoice_number for line in lines]
        actions.append(
            DunningAction(
                account_id=account.id,
                ladder=plan.name,
                stage=stage_key,
                kind=ActionKind.DECLARE_CLAIM,
                channel=None,
                lines=lines,
                key=action_key(account.id, plan.name, stage_key, None, numbers),
                not_before=now,
                template="declare_claim",
                fee=None,
                needs_review=False,
                reasons=(pause, reason),
                fired_on=day,
            )
        )
    return tuple(actions)
