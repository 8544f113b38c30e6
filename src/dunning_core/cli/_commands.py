"""One function per ``dunning`` command: call a service, print what it did.

Each takes the :class:`Context` (arguments, streams, the store and the settings, opened
on first use) and returns the exit status.
"""

from __future__ import annotations

import argparse
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

import attrs

from dunning_core import Money, Payment, RemittanceAdvice
from dunning_core.cli._import import ImportOptions, import_file
from dunning_core.cli._notify import DispatchClock, build_notifier
from dunning_core.cli._progress import Progress
from dunning_core.cli._report import PortfolioReport, SuspendedAccount, render_html
from dunning_core.cli._settings import (
    Settings,
    Store,
    UsageError,
    is_postgres,
    load_settings,
    open_store,
    shown,
    store_factory,
)
from dunning_core.policies.sms import count_segments, split_segments
from dunning_core.ports import UowFactory
from dunning_core.rendering.tables import Cell, terminal_safe, to_csv, to_json, to_text_table
from dunning_core.service.cases import CASE_COLUMNS, CaseFilter, CaseRow, case_list, case_rows
from dunning_core.service.cycle import AccountError, CycleReport, run_cycle
from dunning_core.service.dispatch import DispatchReport, dispatch
from dunning_core.service.explain import explain_account
from dunning_core.service.payments import record_payment, reverse_payment
from dunning_core.service.portfolio import (
    account_view,
    account_views,
    activity,
    aging_by_currency,
)
from dunning_core.sharding import Shard

__all__ = ["Context"]


@attrs.define
class Context:
    """What a command runs with; the store and settings open on first use."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    db: str
    busy_timeout: float
    config_path: str | None
    as_json: bool
    write_json: Callable[[TextIO, object], None]
    read_only: bool = False
    _store: Store | None = None
    _settings: Settings | None = None

    @property
    def store(self) -> Store:
        """The store (opened now if not yet)."""
        if self._store is None:
            self._store = open_store(
                self.db, read_only=self.read_only, busy_timeout=self.busy_timeout
            )
        return self._store

    @property
    def uow_factory(self) -> UowFactory:
        """The store's unit-of-work factory (read-only units for a reading command)."""
        return store_factory(self.store, read_only=self.read_only)

    @property
    def settings(self) -> Settings:
        """The settings (read now if not yet)."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def emit(self, data: object, text: str) -> None:
        """Print ``data`` as JSON with ``--json``, else ``text``."""
        if self.as_json:
            self.write_json(self.out, data)
        else:
            self.out.write(text)

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()


# -- argument types ---------------------------------------------------------------------


def parse_day(text: str) -> date:
    """``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_instant(text: str) -> datetime:
    """An ISO datetime with its offset (``2026-03-02T07:00+00:00``)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO datetime") from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; add one (+00:00) so it means one instant"
        )
    return value


def parse_time(text: str) -> time:
    """``HH:MM``."""
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (HH:MM)") from None


def parse_as_of(text: str) -> date | datetime:
    """A day (``YYYY-MM-DD``) or an aware ISO datetime."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return parse_day(text)
    return parse_instant(text)


def parse_shard(text: str) -> Shard:
    """``i/n`` with ``0 <= i < n``."""
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected i/n with 0 <= i < n, e.g. 3/16")
    return int(match.group(1)), int(match.group(2))


