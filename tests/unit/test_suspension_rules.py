"""The built-in suspension rules, one behaviour at a time (expected values by hand)."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from dunning_core import (
    Account,
    AccountFacts,
    Allocation,
    Dispute,
    Hold,
    InsolvencyProceeding,
    Invoice,
    Money,
    Payment,
    PromiseToPay,
    Segment,
    build_statement,
)
from dunning_core.errors import InvalidPolicy
from dunning_core.policies.suspension import (
    BrokenPromise,
    CreditLimitExceeded,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
    Remedy,
    SuspensionContext,
    SuspensionDecision,
    SuspensionPolicy,
    SuspensionReason,
    decide_suspension,
)

DUE = date(2026, 3, 1)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def account(**changes: object) -> Account:
    return attrs.evolve(Account(id="A-1", name="ACME", currency="EUR"), **changes)


def invoice(number: str, due_on: date = DUE, amount: str = "100.00") -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=eur(amount),
    )


def pay(payment_id: str, on: date, **per_invoice: str) -> tuple[Payment, list[Allocation]]:
    total = sum((eur(a) for a in per_invoice.values()), eur("0"))
    payment = Payment(id=payment_id, account_id="A-1", amount=total, received_on=on)
    allocations = [
        Allocation(
            invoice_number=number.replace("_", "-"),
            amount=eur(amount),
            kind="CASH",
            source_id=payment_id,
        )
        for number, amount in per_invoice.items()
    ]
    return payment, allocations


def decide(
    rules: tuple[object, ...],
    on: date,
    invoices: list[Invoice],
    facts: AccountFacts | None = None,
    *,
    acct: Account | None = None,
    unbilled: Money | None = None,
    paid: tuple[Payment, list[Allocation]] | None = None,
) -> SuspensionDecision:
    payments, allocations = ([paid[0]], paid[1]) if paid else ([], [])
    statement = build_statement(
        acct or account(), on, invoices=invoices, payments=payments, allocations=allocations
    )
    policy = SuspensionPolicy(rules=rules)  # type: ignore[arg-type]
    return decide_suspension(policy, statement, on, facts=facts, unbilled=unbilled)


# -- OverdueDays ----------------------------------------------------------------------


def test_overdue_days_uses_the_default_for_other_segments() -> None:
    rules = (OverdueDays(default_days=45),)
    public = account(segment="PUBLIC_SECTOR")
    assert not decide(rules, DUE + timedelta(days=45), [invoice("F-1")], acct=public).suspended
    assert decide(rules, DUE + timedelta(days=46), [invoice("F-1")], acct=public).suspended


def test_overdue_days_accepts_segments_or_their_keys() -> None:
    rule = OverdueDays(after_days={Segment.SMALL: 5, "VIP": 60})
    assert rule.days_for(Segment.SMALL) == 5
    assert rule.days_for(Segment("VIP")) == 60
    assert rule.days_for(Segment.LARGE) == 30  # the default


def test_overdue_balance_below_the_minimum_is_ignored() -> None:
    rules = (OverdueDays(minimum_overdue=[eur("50.00"), Money("5000", "JPY")]),)
    on = DUE + timedelta(days=20)
    assert not decide(rules, on, [invoice("F-1", amount="49.99")]).suspended
    assert decide(rules, on, [invoice("F-1", amount="50.00")]).suspended
    # The minimum compares the whole overdue balance, young invoices included.
    young = invoice("F-2", due_on=on - timedelta(days=2), amount="30.00")
    assert decide(rules, on, [invoice("F-1", amount="20.00"), young]).suspended


def test_disputed_and_held_invoices_do_not_count() -> None:
    on = DUE + timedelta(days=20)
    facts = AccountFacts(
        account_id="A-1",
        disputes=[Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=DUE)],
        holds=[
            Hold(id="H-1", account_id="A-1", reason="Credit note coming", starts_on=DUE,
                 invoice_number="F-2", suspends=True)
        ],
    )  # fmt: skip
    invoices = [invoice("F-1"), invoice("F-2")]
    assert not decide((OverdueDays(), ManualHold()), on, invoices, facts).suspended
    strict = decide((OverdueDays(ignore_disputed=False),), on, invoices, facts)
    assert strict.reasons[0].facts["invoice_numbers"] == ("F-1", "F-2")


@pytest.mark.parametrize(
    "config",
    [
        {"default_days": -1},
        {"default_days": True},
        {"after_days": {"SMALL": 1.5}},
        {"after_days": [15]},
        {"minimum_overdue": [eur("-1.00")]},
        {"minimum_overdue": [eur("1.00"), eur("2.00")]},
        {"minimum_overdue": {"USD": eur("1.00")}},
    ],
)
def test_overdue_days_refuses_a_bad_configuration(config: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicy, match="OverdueDays"):
        OverdueDays(**config)  # type: ignore[arg-type]


def test_overdue_reason_speaks_the_accounts_language() -> None:
    decision = decide((OverdueDays(),), DUE + timedelta(days=16), [invoice("F-1")],
                      acct=account(locale="fr_FR"))  # fmt: skip
    assert decision.reasons[0].message == (
        f"Vous avez {eur('100.00').format('fr_FR')} en retard de plus de 15 jours "
        "(la facture la plus ancienne, F-1, a 16 jours de retard)."
    )


# -- BrokenPromise ----------------------------------------------------------------------


def promise(**changes: object) -> PromiseToPay:
    base = PromiseToPay(
        id="PTP-1",
        account_id="A-1",
        made_on=date(2026, 3, 2),
        due_on=date(2026, 3, 10),
        amount=eur("100.00"),
    )
    return attrs.evolve(base, **changes)


def facts_with(*promises: PromiseToPay) -> AccountFacts:
    return AccountFacts(account_id="A-1", promises=promises)


def test_grace_days_delay_a_broken_promise() -> None:
    rules = (BrokenPromise(grace_days=2),)
    facts = facts_with(promise())
    assert not decide(rules, date(2026, 3, 12), [invoice("F-1")], facts).suspended
    assert decide(rules, date(2026, 3, 13), [invoice("F-1")], facts).suspended


def test_partial_promise_is_kept_once_the_promised_amount_is_paid() -> None:
    rules = (BrokenPromise(),)
    on = date(2026, 3, 11)
    facts = facts_with(
        promise(amount=eur("400.00"), open_when_made=eur("1000.00"), invoice_numbers=["F-1"])
    )
    f1 = invoice("F-1", amount="1000.00")
    kept = decide(rules, on, [f1], facts, paid=pay("P-1", date(2026, 3, 9), F_1="400.00"))
    assert not kept.suspended
    short = decide(rules, on, [f1], facts, paid=pay("P-1", date(2026, 3, 9), F_1="300.00"))
    assert short.reasons[0].facts["still_due"] == eur("100.00")
    assert short.resumes_when == (
        f"Service resumes once you pay {eur('100.00').format('en_US')} on invoice F-1."
    )


def test_promise_without_a_baseline_covers_its_invoices_in_full() -> None:
    facts = facts_with(promise(amount=eur("40.00"), invoice_numbers=["F-1"]))
    paid_40 = pay("P-1", date(2026, 3, 9), F_1="40.00")
    decision = decide((BrokenPromise(),), date(2026, 3, 11), [invoice("F-1")], facts, paid=paid_40)
    assert decision.reasons[0].facts["still_due"] == eur("60.00")


def test_account_wide_promise_covers_invoices_due_by_the_promised_date() -> None:
    facts = facts_with(promise())  # due 10 March, names no invoice
    later = invoice("F-2", due_on=date(2026, 3, 12))
    on = date(2026, 3, 13)
    paid_f1 = pay("P-1", date(2026, 3, 9), F_1="100.00")
    assert not decide(
        (BrokenPromise(),), on, [invoice("F-1"), later], facts, paid=paid_f1
    ).suspended
    assert decide((BrokenPromise(),), on, [invoice("F-1"), later], facts).suspended


def test_a_promise_renegotiated_after_its_date_supersedes_it() -> None:
    old = promise()
    new = promise(id="PTP-2", made_on=date(2026, 3, 12), due_on=date(2026, 3, 20))
    on = date(2026, 3, 15)
    assert decide((BrokenPromise(),), on, [invoice("F-1")], facts_with(old)).suspended
    assert not decide((BrokenPromise(),), on, [invoice("F-1")], facts_with(old, new)).suspended
    broken_again = decide((BrokenPromise(),), date(2026, 3, 21), [invoice("F-1")],
                          facts_with(new, old))  # fmt: skip
    assert [r.subject for r in broken_again.reasons] == ["PTP-2"]


def test_paying_a_broken_promise_late_clears_it() -> None:
    facts = facts_with(promise())
    late_payment = pay("P-1", date(2026, 3, 14), F_1="100.00")
    assert not decide(
        (BrokenPromise(),), date(2026, 3, 14), [invoice("F-1")], facts, paid=late_payment
    ).suspended


def test_broken_promise_refuses_negative_grace() -> None:
    with pytest.raises(InvalidPolicy, match="grace_days"):
        BrokenPromise(grace_days=-1)


# -- OpenInsolvency and ManualHold ------------------------------------------------------


def test_paying_everything_clears_neither_a_proceeding_nor_a_manual_hold() -> None:
    facts = AccountFacts(
        account_id="A-1",
        proceedings=[InsolvencyProceeding(id="P-1", account_id="A-1", kind="SAFEGUARD",
                                          opened_on=DUE)],
        holds=[Hold(id="H-1", account_id="A-1", reason="Fraud check", starts_on=DUE,
                    suspends=True)],
    )  # fmt: skip
    on = DUE + timedelta(days=40)
    everything = pay("P-1", on, F_1="100.00")
    decision = decide(
        (OpenInsolvency(), ManualHold()), on, [invoice("F-1")], facts, paid=everything
    )
    assert decision.reason_codes == ("INSOLVENCY_OPEN", "MANUAL_HOLD")
    assert decision.resumes_when == (
        "Service resumes once the court has ruled and our team lifts the hold."
    )


def test_ruling_without_prepayment_when_configured_off() -> None:
    proceeding = InsolvencyProceeding(
        id="P-1", account_id="A-1", kind="RECEIVERSHIP", opened_on=DUE, ruled_on=DUE
    )
    facts = AccountFacts(account_id="A-1", proceedings=[proceeding])
    on = DUE + timedelta(days=1)
    assert decide((OpenInsolvency(),), on, [], facts).requires_prepayment
    relaxed = decide((OpenInsolvency(prepayment_after_ruling=False),), on, [], facts)
    assert not relaxed.requires_prepayment
    assert not relaxed.suspended


def test_manual_hold_lasts_through_its_end_date() -> None:
    hold = Hold(id="H-1", account_id="A-1", reason="Chargeback review", starts_on=DUE,
                ends_on=date(2026, 6, 30), suspends=True)  # fmt: skip
    facts = AccountFacts(account_id="A-1", holds=[hold])
    on_last_day = decide((ManualHold(),), date(2026, 6, 30), [], facts)
    assert on_last_day.suspended
    assert on_last_day.reasons[0].message == "Our team suspended your account: Chargeback review"
    assert on_last_day.resumes_when == "Service resumes once the hold ends on June 30, 2026."
    assert not decide((ManualHold(),), date(2026, 7, 1), [], facts).suspended


def test_hold_that_only_pauses_dunning_does_not_suspend() -> None:
    hold = Hold(id="H-1", account_id="A-1", reason="VIP", starts_on=DUE)
    facts = AccountFacts(account_id="A-1", holds=[hold])
    assert not decide((ManualHold(),), DUE, [], facts).suspended


# -- CreditLimitExceeded ----------------------------------------------------------------


def test_credit_limit_suspends_at_the_limit_not_below() -> None:
    limited = account(credit_limit=eur("1000.00"))
    on = DUE - timedelta(days=1)  # nothing overdue
    rules = (CreditLimitExceeded(),)
    below = decide(rules, on, [invoice("F-1", amount="999.99")], acct=limited)
    assert not below.suspended
    at_limit = decide(rules, on, [invoice("F-1", amount="999.99")], acct=limited,
                      unbilled=eur("0.01"))  # fmt: skip
    assert at_limit.reason_codes == ("CREDIT_LIMIT_EXCEEDED",)
    assert at_limit.reasons[0].facts["to_pay"] == eur("0.01")
    assert at_limit.resumes_when == f"Service resumes once you pay {eur('0.01').format('en_US')}."
    ignoring_unbilled = decide((CreditLimitExceeded(include_unbilled=False),), on,
                               [invoice("F-1", amount="999.99")], acct=limited,
                               unbilled=eur("0.01"))  # fmt: skip
    assert not ignoring_unbilled.suspended


def test_no_credit_limit_never_suspends() -> None:
    on = DUE - timedelta(days=1)
    huge = invoice("F-1", amount="99999999.00")
    assert not decide((CreditLimitExceeded(),), on, [huge], unbilled=eur("1.00")).suspended


# -- custom rules and the Reason value ----------------------------------------------------


@attrs.frozen
class MandateMissing:
    """A custom rule: service needs a signed direct-debit mandate."""

    def reasons(self, context: SuspensionContext) -> tuple[SuspensionReason, ...]:
        return (
            SuspensionReason(
                "MANDATE_MISSING",
                "We have no signed mandate for your direct debits.",
                subject=context.statement.account.id,
                remedy=Remedy.other("your mandate is signed"),
            ),
            SuspensionReason("COMPLIANCE_REVIEW", "Sanctions screening.", subject="A-1"),
        )


def test_custom_rules_speak_through_their_remedy_clause() -> None:
    decision = decide((MandateMissing(),), DUE, [])
    assert decision.reason_codes == ("COMPLIANCE_REVIEW", "MANDATE_MISSING")
    assert decision.resumes_when == (
        "Service resumes once your mandate is signed and our team has reviewed your account."
    )


def test_reason_facts_are_read_only() -> None:
    reason = SuspensionReason("X", "", subject="A-1", facts={"days": 3})
    with pytest.raises(TypeError):
        reason.facts["days"] = 4  # type: ignore[index]
    assert reason == SuspensionReason("X", "", subject="A-1", facts={"days": 3})
    assert hash(reason) == hash(SuspensionReason("X", "", subject="A-1", facts={"days": 3}))


def test_a_policy_refuses_something_that_is_not_a_rule() -> None:
    with pytest.raises(InvalidPolicy, match="reasons"):
        SuspensionPolicy(rules=[object()])  # type: ignore[list-item]
