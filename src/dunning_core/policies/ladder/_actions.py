"""What a ladder decides: actions, their invoice lines, reasons and the trace.

A :class:`DunningAction` is one thing to do for one account in one run: a notice on one
channel (listing every invoice due a stage, each with its stage) or an account-level
operation (suspend, terminate, hand over, ...; ``channel`` is ``None``). It carries a
deterministic idempotency key, the earliest time it may be carried out, the fee it
books, whether a person must review it, and the reasons that produced it.

:class:`LadderDecision` adds the trace: every stage considered for every open invoice
and why it fired or did not, which :meth:`LadderDecision.explain` prints.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime

import attrs

from dunning_core.domain._checks import FrozenMapping, unchecked_constructor
from dunning_core.domain.account import Channel
from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.reasons import FactValue, Reason
from dunning_core.money import Money
from dunning_core.policies.ladder._history import StageRecord
from dunning_core.policies.ladder._model import ActionKind

_unchecked_stage_record = unchecked_constructor(StageRecord)

__all__ = [
    "DunningAction",
    "InvoiceLine",
    "LadderDecision",
    "Outcome",
    "Reason",
    "ReasonCode",
    "StageTrace",
    "action_key",
    "format_day",
]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(day: date) -> str:
    """``3 March 2024``: a date for explanations, independent of the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class ReasonCode(enum.StrEnum):
    """Stable codes for why a stage fired, waited or was held back (the ``code`` of the
    ladder's :class:`~dunning_core.domain.reasons.Reason` values)."""

    STAGE_DUE = "STAGE_DUE"  #: the invoice reached the stage's day
    CAUGHT_UP = "CAUGHT_UP"  #: LATEST_ONLY passed over earlier stages
    CHARGEBACK = "CHARGEBACK"  #: a chargeback sends the invoice straight to collection
    RESTARTED = "RESTARTED"  #: a partial payment restarted the ladder
    REVIEW_REQUIRED = "REVIEW_REQUIRED"  #: the account's option queues hand-overs for review
    #: a hand-over or legal action is blocked until the postal address is complete
    ADDRESS_INCOMPLETE = "ADDRESS_INCOMPLETE"
    NO_CONTACT = "NO_CONTACT"  #: nobody accepts the channel
    DISPUTED = "DISPUTED"
    INVOICE_HOLD = "INVOICE_HOLD"
    ACCOUNT_HOLD = "ACCOUNT_HOLD"
    PROMISE_TO_PAY = "PROMISE_TO_PAY"
    PAYMENT_IN_FLIGHT = "PAYMENT_IN_FLIGHT"
    NO_DUNNING = "NO_DUNNING"  #: the account is tagged ``no-dunning``
    INSOLVENCY = "INSOLVENCY"
    #: after the ruling, an invoice issued by the opening is a claim in the proceeding
    CLAIM_IN_PROCEEDING = "CLAIM_IN_PROCEEDING"
    MIN_GAP = "MIN_GAP"  #: too soon after the previous notice
    BELOW_MINIMUM = "BELOW_MINIMUM"
    WAITING = "WAITING"  #: the next stage's day has not come
    COMPLETE = "COMPLETE"  #: every stage is done


#: Pause reasons: while one holds, nothing fires and nothing is recorded.
PAUSES = frozenset(
    {
        ReasonCode.DISPUTED,
        ReasonCode.INVOICE_HOLD,
        ReasonCode.ACCOUNT_HOLD,
        ReasonCode.PROMISE_TO_PAY,
        ReasonCode.PAYMENT_IN_FLIGHT,
        ReasonCode.NO_DUNNING,
        ReasonCode.INSOLVENCY,
    }
)


def ladder_reason(
    code: str, message: str, invoice_number: str | None = None, stage: str | None = None
) -> Reason:
    """A ladder reason: the library's :class:`~dunning_core.domain.reasons.Reason` whose
    ``subject`` is the invoice (``None`` for the whole account) and whose facts name
    the stage."""
    # Every value here is the ladder's own (a ReasonCode, a sentence it wrote, keys of a
    # validated ladder and statement), so the validators are skipped on this hot path,
    # and the read-only facts of each stage are built once.
    facts = _STAGE_FACTS.get(stage)
    if facts is None:
        facts = _STAGE_FACTS[stage] = FrozenMapping({} if stage is None else {"stage": stage})
    return Reason._trusted(code, message, invoice_number, facts)


