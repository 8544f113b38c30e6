"""run_cycle on the in-memory and SQLite stores: idempotency, crashes, dry runs, bad data,
shards and batches."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning_core import Account, Contact, Invoice, Money, Segment
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.errors import CurrencyMismatch
from dunning_core.ports import UowFactory
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig
from dunning_core.testing import strategies as ds
from dunning_core.testing.fakes import FaultInjector, InjectedFault
from dunning_core.testing.strategies import Portfolio

AS_OF = date(2026, 4, 15)
Store = MemoryStore | SqliteStore
STORES = ["memory", "sqlite"]


@contextmanager
def open_store(kind: str) -> Iterator[Store]:
    if kind == "memory":
        yield MemoryStore()
        return
    with tempfile.TemporaryDirectory() as folder:
        yield SqliteStore(Path(folder) / "dunning.sqlite3")


def seed(store: Store, portfolios: Sequence[Portfolio]) -> None:
    with store.unit_of_work() as uow:
        for portfolio in portfolios:
            uow.accounts.add(portfolio.account)
            uow.ledger.add_invoices(portfolio.invoices)
            for payment in portfolio.payments:
                uow.ledger.add_payment(payment)
        uow.commit()


def renumbered(index: int, portfolio: Portfolio) -> Portfolio:
    """Give a drawn portfolio ids that cannot clash with another's."""
    account_id = f"A{index:03d}"
    contacts = (Contact(name="Billing", email=f"billing@{account_id.lower()}.example"),)
    account = attrs.evolve(portfolio.account, id=account_id, contacts=contacts)
    invoices = tuple(
        attrs.evolve(i, number=f"{account_id}-{i.number}", account_id=account_id)
        for i in portfolio.invoices
    )
    payments = tuple(
        attrs.evolve(p, id=f"{account_id}-{p.id}", account_id=account_id)
        for p in portfolio.payments
    )
    return attrs.evolve(
        portfolio, account=account, invoices=invoices, payments=payments, credit_notes=()
    )


portfolio_lists = st.lists(ds.portfolios(with_advices=False), min_size=1, max_size=4).map(
    lambda drawn: [renumbered(i, p) for i, p in enumerate(drawn)]
)


def snapshot(store: Store, ids: Sequence[str]) -> dict[str, object]:
    """Everything a cycle writes, as comparable sets."""
    with store.unit_of_work() as uow:
        actions = {r.key: r for rows in uow.history.actions_of(ids).values() for r in rows}
        messages = {
            m.key: (m.channel, m.recipient, m.subject)
            for rows in uow.outbox.messages_of(ids).values()
            for m in rows
        }
        events = {e.key: e.kind for rows in uow.history.events_of(ids).values() for e in rows}
        states = uow.history.suspension_states(ids)
        credit = uow.history.credit_alert_states(ids)
    return {
        "actions": actions,
        "messages": messages,
        "events": events,
        "suspension": states,
        "credit": credit,
    }


# --- idempotency -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios=portfolio_lists, runs=st.integers(1, 5), resume=st.booleans())
def test_rerunning_a_cycle_for_the_same_day_creates_nothing_new(
    kind: str, portfolios: list[Portfolio], runs: int, resume: bool
) -> None:
    ids = [p.account.id for p in portfolios]
    with open_store(kind) as store:
        seed(store, portfolios)
        config = CycleConfig()
        first = run_cycle(store.unit_of_work, config, AS_OF, batch_size=2)
        after_first = snapshot(store, ids)
        assert first.accounts == len(portfolios)
        assert len(after_first["messages"]) == first.messages  # type: ignore[arg-type]
        for _ in range(runs):
            again = run_cycle(store.unit_of_work, config, AS_OF, batch_size=2, resume=resume)
            assert again.actions_total == 0
            assert again.messages == 0
            assert again.suspended == again.reactivated == ()
            assert again.credit_alerts == 0
            assert again.already_done is resume
        assert snapshot(store, ids) == after_first


# --- crashes ------------------------------------------------------------------------------


