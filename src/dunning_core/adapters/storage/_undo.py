"""Tables with secondary indexes and an undo log: the memory store's transactions.

Every change made while a transaction is open records how to undo itself; a rollback
replays those records backwards, a commit forgets them. Together with the store lock
held for the whole unit of work, this gives the memory store the same atomicity and
isolation as a database without copying the tables per transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class UndoLog:
    """The undo records of the open transaction, newest last."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[Callable[[], object]] = []

    def record(self, undo: Callable[[], object]) -> None:
        """Remember how to revert one change."""
        self._entries.append(undo)

    def commit(self) -> None:
        """Keep every change: forget the undo records."""
        self._entries.clear()

    def rollback(self) -> None:
        """Revert every change since the last commit, newest first."""
        entries = self._entries
        while entries:
            entries.pop()()


class Table(Generic[K, V]):
    """A dict of rows by primary key, with secondary indexes that group keys.

    Args:
        log: The store's undo log.
        indexes: Name -> function giving a row's index value (``None``: not indexed).
    """

    __slots__ = ("_indexes", "_log", "groups", "rows")

    def __init__(self, log: UndoLog, **indexes: Callable[[V], Hashable | None]) -> None:
        self._log = log
        self._indexes = indexes
        self.rows: dict[K, V] = {}
        self.groups: dict[str, dict[Hashable, dict[K, None]]] = {name: {} for name in indexes}

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def get(self, key: K) -> V | None:
        """The row, or ``None``."""
        return self.rows.get(key)

    def put(self, key: K, value: V) -> V | None:
        """Insert or replace; return the previous row."""
        old = self._raw_put(key, value)
        if old is None:
            self._log.record(lambda: self._raw_delete(key))
        else:
            self._log.record(lambda: self._raw_put(key, old))
        return old

    def delete(self, key: K) -> V | None:
        """Remove a row; return it."""
        old = self._raw_delete(key)
        if old is not None:
            self._log.record(lambda: self._raw_put(key, old))
        return old

    def keys_by(self, index: str, value: Hashable) -> Iterator[K]:
        """The keys whose ``index`` value is ``value``."""
        group = self.groups[index].get(value)
        return iter(()) if group is None else iter(tuple(group))

    def rows_by(self, index: str, values: Iterable[Hashable]) -> Iterator[tuple[Hashable, V]]:
        """``(index value, row)`` for every row under each of ``values``."""
        groups = self.groups[index]
        rows = self.rows
        for value in values:
            group = groups.get(value)
            if group:
                for key in group:
                    yield value, rows[key]

    def _raw_put(self, key: K, value: V) -> V | None:
        old = self.rows.get(key)
        if old is not None:
            self._unindex(key, old)
        self.rows[key] = value
        for name, of in self._indexes.items():
            group_value = of(value)
            if group_value is not None:
                self.groups[name].setdefault(group_value, {})[key] = None
        return old

    def _raw_delete(self, key: K) -> V | None:
        old = self.rows.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def _unindex(self, key: K, value: V) -> None:
        for name, of in self._indexes.items():
            group_value = of(value)
            if group_value is None:
                continue
            group = self.groups[name].get(group_value)
            if group is not None:
                group.pop(key, None)
                if not group:
                    del self.groups[name][group_value]
