"""Issue 14's first-use scenarios, each written as a new user would: one obvious call.

One test per seam the issue lists at its top, using only ``dunning_core`` and the
public modules the README and docs/*.md show. Each asserts what the call does, so a
seam that comes back (a method where a property is expected, a positional ``facts``,
an ``at=``, a private builder) fails here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path

import attrs
import pytest

import dunning_core
from dunning_core import (
    Account,
    AllocationKind,
    ChangeTooSoon,
    Contact,
    CreditNote,
    Dispute,
    DuplicateRefund,
    InvalidAmount,
    InvalidUnitOfWork,
    Invoice,
    Money,
    Payment,
    PaymentStatus,
    Refund,
    Segment,
    build_statement,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.policies.allocation import allocate
from dunning_core.policies.credit import CreditAlertPolicy, credit_alerts
from dunning_core.policies.ladder import (
    DunningHistory,
    LadderAssignment,
    change_ladder,
    evaluate_ladder,
    presets,
)
from dunning_core.policies.suspension import (
    InFlightGrace,
    OverdueDays,
    SuspensionPolicy,
    decide_suspension,
    transition,
)
from dunning_core.service.accounts import record_account
from dunning_core.service.cycle import run_cycle
from dunning_core.service.facts import record_dispute
from dunning_core.service.invoices import record_credit_note, record_invoice
from dunning_core.service.notices import notice_context, preview_notice
from dunning_core.service.payments import record_payment, reverse_payment
from dunning_core.service.refunds import refund_credit
from dunning_core.service.settings import CycleConfig, bootstrap
from dunning_core.service.write_offs import write_off_invoice

Store = MemoryStore | SqliteStore


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


SHOP = Account(
    id="A-1",
    name="Boulangerie Kanak",
    currency="EUR",
    segment=Segment.SMALL,
    contacts=[Contact(email="compta@kanak.example")],
)


def invoice(number: str, due_on: date, amount: str = "100.00") -> Invoice:
    return Invoice(
        number=number,
        account_id="A-1",
        issued_on=date(due_on.year, 1, 1),
        due_on=due_on,
        amount=eur(amount),
    )


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        yield SqliteStore(tmp_path / "dunning.db")


def open_shop(
    store: Store, config: CycleConfig, *invoices: Invoice, as_of: date | None = None
) -> None:
    record_account(store.unit_of_work(), SHOP, as_of=date(2026, 1, 1), config=config)
    for one in invoices:
        record_invoice(store.unit_of_work(), one, config=config, as_of=as_of)


def statement_in(store: Store, on: date) -> dunning_core.AccountStatement:
    """The account's statement, built from what the store holds."""
    with store.unit_of_work() as uow:
        ledger = uow.ledger.load(["A-1"])["A-1"]
    return build_statement(
        SHOP,
        on,
        invoices=ledger.invoices,
        credit_notes=ledger.credit_notes,
        payments=ledger.payments,
        allocations=ledger.allocations,
        charges=ledger.charges,
        refunds=ledger.refunds,
    )


# -- AllocationResult.by_invoice is a property like its siblings -----------------------


def test_by_invoice_is_a_mapping_read_without_a_call() -> None:
    day = date(2026, 3, 10)
    sheet = build_statement(
        SHOP, day, invoices=[invoice("F-1", date(2026, 1, 31)), invoice("F-2", date(2026, 2, 28))]
    )
    result = allocate(
        Payment(id="P-1", account_id="A-1", amount=eur("150.00"), received_on=day), sheet.items
    )
    assert isinstance(result.by_invoice, Mapping)
    assert dict(result.by_invoice) == {"F-1": eur("100.00"), "F-2": eur("50.00")}
    assert result.applied == eur("150.00")  # its siblings read the same way
    assert dict(result.open_after) == {"F-1": eur("0.00"), "F-2": eur("50.00")}


# -- a unit of work for one change, the factory for the cycle ---------------------------


def test_passing_the_unit_of_work_where_the_factory_is_expected_names_the_factory() -> None:
    store = MemoryStore()
    with pytest.raises(InvalidUnitOfWork, match=r"store\.unit_of_work \(without the call\)"):
        run_cycle(store.unit_of_work(), CycleConfig(), date(2026, 2, 1))  # type: ignore[arg-type]


