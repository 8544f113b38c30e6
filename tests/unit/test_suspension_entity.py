"""Deciding suspension for a billing entity as a whole (several accounts, one customer)."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import (
    Account,
    AccountFacts,
    AccountMismatch,
    BillingEntity,
    CurrencyMismatch,
    Hold,
    InvalidAsOf,
    InvalidField,
    Invoice,
    Money,
    Payment,
    PaymentStatus,
    Segment,
    build_statement,
)
from dunning_core.domain.statement import AccountStatement
from dunning_core.policies.suspension import (
    OverdueDays,
    SuspensionPolicy,
    decide_entity_suspension,
    decide_suspension,
    merge_facts,
    merge_statements,
)
from dunning_core.testing import strategies as ds

ENTITY = BillingEntity(id="E-1", name="ACME Group")
DAY = date(2026, 3, 20)


def member(account_id: str, **changes: object) -> Account:
    base = Account(id=account_id, name=account_id, currency="EUR", billing_entity_id="E-1")
    return attrs.evolve(base, **changes)


def invoice(number: str, account_id: str, days_late: int, amount: str = "100.00") -> Invoice:
    due = DAY - timedelta(days=days_late)
    return Invoice(
        number=number,
        account_id=account_id,
        issued_on=due - timedelta(days=30),
        due_on=due,
        amount=Money(amount, "EUR"),
    )


def statements() -> list[AccountStatement]:
    return [
        build_statement(member("A-1"), DAY, invoices=[invoice("F-1", "A-1", 3)]),
        build_statement(member("A-2"), DAY, invoices=[invoice("F-2", "A-2", 20, "240.00")]),
    ]


def test_an_overdue_invoice_on_one_account_suspends_the_whole_entity() -> None:
    decision = decide_entity_suspension(SuspensionPolicy(), statements(), DAY, entity=ENTITY)
    assert decision.account_id == "E-1"
    assert decision.suspended
    assert decision.reasons[0].facts["invoice_numbers"] == ("F-2",)
    assert decision.for_account("A-1").account_id == "A-1"
    assert decision.for_account("A-1").reasons == decision.reasons


def test_a_hold_on_one_account_suspends_the_entity() -> None:
    hold = Hold(id="H-1", account_id="A-1", reason="Fraud", starts_on=DAY, suspends=True)
    current = [build_statement(member("A-1"), DAY, invoices=[]),
               build_statement(member("A-2"), DAY, invoices=[])]  # fmt: skip
    facts = [AccountFacts(account_id="A-1", holds=[hold])]
    decision = decide_entity_suspension(
        SuspensionPolicy(), current, DAY, facts=facts, entity=ENTITY
    )
    assert decision.reason_codes == ("MANUAL_HOLD",)
    assert decision.reasons[0].subject == "H-1"


def test_pending_payments_of_member_accounts_hold_off_the_entity() -> None:
    debit = Payment(id="DD-1", account_id="A-2", amount=Money("240.00", "EUR"),
                    received_on=DAY - timedelta(days=1), status=PaymentStatus.PENDING)  # fmt: skip
    decision = decide_entity_suspension(
        SuspensionPolicy(), statements(), DAY, entity=ENTITY, pending=[debit]
    )
    assert not decision.suspended
    assert decision.in_flight_payments == ("DD-1",)


def test_merged_statement_sums_its_members_and_keeps_their_items() -> None:
    merged = merge_statements(statements(), entity=ENTITY)
    assert merged.account.id == "E-1"
    assert merged.account.name == "ACME Group"
    assert [i.invoice.number for i in merged.items] == ["F-2", "F-1"]  # oldest first
    assert merged.balance == Money("340.00", "EUR")
    assert merged.overdue_balance == Money("340.00", "EUR")
    assert merged.oldest_days_past_due == 20


def test_merged_account_adds_credit_limits_only_when_every_account_has_one() -> None:
    limited = [
        build_statement(member("A-1", credit_limit=Money("100", "EUR")), DAY, invoices=[]),
        build_statement(member("A-2", credit_limit=Money("50", "EUR")), DAY, invoices=[]),
    ]
    assert merge_statements(limited, entity=ENTITY).account.credit_limit == Money("150", "EUR")
    mixed = [limited[0], build_statement(member("A-3"), DAY, invoices=[])]
    assert merge_statements(mixed, entity=ENTITY).account.credit_limit is None


def test_merging_refuses_inconsistent_members() -> None:
    a1 = build_statement(member("A-1"), DAY, invoices=[])
    with pytest.raises(InvalidField):
        merge_statements([], entity=ENTITY)
    with pytest.raises(InvalidField, match="twice"):
        merge_statements([a1, a1], entity=ENTITY)
    stranger = build_statement(member("A-9", billing_entity_id="E-9"), DAY, invoices=[])
    with pytest.raises(AccountMismatch):
        merge_statements([a1, stranger], entity=ENTITY)
    dollars = build_statement(member("A-2", currency="USD"), DAY, invoices=[])
    with pytest.raises(CurrencyMismatch):
        merge_statements([a1, dollars], entity=ENTITY)
    next_day = build_statement(member("A-2"), DAY + timedelta(days=1), invoices=[])
    with pytest.raises(InvalidAsOf):
        merge_statements([a1, next_day], entity=ENTITY)
    large = build_statement(member("A-2", segment=Segment.LARGE), DAY, invoices=[])
    with pytest.raises(InvalidField, match="segment"):
        merge_statements([a1, large], entity=ENTITY)
    explicit = member("E-1", segment=Segment.LARGE)
    assert merge_statements([a1, large], entity=ENTITY, account=explicit).account is explicit


def test_facts_and_payments_must_belong_to_the_entitys_accounts() -> None:
    with pytest.raises(AccountMismatch):
        decide_entity_suspension(
            SuspensionPolicy(),
            statements(),
            DAY,
            facts=[AccountFacts(account_id="A-9")],
            entity=ENTITY,
        )
    stray = Payment(id="P-1", account_id="A-9", amount=Money("1", "EUR"), received_on=DAY,
                    status=PaymentStatus.PENDING)  # fmt: skip
    with pytest.raises(AccountMismatch):
        decide_entity_suspension(SuspensionPolicy(), statements(), DAY, entity=ENTITY,
                                 pending=[stray])  # fmt: skip


def test_merge_facts_reattaches_every_fact_to_the_entity() -> None:
    hold = Hold(id="H-1", account_id="A-2", reason="Fraud", starts_on=DAY)
    merged = merge_facts(
        [AccountFacts(account_id="A-1"), AccountFacts(account_id="A-2", holds=[hold])],
        entity_id="E-1",
    )
    assert merged.account_id == "E-1"
    assert merged.holds == (attrs.evolve(hold, account_id="E-1"),)


@st.composite
def entity_portfolios(draw: st.DrawFn) -> list[ds.Portfolio]:
    """Two to four accounts of entity E-1 sharing currency, segment, locale, timezone."""
    count = draw(st.integers(2, 4))
    segment = draw(st.sampled_from([Segment.SMALL, Segment.LARGE]))
    as_of = draw(ds.dates())
    members = []
    for k in range(count):
        acct = draw(ds.accounts(id=f"A-{k}", currency="EUR", segment=segment, timezone="UTC"))
        acct = attrs.evolve(acct, locale="en_US", billing_entity_id="E-1", credit_limit=None)
        portfolio = draw(ds.portfolios(account=acct, min_invoices=0, max_invoices=4))
        invoices = tuple(
            attrs.evolve(i, number=f"{acct.id}/{i.number}") for i in portfolio.invoices
        )
        members.append(attrs.evolve(portfolio, invoices=invoices, as_of=as_of))
    return members


@given(entity_portfolios())
def test_entity_is_suspended_for_overdue_days_iff_one_of_its_accounts_is(
    members: list[ds.Portfolio],
) -> None:
    policy = SuspensionPolicy(rules=(OverdueDays(),), in_flight=None)
    day = members[0].as_of
    sheets = [m.statement() for m in members]
    alone = [decide_suspension(policy, s, day).suspended for s in sheets]
    together = decide_entity_suspension(policy, sheets, day, entity=ENTITY)
    assert together.suspended == any(alone)
    merged = merge_statements(reversed(sheets), entity=ENTITY)
    assert merged == merge_statements(sheets, entity=ENTITY)
    assert merged.balance == Money.sum((s.balance for s in sheets), "EUR")
    assert sorted(i.invoice.number for i in merged.items) == sorted(
        i.invoice.number for s in sheets for i in s.items
    )
