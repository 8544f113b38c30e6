"""The seed scenarios of issue 3, end to end through statements, plus credit,
reversal, statutory order and explanations. Amounts are worked out by hand."""

from __future__ import annotations

from datetime import date

import attrs

from dunning_core import (
    Account,
    AllocationKind,
    Invoice,
    ItemStatus,
    Money,
    OpenItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RemittanceAdvice,
    RemittanceLine,
    build_statement,
)
from dunning_core.policies.allocation import (
    AllocationOrder,
    AllocationPolicy,
    DebtComponent,
    DebtPart,
    DiscrepancyCode,
    UnappliedCredit,
    allocate,
    apply_credit,
    reverse,
)

ACCOUNT = Account(id="A-1", name="Boulangerie Kanak", currency="EUR", timezone="Pacific/Noumea")
AS_OF = date(2026, 5, 4)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def shown(amount: str) -> str:
    """An amount as `explain()` writes it (Money.format in en_US, checked against babel)."""
    return eur(amount).format("en_US")


def invoice(number: str, due: date, amount: str) -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=date(2026, 1, 1),
        due_on=due,
        amount=eur(amount),
    )


INVOICES = (
    invoice("F-2026-001", date(2026, 2, 1), "120.00"),
    invoice("F-2026-002", date(2026, 3, 1), "80.00"),
    invoice("F-2026-003", date(2026, 4, 1), "250.00"),
)


def payment(id: str, amount: str, **kw: object) -> Payment:
    return Payment(id=id, account_id="A-1", amount=eur(amount), received_on=AS_OF, **kw)


def statement(payments=(), allocations=(), invoices=INVOICES):
    return build_statement(
        ACCOUNT, AS_OF, invoices=invoices, payments=payments, allocations=allocations
    )


def opens(st) -> dict[str, str]:
    return {i.invoice.number: str(i.open_amount.amount) for i in st.items}


def test_three_overdue_invoices_paid_with_one_lump_sum() -> None:
    before = statement()
    assert len(before.overdue_items) == 3
    lump = payment("VIR-1", "300.00")
    result = allocate(lump, before.items)
    # 120 + 80 settle the two oldest; the remaining 100 goes to the third.
    assert [(a.invoice_number, str(a.amount.amount)) for a in result.allocations] == [
        ("F-2026-001", "120.00"),
        ("F-2026-002", "80.00"),
        ("F-2026-003", "100.00"),
    ]
    after = statement([lump], result.allocations)
    assert opens(after) == {"F-2026-001": "0.00", "F-2026-002": "0.00", "F-2026-003": "150.00"}
    assert after.item("F-2026-003").status is ItemStatus.PARTIALLY_PAID
    assert after.balance == eur("150.00")
    assert after.unapplied == eur("0.00")
    text = result.explain()
    assert f"invoice F-2026-001: {shown('120.00')} paid; now paid in full" in text
    assert f"{shown('150.00')} remains open" in text


def test_one_invoice_paid_net_of_five_percent_withholding_with_an_advice() -> None:
    big = invoice("F-2026-010", date(2026, 4, 15), "1000.00")
    invoices = (*INVOICES, big)
    net = payment("VIR-2", "950.00")
    advice = RemittanceAdvice(
        payment_id="VIR-2",
        lines=[
            RemittanceLine(
                invoice_number="F-2026-010",
                amount_paid=eur("950.00"),
                tax_withheld=eur("50.00"),  # 5 % retenue à la source
                certificate="RAS-2026-77",
            )
        ],
    )
    result = allocate(net, statement(invoices=invoices).items, advice=advice)
    assert result.discrepancies == ()
    assert [(a.kind, str(a.amount.amount), a.reference) for a in result.allocations] == [
        (AllocationKind.WITHHOLDING, "50.00", "RAS-2026-77"),
        (AllocationKind.CASH, "950.00", None),
    ]
    assert result.unapplied == eur("0.00")
    after = statement([net], result.allocations, invoices=invoices)
    assert after.item("F-2026-010").status is ItemStatus.PAID
    assert after.balance == eur("450.00")  # the three others, untouched
    assert "certificate RAS-2026-77" in result.explain()


def test_the_same_invoice_paid_twice_shows_as_overpaid() -> None:
    only_one = INVOICES[:1]
    first = payment("VIR-3", "120.00")
    second = payment("VIR-4", "120.00")
    advice = RemittanceAdvice(
        payment_id="VIR-4",
        lines=[RemittanceLine(invoice_number="F-2026-001", amount_paid=eur("120.00"))],
    )
    r1 = allocate(first, statement(invoices=only_one).items)
    middle = statement([first], r1.allocations, invoices=only_one)
    r2 = allocate(second, middle.items, advice=advice, applied=[first])
    assert r2.codes == {DiscrepancyCode.INVOICE_ALREADY_PAID, DiscrepancyCode.OVERPAYMENT}
    assert r2.allocations == ()
    assert r2.credit is not None
    assert r2.credit.amount == eur("120.00")
    after = statement([first, second], r1.allocations + r2.allocations, invoices=only_one)
    assert after.item("F-2026-001").status is ItemStatus.PAID
    assert after.unapplied == eur("120.00")
    assert after.net_balance == eur("-120.00")
    # The bank file delivering VIR-3 a second time changes nothing.
    again = allocate(first, after.items, applied=[first, second])
    assert again.repeated
    assert again.allocations == ()


