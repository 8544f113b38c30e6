"""``dunning import``: validate every row of a file, then write all of it or nothing.

The steps, for every kind:

1. read the file (:mod:`._read`) and check its columns against the kind's;
2. validate each row into its domain object (:mod:`._rows`), collecting every problem;
3. check the rows against each other (a key twice with other values) and against the
   store (an invoice of an unknown account, in another currency than its account, a
   payment id on file with another amount);
4. if any row is bad: write nothing (or, with ``partial``, write the good rows and put
   the bad ones in a reject file);
5. write through the services' batch forms, one unit of work per file: accounts by
   :func:`~dunning_core.service.accounts.record_accounts`, invoices by
   :func:`~dunning_core.service.invoices.record_invoices` and credit notes by
   :func:`~dunning_core.service.invoices.record_credit_notes` (in the order they were
   issued), payments by :func:`~dunning_core.service.payments.record_payments` (in the
   file's order), advices by :func:`~dunning_core.service.payments.record_advices`.
   Each record goes through the rules (events, a credit note applied, a payment
   identified and allocated, suspension re-decided); what the store already holds
   unchanged is a no-op, so importing the same file twice changes nothing. The checks
   of step 3 are the ones the services would refuse on, so a file that passed them is
   written whole; should a service refuse anyway, its unit of work writes nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from dunning_core import (
    Account,
    CreditNote,
    DunningError,
    Invoice,
    Money,
    Payment,
    PaymentStatus,
    RemittanceAdvice,
)
from dunning_core.cli._read import RowProblem, SourceRow, SourceTable, preview, read_table
from dunning_core.cli._rows import KINDS, AdviceRow, RecordKind, build_row
from dunning_core.domain.dates import AsOf
from dunning_core.domain.events import AccountChanged, AccountSuspended, Event, InvoiceRecorded
from dunning_core.errors import InvalidInputFile
from dunning_core.ports import UnitOfWork, UowFactory
from dunning_core.service.accounts import record_accounts
from dunning_core.service.invoices import record_credit_notes, record_invoices
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.payments import record_advices, record_payments
from dunning_core.service.settings import CycleConfig

__all__ = ["ImportOptions", "ImportReport", "import_file"]


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How to read and write one file.

    Attributes:
        decimal: ``"point"`` or ``"comma"``: the decimal mark of text amounts.
        date_format: A ``strptime`` pattern, or ``None`` for ISO 8601 dates.
        file_format: ``"csv"``, ``"jsonl"`` or ``None`` (guessed).
        delimiter: The CSV delimiter, or ``None`` (sniffed from the header).
        partial: Write the good rows and reject the bad ones.
        rejects: Where the bad rows go with ``partial``; next to the file by default.
        advices: For payments: a file of remittance advices to record them with.
        as_of: When the records are recorded (their events, and the suspension
            decisions taken then): by default now for accounts, and each document's
            own date for the others (issue date, value date), as the services do.
        defer_suspension: Leave suspension to the next cycle run (a first load of a
            ledger in several files); by default each record re-decides it.
    """

    decimal: str = "point"
    date_format: str | None = None
    file_format: str | None = None
    delimiter: str | None = None
    partial: bool = False
    rejects: Path | None = None
    advices: Path | None = None
    as_of: AsOf | None = None
    defer_suspension: bool = False


@attrs.frozen(kw_only=True)
class ImportReport:
    """What an import did.

    Attributes:
        kind: What was imported (``invoices``).
        path: The file.
        rows: Rows read (blank lines not counted).
        bad_rows: The lines of the rows refused.
        problems: Every problem, by line then column.
        written: Whether anything was written (False: the store is as it was).
        new: Records that were not on file.
        updated: Records on file with other values, replaced.
        unchanged: Records already on file as they are.
        rejects: The reject file written, if any.
        notes: What a person may want to know (payments left in suspense, ...).
    """

    kind: str
    path: str
    rows: int
    bad_rows: tuple[int, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    written: bool = False
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: str | None = None
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "kind": self.kind,
            "file": self.path,
            "rows": self.rows,
            "bad_rows": list(self.bad_rows),
            "written": self.written,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejects": self.rejects,
            "notes": list(self.notes),
            "errors": [attrs.asdict(problem) for problem in self.problems],
        }


