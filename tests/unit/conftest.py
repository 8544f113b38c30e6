"""Fixtures shared by the unit tests of the account services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SqliteStore]:
    """A fresh store of each kind the library ships."""
    if request.param == "memory":
        yield MemoryStore()
        return
    sqlite = SqliteStore(tmp_path / "services.sqlite3")
    yield sqlite
    assert sqlite.integrity_check() == ["ok"]
    sqlite.close()
