"""Sharding: a stable hash splits the portfolio the same way in every process."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.errors import InvalidField
from dunning_core.sharding import check_shard, shard_key, shard_label, shard_of


def test_shard_key_is_the_blake2b_prefix_not_pythons_hash() -> None:
    # Independent reference: the first 8 bytes of BLAKE2b-64, big-endian, top bit dropped.
    digest = hashlib.blake2b(b"A-1", digest_size=8).hexdigest()
    assert shard_key("A-1") == int(digest, 16) // 2
    assert shard_key("A-1") < 2**63


@given(account_id=st.text(min_size=1), n=st.integers(1, 1000))
def test_shard_of_is_in_range_and_stable(account_id: str, n: int) -> None:
    account_id = account_id.encode("utf-8", "replace").decode("utf-8")
    shard = shard_of(account_id, n)
    assert 0 <= shard < n
    assert shard == shard_key(account_id) % n


def test_shards_spread_accounts_evenly() -> None:
    counts = [0] * 8
    for k in range(8000):
        counts[shard_of(f"A-{k}", 8)] += 1
    assert min(counts) > 850  # 1000 expected per shard
    assert max(counts) < 1150


@pytest.mark.parametrize("bad", [(1, 1), (-1, 4), (0, 0), (1,), (0.0, 2), [0, 2], (True, 2)])
def test_bad_shards_are_refused(bad: object) -> None:
    with pytest.raises(InvalidField):
        check_shard(bad)


def test_shard_of_refuses_a_bad_count() -> None:
    with pytest.raises(InvalidField):
        shard_of("A-1", 0)


def test_shard_labels() -> None:
    assert shard_label(None) == "all"
    assert shard_label((3, 16)) == "3/16"
    assert check_shard((0, 1)) == (0, 1)
