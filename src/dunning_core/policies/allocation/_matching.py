"""Unidentified payments: find the invoices a bank transfer is for, and list the
payments that waited in suspense too long."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.payment import Payment, PaymentStatus, ProofOfPayment
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import InvalidField, InvalidTimezone

__all__ = [
    "MAX_WORDS_PER_NUMBER",
    "MatchEvidence",
    "PaymentMatch",
    "SuspenseEntry",
    "find_invoice_numbers",
    "match_payment",
    "reference_candidates",
    "unidentified_payments",
]


class MatchEvidence(enum.StrEnum):
    """Why a candidate invoice may be what a payment is for."""

    #: The invoice number appears, as a whole token, in the bank reference.
    NUMBER_IN_REFERENCE = "NUMBER_IN_REFERENCE"
    #: A proof of payment the customer sent names the invoice.
    NUMBER_ON_PROOF = "NUMBER_ON_PROOF"
    #: That proof shows everything its kind must show, and agrees on the amount.
    COMPLETE_PROOF = "COMPLETE_PROOF"
    #: The payment is exactly the invoice's open amount.
    EXACT_AMOUNT = "EXACT_AMOUNT"


@attrs.frozen(kw_only=True)
class PaymentMatch:
    """One candidate invoice for a payment, with the evidence and the reasons.

    Attributes:
        item: The candidate open item.
        rank: 1 for the best candidate.
        evidence: What points to it.
        reasons: One sentence per piece of evidence (and per caveat).
    """

    item: OpenItem
    rank: int
    evidence: tuple[MatchEvidence, ...]
    reasons: tuple[str, ...]

    @property
    def invoice_number(self) -> str:
        """The candidate invoice's number."""
        return self.item.invoice.number

    @property
    def account_id(self) -> str:
        """The account the payment would be identified to."""
        return self.item.invoice.account_id

    @property
    def reason(self) -> str:
        """The reasons as one sentence."""
        return "; ".join(self.reasons)


#: How many words of a reference token a candidate invoice number may span: a token
#: such as "INV-12/INV-13" names two invoices, so every run of at most this many words
#: of a token is a candidate ("INV", "INV-12", "12/INV", ...). It bounds the look-up
#: for a pathological reference ("1-2-3-...-70") while any real invoice number (a
#: prefix, a year, a sequence, a suffix) fits.
MAX_WORDS_PER_NUMBER = 6


