"""What cash application may do (:class:`AllocationPolicy`) and which invoices it must
leave alone (:class:`Eligibility`)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

import attrs

from dunning_core.domain._checks import a_bool, to_enum
from dunning_core.domain.account import Account
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "AllocationOrder",
    "AllocationPolicy",
    "DebtComponent",
    "DebtPart",
    "Eligibility",
    "Tolerance",
    "principal_only",
]


class AllocationOrder(enum.StrEnum):
    """What happens to the money left after the remittance advice has been followed."""

    #: Fill eligible invoices oldest first: due date, issue date, invoice number.
    OLDEST_FIRST = "OLDEST_FIRST"
    #: Keep the remainder on the account as unapplied credit.
    UNAPPLIED = "UNAPPLIED"
    #: Within one debt, costs, then interest, then principal (BGB §367(1), Code civil
    #: art. 1343-1); debts themselves oldest first. Needs :attr:`AllocationPolicy.debt_part`.
    STATUTORY = "STATUTORY"


class DebtComponent(enum.StrEnum):
    """The part of a debt an open item stands for, in statutory order."""

    COSTS = "COSTS"  #: collection costs and fees
    INTEREST = "INTEREST"  #: late-payment interest
    PRINCIPAL = "PRINCIPAL"  #: the invoice itself

    @property
    def rank(self) -> int:
        """0 for costs, 1 for interest, 2 for principal: the order payments settle them."""
        return _RANK[self]


_RANK = {DebtComponent.COSTS: 0, DebtComponent.INTEREST: 1, DebtComponent.PRINCIPAL: 2}


@attrs.frozen
class DebtPart:
    """Which debt an open item belongs to, and as what.

    Args:
        debt: The number of the principal invoice of the debt.
        component: Costs, interest or principal.
    """

    debt: str
    component: DebtComponent


def principal_only(item: OpenItem) -> DebtPart:
    """The default :attr:`AllocationPolicy.debt_part`: every invoice is the principal of
    its own debt, so :attr:`AllocationOrder.STATUTORY` behaves like oldest first.

    Late fees and interest are not invoices of their own yet (that is the fees work);
    until they are, pass a function that recognises your fee and interest items.
    """
    return DebtPart(item.invoice.number, DebtComponent.PRINCIPAL)


def _to_percent(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, (float, bool)):
        raise InvalidField("Tolerance.percent", value, "pass a Decimal, str or int, not a float")
    try:
        percent = Decimal(value) if isinstance(value, (int, str)) else value
    except InvalidOperation:
        raise InvalidField("Tolerance.percent", value, "not a decimal number") from None
    if not isinstance(percent, Decimal) or not percent.is_finite() or not 0 <= percent <= 100:
        raise InvalidField("Tolerance.percent", value, "must be a number from 0 to 100")
    return percent


def _check_cap(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, Money) or value.amount <= 0):
        raise InvalidField("Tolerance.max_amount", value, "must be a positive Money or None")


@attrs.frozen(kw_only=True)
class Tolerance:
    """How much a customer may deduct without the invoice staying open for it.

    Each limit given applies; with both, the lower wins. With neither (the default)
    nothing is tolerated.

    >>> from dunning_core import Money
    >>> t = Tolerance(percent="2", max_amount=Money("15.00", "EUR"))
    >>> t.limit(Money("500.00", "EUR")), t.limit(Money("5000.00", "EUR"))
    (Money('10.00', 'EUR'), Money('15.00', 'EUR'))

    Args:
        percent: Share of the invoice amount, 0 to 100; the limit is rounded down to
            the minor unit.
        max_amount: An absolute cap. It applies to invoices in its own currency only;
            an invoice in another currency is tolerated nothing (no silent conversion).

    Raises:
        InvalidField: ``percent`` is outside 0..100 or a float; ``max_amount`` is not
            a positive Money.
    """

    percent: Decimal | None = attrs.field(default=None, converter=_to_percent)
    max_amount: Money | None = attrs.field(default=None, validator=_check_cap)

    def limit(self, invoice_amount: Money) -> Money:
        """The most this tolerance lets a customer deduct on ``invoice_amount``."""
        currency = invoice_amount.currency
        if self.percent is None and self.max_amount is None:
            return Money.zero(currency)
        if self.max_amount is not None and self.max_amount.currency != currency:
            return Money.zero(currency)
        caps = []
        if self.percent is not None:
            caps.append(invoice_amount.times(self.percent / 100, rounding=ROUND_DOWN))
        if self.max_amount is not None:
            caps.append(self.max_amount)
        return min(caps)

    def allows(self, amount: Money, invoice_amount: Money) -> bool:
        """True when deducting ``amount`` from an invoice of ``invoice_amount`` is tolerated."""
        return amount <= self.limit(invoice_amount)


def _to_order(value: object) -> AllocationOrder:
    return to_enum(AllocationOrder, "AllocationPolicy.order", value)


def _a_tolerance(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Tolerance):
        raise InvalidField(f"AllocationPolicy.{attribute.name}", value, "must be a Tolerance")


@attrs.frozen(kw_only=True)
class AllocationPolicy:
    """How payments are applied. One policy serves every payment of a run.

    Args:
        order: What the money left after the advice does: fill invoices oldest first
            (the default), stay on account, or follow the statutory order.
        central_billing: When True, a payment may settle the open items of every
            account of its billing entity (see :attr:`Eligibility.billing_entities`),
            not only those of its own account.
        discount_tolerance: How large a discount taken on an advice line may become a
            DISCOUNT allocation; beyond it the invoice stays open for the discount.
        write_off_tolerance: How large a short payment *with a reason* may be written
            off (WRITE_OFF); beyond it the invoice stays open for the difference.
        withholding_needs_certificate: When True (the default, as collection teams ask
            for the tax certificate), tax withheld on a line without a certificate
            reference is not applied.
        debt_part: For :attr:`AllocationOrder.STATUTORY`: tells which debt an open item
            belongs to and whether it is costs, interest or principal.

    Raises:
        InvalidField: a field has the wrong type or an unknown order.
    """

    order: AllocationOrder = attrs.field(default=AllocationOrder.OLDEST_FIRST, converter=_to_order)
    central_billing: bool = attrs.field(default=False, validator=a_bool)
    discount_tolerance: Tolerance = attrs.field(factory=Tolerance, validator=_a_tolerance)
    write_off_tolerance: Tolerance = attrs.field(factory=Tolerance, validator=_a_tolerance)
    withholding_needs_certificate: bool = attrs.field(default=True, validator=a_bool)
    debt_part: Callable[[OpenItem], DebtPart] = principal_only


def _numbers(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    if not isinstance(value, Iterable):
        raise InvalidField("Eligibility", value, "expected a collection of invoice numbers")
    return frozenset(value)


def _entities(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidField(
            "Eligibility.billing_entities", value, "expected a mapping account id -> entity id"
        )
    return dict(value)


@attrs.frozen(kw_only=True)
class Eligibility:
    """The facts, on one day, that keep invoices out of cash application.

    Build it with :meth:`from_facts` from the accounts' :class:`AccountFacts`, or pass
    the sets directly. Account-level holds do not appear here: they pause dunning,
    not the application of the customer's own money.

    Args:
        disputed: Numbers of invoices with an open dispute.
        held: Numbers of invoices on an active invoice-level hold.
        written_off: Numbers of invoices written off as uncollectable.
        billing_entities: Account id -> billing entity id, for central billing.
    """

    disputed: frozenset[str] = attrs.field(default=frozenset(), converter=_numbers)
    held: frozenset[str] = attrs.field(default=frozenset(), converter=_numbers)
    written_off: frozenset[str] = attrs.field(default=frozenset(), converter=_numbers)
    billing_entities: Mapping[str, str] = attrs.field(factory=dict, converter=_entities)

    @classmethod
    def from_facts(
        cls,
        facts: Iterable[AccountFacts],
        as_of: date,
        *,
        written_off: Iterable[str] = (),
        accounts: Iterable[Account] = (),
    ) -> Eligibility:
        """Gather disputes and holds in force on ``as_of`` and the billing entities.

        Args:
            facts: The facts of every account whose items are allocated.
            as_of: The allocation day (in the accounts' own calendar).
            written_off: Numbers of invoices written off.
            accounts: The accounts, for their ``billing_entity_id`` (central billing).

        Returns:
            The eligibility of that day.

        Raises:
            InvalidField: ``as_of`` is not a date.
        """
        if not isinstance(as_of, date) or isinstance(as_of, datetime):
            raise InvalidField("as_of", as_of, "must be a datetime.date")
        disputed: set[str] = set()
        held: set[str] = set()
        for fact in facts:
            disputed |= fact.disputed_invoices(as_of)
            held |= fact.held_invoices(as_of)
        entities = {a.id: a.billing_entity_id for a in accounts if a.billing_entity_id is not None}
        return cls(
            disputed=disputed,
            held=held,
            written_off=frozenset(written_off),
            billing_entities=entities,
        )

    @property
    def excluded(self) -> frozenset[str]:
        """Every invoice number kept out, whatever the reason."""
        return self.disputed | self.held | self.written_off


NO_EXCLUSIONS = Eligibility()
