"""The event a suspension decision causes: :func:`transition` compares a decision with
the persisted state and returns :class:`~dunning_core.domain.events.AccountSuspended`,
:class:`~dunning_core.domain.events.AccountReactivated` or ``None`` (private;
re-exported by :mod:`dunning_core.policies.suspension`).
"""

from __future__ import annotations

from dunning_core._exports import renamed_keywords
from dunning_core.domain.dates import AsOf, check_as_of
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.payment import Payment
from dunning_core.domain.state import SuspensionState
from dunning_core.errors import AccountMismatch
from dunning_core.policies.suspension._decision import SuspensionDecision

__all__ = ["transition"]


@renamed_keywords(at="as_of")
def transition(
    previous: SuspensionState | None,
    decision: SuspensionDecision,
    as_of: AsOf,
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
        as_of: When the decision was taken (a date or an aware datetime).
        cleared_by: The payment (or its id) whose allocation led to this decision; named
            by the reactivation event, ignored otherwise.

    Returns:
        :class:`~dunning_core.domain.events.AccountSuspended`,
        :class:`~dunning_core.domain.events.AccountReactivated` or ``None``.

    Raises:
        AccountMismatch: ``previous`` belongs to another account.
        InvalidAsOf: ``as_of`` is a naive datetime.

    .. versionchanged:: 0.2
       ``at`` is now ``as_of``; the events moved to :mod:`dunning_core.domain.events`.
    """
    check_as_of(as_of)
    if previous is not None and previous.account_id != decision.account_id:
        raise AccountMismatch(
            "SuspensionState.account_id", decision.account_id, previous.account_id
        )
    was_suspended = previous is not None and previous.suspended
    if decision.suspended and not was_suspended:
        return AccountSuspended(
            account_id=decision.account_id,
            as_of=as_of,
            reasons=decision.reasons,
            resumes_when=decision.resumes_when,
            requires_prepayment=decision.requires_prepayment,
        )
    if was_suspended and not decision.suspended:
        assert previous is not None
        payment_id = cleared_by.id if isinstance(cleared_by, Payment) else cleared_by
        return AccountReactivated(
            account_id=decision.account_id,
            as_of=as_of,
            cleared_reason_codes=previous.reason_codes,
            payment_id=payment_id,
            requires_prepayment=decision.requires_prepayment,
        )
    return None
