"""One test per discrepancy code, and the unit behaviour around each (hand-worked
amounts on a small ledger)."""

from __future__ import annotations

from datetime import date

import pytest

from dunning_core import (
    AccountFacts,
    AllocationKind,
    CreditNote,
    Dispute,
    Hold,
    Invoice,
    Money,
    OpenItem,
    Payment,
    PaymentStatus,
    Reason,
    RemittanceAdvice,
    RemittanceLine,
)
from dunning_core.domain.statement import ItemStatus
from dunning_core.errors import InvalidField
from dunning_core.policies.allocation import (
    AllocationOrder,
    AllocationPolicy,
    DiscrepancyCode,
    Eligibility,
    Tolerance,
    allocate,
)

Code = DiscrepancyCode


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def item(
    number: str,
    due: date,
    amount: str,
    *,
    account: str = "A-1",
    open_amount: str | None = None,
    currency: str = "EUR",
) -> OpenItem:
    invoice = Invoice(
        number=number,
        account_id=account,
        issued_on=date(2026, 1, 1),
        due_on=due,
        amount=Money(amount, currency),
    )
    remaining = invoice.amount if open_amount is None else Money(open_amount, currency)
    settled = invoice.amount - remaining
    status = (
        ItemStatus.PAID
        if not remaining
        else ItemStatus.PARTIALLY_PAID
        if settled
        else ItemStatus.OPEN
    )
    return OpenItem(
        invoice=invoice, open_amount=remaining, settled=settled, days_past_due=0, status=status
    )


# F-1 100 due Feb, F-2 200 due Mar, F-3 300 due Apr; G-1 is another account's.
LEDGER = (
    item("F-3", date(2026, 4, 1), "300.00"),
    item("F-1", date(2026, 2, 1), "100.00"),
    item("F-2", date(2026, 3, 1), "200.00"),
    item("G-1", date(2026, 1, 15), "50.00", account="A-2"),
)


def pay(amount: str, *, id: str = "P-1", account: str | None = "A-1", **kw: object) -> Payment:
    return Payment(
        id=id, account_id=account, amount=eur(amount), received_on=date(2026, 4, 2), **kw
    )


def advice(*lines: RemittanceLine, payment_id: str = "P-1") -> RemittanceAdvice:
    return RemittanceAdvice(payment_id=payment_id, lines=lines)


def line(number: str, paid: str, **kw: object) -> RemittanceLine:
    return RemittanceLine(invoice_number=number, amount_paid=eur(paid), **kw)


def by_invoice(result) -> dict[str, str]:
    return {number: str(money.amount) for number, money in result.by_invoice.items()}


def only(result, code: Code):
    found = [d for d in result.discrepancies if d.code == code]
    assert len(found) == 1, result.discrepancies
    assert found[0].message.endswith(".")
    return found[0]


# -- the payment itself -------------------------------------------------------------------


def test_unidentified_payment_waits_in_suspense() -> None:
    result = allocate(pay("50.00", account=None), LEDGER)
    only(result, Code.UNIDENTIFIED_PAYMENT)
    assert result.allocations == ()
    assert result.unapplied == eur("50.00")
    assert result.credit is None


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CHARGED_BACK]
)
def test_payment_not_cleared_settles_nothing(status: PaymentStatus) -> None:
    result = allocate(pay("50.00", status=status), LEDGER)
    found = only(result, Code.PAYMENT_NOT_CLEARED)
    assert status.value.lower().replace("_", " ") in found.message
    assert result.allocations == ()
    assert result.unapplied == eur("50.00")
    assert result.credit is None


def test_repeated_payment_is_not_applied_again() -> None:
    payment = pay("50.00")
    result = allocate(payment, LEDGER, applied=[payment])
    only(result, Code.REPEATED_PAYMENT)
    assert result.repeated
    assert result.allocations == ()
    assert "already been applied" in result.explain()


def test_a_payment_first_seen_unidentified_or_pending_is_applied_once_known() -> None:
    payment = pay("50.00")
    for earlier in (pay("50.00", account=None), pay("50.00", status=PaymentStatus.PENDING)):
        result = allocate(payment, LEDGER, applied={payment.id: earlier})
        assert not result.repeated
        assert by_invoice(result) == {"F-1": "50.00"}


