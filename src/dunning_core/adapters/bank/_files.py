"""What the readers return: a single-pass stream of entries, or the whole file read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

import attrs

from dunning_core.domain.bank import BankEntry, BankFileProblem, StatementTotals
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = ["BankFileContents", "BankFileStream", "Item", "Source", "source_name"]

#: A path, or a binary file object opened by the caller (left open).
Source = str | os.PathLike[str] | IO[bytes]
#: What a reader's generator yields.
Item = BankEntry | BankFileProblem | StatementTotals


def source_name(source: Source) -> str:
    """The name problems and errors carry: the path, or the file object's name."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


@attrs.frozen(kw_only=True)
class BankFileContents:
    """A bank file read whole.

    Attributes:
        source: The file's name.
        entries: The entries read, in file order (a batch as one entry per transaction).
        problems: What could not be read or does not add up, in file order.
        statements: The statements (or notifications) of the file, with their totals.
    """

    source: str
    entries: tuple[BankEntry, ...] = ()
    problems: tuple[BankFileProblem, ...] = ()
    statements: tuple[StatementTotals, ...] = ()

    def __iter__(self) -> Iterator[BankEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class BankFileStream:
    """A bank file read as it is iterated, in constant memory: each entry is built,
    handed over and forgotten.

    Iterate it once; ``problems`` and ``statements`` grow as the file is read and are
    complete when the iteration ends. A file that cannot be read at all raises a
    :class:`~dunning_core.errors.BankFileError` subclass from the iteration (a hostile
    file before the first entry, a truncated one where it ends).

    Attributes:
        source: The file's name.
        problems: The problems found so far.
        statements: The statements finished so far.
    """

    def __init__(self, source: str, items: Callable[[], Iterator[Item]]) -> None:
        self.source = source
        self.problems: list[BankFileProblem] = []
        self.statements: list[StatementTotals] = []
        self._items: Callable[[], Iterator[Item]] | None = items

    def __iter__(self) -> Iterator[BankEntry]:
        if self._items is None:
            raise RuntimeError(f"{self.source}: a BankFileStream can be iterated only once")
        items, self._items = self._items, None
        for item in items():
            if isinstance(item, BankEntry):
                yield item
            elif isinstance(item, BankFileProblem):
                self.problems.append(item)
            else:
                self.statements.append(item)

    def read_all(self) -> BankFileContents:
        """Read the rest of the file into a :class:`BankFileContents`."""
        entries = tuple(self)
        return BankFileContents(
            source=self.source,
            entries=entries,
            problems=tuple(self.problems),
            statements=tuple(self.statements),
        )


class EntryRejected(Exception):
    """Raised inside a reader for an entry it cannot use; becomes a BankFileProblem."""

    def __init__(self, field: str, value: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.value = value
        self.problem = problem


def problem_of(
    error: Exception, source: str, line: int | None, reference: str | None
) -> BankFileProblem:
    """The problem to report for an entry a reader rejected."""
    if isinstance(error, EntryRejected):
        field, value, problem = error.field, error.value, error.problem
    elif isinstance(error, InvalidField):
        field, value, problem = error.field, _text(error.value), error.problem
    else:
        field, value, problem = "entry", "", str(error)
    return BankFileProblem(
        source=source, line=line, field=field, value=value, problem=problem, reference=reference
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def check_totals(
    totals: StatementTotals,
    *,
    declared_count: int | None,
    declared_credits: tuple[int | None, Decimal | None],
    declared_debits: tuple[int | None, Decimal | None],
    declared_sum: Decimal | None,
    credit_count: int,
    debit_count: int,
    unreadable: int,
    line: int | None,
    booked_only: bool,
) -> list[BankFileProblem]:
    """Compare a statement's own control figures with what was read.

    ``entries`` counts statement entries (a batch once); the sums are over every entry
    read. When some entries could not be read the sums cannot agree, and the problem
    says so instead of reporting a second, misleading mismatch.
    """
    problems: list[BankFileProblem] = []

    def report(field: str, value: object, problem: str) -> None:
        problems.append(
            BankFileProblem(
                source=totals.source,
                line=line,
                field=field,
                value=str(value),
                problem=problem,
            )
        )

    read = credit_count + debit_count + unreadable
    if declared_count is not None and declared_count != read:
        report(
            "TxsSummry/TtlNtries/NbOfNtries",
            declared_count,
            f"statement {totals.id!r} declares {declared_count} entries, the file has {read}",
        )
    if unreadable:
        if any(x is not None for x in (*declared_credits, *declared_debits, declared_sum)):
            report(
                "TxsSummry",
                "",
                f"statement {totals.id!r}: control sums not checked, "
                f"{unreadable} entries could not be read",
            )
        return problems
    credits = totals.credits.amount if totals.credits is not None else Decimal(0)
    debits = totals.debits.amount if totals.debits is not None else Decimal(0)
    for side, (count, total), got_count, got_total in (
        ("TtlCdtNtries", declared_credits, credit_count, credits),
        ("TtlDbtNtries", declared_debits, debit_count, debits),
    ):
        if count is not None and count != got_count:
            report(
                f"TxsSummry/{side}/NbOfNtries",
                count,
                f"statement {totals.id!r} declares {count}, the file has {got_count}",
            )
        if total is not None and total != got_total:
            report(
                f"TxsSummry/{side}/Sum",
                total,
                f"statement {totals.id!r} declares {total}, the entries add up to {got_total}",
            )
    if declared_sum is not None and declared_sum != credits + debits:
        report(
            "TxsSummry/TtlNtries/Sum",
            declared_sum,
            f"statement {totals.id!r} declares {declared_sum}, "
            f"the entries add up to {credits + debits}",
        )
    opening, closing = totals.opening_balance, totals.closing_balance
    if booked_only and opening is not None and closing is not None:
        expected = opening.amount + credits - debits
        if expected != closing.amount:
            report(
                "Bal/CLBD",
                closing.amount,
                f"statement {totals.id!r}: opening {opening.amount} + credits {credits} "
                f"- debits {debits} = {expected}, not the closing balance",
            )
    return problems


def add(total: Money | None, amount: Money) -> Money:
    """``total + amount``, starting from nothing."""
    return amount if total is None else total + amount