_STAGE_FACTS: dict[str | None, FrozenMapping[str, FactValue]] = {}


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One invoice on an action, at the stage it reached.

    Attributes:
        invoice_number: The invoice.
        stage: The stage this invoice is at in this action.
        open_amount: What remains to be paid on it.
        due_on: Its due date.
        days_past_due: Days past due on the run's day (0 up to the due date).
        skipped_stages: Earlier stages a LATEST_ONLY catch-up passed over for it.
        fee: The stage's fee for this invoice, if the stage books one.
        round_start: The day of the partial payment that restarted the ladder for
            this invoice, or ``None`` (first round).
    """

    invoice_number: str
    stage: str
    open_amount: Money
    due_on: date
    days_past_due: int
    skipped_stages: tuple[str, ...] = ()
    fee: Money | None = None
    round_start: date | None = None


def action_key(
    account_id: str,
    ladder: str,
    stage: str,
    channel: Channel | None,
    invoice_numbers: Iterable[str],
    rounds: Iterable[tuple[str, date]] = (),
) -> str:
    """The idempotency key of an action: 64 hex digits of SHA-256 over the JSON text
    ``[account_id, ladder, stage, channel or null, sorted invoice numbers]``, with a
    sixth element ``[[invoice, round start ISO date], ...]`` (sorted) only when a partial
    payment restarted the ladder for some of the invoices.

    The same decision always gets the same key, whichever process computes it, so
    stores and outboxes can insert with "ignore on conflict".
    """
    parts: list[object] = [
        account_id,
        ladder,
        stage,
        None if channel is None else channel.value,
        sorted(invoice_numbers),
    ]
    restarts = sorted((number, day.isoformat()) for number, day in rounds)
    if restarts:
        parts.append(restarts)
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class DunningAction:
    """One thing to do for one account in one run.

    Attributes:
        account_id: The account.
        ladder: The ladder's name.
        stage: The most advanced stage among the lines (it picks the template); for an
            operation, the stage of the operation.
        kind: The action of that stage (REMIND, FORMAL_NOTICE, TERMINATE, ...;
            DECLARE_CLAIM during an insolvency proceeding).
        channel: The channel of a notice, or ``None`` for an account-level operation.
        lines: Every invoice concerned with its stage, oldest first.
        key: Deterministic idempotency key, see :func:`action_key`.
        not_before: The earliest instant to carry it out (aware, in the account's
            timezone): business hours for SMS and phone tasks, the run's time otherwise.
        template: The message template key.
        fee: The total of the stage fees of the lines (booked once per invoice and
            stage, see :meth:`fee_charges`), or ``None`` when no line books a fee.
        needs_review: True when a person must approve it first (a hand-over under the
            "review" option).
        reasons: Why it happened, one or more per line.
        fired_on: The account-local day of the run.
    """

    account_id: str
    ladder: str
    stage: str
    kind: ActionKind
    channel: Channel | None
    lines: tuple[InvoiceLine, ...]
    key: str
    not_before: datetime
    template: str
    fee: Money | None
    needs_review: bool
    reasons: tuple[Reason, ...]
    fired_on: date

    @property
    def is_notice(self) -> bool:
        """True for a message to the customer (it has a channel)."""
        return self.channel is not None

    @property
    def invoice_numbers(self) -> tuple[str, ...]:
        """The invoices concerned, in line order (oldest first)."""
        return tuple(line.invoice_number for line in self.lines)

    @property
    def open_amount(self) -> Money:
        """The total open amount of the lines."""
        currency = self.lines[0].open_amount.currency
        return Money.sum((line.open_amount for line in self.lines), currency)

    def to_records(self) -> tuple[StageRecord, ...]:
        """The history records this action leaves once carried out (or queued).

        One record per stage among the lines (``skipped=False``), then one per stage a
        catch-up passed over (``skipped=True``), each listing its invoices and
        carrying this action's key and run day.
        """
        fired: dict[str, list[str]] = {}
        skipped: dict[str, list[str]] = {}
        for line in self.lines:
            fired.setdefault(line.stage, []).append(line.invoice_number)
            for stage in line.skipped_stages:
                skipped.setdefault(stage, []).append(line.invoice_number)
        # The parts come from this validated action: build the records unchecked.
        record = _unchecked_stage_record
        records = [
            record(
                account_id=self.account_id,
                ladder=self.ladder,
                stage=stage,
                invoice_numbers=tuple(sorted(set(numbers))),
                fired_on=self.fired_on,
                skipped=False,
                action_key=self.key,
            )
            for stage, numbers in fired.items()
        ]
        records.extend(
            record(
                account_id=self.account_id,
                ladder=self.ladder,
                stage=stage,
                invoice_numbers=tuple(sorted(set(numbers))),
                fired_on=self.fired_on,
                skipped=True,
                action_key=self.key,
            )
            for stage, numbers in skipped.items()
        )
        return tuple(records)

    def fee_charges(self) -> tuple[Charge, ...]:
        """The stage fees of the lines as charges, one per invoice and stage.

        The key is the same whichever channel's notice carries the fee, so booking the
        charges of every action of a run books each fee once.
        """
        return tuple(
            Charge(
                key=fee_key(self.account_id, self.ladder, line.stage, line.invoice_number),
                account_id=self.account_id,
                kind=ChargeKind.STAGE_FEE,
                amount=line.fee,
                booked_on=self.fired_on,
                invoice_number=line.invoice_number,
                stage=line.stage,
                detail=f"fee of stage {line.stage} for invoice {line.invoice_number}",
            )
            for line in self.lines
            if line.fee is not None
        )


def fee_key(account_id: str, ladder: str, stage: str, invoice_number: str) -> str:
    """The key of a stage fee: ``["fee", account, ladder, stage, invoice]`` as JSON."""
    return json.dumps(["fee", account_id, ladder, stage, invoice_number], ensure_ascii=False)


class Outcome(enum.StrEnum):
    """What happened to a stage considered for an invoice in one run."""

    FIRED = "FIRED"
    SKIPPED = "SKIPPED"  #: passed over by a LATEST_ONLY catch-up (recorded)
    PAUSED = "PAUSED"  #: a pause holds (dispute, hold, promise, ...); nothing recorded
    DEFERRED = "DEFERRED"  #: too soon after the previous notice; fires later
    BELOW_MINIMUM = "BELOW_MINIMUM"  #: the amount at stake is below the stage's minimum
    #: no channel of the stage can reach the customer, or a hand-over (legal action)
    #: lacks a complete postal address; nothing recorded, it fires once that is fixed
    BLOCKED = "BLOCKED"
    WAITING = "WAITING"  #: the next stage's day has not come
    COMPLETE = "COMPLETE"  #: the invoice went through every stage


@attrs.frozen
class StageTrace:
    """One line of the trace: a stage considered for an invoice and what came of it.

    Attributes:
        outcome: What happened.
        reason: Why, with the invoice and stage it concerns.
    """

    outcome: Outcome
    reason: Reason

    @property
    def invoice_number(self) -> str | None:
        """The invoice concerned (``None`` for the whole account)."""
        return self.reason.subject

    @property
    def stage(self) -> str | None:
        """The stage concerned, if any."""
        stage = self.reason.facts.get("stage")
        return stage if isinstance(stage, str) else None


def note(
    trace: list[StageTrace],
    outcome: Outcome,
    code: ReasonCode,
    detail: str,
    invoice_number: str | None = None,
    stage: str | None = None,
) -> None:
    """Append one entry to a trace (internal helper of the evaluation)."""
    trace.append(StageTrace(outcome, ladder_reason(code, detail, invoice_number, stage)))


@attrs.frozen(kw_only=True)
class LadderDecision:
    """Everything one evaluation decided, with its trace.

    Attributes:
        account_id: The account.
        ladder: The ladder's name.
        as_of: The account-local day of the run.
        actions: The actions, in a stable order (operations, then notices by channel).
        trace: Every stage considered and what came of it, account-level entries first,
            then per invoice oldest first.
        wakes_on: The earliest later day on which the ladder can act again with the
            same ledger and facts, once these actions are recorded (``None``: only a
            new document or fact can make it act). See
            :func:`~dunning_core.policies.ladder.decide_ladder`.

    .. versionchanged:: 0.2
       ``wakes_on``.
    """

    account_id: str
    ladder: str
    as_of: date
    actions: tuple[DunningAction, ...]
    trace: tuple[StageTrace, ...]
    wakes_on: date | None = None

    @property
    def records(self) -> tuple[StageRecord, ...]:
        """The records of every action (what to store once the actions are queued)."""
        return tuple(record for action in self.actions for record in action.to_records())

    @property
    def charges(self) -> tuple[Charge, ...]:
        """The stage fees to book, each invoice and stage once."""
        seen: dict[str, Charge] = {}
        for action in self.actions:
            for charge in action.fee_charges():
                seen.setdefault(charge.key, charge)
        return tuple(seen.values())

    def explain(self) -> str:
        """The trace as text, one line per entry, e.g.
        ``F-2024-031: no reminder: invoice F-2024-031 is disputed since 3 March 2024``.
        """
        lines = []
        for entry in self.trace:
            subject = entry.invoice_number or f"account {self.account_id}"
            lines.append(f"{subject}: {entry.reason.message}")
        return "\n".join(lines)