def overdue_portfolio(count: int) -> list[Portfolio]:
    """Accounts whose invoices sit at every stage of the default ladder on AS_OF."""
    portfolios = []
    for n in range(count):
        account = Account(
            id=f"C{n:02d}",
            name=f"Client {n}",
            currency="EUR",
            segment=Segment.SMALL if n % 2 else Segment.LARGE,
            credit_limit=Money("1000.00", "EUR") if n % 3 == 0 else None,
            contacts=[Contact(name="Billing", email=f"c{n}@example.com")],
        )
        invoices = tuple(
            Invoice(
                number=f"C{n:02d}-F{k}",
                account_id=account.id,
                issued_on=AS_OF - timedelta(days=60),
                due_on=AS_OF + timedelta(days=7 - 9 * k - n),
                amount=Money(f"{300 + 10 * n + k}.00", "EUR"),
            )
            for k in range(3)
        )
        portfolios.append(Portfolio(account=account, invoices=invoices, as_of=AS_OF))
    return portfolios


def full_run(factory: UowFactory) -> None:
    run_cycle(factory, CycleConfig(), AS_OF, batch_size=3)


def count_writes(kind: str, portfolios: list[Portfolio]) -> int:
    with open_store(kind) as store:
        seed(store, portfolios)
        counter = FaultInjector(store.unit_of_work, fail_at=None)
        full_run(counter)
        return counter.writes


CRASH_PORTFOLIO = overdue_portfolio(8)
CRASH_IDS = [p.account.id for p in CRASH_PORTFOLIO]


@pytest.fixture(scope="module", params=STORES)
def reference(request: pytest.FixtureRequest) -> tuple[str, dict[str, object], int]:
    """What an uninterrupted run writes, and how many writes it makes."""
    kind: str = request.param
    with open_store(kind) as store:
        seed(store, CRASH_PORTFOLIO)
        full_run(store.unit_of_work)
        expected = snapshot(store, CRASH_IDS)
    return kind, expected, count_writes(kind, CRASH_PORTFOLIO)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_after_a_crash_at_any_write_a_rerun_leaves_each_action_exactly_once(
    reference: tuple[str, dict[str, object], int], data: st.DataObject
) -> None:
    kind, expected, writes = reference
    assert writes > 10  # the run does write: actions, messages, states, checkpoints
    fail_at = data.draw(st.integers(1, writes), label="fail_at")
    with open_store(kind) as store:
        seed(store, CRASH_PORTFOLIO)
        injector = FaultInjector(store.unit_of_work, fail_at=fail_at)
        with pytest.raises(InjectedFault):
            full_run(injector)
        full_run(store.unit_of_work)  # the restart: resumes after the last commit
        got = snapshot(store, CRASH_IDS)
        if isinstance(store, SqliteStore):
            assert store.integrity_check() == ["ok"]
    assert got == expected
    actions: dict[str, object] = got["actions"]  # type: ignore[assignment]
    messages: dict[str, object] = got["messages"]  # type: ignore[assignment]
    notice_keys = {key.partition("/")[0] for key, row in actions.items() if row.channel}  # type: ignore[attr-defined]
    ladder_messages = {key for key in messages if key in notice_keys}
    assert ladder_messages == notice_keys  # one message per notice, none missing


def test_the_crash_portfolio_exercises_every_kind_of_effect() -> None:
    # Guards the crash test against a portfolio that writes nothing interesting.
    with open_store("memory") as store:
        seed(store, CRASH_PORTFOLIO)
        report = run_cycle(store.unit_of_work, CycleConfig(), AS_OF, batch_size=3)
    assert report.actions_total > 0
    assert report.messages > report.actions_total - 1
    assert report.suspended
    assert report.credit_alerts > 0
    assert report.batches == 3


# --- dry runs, bad data, shards, batches ----------------------------------------------------


@pytest.mark.parametrize("kind", STORES)
def test_a_dry_run_reports_but_writes_nothing(kind: str) -> None:
    with open_store(kind) as store:
        seed(store, CRASH_PORTFOLIO)
        dry = run_cycle(store.unit_of_work, CycleConfig(), AS_OF, dry_run=True)
        nothing = snapshot(store, CRASH_IDS)
        assert dry.dry_run and dry.actions_total > 0 and dry.suspended
        assert nothing == {
            "actions": {},
            "messages": {},
            "events": {},
            "suspension": {},
            "credit": {},
        }
        with store.unit_of_work() as uow:
            assert uow.checkpoints.get(AS_OF, "all") is None
        real = run_cycle(store.unit_of_work, CycleConfig(), AS_OF)
        assert (real.actions, real.messages, real.suspended) == (
            dry.actions,
            dry.messages,
            dry.suspended,
        )


