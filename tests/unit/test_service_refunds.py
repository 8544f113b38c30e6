"""refund_credit: never more than the credit, idempotent on the refund id, on the statement."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from dunning_core import Account, DuplicateRefund, InvalidAmount, Money, Payment
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import CreditRefunded
from dunning_core.domain.payment import Refund
from dunning_core.service._steps import account_data, statement_of
from dunning_core.service.refunds import refund_credit

Store = MemoryStore | SqliteStore


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def seed(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
        uow.ledger.add_payment(
            Payment(id="P-1", account_id="A-1", amount=eur("80.00"), received_on=date(2026, 3, 1))
        )
        uow.commit()


def refund(refund_id: str, amount: str, on: date = date(2026, 3, 5)) -> Refund:
    return Refund(id=refund_id, account_id="A-1", amount=eur(amount), refunded_on=on)


def test_a_refund_consumes_credit_and_shows_on_the_statement(store: Store) -> None:
    seed(store)
    outcome = refund_credit(store.unit_of_work(), refund("R-1", "30.00"))
    assert isinstance(outcome.events[0], CreditRefunded)
    with store.unit_of_work(read_only=True) as uow:
        account, ledger, _ = account_data(uow, "A-1")
    sheet = statement_of(account, ledger, date(2026, 3, 6))
    assert (sheet.unapplied, sheet.refunded) == (eur("50.00"), eur("30.00"))
    assert [r.id for r in sheet.refunds] == ["R-1"]
    before = statement_of(account, ledger, date(2026, 3, 4))  # not refunded yet that day
    assert before.refunds == () and before.unapplied == eur("80.00")


def test_never_more_than_the_credit(store: Store) -> None:
    seed(store)
    refund_credit(store.unit_of_work(), refund("R-1", "50.00"))
    with pytest.raises(InvalidAmount, match="30.00"):
        refund_credit(store.unit_of_work(), refund("R-2", "30.01"))
    with pytest.raises(InvalidAmount):
        refund_credit(store.unit_of_work(), refund("R-3", "1.00", on=date(2026, 2, 28)))


def test_a_repeated_refund_id_is_a_no_op_and_a_different_one_is_refused(store: Store) -> None:
    seed(store)
    refund_credit(store.unit_of_work(), refund("R-1", "10.00"))
    assert refund_credit(store.unit_of_work(), refund("R-1", "10.00")).repeated
    with pytest.raises(DuplicateRefund):
        refund_credit(store.unit_of_work(), attrs.evolve(refund("R-1", "10.00"), amount=eur("11")))
    with store.unit_of_work(read_only=True) as uow:
        assert [e.kind for e in uow.history.events_of(["A-1"])["A-1"]] == ["credit.refunded"]