def test_payment_in_another_currency_is_left_unapplied() -> None:
    payment = Payment(
        id="P-USD", account_id="A-1", amount=Money("80.00", "USD"), received_on=date(2026, 4, 2)
    )
    result = allocate(payment, LEDGER)
    found = only(result, Code.CURRENCY_MISMATCH)
    assert "USD" in found.message
    assert "F-1, F-2, F-3" in found.message
    assert result.allocations == ()
    assert result.unapplied == Money("80.00", "USD")
    assert Code.OVERPAYMENT not in result.codes


def test_overpayment_becomes_credit() -> None:
    result = allocate(pay("650.00"), LEDGER)
    found = only(result, Code.OVERPAYMENT)
    assert found.facts["amount"] == eur("50.00")
    assert by_invoice(result) == {"F-1": "100.00", "F-2": "200.00", "F-3": "300.00"}
    assert result.credit is not None
    assert result.credit.amount == eur("50.00")
    assert result.credit.kind is AllocationKind.CREDIT


# -- the advice ---------------------------------------------------------------------------


def test_advice_of_another_payment_is_ignored() -> None:
    result = allocate(pay("100.00"), LEDGER, advice=advice(line("F-3", "100.00"), payment_id="P-9"))
    only(result, Code.ADVICE_OTHER_PAYMENT)
    assert by_invoice(result) == {"F-1": "100.00"}  # plain oldest first
    assert result.directed == ()


def test_advice_in_another_currency_is_ignored() -> None:
    usd = RemittanceLine(invoice_number="F-3", amount_paid=Money("100.00", "USD"))
    result = allocate(pay("100.00"), LEDGER, advice=advice(usd))
    only(result, Code.ADVICE_CURRENCY_MISMATCH)
    assert by_invoice(result) == {"F-1": "100.00"}


def test_advice_exceeding_the_payment_serves_lines_in_order() -> None:
    result = allocate(
        pay("250.00"), LEDGER, advice=advice(line("F-2", "200.00"), line("F-3", "100.00"))
    )
    found = only(result, Code.ADVICE_EXCEEDS_PAYMENT)
    assert found.facts["amount"] == eur("50.00")
    assert by_invoice(result) == {"F-2": "200.00", "F-3": "50.00"}
    assert result.unapplied == eur("0.00")


def test_unknown_invoice_on_advice_leaves_its_cash_for_the_oldest() -> None:
    result = allocate(pay("120.00"), LEDGER, advice=advice(line("F-99", "120.00")))
    assert only(result, Code.UNKNOWN_INVOICE).subject == "F-99"
    assert by_invoice(result) == {"F-1": "100.00", "F-2": "20.00"}


def test_other_accounts_invoice_on_advice_is_not_paid() -> None:
    result = allocate(pay("50.00"), LEDGER, advice=advice(line("G-1", "50.00")))
    assert "A-2" in only(result, Code.OTHER_ACCOUNT_INVOICE).message
    assert by_invoice(result) == {"F-1": "50.00"}


def test_central_billing_lets_an_advice_pay_a_sister_account() -> None:
    entities = Eligibility(billing_entities={"A-1": "E", "A-2": "E"})
    result = allocate(
        pay("50.00"),
        LEDGER,
        advice=advice(line("G-1", "50.00")),
        policy=AllocationPolicy(central_billing=True),
        eligibility=entities,
    )
    assert result.discrepancies == ()
    assert by_invoice(result) == {"G-1": "50.00"}


def test_central_billing_fills_the_entitys_oldest_invoice_first() -> None:
    entities = Eligibility(billing_entities={"A-1": "E", "A-2": "E"})
    central = AllocationPolicy(central_billing=True)
    result = allocate(pay("60.00"), LEDGER, policy=central, eligibility=entities)
    assert by_invoice(result) == {"G-1": "50.00", "F-1": "10.00"}  # G-1 due 15 Jan
    # Without central billing the sister account's invoice is out of reach.
    assert by_invoice(allocate(pay("60.00"), LEDGER, eligibility=entities)) == {"F-1": "60.00"}


