"""Recording an account, or a change to it, through the rules.

:func:`record_account` creates the account or replaces its data (contacts, postal
address, segment, credit limit, tags, ...), records which fields changed and
re-decides suspension at once: a customer moved from the small to the large segment
is judged on 30 days at once, a completed postal address lets the blocked hand-over
go on the next run.

>>> from datetime import date
>>> from dunning_core import Account
>>> from dunning_core.adapters.storage.memory import MemoryStore
>>> store = MemoryStore()
>>> acct = Account(id="A-1", name="ACME", currency="EUR")
>>> record_account(store.unit_of_work(), acct, as_of=date(2026, 3, 1)).events[0].created
True
>>> moved = record_account(store.unit_of_work(), attrs.evolve(acct, segment="LARGE"),
...                        as_of=date(2026, 3, 2))
>>> moved.events[0].fields
('segment',)

:func:`record_accounts` records a whole list in one unit of work (an import):

>>> both = [attrs.evolve(acct, segment="LARGE"), Account(id="A-2", name="Bolt", currency="EUR")]
>>> outcomes = record_accounts(store.unit_of_work(), both, as_of=date(2026, 3, 3))
>>> [(o.account_id, o.repeated) for o in outcomes]
[('A-1', True), ('A-2', False)]

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf, as_instant
from dunning_core.domain.events import AccountChanged
from dunning_core.errors import InvalidField
from dunning_core.ports import UnitOfWork
from dunning_core.service._change import finish_change
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.settings import CycleConfig

__all__ = ["record_account", "record_accounts"]


def _changed_fields(before: Account | None, after: Account) -> tuple[str, ...]:
    names = [field.name for field in attrs.fields(Account)]
    if before is None:
        return tuple(sorted(names))
    return tuple(sorted(n for n in names if getattr(before, n) != getattr(after, n)))


def record_account(
    uow: UnitOfWork,
    account: Account,
    *,
    config: CycleConfig | None = None,
    as_of: AsOf,
) -> AccountOutcome:
    """Create ``account``, or replace the account with its id, and re-decide suspension.

    Args:
        uow: A unit of work not yet entered (``store.unit_of_work()``); this function
            enters it and commits.
        account: The account as it is now.
        config: The policies; the defaults if ``None``.
        as_of: When the change is recorded (a date or an aware datetime).

    Returns:
        An :class:`~dunning_core.service.outcomes.AccountOutcome` whose first event is
        :class:`~dunning_core.domain.events.AccountChanged`; ``repeated=True`` when the
        account was on file unchanged.

    Raises:
        InvalidField: ``account`` is not an :class:`~dunning_core.Account`.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
        InvalidAsOf: ``as_of`` is a naive datetime.
    """
    check_unit_of_work(uow)
    _check_account(account)
    as_instant(as_of)  # refuses a naive datetime before anything is written
    config = CycleConfig() if config is None else config
    with uow:
        outcome = _record_account(uow, config, account, as_of)
        if not outcome.repeated:
            uow.commit()
    return outcome


def record_accounts(
    uow: UnitOfWork,
    accounts: Iterable[Account],
    *,
    config: CycleConfig | None = None,
    as_of: AsOf,
    decide_suspension: bool = True,
) -> tuple[AccountOutcome, ...]:
    """Record several accounts in one unit of work: all of them, or none.

    Each account is recorded as :func:`record_account` would, in the order given (an
    id given twice: the second replaces the first), but nothing is committed until
    the last is done, so an import of a file is one transaction and its speed does not
    depend on how many transactions the store can commit.

    Args:
        uow: A unit of work not yet entered; this function enters it and commits once.
        accounts: The accounts as they are now.
        config: The policies; the defaults if ``None``.
        as_of: When the changes are recorded (a date or an aware datetime).
        decide_suspension: Re-decide each account's suspension after its change (the
            default, as the single service does). ``False`` for a first load of a
            ledger in several files: a decision taken between two of them would judge
            an account by half its data (invoices without the payments that settled
            them) and send its notice; the next cycle run decides from the whole
            ledger instead. The outcomes' ``decision`` is then ``None``.

    Returns:
        One outcome per account, in order (``repeated=True`` for an account on file
        unchanged).

    Raises:
        InvalidField: an item is not an :class:`~dunning_core.Account` (nothing written).
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
        InvalidAsOf: ``as_of`` is a naive datetime.

    .. versionadded:: 0.2
    """
    check_unit_of_work(uow)
    batch = list(accounts)
    for account in batch:
        _check_account(account)
    as_instant(as_of)
    config = CycleConfig() if config is None else config
    with uow:
        outcomes = tuple(
            _record_account(uow, config, account, as_of, decide=decide_suspension)
            for account in batch
        )
        if not all(outcome.repeated for outcome in outcomes):
            uow.commit()
    return outcomes


def account_in(
    uow: UnitOfWork, account: Account, config: CycleConfig | None, as_of: AsOf
) -> AccountOutcome:
    """What :func:`record_account` does, inside the caller's open unit of work (not
    committed): for services that change an account as part of a larger change.

    Args:
        uow: An entered unit of work; the caller commits it.
        account: The account as it is now.
        config: The policies; the defaults if ``None``.
        as_of: When the change is recorded.

    Returns:
        The outcome, as :func:`record_account` returns it.

    Raises:
        InvalidField: ``account`` is not an :class:`~dunning_core.Account`.
        InvalidAsOf: ``as_of`` is a naive datetime.
    """
    _check_account(account)
    as_instant(as_of)  # refuses a naive datetime before anything is written
    config = CycleConfig() if config is None else config
    return _record_account(uow, config, account, as_of)


def _check_account(account: object) -> None:
    if not isinstance(account, Account):
        raise InvalidField("account", account, "must be an Account")


def _record_account(
    uow: UnitOfWork, config: CycleConfig, account: Account, as_of: AsOf, *, decide: bool = True
) -> AccountOutcome:
    """Record ``account`` in the caller's (entered) unit of work, without committing."""
    before = uow.accounts.get(account.id)
    if before == account:
        return AccountOutcome(account_id=account.id, repeated=True)
    uow.accounts.add(account)
    changed = AccountChanged(
        account_id=account.id,
        as_of=as_of,
        fields=_changed_fields(before, account),
        created=before is None,
    )
    return finish_change(uow, config, account, as_of, [changed], decide=decide)
