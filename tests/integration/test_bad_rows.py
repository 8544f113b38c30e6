"""Issue 15, case 1: one malformed stored row is that account's error, never the run's.

On main, a hand-edited SQLite row (``due_on = '2026-02-30'``, contacts that are not
JSON, a timezone ``Europe`` that is a folder of the tz database) raised ``ValueError``,
``JSONDecodeError`` or ``IsADirectoryError`` out of ``run_cycle``, for every account and
on every rerun. Now each row reader raises a typed error naming the column and the
value, the cycle reports the account in ``CycleReport.errors`` and carries on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dunning_core import Account, Contact, Invoice, Money, Payment
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.facts import PromiseToPay
from dunning_core.domain.state import SuspensionState
from dunning_core.errors import CorruptRecord, DunningError, InvalidTimezone
from dunning_core.ports import UnitOfWork
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig

AS_OF = date(2026, 4, 15)
IDS = ("A-1", "A-2", "A-3")


def _account(account_id: str) -> Account:
    return Account(
        id=account_id,
        name=f"Customer {account_id}",
        currency="EUR",
        timezone="Europe/Paris",
        contacts=[Contact(name="Billing", email=f"{account_id.lower()}@example.com")],
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "dunning.sqlite3")
    with store.unit_of_work() as uow:
        for account_id in IDS:
            uow.accounts.add(_account(account_id))
            uow.ledger.add_invoices(
                [
                    Invoice(
                        number=f"{account_id}-F1",
                        account_id=account_id,
                        issued_on=date(2026, 2, 1),
                        due_on=date(2026, 3, 1),
                        amount=Money("120.00", "EUR"),
                    )
                ]
            )
            uow.ledger.add_payment(
                Payment(
                    id=f"{account_id}-P1",
                    account_id=account_id,
                    amount=Money("1.00", "EUR"),
                    received_on=date(2026, 3, 2),
                    status="PENDING",
                )
            )
            uow.facts.add_promise(
                PromiseToPay(
                    id=f"{account_id}-PR",
                    account_id=account_id,
                    made_on=date(2026, 3, 5),
                    due_on=date(2026, 3, 6),
                    amount=Money("10.00", "EUR"),
                )
            )
        uow.history.put_suspension_states(
            [SuspensionState(account_id=i, suspended=False) for i in IDS]
        )
        uow.commit()
    yield store
    store.close()


def _edit(store: SqliteStore, sql: str, *params: object) -> None:
    """What a person with the sqlite3 shell does; the store never writes such rows. The
    triggers that check every write (schema version 9) refuse most of these edits, so
    they are dropped first: a bad row that got in all the same is what is tested."""
    store.close()
    with sqlite3.connect(store.path) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        checks = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_check_%'"
        ).fetchall()
        for (name,) in checks:
            connection.execute(f"DROP TRIGGER {name}")
        assert connection.execute(sql, params).rowcount >= 1
    connection.close()


# (table, column, bad value): one row of account A-2 gets the value.
BAD_ROWS = [
    ("invoices", "due_on", "2026-02-30"),
    ("invoices", "issued_on", "yesterday"),
    ("invoices", "amount_minor", "12x"),
    ("invoices", "amount_minor", 2**63 - 1),  # beyond Money's maximum
    ("invoices", "currency", "ZZZ"),
    ("invoices", "number", "A-2-F1\r\n"),
    ("accounts", "contacts", "{not json"),
    ("accounts", "contacts", '{"name": "a dict, not a list"}'),
    ("accounts", "contacts", '[{"email": 42}]'),
    ("accounts", "timezone", "Europe"),
    ("accounts", "timezone", "../../etc/passwd"),
    ("accounts", "tags", "[1, 2"),
    ("accounts", "terms_kind", "SOMETIMES"),
    ("accounts", "terms_days", "thirty"),
    ("accounts", "credit_limit_minor", -5),
    ("accounts", "locale", "xx_NOWHERE"),
    ("payments", "status", "MAYBE"),
    ("payments", "received_on", "2026-13-01"),
    ("promises", "invoice_numbers", "not json"),
    ("promises", "due_on", "2026-02-29"),
    ("suspension_states", "reason_codes", "[[["),
    ("suspension_states", "since", "31/12/2026"),
    # Well-formed values that break a rule: the fast path of trusted rows (issue 13)
    # leaves them to the validating constructors.
    ("invoices", "amount_minor", -8000),
    ("invoices", "purchase_order", " PO-1"),
    ("payments", "amount_minor", 0),
    ("suspension_states", "suspended", 2),
]


def _corrupt(store: SqliteStore, table: str, column: str, value: object) -> None:
    key = "id" if table == "accounts" else "account_id"
    _edit(store, f"UPDATE {table} SET {column} = ? WHERE {key} = 'A-2'", value)


@pytest.mark.parametrize(("table", "column", "value"), BAD_ROWS, ids=repr)
def test_a_malformed_row_is_that_accounts_error_and_the_run_carries_on(
    store: SqliteStore, table: str, column: str, value: object
) -> None:
    _corrupt(store, table, column, value)
    # The first run evaluates every account; the rerun only those due, and the bad one
    # stays due (the good ones are scheduled for a later day); a full rerun all again:
    # the bad row never stops the day.
    for full, evaluated in ((False, 2), (False, 0), (True, 2)):
        report = run_cycle(store.unit_of_work, CycleConfig(), AS_OF, resume=False, full=full)
        assert [e.account_id for e in report.errors] == ["A-2"]
        assert report.accounts == evaluated
    with store.unit_of_work(read_only=True) as uow:
        actions = uow.history.actions_of(["A-1", "A-2", "A-3"])
    assert actions["A-1"] and actions["A-3"]
    assert actions["A-2"] == ()  # nothing of the bad account is written


def _load_everything(uow: UnitOfWork, account_id: str) -> None:
    uow.accounts.get_many([account_id])
    uow.ledger.load([account_id])
    uow.facts.load([account_id])
    uow.history.suspension_states([account_id])


@pytest.mark.parametrize(("table", "column", "value"), BAD_ROWS, ids=repr)
def test_row_readers_raise_typed_errors_naming_the_value(
    store: SqliteStore, table: str, column: str, value: object
) -> None:
    _corrupt(store, table, column, value)
    with store.unit_of_work(read_only=True) as uow, pytest.raises(DunningError) as raised:
        _load_everything(uow, "A-2")
    error = raised.value
    assert isinstance(error, CorruptRecord)
    assert isinstance(error, ValueError)
    assert error.table == table
    assert error.key == "A-2" or error.key.startswith("A-2")
    # The message names the stored value (an amount as the Money it would be).
    shown = repr(value)[1:20] if not isinstance(error.value, Money) else str(error.value.amount)
    assert shown in str(error)


def test_a_corrupt_outbox_row_does_not_stop_dispatch(store: SqliteStore) -> None:
    from dunning_core.service.dispatch import dispatch
    from dunning_core.testing.fakes import RecordingNotifier

    run_cycle(store.unit_of_work, CycleConfig(), AS_OF)
    with store.unit_of_work(read_only=True) as uow:
        keys = {m.key: m.account_id for ms in uow.outbox.messages_of(IDS).values() for m in ms}
    bad_key = next(k for k, a in keys.items() if a == "A-2")
    _edit(store, "UPDATE outbox SET created_at = 'noon' WHERE key = ?", bad_key)
    notifier = RecordingNotifier()
    at = datetime(2026, 4, 15, 12, tzinfo=UTC)
    report = dispatch(store.unit_of_work, notifier, at)
    assert sorted(notifier.keys()) == sorted(k for k in keys if k != bad_key)
    assert report.sent == len(keys) - 1
    # The unreadable message is moved to the dead letters, with the reason.
    with sqlite3.connect(store.path) as connection:
        status, error = connection.execute(
            "SELECT status, last_error FROM outbox WHERE key = ?", (bad_key,)
        ).fetchone()
    connection.close()
    assert status == "DEAD"
    assert "created_at" in error
    assert "noon" in error


def test_a_timezone_folder_is_an_invalid_timezone() -> None:
    # On main: IsADirectoryError from zoneinfo.
    for key in ("Europe", "America", "../zoneinfo", "Europe/", "Europe/Paris\x00", ""):
        with pytest.raises(InvalidTimezone) as raised:
            Account(id="A", name="n", currency="EUR", timezone=key)
        assert raised.value.field == "Account.timezone"