def test_direct_debit_returned_after_the_invoices_were_marked_paid() -> None:
    debit = payment("SDD-1", "200.00", method=PaymentMethod.DIRECT_DEBIT)
    r1 = allocate(debit, statement().items)
    paid = statement([debit], r1.allocations)
    assert paid.item("F-2026-001").status is ItemStatus.PAID
    assert paid.item("F-2026-002").status is ItemStatus.PAID
    # A transfer arrives meanwhile and settles part of the third invoice.
    transfer = payment("VIR-5", "50.00")
    r2 = allocate(transfer, paid.items)
    assert [(a.invoice_number, str(a.amount.amount)) for a in r2.allocations] == [
        ("F-2026-003", "50.00")
    ]
    # The debit comes back (returned in full): only its allocations go.
    reversal = reverse("SDD-1", r1.allocations + r2.allocations)
    assert reversal.kept == r2.allocations
    assert {n: str(m.amount) for n, m in reversal.reopened.items()} == {
        "F-2026-001": "120.00",
        "F-2026-002": "80.00",
    }
    returned = attrs.evolve(debit, status=PaymentStatus.FAILED)
    after = statement([returned, transfer], reversal.kept)
    assert opens(after) == {"F-2026-001": "120.00", "F-2026-002": "80.00", "F-2026-003": "200.00"}
    # A statement that already knows the debit failed agrees, reversal or not.
    assert opens(statement([returned, transfer], r1.allocations + r2.allocations)) == opens(after)
    assert f"F-2026-001: {shown('120.00')}" in reversal.explain()
    assert reverse("SDD-1", reversal.kept).is_noop


def test_credit_left_by_an_overpayment_is_applied_later_as_credit() -> None:
    r1 = allocate(payment("VIR-6", "500.00"), statement().items)
    assert r1.credit is not None
    assert r1.credit.amount == eur("50.00")
    newer = invoice("F-2026-004", date(2026, 5, 1), "30.00")
    invoices = (*INVOICES, newer)
    later = statement([payment("VIR-6", "500.00")], r1.allocations, invoices=invoices)
    r2 = apply_credit(r1.credit, later.items)
    assert [
        (a.invoice_number, a.kind, a.source_id, str(a.amount.amount)) for a in r2.allocations
    ] == [("F-2026-004", AllocationKind.CREDIT, "VIR-6", "30.00")]
    assert r2.credit is not None
    assert r2.credit.amount == eur("20.00")
    final = statement(
        [payment("VIR-6", "500.00")], r1.allocations + r2.allocations, invoices=invoices
    )
    assert final.balance == eur("0.00")
    assert final.unapplied == eur("20.00")
    assert r2.explain().startswith(f"Credit of {shown('50.00')} left by payment VIR-6")


def test_credit_note_credit_applied_later_keeps_its_kind() -> None:
    credit = UnappliedCredit(
        source_id="CN-7", account_id="A-1", amount=eur("100.00"), kind=AllocationKind.CREDIT_NOTE
    )
    result = apply_credit(credit, statement().items)
    assert {(a.kind, a.source_id) for a in result.allocations} == {
        (AllocationKind.CREDIT_NOTE, "CN-7")
    }
    assert result.explain().startswith("Credit note CN-7")


def fee_item(number: str, principal: str, amount: str, due: date) -> OpenItem:
    fee = Invoice(number=number, account_id="A-1", issued_on=due, due_on=due, amount=eur(amount))
    return OpenItem(
        invoice=fee,
        open_amount=fee.amount,
        settled=eur("0"),
        days_past_due=0,
        status=ItemStatus.OPEN,
    )


def test_statutory_order_settles_costs_then_interest_then_principal() -> None:
    # Until the fees work lands, the caller says which items are costs and interest.
    parts = {
        "COST-001": DebtPart("F-2026-001", DebtComponent.COSTS),
        "INT-001": DebtPart("F-2026-001", DebtComponent.INTEREST),
        "INT-002": DebtPart("F-2026-002", DebtComponent.INTEREST),
    }

    def debt_part(item: OpenItem) -> DebtPart:
        return parts.get(item.number, DebtPart(item.number, DebtComponent.PRINCIPAL))

    items = (
        *statement().items,
        fee_item("COST-001", "F-2026-001", "40.00", date(2026, 4, 20)),
        fee_item("INT-001", "F-2026-001", "5.00", date(2026, 4, 30)),
        fee_item("INT-002", "F-2026-002", "2.00", date(2026, 4, 30)),
    )
    policy = AllocationPolicy(order=AllocationOrder.STATUTORY, debt_part=debt_part)
    result = allocate(payment("VIR-8", "170.00"), items, policy=policy)
    # Debt of F-001 first (costs 40, interest 5, principal 120), then F-002's interest.
    assert [(a.invoice_number, str(a.amount.amount)) for a in result.allocations] == [
        ("COST-001", "40.00"),
        ("INT-001", "5.00"),
        ("F-2026-001", "120.00"),
        ("INT-002", "2.00"),
        ("F-2026-002", "3.00"),
    ]
    # Oldest first would have paid the principal before the later-dated fees.
    plain = allocate(payment("VIR-8", "170.00"), items)
    assert [a.invoice_number for a in plain.allocations][:2] == ["F-2026-001", "F-2026-002"]
