"""Each policy's part of an account's wake-up date (issue 13): the earliest later day on
which its answer can change with the same documents and facts.

Every case checks the date itself and what it promises: on the day before it, the policy
still gives the answer it gave (once today's actions are recorded), and on that day the
answer changes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dunning_core import (
    Account,
    AccountFacts,
    Contact,
    Dispute,
    Hold,
    InsolvencyProceeding,
    Invoice,
    Money,
    Payment,
    PromiseToPay,
    build_statement,
)
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.invoice import CreditNote
from dunning_core.policies.credit import credit_wakes_on
from dunning_core.policies.in_flight import flight_ends_on, is_in_flight
from dunning_core.policies.ladder import (
    DECLARE_CLAIM_PREFIX,
    CatchUp,
    DayBasis,
    DunningHistory,
    Ladder,
    Stage,
    decide_ladder,
)
from dunning_core.policies.suspension import (
    BrokenPromise,
    CreditLimitExceeded,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
    SuspensionContext,
    SuspensionPolicy,
    decide_suspension,
)

D = date(2026, 3, 2)  # a Monday
ACCOUNT = Account(
    id="A-1",
    name="ACME",
    currency="EUR",
    contacts=[Contact(name="AP", email="ap@acme.example")],
)
EUR = Money("100.00", "EUR")


def days(n: int) -> timedelta:
    return timedelta(days=n)


def invoice(number: str, due_on: date, issued_on: date | None = None) -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=issued_on or due_on - days(30),
        due_on=due_on,
        amount=EUR,
    )


# -- the statement --------------------------------------------------------------------------


def test_the_statement_changes_when_a_later_document_arrives_or_an_item_falls_due() -> None:
    invoices = [invoice("F-1", D + days(5)), invoice("F-2", D + days(20), issued_on=D + days(3))]
    payment = Payment(id="P-1", account_id="A-1", amount=EUR, received_on=D + days(9))
    note = CreditNote(number="C-1", account_id="A-1", issued_on=D + days(4), amount=EUR)
    statement = build_statement(
        ACCOUNT, D, invoices=invoices, payments=[payment], credit_notes=[note]
    )
    assert statement.next_document_on == D + days(3)  # F-2 is issued
    assert statement.next_change_on == D + days(3)
    alone = build_statement(ACCOUNT, D, invoices=invoices[:1])
    assert alone.next_document_on is None
    assert alone.next_change_on == D + days(6)  # F-1 is past due the day after its date
    assert build_statement(ACCOUNT, D + days(6), invoices=invoices[:1]).next_change_on is None


def test_credit_alerts_change_only_with_the_documents() -> None:
    statement = build_statement(ACCOUNT, D, invoices=[invoice("F-1", D + days(5))])
    assert credit_wakes_on(statement) is None  # falling due leaves the balance as it is
    later = build_statement(ACCOUNT, D, invoices=[invoice("F-2", D + days(40), D + days(10))])
    assert credit_wakes_on(later) == D + days(10)


# -- the ladder ----------------------------------------------------------------------------

LADDER = Ladder(
    name="test",
    stages=[
        Stage(key="soon", offset=-3, channels="EMAIL"),
        Stage(key="first", offset=1, channels="EMAIL"),
        Stage(key="second", offset=8, channels="EMAIL"),
        Stage(key="third", offset=10, basis=DayBasis.BUSINESS, channels="EMAIL"),
    ],
)


def _decide(
    ladder: Ladder,
    on: date,
    invoices: list[Invoice],
    history: DunningHistory | None = None,
    facts: AccountFacts | None = None,
    payments: tuple[Payment, ...] = (),
) -> tuple[tuple[str, ...], date | None, DunningHistory]:
    """The stages decided on ``on``, the wake-up date, and the history with them."""
    history = history or DunningHistory.from_records((), account_id="A-1")
    statement = build_statement(ACCOUNT, on, invoices=invoices, payments=payments)
    decision = decide_ladder(
        ladder,
        statement,
        history,
        on,
        facts=facts,
        payments=payments,
        allocations=(),
        explain=False,
    )
    assert decision.trace == ()
    records = [*history.records, *decision.records]
    return (
        tuple(a.stage for a in decision.actions),
        decision.wakes_on,
        DunningHistory.from_records(records, account_id="A-1"),
    )


def _quiet_until(
    ladder: Ladder,
    today: date,
    wake: date,
    invoices: list[Invoice],
    history: DunningHistory,
    **kwargs: object,
) -> None:
    """Nothing fires from the day after ``today`` to the day before ``wake``."""
    day = today + days(1)
    while day < wake:
        fired, _, _ = _decide(ladder, day, invoices, history, **kwargs)  # type: ignore[arg-type]
        assert fired == (), day
        day += days(1)


def test_the_ladder_wakes_on_the_next_stage_date() -> None:
    due = D + days(10)
    invoices = [invoice("F-1", due)]
    fired, wake, history = _decide(LADDER, D, invoices)
    assert fired == () and wake == due - days(3)
    fired, wake, history = _decide(LADDER, due - days(3), invoices, history)
    assert fired == ("soon",) and wake == due + days(1)
    _quiet_until(LADDER, due - days(3), wake, invoices, history)
    fired, wake, history = _decide(LADDER, due + days(1), invoices, history)
    assert fired == ("first",) and wake == due + days(8)
    fired, wake, history = _decide(LADDER, due + days(8), invoices, history)
    # the third stage counts 10 business days from the due date (a Thursday)
    assert fired == ("second",) and wake == BusinessCalendar().shift(due, 10)
    fired, wake, _ = _decide(LADDER, wake, invoices, history)
    assert fired == ("third",) and wake is None  # nothing left but a new document


def test_a_stage_caught_up_in_turn_wakes_the_next_day() -> None:
    ladder = Ladder(name="turns", stages=LADDER.stages, catch_up=CatchUp.EACH_IN_TURN)
    invoices = [invoice("F-1", D - days(9))]  # first and second are both due
    fired, wake, history = _decide(ladder, D, invoices)
    assert fired == ("soon",) and wake == D + days(1)
    fired, wake, _ = _decide(ladder, D + days(1), invoices, history)
    assert fired == ("first",) and wake == D + days(2)


def test_a_held_back_notice_wakes_on_the_first_day_allowed() -> None:
    ladder = Ladder(name="gap", stages=LADDER.stages, min_days_between_notices=5)
    invoices = [invoice("F-1", D - days(1)), invoice("F-2", D + days(1))]
    fired, wake, history = _decide(ladder, D, invoices)
    assert fired == ("first",)  # F-1's first notice
    fired, wake, history = _decide(ladder, D + days(2), invoices, history)
    assert fired == () and wake == D + days(5)  # F-2's first waits five days after F-1's
    _quiet_until(ladder, D + days(2), wake, invoices, history)
    fired, _, _ = _decide(ladder, D + days(5), invoices, history)
    assert fired == ("first",)


@pytest.mark.parametrize(
    ("facts", "resumes"),
    [
        (
            AccountFacts(
                account_id="A-1",
                holds=[
                    Hold(id="H", account_id="A-1", reason="r", starts_on=D, ends_on=D + days(6))
                ],
            ),
            D + days(7),
        ),
        (
            AccountFacts(
                account_id="A-1",
                disputes=[
                    Dispute(
                        id="X",
                        account_id="A-1",
                        invoice_number="F-1",
                        opened_on=D - days(1),
                        resolved_on=D + days(4),
                    )
                ],
            ),
            D + days(4),
        ),
        (
            AccountFacts(
                account_id="A-1",
                promises=[
                    PromiseToPay(
                        id="PR", account_id="A-1", made_on=D, due_on=D + days(2), amount=EUR
                    )
                ],
            ),
            D + days(2 + 3 + 1),  # the date plus the ladder's 3 days of grace
        ),
    ],
    ids=["hold", "dispute", "promise"],
)
def test_a_pause_wakes_the_ladder_when_it_ends(facts: AccountFacts, resumes: date) -> None:
    invoices = [invoice("F-1", D - days(2))]  # its first stage is due and paused
    fired, wake, history = _decide(LADDER, D, invoices, facts=facts)
    assert fired == () and wake == resumes
    _quiet_until(LADDER, D, wake, invoices, history, facts=facts)
    fired, _, _ = _decide(LADDER, resumes, invoices, history, facts=facts)
    assert fired != ()


def test_money_in_flight_wakes_the_ladder_when_its_window_closes() -> None:
    debit = Payment(
        id="DD", account_id="A-1", amount=EUR, received_on=D - days(1), status="PENDING"
    )
    invoices = [invoice("F-1", D - days(2))]
    ladder = Ladder(name="one", stages=[Stage(key="first", offset=1, channels="EMAIL")])
    fired, wake, history = _decide(ladder, D, invoices, payments=(debit,))
    assert fired == ()
    assert wake == flight_ends_on(debit, window_days=10, calendar=BusinessCalendar())
    assert wake is not None
    assert is_in_flight(debit, wake - days(1), window_days=10, calendar=BusinessCalendar())
    assert not is_in_flight(debit, wake, window_days=10, calendar=BusinessCalendar())
    fired, _, _ = _decide(ladder, wake, invoices, history, payments=(debit,))
    assert fired == ("first",)


def test_an_insolvency_ruling_wakes_the_ladder() -> None:
    proceeding = InsolvencyProceeding(
        id="IP", account_id="A-1", kind="BANKRUPTCY", opened_on=D, ruled_on=D + days(40)
    )
    facts = AccountFacts(account_id="A-1", proceedings=[proceeding])
    fired, wake, _ = _decide(LADDER, D, [invoice("F-1", D - days(2))], facts=facts)
    assert fired == (DECLARE_CLAIM_PREFIX + "IP",) and wake == D + days(40)


# -- suspension ----------------------------------------------------------------------------


def _context(
    on: date, invoices: list[Invoice], facts: AccountFacts | None = None
) -> SuspensionContext:
    return SuspensionContext(
        statement=build_statement(ACCOUNT, on, invoices=invoices),
        facts=facts or AccountFacts(account_id="A-1"),
        on=on,
    )


def test_overdue_days_wake_on_the_day_the_oldest_invoice_crosses_the_threshold() -> None:
    invoices = [invoice("F-1", D - days(3)), invoice("F-2", D - days(10))]
    rule = OverdueDays()  # a small customer: more than 15 days
    assert rule.wakes_on(_context(D, invoices)) == D - days(10) + days(16)
    crossing = D + days(6)
    assert rule.reasons(_context(crossing - days(1), invoices)) == ()
    assert rule.reasons(_context(crossing, invoices)) != ()


def test_each_built_in_rule_names_its_own_days() -> None:
    facts = AccountFacts(
        account_id="A-1",
        promises=[
            PromiseToPay(id="PR", account_id="A-1", made_on=D, due_on=D + days(5), amount=EUR)
        ],
        proceedings=[
            InsolvencyProceeding(id="IP", account_id="A-1", kind="OTHER", opened_on=D + days(9))
        ],
        holds=[
            Hold(
                id="H",
                account_id="A-1",
                reason="r",
                starts_on=D + days(2),
                ends_on=D + days(3),
                suspends=True,
            )
        ],
    )
    context = _context(D, [], facts)
    assert BrokenPromise(grace_days=1).wakes_on(context) == D + days(7)
    assert OpenInsolvency().wakes_on(context) == D + days(9)
    assert ManualHold().wakes_on(context) == D + days(2)
    assert ManualHold().wakes_on(_context(D + days(2), [], facts)) == D + days(4)
    assert CreditLimitExceeded().wakes_on(context) is None


class _Custom:
    """A user's rule without wakes_on."""

    def reasons(self, context: SuspensionContext) -> tuple[()]:
        return ()


