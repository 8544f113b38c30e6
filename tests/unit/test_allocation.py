"""Properties of cash application (issue 3, "How it is checked" 1 to 9, and more).

Expected values come from an independent ten-line greedy reference written here, or
from invariants; nothing is taken from a run of the code under test.
"""

from __future__ import annotations

import doctest
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dunning_core import Allocation, AllocationKind, Money, OpenItem, Payment, minor_unit
from dunning_core.errors import DuplicatePayment
from dunning_core.policies import allocation as allocation_module
from dunning_core.policies.allocation import (
    AllocationOrder,
    AllocationPolicy,
    AllocationResult,
    Eligibility,
    UnappliedCredit,
    allocate,
    allocate_many,
    apply_credit,
    reverse,
)
from dunning_core.testing import strategies as ds
from dunning_core.testing.strategies import AllocationCase

OLDEST_FIRST = AllocationPolicy()
CENTRAL = AllocationPolicy(central_billing=True)


def reference_greedy(amount: int, items: Iterable[tuple[object, ...]]) -> tuple[list, int]:
    """Oldest first over plain tuples ``(due_on, issued_on, number, open_units)``."""
    taken = []
    for _due, _issued, number, open_units in sorted(items):
        if amount == 0:
            break
        take = min(amount, open_units)
        if take > 0:
            taken.append((number, take))
            amount -= take
    return taken, amount


# -- helpers that restate the rules independently of the code under test ----------------


def eligible_numbers(case: AllocationCase, items: Sequence[OpenItem], central: bool) -> set[str]:
    """Invoices the payment may settle, by the issue's eligibility rule."""
    entities = case.eligibility.billing_entities
    payer = case.payment.account_id
    assert payer is not None
    allowed = {payer}
    if central and payer in entities:
        allowed |= {a for a, e in entities.items() if e == entities[payer]}
    excluded = case.eligibility.disputed | case.eligibility.held | case.eligibility.written_off
    return {
        item.invoice.number
        for item in items
        if item.invoice.account_id in allowed
        and item.open_amount.currency == case.payment.currency
        and item.open_amount.amount > 0
        and item.invoice.number not in excluded
    }


def open_units(items: Iterable[OpenItem]) -> dict[str, int]:
    return {item.invoice.number: item.open_amount.minor_units for item in items}


