"""decide_suspension, SuspensionDecision, transition: the seeds' scenarios and properties.

Expected values are worked out by hand from the seeds' rules (suspended after more than
15 days for small customers, 30 for large ones, ...) and the calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from babel.dates import format_date
from babel.lists import format_list
from hypothesis import assume, given
from hypothesis import strategies as st

from dunning_core import (
    Account,
    AccountFacts,
    AccountMismatch,
    Allocation,
    AllocationKind,
    Hold,
    InsolvencyProceeding,
    InvalidAsOf,
    InvalidPolicy,
    Invoice,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PromiseToPay,
    Segment,
    build_statement,
)
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.state import SuspensionState
from dunning_core.domain.statement import AccountStatement
from dunning_core.policies.suspension import (
    CreditLimitExceeded,
    InFlightGrace,
    OverdueDays,
    SuspensionDecision,
    SuspensionPolicy,
    decide_suspension,
    transition,
)
from dunning_core.testing import strategies as ds

POLICY = SuspensionPolicy()
DUE = date(2026, 3, 1)  # a Sunday


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def shown(amount: str, locale: str) -> str:
    return eur(amount).format(locale)


def account(segment: Segment | str = Segment.SMALL, **changes: object) -> Account:
    base = Account(id="A-1", name="Boulangerie Kanak", currency="EUR", segment=segment)
    return attrs.evolve(base, **changes)


def invoice(number: str, due_on: date = DUE, amount: str = "100.00") -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=eur(amount),
    )


def cleared(payment_id: str, amount: str, on: date) -> Payment:
    return Payment(id=payment_id, account_id="A-1", amount=eur(amount), received_on=on)


def cash(payment: Payment, invoice_number: str, amount: str) -> Allocation:
    return Allocation(
        invoice_number=invoice_number, amount=eur(amount), kind="CASH", source_id=payment.id
    )


def decide(
    acct: Account,
    on: date,
    invoices: list[Invoice],
    facts: AccountFacts | None = None,
    *,
    policy: SuspensionPolicy = POLICY,
    **ledger: object,
) -> SuspensionDecision:
    pending = ledger.pop("pending", ())
    statement = build_statement(acct, on, invoices=invoices, **ledger)  # type: ignore[arg-type]
    return decide_suspension(policy, statement, on, facts=facts, pending=pending)  # type: ignore[arg-type]


# -- the seeds' scenarios ---------------------------------------------------------------


def test_small_customer_is_active_at_15_days_past_due_and_suspended_at_16() -> None:
    acct = account(Segment.SMALL)
    at_15 = decide(acct, DUE + timedelta(days=15), [invoice("F-1")])
    at_16 = decide(acct, DUE + timedelta(days=16), [invoice("F-1")])
    assert not at_15.suspended
    assert at_15.reasons == ()
    assert at_16.suspended
    assert [r.code for r in at_16.reasons] == ["OVERDUE_DAYS"]
    assert at_16.reasons[0].facts["days_past_due"] == 16
    assert at_16.reasons[0].facts["after_days"] == 15


def test_large_customer_is_active_at_30_days_past_due_and_suspended_at_31() -> None:
    acct = account(Segment.LARGE)
    assert not decide(acct, DUE + timedelta(days=30), [invoice("F-1")]).suspended
    at_31 = decide(acct, DUE + timedelta(days=31), [invoice("F-1")])
    assert at_31.suspended
    assert at_31.reason_codes == ("OVERDUE_DAYS",)


def test_days_past_due_are_counted_in_the_accounts_timezone() -> None:
    # 13:30 UTC on 16 March is 00:30 on 17 March in Nouméa (UTC+11): 16 days, not 15.
    acct = account(Segment.SMALL, timezone="Pacific/Noumea")
    at = datetime(2026, 3, 16, 13, 30, tzinfo=UTC)
    statement = build_statement(acct, at, invoices=[invoice("F-1")])
    decision = decide_suspension(POLICY, statement, at)
    assert decision.as_of == date(2026, 3, 17)
    assert decision.suspended
    in_utc = attrs.evolve(acct, timezone="UTC")
    statement = build_statement(in_utc, at, invoices=[invoice("F-1")])
    assert not decide_suspension(POLICY, statement, at).suspended


def test_promise_to_pay_on_the_10th_unpaid_on_the_11th_suspends() -> None:
    # A large customer, so being 10 days late alone would not suspend.
    acct = account(Segment.LARGE)
    promise = PromiseToPay(
        id="PTP-1",
        account_id="A-1",
        made_on=date(2026, 3, 5),
        due_on=date(2026, 3, 10),
        amount=eur("100.00"),
    )
    facts = AccountFacts(account_id="A-1", promises=[promise])
    on_10th = decide(acct, date(2026, 3, 10), [invoice("F-1")], facts)
    on_11th = decide(acct, date(2026, 3, 11), [invoice("F-1")], facts)
    assert not on_10th.suspended
    assert on_11th.suspended
    (reason,) = on_11th.reasons
    assert (reason.code, reason.subject) == ("BROKEN_PROMISE", "PTP-1")
    assert reason.facts["promised_by"] == date(2026, 3, 10)
    assert reason.facts["still_due"] == eur("100.00")


def test_receivership_suspends_until_the_ruling_then_requires_prepayment() -> None:
    acct = account(Segment.LARGE)
    proceeding = InsolvencyProceeding(
        id="RJ-1",
        account_id="A-1",
        kind="RECEIVERSHIP",
        opened_on=date(2026, 4, 1),
        ruled_on=date(2026, 6, 15),
    )
    facts = AccountFacts(account_id="A-1", proceedings=[proceeding])
    invoices = [invoice("F-1", due_on=date(2026, 7, 31))]  # nothing overdue at any point

    before = decide(acct, date(2026, 3, 31), invoices, facts)
    opened = decide(acct, date(2026, 4, 1), invoices, facts)
    eve_of_ruling = decide(acct, date(2026, 6, 14), invoices, facts)
    ruled = decide(acct, date(2026, 6, 15), invoices, facts)

    assert not before.suspended
    assert not before.requires_prepayment
    assert opened.suspended
    assert eve_of_ruling.suspended
    assert opened.reason_codes == ("INSOLVENCY_OPEN",)
    assert opened.resumes_when == "Service resumes once the court has ruled."
    assert not ruled.suspended
    assert ruled.requires_prepayment
    assert [r.code for r in ruled.prepayment_reasons] == ["INSOLVENCY_RULED"]

    state = opened.next_state(None)
    event = transition(state, ruled, datetime(2026, 6, 15, 9, 0, tzinfo=UTC))
    assert isinstance(event, AccountReactivated)
    assert event.requires_prepayment
    assert event.cleared_reason_codes == ("INSOLVENCY_OPEN",)


def test_reactivation_event_names_the_payment_that_cleared_it() -> None:
    acct = account(Segment.SMALL)
    f1 = invoice("F-1", amount="1000.00")
    suspended_on = date(2026, 3, 20)
    suspended = decide(acct, suspended_on, [f1])
    state = suspended.next_state(None)
    first = transition(None, suspended, datetime(2026, 3, 20, 6, 0, tzinfo=UTC))
    assert isinstance(first, AccountSuspended)
    assert first.reason_codes == ("OVERDUE_DAYS",)
    assert state.suspended
    assert state.since == suspended_on

    payment = cleared("PAY-7", "1000.00", date(2026, 3, 21))
    after = decide(
        acct,
        date(2026, 3, 21),
        [f1],
        payments=[payment],
        allocations=[cash(payment, "F-1", "1000.00")],
    )
    event = transition(state, after, datetime(2026, 3, 21, 9, 15, tzinfo=UTC), cleared_by=payment)
    assert isinstance(event, AccountReactivated)
    assert event.payment_id == "PAY-7"
    assert event.cleared_reason_codes == ("OVERDUE_DAYS",)
    assert event.as_of == datetime(2026, 3, 21, 9, 15, tzinfo=UTC)

    new_state = after.next_state(state)
    assert not new_state.suspended
    assert new_state.since == date(2026, 3, 21)
    assert transition(new_state, after, datetime(2026, 3, 21, 9, 16, tzinfo=UTC)) is None


# -- resumes_when ---------------------------------------------------------------------


def test_resumes_when_names_the_amount_and_the_invoices() -> None:
    invoices = [
        invoice("F-1", due_on=date(2026, 2, 1), amount="1000.00"),
        invoice("F-2", due_on=date(2026, 2, 3), amount="240.00"),
    ]
    decision = decide(account(), date(2026, 2, 20), invoices)  # 19 and 17 days late
    # Amounts as Money.format writes them for the locale (tested against babel itself).
    assert decision.resumes_when == (
        f"Service resumes once you pay {shown('1240.00', 'en_US')} on invoices F-1 and F-2."
    )
    french = decide(account(locale="fr_FR"), date(2026, 2, 20), invoices)
    assert french.resumes_when == (
        f"Le service reprendra dès que vous aurez payé {shown('1240.00', 'fr_FR')} "
        "sur les factures F-1 et F-2."
    )


def test_resumes_when_only_asks_for_the_invoices_beyond_the_delay() -> None:
    invoices = [
        invoice("F-1", due_on=date(2026, 2, 1), amount="1000.00"),  # 19 days late
        invoice("F-2", due_on=date(2026, 2, 10), amount="240.00"),  # 10 days late
    ]
    decision = decide(account(), date(2026, 2, 20), invoices)
    assert decision.resumes_when == (
        f"Service resumes once you pay {shown('1000.00', 'en_US')} on invoice F-1."
    )


def test_resumes_when_combines_payment_ruling_and_hold_end() -> None:
    facts = AccountFacts(
        account_id="A-1",
        proceedings=[
            InsolvencyProceeding(
                id="P-1", account_id="A-1", kind="BANKRUPTCY", opened_on=date(2026, 2, 10)
            )
        ],
        holds=[
            Hold(
                id="H-1",
                account_id="A-1",
                reason="Suspected fraud",
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 6, 30),
                suspends=True,
            )
        ],
    )
    # Issued after the opening (invoices issued by then are claims in the proceeding).
    late = attrs.evolve(invoice("F-1", date(2026, 2, 12)), issued_on=date(2026, 2, 11))
    decision = decide(account(), date(2026, 3, 1), [late], facts)
    assert decision.reason_codes == ("INSOLVENCY_OPEN", "MANUAL_HOLD", "OVERDUE_DAYS")
    parts = [
        f"you pay {shown('100.00', 'en_US')} on invoice F-1",
        "the court has ruled",
        f"the hold ends on {format_date(date(2026, 6, 30), 'long', locale='en_US')}",
    ]
    # The parts joined by CLDR's English list pattern, as babel joins them.
    assert decision.resumes_when == f"Service resumes once {format_list(parts, locale='en_US')}."


# -- payments in flight ---------------------------------------------------------------


def _direct_debit(amount: str, on: date) -> Payment:
    return Payment(
        id="DD-1",
        account_id="A-1",
        amount=eur(amount),
        received_on=on,
        method=PaymentMethod.DIRECT_DEBIT,
        status=PaymentStatus.PENDING,
    )


def test_pending_direct_debit_holds_off_suspension_for_10_business_days() -> None:
    # Initiated Monday 16 March; 10 business days later is Monday 30 March.
    debit = _direct_debit("100.00", date(2026, 3, 16))
    late = [invoice("F-1")]
    for day in (date(2026, 3, 17), date(2026, 3, 30)):
        held = decide(account(), day, late, payments=[debit], pending=[debit])
        assert not held.suspended, day
        assert [r.code for r in held.deferred] == ["OVERDUE_DAYS"]
        assert held.in_flight_payments == ("DD-1",)
    expired = decide(account(), date(2026, 3, 31), late, payments=[debit], pending=[debit])
    assert expired.suspended
    assert expired.deferred == ()


def test_bank_holidays_extend_the_clearing_window() -> None:
    policy = SuspensionPolicy(in_flight=InFlightGrace(holidays=[date(2026, 3, 19)]))
    debit = _direct_debit("100.00", date(2026, 3, 16))
    on_31st = decide(account(), date(2026, 3, 31), [invoice("F-1")], policy=policy, pending=[debit])
    assert not on_31st.suspended
    on_1st = decide(account(), date(2026, 4, 1), [invoice("F-1")], policy=policy, pending=[debit])
    assert on_1st.suspended


def test_pending_payment_short_of_the_overdue_amount_does_not_hold_off() -> None:
    debit = _direct_debit("99.99", date(2026, 3, 16))
    decision = decide(account(), date(2026, 3, 17), [invoice("F-1")], pending=[debit])
    assert decision.suspended
    assert decision.deferred == ()


def test_pending_payment_does_not_hold_off_a_broken_promise_by_default() -> None:
    promise = PromiseToPay(
        id="PTP-1",
        account_id="A-1",
        made_on=date(2026, 3, 2),
        due_on=date(2026, 3, 10),
        amount=eur("100.00"),
    )
    facts = AccountFacts(account_id="A-1", promises=[promise])
    debit = _direct_debit("100.00", date(2026, 3, 16))
    decision = decide(account(), date(2026, 3, 17), [invoice("F-1")], facts, pending=[debit])
    assert decision.reason_codes == ("BROKEN_PROMISE",)
    assert [r.code for r in decision.deferred] == ["OVERDUE_DAYS"]


def test_no_grace_without_in_flight_policy() -> None:
    policy = SuspensionPolicy(in_flight=None)
    debit = _direct_debit("100.00", date(2026, 3, 16))
    decision = decide(
        account(), date(2026, 3, 17), [invoice("F-1")], policy=policy, pending=[debit]
    )
    assert decision.suspended


# -- inputs ---------------------------------------------------------------------------


def test_as_of_on_another_day_than_the_statement_is_refused() -> None:
    statement = build_statement(account(), date(2026, 3, 10), invoices=[invoice("F-1")])
    with pytest.raises(InvalidAsOf, match="as_of"):
        decide_suspension(POLICY, statement, date(2026, 3, 11))
    with pytest.raises(InvalidAsOf):
        decide_suspension(POLICY, statement, datetime(2026, 3, 10, 12, 0))


def test_facts_or_payments_of_another_account_are_refused() -> None:
    statement = build_statement(account(), date(2026, 3, 10), invoices=[invoice("F-1")])
    with pytest.raises(AccountMismatch, match="A-2"):
        decide_suspension(
            POLICY, statement, date(2026, 3, 10), facts=AccountFacts(account_id="A-2")
        )
    other = attrs.evolve(_direct_debit("1.00", date(2026, 3, 9)), account_id="A-2")
    with pytest.raises(AccountMismatch, match="A-2"):
        decide_suspension(POLICY, statement, date(2026, 3, 10), pending=[other])


def test_state_of_another_account_is_refused() -> None:
    decision = decide(account(), date(2026, 3, 20), [invoice("F-1")])
    other = SuspensionState(account_id="A-2", suspended=True, reason_codes=("OVERDUE_DAYS",))
    with pytest.raises(AccountMismatch):
        transition(other, decision, date(2026, 3, 20))
    with pytest.raises(AccountMismatch):
        decision.next_state(other)


def test_transition_refuses_a_naive_datetime() -> None:
    decision = decide(account(), date(2026, 3, 20), [invoice("F-1")])
    with pytest.raises(InvalidAsOf):
        transition(None, decision, datetime(2026, 3, 20, 8, 0))


def test_next_state_keeps_since_while_reasons_change_and_returns_previous_when_unchanged() -> None:
    day_1 = decide(account(), date(2026, 3, 20), [invoice("F-1")])
    state = day_1.next_state(None)
    assert day_1.next_state(state) is state
    hold = Hold(
        id="H-1", account_id="A-1", reason="Fraud", starts_on=date(2026, 3, 21), suspends=True
    )
    day_2 = decide(
        account(), date(2026, 3, 21), [invoice("F-1")], AccountFacts(account_id="A-1", holds=[hold])
    )
    later = day_2.next_state(state)
    assert later.since == date(2026, 3, 20)
    assert later.reason_codes == ("MANUAL_HOLD", "OVERDUE_DAYS")
    assert transition(state, day_2, date(2026, 3, 21)) is None


def test_an_account_never_suspended_keeps_since_none() -> None:
    decision = decide(account(), date(2026, 3, 2), [invoice("F-1")])
    assert decision.next_state(None) == SuspensionState(account_id="A-1")
    assert transition(None, decision, date(2026, 3, 2)) is None


# -- properties -----------------------------------------------------------------------

FULL_POLICY = SuspensionPolicy(rules=(*POLICY.rules, CreditLimitExceeded()))


@st.composite
def cases(draw: st.DrawFn) -> tuple[ds.Portfolio, AccountFacts, tuple[Payment, ...]]:
    portfolio = draw(ds.portfolios())
    facts = draw(
        ds.account_facts(
            account=portfolio.account, invoices=portfolio.invoices, near=portfolio.as_of
        )
    )
    pending = tuple(p for p in portfolio.payments if p.status is PaymentStatus.PENDING)
    return portfolio, facts, pending


def _statement(portfolio: ds.Portfolio, **changes: object) -> AccountStatement:
    return attrs.evolve(portfolio, **changes).statement()


@given(cases())
def test_suspended_if_and_only_if_at_least_one_reason(
    case: tuple[ds.Portfolio, AccountFacts, tuple[Payment, ...]],
) -> None:
    portfolio, facts, pending = case
    statement = portfolio.statement()
    decision = decide_suspension(
        FULL_POLICY, statement, portfolio.as_of, facts=facts, pending=pending
    )
    assert decision.suspended == bool(decision.reasons)
    assert bool(decision.resumes_when) == decision.suspended
    assert all(r.effect == "SUSPEND" for r in decision.reasons)
    assert decision.requires_prepayment == bool(decision.prepayment_reasons)
    assert decision.next_state(None).suspended == decision.suspended


@given(cases(), st.randoms(use_true_random=False))
def test_decision_is_a_pure_function_of_its_inputs_whatever_their_order(
    case: tuple[ds.Portfolio, AccountFacts, tuple[Payment, ...]], rnd: object
) -> None:
    portfolio, facts, pending = case
    shuffle = rnd.shuffle  # type: ignore[attr-defined]

    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        copy = list(items)
        shuffle(copy)
        return tuple(copy)

    first = decide_suspension(
        FULL_POLICY, portfolio.statement(), portfolio.as_of, facts=facts, pending=pending
    )
    again = decide_suspension(
        FULL_POLICY, portfolio.statement(), portfolio.as_of, facts=facts, pending=pending
    )
    reordered = decide_suspension(
        FULL_POLICY,
        _statement(
            portfolio,
            invoices=shuffled(portfolio.invoices),
            payments=shuffled(portfolio.payments),
            credit_notes=shuffled(portfolio.credit_notes),
        ),
        portfolio.as_of,
        facts=AccountFacts(
            account_id=facts.account_id,
            promises=shuffled(facts.promises),
            disputes=shuffled(facts.disputes),
            proceedings=shuffled(facts.proceedings),
            holds=shuffled(facts.holds),
        ),
        pending=shuffled(pending),
    )
    assert first == again == reordered


@given(
    ds.portfolios(),
    st.integers(0, 120),
    st.integers(0, 120),
    st.one_of(st.none(), st.integers(0, 500_000)),
)
def test_more_days_past_due_never_unsuspends_an_overdue_days_account(
    portfolio: ds.Portfolio, later_by: int, start_offset: int, minimum_units: int | None
) -> None:
    currency = portfolio.account.currency
    minimums = () if minimum_units is None else (Money.from_minor(minimum_units, currency),)
    policy = SuspensionPolicy(rules=(OverdueDays(minimum_overdue=minimums),))
    pending = tuple(p for p in portfolio.payments if p.status is PaymentStatus.PENDING)
    earlier = portfolio.as_of + timedelta(days=start_offset)
    later = earlier + timedelta(days=later_by)
    first = decide_suspension(policy, portfolio.statement(earlier), earlier, pending=pending)
    second = decide_suspension(policy, portfolio.statement(later), later, pending=pending)
    if first.suspended:
        assert second.suspended
        assert second.reasons[0].facts["days_past_due"] >= first.reasons[0].facts["days_past_due"]


@given(cases())
def test_paying_the_whole_overdue_balance_clears_overdue_and_promise_reasons_only(
    case: tuple[ds.Portfolio, AccountFacts, tuple[Payment, ...]],
) -> None:
    portfolio, facts, pending = case
    before = portfolio.statement()
    assume(before.overdue_balance.is_positive)
    decision = decide_suspension(FULL_POLICY, before, portfolio.as_of, facts=facts, pending=pending)

    settle = Payment(
        id="PAY-SETTLE",
        account_id=portfolio.account.id,
        amount=before.overdue_balance,
        received_on=portfolio.as_of,
    )
    allocations = tuple(
        Allocation(
            invoice_number=item.invoice.number,
            amount=item.open_amount,
            kind=AllocationKind.CASH,
            source_id=settle.id,
        )
        for item in before.overdue_items
    )
    after = _statement(
        portfolio,
        payments=(*portfolio.payments, settle),
        allocations=(*portfolio.allocations, *allocations),
    )
    assert after.overdue_balance.is_zero
    paid = decide_suspension(FULL_POLICY, after, portfolio.as_of, facts=facts, pending=pending)

    cleared_by_payment = {"OVERDUE_DAYS", "BROKEN_PROMISE"}
    assert not {r.code for r in paid.reasons + paid.deferred} & cleared_by_payment
    kept = {"INSOLVENCY_OPEN", "MANUAL_HOLD"}
    assert {(r.code, r.subject) for r in decision.reasons if r.code in kept} == {
        (r.code, r.subject) for r in paid.reasons if r.code in kept
    }


def test_one_rule_of_the_policy_changes_without_rebuilding_the_others() -> None:
    policy = attrs.evolve(POLICY, overdue_days=OverdueDays(after_days={Segment.SMALL: 5}))
    assert policy.broken_promise == POLICY.broken_promise
    assert [type(rule).__name__ for rule in policy.rules] == [
        "OverdueDays",
        "BrokenPromise",
        "OpenInsolvency",
        "ManualHold",
    ]
    on = DUE + timedelta(days=6)
    assert decide(account(), on, [invoice("F-1")], policy=policy).suspended
    assert not decide(account(), on, [invoice("F-1")]).suspended


def test_rules_given_as_a_list_fill_the_named_fields() -> None:
    custom = SuspensionPolicy(rules=[OverdueDays(default_days=3), CreditLimitExceeded()])
    assert custom.overdue_days == OverdueDays(default_days=3)
    assert custom.credit_limit == CreditLimitExceeded()
    assert custom.broken_promise is None and custom.extra_rules == ()
    with pytest.raises(InvalidPolicy, match="either rules"):
        SuspensionPolicy(rules=[], overdue_days=None)


def test_a_scheduled_debit_dated_after_the_decision_day_is_in_flight_as_in_the_ladder() -> None:
    on = DUE + timedelta(days=16)
    debit = _direct_debit("100.00", on + timedelta(days=2))
    decision = decide(account(), on, [invoice("F-1")], pending=[debit])
    assert not decision.suspended
    assert decision.in_flight_payments == ("DD-1",)


def test_the_clearing_window_has_one_name_in_the_ladder_and_the_grace() -> None:
    assert InFlightGrace(clearing_window_days=3).clearing_window_days == 3
    with pytest.deprecated_call(match="clearing_window_days"):
        old = InFlightGrace(clearing_days=3)  # type: ignore[call-arg]
    assert old == InFlightGrace(clearing_window_days=3)