def test_passing_the_factory_where_a_unit_of_work_is_expected_says_call_it() -> None:
    store = MemoryStore()
    open_shop(store, CycleConfig(), invoice("F-1", date(2026, 1, 31)))
    payment = Payment(
        id="P-1", account_id="A-1", amount=eur("100.00"), received_on=date(2026, 2, 2)
    )
    with pytest.raises(InvalidUnitOfWork, match=r"store\.unit_of_work\(\).*call it"):
        record_payment(store.unit_of_work, payment)  # type: ignore[arg-type]
    with store.unit_of_work() as uow:
        assert uow.ledger.load(["A-1"])["A-1"].payments == ()  # nothing half-written
    assert record_payment(store.unit_of_work(), payment).allocation is not None


# -- one suspension rule changes with one call; credit alerts have a policy ---------------


def test_evolving_one_suspension_rule_keeps_the_others() -> None:
    standard = SuspensionPolicy()
    stricter = attrs.evolve(standard, overdue_days=OverdueDays(after_days={Segment.SMALL: 10}))
    day = date(2026, 2, 12)  # F-1 is 12 days past due: over 10, within 15
    sheet = build_statement(SHOP, day, invoices=[invoice("F-1", date(2026, 1, 31))])
    assert not decide_suspension(standard, sheet, as_of=day).suspended
    assert decide_suspension(stricter, sheet, as_of=day).reason_codes == ("OVERDUE_DAYS",)
    assert (stricter.broken_promise, stricter.insolvency, stricter.manual_hold) == (
        standard.broken_promise,
        standard.insolvency,
        standard.manual_hold,
    )
    assert stricter.in_flight == standard.in_flight


def test_credit_alerts_have_a_policy_object_the_config_takes() -> None:
    policy = attrs.evolve(CreditAlertPolicy(), thresholds=(50,))
    assert bootstrap(credit=policy).credit == policy
    limited = attrs.evolve(SHOP, credit_limit=eur("1000.00"))
    alerts, _ = credit_alerts(limited, eur("600.00"), None, as_of=date(2026, 3, 1), policy=policy)
    assert [alert.threshold for alert in alerts] == [50]
    standard, _ = credit_alerts(limited, eur("600.00"), None, as_of=date(2026, 3, 1))
    assert standard == ()  # 60 % reaches none of 70 / 85 / 100


# -- the errors a user catches come from dunning_core ------------------------------------


def test_every_error_is_importable_from_the_package() -> None:
    assert set(dunning_core.errors.__all__) <= set(dunning_core.__all__)
    option = LadderAssignment(account_id="A-1", ladder="due-date-reminders")
    option = change_ladder(option, presets.FIVE_NOTICES_THEN_TERMINATION, date(2026, 3, 1))
    with pytest.raises(ChangeTooSoon) as too_soon:
        change_ladder(option, "due-date-reminders", date(2026, 3, 20))
    assert too_soon.value.first_allowed == date(2026, 3, 31)


# -- facts are optional, and the evaluation instant is as_of everywhere ------------------


def test_decide_suspension_needs_no_facts() -> None:
    day = date(2026, 2, 17)
    sheet = build_statement(SHOP, day, invoices=[invoice("F-1", date(2026, 2, 1))])
    decision = decide_suspension(SuspensionPolicy(), sheet, as_of=day)
    assert decision.suspended and decision.reason_codes == ("OVERDUE_DAYS",)


