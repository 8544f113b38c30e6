"""Suspension and automatic reactivation, with reasons.

An account's service stops (campaigns paused, line cut, subscription stopped) while at
least one reason holds: an invoice too far overdue, a broken promise to pay, an open
insolvency proceeding, a manual hold, optionally exposure over the credit limit. It
resumes by itself the moment no reason remains, typically right after a payment is
allocated.

- :class:`SuspensionPolicy` is a tuple of rules (:class:`OverdueDays`,
  :class:`BrokenPromise`, :class:`OpenInsolvency`, :class:`ManualHold`,
  :class:`CreditLimitExceeded`, or your own :class:`SuspensionRule`) and the grace
  given to payments in flight (:class:`InFlightGrace`).
- :func:`decide_suspension` returns a :class:`SuspensionDecision`: suspended or not,
  the reasons (:class:`SuspensionReason`), whether prepayment is required, and what
  clears it.
- :func:`transition` compares a decision with the persisted
  :class:`~dunning_core.domain.state.SuspensionState` and returns the event to
  publish, :class:`~dunning_core.domain.events.AccountSuspended` or
  :class:`~dunning_core.domain.events.AccountReactivated`, or ``None``.
- :func:`decide_entity_suspension` decides for a billing entity as a whole.

Pure: no clock, no I/O. Pending payments are an explicit argument (see
:func:`decide_suspension`).

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money, build_statement
>>> acct = Account(id="A-1", name="ACME", currency="EUR")  # a small customer
>>> inv = Invoice(number="F-1", account_id="A-1", issued_on=date(2026, 1, 2),
...               due_on=date(2026, 2, 1), amount=Money("80.00", "EUR"))
>>> on = date(2026, 2, 17)  # 16 days past due
>>> decision = decide_suspension(SuspensionPolicy(), build_statement(acct, on, invoices=[inv]),
...                              on)
>>> decision.suspended, decision.reason_codes
(True, ('OVERDUE_DAYS',))
>>> decision.resumes_when
'Service resumes once you pay €80.00 on invoice F-1.'

.. versionchanged:: 0.2
   A package with private modules (it was seven flat modules); the events moved to
   :mod:`dunning_core.domain.events`, ``Reason`` is :class:`SuspensionReason`, and
   reason codes are upper-case.
"""

from dunning_core._exports import moved, publish
from dunning_core.policies.suspension._decision import SuspensionDecision
from dunning_core.policies.suspension._entity import merge_facts, merge_statements
from dunning_core.policies.suspension._grace import InFlightGrace
from dunning_core.policies.suspension._policy import (
    SuspensionPolicy,
    decide_entity_suspension,
    decide_suspension,
)
from dunning_core.policies.suspension._reasons import (
    Effect,
    ReasonCode,
    Remedy,
    RemedyKind,
    SuspensionContext,
    SuspensionReason,
    SuspensionRule,
)
from dunning_core.policies.suspension._rules import (
    STANDARD_DAYS,
    BrokenPromise,
    CreditLimitExceeded,
    ManualHold,
    OpenInsolvency,
    OverdueDays,
)
from dunning_core.policies.suspension._transition import transition

__all__ = [
    "STANDARD_DAYS",
    "BrokenPromise",
    "CreditLimitExceeded",
    "Effect",
    "InFlightGrace",
    "ManualHold",
    "OpenInsolvency",
    "OverdueDays",
    "ReasonCode",
    "Remedy",
    "RemedyKind",
    "SuspensionContext",
    "SuspensionDecision",
    "SuspensionPolicy",
    "SuspensionReason",
    "SuspensionRule",
    "decide_entity_suspension",
    "decide_suspension",
    "merge_facts",
    "merge_statements",
    "transition",
]

publish(__name__, globals(), __all__)

__getattr__, __dir__ = moved(
    __name__,
    {
        "AccountReactivated": "dunning_core.domain.events",
        "AccountSuspended": "dunning_core.domain.events",
        "FactValue": "dunning_core.domain.reasons",
        "Reason": "dunning_core.policies.suspension:SuspensionReason",
    },
    keep=dict.fromkeys(__all__),
)
