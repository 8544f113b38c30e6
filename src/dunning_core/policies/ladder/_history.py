"""What already happened: the stage records a store keeps between runs.

Each time a ladder fires (or, catching up, skips) a stage for some invoices, the
action turns into :class:`StageRecord` values (:meth:`DunningAction.to_records`). The
service layer stores them as they are (every field is a ``str``, ``date``, ``bool`` or
``tuple[str, ...]``) and, on the next run, rebuilds the account's
:class:`DunningHistory` with :meth:`DunningHistory.from_records`.

>>> from datetime import date
>>> record = StageRecord(account_id="A-1", ladder="standard", stage="first_notice",
...                      invoice_numbers=("F-2", "F-1"), fired_on=date(2026, 3, 2),
...                      skipped=False, action_key="3f2a...")
>>> record.invoice_numbers
('F-1', 'F-2')
>>> history = DunningHistory.from_records([record, record])
>>> len(history), history.account_id
(1, 'A-1')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import attrs

from dunning_core.domain._checks import a_bool, a_date, non_empty_text
from dunning_core.errors import AccountMismatch, InvalidField

__all__ = ["DECLARE_CLAIM_PREFIX", "DunningHistory", "StageRecord"]

#: Stage key prefix of the records a declared claim leaves: ``declare-claim/<id>``.
DECLARE_CLAIM_PREFIX = "declare-claim/"


def _invoice_numbers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    numbers = tuple(sorted(set(value)))
    for number in numbers:
        if not isinstance(number, str) or not number.strip():
            raise InvalidField("StageRecord.invoice_numbers", value, "must be non-empty strings")
    if not numbers:
        raise InvalidField("StageRecord.invoice_numbers", value, "at least one invoice number")
    return numbers


@attrs.frozen(kw_only=True)
class StageRecord:
    """One stage of one ladder that fired (or was skipped) for some invoices of an account.

    A flat value, so that any store can keep it in one row.

    Attributes:
        account_id: The account.
        ladder: The ladder's name.
        stage: The stage key (or ``"declare-claim/<proceeding id>"`` for a claim
            declared during an insolvency proceeding).
        invoice_numbers: The invoices concerned, sorted and unique.
        fired_on: The account-local day the stage fired (or was skipped).
        skipped: True when a LATEST_ONLY catch-up passed over the stage: it never fires
            for these invoices, and no notice went out for it.
        action_key: The idempotency key of the action that produced the record. One
            action can produce several records (one per stage it covers, and the
            stages it skipped); ``(action_key, stage)`` identifies a record.
    """

    account_id: str = attrs.field(validator=non_empty_text)
    ladder: str = attrs.field(validator=non_empty_text)
    stage: str = attrs.field(validator=non_empty_text)
    invoice_numbers: tuple[str, ...] = attrs.field(converter=_invoice_numbers)
    fired_on: date = attrs.field(validator=a_date)
    skipped: bool = attrs.field(validator=a_bool)
    action_key: str = attrs.field(validator=non_empty_text)


@attrs.frozen(eq=False)
class DunningHistory:
    """The stage records of one account, indexed by invoice.

    Build it with :meth:`from_records` (or :meth:`empty`); ``evaluate_ladder`` reads it
    and never changes it. Feed the records of each run back with :meth:`with_records`.

    Attributes:
        account_id: The account, or ``None`` for an empty history of no account yet.
        records: The records, duplicates removed, in the order given.
    """

    account_id: str | None
    records: tuple[StageRecord, ...]
    _by_invoice: dict[str, list[StageRecord]] = attrs.field(init=False, factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        index = self._by_invoice
        for record in self.records:
            for number in record.invoice_numbers:
                entries = index.get(number)
                if entries is None:
                    index[number] = [record]
                else:
                    entries.append(record)

    @classmethod
    def from_records(
        cls, records: Iterable[StageRecord], *, account_id: str | None = None
    ) -> DunningHistory:
        """Build the history of one account from its stored records.

        Args:
            records: The account's records, in any order; exact duplicates count once.
            account_id: The account, when known (it names an empty history).

        Returns:
            The history.

        Raises:
            AccountMismatch: the records belong to more than one account (or to another
                account than ``account_id``).
            InvalidField: an item is not a :class:`StageRecord`.
        """
        unique = tuple(dict.fromkeys(records))
        expected = account_id
        for record in unique:
            if not isinstance(record, StageRecord):
                raise InvalidField("DunningHistory.records", record, "must be StageRecord")
            if expected is None:
                expected = record.account_id
            elif record.account_id != expected:
                raise AccountMismatch("StageRecord.account_id", expected, record.account_id)
        return cls(expected, unique)

    @classmethod
    def empty(cls, account_id: str | None = None) -> DunningHistory:
        """A history with no record (an account never dunned)."""
        return cls(account_id, ())

    @classmethod
    def by_account(cls, records: Iterable[StageRecord]) -> dict[str, DunningHistory]:
        """Split the records of many accounts into one history per account."""
        grouped: dict[str, list[StageRecord]] = {}
        for record in records:
            grouped.setdefault(record.account_id, []).append(record)
        return {key: cls.from_records(group) for key, group in grouped.items()}

    def with_records(self, records: Iterable[StageRecord]) -> DunningHistory:
        """A new history with ``records`` added (what a store holds after a run).

        Raises:
            AccountMismatch: a record belongs to another account.
        """
        return DunningHistory.from_records((*self.records, *records), account_id=self.account_id)

    def for_invoice(self, invoice_number: str) -> tuple[StageRecord, ...]:
        """The records that concern ``invoice_number``, in the order given."""
        return tuple(self._by_invoice.get(invoice_number, ()))

    def fired(self, invoice_number: str, ladder: str) -> tuple[str, ...]:
        """Stage keys of ``ladder`` that fired (not skipped) for ``invoice_number``."""
        return tuple(
            r.stage
            for r in self._by_invoice.get(invoice_number, ())
            if r.ladder == ladder and not r.skipped
        )

    def __iter__(self) -> Iterator[StageRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)