@pytest.mark.parametrize("kind", STORES)
def test_an_account_with_invalid_data_is_reported_and_nothing_of_it_is_written(kind: str) -> None:
    portfolios = overdue_portfolio(4)
    bad = portfolios[1]
    usd = attrs.evolve(bad.invoices[0], amount=Money("10.00", "USD"))
    portfolios[1] = attrs.evolve(bad, invoices=(usd, *bad.invoices[1:]))
    ids = [p.account.id for p in portfolios]
    with open_store(kind) as store:
        seed(store, portfolios)
        report = run_cycle(store.unit_of_work, CycleConfig(), AS_OF, batch_size=10)
        written = snapshot(store, ids)
    assert [e.account_id for e in report.errors] == [bad.account.id]
    assert report.errors[0].error == CurrencyMismatch.__name__
    assert "USD" in report.errors[0].message
    assert report.accounts == 3
    for table in written.values():
        assert all(  # type: ignore[attr-defined]
            not str(key).startswith(bad.account.id) for key in table
        )
    actions: dict[str, object] = written["actions"]  # type: ignore[assignment]
    assert {row.account_id for row in actions.values()} == set(ids) - {bad.account.id}  # type: ignore[attr-defined]
    assert bad.account.id not in written["suspension"]  # type: ignore[operator]


def test_shards_split_the_portfolio_and_add_up_to_the_whole() -> None:
    portfolios = overdue_portfolio(12)
    ids = [p.account.id for p in portfolios]
    with open_store("memory") as whole:
        seed(whole, portfolios)
        run_cycle(whole.unit_of_work, CycleConfig(), AS_OF)
        expected = snapshot(whole, ids)
    with open_store("sqlite") as split:
        seed(split, portfolios)
        seen = 0
        for index in range(3):
            report = run_cycle(split.unit_of_work, CycleConfig(), AS_OF, shard=(index, 3))
            assert report.shard == f"{index}/3"
            seen += report.accounts
        assert seen == len(portfolios)
        assert snapshot(split, ids) == expected


