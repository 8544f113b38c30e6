"""dunning_core: accounts-receivable follow-up (dunning) as a library.

Everything in ``__all__`` is the stable public API; import it from here.
"""

from dunning_core._version import __version__
from dunning_core.domain.account import (
    Account,
    BillingEntity,
    Channel,
    Contact,
    PaymentTerms,
    PostalAddress,
    Segment,
    TermsKind,
)
from dunning_core.domain.dates import local_date
from dunning_core.domain.events import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    ProceedingKind,
    PromiseToPay,
)
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.payment import (
    Allocation,
    AllocationKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProofKind,
    ProofOfPayment,
)
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.statement import (
    AccountStatement,
    AgingBucket,
    ItemStatus,
    OpenItem,
    build_statement,
)
from dunning_core.errors import (
    AccountMismatch,
    CurrencyMismatch,
    DunningError,
    DuplicatePayment,
    InvalidAmount,
    InvalidAsOf,
    InvalidContact,
    InvalidDateRange,
    InvalidField,
    InvalidLocale,
    InvalidRemittance,
    InvalidTimezone,
    UnknownCurrency,
)
from dunning_core.money import Money, minor_unit

__all__ = [
    "Account",
    "AccountFacts",
    "AccountMismatch",
    "AccountStatement",
    "AgingBucket",
    "Allocation",
    "AllocationKind",
    "BillingEntity",
    "Channel",
    "Contact",
    "CreditNote",
    "CurrencyMismatch",
    "Dispute",
    "DunningError",
    "DuplicatePayment",
    "Hold",
    "InsolvencyProceeding",
    "InvalidAmount",
    "InvalidAsOf",
    "InvalidContact",
    "InvalidDateRange",
    "InvalidField",
    "InvalidLocale",
    "InvalidRemittance",
    "InvalidTimezone",
    "Invoice",
    "ItemStatus",
    "Money",
    "OpenItem",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "PaymentTerms",
    "PostalAddress",
    "ProceedingKind",
    "PromiseToPay",
    "ProofKind",
    "ProofOfPayment",
    "RemittanceAdvice",
    "RemittanceLine",
    "Segment",
    "TermsKind",
    "UnknownCurrency",
    "__version__",
    "build_statement",
    "local_date",
    "minor_unit",
]
