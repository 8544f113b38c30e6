"""What an account service did: :class:`AccountOutcome`.

Every service that changes an account (an invoice, a credit note, a promise, a dispute,
a hold, an insolvency proceeding, the account's own data, a write-off, a refund) runs in
one unit of work, applies the rules and records what happened; its outcome lists the
events it wrote and the suspension decision taken afterwards.

.. versionadded:: 0.2
"""

from __future__ import annotations

import attrs

from dunning_core.domain.events import AccountReactivated, AccountSuspended, Event
from dunning_core.domain.payment import Allocation
from dunning_core.policies.suspension import SuspensionDecision

__all__ = ["AccountOutcome"]


@attrs.frozen(kw_only=True)
class AccountOutcome:
    """What one account service call did.

    Attributes:
        account_id: The account.
        repeated: True when the same change was already on file: nothing was written.
        events: What happened, in order: the change itself (``InvoiceRecorded``,
            ``FactRecorded``, ``InvoiceWrittenOff``, ...), then a suspension or a
            reactivation if the change caused one. Each is in the history too.
        decision: The suspension decision taken after the change (``None`` when
            ``repeated``).
        allocations: The allocations the change wrote (a credit note's, a write-off's).
    """

    account_id: str
    repeated: bool = False
    events: tuple[Event, ...] = ()
    decision: SuspensionDecision | None = None
    allocations: tuple[Allocation, ...] = ()

    @property
    def suspension_event(self) -> AccountSuspended | AccountReactivated | None:
        """The suspension or reactivation the change caused, if any."""
        for event in self.events:
            if isinstance(event, (AccountSuspended, AccountReactivated)):
                return event
        return None
