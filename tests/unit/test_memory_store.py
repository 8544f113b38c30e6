"""What is particular to the in-memory store (the rest is the contract suite)."""

from __future__ import annotations

import threading

import pytest

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Account
from dunning_core.errors import StoreBusy, StoreError, UnitOfWorkClosed


def test_a_second_unit_of_work_waits_then_reports_busy() -> None:
    store = MemoryStore(lock_timeout=0.1)
    outcome: list[BaseException] = []
    with store.unit_of_work():

        def other() -> None:
            try:
                store.unit_of_work().__enter__()
            except StoreBusy as error:
                outcome.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(5)
    assert len(outcome) == 1


def test_nesting_in_one_thread_fails_fast() -> None:
    store = MemoryStore(lock_timeout=30)
    with store.unit_of_work(), pytest.raises(StoreBusy):
        store.unit_of_work().__enter__()


def test_a_read_only_unit_of_work_refuses_writes() -> None:
    store = MemoryStore()
    with store.unit_of_work(read_only=True) as uow, pytest.raises(StoreError):
        uow.accounts.add(Account(id="A-1", name="x", currency="EUR"))


def test_a_unit_of_work_is_entered_once() -> None:
    store = MemoryStore()
    uow = store.unit_of_work()
    with uow:
        pass
    with pytest.raises(UnitOfWorkClosed):
        uow.__enter__()


def test_ids_added_then_rolled_back_leave_the_page_order_intact() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add_many(Account(id=i, name="x", currency="EUR") for i in ("b", "d"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="c", name="x", currency="EUR"))
        assert uow.accounts.iter_ids() == ["b", "c", "d"]
    with store.unit_of_work() as uow:
        assert uow.accounts.iter_ids() == ["b", "d"]
        assert uow.accounts.iter_ids(after="a", limit=1) == ["b"]
