"""One view of a billing entity's accounts, for deciding suspension on the whole customer.

A customer with several accounts (one per country, per brand, per agency) owes every
unpaid invoice of all of them; the seeds' FAQ tells such customers to check all their
accounts. :func:`merge_statements` and :func:`merge_facts` build the statement and the
facts of the entity as if it were one account, so any rule reads them unchanged;
``decide_entity_suspension`` in :mod:`dunning_core.policies.suspension` uses them.

Private; everything here is re-exported by :mod:`dunning_core.policies.suspension`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from dunning_core.domain.account import Account, BillingEntity
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.statement import AccountStatement, AgingBucket
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidAsOf, InvalidField
from dunning_core.money import Money

__all__ = ["merge_facts", "merge_statements"]


def _agreed(members: list[AccountStatement], field: str) -> Any:
    values = {getattr(s.account, field) for s in members}
    if len(values) > 1:
        raise InvalidField(
            f"Account.{field}",
            tuple(sorted(str(v) for v in values)),
            "accounts of one billing entity differ; pass account= to say which applies",
        )
    return values.pop()


def _entity_account(entity: BillingEntity, members: list[AccountStatement]) -> Account:
    limits = [s.account.credit_limit for s in members]
    currency = members[0].currency
    limit = None
    if all(m is not None for m in limits):
        limit = Money.sum((m for m in limits if m is not None), currency)
    return Account(
        id=entity.id,
        name=entity.name,
        currency=currency,
        segment=_agreed(members, "segment"),
        locale=_agreed(members, "locale"),
        timezone=_agreed(members, "timezone"),
        credit_limit=limit,
        billing_entity_id=entity.id,
        registration_id=entity.registration_id,
    )


def merge_statements(
    statements: Iterable[AccountStatement],
    *,
    entity: BillingEntity,
    account: Account | None = None,
) -> AccountStatement:
    """The statement of a billing entity: every invoice of its accounts on one statement.

    Items keep the days past due their own account's statement counted; balances,
    aging and unapplied credit add up. The result does not depend on the order of
    ``statements``.

    Args:
        statements: One statement per account of the entity, all in one currency and
            built for the same day.
        entity: The billing entity; every account's ``billing_entity_id`` must be its id.
        account: The account the merged statement stands for (its segment, locale and
            timezone apply). By default one is built from ``entity``: id and name of the
            entity, the currency, segment, locale and timezone the accounts share, and
            the sum of their credit limits (no limit if one of them has none).

    Returns:
        A statement whose ``account.id`` is ``account.id`` (the entity's id by default).

    Raises:
        InvalidField: no statements, an account appears twice, or (without
            ``account``) the accounts differ in segment, locale or timezone.
        AccountMismatch: an account belongs to another billing entity.
        CurrencyMismatch: the statements (or ``account``) are in different currencies.
        InvalidAsOf: the statements were built for different days.
    """
    members = sorted(statements, key=lambda s: s.account.id)
    if not members:
        raise InvalidField("statements", (), "at least one statement is needed")
    currency = members[0].currency
    day: date = members[0].as_of
    seen: set[str] = set()
    for statement in members:
        member = statement.account
        if member.id in seen:
            raise InvalidField("statements", member.id, "the same account appears twice")
        seen.add(member.id)
        if member.billing_entity_id != entity.id:
            raise AccountMismatch("Account.billing_entity_id", entity.id, member.billing_entity_id)
        if statement.currency != currency:
            raise CurrencyMismatch(currency, statement.currency, f"statement of {member.id}")
        if statement.as_of != day:
            raise InvalidAsOf(
                "statements", statement.as_of, f"built for another day than {day.isoformat()}"
            )
    if account is None:
        account = _entity_account(entity, members)
    elif account.currency != currency:
        raise CurrencyMismatch(currency, account.currency, "merge_statements(account=...)")

    def total(values: Iterable[Money]) -> Money:
        return Money.sum(values, currency)

    return AccountStatement(
        account=account,
        as_of=day,
        items=tuple(
            sorted((item for s in members for item in s.items), key=lambda i: i.invoice.sort_key)
        ),
        balance=total(s.balance for s in members),
        overdue_balance=total(s.overdue_balance for s in members),
        oldest_days_past_due=max(s.oldest_days_past_due for s in members),
        unapplied=total(s.unapplied for s in members),
        pending=total(s.pending for s in members),
        other_currency_payments=tuple(
            sorted((p for s in members for p in s.other_currency_payments), key=lambda p: p.id)
        ),
        aging_buckets=tuple(
            (bucket, total(s.aging.get(bucket, Money.zero(currency)) for s in members))
            for bucket in AgingBucket
        ),
        next_document_on=min(
            (s.next_document_on for s in members if s.next_document_on is not None),
            default=None,
        ),
    )


def merge_facts(facts: Iterable[AccountFacts], *, entity_id: str) -> AccountFacts:
    """The facts of a billing entity: every promise, dispute, proceeding and hold of its
    accounts, re-attached to ``entity_id`` (their own ids are kept).

    An insolvency proceeding concerns the legal customer, so once merged it suspends the
    whole entity; so does a manual hold on any of its accounts.

    Args:
        facts: The facts of the entity's accounts.
        entity_id: The id the merged facts belong to (the merged statement's account id).

    Returns:
        One :class:`~dunning_core.AccountFacts`, each kind sorted by id.
    """
    every = list(facts)

    def moved(items: Iterable[Any]) -> list[Any]:
        return sorted((attrs.evolve(i, account_id=entity_id) for i in items), key=lambda i: i.id)

    return AccountFacts(
        account_id=entity_id,
        promises=moved(p for f in every for p in f.promises),
        disputes=moved(d for f in every for d in f.disputes),
        proceedings=moved(p for f in every for p in f.proceedings),
        holds=moved(h for f in every for h in f.holds),
    )
