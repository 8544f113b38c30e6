"""Sharding a portfolio: which accounts one worker (one job) evaluates.

``shard=(i, n)`` selects the accounts whose :func:`shard_of` is ``i``. The hash is a
stable BLAKE2b prefix of the account id, never Python's salted ``hash()``, so every
process, host and store agrees on who is in which shard; SQL stores keep
:func:`shard_key` in a column and filter on it.

>>> shard_of("A-1", 16) == shard_of("A-1", 16)
True
>>> shard_label((3, 16)), shard_label(None)
('3/16', 'all')

.. versionadded:: 0.2
   Moved from :mod:`dunning_core.ports`.
"""

from __future__ import annotations

import hashlib

from dunning_core.errors import InvalidField

__all__ = ["Shard", "check_shard", "shard_key", "shard_label", "shard_of"]

#: ``(i, n)``: shard ``i`` of ``n`` (``0 <= i < n``).
Shard = tuple[int, int]


def shard_key(account_id: str) -> int:
    """The account's stable 63-bit hash: the first 8 bytes of BLAKE2b of its UTF-8 id.

    It fits a signed 64-bit integer column, so SQL stores can keep and filter on it.

    >>> shard_key("A-1") == shard_key("A-1")
    True
    """
    digest = hashlib.blake2b(account_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def shard_of(account_id: str, n: int) -> int:
    """The shard (``0 <= shard < n``) the account falls in when the portfolio is split
    ``n`` ways. Stable across processes, machines and Python versions.

    Raises:
        InvalidField: ``n`` is not a positive int.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidField("n", n, "the number of shards must be a positive int")
    return shard_key(account_id) % n


def check_shard(shard: object) -> Shard | None:
    """Validate a ``shard`` argument: ``None`` (every account) or ``(i, n)``.

    Raises:
        InvalidField: not a pair of ints with ``0 <= i < n``.
    """
    if shard is None:
        return None
    if (
        isinstance(shard, tuple)
        and len(shard) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
        and 0 <= shard[0] < shard[1]
    ):
        return (shard[0], shard[1])
    raise InvalidField("shard", shard, "must be None or (i, n) with 0 <= i < n")


def shard_label(shard: Shard | None) -> str:
    """The label checkpoints use for a shard: ``"all"`` or ``"i/n"``."""
    checked = check_shard(shard)
    return "all" if checked is None else f"{checked[0]}/{checked[1]}"
