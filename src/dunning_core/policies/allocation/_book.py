"""The working state of one allocation run (private).

A :class:`Book` reads the open items once: it indexes them by invoice number and puts
the eligible ones into pools, one per (currency, account) -- or per (currency, billing
entity) under central billing. A pool is ordered lazily on first use: heapified (O(n)),
then popped while a payment settles a few invoices, and sorted once (O(n log n)) when
one settles many. One payment over n items thus costs O(n) to read them plus
O(k log n) for the k invoices it settles, O(n log n) at worst. Open amounts live in a
list of ``Decimal`` that the run updates in place; nothing here is visible outside the
package.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from types import MemberDescriptorType
from typing import Any

from dunning_core.domain.payment import Allocation, AllocationKind
from dunning_core.domain.reasons import Reason
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.policies.allocation._policy import (
    AllocationOrder,
    AllocationPolicy,
    Eligibility,
)

PoolKey = tuple[str, Hashable]  # (currency, account id or billing-entity group)

_PAID = Decimal(0)
# Positions in a pool entry, counted from the end (statutory entries have a longer key).
_NUMBER, _IDX, _MONEY = -3, -2, -1
_new = object.__new__
_set = object.__setattr__


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """A fast setter for one field of a frozen slotted attrs class: the slot's own
    descriptor (it skips the frozen ``__setattr__`` and the attribute look-up)."""
    slot = cls.__dict__.get(name)
    if isinstance(slot, MemberDescriptorType):
        setter: Callable[[Any, Any], None] = slot.__set__
        return setter
    return lambda instance, value: _set(instance, name, value)  # pragma: no cover


_set_number = _slot_setter(Allocation, "invoice_number")
_set_amount = _slot_setter(Allocation, "amount")
_set_kind = _slot_setter(Allocation, "kind")
_set_source = _slot_setter(Allocation, "source_id")
_set_reference = _slot_setter(Allocation, "reference")
_set_money_amount = _slot_setter(Money, "amount")
_set_money_currency = _slot_setter(Money, "currency")


def new_allocation(
    number: str, amount: Money, kind: AllocationKind, source_id: str, reference: str | None
) -> Allocation:
    """Build an :class:`Allocation` without re-validating it.

    Hot path: every argument is known valid here (an invoice number and a source id
    that were validated on their own objects, a positive quantized amount), and the
    validators cost more than the rest of the allocation loop.
    """
    allocation: Allocation = _new(Allocation)
    _set_number(allocation, number)
    _set_amount(allocation, amount)
    _set_kind(allocation, kind)
    _set_source(allocation, source_id)
    _set_reference(allocation, reference)
    return allocation


def new_money(amount: Decimal, currency: str) -> Money:
    """``Money._exact`` without its method call: ``amount`` must be quantized."""
    money: Money = _new(Money)
    _set_money_amount(money, amount)
    _set_money_currency(money, currency)
    return money


# A fill that pops more than this many items from a pool's heap sorts the rest instead:
# a large payment then costs one C sort plus a linear walk, not one sift per invoice.
_HEAP_POPS = 32


class _Pool:
    """The eligible items of one (currency, owner), in allocation order.

    Starts as an unordered list; on first use it becomes a heap (O(n)), and once a
    fill pops many items it is sorted and walked with a cursor. Either way the items
    come out in the same order, so the switch changes speed, not results.
    """

    __slots__ = ("cursor", "entries", "state")

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.state = 0  # 0 raw, 1 heap, 2 sorted (walk from cursor)
        self.cursor = 0


class Book:
    """Open items being allocated, with their current open amounts."""

    __slots__ = (
        "_central",
        "_entities",
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
        items = list(open_items)
        if set(map(type, items)) - {OpenItem}:
            for item in items:
                if not isinstance(item, OpenItem):
                    raise InvalidField("open_items", item, "every item must be an OpenItem")
        invoices = [item.invoice for item in items]
        amounts = [item.open_amount for item in items]
        opens = [money.amount for money in amounts]
        # An entry: the order key (due date, issue date, number; numbers are unique, so
        # nothing after them is ever compared), then what the fill loop needs without
        # going back to the item: its index and its open amount as Money.
        keys = [
            (inv.due_on, inv.issued_on, inv.number, idx, money)
            for idx, (inv, money) in enumerate(zip(invoices, amounts, strict=True))
        ]
        index = {key[2]: key[3] for key in keys}
        if len(index) != len(keys):
            seen: set[str] = set()
            for key in keys:
                if key[2] in seen:
                    raise InvalidField("open_items", key[2], "the invoice appears twice")
                seen.add(key[2])
        pools: dict[PoolKey, _Pool] = {}
        currencies_of: dict[Hashable, set[str]] = {}
        excluded = eligibility.excluded
        group = self.group
        accounts = [inv.account_id for inv in invoices]
        currencies = [money.currency for money in amounts]
        if keys and len(set(accounts)) == 1 and len(set(currencies)) == 1:
            # One account, one currency (a single statement): one pool, no loop.
            owner = group(accounts[0])
            pool = pools[(currencies[0], owner)] = _Pool()
            currencies_of[owner] = {currencies[0]}
            if excluded or min(opens) <= _PAID:
                pool.entries = [
                    key
                    for key, amount in zip(keys, opens, strict=True)
                    if amount > _PAID and key[2] not in excluded
                ]
            else:
                pool.entries = keys
        else:
            # Items of one account usually come together: remember the last pool used.
            last_account = last_currency = None
            entries: list[Any] = []
            for key, account, currency, amount in zip(
                keys, accounts, currencies, opens, strict=True
            ):
                if not amount > _PAID or (excluded and key[2] in excluded):
                    continue
                if account != last_account or currency != last_currency:
                    owner = group(account)
                    found = pools.get((currency, owner))
                    if found is None:
                        pools[(currency, owner)] = found = _Pool()
                        currencies_of.setdefault(owner, set()).add(currency)
                    entries = found.entries
                    last_account, last_currency = account, currency
                entries.append(key)
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

    def _statutory_entries(self, pool: list[Any]) -> list[Any]:
        # Debts oldest first (by their principal invoice when it is known), then costs,
        # interest and principal within a debt, then the item's own key.
        part_of = self.policy.debt_part
        items = self.items
        index = self.index
        parts = [(entry, part_of(items[entry[_IDX]])) for entry in pool]
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

    def fill(
        self,
        key: PoolKey,
        amount: Decimal,
        kind: AllocationKind,
        source_id: str,
        allocations: list[Allocation],
        touched: dict[int, None],
    ) -> Decimal:
        """Settle the pool's items in order with ``amount`` (greedy prefix fill).

        Appends one allocation per item settled (wholly or, for the last, in part) to
        ``allocations``, and the index of an item left partly paid to ``touched``;
        reduces the open amounts.

        Returns:
            What is left of ``amount``.
        """
        pool = self.pools.get(key)
        if not amount or pool is None:
            return amount
        opens = self.opens
        add = allocations.append

        def settle(entry: tuple[Any, ...], take: Decimal) -> None:
            # The hot path of a large payment: Allocation and Money built without their
            # validators (see new_allocation), the item's own Money reused when whole,
            # and nothing read from the item itself (it may be anywhere in memory).
            money = entry[_MONEY]
            if take != money.amount:
                money = new_money(take, money.currency)
                touched[entry[_IDX]] = None  # only a partly paid item can stay open
            allocation = _new(Allocation)
            _set_number(allocation, entry[_NUMBER])
            _set_amount(allocation, money)
            _set_kind(allocation, kind)
            _set_source(allocation, source_id)
            _set_reference(allocation, None)
            add(allocation)

        entries = pool.entries
        if pool.state == 0:
            if self.policy.order is AllocationOrder.STATUTORY:
                entries = pool.entries = self._statutory_entries(entries)
            heapq.heapify(entries)
            pool.state = 1
        if pool.state == 1:
            pop = heapq.heappop
            pops = 0
            while entries:
                entry = entries[0]
                idx = entry[_IDX]
                open_amount = opens[idx]
                if not open_amount:  # settled meanwhile by an advice line or a credit note
                    pop(entries)
                    continue
                if open_amount > amount:
                    opens[idx] = open_amount - amount
                    settle(entry, amount)
                    return amount - amount  # a zero with the currency's exponent
                pop(entries)
                opens[idx] = _PAID
                amount -= open_amount
                settle(entry, open_amount)
                if not amount:
                    return amount
                pops += 1
                if pops == _HEAP_POPS:
                    entries.sort()  # what is left, in order; walked from the cursor
                    pool.state = 2
                    pool.cursor = 0
                    break
            else:
                return amount
        cursor = pool.cursor
        size = len(entries)
        while cursor < size:
            entry = entries[cursor]
            idx = entry[_IDX]
            open_amount = opens[idx]
            if not open_amount:
                cursor += 1
                continue
            if open_amount > amount:
                opens[idx] = open_amount - amount
                settle(entry, amount)
                amount -= amount
                break
            cursor += 1
            opens[idx] = _PAID
            amount -= open_amount
            settle(entry, open_amount)
            if not amount:
                break
        pool.cursor = cursor
        return amount

    def open_elsewhere(self, owner: Hashable, currency: str) -> list[str]:
        """Numbers of the owner's open items in currencies other than ``currency``."""
        numbers: list[str] = []
        opens = self.opens
        for other in sorted(self.currencies_of.get(owner, ())):
            if other == currency:
                continue
            # Sorted by the order key (never by position, so input order does not show).
            entries = sorted(self.pools[(other, owner)].entries)
            numbers.extend(e[_NUMBER] for e in entries if opens[e[_IDX]])
        return numbers


class Run:
    """The allocations and discrepancies of one source being applied."""

    __slots__ = ("allocations", "book", "discrepancies", "touched")

    def __init__(self, book: Book) -> None:
        self.book = book
        self.allocations: list[Allocation] = []
        self.discrepancies: list[Reason] = []
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
        self.allocations.append(
            new_allocation(item.invoice.number, _money(amount, item), kind, source_id, reference)
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
        return self.book.fill(key, amount, kind, source_id, self.allocations, self.touched)

    def note(self, discrepancy: Reason) -> None:
        """Report a discrepancy."""
        self.discrepancies.append(discrepancy)

    def left_open(self) -> tuple[tuple[str, Money], ...]:
        """``(number, open amount now)`` for the touched items not paid in full."""
        items = self.book.items
        opens = self.book.opens
        return tuple(
            (items[idx].invoice.number, _money(opens[idx], items[idx]))
            for idx in self.touched
            if opens[idx]
        )


def _money(amount: Decimal, item: OpenItem) -> Money:
    """``amount`` as Money in the item's currency, reusing the item's own open amount when
    it is the same (the usual case: an invoice paid in full)."""
    money = item.open_amount
    if amount == money.amount:
        return money
    return new_money(amount, money.currency)
