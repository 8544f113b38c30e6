"""What a bank statement says happened on an account: entries, problems, totals.

A :class:`BankEntry` is one movement of money as the bank reported it (a credit from a
customer, a direct debit collected, a returned direct debit), with everything cash
application needs: dates, the exact amount, the counterparty, the end-to-end id, the
remittance information and, for a return, the original end-to-end id and the ISO
reason code. A batch booking (one entry on the statement for many transactions) is
read as one :class:`BankEntry` per transaction, each naming the batch.

Readers (:mod:`dunning_core.adapters.bank`) build these from untrusted files; what they
cannot read becomes a :class:`BankFileProblem` with its position, like a beancount
error, so one bad entry does not hide the next.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs

from dunning_core.domain._checks import (
    a_date,
    field_name,
    non_empty_text,
    optional_date,
    optional_text,
    plain_text,
    positive_money,
    to_enum,
)
from dunning_core.domain.references import is_creditor_reference, normalize_iban
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "BankEntry",
    "BankFileProblem",
    "BankTransactionKind",
    "CreditDebit",
    "StatementTotals",
]


class CreditDebit(enum.StrEnum):
    """The direction of an entry, seen from the statement's account."""

    CREDIT = "CRDT"  #: money in
    DEBIT = "DBIT"  #: money out


class BankTransactionKind(enum.StrEnum):
    """What kind of payment an entry is, from its bank transaction code."""

    TRANSFER = "TRANSFER"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    CARD = "CARD"
    OTHER = "OTHER"


def _direction(value: object) -> CreditDebit:
    return to_enum(CreditDebit, "BankEntry.direction", value)


def _kind(value: object) -> BankTransactionKind:
    return to_enum(BankTransactionKind, "BankEntry.kind", value)


