"""Steps the cycle and the account services share (private to the service layer):
a statement from a loaded ledger, one account's data, and the suspension step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.state import SuspensionState
from dunning_core.domain.statement import AccountStatement, build_statement
from dunning_core.errors import UnknownRecord
from dunning_core.policies.suspension import SuspensionDecision, decide_suspension, transition
from dunning_core.ports import AccountLedger, UnitOfWork
from dunning_core.service._messages import Effects, suspension_effects
from dunning_core.service.settings import CycleConfig


def statement_of(account: Account, ledger: AccountLedger, as_of: AsOf) -> AccountStatement:
    """The statement of ``account`` from its ledger as the store loaded it."""
    return build_statement(
        account,
        as_of,
        invoices=ledger.invoices,
        credit_notes=ledger.credit_notes,
        payments=ledger.payments,
        allocations=ledger.allocations,
        charges=ledger.charges,
        refunds=ledger.refunds,
    )


def account_data(uow: UnitOfWork, account_id: str) -> tuple[Account, AccountLedger, AccountFacts]:
    """One account, its ledger and its facts, read in the caller's unit of work.

    Raises:
        UnknownRecord: the store has no such account.
    """
    account = uow.accounts.get(account_id)
    if account is None:
        raise UnknownRecord("account", account_id)
    ledger = uow.ledger.load([account_id])[account_id]
    facts = uow.facts.load([account_id]).get(account_id) or AccountFacts(account_id=account_id)
    return account, ledger, facts


@attrs.frozen
class SuspensionStep:
    """A suspension decision with what follows from it, before anything is written.

    Attributes:
        decision: The decision.
        event: The suspension or reactivation it causes, or ``None``.
        state: The state to store, or ``None`` when it did not change.
        effects: The event record and the customer's notice.
    """

    decision: SuspensionDecision
    event: AccountSuspended | AccountReactivated | None
    state: SuspensionState | None
    effects: Effects


def suspension_step(
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    payments: Iterable[Payment],
    facts: AccountFacts | None,
    previous: SuspensionState | None,
    as_of: datetime,
    *,
    cleared_by: str | None = None,
    cause: str | None = None,
) -> SuspensionStep:
    """Decide suspension on the statement's day (pending payments hold off overdue days)
    and work out the event, the state to store and the notice, all against ``previous``."""
    pending = [p for p in payments if p.status is PaymentStatus.PENDING]
    decision = decide_suspension(
        config.suspension, statement, statement.as_of, facts=facts, pending=pending
    )
    event = transition(previous, decision, as_of, cleared_by=cleared_by)
    state = decision.next_state(previous)
    effects = suspension_effects(config, account, decision, event, as_of, cause=cause)
    return SuspensionStep(
        decision=decision,
        event=event,
        state=None if state == previous else state,
        effects=effects,
    )


def decide_and_write(
    uow: UnitOfWork,
    config: CycleConfig,
    account: Account,
    statement: AccountStatement,
    ledger: AccountLedger,
    facts: AccountFacts | None,
    as_of: datetime,
    *,
    cleared_by: str | None = None,
    cause: str,
) -> SuspensionStep:
    """Run :func:`suspension_step` against the stored state and write what it decided
    (state, event, notice) in the caller's unit of work."""
    previous = uow.history.suspension_states([account.id]).get(account.id)
    step = suspension_step(
        config,
        account,
        statement,
        ledger.payments,
        facts,
        previous,
        as_of,
        cleared_by=cleared_by,
        cause=cause,
    )
    if step.state is not None:
        uow.history.put_suspension_states([step.state])
    uow.history.add_events(step.effects.events)
    uow.outbox.add_messages(step.effects.messages)
    return step