@pytest.mark.parametrize("batch_size", [1, 5, 500])
def test_batch_size_does_not_change_the_outcome(batch_size: int) -> None:
    portfolios = overdue_portfolio(7)
    ids = [p.account.id for p in portfolios]
    outcomes = []
    for size in (batch_size, 1000):
        with open_store("memory") as store:
            seed(store, portfolios)
            report = run_cycle(store.unit_of_work, CycleConfig(), AS_OF, batch_size=size)
            assert report.batches == -(-len(portfolios) // size)
            outcomes.append(snapshot(store, ids))
    assert outcomes[0] == outcomes[1]


def test_an_aware_datetime_is_each_accounts_own_day() -> None:
    # 13:30 UTC on 14 April is already 15 April in Noumea, still 14 April in Paris.
    noumea = Account(
        id="NC",
        name="Kanak",
        currency="XPF",
        timezone="Pacific/Noumea",
        contacts=[Contact(email="nc@example.com")],
    )
    paris = attrs.evolve(noumea, id="FR", timezone="Europe/Paris", currency="EUR")
    invoices = [
        Invoice(
            number="NC-1",
            account_id="NC",
            issued_on=date(2026, 3, 1),
            due_on=date(2026, 4, 14),
            amount=Money("1000", "XPF"),
        ),
        Invoice(
            number="FR-1",
            account_id="FR",
            issued_on=date(2026, 3, 1),
            due_on=date(2026, 4, 14),
            amount=Money("10.00", "EUR"),
        ),
    ]
    store = MemoryStore()
    seed(
        store,
        [
            Portfolio(account=noumea, invoices=(invoices[0],)),
            Portfolio(account=paris, invoices=(invoices[1],)),
        ],
    )
    at = datetime(2026, 4, 14, 13, 30, tzinfo=UTC)
    run_cycle(store.unit_of_work, CycleConfig(), at)
    with store.unit_of_work() as uow:
        stages = {
            account: sorted(r.stage for r in rows)
            for account, rows in uow.history.actions_of(["NC", "FR"]).items()
        }
    # The default ladder: due_soon at -7 (both passed it on the first run, LATEST_ONLY),
    # due_today at 0, overdue at +1: Noumea is one day further on.
    assert stages["NC"] == ["due_soon", "due_today", "overdue"]
    assert stages["FR"] == ["due_soon", "due_today"]


@pytest.mark.parametrize("kind", STORES)
def test_stage_fees_are_booked_once_and_shown_on_the_statement(kind: str) -> None:
    from dunning_core.domain.statement import build_statement
    from dunning_core.policies.ladder import Ladder, Stage

    with_fee = Ladder(
        name="with-fee",
        stages=(
            Stage(key="first", offset=1, channels="EMAIL", template="first_notice"),
            Stage(
                key="second",
                offset=10,
                channels="EMAIL",
                template="second_notice",
                fee=Money("15.00", "EUR"),
            ),
        ),
    )
    config = CycleConfig(ladders={"with-fee": with_fee}, default_ladder="with-fee")
    portfolios = overdue_portfolio(1)  # C00: invoices 7, 2 and 11 days past due on AS_OF
    portfolio = portfolios[0]
    with open_store(kind) as store:
        seed(store, portfolios)
        for _ in range(2):
            run_cycle(store.unit_of_work, config, AS_OF, resume=False)
        run_cycle(store.unit_of_work, config, AS_OF + timedelta(days=1))
        with store.unit_of_work() as uow:
            charges = uow.ledger.load(["C00"])["C00"].charges
    # Only C00-F2 (due 11 days before AS_OF) has reached the second stage: one fee of 15.00.
    assert [(c.invoice_number, c.stage, c.amount) for c in charges] == [
        ("C00-F2", "second", Money("15.00", "EUR"))
    ]
    statement = build_statement(
        portfolio.account, AS_OF, invoices=portfolio.invoices, charges=charges
    )
    assert statement.charges_total == Money("15.00", "EUR")
    assert statement.total_due == statement.balance + Money("15.00", "EUR")


def test_fired_and_skipped_records_of_one_stage_are_both_kept() -> None:
    # One run: F1 fires due_today on its due day while F0 (already overdue) fires
    # "overdue", and F0's catch-up skips due_soon and due_today. The same action can then
    # carry due_today both fired (F1) and skipped (F0): both records must be stored.
    from dunning_core.policies.ladder import DunningHistory, evaluate_ladder, presets
    from dunning_core.service.records import action_records, history_from_records

    account = Account(id="K", name="K", currency="EUR", contacts=[Contact(email="k@x.example")])
    invoices = (
        Invoice(
            number="K-F0",
            account_id="K",
            issued_on=date(2026, 3, 1),
            due_on=AS_OF - timedelta(days=1),
            amount=Money("10.00", "EUR"),
        ),
        Invoice(
            number="K-F1",
            account_id="K",
            issued_on=date(2026, 3, 1),
            due_on=AS_OF,
            amount=Money("20.00", "EUR"),
        ),
    )
    from dunning_core.domain.statement import build_statement

    statement = build_statement(account, AS_OF, invoices=invoices)
    actions = evaluate_ladder(
        presets.DUE_DATE_REMINDERS, statement, DunningHistory.empty("K"), AS_OF
    )
    expected = [record for action in actions for record in action.to_records()]
    rows = [row for action in actions for row in action_records(action)]
    assert len({row.key for row in rows}) == len(rows) == len(expected)
    store = MemoryStore()
    seed(store, [Portfolio(account=account, invoices=invoices)])
    with store.unit_of_work() as uow:
        assert uow.history.add_actions(rows) == len(rows)
        uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.history.actions_of(["K"])["K"]
    rebuilt = history_from_records("K", stored)
    assert sorted(rebuilt, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("as_of", [datetime(2026, 4, 15, 7, 0), "2026-04-15"])
def test_a_naive_or_non_date_as_of_is_refused_before_anything_is_written(as_of: object) -> None:
    from dunning_core.errors import InvalidAsOf

    store = MemoryStore()
    seed(store, overdue_portfolio(2))
    with pytest.raises(InvalidAsOf, match="as_of"):
        run_cycle(store.unit_of_work, CycleConfig(), as_of)  # type: ignore[arg-type]
    assert snapshot(store, ["C00", "C01"]) == {
        "actions": {},
        "messages": {},
        "events": {},
        "suspension": {},
        "credit": {},
    }
