"""The case list: one row per account (or per open invoice) with something to collect.

What a collection team works from (the seeds' "Dettes" table): the stage reached, days
overdue, the amount, what is paid, the fees, what is outstanding, the reminder option
chosen, what happens next and when, and whether service is suspended and why.

A row's *status* is the most pressing of its statuses, in this order: ``handed-over``
(a hand-over to collection fired for an open invoice), ``suspended``, ``dispute`` (an
open invoice is disputed), ``promise`` (a promise to pay is running), ``overdue``,
``current`` (open, not yet due). ``statuses`` holds all of them, and a filter on a
status matches any row that has it.

The *option* is ``collection`` when the account's ladder hands over to collection
(the seeds' options a and b), else ``reminders``. The *next action* comes from the
ladder's own trace on the day: a stage due now (the cycle has not run yet), the next
stage and the day it comes due, or the pause that holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import attrs

from dunning_core.domain.dates import AsOf
from dunning_core.domain.history import ActionRecord
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import DunningError, InvalidField
from dunning_core.money import Money
from dunning_core.policies.ladder import (
    ActionKind,
    DayBasis,
    Ladder,
    LadderDecision,
    Outcome,
    decide_ladder,
)
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import AccountError
from dunning_core.service.portfolio import AccountView, account_views
from dunning_core.service.records import history_from_records
from dunning_core.service.settings import CycleConfig
from dunning_core.sharding import Shard

__all__ = [
    "CASE_COLUMNS",
    "STATUSES",
    "CaseFilter",
    "CaseRow",
    "case_list",
    "case_rows",
    "ladder_decision",
]

#: Row statuses, most pressing first.
STATUSES = ("handed-over", "suspended", "dispute", "promise", "overdue", "current")
_OPTIONS = ("reminders", "collection")

#: The columns of :meth:`CaseRow.cells`, in order (the CSV header).
CASE_COLUMNS = (
    "account_id",
    "customer",
    "invoice",
    "status",
    "stage",
    "days_overdue",
    "currency",
    "amount",
    "paid",
    "fees",
    "outstanding",
    "option",
    "ladder",
    "next_action",
    "next_action_on",
    "suspended",
    "suspension_reason",
)


@attrs.frozen(kw_only=True)
class CaseRow:
    """One case: an account, or one open invoice of it (``invoice`` set).

    Attributes:
        account_id: The account.
        customer: The account's name.
        invoice: The invoice number, for a per-invoice row; ``None`` for an account.
        status: The most pressing status (see the module docstring).
        statuses: Every status that applies.
        stage: The last ladder stage fired (for the invoice, on an invoice row), or "".
        days_overdue: Days past due of the oldest open invoice (or of the invoice).
        amount: What the open invoices were billed.
        paid: What is settled on them.
        fees: Fees and charges booked (on the invoice, for an invoice row).
        outstanding: ``amount - paid + fees``.
        option: ``collection`` or ``reminders``.
        ladder: The ladder's name.
        next_action: What happens next, in words.
        next_action_on: The day it is due, or ``None`` (paused, or nothing left).
        suspended: Whether service is suspended.
        suspension_reason: The codes of the suspension reasons, ``;``-separated.
    """

    account_id: str
    customer: str
    invoice: str | None
    status: str
    statuses: tuple[str, ...]
    stage: str
    days_overdue: int
    amount: Money
    paid: Money
    fees: Money
    outstanding: Money
    option: str
    ladder: str
    next_action: str
    next_action_on: date | None
    suspended: bool
    suspension_reason: str

    @property
    def currency(self) -> str:
        """The row's currency (the account's)."""
        return self.amount.currency

    def cells(self) -> tuple[str | int | Decimal | date | None, ...]:
        """The row's values in :data:`CASE_COLUMNS` order; amounts as exact ``Decimal``."""
        return (
            self.account_id,
            self.customer,
            self.invoice,
            self.status,
            self.stage,
            self.days_overdue,
            self.currency,
            self.amount.amount,
            self.paid.amount,
            self.fees.amount,
            self.outstanding.amount,
            self.option,
            self.ladder,
            self.next_action,
            self.next_action_on,
            "yes" if self.suspended else "no",
            self.suspension_reason,
        )


