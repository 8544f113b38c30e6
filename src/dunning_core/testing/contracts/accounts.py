"""Contract of :class:`~dunning_core.ports.AccountStore`."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain._checks import identifier_problem
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.ports import UowFactory
from dunning_core.sharding import shard_of
from dunning_core.testing.contracts._base import (
    EXACT_AMOUNTS,
    StoreContractBase,
    fixture_ok,
    make_account,
    rich_account,
    seed_accounts,
)

# Any identifier Account accepts: every script and astral characters, no control or
# format characters, no surrounding whitespace, NFC.
_account_ids = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda text: identifier_problem(text) is None)


class AccountStoreContract(StoreContractBase):
    """Accounts round-trip; pages and shards visit each account exactly once."""

    @pytest.mark.parametrize("limit", EXACT_AMOUNTS, ids=lambda m: m.currency)
    def test_account_round_trip_keeps_every_field(
        self, uow_factory: UowFactory, limit: Money
    ) -> None:
        account = rich_account("A-1", limit)
        seed_accounts(uow_factory, account)
        with uow_factory() as uow:
            loaded = uow.accounts.get("A-1")
            assert loaded == account
            assert loaded is not None
            assert loaded.credit_limit == limit
            assert uow.accounts.get_many(["A-1", "A-404"]) == {"A-1": account}

    def test_add_replaces_by_id(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        renamed = make_account("A-1", name="Renamed", currency="JPY")
        seed_accounts(uow_factory, renamed)
        with uow_factory() as uow:
            assert uow.accounts.get("A-1") == renamed
            assert uow.accounts.count() == 1

    def test_accounts_of_an_entity(self, uow_factory: UowFactory) -> None:
        entity = self.unique("E")
        seed_accounts(
            uow_factory,
            attrs.evolve(make_account(entity + "-b"), billing_entity_id=entity),
            attrs.evolve(make_account(entity + "-a"), billing_entity_id=entity),
            make_account(entity + "-alone"),
        )
        with uow_factory() as uow:
            assert uow.accounts.ids_of_entity(entity) == [entity + "-a", entity + "-b"]
            assert uow.accounts.ids_of_entity(entity + "-none") == []

    def test_missing_account_is_none(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.accounts.get("A-404") is None
            assert uow.accounts.get_many([]) == {}

    @fixture_ok
    @given(ids=st.sets(_account_ids, max_size=40), limit=st.integers(1, 7))
    def test_pages_visit_every_account_once_in_order(
        self, uow_factory: UowFactory, ids: set[str], limit: int
    ) -> None:
        prefix = self.unique("P") + "/"  # keeps this example's accounts apart
        wanted = sorted(prefix + i for i in ids)
        seed_accounts(uow_factory, *(make_account(i) for i in wanted))
        visited: list[str] = []
        after: str | None = prefix
        with uow_factory() as uow:
            while True:
                page = uow.accounts.iter_ids(after=after, limit=limit)
                page = [i for i in page if i.startswith(prefix)]
                assert len(page) <= limit
                if not page:
                    break
                visited.extend(page)
                after = page[-1]
        assert visited == wanted  # ascending code-point order, each id once

    @fixture_ok
    @given(ids=st.sets(_account_ids, min_size=1, max_size=30), n=st.integers(1, 6))
    def test_shards_partition_the_accounts(
        self, uow_factory: UowFactory, ids: set[str], n: int
    ) -> None:
        prefix = self.unique("S") + "/"
        wanted = {prefix + i for i in ids}
        seed_accounts(uow_factory, *(make_account(i) for i in wanted))
        seen: list[str] = []
        with uow_factory() as uow:
            for index in range(n):
                after: str | None = prefix
                while True:
                    page = uow.accounts.iter_ids(after=after, limit=4, shard=(index, n))
                    mine = [i for i in page if i.startswith(prefix)]
                    if not mine:
                        break
                    assert all(shard_of(i, n) == index for i in mine)
                    seen.extend(mine)
                    after = mine[-1]
        assert sorted(seen) == sorted(wanted)  # every account in exactly one shard

    def test_unsharded_and_first_page(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, *(make_account(f"A-{k}") for k in (3, 1, 2)))
        with uow_factory() as uow:
            assert uow.accounts.iter_ids(limit=2) == ["A-1", "A-2"]
            assert uow.accounts.iter_ids(after="A-2") == ["A-3"]
            assert uow.accounts.iter_ids(after="A-3") == []
            assert uow.accounts.iter_ids(shard=(0, 1)) == ["A-1", "A-2", "A-3"]
            assert uow.accounts.count() == 3

    @pytest.mark.parametrize("limit", [0, -1, True, 2.0])
    def test_a_page_limit_must_be_positive(self, uow_factory: UowFactory, limit: object) -> None:
        with uow_factory() as uow, pytest.raises(InvalidField):
            uow.accounts.iter_ids(limit=limit)  # type: ignore[arg-type]