@attrs.define
class _Batch:
    """The rows of a file as they are validated: objects by line, problems by line."""

    table: SourceTable
    objects: dict[int, Any] = attrs.field(factory=dict)
    problems: dict[int, list[RowProblem]] = attrs.field(factory=dict)

    def refuse(self, row: SourceRow, column: str, value: object, reason: str) -> None:
        self.objects.pop(row.line, None)
        self.problems.setdefault(row.line, []).append(
            RowProblem(row.line, column, preview(value), reason)
        )

    def good(self) -> list[tuple[SourceRow, Any]]:
        rows = self.table.rows
        return [(row, self.objects[row.line]) for row in rows if row.line in self.objects]


def import_file(
    uow_factory: UowFactory,
    kind_name: str,
    path: Path,
    options: ImportOptions,
    config: CycleConfig,
) -> ImportReport:
    """Import one file of ``kind_name`` records (see the module docstring).

    Args:
        uow_factory: Opens units of work on the store.
        kind_name: ``accounts``, ``invoices``, ``credit-notes``, ``payments``, ``advices``.
        path: The file.
        options: How to read and write it.
        config: The policies payments are allocated with.

    Returns:
        The report; ``written`` is False whenever a row was refused and ``partial`` is off.

    Raises:
        InvalidInputFile: the file as a whole cannot be read (see :func:`read_table`), or
            its header lacks a required column or has one the kind does not know.
        StoreError: the store failed.
    """
    kind = KINDS[kind_name]
    batch = _validate(kind, path, options)
    advices: dict[str, RemittanceAdvice] = {}
    if kind.name == "payments" and options.advices is not None:
        advices = _advices_for_payments(options, batch)
    with uow_factory() as uow:
        _CHECKS[kind.name](uow, batch)
    problems = [p for line in sorted(batch.problems) for p in batch.problems[line]]
    report = ImportReport(
        kind=kind.name,
        path=str(path),
        rows=len(batch.table.rows),
        bad_rows=tuple(sorted(batch.problems)),
        problems=tuple(problems),
    )
    if problems and not options.partial:
        return report
    context = _WriteContext(
        config=config,
        as_of=options.as_of,
        now=datetime.now(UTC),
        decide=not options.defer_suspension,
        advices=advices,
    )
    counts, notes = _WRITERS[kind.name](uow_factory, batch.good(), context)
    rejects = None
    if problems:
        rejects = _write_rejects(batch, options.rejects or _default_rejects(path))
    return attrs.evolve(
        report,
        written=any(counts),
        new=counts[0],
        updated=counts[1],
        unchanged=counts[2],
        rejects=None if rejects is None else str(rejects),
        notes=tuple(notes),
    )


# -- validation -------------------------------------------------------------------------


def _validate(kind: RecordKind, path: Path, options: ImportOptions) -> _Batch:
    table = read_table(path, file_format=options.file_format, delimiter=options.delimiter)
    _check_columns(kind, table)
    batch = _Batch(table)
    first_seen: dict[str, tuple[int, Any]] = {}
    for row in table.rows:
        built, problems = build_row(
            kind, row, decimal=options.decimal, date_format=options.date_format
        )
        if problems:
            batch.problems[row.line] = problems
            continue
        batch.objects[row.line] = built
        if kind.name == "advices":
            continue  # several lines per payment; checked per advice
        key = str(row.cells.get(kind.key))
        earlier = first_seen.setdefault(key, (row.line, built))
        if earlier[0] != row.line and earlier[1] != built:
            batch.refuse(row, kind.key, key, f"also on line {earlier[0]} with other values")
    return batch


def _check_columns(kind: RecordKind, table: SourceTable) -> None:
    known = {column.name for column in kind.columns}
    unknown = [column for column in table.columns if column not in known]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        raise InvalidInputFile(
            table.path,
            1 if table.format == "csv" else None,
            f"unknown column {names}; {kind.name} have {', '.join(c.name for c in kind.columns)}",
        )
    if table.format == "csv":
        missing = [c.name for c in kind.columns if c.required and c.name not in table.columns]
        if missing:
            raise InvalidInputFile(
                table.path, 1, f"the header lacks the required column {', '.join(missing)}"
            )


def _accounts_of(uow: UnitOfWork, ids: Sequence[str]) -> dict[str, Account]:
    return uow.accounts.get_many(sorted(set(ids)))


def _check_accounts(uow: UnitOfWork, batch: _Batch) -> None:
    del uow, batch  # accounts stand alone


