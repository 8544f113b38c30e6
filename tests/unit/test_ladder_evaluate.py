"""evaluate_ladder / decide_ladder: what fires, what waits, and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from dunning_core import (
    Account,
    AccountFacts,
    Allocation,
    Channel,
    Contact,
    Dispute,
    Hold,
    InsolvencyProceeding,
    Invoice,
    Money,
    Payment,
    PostalAddress,
    PromiseToPay,
    build_statement,
)
from dunning_core.errors import AccountMismatch, InvalidAsOf, InvalidField
from dunning_core.policies.ladder import (
    ActionKind,
    CatchUp,
    DunningHistory,
    HandOver,
    Ladder,
    LadderAssignment,
    LadderDecision,
    Outcome,
    ReasonCode,
    Stage,
    StageRecord,
    action_key,
    decide_ladder,
    evaluate_ladder,
)

ADDRESS = PostalAddress(
    recipient="Boulangerie Kanak",
    lines=["12 rue Jean Jaurès"],
    postal_code="98800",
    city="Nouméa",
    country="NC",
)
CONTACT = Contact(
    name="Compta", email="compta@example.nc", mobile="+687751234", postal_address=ADDRESS
)
ACCOUNT = Account(
    id="A-1", name="Boulangerie Kanak", currency="EUR", timezone="Europe/Paris", contacts=[CONTACT]
)

LADDER = Ladder(
    name="test",
    stages=[
        Stage(key="soon", offset=-3, channels="EMAIL"),
        Stage(key="first", offset=1, channels="EMAIL"),
        Stage(key="second", offset=8, channels=["EMAIL", "SMS"]),
        Stage(key="formal", offset=15, channels="REGISTERED_LETTER", action="FORMAL_NOTICE"),
        Stage(key="hand_over", offset=30, action="HAND_OVER_TO_COLLECTION"),
    ],
)
DUE = date(2026, 3, 2)  # a Monday


def invoice(
    number: str, due_on: date = DUE, amount: str = "100.00", issued_days: int = 30
) -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=due_on - timedelta(days=issued_days),
        due_on=due_on,
        amount=Money(amount, "EUR"),
    )


def decide(
    on: date,
    invoices: list[Invoice],
    *,
    ladder: Ladder = LADDER,
    account: Account = ACCOUNT,
    history: DunningHistory | None = None,
    payments: tuple[Payment, ...] = (),
    allocations: tuple[Allocation, ...] = (),
    **kwargs: Any,
) -> LadderDecision:
    statement = build_statement(
        account, on, invoices=invoices, payments=payments, allocations=allocations
    )
    return decide_ladder(
        ladder,
        statement,
        history or DunningHistory.empty(account.id),
        on,
        payments=payments or kwargs.pop("pass_payments", None),
        allocations=allocations or None,
        **kwargs,
    )


def fired(decision: LadderDecision) -> list[tuple[str, str]]:
    """(invoice, stage) pairs that fired, across all actions."""
    return sorted({(line.invoice_number, line.stage) for a in decision.actions for line in a.lines})


# -- what is due ----------------------------------------------------------------------------


def test_nothing_before_the_first_stage_day() -> None:
    decision = decide(DUE - timedelta(days=4), [invoice("F-1")])
    assert decision.actions == ()
    assert [t.outcome for t in decision.trace] == [Outcome.WAITING]
    assert "next for invoice F-1: soon on 27 February 2026" in decision.explain()


def test_stage_fires_on_its_day_with_reasons_and_records() -> None:
    decision = decide(DUE + timedelta(days=1), [invoice("F-1")], history=_history(("F-1", "soon")))
    (action,) = decision.actions
    assert (action.stage, action.kind, action.channel) == (
        "first",
        ActionKind.REMIND,
        Channel.EMAIL,
    )
    assert action.invoice_numbers == ("F-1",)
    assert action.lines[0].days_past_due == 1
    assert action.lines[0].open_amount == Money("100.00", "EUR")
    assert action.reasons[0].code == ReasonCode.STAGE_DUE
    assert "invoice F-1 is 1 day(s) past due: stage first" in action.reasons[0].message
    (record,) = action.to_records()
    assert record == StageRecord(
        account_id="A-1",
        ladder="test",
        stage="first",
        invoice_numbers=("F-1",),
        fired_on=DUE + timedelta(days=1),
        skipped=False,
        action_key=action.key,
    )


def test_latest_only_fires_the_most_advanced_stage_and_records_the_skipped() -> None:
    decision = decide(DUE + timedelta(days=9), [invoice("F-1")])
    email, sms = decision.actions
    assert email.stage == sms.stage == "second"
    assert email.lines[0].skipped_stages == ("soon", "first")
    records = {(r.stage, r.skipped) for r in email.to_records()}
    assert records == {("second", False), ("soon", True), ("first", True)}
    assert any(r.code == ReasonCode.CAUGHT_UP for r in email.reasons)
    outcomes = [(t.stage, t.outcome) for t in decision.trace]
    assert ("soon", Outcome.SKIPPED) in outcomes
    assert ("second", Outcome.FIRED) in outcomes


def test_each_in_turn_fires_the_next_stage_only() -> None:
    ladder = attrs.evolve(LADDER, catch_up=CatchUp.EACH_IN_TURN)
    on = DUE + timedelta(days=9)
    history = DunningHistory.empty("A-1")
    stages = []
    for _ in range(3):
        decision = decide(on, [invoice("F-1")], ladder=ladder, history=history)
        stages.append(fired(decision))
        history = history.with_records(decision.records)
        on += timedelta(days=1)
    assert stages == [[("F-1", "soon")], [("F-1", "first")], [("F-1", "second")]]


def test_a_stage_already_recorded_never_fires_again() -> None:
    on = DUE + timedelta(days=1)
    first = decide(on, [invoice("F-1")])
    history = DunningHistory.empty("A-1").with_records(first.records)
    assert decide(on, [invoice("F-1")], history=history).actions == ()
    assert decide(on + timedelta(days=3), [invoice("F-1")], history=history).actions == ()


def test_stage_days_before_the_issue_date_do_not_apply() -> None:
    late_issue = invoice("F-1", issued_days=1)  # issued after the "soon" stage's day
    decision = decide(DUE - timedelta(days=1), [late_issue])
    assert decision.actions == ()
    decision = decide(DUE + timedelta(days=1), [late_issue])
    (action,) = decision.actions
    assert action.lines[0].skipped_stages == ()


def test_paid_invoice_gets_nothing() -> None:
    inv = invoice("F-1")
    pay = Payment(id="P-1", account_id="A-1", amount=Money("100.00", "EUR"), received_on=DUE)
    alloc = Allocation(
        invoice_number="F-1", amount=Money("100.00", "EUR"), kind="CASH", source_id="P-1"
    )
    decision = decide(DUE + timedelta(days=20), [inv], payments=(pay,), allocations=(alloc,))
    assert decision.actions == ()
    assert decision.trace == ()


# -- pauses ---------------------------------------------------------------------------------


def facts(**kwargs: Any) -> AccountFacts:
    return AccountFacts(account_id="A-1", **kwargs)


def test_disputed_invoice_is_paused_and_explained() -> None:
    dispute = Dispute(
        id="D-1", account_id="A-1", invoice_number="F-2024-031", opened_on=date(2026, 3, 3)
    )
    on = DUE + timedelta(days=9)
    decision = decide(on, [invoice("F-2024-031"), invoice("F-2")], facts=facts(disputes=[dispute]))
    assert fired(decision) == [("F-2", "second")]
    assert (
        "F-2024-031: no reminder: invoice F-2024-031 is disputed since 3 March 2026"
        in decision.explain()
    )
    paused = [t for t in decision.trace if t.outcome is Outcome.PAUSED]
    assert paused[0].reason.code == ReasonCode.DISPUTED


def test_ladder_resumes_where_it_stood_after_a_dispute() -> None:
    dispute = Dispute(
        id="D-1",
        account_id="A-1",
        invoice_number="F-1",
        opened_on=DUE,
        resolved_on=DUE + timedelta(days=10),
    )
    history = _history(("F-1", "soon"))
    paused = decide(
        DUE + timedelta(days=9), [invoice("F-1")], history=history, facts=facts(disputes=[dispute])
    )
    assert paused.actions == ()
    resumed = decide(
        DUE + timedelta(days=10), [invoice("F-1")], history=history, facts=facts(disputes=[dispute])
    )
    (email, _sms) = resumed.actions
    assert email.stage == "second"
    assert email.lines[0].skipped_stages == ("first",)  # "soon" stays fired, not re-sent


def test_invoice_hold_and_account_hold() -> None:
    hold = Hold(
        id="H-1",
        account_id="A-1",
        reason="credit note coming",
        starts_on=DUE,
        ends_on=DUE + timedelta(days=5),
        invoice_number="F-1",
    )
    on = DUE + timedelta(days=2)
    decision = decide(on, [invoice("F-1"), invoice("F-2")], facts=facts(holds=[hold]))
    assert fired(decision) == [("F-2", "first")]
    assert "invoice F-1 is on hold until 7 March 2026 (credit note coming)" in decision.explain()
    account_hold = attrs.evolve(hold, invoice_number=None, ends_on=None)
    decision = decide(on, [invoice("F-1"), invoice("F-2")], facts=facts(holds=[account_hold]))
    assert decision.actions == ()
    assert decision.trace[0].reason.code == ReasonCode.ACCOUNT_HOLD
    assert "until lifted" in decision.explain()


def test_promise_to_pay_pauses_until_its_date_plus_grace() -> None:
    promise = PromiseToPay(
        id="PR-1",
        account_id="A-1",
        made_on=DUE,
        due_on=DUE + timedelta(days=5),
        amount=Money("100.00", "EUR"),
        invoice_numbers=("F-1",),
    )
    ladder = attrs.evolve(LADDER, promise_grace_days=2)
    for days, paused in [(1, True), (7, True), (8, False)]:
        decision = decide(
            DUE + timedelta(days=days),
            [invoice("F-1")],
            ladder=ladder,
            facts=facts(promises=[promise]),
        )
        assert (decision.actions == ()) is paused, days
    account_wide = attrs.evolve(promise, invoice_numbers=())
    decision = decide(
        DUE + timedelta(days=3),
        [invoice("F-1")],
        ladder=ladder,
        facts=facts(promises=[account_wide]),
    )
    assert decision.actions == ()
    assert decision.trace[0].reason.code == ReasonCode.PROMISE_TO_PAY


def test_pending_direct_debit_covering_the_invoice_pauses_within_its_window() -> None:
    debit = Payment(
        id="DD-1",
        account_id="A-1",
        amount=Money("100.00", "EUR"),
        received_on=DUE,
        method="DIRECT_DEBIT",
        status="PENDING",
    )
    on = DUE + timedelta(days=9)  # 7 business days after the debit: still in flight
    decision = decide(on, [invoice("F-1")], payments=(debit,))
    assert decision.actions == ()
    assert "covered by payment in flight: direct debit DD-1 of 100.00 EUR" in decision.explain()
    # Ten business days after 2 March is 16 March; the next day it no longer counts.
    assert decide(DUE + timedelta(days=14), [invoice("F-1")], payments=(debit,)).actions == ()
    assert decide(DUE + timedelta(days=15), [invoice("F-1")], payments=(debit,)).actions != ()


def test_money_in_flight_covers_oldest_invoices_first() -> None:
    retry = Payment(
        id="CARD-1",
        account_id="A-1",
        amount=Money("150.00", "EUR"),
        received_on=DUE + timedelta(days=12),
        method="CARD",
        status="PENDING",
    )  # a card retry scheduled in the future
    old, young = invoice("F-1", DUE), invoice("F-2", DUE + timedelta(days=1))
    decision = decide(DUE + timedelta(days=10), [old, young], payments=(retry,))
    assert fired(decision) == [("F-2", "second")]


def test_money_in_flight_is_read_from_the_payments_not_the_statement_total() -> None:
    debit = Payment(
        id="DD-1",
        account_id="A-1",
        amount=Money("100.00", "EUR"),
        received_on=DUE,
        status="PENDING",
    )
    on = DUE + timedelta(days=5)
    statement = build_statement(ACCOUNT, on, invoices=[invoice("F-1")], payments=[debit])
    assert statement.pending == Money("100.00", "EUR")
    history = DunningHistory.empty()
    assert evaluate_ladder(LADDER, statement, history, on, payments=[debit]) == ()
    assert evaluate_ladder(LADDER, statement, history, on) != ()


def test_no_dunning_tag_pauses_the_account() -> None:
    account = attrs.evolve(ACCOUNT, tags={"no-dunning"})
    decision = decide(DUE + timedelta(days=9), [invoice("F-1")], account=account)
    assert decision.actions == ()
    assert decision.explain() == "account A-1: no reminder: account A-1 is tagged no-dunning"


def test_open_insolvency_proceeding_declares_the_claim_once_instead_of_reminding() -> None:
    proceeding = InsolvencyProceeding(
        id="RJ-1",
        account_id="A-1",
        kind="RECEIVERSHIP",
        opened_on=DUE + timedelta(days=5),
        reference="RG 26/00123",
        court="Tribunal mixte de commerce de Nouméa",
    )
    later = invoice("F-3", DUE + timedelta(days=30), issued_days=10)  # issued after the opening
    on = DUE + timedelta(days=9)
    decision = decide(
        on, [invoice("F-1"), invoice("F-2"), later], facts=facts(proceedings=[proceeding])
    )
    (claim,) = decision.actions
    assert claim.kind is ActionKind.DECLARE_CLAIM
    assert claim.channel is None
    assert claim.invoice_numbers == ("F-1", "F-2")
    assert claim.stage == "declare-claim/RJ-1"
    assert "RG 26/00123" in claim.reasons[1].message
    assert "receivership proceeding RG 26/00123 open since 7 March 2026" in decision.explain()
    history = DunningHistory.from_records(claim.to_records())
    again = decide(
        on + timedelta(days=20),
        [invoice("F-1"), invoice("F-2"), later],
        history=history,
        facts=facts(proceedings=[proceeding]),
    )
    assert again.actions == ()
    ruled = attrs.evolve(proceeding, ruled_on=on + timedelta(days=30))
    ruling_day = on + timedelta(days=30)
    after = decide(
        ruling_day, [invoice("F-1"), later], history=history, facts=facts(proceedings=[ruled])
    )
    # F-1 is a claim in the proceeding: never dunned again; F-3 follows the ladder.
    assert {n for action in after.actions for n in action.invoice_numbers} == {"F-3"}
    assert "invoice F-1 is a claim in the insolvency proceeding" in after.explain()
    claim_only = decide(
        ruling_day, [invoice("F-1")], history=history, facts=facts(proceedings=[ruled])
    )
    assert claim_only.actions == ()  # no termination on the ruling day


# -- the gap between notices, minimums, preconditions ---------------------------------------


def test_minimum_gap_holds_notices_back_until_allowed() -> None:
    ladder = attrs.evolve(LADDER, min_days_between_notices=5)
    history = _history(("F-1", "soon"), ("F-1", "first"), day=DUE + timedelta(days=6))
    other = invoice("F-2", DUE + timedelta(days=7))
    decision = decide(
        DUE + timedelta(days=8), [invoice("F-1"), other], ladder=ladder, history=history
    )
    assert decision.actions == ()
    assert (
        "waits until 13 March 2026: the previous notice went out on 8 March 2026"
        in decision.explain()
    )
    decision = decide(
        DUE + timedelta(days=11), [invoice("F-1"), other], ladder=ladder, history=history
    )
    assert fired(decision) == [("F-1", "second"), ("F-2", "first")]


def test_stage_below_its_minimum_is_passed_over() -> None:
    ladder = Ladder(
        name="min",
        stages=[
            Stage(key="first", offset=1, channels="EMAIL"),
            Stage(key="second", offset=8, channels="EMAIL", min_overdue=Money("50.00", "EUR")),
        ],
    )
    small = invoice("F-1", amount="20.00")
    decision = decide(DUE + timedelta(days=9), [small], ladder=ladder)
    assert fired(decision) == [("F-1", "first")]  # the latest stage that applies
    assert "20.00 EUR at stake, below its minimum of 50.00 EUR" in decision.explain()
    big = [small, invoice("F-2", amount="40.00")]  # 60.00 EUR overdue in all
    assert fired(decide(DUE + timedelta(days=9), big, ladder=ladder)) == [
        ("F-1", "second"),
        ("F-2", "second"),
    ]
    usd = Ladder(
        name="usd",
        stages=[Stage(key="s", offset=1, channels="EMAIL", min_overdue=Money("500", "USD"))],
    )
    assert fired(decide(DUE + timedelta(days=2), [small], ladder=usd)) == [("F-1", "s")]


def test_channel_without_a_contact_is_dropped_and_a_stage_with_none_is_blocked() -> None:
    account = attrs.evolve(ACCOUNT, contacts=[Contact(email="compta@example.nc")])
    decision = decide(
        DUE + timedelta(days=8),
        [invoice("F-1")],
        account=account,
        history=_history(("F-1", "first")),
    )
    (email,) = decision.actions
    assert email.channel is Channel.EMAIL
    assert any(r.code == ReasonCode.NO_CONTACT and "no SMS" in r.message for r in email.reasons)
    history = _history(("F-1", "first"), ("F-1", "second"))
    decision = decide(DUE + timedelta(days=15), [invoice("F-1")], account=account, history=history)
    assert decision.actions == ()
    blocked = [t for t in decision.trace if t.outcome is Outcome.BLOCKED]
    assert "no REGISTERED_LETTER to account A-1: no postal address" in blocked[0].reason.message


def test_registered_letter_needs_a_complete_address() -> None:
    partial = attrs.evolve(ADDRESS, postal_code="", city="")
    account = attrs.evolve(ACCOUNT, contacts=[attrs.evolve(CONTACT, postal_address=partial)])
    history = _history(("F-1", "second"))
    decision = decide(DUE + timedelta(days=15), [invoice("F-1")], account=account, history=history)
    assert decision.actions == ()
    assert "the postal address lacks postal_code, city" in decision.explain()


# -- hand-over, chargebacks ------------------------------------------------------------------


def test_hand_over_is_reviewed_by_default_and_automatic_when_the_account_says_so() -> None:
    on = DUE + timedelta(days=30)
    history = _history(("F-1", "formal"))
    (op,) = decide(on, [invoice("F-1")], history=history).actions
    assert op.kind is ActionKind.HAND_OVER_TO_COLLECTION
    assert op.channel is None
    assert op.needs_review
    assert any(r.code == ReasonCode.REVIEW_REQUIRED for r in op.reasons)
    auto = LadderAssignment(account_id="A-1", ladder="test", hand_over=HandOver.AUTOMATIC)
    (op,) = decide(on, [invoice("F-1")], history=history, assignment=auto).actions
    assert not op.needs_review


def test_hand_over_without_a_complete_address_is_blocked_until_the_address_is_complete() -> None:
    account = attrs.evolve(ACCOUNT, contacts=[Contact(email="compta@example.nc")])
    auto = LadderAssignment(account_id="A-1", ladder="test", hand_over="AUTOMATIC")
    history = _history(("F-1", "formal"))
    blocked = decide(
        DUE + timedelta(days=30),
        [invoice("F-1")],
        account=account,
        history=history,
        assignment=auto,
    )
    assert blocked.actions == () and blocked.records == ()  # not carried out, not recorded
    (entry,) = [t for t in blocked.trace if t.outcome is Outcome.BLOCKED]
    assert entry.reason.code == ReasonCode.ADDRESS_INCOMPLETE and entry.stage == "hand_over"
    assert "needs a complete postal address" in entry.reason.message
    # The first run after the address is completed hands the file over.
    (op,) = decide(
        DUE + timedelta(days=31),
        [invoice("F-1")],
        account=ACCOUNT,
        history=history,
        assignment=auto,
    ).actions
    assert op.kind is ActionKind.HAND_OVER_TO_COLLECTION and not op.needs_review


def test_chargeback_goes_straight_to_collection_when_the_option_says_so() -> None:
    inv = invoice("F-1")
    pay = Payment(
        id="P-1",
        account_id="A-1",
        amount=Money("100.00", "EUR"),
        received_on=DUE,
        status="CHARGED_BACK",
    )
    alloc = Allocation(
        invoice_number="F-1", amount=Money("100.00", "EUR"), kind="CASH", source_id="P-1"
    )
    history = _history(("F-1", "soon"))
    on = DUE + timedelta(days=2)
    option = LadderAssignment(
        account_id="A-1", ladder="test", hand_over="AUTOMATIC", chargebacks_to_collection=True
    )
    decision = decide(
        on, [inv], history=history, payments=(pay,), allocations=(alloc,), assignment=option
    )
    (op,) = decision.actions
    assert op.kind is ActionKind.HAND_OVER_TO_COLLECTION
    assert op.lines[0].skipped_stages == ("first", "second", "formal")
    assert any(r.code == ReasonCode.CHARGEBACK for r in op.reasons)
    without = attrs.evolve(option, chargebacks_to_collection=False)
    decision = decide(
        on, [inv], history=history, payments=(pay,), allocations=(alloc,), assignment=without
    )
    assert fired(decision) == [("F-1", "first")]


# -- restart on partial payment, ladder change ------------------------------------------------


def test_partial_payment_restarts_the_ladder_when_the_ladder_says_so() -> None:
    ladder = attrs.evolve(LADDER, restart_on_partial_payment=True)
    inv = invoice("F-1")
    pay = Payment(
        id="P-1",
        account_id="A-1",
        amount=Money("40.00", "EUR"),
        received_on=DUE + timedelta(days=10),
    )
    alloc = Allocation(
        invoice_number="F-1", amount=Money("40.00", "EUR"), kind="CASH", source_id="P-1"
    )
    history = _history(
        ("F-1", "soon"), ("F-1", "first"), ("F-1", "second"), day=DUE + timedelta(days=8)
    )
    kwargs: dict[str, Any] = {
        "ladder": ladder,
        "history": history,
        "payments": (pay,),
        "allocations": (alloc,),
    }
    assert decide(DUE + timedelta(days=10), [inv], **kwargs).actions == ()
    decision = decide(DUE + timedelta(days=11), [inv], **kwargs)  # payment day + 1: "first"
    (action,) = decision.actions
    assert action.stage == "first"
    assert action.lines[0].round_start == DUE + timedelta(days=10)
    assert action.lines[0].open_amount == Money("60.00", "EUR")
    assert any(r.code == ReasonCode.RESTARTED for r in action.reasons)
    first_round_key = action_key("A-1", "test", "first", Channel.EMAIL, ["F-1"])
    assert action.key != first_round_key
    # Without the option, the same payment changes nothing but the amount.
    plain = decide(
        DUE + timedelta(days=11), [inv], history=history, payments=(pay,), allocations=(alloc,)
    )
    assert plain.actions == ()


def test_restart_needs_payments_and_allocations() -> None:
    ladder = attrs.evolve(LADDER, restart_on_partial_payment=True)
    statement = build_statement(ACCOUNT, DUE, invoices=[invoice("F-1")])
    with pytest.raises(InvalidField) as raised:
        evaluate_ladder(ladder, statement, DunningHistory.empty(), DUE)
    assert raised.value.field == "payments"


def test_after_a_ladder_change_stages_already_covered_count_as_done() -> None:
    old = _history(("F-1", "first"), ("F-1", "second"), day=DUE + timedelta(days=8), ladder="old")
    other = Ladder(
        name="new",
        stages=[
            Stage(key="r1", offset=3, channels="EMAIL"),
            Stage(key="r2", offset=12, channels="EMAIL"),
        ],
    )
    decision = decide(DUE + timedelta(days=9), [invoice("F-1")], ladder=other, history=old)
    assert decision.actions == ()  # r1 (day 3) was covered by the old ladder's day-8 notice
    decision = decide(DUE + timedelta(days=12), [invoice("F-1")], ladder=other, history=old)
    assert fired(decision) == [("F-1", "r2")]


# -- keys, times, errors ---------------------------------------------------------------------


def test_action_key_is_deterministic_and_independent_of_invoice_order() -> None:
    a = action_key("A-1", "test", "first", Channel.EMAIL, ["F-2", "F-1"])
    assert a == action_key("A-1", "test", "first", Channel.EMAIL, ["F-1", "F-2"])
    assert len(a) == 64
    assert a != action_key("A-1", "test", "first", Channel.SMS, ["F-1", "F-2"])
    assert a != action_key("A-1", "test", "second", Channel.EMAIL, ["F-1", "F-2"])
    assert a != action_key("A-2", "test", "first", Channel.EMAIL, ["F-1", "F-2"])
    on = DUE + timedelta(days=9)
    assert decide(on, [invoice("F-1")]).actions == decide(on, [invoice("F-1")]).actions


def test_sms_waits_for_business_hours_and_email_goes_at_once() -> None:
    saturday = date(2026, 3, 14)
    history = _history(("F-1", "first"))
    email, sms = decide(
        saturday, [invoice("F-1", saturday - timedelta(days=8))], history=history
    ).actions
    paris = ACCOUNT.tz
    assert email.not_before == datetime(2026, 3, 14, 0, 0, tzinfo=paris)
    assert sms.not_before == datetime(2026, 3, 16, 9, 0, tzinfo=paris)
    moment = datetime(2026, 3, 16, 10, 15, tzinfo=UTC)  # 11:15 in Paris, a Monday
    statement = build_statement(ACCOUNT, moment, invoices=[invoice("F-1", date(2026, 3, 8))])
    _, sms = evaluate_ladder(LADDER, statement, history, moment)
    assert sms.not_before == moment


def test_inputs_for_another_account_or_day_are_refused() -> None:
    statement = build_statement(ACCOUNT, DUE, invoices=[invoice("F-1")])
    with pytest.raises(InvalidAsOf):
        evaluate_ladder(LADDER, statement, DunningHistory.empty(), DUE + timedelta(days=1))
    with pytest.raises(InvalidAsOf):
        evaluate_ladder(LADDER, statement, DunningHistory.empty(), datetime(2026, 3, 2, 12, 0))
    with pytest.raises(AccountMismatch):
        evaluate_ladder(LADDER, statement, DunningHistory.empty("A-2"), DUE)
    with pytest.raises(AccountMismatch):
        evaluate_ladder(
            LADDER, statement, DunningHistory.empty(), DUE, facts=AccountFacts(account_id="A-2")
        )
    with pytest.raises(InvalidField):
        evaluate_ladder(
            LADDER,
            statement,
            DunningHistory.empty(),
            DUE,
            assignment=LadderAssignment(account_id="A-1", ladder="other"),
        )


def test_fees_are_booked_once_per_invoice_and_stage_whatever_the_channels() -> None:
    ladder = Ladder(
        name="fees",
        stages=[
            Stage(key="notice", offset=5, channels=["EMAIL", "SMS"], fee=Money("15.00", "EUR")),
        ],
    )
    decision = decide(DUE + timedelta(days=5), [invoice("F-1"), invoice("F-2")], ladder=ladder)
    email, sms = decision.actions
    assert email.fee == sms.fee == Money("30.00", "EUR")
    assert len(decision.charges) == 2
    assert {c.invoice_number for c in decision.charges} == {"F-1", "F-2"}
    assert all(c.amount == Money("15.00", "EUR") for c in decision.charges)
    assert email.fee_charges() == sms.fee_charges()


def _history(*pairs: tuple[str, str], day: date = DUE, ladder: str = "test") -> DunningHistory:
    return DunningHistory.from_records(
        StageRecord(
            account_id="A-1",
            ladder=ladder,
            stage=stage,
            invoice_numbers=(number,),
            fired_on=day,
            skipped=False,
            action_key=f"k-{number}-{stage}",
        )
        for number, stage in pairs
    )


def test_trace_covers_every_open_invoice_in_statement_order() -> None:
    dispute = Dispute(id="D-1", account_id="A-1", invoice_number="F-B", opened_on=DUE)
    invoices = [
        invoice("F-A", DUE),
        invoice("F-B", DUE + timedelta(days=1)),
        invoice("F-C", DUE + timedelta(days=35)),
    ]
    decision = decide(DUE + timedelta(days=9), invoices, facts=facts(disputes=[dispute]))
    assert [(t.invoice_number, t.stage, t.outcome) for t in decision.trace] == [
        ("F-A", "soon", Outcome.SKIPPED),
        ("F-A", "first", Outcome.SKIPPED),
        ("F-A", "second", Outcome.FIRED),
        ("F-B", "second", Outcome.PAUSED),
        ("F-C", "soon", Outcome.WAITING),
    ]
    assert decision.explain().splitlines() == [
        "F-A: stage soon skipped for invoice F-A: caught up to second",
        "F-A: stage first skipped for invoice F-A: caught up to second",
        "F-A: invoice F-A is 9 day(s) past due: stage second, REMIND by EMAIL, SMS",
        "F-B: no reminder: invoice F-B is disputed since 2 March 2026",
        "F-C: next for invoice F-C: soon on 3 April 2026",
    ]
