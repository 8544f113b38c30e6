"""Argument checks shared by the stores (so both refuse the same things alike)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dunning_core.domain.payment import Payment
from dunning_core.errors import DuplicatePayment, InvalidField


def page_limit(limit: object, field: str = "limit") -> int:
    """A positive int page size (SQL's ``LIMIT -1`` would mean "no limit")."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidField(field, limit, "must be an int >= 1")
    return limit


def claim_arguments(
    now: object, limit: object, lease_for: object, lease_now: object = None
) -> datetime:
    """``claim_due``'s arguments: aware instants, a positive limit, a positive lease.

    Returns:
        The instant leases are judged and granted at: ``lease_now``, or ``now``.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidField("now", now, "must be a timezone-aware datetime")
    page_limit(limit)
    if not isinstance(lease_for, timedelta) or lease_for <= timedelta(0):
        raise InvalidField("lease_for", lease_for, "must be a positive timedelta")
    if lease_now is None:
        return now
    if not isinstance(lease_now, datetime) or lease_now.utcoffset() is None:
        raise InvalidField("lease_now", lease_now, "must be a timezone-aware datetime")
    return lease_now


def check_replay(on_file: Payment, arriving: Payment) -> None:
    """``add_payment`` of an id on file: a replay (same amount, and the same account
    unless one side is unidentified) is a no-op; anything else is another payment
    under a taken id.

    Raises:
        DuplicatePayment: the amount (or currency) or the account differs.
    """
    if on_file.amount != arriving.amount:
        raise DuplicatePayment(
            arriving.id, f"on file with {on_file.amount}, now arriving with {arriving.amount}"
        )
    if (
        on_file.account_id is not None
        and arriving.account_id is not None
        and on_file.account_id != arriving.account_id
    ):
        raise DuplicatePayment(
            arriving.id,
            f"on file for account {on_file.account_id!r}, now for {arriving.account_id!r}",
        )
