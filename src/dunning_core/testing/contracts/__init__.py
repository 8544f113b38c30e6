"""Contract tests for store adapters, shipped so you can check your own.

Each class states one port's guarantees as pytest tests. Subclass one per port (or
:class:`StoreContract` for all of them) in a ``Test*`` class and implement
``make_uow_factory`` to return a factory of units of work on a new, empty store::

    from dunning_core.adapters.storage.sqlite import SqliteStore
    from dunning_core.testing.contracts import StoreContract

    class TestMyStore(StoreContract):
        def make_uow_factory(self):
            self.store = SqliteStore(self.tmp_path / "test.sqlite3")
            return self.store.unit_of_work

        def dispose_uow_factory(self, uow_factory):
            self.store.close()

This package needs pytest and hypothesis.
"""

from __future__ import annotations

from dunning_core.testing.contracts._base import (
    AWKWARD_IDENTIFIER,
    AWKWARD_TEXT,
    EXACT_AMOUNTS,
    StoreContractBase,
)
from dunning_core.testing.contracts.accounts import AccountStoreContract
from dunning_core.testing.contracts.history import (
    CheckpointStoreContract,
    FactsStoreContract,
    HistoryStoreContract,
)
from dunning_core.testing.contracts.ledger import LedgerStoreContract
from dunning_core.testing.contracts.outbox import OutboxStoreContract
from dunning_core.testing.contracts.reviews import ReviewStoreContract
from dunning_core.testing.contracts.uow import UnitOfWorkContract

__all__ = [
    "AWKWARD_IDENTIFIER",
    "AWKWARD_TEXT",
    "EXACT_AMOUNTS",
    "AccountStoreContract",
    "CheckpointStoreContract",
    "FactsStoreContract",
    "HistoryStoreContract",
    "LedgerStoreContract",
    "OutboxStoreContract",
    "ReviewStoreContract",
    "StoreContract",
    "StoreContractBase",
    "UnitOfWorkContract",
]


class StoreContract(
    UnitOfWorkContract,
    AccountStoreContract,
    LedgerStoreContract,
    FactsStoreContract,
    HistoryStoreContract,
    OutboxStoreContract,
    CheckpointStoreContract,
    ReviewStoreContract,
):
    """Every port's contract at once, for a store that implements them all."""
