"""The dunning cycle: evaluate every account, record decisions and messages atomically.

:func:`run_cycle` streams the accounts (of one shard, if asked) in batches of
``batch_size``. For each account it builds the statement, decides suspension, evaluates
the account's ladder and checks credit alerts; then, per batch and in one transaction,
it records the ladder's actions in the history, writes one outbox message per notice,
stores suspension and credit-alert state changes with their events, and moves the
run's checkpoint forward.

Why it is safe to run again, or after a crash:

- every action, message and event has a deterministic key and the stores ignore a
  second insert of the same key;
- the ladder reads the history the previous run wrote, so a stage never fires twice;
- suspension and credit alerts compare with the state stored by the previous run, so a
  repeated decision yields no event;
- the checkpoint is written in the same transaction as the batch's effects: after a
  crash the rerun resumes after the last committed batch, and a finished run (``done``)
  is not evaluated again unless ``resume=False``.

An account whose data is invalid (a :class:`~dunning_core.errors.DunningError` while
loading or evaluating it) is reported in :attr:`CycleReport.errors` and skipped; nothing
of it is written, and the rest of its batch proceeds.

Which accounts a run evaluates (issue 13): each evaluation also yields the account's
wake-up date, the earliest day its result can change by time alone (the minimum of the
statement's, the suspension policy's, the ladder's and the credit alerts' parts), stored
with the batch; every write that can change an account's evaluation marks it (the store
sees to it). A run evaluates the accounts marked or whose wake-up date has come, and
every account when asked (``full=True``), when the configuration's fingerprint differs
from the one the wake-up dates were computed with, or when it runs a day before one
already run. Evaluating an account that was not due writes nothing new, so the two
kinds of run write the same history, outbox, events and states.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

import attrs

from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf, LocalAsOf, as_instant, localize, run_date
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.facts import AccountFacts
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, ReviewBasis
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.errors import DateOutOfRange, DunningError, InvalidField
from dunning_core.policies.credit import credit_alerts, credit_exposure, credit_wakes_on
from dunning_core.policies.ladder import DunningAction, decide_ladder
from dunning_core.ports import AccountLedger, UnitOfWork, UowFactory
from dunning_core.service._messages import (
    Effects,
    StatementSource,
    credit_alert_effects,
    ladder_effects,
)
from dunning_core.service._steps import statement_of, suspension_step
from dunning_core.service._uow import check_uow_factory
from dunning_core.service.records import history_from_records
from dunning_core.service.settings import CycleConfig
from dunning_core.sharding import Shard, check_shard
from dunning_core.sharding import shard_label as label_of

__all__ = ["AccountError", "CycleReport", "report_key", "run_cycle"]

logger = logging.getLogger("dunning_core")


@attrs.frozen(kw_only=True)
class AccountError:
    """An account the cycle skipped, and why.

    Attributes:
        account_id: The account.
        error: The exception's class name (``"CurrencyMismatch"``).
        message: Its message, naming the field and the value.
    """

    account_id: str
    error: str
    message: str


@attrs.frozen(kw_only=True)
class CycleReport:
    """What a cycle did.

    Attributes:
        run_date: The run's date (``as_of``, or its UTC date for a datetime).
        shard: The shard label (``"all"`` or ``"i/n"``).
        dry_run: True when nothing was written.
        resumed_after: The last account of a previous, interrupted run of the same date
            and shard that this run resumed after, or ``None``.
        already_done: True when the run found its date and shard finished and did
            nothing.
        full: True when every account of the shard was evaluated (``full=True``, a new
            configuration fingerprint, or a day before one already run); False when
            only the accounts due were (marked by a write, or whose wake-up date came).
        accounts: Accounts evaluated (errors excluded).
        batches: Batches processed.
        actions: New ladder actions, each counted once under its kind (see
            :func:`report_key`): ``{"REMIND": 12, "TERMINATE": 1, "NOTICE": 1}`` is
            twelve reminders and a terminating stage with its notice.
        messages: New outbox messages.
        suspended: Accounts suspended by this run, in id order.
        reactivated: Accounts reactivated by this run, in id order.
        credit_alerts: Credit-limit alerts raised.
        errors: Accounts skipped because their data is invalid.
    """

    run_date: date
    shard: str
    dry_run: bool = False
    resumed_after: str | None = None
    already_done: bool = False
    full: bool = False
    accounts: int = 0
    batches: int = 0
    actions: Mapping[str, int] = attrs.field(factory=dict)
    messages: int = 0
    suspended: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    credit_alerts: int = 0
    errors: tuple[AccountError, ...] = ()

    @property
    def actions_total(self) -> int:
        """The number of new ladder actions."""
        return sum(self.actions.values())


@attrs.define
class _Tally:
    accounts: int = 0
    batches: int = 0
    actions: Counter[str] = attrs.field(factory=Counter)
    messages: int = 0
    suspended: list[str] = attrs.field(factory=list)
    reactivated: list[str] = attrs.field(factory=list)
    credit_alerts: int = 0
    errors: list[AccountError] = attrs.field(factory=list)


@attrs.define
class _Outcome:
    """One account's effects and state changes, kept apart until the batch commits."""

    effects: Effects
    suspension: SuspensionState | None
    credit: CreditAlertState | None
    event: AccountSuspended | AccountReactivated | None
    alerts: int
    action_kinds: list[str]
    wakes_on: date | None


