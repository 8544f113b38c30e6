"""The stores' structural conformance to the ports; old import paths still resolve."""

from __future__ import annotations

import inspect

import pytest

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteUnitOfWork
from dunning_core.ports import (
    AccountStore,
    CheckpointStore,
    FactsStore,
    HistoryStore,
    LedgerStore,
    OutboxStore,
)


def test_sharding_helpers_from_ports_are_deprecated_aliases() -> None:
    from dunning_core import sharding

    with pytest.deprecated_call(match="dunning_core.sharding.shard_of"):
        from dunning_core.ports import shard_of
    assert shard_of is sharding.shard_of


PORTS = {
    "accounts": AccountStore,
    "ledger": LedgerStore,
    "facts": FactsStore,
    "history": HistoryStore,
    "outbox": OutboxStore,
    "checkpoints": CheckpointStore,
}


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    "uow",
    [MemoryStore().unit_of_work(), SqliteUnitOfWork.__new__(SqliteUnitOfWork)],
    ids=["memory", "sqlite"],
)
@pytest.mark.parametrize("attribute", sorted(PORTS))
def test_stores_implement_every_port_method_with_its_signature(uow: object, attribute: str) -> None:
    if isinstance(uow, SqliteUnitOfWork):
        SqliteUnitOfWork.__init__(uow, None)  # type: ignore[arg-type]
    store = getattr(uow, attribute)
    for name, expected in _methods(PORTS[attribute]).items():
        actual = inspect.signature(getattr(store, name))
        wanted = [(p.name, p.kind) for p in expected.parameters.values() if p.name != "self"]
        assert [(p.name, p.kind) for p in actual.parameters.values()] == wanted, name
    for name in ("commit", "rollback", "__enter__", "__exit__"):
        assert callable(getattr(uow, name))
