"""Registers the package's strategies with hypothesis (loaded through the
``hypothesis`` entry point), so ``st.from_type(Invoice)`` works in users' tests.

hypothesis runs this hook while it is itself being imported, so the strategies module
(which imports hypothesis) is only imported when a strategy is first drawn.
"""

from __future__ import annotations

from typing import Any


def _lazy(name: str) -> Any:
    from hypothesis import strategies as st

    def build() -> Any:
        from dunning_core.testing import strategies

        return getattr(strategies, name)()

    return st.deferred(build)


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from dunning_core.domain.account import Account
    from dunning_core.domain.invoice import CreditNote, Invoice
    from dunning_core.domain.payment import Payment
    from dunning_core.money import Money

    st.register_type_strategy(Money, _lazy("money"))
    st.register_type_strategy(Account, _lazy("accounts"))
    st.register_type_strategy(Invoice, _lazy("invoices"))
    st.register_type_strategy(CreditNote, _lazy("credit_notes"))
    st.register_type_strategy(Payment, _lazy("payments"))
