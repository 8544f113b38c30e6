"""Cash application: apply payments to open invoices exactly, and say what was done.

:func:`allocate` applies one payment: credit notes naming an invoice first, then the
customer's remittance advice (tax withheld, discounts and short payments within the
policy's tolerances), then the rest oldest first (due date, issue date, number) -- or
kept on account, or in statutory order. It never creates or loses a minor unit and
never raises for what a customer did: every surprise is a discrepancy (the library's
one :class:`~dunning_core.Reason` shape) with a stable :class:`DiscrepancyCode` and a
sentence. :func:`apply_credit` applies credit later,
:func:`reverse` takes back a payment that did not stay, :func:`match_payment` finds
what an unidentified payment is for and :func:`unidentified_payments` lists those
waiting too long. Instalment plans are out of scope.

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money, Payment, build_statement
>>> acct = Account(id="A-1", name="ACME SARL", currency="EUR")
>>> invoices = [
...     Invoice(number=f"F-{n}", account_id="A-1", issued_on=date(2026, 1, n),
...             due_on=date(2026, 2, n), amount=Money("100.00", "EUR"))
...     for n in (1, 2, 3)
... ]
>>> statement = build_statement(acct, date(2026, 3, 10), invoices=invoices)
>>> pay = Payment(id="P-1", account_id="A-1", amount=Money("250.00", "EUR"),
...               received_on=date(2026, 3, 10))
>>> result = allocate(pay, statement.items)
>>> [(a.invoice_number, str(a.amount)) for a in result.allocations]
[('F-1', '100.00 EUR'), ('F-2', '100.00 EUR'), ('F-3', '50.00 EUR')]
"""

from dunning_core._exports import moved, publish
from dunning_core.policies.allocation._engine import (
    allocate,
    allocate_many,
    apply_credit,
    is_repeat,
)
from dunning_core.policies.allocation._matching import (
    MAX_WORDS_PER_NUMBER,
    MatchEvidence,
    PaymentMatch,
    SuspenseEntry,
    find_invoice_numbers,
    match_payment,
    reference_candidates,
    unidentified_payments,
)
from dunning_core.policies.allocation._policy import (
    AllocationOrder,
    AllocationPolicy,
    DebtComponent,
    DebtPart,
    Eligibility,
    Tolerance,
    principal_only,
)
from dunning_core.policies.allocation._result import (
    AllocationResult,
    DiscrepancyCode,
    UnappliedCredit,
)
from dunning_core.policies.allocation._reversal import Reversal, reverse

__all__ = [
    "MAX_WORDS_PER_NUMBER",
    "AllocationOrder",
    "AllocationPolicy",
    "AllocationResult",
    "DebtComponent",
    "DebtPart",
    "DiscrepancyCode",
    "Eligibility",
    "MatchEvidence",
    "PaymentMatch",
    "Reversal",
    "SuspenseEntry",
    "Tolerance",
    "UnappliedCredit",
    "allocate",
    "allocate_many",
    "apply_credit",
    "find_invoice_numbers",
    "is_repeat",
    "match_payment",
    "principal_only",
    "reference_candidates",
    "reverse",
    "unidentified_payments",
]

publish(__name__, globals(), __all__)

__getattr__, __dir__ = moved(
    __name__,
    {"Discrepancy": "dunning_core.domain.reasons:Reason"},
    keep=dict.fromkeys(__all__),
)