def _check_billed(uow: UnitOfWork, batch: _Batch, what: str) -> None:
    good = batch.good()
    accounts = _accounts_of(uow, [record.account_id for _, record in good])
    for row, record in good:
        account = accounts.get(record.account_id)
        if account is None:
            batch.refuse(row, "account_id", record.account_id, "no such account: import it first")
        elif record.currency != account.currency:
            batch.refuse(
                row,
                "currency",
                record.currency,
                f"account {account.id} is in {account.currency}; its {what}s must be too",
            )


def _check_invoices(uow: UnitOfWork, batch: _Batch) -> None:
    _check_billed(uow, batch, "invoice")
    good = batch.good()
    on_file = uow.ledger.get_invoices([invoice.number for _, invoice in good])
    for row, invoice in good:
        known = on_file.get(invoice.number)
        if known is not None and known.account_id != invoice.account_id:
            batch.refuse(
                row, "number", invoice.number, f"already on file for account {known.account_id}"
            )


def _check_credit_notes(uow: UnitOfWork, batch: _Batch) -> None:
    _check_billed(uow, batch, "credit note")
    good = batch.good()
    credited = [note.credits_invoice for _, note in good if note.credits_invoice]
    invoices = uow.ledger.get_invoices(credited)
    for row, note in good:
        if note.credits_invoice is None:
            continue
        invoice = invoices.get(note.credits_invoice)
        if invoice is None:
            batch.refuse(row, "credits_invoice", note.credits_invoice, "no such invoice on file")
        elif invoice.account_id != note.account_id:
            batch.refuse(
                row,
                "credits_invoice",
                note.credits_invoice,
                f"belongs to account {invoice.account_id}, not {note.account_id}",
            )


def _check_payments(uow: UnitOfWork, batch: _Batch) -> None:
    good = batch.good()
    accounts = _accounts_of(uow, [p.account_id for _, p in good if p.account_id])
    for row, payment in good:
        if payment.account_id is not None and payment.account_id not in accounts:
            batch.refuse(row, "account_id", payment.account_id, "no such account: import it first")
            continue
        known = uow.ledger.get_payment(payment.id)
        if known is None:
            continue
        if known.amount != payment.amount:
            batch.refuse(row, "amount", str(payment.amount), f"payment on file with {known.amount}")
        elif known.account_id and payment.account_id and known.account_id != payment.account_id:
            batch.refuse(
                row, "account_id", payment.account_id, f"payment on file for {known.account_id}"
            )


def _check_advices(uow: UnitOfWork, batch: _Batch) -> None:
    for payment_id, (rows, advice) in _group_advices(batch).items():
        if advice is None:
            continue
        payment = uow.ledger.get_payment(payment_id)
        if payment is None:
            for row in rows:
                batch.refuse(
                    row,
                    "payment_id",
                    payment_id,
                    "no such payment: record it first, or import the payments with --advices",
                )
            continue
        try:
            advice.check_payment(payment)
        except DunningError as error:
            for row in rows:
                batch.refuse(row, "currency", advice.currency, str(error))


def _group_advices(
    batch: _Batch,
) -> dict[str, tuple[list[SourceRow], RemittanceAdvice | None]]:
    """Lines of one payment -> one advice; a line that breaks the advice is refused."""
    grouped: dict[str, list[tuple[SourceRow, AdviceRow]]] = {}
    for row, line in batch.good():
        grouped.setdefault(line.payment_id, []).append((row, line))
    advices: dict[str, tuple[list[SourceRow], RemittanceAdvice | None]] = {}
    for payment_id, lines in grouped.items():
        accepted: list[tuple[SourceRow, AdviceRow]] = []
        for row, line in lines:
            try:
                RemittanceAdvice(
                    payment_id=payment_id, lines=[a.line for _, a in accepted] + [line.line]
                )
            except DunningError as error:
                batch.refuse(row, "invoice_number", line.line.invoice_number, str(error))
                continue
            accepted.append((row, line))
        references = {line.reference for _, line in accepted if line.reference}
        advice = None
        if accepted:
            advice = RemittanceAdvice(
                payment_id=payment_id,
                lines=[a.line for _, a in accepted],
                reference=min(references) if references else None,
            )
        advices[payment_id] = ([row for row, _ in accepted], advice)
    return advices