def _optional_iban(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        checked = normalize_iban(value, field_name(instance, attribute))
        if checked != value:
            raise InvalidField(
                field_name(instance, attribute), value, f"write it in electronic form: {checked}"
            )


def _reason_code(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (
        isinstance(value, str) and len(value) == 4 and value.isalnum() and value.isupper()
    ):
        raise InvalidField(
            field_name(instance, attribute), value, "an ISO 20022 reason code is 4 letters/digits"
        )


@attrs.frozen(kw_only=True)
class BankEntry:
    """One movement of money on a bank statement (one transaction of a batch).

    Args:
        reference: The bank's own reference for the entry (``AcctSvcrRef``, MT940's
            bank reference), unique on the account: what makes an import idempotent.
            A transaction of a batch booking is ``"<entry reference>/<n>"`` unless the
            bank gave it its own.
        account_iban: The IBAN of the statement's account (ours), if the file says.
        booked_on: Booking date.
        value_on: Value date, if given.
        amount: The amount, positive; ``direction`` says which way it went.
        direction: CREDIT (money in) or DEBIT (money out).
        kind: Transfer, direct debit, card payment or other, from the bank's code.
        bank_code: The bank transaction code as written (``"PMNT/RCDT/ESCT"``, a
            proprietary code, MT940's ``NTRF``).
        counterparty_name: The payer of a credit, the payee of a debit.
        counterparty_iban: Their IBAN, checked (electronic form).
        end_to_end_id: The end-to-end id (``None`` for ``NOTPROVIDED``).
        mandate_id: The direct-debit mandate, if any.
        remittance_text: The unstructured remittance information, lines joined by
            a space.
        creditor_reference: The structured creditor reference (an RF reference or a
            national one), as written without spaces.
        original_end_to_end_id: For a returned direct debit or card payment: the
            end-to-end id of the payment it returns.
        return_reason: For a return: the ISO reason code (``AM04``, ``MD01``...).
        reversal: True when the bank flags the entry as reversing an earlier one.
        batch_reference: The reference of the batch entry this transaction is part of.
        source: Where it was read (``"statement.xml:120"``), for a person to look it up.

    Raises:
        InvalidAmount: ``amount`` is not a positive Money.
        InvalidIban: ``counterparty_iban`` or ``account_iban`` is not a valid IBAN.
        InvalidField: an identifier is empty, a date is not a date, a reason code is not
            four upper-case letters or digits.
    """

    reference: str = attrs.field(validator=non_empty_text)
    account_iban: str | None = attrs.field(default=None, validator=_optional_iban)
    booked_on: date = attrs.field(validator=a_date)
    value_on: date | None = attrs.field(default=None, validator=optional_date)
    amount: Money = attrs.field(validator=positive_money)
    direction: CreditDebit = attrs.field(converter=_direction)
    kind: BankTransactionKind = attrs.field(default=BankTransactionKind.OTHER, converter=_kind)
    bank_code: str = attrs.field(default="", validator=plain_text)
    counterparty_name: str = attrs.field(default="", validator=plain_text)
    counterparty_iban: str | None = attrs.field(default=None, validator=_optional_iban)
    end_to_end_id: str | None = attrs.field(default=None, validator=optional_text)
    mandate_id: str | None = attrs.field(default=None, validator=optional_text)
    remittance_text: str = attrs.field(default="", validator=plain_text)
    creditor_reference: str | None = attrs.field(default=None, validator=optional_text)
    original_end_to_end_id: str | None = attrs.field(default=None, validator=optional_text)
    return_reason: str | None = attrs.field(default=None, validator=_reason_code)
    reversal: bool = False
    batch_reference: str | None = attrs.field(default=None, validator=optional_text)
    source: str = attrs.field(default="", validator=plain_text)

    @property
    def is_credit(self) -> bool:
        """True for money in."""
        return self.direction is CreditDebit.CREDIT

    @property
    def is_return(self) -> bool:
        """True for a debit that gives back a payment received earlier: a returned
        direct debit or a charged-back card payment (it names a reason or the original
        end-to-end id)."""
        return not self.is_credit and (
            self.return_reason is not None or self.original_end_to_end_id is not None
        )

    @property
    def rf_reference(self) -> str | None:
        """The structured creditor reference when it is a valid RF reference."""
        ref = self.creditor_reference
        return ref if ref is not None and is_creditor_reference(ref) else None

    @property
    def payment_id(self) -> str:
        """The id of the :class:`~dunning_core.domain.payment.Payment` this entry
        records.

        A direct debit or card payment collected by us is keyed by its end-to-end id,
        which our collection system chose: the statement then clears the PENDING payment
        the collection system recorded under that id, and a later return finds it.
        Anything else (a transfer, whose end-to-end id is the payer's) is keyed by the
        bank's entry reference.
        """
        if (
            self.is_credit
            and self.kind in (BankTransactionKind.DIRECT_DEBIT, BankTransactionKind.CARD)
            and self.end_to_end_id is not None
        ):
            return self.end_to_end_id
        return self.reference


@attrs.frozen(kw_only=True)
class BankFileProblem:
    """Something in a bank file that could not be read or does not add up.

    Args:
        source: The file's name.
        line: The line it starts on, when known.
        field: What was being read (``"Ntry/Amt"``, ``":61:"``, ``"TxsSummry/Sum"``).
        value: The offending text, as written.
        problem: What is wrong with it.
        reference: The bank's entry reference, when it could be read.
    """

    source: str = attrs.field(validator=plain_text)
    line: int | None = None
    field: str = attrs.field(validator=plain_text)
    value: str = attrs.field(default="", validator=plain_text)
    problem: str = attrs.field(validator=non_empty_text)
    reference: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.field}={self.value!r}: {self.problem}"


@attrs.frozen(kw_only=True)
class StatementTotals:
    """One statement (or notification) of a file, with its own control figures.

    Args:
        id: The statement's id (``Stmt/Id``, MT940 ``:20:``).
        account_iban: The account it is for, if an IBAN.
        account: The account as written (IBAN or another identifier).
        currency: The account's currency.
        entries: How many entries (transactions for a batch) were read.
        credits: The sum of credits read.
        debits: The sum of debits read.
        opening_balance: Signed opening balance, when given.
        closing_balance: Signed closing balance, when given.
        source: The file's name.
    """

    id: str = attrs.field(validator=plain_text)
    account_iban: str | None = attrs.field(default=None, validator=optional_text)
    account: str = attrs.field(default="", validator=plain_text)
    currency: str | None = None
    entries: int = 0
    credits: Money | None = None
    debits: Money | None = None
    opening_balance: Money | None = None
    closing_balance: Money | None = None
    source: str = attrs.field(default="", validator=plain_text)