def test_as_of_is_the_keyword_everywhere_the_issue_names() -> None:
    store = MemoryStore()
    day = date(2026, 2, 17)
    open_shop(store, CycleConfig(), invoice("F-1", date(2026, 1, 31)), as_of=day)  # suspended
    sheet = build_statement(SHOP, day, invoices=[invoice("F-1", date(2026, 1, 31))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # no old spelling on the way
        decision = decide_suspension(SuspensionPolicy(), sheet, as_of=day)
        event = transition(None, decision, as_of=day)
        limited = attrs.evolve(SHOP, credit_limit=eur("100.00"))
        alerts, _ = credit_alerts(limited, eur("100.00"), None, as_of=day)
        payment = Payment(id="P-1", account_id="A-1", amount=eur("100.00"), received_on=day)
        paid = record_payment(store.unit_of_work(), payment, as_of=day)
        reversed_ = reverse_payment(
            store.unit_of_work(), "P-1", PaymentStatus.CHARGED_BACK, as_of=date(2026, 2, 18)
        )
    assert event is not None and event.as_of == day
    assert [alert.as_of for alert in alerts] == [day, day, day]
    assert paid.event is not None and paid.event.kind == "account.reactivated"
    assert reversed_.event is not None and reversed_.event.kind == "account.suspended"
    with pytest.warns(DeprecationWarning, match="as_of"):
        credit_alerts(limited, eur("100.00"), None, at=day)  # type: ignore[call-arg]


def test_the_clearing_window_has_one_name() -> None:
    grace = InFlightGrace(clearing_window_days=3)
    ladder = attrs.evolve(presets.FIVE_NOTICES_THEN_TERMINATION, clearing_window_days=3)
    assert grace.clearing_window_days == ladder.clearing_window_days == 3
    with pytest.warns(DeprecationWarning, match="clearing_window_days"):
        assert InFlightGrace(clearing_days=3) == grace  # type: ignore[call-arg]


# -- what a notice will say is one public call -------------------------------------------


def test_preview_notice_is_what_the_cycle_writes(store: Store) -> None:
    config = bootstrap(
        assignments={
            "A-1": LadderAssignment(account_id="A-1", ladder="five-notices-then-termination")
        }
    )
    open_shop(store, config, invoice("F-1", date(2026, 1, 31), "300.00"))
    day = date(2026, 2, 1)
    report = run_cycle(store.unit_of_work, config, day)
    assert report.messages == 1
    with store.unit_of_work() as uow:
        (written,) = uow.outbox.messages_of(["A-1"])["A-1"]

    ladder = config.ladders["five-notices-then-termination"]
    sheet = build_statement(SHOP, day, invoices=[invoice("F-1", date(2026, 1, 31), "300.00")])
    (action,) = evaluate_ladder(ladder, sheet, DunningHistory.empty("A-1"), day)
    values = notice_context(config, SHOP, action)
    assert (values["invoice_numbers"], values["amount_due"]) == (["F-1"], eur("300.00"))
    preview = preview_notice(config, SHOP, action)
    assert (preview.subject, preview.body) == (written.subject, written.body)


# -- every change to an account goes through a service that applies the rules -----------


def test_a_credit_note_is_applied_to_the_invoice_it_credits(store: Store) -> None:
    config = bootstrap()
    open_shop(store, config, invoice("F-1", date(2026, 1, 31)), invoice("F-2", date(2026, 2, 28)))
    note = CreditNote(
        number="AV-1",
        account_id="A-1",
        issued_on=date(2026, 2, 5),
        amount=eur("30.00"),
        credits_invoice="F-2",  # not the oldest
    )
    outcome = record_credit_note(store.unit_of_work(), note, config=config)
    assert [(a.invoice_number, a.amount) for a in outcome.allocations] == [("F-2", eur("30.00"))]
    sheet = statement_in(store, date(2026, 2, 5))
    assert sheet.item("F-2").open_amount == eur("70.00")
    assert sheet.item("F-1").open_amount == eur("100.00")


def test_resolving_a_dispute_re_decides_suspension_at_once(store: Store) -> None:
    config = bootstrap()
    open_shop(store, config, invoice("F-1", date(2026, 1, 31)))
    opened = Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=date(2026, 2, 3))
    during = record_dispute(store.unit_of_work(), opened, config=config, as_of=date(2026, 2, 20))
    assert during.decision is not None and not during.decision.suspended
    resolved = attrs.evolve(opened, resolved_on=date(2026, 2, 21))
    after = record_dispute(store.unit_of_work(), resolved, config=config, as_of=date(2026, 2, 21))
    assert after.suspension_event is not None
    assert after.suspension_event.kind == "account.suspended"


def test_a_written_off_invoice_stops_dunning_and_a_later_payment_recovers_it(
    store: Store,
) -> None:
    config = bootstrap()
    open_shop(store, config, invoice("F-1", date(2026, 1, 31)), as_of=date(2026, 6, 1))
    gone = write_off_invoice(
        store.unit_of_work(), "F-1", reason="collection failed", as_of=date(2026, 6, 1)
    )
    (written_off,) = gone.allocations
    assert (written_off.kind, written_off.amount) == (AllocationKind.WRITE_OFF, eur("100.00"))
    assert written_off.reference == "collection failed"
    assert gone.suspension_event is not None  # nothing overdue is left: reactivated
    assert gone.suspension_event.kind == "account.reactivated"
    day = date(2026, 6, 2)
    sheet = statement_in(store, day)
    assert sheet.overdue_balance == eur("0.00")
    ladder = presets.FIVE_NOTICES_THEN_TERMINATION
    assert evaluate_ladder(ladder, sheet, DunningHistory.empty("A-1"), day) == ()

    late = Payment(
        id="P-9",
        account_id="A-1",
        amount=eur("100.00"),
        received_on=date(2026, 7, 1),
        bank_reference="Facture F-1",
    )
    paid = record_payment(store.unit_of_work(), late, config=config)
    assert [(r.invoice_number, r.amount) for r in paid.recoveries] == [("F-1", eur("100.00"))]
    with store.unit_of_work() as uow:
        kinds = [a.kind for a in uow.ledger.load(["A-1"])["A-1"].allocations]
    assert kinds == [AllocationKind.CASH]  # the payment settles it; the write-off is reversed


def test_refunding_credit_is_capped_and_idempotent_on_its_id(store: Store) -> None:
    config = bootstrap()
    open_shop(store, config, invoice("F-1", date(2026, 1, 31)))
    overpaid = Payment(
        id="P-1", account_id="A-1", amount=eur("160.00"), received_on=date(2026, 2, 1)
    )
    record_payment(store.unit_of_work(), overpaid, config=config)  # 60.00 of credit

    too_much = Refund(
        id="RF-1", account_id="A-1", amount=eur("60.01"), refunded_on=date(2026, 2, 2)
    )
    with pytest.raises(InvalidAmount, match="60.00"):
        refund_credit(store.unit_of_work(), too_much, config=config)
    assert statement_in(store, date(2026, 2, 2)).refunds == ()  # nothing written

    refund = attrs.evolve(too_much, amount=eur("60.00"))
    first = refund_credit(store.unit_of_work(), refund, config=config)
    assert first.events[0].kind == "credit.refunded"
    assert refund_credit(store.unit_of_work(), refund, config=config).repeated
    with pytest.raises(DuplicateRefund):
        refund_credit(store.unit_of_work(), attrs.evolve(refund, amount=eur("10.00")))
    sheet = statement_in(store, date(2026, 2, 2))
    assert sheet.refunds == (refund,)
    assert sheet.unapplied == eur("0.00")


_SERVICES: list[tuple[Callable[..., object], object, dict[str, object]]] = [
    (record_invoice, invoice("F-1", date(2026, 1, 31)), {}),
    (
        record_credit_note,
        CreditNote(number="AV-1", account_id="A-1", issued_on=date(2026, 2, 1), amount=eur("1")),
        {},
    ),
    (
        record_dispute,
        Dispute(id="D-1", account_id="A-1", invoice_number="F-1", opened_on=date(2026, 2, 3)),
        {},
    ),
    (write_off_invoice, "F-1", {"reason": "x", "as_of": date(2026, 2, 1)}),
    (
        refund_credit,
        Refund(id="RF-1", account_id="A-1", amount=eur("1"), refunded_on=date(2026, 2, 2)),
        {},
    ),
]


@pytest.mark.parametrize(
    ("service", "change", "keywords"),
    _SERVICES,
    ids=[service.__name__ for service, _, _ in _SERVICES],
)
def test_every_account_service_names_the_unit_of_work_it_expects(
    service: Callable[..., object], change: object, keywords: dict[str, object]
) -> None:
    store = MemoryStore()
    with pytest.raises(InvalidUnitOfWork, match=r"store\.unit_of_work\(\)"):
        service(store.unit_of_work, change, **keywords)
