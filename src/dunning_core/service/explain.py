"""Why an account is where it is, in words: ``dunning explain``.

:func:`explain_account` reads one account and tells, as sentences a support agent can
read to the customer: what it owes and how late; each stage that fired or was skipped,
from the history; what happened to it (suspended, reactivated, alerts), from its
events; whether service is suspended and what clears it, from a fresh suspension
decision; and what the ladder does on the day, stage by stage and invoice by invoice,
from the ladder's own trace (due, waiting until a day, paused by a dispute, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import attrs

from dunning_core.domain.dates import AsOf
from dunning_core.domain.payment import PaymentStatus
from dunning_core.policies.ladder import Outcome
from dunning_core.policies.suspension import decide_suspension
from dunning_core.ports import UowFactory
from dunning_core.service.cases import case_rows, ladder_decision
from dunning_core.service.portfolio import account_view
from dunning_core.service.settings import CycleConfig

__all__ = ["Explanation", "explain_account"]

_OUTCOME_WORDS = {
    Outcome.FIRED: "due now",
    Outcome.SKIPPED: "passed over",
    Outcome.PAUSED: "paused",
    Outcome.DEFERRED: "deferred",
    Outcome.BELOW_MINIMUM: "below the minimum",
    Outcome.BLOCKED: "blocked",
    Outcome.WAITING: "waiting",
    Outcome.COMPLETE: "complete",
}


@attrs.frozen(kw_only=True)
class Explanation:
    """An account's situation in words, by section.

    Attributes:
        account_id: The account.
        as_of: The account-local day explained.
        summary: Who the account is and what it owes.
        history: One sentence per stage fired or skipped, oldest first.
        events: One sentence per recorded event (suspended, reactivated, ...).
        suspension: Whether service is suspended today, why, and what clears it.
        today: What the ladder does on the day, one sentence per stage considered.
        messages: The account's messages by status.
    """

    account_id: str
    as_of: str
    summary: tuple[str, ...]
    history: tuple[str, ...]
    events: tuple[str, ...]
    suspension: tuple[str, ...]
    today: tuple[str, ...]
    messages: tuple[str, ...]

    def text(self) -> str:
        """The explanation as text, section by section."""
        sections = [
            ("", self.summary),
            ("History", self.history or ("No stage has fired yet.",)),
            ("Events", self.events),
            ("Service", self.suspension),
            (f"On {self.as_of}", self.today or ("Nothing is open.",)),
            ("Messages", self.messages),
        ]
        out: list[str] = []
        for title, lines in sections:
            if not lines:
                continue
            if title:
                out.append(f"{title}:")
                out.extend(f"  {line}" for line in lines)
            else:
                out.extend(lines)
        return "\n".join(out) + "\n"


def _names(numbers: Sequence[str]) -> str:
    label = "invoice" if len(numbers) == 1 else "invoices"
    return f"{label} {', '.join(numbers)}"


def explain_account(
    uow_factory: UowFactory, config: CycleConfig, account_id: str, as_of: AsOf
) -> Explanation:
    """Explain one account on ``as_of`` (see the module docstring).

    Args:
        uow_factory: Opens units of work on the store.
        config: Ladders, assignments and the suspension policy.
        account_id: The account.
        as_of: The day (the account's local day), or an aware datetime.

    Returns:
        The explanation.

    Raises:
        UnknownRecord: no account has this id.
        DunningError: the account's data is invalid.
    """
    view = account_view(uow_factory, account_id, as_of)
    with uow_factory() as uow:
        events = uow.history.events_of([account_id]).get(account_id, ())
    account, statement = view.account, view.statement
    currency = statement.currency
    ladder, _ = config.ladder_of(account_id)
    rows = case_rows(config, view, as_of)
    option = rows[0].option if rows else "-"
    summary = [
        f"{account.name} ({account.id}): {currency}, {account.locale}, {account.timezone}, "
        f"ladder {ladder.name} (option {option}).",
    ]
    if statement.open_items:
        summary.append(
            f"On {statement.as_of} it owes {statement.balance}, of which "
            f"{statement.overdue_balance} overdue; the oldest open invoice is "
            f"{statement.oldest_days_past_due} days past due."
        )
    else:
        summary.append(f"On {statement.as_of} nothing is open.")
    if statement.charges:
        summary.append(f"Fees and charges booked: {statement.charges_total}.")
    if statement.unapplied:
        summary.append(f"Unapplied credit: {statement.unapplied}.")

    history = []
    for record in sorted(view.actions, key=lambda r: (r.fired_on, r.key)):
        if record.fired_on > statement.as_of:
            continue  # not yet on the day explained
        if record.skipped:
            history.append(
                f"{record.fired_on}: stage {record.stage} was passed over for "
                f"{_names(record.invoice_numbers)} (a later stage was due)."
            )
        else:
            how = f" by {record.channel}" if record.channel else ""
            history.append(
                f"{record.fired_on}: stage {record.stage} fired ({record.action}{how}) for "
                f"{_names(record.invoice_numbers)}."
            )
    # What happened up to the day explained (UTC days); the same kind
    # of event on one day is one line (an import records many invoices at once).
    happened: Counter[tuple[object, str]] = Counter()
    for event in sorted(events, key=lambda e: (e.occurred_at, e.key)):
        day = event.occurred_at.date()  # UTC, as the cycle stamps its runs
        if day <= statement.as_of:
            happened[(day, event.kind)] += 1
    event_lines = [
        f"{day}: {kind.replace('.', ' ').replace('_', ' ')}"
        + (f" ({count})." if count > 1 else ".")
        for (day, kind), count in happened.items()
    ]

    pending = [p for p in view.ledger.payments if p.status is PaymentStatus.PENDING]
    decision = decide_suspension(
        config.suspension, statement, as_of, facts=view.facts, pending=pending
    )
    if decision.suspended:
        since = view.suspension.since if view.suspension else None
        suspension = [f"Service is suspended{f' since {since}' if since else ''}."]
        suspension += [reason.message for reason in decision.reasons]
        if decision.resumes_when:
            suspension.append(decision.resumes_when)
    else:
        suspension = ["Service is active."]
    if decision.requires_prepayment:
        suspension.append("The account runs on prepayment only.")
    suspension += [f"Held off: {reason.message}" for reason in decision.deferred]

    decision_today = ladder_decision(config, view, as_of)
    today = [
        f"{entry.invoice_number or 'account'}: {_OUTCOME_WORDS[entry.outcome]}: "
        f"{entry.reason.message}"
        for entry in decision_today.trace
    ]
    counts = Counter(str(message.status) for message in view.messages)
    messages = [f"{count} {status.lower()}" for status, count in sorted(counts.items())]
    return Explanation(
        account_id=account_id,
        as_of=str(statement.as_of),
        summary=tuple(summary),
        history=tuple(history),
        events=tuple(event_lines),
        suspension=tuple(suspension),
        today=tuple(today),
        messages=(", ".join(messages),) if messages else (),
    )
