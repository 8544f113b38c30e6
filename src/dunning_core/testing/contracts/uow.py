"""Contract of :class:`~dunning_core.ports.UnitOfWork`: atomicity and isolation."""

from __future__ import annotations

import threading

import pytest

from dunning_core.errors import ConstraintViolation, StoreError, UnitOfWorkClosed
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts._base import (
    EXACT_AMOUNTS,
    StoreContractBase,
    make_account,
    make_invoice,
    make_message,
    seed_accounts,
)


class _Boom(Exception):
    pass


class UnitOfWorkContract(StoreContractBase):
    """Every store's unit of work commits all or nothing and hides uncommitted writes."""

    def test_commit_makes_writes_visible(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            assert uow.accounts.get("A-1") == make_account("A-1")

    def test_rollback_leaves_nothing(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.accounts.add(make_account("A-1"))
            uow.ledger.add_invoices([make_invoice("I-1", "A-1", EXACT_AMOUNTS[1])])
            uow.outbox.add_messages([make_message("M-1", "A-1")])
            uow.rollback()
            assert uow.accounts.get("A-1") is None
        with uow_factory() as uow:
            uow.accounts.add(make_account("A-2"))  # left without commit
        with uow_factory() as uow:
            assert uow.accounts.count() == 0
            assert uow.ledger.get_invoices(["I-1"]) == {}
            assert uow.outbox.get("M-1") is None

    def test_exception_rolls_back_and_propagates(self, uow_factory: UowFactory) -> None:
        def fail() -> None:
            with uow_factory() as uow:
                uow.accounts.add(make_account("A-1"))
                raise _Boom

        with pytest.raises(_Boom):
            fail()
        with uow_factory() as uow:
            assert uow.accounts.count() == 0

    def test_a_failed_write_is_a_store_error_and_the_rollback_leaves_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        def fail() -> None:
            with uow_factory() as uow:
                uow.accounts.add(make_account("A-1"))
                uow.ledger.add_invoices([make_invoice("I-1", "A-404", EXACT_AMOUNTS[1])])

        with pytest.raises(ConstraintViolation):
            fail()
        assert issubclass(ConstraintViolation, StoreError)
        with uow_factory() as uow:
            assert uow.accounts.count() == 0

    def test_writes_after_a_commit_form_a_new_transaction(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.accounts.add(make_account("A-1"))
            uow.commit()
            uow.accounts.add(make_account("A-2"))
        with uow_factory() as uow:
            assert uow.accounts.iter_ids() == ["A-1"]

    def test_stores_refuse_use_outside_the_block(self, uow_factory: UowFactory) -> None:
        uow = uow_factory()
        with pytest.raises(UnitOfWorkClosed):
            uow.accounts.count()
        with uow:
            uow.accounts.count()
        with pytest.raises(UnitOfWorkClosed):
            uow.accounts.count()

    def test_uncommitted_writes_are_invisible_to_others(self, uow_factory: UowFactory) -> None:
        seen: list[object] = []
        errors: list[BaseException] = []
        started = threading.Event()

        def other() -> None:
            started.set()
            try:
                with uow_factory() as uow:  # waits for the writer, or reads before it
                    seen.append(uow.accounts.get("A-1"))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        with uow_factory() as uow:
            uow.accounts.add(make_account("A-1"))
            reader = threading.Thread(target=other)
            reader.start()
            started.wait(5)
            reader.join(0.2)  # give it time to (wrongly) see the write
            uow.rollback()
        reader.join(30)
        assert not errors, errors
        assert seen == [None]