def test_invoice_already_paid_on_advice() -> None:
    ledger = (*LEDGER[:1], item("F-1", date(2026, 2, 1), "100.00", open_amount="0.00"), LEDGER[2])
    result = allocate(pay("100.00"), ledger, advice=advice(line("F-1", "100.00")))
    only(result, Code.INVOICE_ALREADY_PAID)
    assert by_invoice(result) == {"F-2": "100.00"}


def test_advice_stating_more_than_open_is_capped() -> None:
    result = allocate(pay("150.00"), LEDGER, advice=advice(line("F-1", "150.00")))
    found = only(result, Code.ADVICE_EXCEEDS_OPEN)
    assert found.facts["amount"] == eur("50.00")
    assert by_invoice(result) == {"F-1": "100.00", "F-2": "50.00"}
    assert [str(a.amount.amount) for a in result.directed] == ["100.00"]


@pytest.mark.parametrize(
    ("eligibility", "code"),
    [
        (Eligibility(disputed={"F-2"}), Code.INVOICE_DISPUTED),
        (Eligibility(held={"F-2"}), Code.INVOICE_ON_HOLD),
        (Eligibility(written_off={"F-2"}), Code.INVOICE_WRITTEN_OFF),
    ],
)
def test_ineligible_invoice_on_advice_receives_nothing(
    eligibility: Eligibility, code: Code
) -> None:
    result = allocate(
        pay("300.00"), LEDGER, advice=advice(line("F-2", "200.00")), eligibility=eligibility
    )
    assert only(result, code).subject == "F-2"
    # Nor does oldest first touch it: F-1 then F-3.
    assert by_invoice(result) == {"F-1": "100.00", "F-3": "200.00"}


def test_withholding_without_certificate_is_not_applied() -> None:
    withheld = line("F-1", "95.00", tax_withheld=eur("5.00"))
    result = allocate(pay("95.00"), LEDGER, advice=advice(withheld))
    found = only(result, Code.WITHHOLDING_WITHOUT_CERTIFICATE)
    assert found.facts["amount"] == eur("5.00")
    assert by_invoice(result) == {"F-1": "95.00"}
    assert dict(result.open_after)["F-1"] == eur("5.00")
    relaxed = AllocationPolicy(withholding_needs_certificate=False)
    result = allocate(pay("95.00"), LEDGER, advice=advice(withheld), policy=relaxed)
    assert result.discrepancies == ()
    assert [(a.kind, str(a.amount.amount)) for a in result.allocations] == [
        (AllocationKind.WITHHOLDING, "5.00"),
        (AllocationKind.CASH, "95.00"),
    ]


def test_discount_beyond_tolerance_stays_open() -> None:
    discounted = line("F-2", "196.00", discount_taken=eur("4.00"))
    result = allocate(pay("196.00"), LEDGER, advice=advice(discounted))
    assert only(result, Code.DISCOUNT_NOT_ALLOWED).facts["amount"] == eur("4.00")
    assert dict(result.open_after)["F-2"] == eur("4.00")
    # 2 % of 200.00 is 4.00: tolerated, it becomes a DISCOUNT allocation.
    tolerant = AllocationPolicy(discount_tolerance=Tolerance(percent="2"))
    result = allocate(pay("196.00"), LEDGER, advice=advice(discounted), policy=tolerant)
    assert result.discrepancies == ()
    kinds = {a.kind: str(a.amount.amount) for a in result.allocations}
    assert kinds == {AllocationKind.CASH: "196.00", AllocationKind.DISCOUNT: "4.00"}
    assert dict(result.open_after)["F-2"] == eur("0.00")