def parse_decimal(text: str, option: str) -> Decimal:
    """A decimal amount written with a point."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UsageError(f"{option} {text!r}: not a decimal amount (use a point)") from None
    if not value.is_finite():
        raise UsageError(f"{option} {text!r}: not a decimal amount")
    return value


def _as_of(ctx: Context) -> date | datetime:
    value: date | datetime | None = getattr(ctx.args, "as_of", None)
    return value if value is not None else date.today()


def _errors_text(errors: list[AccountError] | tuple[AccountError, ...]) -> str:
    lines = [
        f"  {terminal_safe(e.account_id)}: {e.error}: {terminal_safe(e.message)}\n" for e in errors
    ]
    return f"accounts in error: {len(errors)}\n{''.join(lines)}" if errors else ""


def _errors_json(errors: list[AccountError] | tuple[AccountError, ...]) -> list[dict[str, str]]:
    return [attrs.asdict(error) for error in errors]


# -- init, import -----------------------------------------------------------------------


def init(ctx: Context) -> int:
    """``dunning init``."""
    if is_postgres(ctx.db):
        ctx._store = open_store(ctx.db, create=True, busy_timeout=ctx.busy_timeout)
        version = getattr(ctx._store, "schema_version", None)
        where = f"{shown(ctx.db)} (schema {getattr(ctx._store, 'schema', '?')})"
        ctx.emit(
            {"database": shown(ctx.db), "schema_version": version},
            f"{where}: at version {version}\n",
        )
        return 0
    existed = Path(ctx.db).exists()
    ctx._store = open_store(ctx.db, create=True, busy_timeout=ctx.busy_timeout)
    text = f"{ctx.db}: {'up to date' if existed else 'created'}\n"
    ctx.emit({"database": ctx.db, "created": not existed}, text)
    return 0


def import_(ctx: Context) -> int:
    """``dunning import KIND FILE``."""
    args = ctx.args
    if args.advices is not None and args.kind != "payments":
        raise UsageError("dunning import: --advices goes with payments")
    options = ImportOptions(
        decimal=args.decimal,
        date_format=args.date_format,
        file_format=args.file_format,
        delimiter=args.delimiter,
        partial=args.partial,
        rejects=args.rejects,
        advices=args.advices,
        as_of=args.as_of,
        defer_suspension=args.defer_suspension,
    )
    report = import_file(ctx.uow_factory, args.kind, args.file, options, ctx.settings.config)
    lines = []
    head = f"{report.kind}: {report.path}: {report.rows} rows"
    if report.problems:
        head += f", {len(report.bad_rows)} refused"
        head += "; the others written" if report.written or options.partial else "; nothing written"
    lines.append(f"{terminal_safe(head)}\n")
    if report.written or not report.problems:
        lines.append(
            f"  {report.new} new, {report.updated} updated, {report.unchanged} unchanged\n"
        )
    if report.problems:
        table = to_text_table(
            ("line", "column", "value", "reason"),
            [(p.line, p.column, p.value, p.reason) for p in report.problems],
            right=("line",),
            max_width=160,
        )
        lines.append("".join(f"  {line}\n" for line in table.splitlines()))
    if report.rejects:
        lines.append(f"  rejected rows written to {report.rejects}\n")
    lines.extend(f"  note: {terminal_safe(note)}\n" for note in report.notes)
    ctx.emit(report.as_json(), "".join(lines))
    return 2 if report.problems and not options.partial else 0


# -- run, dispatch ----------------------------------------------------------------------


def _count(ctx: Context, shard: Shard | None) -> int:
    with ctx.uow_factory() as uow:
        if shard is None:
            return uow.accounts.count()
        total, after = 0, None
        while True:
            ids = uow.accounts.iter_ids(after=after, limit=10_000, shard=shard)
            total += len(ids)
            if len(ids) < 10_000:
                return total
            after = ids[-1]


def _report_data(report: CycleReport) -> dict[str, object]:
    return {
        "run_date": report.run_date,
        "shard": report.shard,
        "dry_run": report.dry_run,
        "already_done": report.already_done,
        "full": report.full,
        "resumed_after": report.resumed_after,
        "accounts": report.accounts,
        "batches": report.batches,
        "actions": dict(report.actions),
        "messages": report.messages,
        "suspended": list(report.suspended),
        "reactivated": list(report.reactivated),
        "credit_alerts": report.credit_alerts,
        "errors": _errors_json(report.errors),
    }


def _report_text(report: CycleReport) -> str:
    if report.already_done:
        return f"run {report.run_date} (shard {report.shard}) already done; nothing to do\n"
    actions = ", ".join(f"{k} {v}" for k, v in report.actions.items()) or "none"
    text = (
        f"run {report.run_date} (shard {report.shard}){' dry run' if report.dry_run else ''}: "
        f"{report.accounts} accounts in {report.batches} batches\n"
        f"  actions: {actions}\n"
        f"  messages: {report.messages} new in the outbox\n"
        f"  suspended: {', '.join(report.suspended) or 'none'}\n"
        f"  reactivated: {', '.join(report.reactivated) or 'none'}\n"
        f"  credit alerts: {report.credit_alerts}\n"
    )
    if report.resumed_after:
        text += f"  resumed after account {report.resumed_after}\n"
    return text + _errors_text(report.errors)


def _sent_text(sent: DispatchReport) -> str:
    text = f"{sent.sent} sent"
    if sent.deferred:
        text += f", {sent.deferred} deferred"
    if sent.retried or sent.dead:
        text += f", {sent.retried} to retry, {sent.dead} dead"
    return text


def _sent_data(sent: DispatchReport | None) -> dict[str, int] | None:
    if sent is None:
        return None
    return {
        "sent": sent.sent,
        "deferred": sent.deferred,
        "retried": sent.retried,
        "dead": sent.dead,
    }


def _report_line(report: CycleReport, sent: DispatchReport | None) -> str:
    if report.already_done:
        return f"{report.run_date}: already done\n"
    actions = ", ".join(f"{k} {v}" for k, v in report.actions.items()) or "no action"
    line = f"{report.run_date}: {report.accounts} accounts, {actions}, {report.messages} messages"
    if report.suspended:
        line += f", suspended {', '.join(report.suspended)}"
    if report.reactivated:
        line += f", reactivated {', '.join(report.reactivated)}"
    if sent is not None:
        line += f", {_sent_text(sent)}"
    return line + "\n" + _errors_text(report.errors)


def _days(ctx: Context) -> list[date | datetime]:
    first: date | datetime = ctx.args.as_of
    until: date | None = ctx.args.until
    if until is None:
        return [first]
    if isinstance(first, datetime):
        raise UsageError("dunning run: --until goes with a day --as-of (YYYY-MM-DD)")
    if until < first:
        raise UsageError(f"dunning run: --until {until} is before --as-of {first}")
    return [first + timedelta(days=n) for n in range((until - first).days + 1)]


def run(ctx: Context) -> int:
    """``dunning run --as-of DATE [--until DATE]``."""
    args = ctx.args
    config = ctx.settings.config
    days = _days(ctx)
    total = 0 if args.progress == "none" else _count(ctx, args.shard) * len(days)
    progress = Progress.start(args.progress, total, ctx.err)
    notifier, clock = None, DispatchClock(datetime.now(UTC))
    if args.dispatch:
        notifier, _ = build_notifier(
            ctx.settings.notifiers,
            ctx.settings.routing,
            io.StringIO(),
            uow_factory=ctx.uow_factory,
            clock=clock,
        )
    reports: list[tuple[CycleReport, DispatchReport | None]] = []
    per_day = total // len(days)
    try:
        for day in days:
            seen = [0]

            def advance(accounts: int, seen: list[int] = seen) -> None:
                seen[0] += accounts
                progress.advance(accounts)

            report = run_cycle(
                ctx.uow_factory,
                config,
                day,
                shard=args.shard,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                full=args.full,
                progress=advance,
            )
            if per_day > seen[0]:  # the accounts with nothing due that day count as done
                progress.advance(per_day - seen[0])
            sent = None
            if notifier is not None and not args.dry_run:
                clock.at = datetime.combine(report.run_date, args.dispatch, tzinfo=UTC)
                sent = dispatch(ctx.uow_factory, notifier, clock.at)
            reports.append((report, sent))
    finally:
        progress.close()
    if len(reports) == 1:
        report, sent = reports[0]
        data = _report_data(report)
        text = _report_text(report)
        if sent is not None:
            data["dispatch"] = _sent_data(sent)
            text += f"  dispatched: {_sent_text(sent)}\n"
        ctx.emit(data, text)
    else:
        ctx.emit(
            [dict(_report_data(r), dispatch=_sent_data(s)) for r, s in reports],
            "".join(_report_line(r, s) for r, s in reports),
        )
    return 1 if any(report.errors for report, _ in reports) else 0


def dispatch_outbox(ctx: Context) -> int:
    """``dunning dispatch``."""
    at = ctx.args.at or datetime.now(UTC)
    stream = io.StringIO() if ctx.as_json else ctx.out
    notifier, printer = build_notifier(
        ctx.settings.notifiers,
        ctx.settings.routing,
        stream,
        uow_factory=ctx.uow_factory,
        clock=DispatchClock(at),
        bodies=ctx.args.bodies,
    )
    report = dispatch(ctx.uow_factory, notifier, at)
    data = {
        "at": at,
        "claimed": report.claimed,
        "sent": report.sent,
        "retried": report.retried,
        "dead": report.dead,
        "deferred": report.deferred,
        "dead_letters": [list(pair) for pair in report.dead_letters],
        "printed": [
            {
                "key": m.key,
                "account_id": m.account_id,
                "channel": m.channel,
                "recipient": m.recipient,
                "subject": m.subject,
            }
            for m in printer.sent
        ],
    }
    text = (
        f"dispatched at {at.isoformat(timespec='seconds')}: {report.sent} sent, "
        f"{report.deferred} deferred (quiet hours), {report.retried} to retry, "
        f"{report.dead} dead\n"
    )
    text += "".join(f"  dead: {key}: {reason}\n" for key, reason in report.dead_letters)
    ctx.emit(data, text)
    return 0


# -- payments ---------------------------------------------------------------------------


def _allocation_lines(allocations: Any) -> list[str]:
    return [
        f"  {a.kind.value.lower()} {a.amount} to {a.invoice_number} (from {a.source_id})\n"
        for a in allocations
    ]


def pay(ctx: Context, payment: Payment, advice: RemittanceAdvice | None) -> int:
    """``dunning pay``."""
    outcome = record_payment(ctx.store.unit_of_work(), payment, advice, config=ctx.settings.config)
    stored = outcome.payment
    allocations = () if outcome.allocation is None else outcome.allocation.allocations
    event = None if outcome.event is None else type(outcome.event).__name__
    data = {
        "payment": stored.id,
        "account_id": stored.account_id,
        "status": str(stored.status),
        "repeated": outcome.repeated,
        "in_suspense": outcome.in_suspense,
        "allocations": [
            {"invoice": a.invoice_number, "amount": a.amount, "kind": str(a.kind)}
            for a in allocations
        ],
        "suspended": None if outcome.decision is None else outcome.decision.suspended,
        "event": event,
    }
    if outcome.repeated:
        text = f"payment {stored.id} already recorded; nothing changed\n"
    elif outcome.in_suspense:
        candidates = ", ".join(c.account_id for c in outcome.candidates) or "none"
        text = f"payment {stored.id} is in suspense (candidate accounts: {candidates})\n"
    else:
        text = f"payment {stored.id} of {stored.amount} recorded for {stored.account_id}\n"
        text += "".join(_allocation_lines(allocations))
        if outcome.decision is not None:
            text += f"  service {'suspended' if outcome.decision.suspended else 'active'}"
            text += f" ({event})\n" if event else "\n"
    ctx.emit(data, terminal_safe(text).replace("\\n", "\n"))
    return 0


def reverse(ctx: Context) -> int:
    """``dunning reverse PAYMENT``."""
    at = ctx.args.on or date.today()
    outcome = reverse_payment(
        ctx.store.unit_of_work(),
        ctx.args.payment_id,
        ctx.args.status,
        config=ctx.settings.config,
        as_of=at,
    )
    event = None if outcome.event is None else type(outcome.event).__name__
    data = {
        "payment": outcome.payment.id,
        "status": str(outcome.payment.status),
        "repeated": outcome.repeated,
        "removed": [
            {"invoice": a.invoice_number, "amount": a.amount, "kind": str(a.kind)}
            for a in outcome.removed
        ],
        "suspended": None if outcome.decision is None else outcome.decision.suspended,
        "event": event,
    }
    if outcome.repeated:
        text = f"payment {outcome.payment.id} is already {outcome.payment.status}\n"
    else:
        text = f"payment {outcome.payment.id} reversed ({outcome.payment.status})\n"
        text += "".join(f"  removed {a.amount} from {a.invoice_number}\n" for a in outcome.removed)
        if event:
            text += f"  {event}\n"
    ctx.emit(data, text)
    return 0


# -- reading ----------------------------------------------------------------------------

_TABLE_COLUMNS = (
    "account_id",
    "customer",
    "invoice",
    "status",
    "stage",
    "days_overdue",
    "currency",
    "outstanding",
    "option",
    "next_action",
    "next_action_on",
    "suspended",
)


def cases(ctx: Context) -> int:
    """``dunning cases``."""
    args = ctx.args
    where = CaseFilter(
        stage=args.stage,
        status=args.status,
        min_days=args.min_days,
        currency=args.currency,
        option=args.option,
    )
    errors: list[AccountError] = []
    rows = case_list(
        ctx.uow_factory,
        ctx.settings.config,
        _as_of(ctx),
        by_invoice=args.by == "invoice",
        where=where,
        errors=errors,
    )
    kind = "json" if ctx.as_json else args.format
    if kind == "csv":
        text = to_csv(CASE_COLUMNS, [row.cells() for row in rows])
    elif kind == "json":
        text = to_json(CASE_COLUMNS, [row.cells() for row in rows]) + "\n"
    else:
        columns = [c for c in _TABLE_COLUMNS if c != "invoice" or args.by == "invoice"]
        index = {c: CASE_COLUMNS.index(c) for c in columns}
        text = to_text_table(
            columns,
            [[row.cells()[index[c]] for c in columns] for row in rows],
            right=("days_overdue", "outstanding"),
        )
        text += f"{len(rows)} cases\n"
    if args.output is not None:
        newline = "" if kind == "csv" else None
        with args.output.open("w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
        ctx.err.write(f"wrote {len(rows)} cases to {args.output}\n")
    else:
        ctx.out.write(text)
    if errors:
        ctx.err.write(_errors_text(errors))
    return 0


def statement(ctx: Context) -> int:
    """``dunning statement ACCOUNT``."""
    view = account_view(ctx.uow_factory, ctx.args.account, _as_of(ctx), messages=False)
    st = view.statement
    items = [
        (
            item.invoice.number,
            item.invoice.issued_on,
            item.invoice.due_on,
            item.invoice.amount.amount,
            item.settled.amount,
            item.open_amount.amount,
            item.days_past_due,
            str(item.status),
        )
        for item in st.items
    ]
    columns = ("invoice", "issued_on", "due_on", "amount", "settled", "open", "days", "status")
    data = {
        "account_id": st.account.id,
        "customer": st.account.name,
        "as_of": st.as_of,
        "currency": st.currency,
        "items": [dict(zip(columns, row, strict=True)) for row in items],
        "balance": st.balance.amount,
        "overdue": st.overdue_balance.amount,
        "charges": [
            {"key": c.key, "kind": str(c.kind), "amount": c.amount.amount, "booked_on": c.booked_on}
            for c in st.charges
        ],
        "total_due": st.total_due.amount,
        "unapplied": st.unapplied.amount,
        "pending": st.pending.amount,
        "aging": {str(bucket): amount.amount for bucket, amount in st.aging_buckets},
    }
    who = f"{terminal_safe(st.account.name)} ({terminal_safe(st.account.id)})"
    text = f"{who}, {st.as_of}, {st.currency}\n"
    text += to_text_table(columns, items, right=("amount", "settled", "open", "days"), max_width=40)
    text += f"balance {st.balance}, overdue {st.overdue_balance}"
    text += f", charges {st.charges_total}, total due {st.total_due}\n"
    if st.unapplied:
        text += f"unapplied credit {st.unapplied}\n"
    if st.pending:
        text += f"payments in flight {st.pending}\n"
    text += "aging: " + ", ".join(f"{b} {a.amount}" for b, a in st.aging_buckets) + "\n"
    ctx.emit(data, text)
    return 0


def aging(ctx: Context) -> int:
    """``dunning aging``."""
    errors: list[AccountError] = []
    totals = aging_by_currency(account_views(ctx.uow_factory, _as_of(ctx), errors=errors))
    buckets = ("current", "1-30", "31-60", "61-90", "over 90")
    rows: list[list[Cell]] = [
        [currency, *(per[b].amount for b in buckets), Money.sum(per.values(), currency).amount]
        for currency, per in totals.items()
    ]
    data = {
        "as_of": _as_of(ctx),
        "aging": {c: {b: per[b].amount for b in buckets} for c, per in totals.items()},
        "errors": _errors_json(errors),
    }
    text = to_text_table(("currency", *buckets, "total"), rows, right=(*buckets, "total"))
    ctx.emit(data, text)
    if errors and not ctx.as_json:
        ctx.err.write(_errors_text(errors))
    return 0


def explain(ctx: Context) -> int:
    """``dunning explain ACCOUNT``."""
    explanation = explain_account(
        ctx.uow_factory, ctx.settings.config, ctx.args.account, _as_of(ctx)
    )
    ctx.emit(attrs.asdict(explanation), terminal_safe(explanation.text()).replace("\\n", "\n"))
    return 0


def sms(ctx: Context) -> int:
    """``dunning sms TEXT``."""
    text = ctx.args.text
    counted = count_segments(text)
    parts = split_segments(text)
    cost = None
    if ctx.args.price is not None:
        price = Money(parse_decimal(ctx.args.price, "--price"), ctx.args.currency.upper())
        cost = price * counted.segments
    data = {
        "encoding": counted.encoding,
        "segments": counted.segments,
        "units": counted.units,
        "per_segment": counted.capacity,
        "remaining": counted.remaining,
        "parts": list(parts),
        "cost": cost,
    }
    out = (
        f"{counted.encoding}: {counted.segments} segment(s), {counted.units} units, "
        f"{counted.capacity} per segment, {counted.remaining} left\n"
    )
    out += "".join(f"part {n}: {terminal_safe(part)}\n" for n, part in enumerate(parts, 1))
    out += f"cost: {cost} ({counted.segments} x {ctx.args.price})\n" if cost else ""
    ctx.emit(data, out)
    return 0


def report(ctx: Context) -> int:
    """``dunning report --html FILE``."""
    as_of = _as_of(ctx)
    config = ctx.settings.config
    errors: list[AccountError] = []
    views = list(account_views(ctx.uow_factory, as_of, messages=True, errors=errors))
    rows: list[CaseRow] = []
    for view in views:
        rows.extend(case_rows(config, view, as_of))
    day = as_of if not isinstance(as_of, datetime) else as_of.astimezone(UTC).date()
    suspended = [
        SuspendedAccount(
            account_id=view.account.id,
            customer=view.account.name,
            since=view.suspension.since if view.suspension else None,
            reasons=", ".join(view.suspension.reason_codes) if view.suspension else "",
            outstanding=view.statement.total_due,
        )
        for view in views
        if view.suspended
    ]
    page = PortfolioReport(
        as_of=day,
        aging=aging_by_currency(views),
        cases=rows,
        activity=activity(views, day, days=ctx.args.days),
        suspended=suspended,
        accounts=len(views) + len(errors),
        errors=[f"{e.account_id}: {e.message}" for e in errors],
    )
    ctx.args.html.write_text(render_html(page), encoding="utf-8")
    data = {
        "file": str(ctx.args.html),
        "accounts": page.accounts,
        "cases": len(rows),
        "suspended": len(suspended),
        "errors": _errors_json(errors),
    }
    ctx.emit(
        data,
        f"wrote {ctx.args.html}: {page.accounts} accounts, {len(rows)} cases, "
        f"{len(suspended)} suspended\n",
    )
    return 0