def _advices_for_payments(options: ImportOptions, payments: _Batch) -> dict[str, RemittanceAdvice]:
    assert options.advices is not None
    advices_batch = _validate(KINDS["advices"], options.advices, attrs.evolve(options))
    grouped = _group_advices(advices_batch)
    if advices_batch.problems:
        first = min(advices_batch.problems)
        problem = advices_batch.problems[first][0]
        raise InvalidInputFile(
            str(options.advices),
            first,
            f"{problem.column}={problem.value!r}: {problem.reason} "
            "(import the advices file alone to see every problem)",
        )
    by_id = {payment.id: (row, payment) for row, payment in payments.good()}
    result: dict[str, RemittanceAdvice] = {}
    for payment_id, (_, advice) in grouped.items():
        if advice is None:
            continue
        found = by_id.get(payment_id)
        if found is None:
            raise InvalidInputFile(
                str(options.advices), None, f"advice for payment {payment_id!r}, not in the file"
            )
        row, payment = found
        try:
            advice.check_payment(payment)
        except DunningError as error:
            payments.refuse(row, "currency", payment.currency, str(error))
            continue
        result[payment_id] = advice
    return result


_CHECKS: dict[str, Callable[[UnitOfWork, _Batch], None]] = {
    "accounts": _check_accounts,
    "invoices": _check_invoices,
    "credit-notes": _check_credit_notes,
    "payments": _check_payments,
    "advices": _check_advices,
}


# -- writing ----------------------------------------------------------------------------

_Counts = tuple[int, int, int]


@attrs.frozen
class _WriteContext:
    """What the writers record with: the policies, the instant, the payments' advices."""

    config: CycleConfig
    as_of: AsOf | None
    now: datetime
    decide: bool
    advices: dict[str, RemittanceAdvice]


_Writer = Callable[
    [UowFactory, list[tuple[SourceRow, Any]], _WriteContext],
    tuple[_Counts, list[str]],
]


def _unique(good: list[tuple[SourceRow, Any]], key: Callable[[Any], str]) -> list[Any]:
    seen: dict[str, Any] = {}
    for _, record in good:
        seen.setdefault(key(record), record)
    return list(seen.values())


def _change_notes(outcomes: Sequence[AccountOutcome]) -> list[str]:
    """The suspensions and reactivations an import caused."""
    notes = []
    for outcome in outcomes:
        event = outcome.suspension_event
        if event is not None:
            what = "suspended" if isinstance(event, AccountSuspended) else "reactivated"
            notes.append(f"account {outcome.account_id} {what}")
    return notes


def _counts(outcomes: Sequence[AccountOutcome], replaced: Callable[[Event], bool]) -> _Counts:
    new = updated = unchanged = 0
    for outcome in outcomes:
        if outcome.repeated:
            unchanged += 1
        elif replaced(outcome.events[0]):
            updated += 1
        else:
            new += 1
    return new, updated, unchanged


def _write_accounts(
    uow_factory: UowFactory, good: list[tuple[SourceRow, Any]], context: _WriteContext
) -> tuple[_Counts, list[str]]:
    accounts: list[Account] = _unique(good, lambda a: a.id)
    outcomes = record_accounts(
        uow_factory(),
        accounts,
        config=context.config,
        as_of=context.now if context.as_of is None else context.as_of,
        decide_suspension=context.decide,
    )
    counts = _counts(outcomes, lambda e: isinstance(e, AccountChanged) and not e.created)
    return counts, _change_notes(outcomes)


def _write_invoices(
    uow_factory: UowFactory, good: list[tuple[SourceRow, Any]], context: _WriteContext
) -> tuple[_Counts, list[str]]:
    invoices: list[Invoice] = _unique(good, lambda i: i.number)
    invoices.sort(key=lambda i: i.issued_on)  # recorded in the order they were issued
    outcomes = record_invoices(
        uow_factory(),
        invoices,
        config=context.config,
        as_of=context.as_of,
        decide_suspension=context.decide,
    )
    counts = _counts(outcomes, lambda e: isinstance(e, InvoiceRecorded) and e.replaced)
    return counts, _change_notes(outcomes)


def _write_credit_notes(
    uow_factory: UowFactory, good: list[tuple[SourceRow, Any]], context: _WriteContext
) -> tuple[_Counts, list[str]]:
    notes: list[CreditNote] = _unique(good, lambda n: n.number)
    notes.sort(key=lambda n: n.issued_on)
    with uow_factory() as uow:
        ledgers = uow.ledger.load(sorted({n.account_id for n in notes}))
    on_file = {n.number for ledger in ledgers.values() for n in ledger.credit_notes}
    outcomes = record_credit_notes(uow_factory(), notes, config=context.config, as_of=context.as_of)
    new = updated = unchanged = 0
    said = _change_notes(outcomes)
    for note, outcome in zip(notes, outcomes, strict=True):
        if outcome.repeated:
            unchanged += 1
            continue
        if note.number in on_file:
            updated += 1
        else:
            new += 1
        left = note.amount - Money.sum((a.amount for a in outcome.allocations), note.currency)
        if left:
            said.append(f"credit note {note.number}: {left} left as credit on the account")
    return (new, updated, unchanged), said


