"""Contract of :class:`~dunning_core.ports.ReviewStore`: marks and wake-up dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.history import ActionRecord, ReviewBasis
from dunning_core.domain.invoice import CreditNote
from dunning_core.domain.payment import (
    Allocation,
    AllocationKind,
    Payment,
    PaymentStatus,
    Refund,
)
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.ports import UnitOfWork, UowFactory
from dunning_core.sharding import shard_of
from dunning_core.testing.contracts._base import (
    D0,
    StoreContractBase,
    fixture_ok,
    make_account,
    make_invoice,
    seed_accounts,
)

EUR = Money("100.00", "EUR")
LATER = D0 + timedelta(days=30)


def _payment(payment_id: str, account_id: str | None, **changes: object) -> Payment:
    fields: dict[str, object] = {
        "id": payment_id,
        "account_id": account_id,
        "amount": EUR,
        "received_on": D0,
    }
    fields.update(changes)
    return Payment(**fields)  # type: ignore[arg-type]


def _seed_ledger(uow_factory: UowFactory) -> None:
    """Two accounts: A's invoice I-A, B's invoice I-B, a payment of A and a credit note of
    B, all reviewed (nothing marked) afterwards."""
    seed_accounts(uow_factory, make_account("A"), make_account("B"))
    with uow_factory() as uow:
        uow.ledger.add_invoices([make_invoice("I-A", "A", EUR), make_invoice("I-B", "B", EUR)])
        uow.ledger.add_payment(_payment("P-A", "A"))
        uow.ledger.add_payment(_payment("P-X", None))
        uow.ledger.add_credit_notes(
            [CreditNote(number="C-B", account_id="B", issued_on=D0, amount=EUR)]
        )
        uow.ledger.add_allocations(
            [Allocation(invoice_number="I-B", amount=EUR, kind="CASH", source_id="P-A")]
        )
        uow.commit()
    _review_all(uow_factory, "A", "B")


def _review_all(uow_factory: UowFactory, *ids: str) -> None:
    with uow_factory() as uow:
        uow.reviews.schedule(dict.fromkeys(ids, LATER))
        uow.commit()


def _marked(uow_factory: UowFactory) -> set[str]:
    with uow_factory() as uow:
        return {i for day, i in uow.reviews.due(D0, limit=1000) if day == date.min}


Write = Callable[[UnitOfWork], object]

#: Each write the port says marks accounts, and the accounts it marks (in _seed_ledger's
#: store: P-A of account A settled I-B of account B; C-B is B's credit note).
WRITES: dict[str, tuple[Write, set[str]]] = {
    "account replaced": (lambda uow: uow.accounts.add(make_account("A", name="New")), {"A"}),
    "invoice added": (
        lambda uow: uow.ledger.add_invoices([make_invoice("I-A2", "A", EUR)]),
        {"A"},
    ),
    "invoice moved to another account": (
        lambda uow: uow.ledger.add_invoices([make_invoice("I-A", "B", EUR)]),
        {"A", "B"},
    ),
    "credit note added": (
        lambda uow: uow.ledger.add_credit_notes(
            [CreditNote(number="C-A", account_id="A", issued_on=D0, amount=EUR)]
        ),
        {"A"},
    ),
    "payment added": (lambda uow: uow.ledger.add_payment(_payment("P-A2", "A")), {"A"}),
    "payment status changed": (
        lambda uow: uow.ledger.set_payment_status("P-A", PaymentStatus.CHARGED_BACK),
        {"A", "B"},
    ),
    "payment identified": (
        lambda uow: uow.ledger.identify_payment("P-X", "B"),
        {"B"},
    ),
    "allocation added": (
        lambda uow: uow.ledger.add_allocations(
            [
                Allocation(
                    invoice_number="I-A",
                    amount=EUR,
                    kind=AllocationKind.CREDIT_NOTE,
                    source_id="C-B",
                )
            ]
        ),
        {"A", "B"},
    ),
    "allocations removed": (
        lambda uow: uow.ledger.remove_allocations_of_source("P-A"),
        {"A", "B"},
    ),
    "charge booked": (
        lambda uow: uow.ledger.add_charges(
            [
                Charge(
                    key="fee-1",
                    account_id="B",
                    kind=ChargeKind.STAGE_FEE,
                    amount=Money("5.00", "EUR"),
                    booked_on=D0,
                    invoice_number="I-B",
                    stage="first_notice",
                )
            ]
        ),
        {"B"},
    ),
    "refund made": (
        lambda uow: uow.ledger.add_refund(
            Refund(id="R-1", account_id="A", amount=Money("5.00", "EUR"), refunded_on=D0)
        ),
        {"A"},
    ),
    "promise recorded": (
        lambda uow: uow.facts.add_promise(
            PromiseToPay(id="PR-1", account_id="A", made_on=D0, due_on=LATER, amount=EUR)
        ),
        {"A"},
    ),
    "dispute recorded": (
        lambda uow: uow.facts.add_dispute(
            Dispute(id="D-1", account_id="B", invoice_number="I-B", opened_on=D0)
        ),
        {"B"},
    ),
    "proceeding recorded": (
        lambda uow: uow.facts.add_proceeding(
            InsolvencyProceeding(id="IP-1", account_id="A", kind="BANKRUPTCY", opened_on=D0)
        ),
        {"A"},
    ),
    "hold recorded": (
        lambda uow: uow.facts.add_hold(
            Hold(id="H-1", account_id="B", reason="review", starts_on=D0)
        ),
        {"B"},
    ),
    "ladder history written": (
        lambda uow: uow.history.add_actions(
            [
                ActionRecord(
                    key="act-1",
                    account_id="A",
                    ladder="l",
                    stage="s",
                    action="REMIND",
                    fired_on=D0,
                )
            ]
        ),
        {"A"},
    ),
    "suspension state written": (
        lambda uow: uow.history.put_suspension_states(
            [SuspensionState(account_id="B", suspended=True, reason_codes=("X",), since=D0)]
        ),
        {"B"},
    ),
    "credit-alert state written": (
        lambda uow: uow.history.put_credit_alert_states(
            [CreditAlertState(account_id="A", fired=(70,))]
        ),
        {"A"},
    ),
}


class ReviewStoreContract(StoreContractBase):
    """Writes mark accounts in their own transaction; review days page in order."""

    def test_a_new_account_is_due_on_any_day(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            assert uow.reviews.due(date.min) == [(date.min, "A-1")]
            assert uow.reviews.next_review_on(["A-1", "nobody"]) == {"A-1": date.min}

    def test_schedule_sets_the_review_day_and_clears_the_mark(
        self, uow_factory: UowFactory
    ) -> None:
        seed_accounts(uow_factory, make_account("A-1"), make_account("A-2"))
        with uow_factory() as uow:
            uow.reviews.schedule({"A-1": LATER, "A-2": None, "nobody": LATER})
            uow.commit()
        with uow_factory() as uow:
            assert uow.reviews.due(LATER - timedelta(days=1)) == []
            assert uow.reviews.due(LATER) == [(LATER, "A-1")]
            assert uow.reviews.due(date.max - timedelta(days=1)) == [(LATER, "A-1")]
            assert uow.reviews.next_review_on(["A-1", "A-2"]) == {
                "A-1": LATER,
                "A-2": date.max,  # only a write makes it due again
            }

    def test_mark_and_mark_all(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, *(make_account(f"A-{k}") for k in range(3)))
        _review_all(uow_factory, "A-0", "A-1", "A-2")
        with uow_factory() as uow:
            uow.reviews.mark(["A-1", "nobody"])
            uow.commit()
        assert _marked(uow_factory) == {"A-1"}
        with uow_factory() as uow:
            uow.reviews.mark_all()
            uow.commit()
        assert _marked(uow_factory) == {"A-0", "A-1", "A-2"}

    @pytest.mark.parametrize("write", sorted(WRITES))
    def test_every_write_marks_the_account(self, uow_factory: UowFactory, write: str) -> None:
        _seed_ledger(uow_factory)
        assert _marked(uow_factory) == set()
        action, expected = WRITES[write]
        with uow_factory() as uow:
            action(uow)
            uow.commit()
        assert _marked(uow_factory) == expected

    @pytest.mark.parametrize("write", ["invoice added", "allocations removed", "hold recorded"])
    def test_a_rolled_back_write_leaves_no_mark(self, uow_factory: UowFactory, write: str) -> None:
        _seed_ledger(uow_factory)
        action, _ = WRITES[write]
        with uow_factory() as uow:
            action(uow)
            uow.rollback()
        assert _marked(uow_factory) == set()

    def test_events_and_messages_do_not_mark(self, uow_factory: UowFactory) -> None:
        from dunning_core.domain.history import EventRecord
        from dunning_core.testing.contracts._base import T0, make_message

        _seed_ledger(uow_factory)
        with uow_factory() as uow:
            uow.history.add_events(
                [EventRecord(key="ev-1", account_id="A", kind="x.y", occurred_at=T0)]
            )
            uow.outbox.add_messages([make_message("msg-1", "A")])
            uow.commit()
        assert _marked(uow_factory) == set()

    @fixture_ok
    @given(
        days=st.lists(st.integers(-3, 40) | st.none(), min_size=1, max_size=12),
        limit=st.integers(1, 5),
        n=st.integers(1, 3),
    )
    def test_due_pages_in_review_order(
        self, uow_factory: UowFactory, days: list[int | None], limit: int, n: int
    ) -> None:
        prefix = self.unique("R") + "/"
        ids = [f"{prefix}{k:02d}" for k in range(len(days))]
        seed_accounts(uow_factory, *(make_account(i) for i in ids))
        # -3 leaves the account marked; None schedules no review.
        scheduled = {
            i: (None if d is None else D0 + timedelta(days=d))
            for i, d in zip(ids, days, strict=True)
        }
        with uow_factory() as uow:
            uow.reviews.schedule({i: d for i, d in scheduled.items() if d != D0 - timedelta(3)})
            uow.commit()
        on = D0 + timedelta(days=20)
        expected = sorted(
            (date.min if day == D0 - timedelta(3) else day, i)
            for i, day in scheduled.items()
            if day is not None and day <= on
        )
        for index in range(n):
            seen: list[tuple[date, str]] = []
            after = None
            with uow_factory() as uow:
                while True:
                    page = uow.reviews.due(on, after=after, limit=limit, shard=(index, n))
                    assert len(page) <= limit
                    if not page:
                        break
                    seen.extend(page)
                    after = page[-1]
            mine = [pair for pair in seen if pair[1].startswith(prefix)]
            assert mine == [pair for pair in expected if shard_of(pair[1], n) == index]
            assert seen == sorted(seen)

    def test_basis_round_trips(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.reviews.basis() is None
            uow.reviews.put_basis(ReviewBasis(fingerprint="abc", latest_day=D0))
            uow.commit()
        with uow_factory() as uow:
            uow.reviews.put_basis(ReviewBasis(fingerprint="def", latest_day=LATER))
            uow.rollback()
            assert uow.reviews.basis() == ReviewBasis(fingerprint="abc", latest_day=D0)

    def test_a_review_day_must_be_a_date(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow, pytest.raises(InvalidField):
            uow.reviews.schedule({"A-1": "2026-03-02"})  # type: ignore[dict-item]
