"""From bank entries to payments: :func:`import_statement`.

Each credit becomes a payment, recorded once whatever the number of times its statement
(or an overlapping one) is imported, identified by the strongest evidence first:

1. the re-presentation of a returned direct debit we scheduled (its end-to-end id);
2. an RF creditor reference (structured, or typed into the text) naming one invoice;
3. the invoice numbers in the remittance text, as whole tokens, all of one account;
4. the payer's IBAN, when the caller knows whose it is;

else it waits in suspense for a person (the existing workflow). A debit that returns a
direct debit or a card payment reverses the original payment (found by its end-to-end
id); a returned direct debit then follows the retry policy: a re-presentation as an
outbox message of kind ``DIRECT_DEBIT_RETRY`` with the ladder on hold for the reopened
invoices until it settles, or direct debit stopped for the account (an outbox message
of kind ``DIRECT_DEBIT_STOP``). Anything else is reported, not guessed.

The whole file is read before anything is written, so a file that turns out truncated
or hostile writes nothing; each entry is then recorded in its own transaction, keyed so
that a rerun after a crash writes nothing twice.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from dunning_core.domain.bank import BankEntry, BankFileProblem, BankTransactionKind
from dunning_core.domain.dates import AsOf, as_instant
from dunning_core.domain.payment import Payment, PaymentMethod, PaymentStatus
from dunning_core.domain.references import (
    find_creditor_references,
    invoice_reference_key,
    normalize_iban,
    reference_body,
)
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.errors import DunningError
from dunning_core.policies.allocation import MatchEvidence
from dunning_core.policies.direct_debit import (
    DirectDebitRetryPolicy,
    RetryDecision,
)
from dunning_core.ports import UnitOfWork, UowFactory
from dunning_core.service._direct_debit import (
    DIRECT_DEBIT_RETRY,
    DIRECT_DEBIT_STOP,
    follow_up_return,
    followed_up,
    lift_hold,
    representment_id,
    retry_key,
)
from dunning_core.service.payments import _identify, record_payment, reverse_payment
from dunning_core.service.settings import CycleConfig

__all__ = [
    "DIRECT_DEBIT_RETRY",
    "DIRECT_DEBIT_STOP",
    "EntryOutcome",
    "EntryStatus",
    "ImportReport",
    "MatchedBy",
    "import_statement",
    "representment_id",
]

logger = logging.getLogger("dunning_core")


class EntryStatus(enum.StrEnum):
    """What became of one bank entry."""

    RECORDED = "RECORDED"  #: a new payment, identified and allocated
    UNIDENTIFIED = "UNIDENTIFIED"  #: a new payment waiting in suspense
    RETURNED = "RETURNED"  #: the original payment was reversed
    ALREADY_IMPORTED = "ALREADY_IMPORTED"  #: seen in an earlier import: nothing changed
    REPORTED = "REPORTED"  #: not for the ledger (a supplier payment, a fee); left alone
    REJECTED = "REJECTED"  #: could not be applied (see the detail); nothing written


class MatchedBy(enum.StrEnum):
    """How a credit was identified to its account."""

    COLLECTION = "COLLECTION"  #: a payment on file under its id (a pending collection)
    RE_PRESENTATION = "RE_PRESENTATION"  #: a re-presentation we scheduled
    CREDITOR_REFERENCE = "CREDITOR_REFERENCE"  #: an RF reference naming one invoice
    INVOICE_NUMBER = "INVOICE_NUMBER"  #: invoice numbers in the text, of one account
    PAYER_IBAN = "PAYER_IBAN"  #: the payer's IBAN is known for one account


@attrs.frozen(kw_only=True)
class EntryOutcome:
    """One entry of an import and what became of it.

    Attributes:
        entry: The bank entry.
        status: What happened.
        payment_id: The payment recorded or reversed, if any.
        account_id: The account it was identified to, if any.
        matched_by: How a credit was identified, if it was.
        invoice_numbers: The invoices the RF reference or the text named.
        retry: For a returned direct debit, the retry decision.
        detail: A sentence for a person.
    """

    entry: BankEntry
    status: EntryStatus
    payment_id: str | None = None
    account_id: str | None = None
    matched_by: MatchedBy | None = None
    invoice_numbers: tuple[str, ...] = ()
    retry: RetryDecision | None = None
    detail: str = ""


@attrs.frozen(kw_only=True)
class ImportReport:
    """What one import did, entry by entry, and the lines that could not be read.

    Attributes:
        outcomes: One per entry, in file order.
        problems: The file's problems (unreadable entries, control sums) and the
            entries rejected while applying them.
    """

    outcomes: tuple[EntryOutcome, ...] = ()
    problems: tuple[BankFileProblem, ...] = ()

    def with_status(self, status: EntryStatus) -> tuple[EntryOutcome, ...]:
        """The outcomes with this status."""
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def recorded(self) -> tuple[EntryOutcome, ...]:
        """New payments identified to an account."""
        return self.with_status(EntryStatus.RECORDED)

    @property
    def unidentified(self) -> tuple[EntryOutcome, ...]:
        """New payments left in suspense."""
        return self.with_status(EntryStatus.UNIDENTIFIED)

    @property
    def returns(self) -> tuple[EntryOutcome, ...]:
        """Returned direct debits and card payments reversed."""
        return self.with_status(EntryStatus.RETURNED)

    @property
    def rejected(self) -> tuple[EntryOutcome, ...]:
        """Entries that could not be applied."""
        return self.with_status(EntryStatus.REJECTED)

    @property
    def matched_by(self) -> dict[MatchedBy, int]:
        """How many recorded payments each kind of evidence identified."""
        counts = Counter(o.matched_by for o in self.recorded if o.matched_by is not None)
        return dict(sorted(counts.items()))

    @property
    def changed_nothing(self) -> bool:
        """True when every entry was already imported, reported or rejected."""
        return not (self.recorded or self.unidentified or self.returns)


def import_statement(
    uow_factory: UowFactory,
    entries: Iterable[BankEntry],
    as_of: AsOf,
    *,
    config: CycleConfig | None = None,
    payer_ibans: Mapping[str, str] | None = None,
    retry_policy: DirectDebitRetryPolicy | None = None,
    hold_business_days: int = 5,
) -> ImportReport:
    """Record the credits of a bank file as payments, reverse the returns, report the rest.

    Args:
        uow_factory: Returns a fresh unit of work (``store.unit_of_work``).
        entries: The entries: a :class:`~dunning_core.adapters.bank.BankFileContents`, a
            :class:`~dunning_core.adapters.bank.BankFileStream` (read whole first, its
            problems land in the report) or any iterable of entries.
        as_of: When the import runs (a date, or an aware datetime); suspension is
            re-decided then.
        config: Allocation and suspension policies; the defaults if ``None``.
        payer_ibans: IBAN -> account id, the payers the caller knows (from mandates or
            customer records); each IBAN is checked and put in electronic form.
        retry_policy: When returned direct debits are re-presented; the defaults
            (``AM04`` once, 5 business days later, never on the 1st-3rd) if ``None``.
        hold_business_days: Business days after the re-presentation day the ladder stays
            on hold for the reopened invoices (how long a return can take to arrive).

    Returns:
        An :class:`ImportReport`.

    Raises:
        InvalidAsOf: ``as_of`` is a naive datetime.
        InvalidIban: a key of ``payer_ibans`` is not a valid IBAN.
        BankFileError: the file cannot be read at all (raised before anything is
            written).
    """
    at = as_instant(as_of)  # refuses a naive datetime before anything is read or written
    config = CycleConfig() if config is None else config
    policy = DirectDebitRetryPolicy() if retry_policy is None else retry_policy
    directory = {
        normalize_iban(iban, f"payer_ibans[{iban!r}]"): account_id
        for iban, account_id in (payer_ibans or {}).items()
    }
    read = list(entries)  # a truncated or hostile file raises here, before any write
    problems = list(getattr(entries, "problems", ()))
    importer = _Importer(uow_factory, as_of, at, config, directory, policy)
    importer.hold_days = hold_business_days
    outcomes = []
    for entry in read:
        try:
            outcome = importer.apply(entry)
        except DunningError as error:
            outcome = EntryOutcome(entry=entry, status=EntryStatus.REJECTED, detail=str(error))
        if outcome.status is EntryStatus.REJECTED:
            source, _, line = entry.source.rpartition(":")
            problems.append(
                BankFileProblem(
                    source=source or entry.source,
                    line=int(line) if line.isdigit() else None,
                    field="entry",
                    value=entry.reference,
                    problem=outcome.detail,
                    reference=entry.reference,
                )
            )
        outcomes.append(outcome)
    report = ImportReport(outcomes=tuple(outcomes), problems=tuple(problems))
    logger.info(
        "bank import: %d recorded, %d unidentified, %d returns, %d rejected, %d problems",
        len(report.recorded),
        len(report.unidentified),
        len(report.returns),
        len(report.rejected),
        len(report.problems),
    )
    return report


class _Importer:
    def __init__(
        self,
        uow_factory: UowFactory,
        as_of: AsOf,
        at: datetime,
        config: CycleConfig,
        payer_ibans: dict[str, str],
        policy: DirectDebitRetryPolicy,
    ) -> None:
        self.uow_factory = uow_factory
        self.as_of = as_of
        self.at = at
        self.config = config
        self.payer_ibans = payer_ibans
        self.policy = policy
        self.hold_days = 5
        self._reference_index: dict[str, list[str]] | None = None

    def apply(self, entry: BankEntry) -> EntryOutcome:
        if entry.is_return:
            return self._return(entry)
        if not entry.is_credit:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.REPORTED,
                detail="a debit that returns no payment we received: not for the ledger",
            )
        if entry.reversal:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.REPORTED,
                detail="the bank reverses one of its own debits: not a customer payment",
            )
        return self._credit(entry)

    # -- credits ---------------------------------------------------------------------

    def _credit(self, entry: BankEntry) -> EntryOutcome:
        payment_id = entry.payment_id
        with self.uow_factory() as uow:
            existing = uow.ledger.get_payment(payment_id)
            scheduled = uow.outbox.get(retry_key(payment_id))
        payment = Payment(
            id=payment_id,
            account_id=None,
            amount=entry.amount,
            received_on=entry.value_on or entry.booked_on,
            method=_method(entry.kind),
            bank_reference=_reference_text(entry),
            payer_name=entry.counterparty_name,
        )
        if existing is not None:
            if existing.status is not PaymentStatus.PENDING:
                return EntryOutcome(
                    entry=entry,
                    status=EntryStatus.ALREADY_IMPORTED,
                    payment_id=payment_id,
                    account_id=existing.account_id,
                    detail=f"payment {payment_id} is already on file ({existing.status})",
                )
            # A collection recorded PENDING by the collection system: the bank clears it.
            cleared = attrs.evolve(payment, account_id=existing.account_id)
            outcome = record_payment(
                self.uow_factory(), cleared, config=self.config, as_of=self.as_of
            )
            return self._recorded(entry, outcome.payment, MatchedBy.COLLECTION, ())
        account_id: str | None = None
        matched_by: MatchedBy | None = None
        numbers: tuple[str, ...] = ()
        advice: RemittanceAdvice | None = None
        if scheduled is not None:
            account_id, matched_by = scheduled.account_id, MatchedBy.RE_PRESENTATION
            lift_hold(self.uow_factory, scheduled.account_id, payment_id, payment.received_on)
        if account_id is None:
            found = self._by_creditor_reference(entry)
            if found is not None:
                account_id, invoice_number = found
                matched_by, numbers = MatchedBy.CREDITOR_REFERENCE, (invoice_number,)
                advice = RemittanceAdvice(
                    payment_id=payment_id,
                    lines=[RemittanceLine(invoice_number=invoice_number, amount_paid=entry.amount)],
                )
        if account_id is None:
            with self.uow_factory() as uow:
                match, candidates = _identify(uow, payment, self.as_of)
            if match is not None:
                account_id, matched_by = match.account_id, MatchedBy.INVOICE_NUMBER
                numbers = tuple(
                    sorted(
                        c.invoice_number
                        for c in candidates
                        if c.account_id == account_id
                        and MatchEvidence.NUMBER_IN_REFERENCE in c.evidence
                    )
                )
        if account_id is None and entry.counterparty_iban is not None:
            known = self.payer_ibans.get(entry.counterparty_iban)
            if known is not None:
                account_id, matched_by = known, MatchedBy.PAYER_IBAN
        payment = attrs.evolve(payment, account_id=account_id)
        outcome = record_payment(
            self.uow_factory(), payment, advice, config=self.config, as_of=self.as_of
        )
        if outcome.repeated:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.ALREADY_IMPORTED,
                payment_id=payment_id,
                account_id=outcome.payment.account_id,
                detail=f"payment {payment_id} is already on file",
            )
        if outcome.payment.account_id is None:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.UNIDENTIFIED,
                payment_id=payment_id,
                detail="no reference, invoice number or known IBAN identifies the payer: "
                "it waits in suspense",
            )
        return self._recorded(entry, outcome.payment, matched_by, numbers)

    def _recorded(
        self,
        entry: BankEntry,
        payment: Payment,
        matched_by: MatchedBy | None,
        numbers: tuple[str, ...],
    ) -> EntryOutcome:
        return EntryOutcome(
            entry=entry,
            status=EntryStatus.RECORDED,
            payment_id=payment.id,
            account_id=payment.account_id,
            matched_by=matched_by,
            invoice_numbers=numbers,
            detail=f"payment {payment.id} recorded for account {payment.account_id}",
        )

    def _by_creditor_reference(self, entry: BankEntry) -> tuple[str, str] | None:
        """``(account id, invoice number)`` when an RF reference names exactly one
        invoice."""
        references = [entry.rf_reference] if entry.rf_reference else []
        references += find_creditor_references(entry.remittance_text)
        for reference in references:
            if reference is None:
                continue
            key = reference_body(reference)
            with self.uow_factory() as uow:
                invoices = uow.ledger.get_invoices([key])
                if not invoices:
                    numbers = self._index(uow).get(key, [])
                    invoices = uow.ledger.get_invoices(numbers) if len(numbers) == 1 else {}
            if len(invoices) == 1:
                invoice = next(iter(invoices.values()))
                return invoice.account_id, invoice.number
        return None

    def _index(self, uow: UnitOfWork) -> dict[str, list[str]]:
        """Invoice numbers by their RF key, built once per import, and only when an RF
        reference is not an invoice number as it stands (numbers with separators)."""
        if self._reference_index is None:
            index: dict[str, list[str]] = {}
            after: str | None = None
            while True:
                page = uow.accounts.iter_ids(after=after, limit=500)
                if not page:
                    break
                for ledger in uow.ledger.load(page).values():
                    for invoice in ledger.invoices:
                        index.setdefault(invoice_reference_key(invoice.number), []).append(
                            invoice.number
                        )
                after = page[-1]
            self._reference_index = index
        return self._reference_index

    # -- returns ---------------------------------------------------------------------

    def _return(self, entry: BankEntry) -> EntryOutcome:
        original = entry.original_end_to_end_id
        if original is None:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.REJECTED,
                detail=f"a return ({entry.return_reason}) without the original end-to-end id: "
                "a person must find the payment",
            )
        with self.uow_factory() as uow:
            payment = uow.ledger.get_payment(original)
        if payment is None:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.REJECTED,
                detail=f"returns end-to-end id {original}, which no payment on file has",
            )
        if payment.amount != entry.amount:
            return EntryOutcome(
                entry=entry,
                status=EntryStatus.REJECTED,
                payment_id=original,
                account_id=payment.account_id,
                detail=f"returns {entry.amount} of payment {original} of {payment.amount}: "
                "a partial return is left to a person",
            )
        card = entry.kind is BankTransactionKind.CARD or payment.method is PaymentMethod.CARD
        status = PaymentStatus.CHARGED_BACK if card else PaymentStatus.FAILED
        reversal = reverse_payment(
            self.uow_factory(), original, status, config=self.config, as_of=self.as_of
        )
        decision: RetryDecision | None = None
        detail = f"payment {original} reversed ({status}, reason {entry.return_reason or '-'})"
        follow_up = not reversal.repeated or not followed_up(self.uow_factory, payment)
        if follow_up and not card and payment.account_id is not None and entry.return_reason:
            invoices = tuple(sorted({a.invoice_number for a in reversal.removed}))
            decision = follow_up_return(
                self.uow_factory,
                self.policy,
                entry,
                payment,
                invoices,
                as_of=self.as_of,
                at=self.at,
                hold_days=self.hold_days,
            )
            detail += f"; {decision.reason}"
        return EntryOutcome(
            entry=entry,
            status=EntryStatus.ALREADY_IMPORTED if reversal.repeated else EntryStatus.RETURNED,
            payment_id=original,
            account_id=payment.account_id,
            invoice_numbers=tuple(sorted({a.invoice_number for a in reversal.removed})),
            retry=decision,
            detail=detail,
        )


def _method(kind: BankTransactionKind) -> PaymentMethod:
    if kind is BankTransactionKind.DIRECT_DEBIT:
        return PaymentMethod.DIRECT_DEBIT
    if kind is BankTransactionKind.CARD:
        return PaymentMethod.CARD
    if kind is BankTransactionKind.TRANSFER:
        return PaymentMethod.TRANSFER
    return PaymentMethod.OTHER


def _reference_text(entry: BankEntry) -> str:
    """What the payment keeps as its bank reference: the text, and the structured
    reference when there is one (a person reading the suspense list sees both)."""
    parts = [entry.remittance_text]
    if entry.creditor_reference and entry.creditor_reference not in entry.remittance_text:
        parts.append(entry.creditor_reference)
    return " ".join(part for part in parts if part)
