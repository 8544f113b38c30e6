"""The shipped contract suite, run against the in-memory and SQLite stores."""

from __future__ import annotations

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts import StoreContract


class TestMemoryStore(StoreContract):
    def make_uow_factory(self) -> UowFactory:
        return MemoryStore(lock_timeout=30).unit_of_work


class TestSqliteStore(StoreContract):
    def make_uow_factory(self) -> UowFactory:
        self.store = SqliteStore(self.tmp_path / "contract.sqlite3", busy_timeout=30)
        return self.store.unit_of_work

    def dispose_uow_factory(self, uow_factory: UowFactory) -> None:
        assert self.store.integrity_check() == ["ok"]
        self.store.close()