def test_the_decision_keeps_the_earliest_part_and_a_rule_without_one_asks_daily() -> None:
    invoices = [invoice("F-1", D - days(3))]
    statement = build_statement(ACCOUNT, D, invoices=invoices)
    assert decide_suspension(SuspensionPolicy(), statement, D).wakes_on == D + days(13)
    custom = SuspensionPolicy(extra_rules=[_Custom()])
    assert decide_suspension(custom, statement, D).wakes_on == D + days(1)


def test_the_in_flight_grace_wakes_suspension_when_the_window_closes() -> None:
    invoices = [invoice("F-1", D - days(20))]  # 20 days late: suspended, unless in flight
    debit = Payment(id="DD", account_id="A-1", amount=EUR, received_on=D, status="PENDING")
    statement = build_statement(ACCOUNT, D, invoices=invoices, payments=[debit])
    decision = decide_suspension(SuspensionPolicy(), statement, D, pending=[debit])
    assert not decision.suspended and decision.deferred
    ends = flight_ends_on(debit, window_days=10, calendar=BusinessCalendar())
    assert decision.wakes_on == ends == D + days(15)  # 10 business days, then the next day
    later = build_statement(ACCOUNT, ends, invoices=invoices, payments=[debit])
    assert decide_suspension(SuspensionPolicy(), later, ends, pending=[debit]).suspended