@attrs.frozen(kw_only=True)
class CaseFilter:
    """Which rows to keep (every condition must hold; ``None`` keeps everything).

    Attributes:
        stage: The last stage fired.
        status: A status the row has (one of :data:`STATUSES`).
        min_days: At least this many days overdue.
        currency: The row's currency.
        option: ``reminders`` or ``collection``.

    Raises:
        InvalidField: an unknown status or option, or a negative ``min_days``.
    """

    stage: str | None = None
    status: str | None = None
    min_days: int | None = None
    currency: str | None = None
    option: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise InvalidField("status", self.status, f"must be one of {', '.join(STATUSES)}")
        if self.option is not None and self.option not in _OPTIONS:
            raise InvalidField("option", self.option, f"must be one of {', '.join(_OPTIONS)}")
        if self.min_days is not None and self.min_days < 0:
            raise InvalidField("min_days", self.min_days, "must be 0 or more")

    def keeps(self, row: CaseRow) -> bool:
        """True when ``row`` passes every condition."""
        return (
            (self.stage is None or row.stage == self.stage)
            and (self.status is None or self.status in row.statuses)
            and (self.min_days is None or row.days_overdue >= self.min_days)
            and (self.currency is None or row.currency == self.currency.upper())
            and (self.option is None or row.option == self.option)
        )


def ladder_decision(config: CycleConfig, view: AccountView, as_of: AsOf) -> LadderDecision:
    """The ladder's decision (and trace) for ``view``'s account on ``as_of``, from its
    stored history: what the cycle would decide if it ran now.

    Args:
        config: The :class:`~dunning_core.service.settings.CycleConfig` (ladders, assignments).
        view: The account.
        as_of: The day.
    """
    ladder, assignment = config.ladder_of(view.account.id)
    return decide_ladder(
        ladder,
        view.statement,
        history_from_records(view.account.id, view.actions),
        as_of,
        facts=view.facts,
        payments=view.ledger.payments,
        allocations=view.ledger.allocations,
        assignment=assignment,
    )


def _option(ladder: Ladder) -> str:
    hands_over = any(s.action is ActionKind.HAND_OVER_TO_COLLECTION for s in ladder.stages)
    return "collection" if hands_over else "reminders"


def _stage_days(ladder: Ladder, due_on: date) -> dict[str, date]:
    """The day each stage comes due for an invoice due on ``due_on`` (no restart)."""
    days: dict[str, date] = {}
    previous = date.min
    for stage in ladder.stages:
        if stage.basis is DayBasis.BUSINESS:
            day = ladder.calendar.shift(due_on, stage.offset)
        else:
            day = due_on + timedelta(days=stage.offset)
        previous = max(previous, day)
        days[stage.key] = previous
    return days


def _next(
    decision: LadderDecision, ladder: Ladder, items: Sequence[OpenItem], day: date
) -> tuple[str, date | None]:
    """The earliest thing the trace says will happen to ``items`` (or to the account)."""
    numbers = {item.invoice.number: item for item in items}
    best: tuple[date, str] | None = None
    paused = ""
    for entry in decision.trace:
        number = entry.invoice_number
        if number is not None and number not in numbers:
            continue
        if entry.outcome is Outcome.FIRED and entry.stage:
            candidate = (day, f"{entry.stage} due now")
        elif entry.outcome is Outcome.WAITING and entry.stage and number is not None:
            due = _stage_days(ladder, numbers[number].invoice.due_on).get(entry.stage)
            if due is None:
                continue
            candidate = (max(due, day), f"{entry.stage} for {number}")
        elif entry.outcome in (Outcome.PAUSED, Outcome.BLOCKED, Outcome.DEFERRED):
            paused = paused or f"{entry.outcome.value.lower()}: {entry.reason.message}"
            continue
        else:
            continue
        if best is None or candidate[0] < best[0]:
            best = candidate
    if best is not None:
        return best[1], best[0]
    return paused, None


def _last_stage(actions: Iterable[ActionRecord], invoice: str | None) -> str:
    fired = [
        record
        for record in actions
        if not record.skipped and (invoice is None or invoice in record.invoice_numbers)
    ]
    if not fired:
        return ""
    return max(fired, key=lambda r: (r.fired_on, r.key)).stage