def _write_payments(
    uow_factory: UowFactory, good: list[tuple[SourceRow, Any]], context: _WriteContext
) -> tuple[_Counts, list[str]]:
    new = unchanged = 0
    notes: list[str] = []
    payments: list[Payment] = _unique(good, lambda p: p.id)
    outcomes = record_payments(
        uow_factory(),
        payments,
        context.advices,
        config=context.config,
        as_of=context.as_of,
        decide_suspension=context.decide,
    )
    for payment, outcome in zip(payments, outcomes, strict=True):
        if outcome.repeated:
            unchanged += 1
            continue
        new += 1
        if outcome.in_suspense:
            named = ", ".join(c.account_id for c in outcome.candidates) or "no account"
            notes.append(f"payment {payment.id} is in suspense (its reference matches {named})")
        elif outcome.payment.status is not PaymentStatus.CLEARED:
            notes.append(f"payment {payment.id} is {outcome.payment.status}: not allocated yet")
        if outcome.event is not None:
            notes.append(
                f"payment {payment.id}: account {outcome.payment.account_id} "
                f"{type(outcome.event).__name__.removeprefix('Account').lower()}"
            )
    return (new, 0, unchanged), notes


def _write_advices(
    uow_factory: UowFactory, good: list[tuple[SourceRow, Any]], context: _WriteContext
) -> tuple[_Counts, list[str]]:
    del context
    grouped: dict[str, list[AdviceRow]] = {}
    for _, advice_row in good:
        grouped.setdefault(advice_row.payment_id, []).append(advice_row)
    advices = []
    for payment_id, lines in grouped.items():
        references = sorted({line.reference for line in lines if line.reference})
        advices.append(
            RemittanceAdvice(
                payment_id=payment_id,
                lines=[line.line for line in lines],
                reference=references[0] if references else None,
            )
        )
    outcomes = record_advices(uow_factory(), advices)
    notes = [
        f"payment {o.payment_id} is already allocated: the advice is kept, "
        "its allocations are unchanged"
        for o in outcomes
        if o.allocated
    ]
    new = sum(1 for o in outcomes if not o.repeated and not o.replaced)
    updated = sum(1 for o in outcomes if o.replaced)
    return (new, updated, len(outcomes) - new - updated), notes


_WRITERS: dict[str, _Writer] = {
    "accounts": _write_accounts,
    "invoices": _write_invoices,
    "credit-notes": _write_credit_notes,
    "payments": _write_payments,
    "advices": _write_advices,
}


# -- rejects ----------------------------------------------------------------------------


def _default_rejects(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects{path.suffix or '.csv'}")


def _write_rejects(batch: _Batch, target: Path) -> Path:
    """The refused rows as the file held them, each with its reasons."""
    table = batch.table
    bad = [row for row in table.rows if row.line in batch.problems]

    def reasons(row: SourceRow) -> str:
        return "; ".join(
            f"line {p.line}" + (f", {p.column}" if p.column else "") + f": {p.reason}"
            for p in batch.problems[row.line]
        )

    if table.format == "csv":
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=table.delimiter)
            writer.writerow([*table.header, "error"])
            for row in bad:
                assert isinstance(row.raw, list)
                writer.writerow([*row.raw, reasons(row)])
        return target
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for row in bad:
            assert isinstance(row.raw, str)
            handle.write(_with_error(row.raw, row.line, reasons(row)) + "\n")
    return target


def _with_error(text: str, line: int, reason: str) -> str:
    """The JSON line with an ``_error`` member added (its numbers kept as written)."""
    error = json.dumps(reason, ensure_ascii=False)
    try:
        document = json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict):
        body = text.rstrip()
        assert body.endswith("}")
        separator = ", " if document else ""
        return f'{body[:-1].rstrip()}{separator}"_error": {error}}}'
    return json.dumps({"_line": line, "_text": text, "_error": reason}, ensure_ascii=False)