def report_key(action: DunningAction) -> str:
    """The key :attr:`CycleReport.actions` counts an action under.

    An account-level operation counts under its kind (``TERMINATE``,
    ``HAND_OVER_TO_COLLECTION``, ``DECLARE_CLAIM``, ...); a notice under its kind
    (``REMIND``, ``FORMAL_NOTICE``), or ``NOTICE`` when it is the customer's notice of
    an operation stage. So a terminating stage with a channel counts one ``TERMINATE``
    and one ``NOTICE``; one notice per channel, so an email and an SMS of one stage
    count two.
    """
    if action.channel is None or action.kind.is_notice:
        return action.kind.value
    return "NOTICE"


def run_cycle(
    uow_factory: UowFactory,
    config: CycleConfig,
    as_of: AsOf,
    *,
    shard: Shard | None = None,
    batch_size: int = 500,
    dry_run: bool = False,
    resume: bool = True,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CycleReport:
    """Run one dunning cycle for ``as_of``.

    Evaluates the accounts due: those a write marked since their last evaluation and
    those whose wake-up date has come. Every account is evaluated instead when
    ``full`` is set, when ``config``'s :meth:`~CycleConfig.fingerprint` differs from the
    one the stored wake-up dates were computed with (the accounts of the other shards
    are then marked too), or when ``as_of`` is before a day already run. Either way the
    history, outbox, events and states written are the same.

    Args:
        uow_factory: Opens a unit of work on the store (``store.unit_of_work``).
        config: Ladders, suspension and allocation policies, renderer, links.
        as_of: The run's day (each account's local day), or an aware datetime (each
            account sees its own local day at that instant; messages are dated with it).
        shard: ``(i, n)`` to run only the accounts whose stable hash falls in shard
            ``i`` of ``n``; ``None`` for every account.
        batch_size: Accounts per batch (and per transaction); memory stays bounded by it.
        dry_run: Evaluate and report, write nothing (not even a write rolled back: a
            store opened read-only serves it). ``messages`` then counts the messages
            a real run would write.
        resume: Resume after the last committed batch of an interrupted run of the same
            date and shard (and do nothing if that run finished). ``False`` starts the
            run over; the keys still keep the effects exactly-once.
        full: Evaluate every account of the shard, due or not.
        progress: Called after each batch is committed (or evaluated, in a dry run)
            with the number of accounts it held, for a progress bar.

    Returns:
        The :class:`CycleReport`.

    Raises:
        InvalidField: ``shard`` or ``batch_size`` is invalid.
        InvalidAsOf: ``as_of`` is a naive datetime.
        InvalidUnitOfWork: ``uow_factory`` is a unit of work, not the factory.
        StoreError: the store failed; the batch in progress is rolled back, and a rerun
            resumes after the last committed batch.

    .. versionchanged:: 0.2
       Evaluates only the accounts due; ``full`` and :attr:`CycleReport.full`.
    """
    check_uow_factory(uow_factory)
    checked = check_shard(shard)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InvalidField("batch_size", batch_size, "must be a positive int")
    instant = as_instant(as_of)
    day = run_date(as_of)
    label = label_of(checked)
    fingerprint = config.fingerprint()
    tally = _Tally()

    with uow_factory() as uow:
        checkpoint = uow.checkpoints.get(day, label) if resume else None
        if checkpoint is not None and checkpoint.done:
            logger.info("cycle %s shard %s already done", day, label)
            return CycleReport(run_date=day, shard=label, dry_run=dry_run, already_done=True)
        whole = _whole_run(uow, fingerprint, day, full, dry_run)
    resumed_after = None if checkpoint is None else checkpoint.last_account_id
    # A date is every account's own day; an instant is at most a day ahead of UTC
    # somewhere (UTC+14), so the accounts due on the next UTC day are asked too.
    due_by = day if not isinstance(as_of, datetime) else day + timedelta(days=1)
    after = resumed_after if whole else None
    cursor: tuple[date, str] | None = None

    while True:
        with uow_factory() as uow:
            if whole:
                ids = uow.accounts.iter_ids(after=after, limit=batch_size, shard=checked)
            else:
                page = uow.reviews.due(due_by, after=cursor, limit=batch_size, shard=checked)
                ids = [account_id for _, account_id in page]
                cursor = page[-1] if page else cursor
            done = len(ids) < batch_size
            if ids:
                _run_batch(uow, config, as_of, instant, ids, tally, dry_run=dry_run)
                after = ids[-1]
            tally.batches += bool(ids)
            if not dry_run:
                uow.checkpoints.put(
                    CycleCheckpoint(
                        run_date=day,
                        shard=label,
                        # only a whole run pages by id: an incremental one starts over
                        last_account_id=after if whole else None,
                        done=done,
                    )
                )
                uow.commit()
        if progress is not None and ids:
            progress(len(ids))
        if done:
            break

    logger.info(
        "cycle %s shard %s (%s): %d accounts, %d actions, %d messages, %d errors",
        day,
        label,
        "every account" if whole else "accounts due",
        tally.accounts,
        sum(tally.actions.values()),
        tally.messages,
        len(tally.errors),
    )
    return CycleReport(
        run_date=day,
        shard=label,
        dry_run=dry_run,
        resumed_after=resumed_after,
        full=whole,
        accounts=tally.accounts,
        batches=tally.batches,
        actions=dict(sorted(tally.actions.items())),
        messages=tally.messages,
        suspended=tuple(sorted(tally.suspended)),
        reactivated=tuple(sorted(tally.reactivated)),
        credit_alerts=tally.credit_alerts,
        errors=tuple(tally.errors),
    )


def _whole_run(uow: UnitOfWork, fingerprint: str, day: date, full: bool, dry_run: bool) -> bool:
    """Whether this run evaluates every account, and (unless a dry run) the review basis
    brought up to date in the caller's unit of work, committed.

    The stored wake-up dates hold for the configuration that computed them and for days
    after the one they were computed on. A new configuration marks every account (so
    every shard evaluates all of its own, and a crash mid-run loses nothing), and
    becomes the basis; a day before the latest one run evaluates its shard whole.
    """
    basis = uow.reviews.basis()
    changed = basis is None or basis.fingerprint != fingerprint
    whole = full or changed or (basis is not None and day < basis.latest_day)
    if whole:
        reason = "asked" if full else "new configuration" if changed else "an earlier day"
        logger.info("cycle %s evaluates every account (%s)", day, reason)
    if not dry_run:
        if changed:
            uow.reviews.mark_all()
        latest = day if basis is None or changed else max(basis.latest_day, day)
        if basis is None or changed or latest != basis.latest_day:
            uow.reviews.put_basis(ReviewBasis(fingerprint=fingerprint, latest_day=latest))
        uow.commit()
    return whole


@attrs.define
class _Loaded:
    """One batch's stored data, by account id."""

    accounts: dict[str, Account] = attrs.field(factory=dict)
    ledgers: dict[str, AccountLedger] = attrs.field(factory=dict)
    facts: dict[str, AccountFacts] = attrs.field(factory=dict)
    history: dict[str, tuple[ActionRecord, ...]] = attrs.field(factory=dict)
    suspension: dict[str, SuspensionState] = attrs.field(factory=dict)
    credit: dict[str, CreditAlertState] = attrs.field(factory=dict)

    def add(self, uow: UnitOfWork, ids: Sequence[str]) -> None:
        """Load ``ids`` into this batch (raises on the first unreadable record)."""
        accounts = uow.accounts.get_many(ids)
        ledgers = uow.ledger.load(ids)
        facts = uow.facts.load(ids)
        history = uow.history.actions_of(ids)
        suspension = uow.history.suspension_states(ids)
        credit = uow.history.credit_alert_states(ids)
        self.accounts.update(accounts)
        self.ledgers.update(ledgers)
        self.facts.update(facts)
        self.history.update(history)
        self.suspension.update(suspension)
        self.credit.update(credit)


def _load(uow: UnitOfWork, ids: Sequence[str], tally: _Tally) -> _Loaded:
    """Load a batch; if a record is unreadable or invalid, load account by account and
    report the bad ones (every store read of the batch, so one bad row of any kind is
    its account's error only)."""
    loaded = _Loaded()
    try:
        loaded.add(uow, ids)
    except DunningError:
        loaded = _Loaded()
        for account_id in ids:
            try:
                loaded.add(uow, [account_id])
            except DunningError as error:
                tally.errors.append(_error(account_id, error))
    return loaded


def _out_of_range(account_id: str, error: OverflowError) -> DateOutOfRange:
    return DateOutOfRange(
        "account", account_id, f"a date computed from its records leaves the calendar ({error})"
    )


def _error(account_id: str, error: Exception) -> AccountError:
    logger.warning("account %s skipped: %s", account_id, error)
    return AccountError(account_id=account_id, error=type(error).__name__, message=str(error))


def _run_batch(
    uow: UnitOfWork,
    config: CycleConfig,
    as_of: AsOf,
    instant: datetime,
    ids: Sequence[str],
    tally: _Tally,
    *,
    dry_run: bool,
) -> None:
    loaded = _load(uow, ids, tally)
    present = [account_id for account_id in ids if account_id in loaded.accounts]

    batch = Effects()
    new_suspension: list[SuspensionState] = []
    new_credit: list[CreditAlertState] = []
    reviews: dict[str, date | None] = {}
    for account_id in present:
        try:
            outcome = _evaluate(
                config,
                loaded.accounts[account_id],
                loaded.ledgers[account_id],
                loaded.facts.get(account_id),
                loaded.history.get(account_id, ()),
                loaded.suspension.get(account_id),
                loaded.credit.get(account_id),
                as_of,
                instant,
            )
        except DunningError as error:
            # Not scheduled: it stays due, and is reported again by the next run.
            tally.errors.append(_error(account_id, error))
            continue
        except OverflowError as error:
            # A stored date near year 9999 (or 1) plus an offset the policies add: the
            # account's data, so the account's error, not the run's.
            tally.errors.append(_error(account_id, _out_of_range(account_id, error)))
            continue
        tally.accounts += 1
        batch.extend(outcome.effects)
        reviews[account_id] = outcome.wakes_on
        if outcome.suspension is not None:
            new_suspension.append(outcome.suspension)
        if outcome.credit is not None:
            new_credit.append(outcome.credit)
        if isinstance(outcome.event, AccountSuspended):
            tally.suspended.append(account_id)
        elif isinstance(outcome.event, AccountReactivated):
            tally.reactivated.append(account_id)
        tally.credit_alerts += outcome.alerts
        tally.actions.update(outcome.action_kinds)

    if dry_run:
        # Nothing is written, so a read-only store serves a dry run; the report counts
        # the messages a real run would write.
        tally.messages += len(batch.messages)
        return
    uow.history.add_actions(batch.actions)
    uow.ledger.add_charges(batch.charges)
    tally.messages += uow.outbox.add_messages(batch.messages)
    uow.history.add_events(batch.events)
    uow.history.put_suspension_states(new_suspension)
    uow.history.put_credit_alert_states(new_credit)
    # Last: the writes above mark their accounts, and this clears the marks.
    uow.reviews.schedule(reviews)


def _evaluate(
    config: CycleConfig,
    account: Account,
    ledger: AccountLedger,
    facts: AccountFacts | None,
    history_rows: Sequence[ActionRecord],
    suspension_state: SuspensionState | None,
    credit_state: CreditAlertState | None,
    as_of: AsOf,
    instant: datetime,
) -> _Outcome:
    # The account's local day is computed once here and handed to every policy.
    local = localize(as_of, account.tz)
    statement = statement_of(account, ledger, local)
    step = suspension_step(
        config, account, statement, ledger.payments, facts, suspension_state, instant
    )
    effects = step.effects

    ladder, assignment = config.ladder_of(account.id)
    history = history_from_records(account.id, history_rows)
    decision = decide_ladder(
        ladder,
        statement,
        history,
        local,
        facts=facts,
        payments=ledger.payments,
        allocations=ledger.allocations,
        assignment=assignment,
        calendar=config.calendar_of(account),
        explain=False,
    )
    actions = decision.actions
    source = None
    if config.attachments.statement:
        # The statement a notice carries includes the fees this run books with it.
        booked = {charge.key for charge in ledger.charges}
        fees = [c for a in actions for c in a.fee_charges() if c.key not in booked]
        shown = statement
        if fees:
            with_fees = attrs.evolve(ledger, charges=(*ledger.charges, *fees))
            shown = statement_of(account, with_fees, local)
        source = StatementSource(statement=shown, payments=ledger.payments, history=history_rows)
    effects.extend(ladder_effects(config, account, actions, instant, statement=source))

    exposure = credit_exposure(statement)
    alerts, credit_next = credit_alerts(account, exposure, credit_state, local, config.credit)
    effects.extend(credit_alert_effects(config, account, statement, alerts, exposure, instant))
    changed_credit = None if credit_next == credit_state else credit_next
    if changed_credit is None and credit_state is None and account.credit_limit is not None:
        changed_credit = credit_next  # remember that the account has been evaluated

    return _Outcome(
        effects=effects,
        suspension=step.state,
        credit=changed_credit,
        event=step.event,
        alerts=len(alerts),
        action_kinds=[report_key(action) for action in actions],
        wakes_on=_earliest(
            local, step.decision.wakes_on, decision.wakes_on, credit_wakes_on(statement)
        ),
    )


def _earliest(local: LocalAsOf, *parts: date | None) -> date | None:
    """The account's wake-up date: the earliest of the policies' parts (each after the
    account's day), or ``None`` when only a write can change its evaluation."""
    days = [part for part in parts if part is not None and part > local.day]
    return min(days) if days else None
