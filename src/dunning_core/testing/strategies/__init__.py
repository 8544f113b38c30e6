"""Hypothesis strategies for property-testing dunning policies, yours and ours.

Every keyword argument accepts either a value or a strategy. The strategies shrink
towards small, readable examples: EUR, one invoice, amounts of a few units, dates in
early 2026.

>>> from hypothesis import given
>>> from dunning_core.testing import strategies as ds
>>> @given(ds.portfolios())
... def test_balance_is_never_negative(portfolio):
...     assert portfolio.statement(portfolio.as_of).balance.amount >= 0

Installing the package registers these strategies with hypothesis (through its
``hypothesis`` entry point), so ``st.from_type(Invoice)`` works in your own tests.

This package needs hypothesis (``pip install 'dunning-core[hypothesis]'``); the package
root never imports it.

The strategies are grouped by topic in private modules (basic values, accounts, the
ledger, facts, ladders, cash application) and all re-exported here.

.. versionchanged:: 0.2
   A package by topic (it was one 740-line module); the import path is unchanged.
"""

from dunning_core._exports import publish
from dunning_core.testing.strategies._accounts import accounts
from dunning_core.testing.strategies._allocation import (
    AllocationCase,
    allocation_cases,
    allocation_policies,
)
from dunning_core.testing.strategies._base import currencies, dates, money
from dunning_core.testing.strategies._facts import (
    account_facts,
    holds,
    insolvency_proceedings,
    promises_to_pay,
)
from dunning_core.testing.strategies._hostile import NASTY_STRINGS, hostile_text
from dunning_core.testing.strategies._ladders import ladders
from dunning_core.testing.strategies._ledger import (
    Portfolio,
    credit_notes,
    invoices,
    payments,
    portfolios,
    remittance_advices,
)

__all__ = [
    "NASTY_STRINGS",
    "AllocationCase",
    "Portfolio",
    "account_facts",
    "accounts",
    "allocation_cases",
    "allocation_policies",
    "credit_notes",
    "currencies",
    "dates",
    "holds",
    "hostile_text",
    "insolvency_proceedings",
    "invoices",
    "ladders",
    "money",
    "payments",
    "portfolios",
    "promises_to_pay",
    "remittance_advices",
]

publish(__name__, globals(), __all__)