def _words(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every run of letters and digits in ``text``: the boundaries
    an invoice number must start and end on."""
    spans: list[tuple[int, int]] = []
    start = -1
    for position, character in enumerate(text):
        if character.isalnum():
            if start < 0:
                start = position
        elif start >= 0:
            spans.append((start, position))
            start = -1
    if start >= 0:
        spans.append((start, len(text)))
    return spans


def reference_candidates(reference: str) -> frozenset[str]:
    """What in a bank reference may be an invoice number, to look up in a ledger.

    Every run of up to :data:`MAX_WORDS_PER_NUMBER` words (letters and digits) of each
    whitespace-free token, starting and ending on a word boundary, as written and
    upper-cased. :func:`find_invoice_numbers` applies the same boundaries, so a number
    it finds in the reference is always among these candidates.

    >>> sorted(reference_candidates("inv-12/13"))
    ['12', '12/13', '13', 'INV', 'INV-12', 'INV-12/13', 'inv', 'inv-12', 'inv-12/13']
    """
    numbers: set[str] = set()
    for token in reference.split():
        words = _words(token)
        for first, (start, _) in enumerate(words):
            for _, end in words[first : first + MAX_WORDS_PER_NUMBER]:
                numbers.add(token[start:end])
    return frozenset(numbers | {number.upper() for number in numbers})


def find_invoice_numbers(text: str, numbers: Iterable[str]) -> tuple[str, ...]:
    """The invoice numbers among ``numbers`` that appear in ``text`` as whole tokens.

    A number matches where neither the character before nor the one after it is a
    letter or a digit, ignoring case: ``"INV-12"`` is found in ``"Fact. INV-12/INV-13"``
    but not in ``"INV-123"`` or ``"XINV-12"``. Where two numbers match overlapping text
    (``INV-12`` and ``INV-12-A`` in ``"INV-12-A"``), the longer one wins.

    >>> find_invoice_numbers("VIR SEPA inv-12 / INV-123", ["INV-12", "INV-123", "INV-1"])
    ('INV-12', 'INV-123')

    Args:
        text: Free text, typically a bank transfer's reference.
        numbers: The invoice numbers to look for.

    Returns:
        The numbers found, in the order they appear in the text, each once.
    """
    wanted: dict[str, list[str]] = {}
    for number in numbers:
        wanted.setdefault(number.casefold(), []).append(number)
    folded = text.casefold()
    if not wanted or not folded:
        return ()
    size = len(folded)
    lengths = sorted({len(key) for key in wanted}, reverse=True)
    spans: list[tuple[int, int, str]] = []
    for start, _ in _words(folded):
        for length in lengths:  # longest first
            end = start + length
            if end > size or (end < size and folded[end].isalnum()):
                continue
            key = folded[start:end]
            if key in wanted:
                spans.append((start, end, key))
    # Spans come by start, longest first: keep each one that does not overlap the
    # previous pick, so the longest of overlapping matches wins.
    found: list[str] = []
    taken_until = 0
    for start, end, key in spans:
        if start < taken_until:
            continue
        taken_until = end
        for number in wanted[key]:
            if number not in found:
                found.append(number)
    return tuple(found)


def match_payment(
    payment: Payment,
    candidates: Iterable[OpenItem],
    *,
    proof: ProofOfPayment | None = None,
    limit: int | None = None,
) -> tuple[PaymentMatch, ...]:
    """Rank the invoices an unidentified payment may be for, with the reason for each.

    Evidence, strongest first: the invoice number in the bank reference (whole tokens
    only); the invoice named on a proof of payment -- a complete proof that agrees on the
    amount counts more than an incomplete one; the payment equal to the open amount.
    Candidates rank by that evidence, then by due date (oldest first, the order the
    payment would be applied in), then by number. A candidate with no evidence is not
    listed: an empty result means the payment stays in suspense.

    Args:
        payment: The payment, usually with ``account_id=None``.
        candidates: Open items of every account it could belong to (paid items may be
            included: a reference to a paid invoice still identifies the account).
        proof: A proof of payment the customer sent, if any.
        limit: Return at most this many candidates.

    Returns:
        The candidates, best first, ranked from 1.

    Raises:
        InvalidField: ``limit`` is not a positive int.
    """
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InvalidField("limit", limit, "must be a positive int or None")
    items = list(candidates)
    in_reference = set(find_invoice_numbers(payment.bank_reference, (i.number for i in items)))
    proof_numbers: frozenset[str] = frozenset()
    proof_note = ""
    proof_strong = False
    if proof is not None:
        proof_numbers = frozenset(proof.invoice_numbers)
        missing = proof.missing_fields()
        if proof.amount is not None and proof.amount != payment.amount:
            proof_note = f" (but the proof shows {proof.amount}, the payment {payment.amount})"
        elif missing:
            proof_note = f" (the proof lacks: {', '.join(missing)})"
        else:
            proof_strong = True
            proof_note = " (the proof is complete)"
    ranked: list[tuple[tuple[object, ...], OpenItem, list[MatchEvidence], list[str]]] = []
    for item in items:
        number = item.invoice.number
        evidence: list[MatchEvidence] = []
        reasons: list[str] = []
        if number in in_reference:
            evidence.append(MatchEvidence.NUMBER_IN_REFERENCE)
            reasons.append(f"invoice number {number} appears in the bank reference")
        if number in proof_numbers:
            evidence.append(MatchEvidence.NUMBER_ON_PROOF)
            reasons.append(f"the proof of payment names invoice {number}{proof_note}")
            if proof_strong:
                evidence.append(MatchEvidence.COMPLETE_PROOF)
        if item.open_amount == payment.amount:
            evidence.append(MatchEvidence.EXACT_AMOUNT)
            reasons.append(f"the payment equals the open amount of {item.open_amount}")
        if not evidence:
            continue
        if item.open_amount.currency != payment.currency:
            reasons.append(f"but the invoice is in {item.open_amount.currency}")
        elif not item.open_amount:
            reasons.append("but the invoice is already paid")
        if payment.account_id is not None and payment.account_id != item.invoice.account_id:
            reasons.append(f"but it belongs to account {item.invoice.account_id}")
        proof_level = 2
        if MatchEvidence.COMPLETE_PROOF in evidence:
            proof_level = 0
        elif MatchEvidence.NUMBER_ON_PROOF in evidence:
            proof_level = 1
        key = (
            MatchEvidence.NUMBER_IN_REFERENCE not in evidence,
            proof_level,
            MatchEvidence.EXACT_AMOUNT not in evidence,
            item.invoice.due_on,
            number,
        )
        ranked.append((key, item, evidence, reasons))
    ranked.sort(key=lambda entry: entry[0])
    if limit is not None:
        ranked = ranked[:limit]
    return tuple(
        PaymentMatch(item=item, rank=rank, evidence=tuple(evidence), reasons=tuple(reasons))
        for rank, (_, item, evidence, reasons) in enumerate(ranked, start=1)
    )


@attrs.frozen(kw_only=True)
class SuspenseEntry:
    """A payment still unidentified, and for how long.

    Attributes:
        payment: The payment.
        days_unidentified: Whole days since its value date.
    """

    payment: Payment
    days_unidentified: int


def unidentified_payments(
    payments: Iterable[Payment],
    as_of: AsOf,
    *,
    older_than_days: int = 7,
    timezone: str = "UTC",
) -> tuple[SuspenseEntry, ...]:
    """The cleared payments still unidentified more than ``older_than_days`` after their
    value date, oldest first, so a person can chase them.

    "If you still do not see your payment after seven days, we may not have been able
    to identify it": hence 7 days by default.

    Args:
        payments: Payments of any status; only CLEARED ones without an account count.
        as_of: The day of the check (a date, or an aware datetime read in ``timezone``).
        older_than_days: Listed when strictly more days than this have passed.
        timezone: IANA key of the collection team's calendar, for a datetime ``as_of``.

    Returns:
        One entry per payment, oldest value date first (then by id).

    Raises:
        InvalidField: ``older_than_days`` is not an int >= 0.
        InvalidTimezone: ``timezone`` is unknown.
        InvalidAsOf: ``as_of`` is a naive datetime.
    """
    if (
        not isinstance(older_than_days, int)
        or isinstance(older_than_days, bool)
        or older_than_days < 0
    ):
        raise InvalidField("older_than_days", older_than_days, "must be an int >= 0")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a tz folder
        raise InvalidTimezone("timezone", timezone, "unknown IANA timezone") from None
    today: date = local_date(as_of, zone)
    entries = []
    for payment in payments:
        if payment.account_id is not None or payment.status is not PaymentStatus.CLEARED:
            continue
        days = (today - payment.received_on).days
        if days > older_than_days:
            entries.append(SuspenseEntry(payment=payment, days_unidentified=days))
    entries.sort(key=lambda e: (e.payment.received_on, e.payment.id))
    return tuple(entries)
