"""Events a suspension decision causes: :class:`AccountSuspended`,
:class:`AccountReactivated`, and :func:`transition`, which picks one (or none) by
comparing a decision with the persisted state.

Everything here is re-exported by :mod:`dunning_core.policies.suspension`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import attrs

from dunning_core.domain.dates import AsOf, local_date
from dunning_core.domain.payment import Payment
from dunning_core.domain.state import SuspensionState
from dunning_core.errors import AccountMismatch
from dunning_core.policies.suspension_decision import SuspensionDecision
from dunning_core.policies.suspension_reasons import Reason

__all__ = ["AccountReactivated", "AccountSuspended", "transition"]


def _check_at(at: Any) -> None:
    local_date(at, ZoneInfo("UTC"))  # raises InvalidAsOf for a naive datetime or a non-date


@attrs.frozen(kw_only=True)
class AccountSuspended:
    """An account's service was suspended.

    Attributes:
        account_id: The account.
        at: When (as given to :func:`transition`).
        reasons: Why, as the decision found them.
        resumes_when: What clears it, for the customer.
        requires_prepayment: Whether service, once back, runs on prepayment only.
    """

    account_id: str
    at: AsOf
    reasons: tuple[Reason, ...]
    resumes_when: str
    requires_prepayment: bool = False

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The distinct reason codes, sorted."""
        return tuple(sorted({r.code for r in self.reasons}))


@attrs.frozen(kw_only=True)
class AccountReactivated:
    """An account's service came back: no reason remained.

    Attributes:
        account_id: The account.
        at: When (as given to :func:`transition`).
        cleared_reason_codes: The codes of the reasons that were in force.
        payment_id: The payment whose allocation cleared them, when the caller named it.
        requires_prepayment: True when service resumes on prepayment only.
    """

    account_id: str
    at: AsOf
    cleared_reason_codes: tuple[str, ...]
    payment_id: str | None = None
    requires_prepayment: bool = False


def transition(
    previous: SuspensionState | None,
    decision: SuspensionDecision,
    at: AsOf,
    *,
    cleared_by: Payment | str | None = None,
) -> AccountSuspended | AccountReactivated | None:
    """The event a decision causes, given the persisted state.

    Suspension when an active account (or one never decided on) gets a reason;
    reactivation the moment a suspended one has none left; ``None`` otherwise, so
    repeating a decision yields no event. Persist ``decision.next_state(previous)``
    alongside the event.

    Args:
        previous: The persisted state, or ``None`` (an account never decided on is
            active).
        decision: The new decision.
        at: When the decision was taken (a date or an aware datetime).
        cleared_by: The payment (or its id) whose allocation led to this decision; named
            by the reactivation event, ignored otherwise.

    Returns:
        :class:`AccountSuspended`, :class:`AccountReactivated` or ``None``.

    Raises:
        AccountMismatch: ``previous`` belongs to another account.
        InvalidAsOf: ``at`` is a naive datetime.
    """
    _check_at(at)
    if previous is not None and previous.account_id != decision.account_id:
        raise AccountMismatch(
            "SuspensionState.account_id", decision.account_id, previous.account_id
        )
    was_suspended = previous is not None and previous.suspended
    if decision.suspended and not was_suspended:
        return AccountSuspended(
            account_id=decision.account_id,
            at=at,
            reasons=decision.reasons,
            resumes_when=decision.resumes_when,
            requires_prepayment=decision.requires_prepayment,
        )
    if was_suspended and not decision.suspended:
        assert previous is not None
        payment_id = cleared_by.id if isinstance(cleared_by, Payment) else cleared_by
        return AccountReactivated(
            account_id=decision.account_id,
            at=at,
            cleared_reason_codes=previous.reason_codes,
            payment_id=payment_id,
            requires_prepayment=decision.requires_prepayment,
        )
    return None
