"""Reading the portfolio: each account as it stands on a day, and totals over them.

:func:`account_views` streams every account (of one shard, if asked) in batches, with
its statement, ledger, facts, ladder history, suspension state and, when asked, its
outbox messages: what the case list, the aging, ``explain`` and the HTML report are
built from. It only reads; an account whose data is invalid is reported in ``errors``
and left out, as the cycle does.

>>> from datetime import date
>>> from dunning_core import Account, Invoice, Money
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.accounts.add(Account(id="A-1", name="ACME", currency="EUR"))
...     uow.ledger.add_invoices([Invoice(number="F-1", account_id="A-1",
...         issued_on=date(2026, 1, 1), due_on=date(2026, 1, 31), amount=Money("90", "EUR"))])
...     uow.commit()
>>> views = list(account_views(store.unit_of_work, date(2026, 3, 3)))
>>> aging_by_currency(views)["EUR"]["31-60"]
Money('90.00', 'EUR')
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, timedelta

import attrs

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.history import ActionRecord
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.domain.payment import PaymentStatus
from dunning_core.domain.state import SuspensionState
from dunning_core.domain.statement import AccountStatement, AgingBucket
from dunning_core.errors import DunningError
from dunning_core.money import Money
from dunning_core.ports import AccountLedger, UowFactory
from dunning_core.service._steps import statement_of
from dunning_core.service.cycle import AccountError
from dunning_core.sharding import Shard, check_shard

__all__ = [
    "AccountView",
    "DailyActivity",
    "account_view",
    "account_views",
    "activity",
    "aging_by_currency",
]


@attrs.frozen(kw_only=True)
class AccountView:
    """One account as it stands on a day, with everything a report says about it.

    Attributes:
        account: The account.
        statement: Its statement on the day.
        ledger: Its ledger as stored (invoices, payments, allocations, charges).
        facts: Its promises, disputes, proceedings and holds.
        actions: Its ladder history (stages fired or skipped), by day.
        suspension: Its stored suspension state, or ``None`` if never decided.
        messages: Its outbox messages (only when asked for), by creation time.
    """

    account: Account
    statement: AccountStatement
    ledger: AccountLedger
    facts: AccountFacts
    actions: tuple[ActionRecord, ...] = ()
    suspension: SuspensionState | None = None
    messages: tuple[OutboxMessage, ...] = ()

    @property
    def suspended(self) -> bool:
        """True when the stored state says the account is suspended."""
        return self.suspension is not None and self.suspension.suspended


def account_views(
    uow_factory: UowFactory,
    as_of: AsOf,
    *,
    shard: Shard | None = None,
    batch_size: int = 500,
    messages: bool = False,
    errors: list[AccountError] | None = None,
) -> Iterator[AccountView]:
    """Every account (of ``shard``) as it stands on ``as_of``, in id order.

    Args:
        uow_factory: Opens units of work on the store (one per batch, read only).
        as_of: The day (each account's local day), or an aware datetime.
        shard: ``(i, n)`` for one shard, ``None`` for every account.
        batch_size: Accounts loaded per unit of work.
        messages: Also load each account's outbox messages.
        errors: A list that receives the accounts whose data is invalid.

    Yields:
        One :class:`AccountView` per account with valid data.

    Raises:
        InvalidField: ``shard`` is invalid.
        StoreError: the store failed.
    """
    checked = check_shard(shard)
    after: str | None = None
    while True:
        with uow_factory() as uow:
            ids = uow.accounts.iter_ids(after=after, limit=batch_size, shard=checked)
            if not ids:
                return
            accounts = uow.accounts.get_many(ids)
            ledgers = uow.ledger.load(ids)
            facts = uow.facts.load(ids)
            actions = uow.history.actions_of(ids)
            states = uow.history.suspension_states(ids)
            outbox = uow.outbox.messages_of(ids) if messages else {}
        for account_id in ids:
            account = accounts.get(account_id)
            if account is None:
                continue
            try:
                statement = statement_of(account, ledgers[account_id], as_of)
            except DunningError as error:
                if errors is not None:
                    errors.append(
                        AccountError(
                            account_id=account_id, error=type(error).__name__, message=str(error)
                        )
                    )
                continue
            yield AccountView(
                account=account,
                statement=statement,
                ledger=ledgers[account_id],
                facts=facts.get(account_id) or AccountFacts(account_id=account_id),
                actions=actions.get(account_id, ()),
                suspension=states.get(account_id),
                messages=outbox.get(account_id, ()),
            )
        after = ids[-1]
        if len(ids) < batch_size:
            return


def account_view(
    uow_factory: UowFactory, account_id: str, as_of: AsOf, *, messages: bool = True
) -> AccountView:
    """One account as it stands on ``as_of`` (see :func:`account_views`).

    Raises:
        UnknownRecord: no account has this id.
        DunningError: the account's data is invalid (as the cycle would report it).
    """
    from dunning_core.errors import UnknownRecord

    with uow_factory() as uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise UnknownRecord("account", account_id)
        ledger = uow.ledger.load([account_id])[account_id]
        facts = uow.facts.load([account_id]).get(account_id)
        actions = uow.history.actions_of([account_id]).get(account_id, ())
        state = uow.history.suspension_states([account_id]).get(account_id)
        outbox = uow.outbox.messages_of([account_id]).get(account_id, ()) if messages else ()
    return AccountView(
        account=account,
        statement=statement_of(account, ledger, as_of),
        ledger=ledger,
        facts=facts or AccountFacts(account_id=account_id),
        actions=actions,
        suspension=state,
        messages=outbox,
    )


def aging_by_currency(views: Iterable[AccountView]) -> dict[str, dict[str, Money]]:
    """Open amounts by currency and aging bucket (every bucket present), currencies
    sorted: the portfolio's aging, as the statements compute it, added up exactly."""
    totals: dict[str, dict[str, Money]] = {}
    for view in views:
        currency = view.statement.currency
        buckets = totals.setdefault(
            currency, {str(bucket): Money.zero(currency) for bucket in AgingBucket}
        )
        for bucket, amount in view.statement.aging_buckets:
            buckets[str(bucket)] = buckets[str(bucket)] + amount
    return dict(sorted(totals.items()))


@attrs.frozen(kw_only=True)
class DailyActivity:
    """What happened over a window of days, day by day.

    Attributes:
        days: The days of the window, oldest first.
        cash: Cleared payments received, by day then currency.
        messages: Messages sent, by day then channel.
    """

    days: tuple[date, ...]
    cash: dict[date, dict[str, Money]]
    messages: dict[date, dict[str, int]]

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every currency cash came in, sorted."""
        return tuple(sorted({c for per_day in self.cash.values() for c in per_day}))

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel a message went out on, sorted."""
        return tuple(sorted({c for per_day in self.messages.values() for c in per_day}))

    def cash_total(self, currency: str) -> Money:
        """The cash collected in ``currency`` over the window."""
        return Money.sum(
            (per_day.get(currency, Money.zero(currency)) for per_day in self.cash.values()),
            currency,
        )

    def messages_total(self, channel: str) -> int:
        """The messages sent on ``channel`` over the window."""
        return sum(per_day.get(channel, 0) for per_day in self.messages.values())


def activity(views: Iterable[AccountView], until: date, *, days: int = 60) -> DailyActivity:
    """Cash collected per day (cleared payments by value date, per currency) and
    messages sent per day and channel (by the day they were marked SENT, in UTC), over
    the ``days`` days ending on ``until``. The views must carry their messages.
    """
    first = until - timedelta(days=days - 1)
    window = tuple(first + timedelta(days=n) for n in range(days))
    cash: dict[date, dict[str, Money]] = defaultdict(dict)
    sent: dict[date, Counter[str]] = defaultdict(Counter)
    for view in views:
        for payment in view.ledger.payments:
            if payment.status is PaymentStatus.CLEARED and first <= payment.received_on <= until:
                day = cash[payment.received_on]
                currency = payment.currency
                day[currency] = day.get(currency, Money.zero(currency)) + payment.amount
        for message in view.messages:
            if message.status is OutboxStatus.SENT and message.sent_at is not None:
                day_sent = message.sent_at.astimezone(UTC).date()
                if first <= day_sent <= until:
                    sent[day_sent][message.channel] += 1
    return DailyActivity(
        days=window,
        cash={day: dict(sorted(cash[day].items())) for day in window if day in cash},
        messages={day: dict(sorted(sent[day].items())) for day in window if day in sent},
    )
