"""The working state of one allocation run (private).

A :class:`_Book` reads the open items once: it indexes them by invoice number and
sorts the eligible ones into pools, one per (currency, account) -- or per (currency,
billing entity) under central billing. A pool is a heap keyed by the allocation order
and built lazily on first use, so one payment over n items costs O(n) to read them plus
O(k log n) for the k invoices it settles: O(n log n) at worst, never a full sort when a
payment settles only the oldest few. Open amounts live in a list of ``Decimal`` that
the run updates in place; nothing here is visible outside the package.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any

from dunning_core.domain.payment import Allocation, AllocationKind
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.policies.allocation._policy import (
    AllocationOrder,
    AllocationPolicy,
    Eligibility,
)
from dunning_core.policies.allocation._result import Discrepancy

PoolKey = tuple[str, Hashable]  # (currency, account id or billing-entity group)

_new = object.__new__
_set = object.__setattr__


def new_allocation(
    number: str, amount: Money, kind: AllocationKind, source_id: str, reference: str | None
) -> Allocation:
    """Build an :class:`Allocation` without re-validating it.

    Hot path: every argument is known valid here (an invoice number and a source id
    that were validated on their own objects, a positive quantized amount), and the
    validators cost more than the rest of the allocation loop.
    """
    allocation: Allocation = _new(Allocation)
    _set(allocation, "invoice_number", number)
    _set(allocation, "amount", amount)
    _set(allocation, "kind", kind)
    _set(allocation, "source_id", source_id)
    _set(allocation, "reference", reference)
    return allocation


class Book:
    """Open items being allocated, with their current open amounts."""

    __slots__ = (
        "_central",
        "_entities",
        "_ready",
        "_statutory",
        "currencies_of",
        "eligibility",
        "index",
        "items",
        "opens",
        "policy",
        "pools",
    )

    def __init__(
        self, open_items: Iterable[OpenItem], policy: AllocationPolicy, eligibility: Eligibility
    ) -> None:
        self.policy = policy
        self.eligibility = eligibility
        self._central = policy.central_billing
        self._entities = eligibility.billing_entities
        self._statutory = policy.order is AllocationOrder.STATUTORY
        self._ready: set[PoolKey] = set()
        items: list[OpenItem] = []
        opens: list[Decimal] = []
        index: dict[str, int] = {}
        pools: dict[PoolKey, list[Any]] = {}
        currencies_of: dict[Hashable, set[str]] = {}
        excluded = eligibility.excluded
        group = self.group
        for item in open_items:
            if not isinstance(item, OpenItem):
                raise InvalidField("open_items", item, "every item must be an OpenItem")
            invoice = item.invoice
            number = invoice.number
            if number in index:
                raise InvalidField("open_items", number, "the invoice appears twice")
            idx = len(items)
            index[number] = idx
            items.append(item)
            money = item.open_amount
            open_amount = money.amount
            opens.append(open_amount)
            if open_amount <= 0 or number in excluded:
                continue
            currency = money.currency
            owner = group(invoice.account_id)
            key = (currency, owner)
            pool = pools.get(key)
            if pool is None:
                pools[key] = pool = []
                currencies_of.setdefault(owner, set()).add(currency)
            pool.append((invoice.due_on, invoice.issued_on, number, idx))
        self.items = items
        self.opens = opens
        self.index = index
        self.pools = pools
        self.currencies_of = currencies_of

    def group(self, account_id: str) -> Hashable:
        """The pool owner of an account: itself, or its billing entity under central billing."""
        if self._central:
            entity = self._entities.get(account_id)
            if entity is not None:
                return ("entity", entity)
        return account_id

    def _heap(self, key: PoolKey) -> list[Any]:
        pool = self.pools.get(key)
        if pool is None:
            return []
        if key not in self._ready:
            if self._statutory:
                pool = self.pools[key] = self._statutory_entries(pool)
            heapq.heapify(pool)
            self._ready.add(key)
        return pool

    def _statutory_entries(self, pool: list[Any]) -> list[Any]:
        # Debts oldest first (by their principal invoice when it is known), then costs,
        # interest and principal within a debt, then the item's own key.
        part_of = self.policy.debt_part
        items = self.items
        index = self.index
        parts = [(entry, part_of(items[entry[-1]])) for entry in pool]
        debt_keys: dict[str, tuple[Any, ...]] = {}
        for entry, part in parts:
            principal = index.get(part.debt)
            if principal is not None:
                invoice = items[principal].invoice
                debt_keys[part.debt] = (invoice.due_on, invoice.issued_on, invoice.number)
            else:
                key = entry[:3]
                known = debt_keys.get(part.debt)
                debt_keys[part.debt] = key if known is None or key < known else known
        return [(debt_keys[part.debt], part.component.rank, *entry) for entry, part in parts]

    def fill(self, key: PoolKey, amount: Decimal) -> list[tuple[int, Decimal]]:
        """Settle the pool's items in order with ``amount`` (greedy prefix fill).

        Returns:
            ``(item index, amount taken)`` pairs; the open amounts are already reduced.
        """
        taken: list[tuple[int, Decimal]] = []
        if not amount:
            return taken
        heap = self._heap(key)
        opens = self.opens
        pop = heapq.heappop
        while heap:
            idx = heap[0][-1]
            open_amount = opens[idx]
            if not open_amount:  # settled meanwhile by an advice line or a credit note
                pop(heap)
                continue
            if open_amount <= amount:
                take = open_amount
                pop(heap)
            else:
                take = amount
            opens[idx] = open_amount - take
            amount -= take
            taken.append((idx, take))
            if not amount:
                break
        return taken

    def open_elsewhere(self, owner: Hashable, currency: str) -> list[str]:
        """Numbers of the owner's open items in currencies other than ``currency``."""
        numbers: list[str] = []
        opens = self.opens
        for other in sorted(self.currencies_of.get(owner, ())):
            if other == currency:
                continue
            # Sorted by the order key (never by position, so input order does not show).
            numbers.extend(e[-2] for e in sorted(self.pools[(other, owner)]) if opens[e[-1]])
        return numbers