def _statuses(view: AccountView, items: Sequence[OpenItem], day: date) -> tuple[str, ...]:
    numbers = {item.invoice.number for item in items}
    found: set[str] = set()
    for record in view.actions:
        if (
            not record.skipped
            and record.action == str(ActionKind.HAND_OVER_TO_COLLECTION)
            and numbers.intersection(record.invoice_numbers)
        ):
            found.add("handed-over")
    if view.suspended:
        found.add("suspended")
    if any(d.is_open(day) and d.invoice_number in numbers for d in view.facts.disputes):
        found.add("dispute")
    for promise in view.facts.promises:
        covers = not promise.invoice_numbers or numbers.intersection(promise.invoice_numbers)
        if covers and promise.made_on <= day <= promise.due_on:
            found.add("promise")
    if any(item.days_past_due > 0 for item in items):
        found.add("overdue")
    elif items:
        found.add("current")
    return tuple(status for status in STATUSES if status in found)


def case_rows(
    config: CycleConfig, view: AccountView, as_of: AsOf, *, by_invoice: bool = False
) -> tuple[CaseRow, ...]:
    """The case-list rows of one account: one for the account when something is open
    or fees are owed, or one per open invoice with ``by_invoice``.

    Args:
        config: The :class:`~dunning_core.service.settings.CycleConfig`.
        view: The account as it stands (from :func:`account_views`).
        as_of: The day.
        by_invoice: One row per open invoice instead of one per account.
    """
    statement = view.statement
    open_items = statement.open_items
    if not open_items and not statement.charges:
        return ()
    ladder, _ = config.ladder_of(view.account.id)
    decision = ladder_decision(config, view, as_of)
    day = statement.as_of
    currency = statement.currency
    reason = "" if view.suspension is None else ";".join(view.suspension.reason_codes)
    groups: list[tuple[str | None, tuple[OpenItem, ...]]]
    if by_invoice:
        groups = [(item.invoice.number, (item,)) for item in open_items]
    else:
        groups = [(None, open_items)]
    rows = []
    for invoice, items in groups:
        charges = [c for c in statement.charges if invoice is None or c.invoice_number == invoice]
        amount = Money.sum((item.invoice.amount for item in items), currency)
        paid = Money.sum((item.settled for item in items), currency)
        fees = Money.sum((charge.amount for charge in charges), currency)
        statuses = _statuses(view, items, day)
        next_action, next_on = _next(decision, ladder, items, day)
        rows.append(
            CaseRow(
                account_id=view.account.id,
                customer=view.account.name,
                invoice=invoice,
                status=statuses[0] if statuses else "settled",
                statuses=statuses,
                stage=_last_stage(view.actions, invoice),
                days_overdue=max((item.days_past_due for item in items), default=0),
                amount=amount,
                paid=paid,
                fees=fees,
                outstanding=amount - paid + fees,
                option=_option(ladder),
                ladder=ladder.name,
                next_action=next_action,
                next_action_on=next_on,
                suspended=view.suspended,
                suspension_reason=reason,
            )
        )
    return tuple(rows)


def case_list(
    uow_factory: UowFactory,
    config: CycleConfig,
    as_of: AsOf,
    *,
    by_invoice: bool = False,
    where: CaseFilter | None = None,
    shard: Shard | None = None,
    errors: list[AccountError] | None = None,
) -> list[CaseRow]:
    """The case list on ``as_of``: rows of every account with something to collect,
    by account id (then invoice, oldest first), filtered by ``where``.

    Args:
        uow_factory: Opens units of work on the store.
        config: The :class:`~dunning_core.service.settings.CycleConfig` (ladders, assignments).
        as_of: The day.
        by_invoice: One row per open invoice.
        where: The filter; every row by default.
        shard: Only the accounts of one shard.
        errors: Receives the accounts skipped because their data is invalid.

    Returns:
        The rows.

    Raises:
        StoreError: the store failed.
    """
    keep = where or CaseFilter()
    rows: list[CaseRow] = []
    for view in account_views(uow_factory, as_of, shard=shard, errors=errors):
        try:
            found = case_rows(config, view, as_of, by_invoice=by_invoice)
        except DunningError as error:
            if errors is not None:
                errors.append(
                    AccountError(
                        account_id=view.account.id, error=type(error).__name__, message=str(error)
                    )
                )
            continue
        rows.extend(row for row in found if keep.keeps(row))
    return rows
