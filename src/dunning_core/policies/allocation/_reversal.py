"""Reversals: a chargeback, a returned direct debit or a failed card payment takes back
exactly what one payment settled."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from dunning_core.domain.payment import Allocation, AllocationKind
from dunning_core.errors import InvalidField
from dunning_core.money import Money
from dunning_core.policies.allocation._result import totals_by_invoice

__all__ = ["Reversal", "reverse"]


@attrs.frozen(kw_only=True)
class Reversal:
    """What reversing one payment does to the allocations on file.

    Attributes:
        payment_id: The payment reversed.
        removed: Its allocations (every kind: cash, credit applied later, tax withheld,
            discount and write-off made on its advice), in the order given.
        kept: Every other allocation, untouched and in the order given.
    """

    payment_id: str
    removed: tuple[Allocation, ...]
    kept: tuple[Allocation, ...]

    @property
    def reopened(self) -> dict[str, Money]:
        """How much each invoice reopens by: the sum of its removed allocations."""
        return totals_by_invoice(self.removed)

    @property
    def is_noop(self) -> bool:
        """True when the payment had nothing allocated (already reversed, or never applied)."""
        return not self.removed

    def explain(self, locale: str = "en_US") -> str:
        """A plain-text account of the reversal for the customer.

        Args:
            locale: The locale amounts are formatted in.
        """
        if not self.removed:
            return f"Payment {self.payment_id} had nothing applied; nothing was reopened."
        lines = [f"Payment {self.payment_id} was reversed; these invoices are open again:"]
        lines.extend(
            f"- invoice {number}: {amount.format(locale)}"
            for number, amount in self.reopened.items()
        )
        return "\n".join(lines)


def reverse(payment_id: str, allocations: Iterable[Allocation]) -> Reversal:
    """Take back every allocation made from ``payment_id``, and nothing else.

    Use it when the money did not stay: a chargeback, a direct debit returned (always
    for its full amount), a failed card payment. The invoices reopen by exactly what
    the payment settled on them; allocations of other payments do not move, even when
    they came later. Reversing again is a no-op. Mark the payment FAILED or
    CHARGED_BACK in your records as well, so statements ignore it.

    Args:
        payment_id: The payment to reverse.
        allocations: The allocations on file (any payments, any invoices).

    Returns:
        The allocations removed and those kept.

    Raises:
        InvalidField: ``payment_id`` is empty or an item is not an ``Allocation``.
    """
    if not isinstance(payment_id, str) or not payment_id.strip():
        raise InvalidField("payment_id", payment_id, "must be a non-empty string")
    removed: list[Allocation] = []
    kept: list[Allocation] = []
    for allocation in allocations:
        if not isinstance(allocation, Allocation):
            raise InvalidField("allocations", allocation, "every item must be an Allocation")
        # Credit notes are their own source: a credit note numbered like a payment id
        # must not be swept away with it.
        if allocation.source_id == payment_id and allocation.kind is not AllocationKind.CREDIT_NOTE:
            removed.append(allocation)
        else:
            kept.append(allocation)
    return Reversal(payment_id=payment_id, removed=tuple(removed), kept=tuple(kept))