class Run:
    """The allocations and discrepancies of one source being applied."""

    __slots__ = ("allocations", "book", "discrepancies", "touched")

    def __init__(self, book: Book) -> None:
        self.book = book
        self.allocations: list[Allocation] = []
        self.discrepancies: list[Discrepancy] = []
        self.touched: dict[int, None] = {}

    def record(
        self,
        idx: int,
        amount: Decimal,
        kind: AllocationKind,
        source_id: str,
        reference: str | None = None,
    ) -> None:
        """Record an allocation whose amount the book already took off the item."""
        item = self.book.items[idx]
        money = Money._exact(amount, item.open_amount.currency)
        self.allocations.append(
            new_allocation(item.invoice.number, money, kind, source_id, reference)
        )
        self.touched[idx] = None

    def take(
        self,
        idx: int,
        amount: Decimal,
        kind: AllocationKind,
        source_id: str,
        reference: str | None = None,
    ) -> None:
        """Take ``amount`` off item ``idx`` and record the allocation."""
        self.book.opens[idx] -= amount
        self.record(idx, amount, kind, source_id, reference)

    def fill(self, key: PoolKey, amount: Decimal, kind: AllocationKind, source_id: str) -> Decimal:
        """Fill the pool ``key`` in order; returns what is left of ``amount``."""
        for idx, take in self.book.fill(key, amount):
            self.record(idx, take, kind, source_id)
            amount -= take
        return amount

    def note(self, discrepancy: Discrepancy) -> None:
        """Report a discrepancy."""
        self.discrepancies.append(discrepancy)

    def open_after(self) -> tuple[tuple[str, Money], ...]:
        """``(number, open amount now)`` for every item touched, in first-touched order."""
        items = self.book.items
        opens = self.book.opens
        return tuple(
            (items[idx].invoice.number, Money._exact(opens[idx], items[idx].open_amount.currency))
            for idx in self.touched
        )