def test_short_payment_with_reason_beyond_tolerance_stays_open() -> None:
    short = line("F-1", "90.00", reason="one item damaged")
    five_percent = AllocationPolicy(write_off_tolerance=Tolerance(percent="5"))
    result = allocate(pay("90.00"), LEDGER, advice=advice(short), policy=five_percent)
    found = only(result, Code.SHORT_PAYMENT)
    assert found.facts["amount"] == eur("10.00")
    assert "one item damaged" in found.message
    ten_euros = AllocationPolicy(write_off_tolerance=Tolerance(max_amount=eur("10.00")))
    result = allocate(pay("90.00"), LEDGER, advice=advice(short), policy=ten_euros)
    assert result.discrepancies == ()
    write_off = [a for a in result.allocations if a.kind is AllocationKind.WRITE_OFF]
    assert [(str(a.amount.amount), a.reference) for a in write_off] == [
        ("10.00", "one item damaged")
    ]


def test_short_payment_without_reason_is_a_plain_partial_payment() -> None:
    tolerant = AllocationPolicy(write_off_tolerance=Tolerance(percent="50"))
    result = allocate(pay("90.00"), LEDGER, advice=advice(line("F-1", "90.00")), policy=tolerant)
    assert result.discrepancies == ()
    assert dict(result.open_after)["F-1"] == eur("10.00")


def test_advice_line_naming_an_invoice_in_another_currency() -> None:
    ledger = (*LEDGER, item("Y-1", date(2026, 1, 1), "5000", currency="JPY"))
    result = allocate(pay("10.00"), ledger, advice=advice(line("Y-1", "10.00")))
    assert only(result, Code.CURRENCY_MISMATCH).subject == "Y-1"
    assert by_invoice(result) == {"F-1": "10.00"}


# -- credit notes -------------------------------------------------------------------------


def note(number: str, amount: str, credits: str | None = None, account: str = "A-1") -> CreditNote:
    return CreditNote(
        number=number,
        account_id=account,
        issued_on=date(2026, 3, 15),
        amount=eur(amount),
        credits_invoice=credits,
    )


def test_credit_note_reduces_the_invoice_it_credits_first() -> None:
    result = allocate(pay("100.00"), LEDGER, credit_notes=[note("CN-1", "50.00", "F-3")])
    assert [(a.invoice_number, a.kind, str(a.amount.amount)) for a in result.allocations] == [
        ("F-3", AllocationKind.CREDIT_NOTE, "50.00"),
        ("F-1", AllocationKind.CASH, "100.00"),
    ]
    assert result.credit_notes_left == ()


def test_credit_note_naming_a_disputed_invoice_still_reduces_it() -> None:
    result = allocate(
        pay("10.00"),
        LEDGER,
        credit_notes=[note("CN-1", "200.00", "F-2")],
        eligibility=Eligibility(disputed={"F-2"}),
    )
    assert by_invoice(result) == {"F-2": "200.00", "F-1": "10.00"}


def test_credit_note_without_invoice_is_consumed_oldest_first_before_the_cash() -> None:
    result = allocate(pay("100.00"), LEDGER, credit_notes=[note("CN-1", "150.00")])
    assert [(a.invoice_number, a.source_id, str(a.amount.amount)) for a in result.allocations] == [
        ("F-1", "CN-1", "100.00"),
        ("F-2", "CN-1", "50.00"),
        ("F-2", "P-1", "100.00"),
    ]


@pytest.mark.parametrize(
    ("credit", "left", "words"),
    [
        (note("CN-1", "30.00", "F-404"), "30.00", "not among the open items"),
        (note("CN-1", "130.00", "F-1"), "30.00", "more than what was open"),
        (note("CN-1", "30.00", "G-1"), "30.00", "another account"),
        (note("CN-1", "700.00"), "100.00", "more than the open invoices"),
    ],
)
def test_credit_note_left_over_remains_credit(credit: CreditNote, left: str, words: str) -> None:
    result = allocate(pay("0.01"), LEDGER, credit_notes=[credit])
    found = only(result, Code.CREDIT_NOTE_UNAPPLIED)
    assert words in found.message
    assert found.facts["amount"] == eur(left)
    assert [(c.source_id, str(c.amount.amount), c.kind) for c in result.credit_notes_left] == [
        ("CN-1", left, AllocationKind.CREDIT_NOTE)
    ]