def allocated_units(allocations: Iterable[Allocation]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for allocation in allocations:
        totals[allocation.invoice_number] += allocation.amount.minor_units
    return dict(totals)


def cash_units(result: AllocationResult) -> int:
    return sum(
        a.amount.minor_units
        for a in result.allocations
        if a.kind is AllocationKind.CASH and a.source_id == result.source_id
    )


def with_units(payment: Payment, units: int, suffix: str) -> Payment:
    return attrs.evolve(
        payment,
        id=f"{payment.id}-{suffix}",
        amount=Money.from_minor(units, payment.currency),
    )


# -- 1. conservation ----------------------------------------------------------------------


@given(ds.allocation_cases(), ds.allocation_policies(orders=tuple(AllocationOrder)), st.data())
def test_allocation_conserves_money(case: AllocationCase, policy, data) -> None:
    items = case.open_items()
    payer_invoices = [i for i in case.invoices if i.account_id == "A-1"]
    advice = None
    if payer_invoices and data.draw(st.booleans()):
        advice = data.draw(ds.remittance_advices(for_invoices=payer_invoices, payment=case.payment))
    result = allocate(
        case.payment, items, advice=advice, policy=policy, eligibility=case.eligibility
    )
    assert cash_units(result) + result.unapplied.minor_units == case.payment.amount.minor_units
    assert result.unapplied.currency == case.payment.currency
    assert result.unapplied.amount >= 0


# -- 2. bounds ----------------------------------------------------------------------------


@given(ds.allocation_cases(), ds.allocation_policies(), st.data())
def test_allocation_stays_within_open_amounts_and_skips_ineligible(
    case: AllocationCase, policy, data
) -> None:
    items = case.open_items()
    payer_invoices = [i for i in case.invoices if i.account_id == "A-1"]
    advice = None
    if payer_invoices and data.draw(st.booleans()):
        advice = data.draw(ds.remittance_advices(for_invoices=payer_invoices, payment=case.payment))
    result = allocate(
        case.payment, items, advice=advice, policy=policy, eligibility=case.eligibility
    )
    before = open_units(items)
    eligible = eligible_numbers(case, items, policy.central_billing)
    for number, units in allocated_units(result.allocations).items():
        assert 0 < units <= before[number]
        assert number in eligible
    for allocation in result.allocations:
        assert allocation.amount.amount > 0


# -- 3. prefix fill -----------------------------------------------------------------------


@given(ds.allocation_cases(), st.booleans())
def test_oldest_first_fills_a_prefix(case: AllocationCase, central: bool) -> None:
    policy = CENTRAL if central else OLDEST_FIRST
    items = case.open_items()
    result = allocate(case.payment, items, policy=policy, eligibility=case.eligibility)
    eligible = eligible_numbers(case, items, central)
    ordered = sorted(
        (i for i in items if i.invoice.number in eligible), key=lambda i: i.invoice.sort_key
    )
    got = allocated_units(result.allocations)
    states = []
    for item in ordered:
        units = got.get(item.invoice.number, 0)
        full = item.open_amount.minor_units
        states.append("full" if units == full else "partial" if units else "none")
    # full* partial? none*
    text = "".join({"full": "F", "partial": "P", "none": "N"}[s] for s in states)
    assert text == "F" * text.count("F") + "P" * text.count("P") + "N" * text.count("N")
    assert text.count("P") <= 1
    if result.unapplied:
        assert set(states) <= {"full"}


# -- 4. equals the reference --------------------------------------------------------------


@given(ds.allocation_cases(), st.booleans())
def test_oldest_first_equals_the_reference_greedy(case: AllocationCase, central: bool) -> None:
    policy = CENTRAL if central else OLDEST_FIRST
    items = case.open_items()
    eligible = eligible_numbers(case, items, central)
    plain = [
        (i.invoice.due_on, i.invoice.issued_on, i.invoice.number, i.open_amount.minor_units)
        for i in items
        if i.invoice.number in eligible
    ]
    expected, left = reference_greedy(case.payment.amount.minor_units, plain)
    result = allocate(case.payment, items, policy=policy, eligibility=case.eligibility)
    assert [(a.invoice_number, a.amount.minor_units) for a in result.allocations] == expected
    assert result.unapplied.minor_units == left
    assert all(a.kind is AllocationKind.CASH for a in result.allocations)


# -- 5. additivity ------------------------------------------------------------------------


@given(ds.allocation_cases(), st.data())
def test_paying_a_then_b_equals_paying_a_plus_b(case: AllocationCase, data) -> None:
    total = case.payment.amount.minor_units
    assume(total >= 2)
    first = data.draw(st.integers(1, total - 1))
    pay_a = with_units(case.payment, first, "a")
    pay_b = with_units(case.payment, total - first, "b")
    items = case.open_items()
    result_a = allocate(pay_a, items, eligibility=case.eligibility)
    result_b = allocate(pay_b, case.open_items(result_a.allocations), eligibility=case.eligibility)
    result_ab = allocate(case.payment, items, eligibility=case.eligibility)
    twice = case.open_items(result_a.allocations + result_b.allocations)
    once = case.open_items(result_ab.allocations)
    assert open_units(twice) == open_units(once)
    assert result_a.unapplied + result_b.unapplied == result_ab.unapplied


# -- 6. reversal --------------------------------------------------------------------------


@given(ds.allocation_cases(), st.data())
def test_reversal_right_after_allocation_restores_open_amounts(case: AllocationCase, data) -> None:
    items = case.open_items()
    payer_invoices = [i for i in case.invoices if i.account_id == "A-1"]
    advice = None
    if payer_invoices and data.draw(st.booleans()):
        advice = data.draw(ds.remittance_advices(for_invoices=payer_invoices, payment=case.payment))
    result = allocate(case.payment, items, advice=advice, eligibility=case.eligibility)
    reversal = reverse(case.payment.id, result.allocations)
    assert reversal.kept == ()
    assert open_units(case.open_items(reversal.kept)) == open_units(items)
    assert reverse(case.payment.id, reversal.kept).is_noop


@given(ds.allocation_cases(), st.data())
def test_reversal_after_later_payments_moves_only_that_payment(case: AllocationCase, data) -> None:
    items = case.open_items()
    first = allocate(case.payment, items, eligibility=case.eligibility)
    later = with_units(case.payment, data.draw(st.integers(1, 100_000)), "later")
    second = allocate(later, case.open_items(first.allocations), eligibility=case.eligibility)
    credit = None
    if first.credit is not None:  # the first payment's credit applied later is its money too
        after = case.open_items(first.allocations + second.allocations)
        credit = apply_credit(first.credit, after, eligibility=case.eligibility)
    on_file = first.allocations + second.allocations + (credit.allocations if credit else ())
    reversal = reverse(case.payment.id, on_file)
    assert reversal.kept == second.allocations
    reopened = open_units(case.open_items(reversal.kept))
    before = open_units(case.open_items(on_file))
    moved = allocated_units(reversal.removed)
    for number, units in reopened.items():
        assert units == before[number] + moved.get(number, 0)


# -- 7. directed first --------------------------------------------------------------------


@given(ds.allocation_cases(exclusions=True), st.data())
def test_advice_gives_each_named_invoice_min_stated_open_first(case: AllocationCase, data) -> None:
    payer_invoices = [i for i in case.invoices if i.account_id == "A-1"]
    assume(payer_invoices and case.payer.currency == case.payment.currency)
    advice = data.draw(ds.remittance_advices(for_invoices=payer_invoices, payment=case.payment))
    extra = data.draw(st.integers(0, 100_000))
    payment = attrs.evolve(
        case.payment,
        amount=Money.from_minor(advice.cash_total.minor_units + extra + 1, case.payment.currency),
    )
    items = case.open_items()
    before = open_units(items)
    eligible = eligible_numbers(case, items, central=False)
    result = allocate(payment, items, advice=advice, eligibility=case.eligibility)
    assert result.allocations[: len(result.directed)] == result.directed
    directed = allocated_units(result.directed)
    for line in advice.lines:
        number = line.invoice_number
        expected = min(line.settles.minor_units, before[number]) if number in eligible else 0
        assert directed.get(number, 0) == expected
    assert set(directed) <= {line.invoice_number for line in advice.lines}


# -- 8. idempotence -----------------------------------------------------------------------


@given(ds.allocation_cases(), st.integers(1, 10**6))
def test_a_repeated_payment_id_is_a_noop(case: AllocationCase, other_units: int) -> None:
    items = case.open_items()
    once = allocate(case.payment, items, eligibility=case.eligibility)
    again = allocate(
        case.payment,
        case.open_items(once.allocations),
        eligibility=case.eligibility,
        applied={case.payment.id: case.payment},
    )
    assert again.repeated
    assert again.allocations == ()
    assert not again.unapplied
    batch = allocate_many([case.payment, case.payment], items, eligibility=case.eligibility)
    assert batch[0].allocations == once.allocations
    assert batch[1].repeated
    assume(other_units != case.payment.amount.minor_units)
    changed = attrs.evolve(
        case.payment, amount=Money.from_minor(other_units, case.payment.currency)
    )
    with pytest.raises(DuplicatePayment):
        allocate(changed, items, applied=[case.payment])
    with pytest.raises(DuplicatePayment):
        allocate_many([case.payment, changed], items)


# -- 9. minor units -----------------------------------------------------------------------


@given(
    ds.allocation_cases(currency=st.sampled_from(("JPY", "BHD", "EUR", "CLF"))),
    st.data(),
)
def test_every_amount_is_whole_minor_units(case: AllocationCase, data) -> None:
    items = case.open_items()
    payer_invoices = [i for i in case.invoices if i.account_id == "A-1"]
    advice = None
    if payer_invoices and data.draw(st.booleans()):
        advice = data.draw(ds.remittance_advices(for_invoices=payer_invoices, payment=case.payment))
    result = allocate(case.payment, items, advice=advice, eligibility=case.eligibility)
    amounts = [a.amount for a in result.allocations]
    amounts += [result.unapplied, *(money for _, money in result.open_after)]
    if result.credit is not None:
        amounts.append(result.credit.amount)
    for money in amounts:
        exponent = money.amount.as_tuple().exponent
        assert exponent == -minor_unit(money.currency)
        assert money.amount == money.amount.quantize(Decimal(1).scaleb(exponent))


# -- beyond the nine ----------------------------------------------------------------------


@given(ds.allocation_cases(), ds.allocation_policies(orders=tuple(AllocationOrder)), st.randoms())
def test_allocation_does_not_depend_on_item_order(case: AllocationCase, policy, rnd) -> None:
    items = list(case.open_items())
    first = allocate(case.payment, items, policy=policy, eligibility=case.eligibility)
    rnd.shuffle(items)
    second = allocate(case.payment, items, policy=policy, eligibility=case.eligibility)
    assert first == second


@given(ds.allocation_cases(max_accounts=3), st.lists(st.integers(1, 60_000), max_size=6))
def test_allocate_many_equals_allocating_one_after_the_other(
    case: AllocationCase, amounts: list[int]
) -> None:
    payments = [with_units(case.payment, units, str(k)) for k, units in enumerate(amounts)]
    payments += [
        attrs.evolve(p, id=f"{p.id}-{a.id}", account_id=a.id, amount=Money("1", a.currency))
        for p, a in zip(payments, case.accounts[1:], strict=False)
    ]
    batch = allocate_many(payments, case.open_items(), eligibility=case.eligibility)
    on_file: tuple[Allocation, ...] = ()
    for payment, result in zip(payments, batch, strict=True):
        alone = allocate(payment, case.open_items(on_file), eligibility=case.eligibility)
        assert result.allocations == alone.allocations
        assert result.unapplied == alone.unapplied
        assert result.discrepancies == alone.discrepancies
        on_file += alone.allocations


@given(ds.allocation_cases())
def test_apply_credit_conserves_the_credit(case: AllocationCase) -> None:
    credit = UnappliedCredit.from_payment(case.payment)
    result = apply_credit(credit, case.open_items(), eligibility=case.eligibility)
    used = sum(a.amount.minor_units for a in result.allocations)
    assert all(a.kind is AllocationKind.CREDIT for a in result.allocations)
    assert used + result.unapplied.minor_units == case.payment.amount.minor_units
    plain_result = allocate(case.payment, case.open_items(), eligibility=case.eligibility)
    assert allocated_units(result.allocations) == allocated_units(plain_result.allocations)


@given(ds.allocation_cases())
def test_statutory_order_without_fees_is_oldest_first(case: AllocationCase) -> None:
    statutory = AllocationPolicy(order=AllocationOrder.STATUTORY)
    items = case.open_items()
    assert allocate(case.payment, items, policy=statutory, eligibility=case.eligibility) == (
        allocate(case.payment, items, eligibility=case.eligibility)
    )


@given(ds.allocation_cases())
def test_keeping_payments_on_account_applies_nothing_without_advice(case: AllocationCase) -> None:
    policy = AllocationPolicy(order=AllocationOrder.UNAPPLIED)
    result = allocate(case.payment, case.open_items(), policy=policy, eligibility=case.eligibility)
    assert result.allocations == ()
    assert result.unapplied == case.payment.amount
    assert result.credit is not None
    assert result.credit.amount == case.payment.amount


def test_eligibility_helper_in_this_file_agrees_with_a_hand_case() -> None:
    # Guards the independent helper itself: A-1 pays; A-2 shares its entity.
    from datetime import date

    from dunning_core import Invoice
    from dunning_core.domain.statement import ItemStatus

    def item(number: str, account: str, units: int, currency: str = "EUR") -> OpenItem:
        invoice = Invoice(
            number=number,
            account_id=account,
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 1, 1),
            amount=Money.from_minor(units, currency),
        )
        return OpenItem(
            invoice=invoice,
            open_amount=invoice.amount,
            settled=Money.zero(currency),
            days_past_due=0,
            status=ItemStatus.OPEN,
        )

    items = [
        item("X", "A-1", 5),
        item("Y", "A-2", 5),
        item("Z", "A-1", 5, "JPY"),
        item("W", "A-1", 5),
    ]
    case = AllocationCase(
        accounts=(),
        invoices=(),
        prior=(),
        payment=Payment(
            id="P", account_id="A-1", amount=Money("1.00", "EUR"), received_on=date(2026, 1, 1)
        ),
        as_of=date(2026, 1, 1),
        eligibility=Eligibility(held={"W"}, billing_entities={"A-1": "E", "A-2": "E"}),
    )
    assert eligible_numbers(case, items, central=False) == {"X"}
    assert eligible_numbers(case, items, central=True) == {"X", "Y"}


def test_docstring_examples_run() -> None:
    from dunning_core.policies.allocation import _matching, _policy

    for module in (allocation_module, _matching, _policy):
        failures, _ = doctest.testmod(module, raise_on_error=False)
        assert failures == 0, module.__name__
