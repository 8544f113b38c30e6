"""Unidentified payments: whole-token invoice numbers in bank references, ranking with
reasons, proof of payment as evidence, and the list of payments waiting too long."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import (
    Invoice,
    ItemStatus,
    Money,
    OpenItem,
    Payment,
    PaymentStatus,
    ProofKind,
    ProofOfPayment,
)
from dunning_core.errors import InvalidAsOf, InvalidField, InvalidTimezone
from dunning_core.policies.allocation import (
    MatchEvidence,
    find_invoice_numbers,
    match_payment,
    unidentified_payments,
)


def item(number: str, account: str, amount: str, due: date, open_amount: str | None = None):
    invoice = Invoice(
        number=number,
        account_id=account,
        issued_on=date(2026, 1, 1),
        due_on=due,
        amount=Money(amount, "EUR"),
    )
    remaining = invoice.amount if open_amount is None else Money(open_amount, "EUR")
    return OpenItem(
        invoice=invoice,
        open_amount=remaining,
        settled=invoice.amount - remaining,
        days_past_due=0,
        status=ItemStatus.OPEN if remaining else ItemStatus.PAID,
    )


CANDIDATES = (
    item("INV-12", "A-1", "100.00", date(2026, 3, 1)),
    item("INV-123", "A-2", "250.00", date(2026, 2, 1)),
    item("INV-7", "A-3", "250.00", date(2026, 1, 15)),
    item("INV-8", "A-4", "250.00", date(2026, 2, 20)),
)


def unidentified(amount: str, reference: str = "", id: str = "B-1", **kw: object) -> Payment:
    return Payment(
        id=id,
        account_id=None,
        amount=Money(amount, "EUR"),
        received_on=date(2026, 4, 1),
        bank_reference=reference,
        **kw,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INV-123", ("INV-123",)),  # INV-12 must not match INV-123
        ("XINV-12", ()),
        ("Facture INV-12.", ("INV-12",)),
        ("inv-12 inv-123", ("INV-12", "INV-123")),
        ("INV-12/INV-123", ("INV-12", "INV-123")),
        ("(INV-12)", ("INV-12",)),
        ("INV-12A", ()),
        ("INV-1234", ()),
        ("", ()),
    ],
)
def test_invoice_numbers_match_whole_tokens_only(text: str, expected: tuple[str, ...]) -> None:
    assert find_invoice_numbers(text, ["INV-12", "INV-123"]) == expected


def test_the_longest_of_overlapping_numbers_wins() -> None:
    assert find_invoice_numbers("paid INV-12-A", ["INV-12", "INV-12-A"]) == ("INV-12-A",)
    assert find_invoice_numbers("paid INV-12-B", ["INV-12", "INV-12-A"]) == ("INV-12",)


@given(
    st.from_regex(r"[A-Z]{1,3}-[0-9]{1,4}", fullmatch=True),
    st.text(alphabet="ABC0123456789", min_size=1, max_size=3),
    st.sampled_from([" ", "/", ",", ";", ". ", ""]),
)
def test_a_number_is_never_found_inside_a_longer_token(number: str, tail: str, sep: str) -> None:
    text = f"REF {number}{tail}{sep}"
    assert find_invoice_numbers(text, [number]) == ()
    assert find_invoice_numbers(f"REF {number}{sep}", [number]) == (number,)


def test_number_in_the_reference_ranks_first_and_says_why() -> None:
    matches = match_payment(unidentified("250.00", "VIR SEPA FACT INV-12"), CANDIDATES)
    assert [m.invoice_number for m in matches] == ["INV-12", "INV-7", "INV-123", "INV-8"]
    best = matches[0]
    assert best.rank == 1
    assert best.account_id == "A-1"
    assert best.evidence == (MatchEvidence.NUMBER_IN_REFERENCE,)
    assert "INV-12 appears in the bank reference" in best.reason
    # Then the exact amounts, oldest due date first.
    assert all(m.evidence == (MatchEvidence.EXACT_AMOUNT,) for m in matches[1:])


def test_no_evidence_leaves_the_payment_in_suspense() -> None:
    assert match_payment(unidentified("99.99", "VIREMENT"), CANDIDATES) == ()


def test_a_complete_proof_outranks_an_incomplete_one_and_an_amount() -> None:
    complete = ProofOfPayment(
        kind=ProofKind.TRANSFER,
        payer_name="ACME",
        payer_account="FR76 1234",
        payee_name="Us",
        payee_account="FR76 9876",
        amount=Money("250.00", "EUR"),
        paid_on=date(2026, 3, 31),
        invoice_numbers=("INV-8",),
    )
    matches = match_payment(unidentified("250.00"), CANDIDATES, proof=complete)
    assert matches[0].invoice_number == "INV-8"
    assert matches[0].evidence == (
        MatchEvidence.NUMBER_ON_PROOF,
        MatchEvidence.COMPLETE_PROOF,
        MatchEvidence.EXACT_AMOUNT,
    )
    assert "(the proof is complete)" in matches[0].reason
    incomplete = ProofOfPayment(
        kind=ProofKind.CHECK, payer_name="ACME", invoice_numbers=("INV-12",)
    )
    matches = match_payment(unidentified("250.00"), CANDIDATES, proof=incomplete)
    assert matches[0].invoice_number == "INV-12"  # named on a proof beats an amount
    assert "lacks: payee_name, paid_on, amount, check_number, tracking_number" in matches[0].reason
    assert MatchEvidence.COMPLETE_PROOF not in matches[0].evidence


def test_a_proof_for_another_amount_is_weak_evidence() -> None:
    proof = ProofOfPayment(
        kind=ProofKind.TRANSFER,
        payer_name="ACME",
        payer_account="1",
        payee_name="Us",
        payee_account="2",
        amount=Money("10.00", "EUR"),
        paid_on=date(2026, 3, 31),
        invoice_numbers=("INV-12",),
    )
    (match,) = match_payment(unidentified("99.00"), CANDIDATES, proof=proof)
    assert MatchEvidence.COMPLETE_PROOF not in match.evidence
    assert "the proof shows 10.00 EUR, the payment 99.00 EUR" in match.reason


def test_a_reference_to_a_paid_invoice_still_points_to_the_account() -> None:
    paid = item("INV-99", "A-9", "40.00", date(2026, 1, 1), open_amount="0.00")
    (match,) = match_payment(unidentified("40.00", "INV-99 again"), (paid,))
    assert match.account_id == "A-9"
    assert "already paid" in match.reason


def test_limit_keeps_the_best() -> None:
    matches = match_payment(unidentified("250.00"), CANDIDATES, limit=1)
    assert [m.invoice_number for m in matches] == ["INV-7"]
    with pytest.raises(InvalidField):
        match_payment(unidentified("250.00"), CANDIDATES, limit=0)


def test_unidentified_payments_waiting_more_than_seven_days() -> None:
    received = date(2026, 4, 1)
    waiting = [
        Payment(id="B-8", account_id=None, amount=Money("1", "EUR"), received_on=date(2026, 3, 31)),
        Payment(id="B-7", account_id=None, amount=Money("1", "EUR"), received_on=received),
        Payment(id="B-9", account_id=None, amount=Money("1", "EUR"), received_on=date(2026, 3, 30)),
        Payment(id="OK", account_id="A-1", amount=Money("1", "EUR"), received_on=date(2026, 3, 1)),
        Payment(
            id="GONE",
            account_id=None,
            amount=Money("1", "EUR"),
            received_on=date(2026, 3, 1),
            status=PaymentStatus.FAILED,
        ),
    ]
    as_of = date(2026, 4, 8)  # B-7 waited exactly 7 days: not yet listed
    listed = unidentified_payments(waiting, as_of)
    assert [(e.payment.id, e.days_unidentified) for e in listed] == [("B-9", 9), ("B-8", 8)]
    assert [e.payment.id for e in unidentified_payments(waiting, as_of, older_than_days=0)] == [
        "B-9",
        "B-8",
        "B-7",
    ]
    # 23:30 UTC on 7 April is already 8 April in Nouméa.
    late = datetime(2026, 4, 7, 23, 30, tzinfo=UTC)
    assert len(unidentified_payments(waiting, late)) == 1
    assert len(unidentified_payments(waiting, late, timezone="Pacific/Noumea")) == 2


def test_unidentified_payments_rejects_bad_input() -> None:
    with pytest.raises(InvalidAsOf):
        unidentified_payments([], datetime(2026, 4, 8, 12, 0))
    with pytest.raises(InvalidField):
        unidentified_payments([], date(2026, 4, 8), older_than_days=-1)
    with pytest.raises(InvalidTimezone):
        unidentified_payments([], date(2026, 4, 8), timezone="Mars/Olympus")