def test_credit_notes_stay_on_account_when_the_policy_keeps_payments_there() -> None:
    keep = AllocationPolicy(order=AllocationOrder.UNAPPLIED)
    result = allocate(pay("10.00"), LEDGER, credit_notes=[note("CN-1", "20.00")], policy=keep)
    assert result.allocations == ()
    only(result, Code.CREDIT_NOTE_UNAPPLIED)
    assert result.unapplied == eur("10.00")


# -- policy and input validation ------------------------------------------------------------


def test_eligibility_from_facts_reads_disputes_and_holds_in_force() -> None:
    facts = AccountFacts(
        account_id="A-1",
        disputes=[
            Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=date(2026, 3, 1)),
            Dispute(
                id="D-2",
                account_id="A-1",
                invoice_number="F-2",
                opened_on=date(2026, 3, 1),
                resolved_on=date(2026, 3, 20),
            ),
        ],
        holds=[
            Hold(
                id="H-1",
                account_id="A-1",
                reason="rebill",
                starts_on=date(2026, 3, 1),
                invoice_number="F-3",
            ),
            Hold(id="H-2", account_id="A-1", reason="whole account", starts_on=date(2026, 3, 1)),
        ],
    )
    eligibility = Eligibility.from_facts([facts], date(2026, 4, 2), written_off=["F-9"])
    assert eligibility.disputed == {"F-1"}
    assert eligibility.held == {"F-3"}
    assert eligibility.written_off == {"F-9"}
    result = allocate(pay("250.00"), LEDGER, eligibility=eligibility)
    assert by_invoice(result) == {"F-2": "200.00"}
    assert result.unapplied == eur("50.00")


def test_tolerance_takes_the_lower_of_its_limits_and_refuses_other_currencies() -> None:
    both = Tolerance(percent="2", max_amount=eur("15.00"))
    assert both.limit(eur("500.00")) == eur("10.00")
    assert both.limit(eur("5000.00")) == eur("15.00")
    assert both.limit(Money("5000", "JPY")) == Money("0", "JPY")
    assert Tolerance(percent="1").limit(Money("199", "JPY")) == Money("1", "JPY")  # rounded down
    assert Tolerance().limit(eur("100.00")) == eur("0.00")


@pytest.mark.parametrize("bad", ["101", "-1", 2.0, "two"])
def test_tolerance_rejects_bad_percentages(bad: object) -> None:
    with pytest.raises(InvalidField, match=r"Tolerance\.percent"):
        Tolerance(percent=bad)  # type: ignore[arg-type]


def test_policy_rejects_unknown_order() -> None:
    with pytest.raises(InvalidField, match=r"AllocationPolicy\.order"):
        AllocationPolicy(order="NEWEST_FIRST")  # type: ignore[arg-type]


def test_allocate_rejects_an_invoice_listed_twice() -> None:
    with pytest.raises(InvalidField, match="appears twice"):
        allocate(pay("1.00"), (*LEDGER, LEDGER[0]))


def test_allocate_rejects_what_is_not_an_open_item() -> None:
    with pytest.raises(InvalidField, match="OpenItem"):
        allocate(pay("1.00"), ["F-1"])  # type: ignore[list-item]


def test_every_discrepancy_code_has_a_test_here() -> None:
    from pathlib import Path

    source = Path(__file__).read_text(encoding="utf-8")
    missing = [code.name for code in Code if f"Code.{code.name}" not in source]
    assert missing == []


def test_a_discrepancy_is_the_librarys_one_reason_shape() -> None:
    result = allocate(pay("50.00", account=None), LEDGER)
    (found,) = result.discrepancies
    assert isinstance(found, Reason)
    assert (found.code, found.subject) == ("UNIDENTIFIED_PAYMENT", None)
    with pytest.deprecated_call(match="dunning_core.domain.reasons.Reason"):
        from dunning_core.policies.allocation import Discrepancy
    assert Discrepancy is Reason


def test_amounts_by_invoice_is_a_property_like_its_siblings() -> None:
    result = allocate(pay("150.00"), LEDGER)
    assert result.by_invoice == {"F-1": eur("100.00"), "F-2": eur("50.00")}
    with pytest.deprecated_call(match="property"):
        assert result.by_invoice() == result.by_invoice  # type: ignore[operator]
