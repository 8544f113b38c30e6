"""Refunding a customer's credit: unapplied credit paid back.

:func:`refund_credit` records a :class:`~dunning_core.domain.payment.Refund`: never
more than the account's credit on the refund day, idempotent on the refund id, and
shown on the statement (``AccountStatement.refunds``, deducted from ``unapplied``).

>>> from datetime import date
>>> from dunning_core import Account, Money, Payment
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> from dunning_core.domain.payment import Refund
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     _ = uow.ledger.add_payment(Payment(id="P-1", account_id="A-1",
...                                amount=Money("50", "EUR"), received_on=date(2026, 3, 1)))
...     uow.commit()
>>> refund = Refund(id="R-1", account_id="A-1", amount=Money("50", "EUR"),
...                 refunded_on=date(2026, 3, 5))
>>> refund_credit(store.unit_of_work(), refund).events[0].kind
'credit.refunded'
>>> refund_credit(store.unit_of_work(), refund).repeated
True

.. versionadded:: 0.2
"""

from __future__ import annotations

from dunning_core.domain.dates import AsOf, as_instant, localize
from dunning_core.domain.events import CreditRefunded
from dunning_core.domain.payment import Refund
from dunning_core.errors import DuplicateRefund, InvalidAmount, InvalidField
from dunning_core.ports import UnitOfWork
from dunning_core.service._change import finish_change
from dunning_core.service._steps import account_data, statement_of
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.settings import CycleConfig

__all__ = ["refund_credit"]


def refund_credit(
    uow: UnitOfWork,
    refund: Refund,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf | None = None,
) -> AccountOutcome:
    """Pay back unapplied credit.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        refund: The refund; its id is the idempotency key.
        config: The policies; the defaults if ``None``.
        as_of: When it is recorded; the refund day by default.

    Returns:
        The outcome: :class:`~dunning_core.domain.events.CreditRefunded`;
        ``repeated=True`` when the same refund was on file.

    Raises:
        InvalidAmount: the refund is more than the account's credit on its day.
        DuplicateRefund: the id is on file with another amount, day or account.
        UnknownRecord: the account is unknown.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    if not isinstance(refund, Refund):
        raise InvalidField("refund", refund, "must be a Refund")
    when: AsOf = refund.refunded_on if as_of is None else as_of
    as_instant(when)
    config = CycleConfig() if config is None else config
    with uow:
        existing = uow.ledger.get_refund(refund.id)
        if existing is not None:
            if existing == refund:
                return AccountOutcome(account_id=refund.account_id, repeated=True)
            raise DuplicateRefund(
                refund.id,
                f"on file as {existing.amount} on {existing.refunded_on}"
                f" for account {existing.account_id}",
            )
        account, ledger, _ = account_data(uow, refund.account_id)
        credit = statement_of(account, ledger, localize(refund.refunded_on, account.tz)).unapplied
        if refund.amount.currency != credit.currency or refund.amount > credit:
            raise InvalidAmount(
                "Refund.amount",
                refund.amount,
                f"more than the account's credit on {refund.refunded_on} ({credit})",
            )
        uow.ledger.add_refund(refund)
        event = CreditRefunded(
            account_id=account.id, as_of=when, refund_id=refund.id, amount=refund.amount
        )
        outcome = finish_change(uow, config, account, when, [event])
        uow.commit()
    return outcome
