"""Per-account state that policies carry from one run to the next (and stores persist).

Policies compute the next state from the previous one; the service layer stores it.
Both are plain values so any store can keep them in a row.
"""

from __future__ import annotations

from datetime import date

import attrs

from dunning_core.domain._checks import identifier, optional_date, to_frozenset, to_tuple
from dunning_core.errors import InvalidField

__all__ = ["CreditAlertState", "SuspensionState"]


def _sorted_codes(codes: object) -> tuple[str, ...]:
    items = to_tuple(codes)
    for code in items:
        if not isinstance(code, str) or not code:
            raise InvalidField("SuspensionState.reason_codes", items, "must be non-empty strings")
    return tuple(sorted(items))


def _thresholds(value: object) -> frozenset[int]:
    fired = to_frozenset(value)
    for threshold in fired:
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= 0:
            raise InvalidField(
                "CreditAlertState.fired", sorted(map(repr, fired)), "must be whole percentages > 0"
            )
    return fired


@attrs.frozen(kw_only=True)
class SuspensionState:
    """Whether an account is suspended, why, and since when.

    Attributes:
        account_id: The account.
        suspended: True while service is suspended.
        reason_codes: The stable codes of the reasons in force, sorted.
        since: The day the current state began (``None`` for "always active").
        requires_prepayment: True when the account may only run on prepayment (after an
            insolvency ruling).
    """

    account_id: str = attrs.field(validator=identifier)
    suspended: bool = False
    reason_codes: tuple[str, ...] = attrs.field(default=(), converter=_sorted_codes)
    since: date | None = attrs.field(default=None, validator=optional_date)
    requires_prepayment: bool = False


@attrs.frozen(kw_only=True)
class CreditAlertState:
    """Which credit-limit thresholds have fired and not yet re-armed.

    Attributes:
        account_id: The account.
        fired: Thresholds (in percent of the limit) that fired and stay disarmed until
            utilisation falls below them by the hysteresis margin.
    """

    account_id: str = attrs.field(validator=identifier)
    fired: frozenset[int] = attrs.field(default=frozenset(), converter=_thresholds)
