"""Fuzzing the SQLite row readers: any value in any column is read back as the record or
as a ``CorruptRecord``, and the cycle reports that account and carries on (issue 15,
case 1, generalised from the hand-picked rows of tests/integration/test_bad_rows.py).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning_core import Account, Contact, Invoice, Money, Payment
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.errors import CorruptRecord
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.fakes import RecordingNotifier
from dunning_core.testing.strategies import hostile_text

D = date(2026, 3, 1)
IDS = ("A-1", "A-2", "A-3")

# Every column of every table a cycle or a dispatch reads, except the keys the
# corrupted row is found by.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "name",
        "currency",
        "segment",
        "locale",
        "timezone",
        "credit_limit_minor",
        "billing_entity_id",
        "registration_id",
        "tags",
        "terms_kind",
        "terms_days",
        "contacts",
    ),
    "invoices": ("number", "issued_on", "due_on", "amount_minor", "currency", "purchase_order"),
    "payments": (
        "amount_minor",
        "currency",
        "received_on",
        "method",
        "status",
        "bank_reference",
        "payer_name",
    ),
    "promises": ("made_on", "due_on", "amount_minor", "currency", "invoice_numbers"),
    "disputes": ("invoice_number", "opened_on", "reason", "resolved_on"),
    "proceedings": ("kind", "opened_on", "ruled_on", "reference", "court"),
    "holds": ("reason", "starts_on", "ends_on", "invoice_number", "suspends"),
    "suspension_states": ("suspended", "reason_codes", "since", "requires_prepayment"),
    "credit_alert_states": ("fired",),
    "outbox": (
        "channel",
        "recipient",
        "subject",
        "body",
        "created_at",
        "attempts",
        "next_attempt_at",
        "provider_message_id",
        "last_error",
    ),
}
_cells = st.sampled_from([(table, column) for table, cols in COLUMNS.items() for column in cols])
_stored = st.one_of(
    hostile_text(max_size=60),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.none(),
    st.sampled_from(["[]", "{}", "[1]", '["x"]', "null", "2026-02-29", "1.5", "-1"]),
)


def _seed(path: Path) -> None:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        for account_id in IDS:
            uow.accounts.add(
                Account(
                    id=account_id,
                    name="n",
                    currency="EUR",
                    credit_limit=Money("1000.00", "EUR"),
                    contacts=[Contact(name="c", email=f"{account_id.lower()}@example.com")],
                )
            )
            uow.ledger.add_invoices(
                [
                    Invoice(
                        number=f"{account_id}-F",
                        account_id=account_id,
                        issued_on=D,
                        due_on=D,
                        amount=Money("100.00", "EUR"),
                    )
                ]
            )
            uow.ledger.add_payment(
                Payment(
                    id=f"{account_id}-P",
                    account_id=account_id,
                    amount=Money("1.00", "EUR"),
                    received_on=D,
                    status="PENDING",
                )
            )
            uow.facts.add_promise(
                PromiseToPay(
                    id=f"{account_id}-PR",
                    account_id=account_id,
                    made_on=D,
                    due_on=D,
                    amount=Money("1.00", "EUR"),
                )
            )
            uow.facts.add_dispute(
                Dispute(
                    id=f"{account_id}-D",
                    account_id=account_id,
                    invoice_number=f"{account_id}-F",
                    opened_on=D,
                    resolved_on=D,
                )
            )
            uow.facts.add_proceeding(
                InsolvencyProceeding(
                    id=f"{account_id}-I",
                    account_id=account_id,
                    kind="RECEIVERSHIP",
                    opened_on=date(2020, 1, 1),
                    ruled_on=date(2020, 6, 1),
                )
            )
            uow.facts.add_hold(
                Hold(
                    id=f"{account_id}-H",
                    account_id=account_id,
                    reason="r",
                    starts_on=date(2020, 1, 1),
                    ends_on=date(2020, 1, 2),
                )
            )
            uow.outbox.add_messages(
                [
                    OutboxMessage.new(
                        key=f"{account_id}-M",
                        account_id=account_id,
                        channel="EMAIL",
                        recipient="r@example.com",
                        subject="s",
                        body="b",
                        created_at=datetime(2026, 3, 1, tzinfo=UTC),
                    )
                ]
            )
        uow.history.put_suspension_states(
            [SuspensionState(account_id=i, suspended=False) for i in IDS]
        )
        uow.history.put_credit_alert_states([CreditAlertState(account_id=i) for i in IDS])
        uow.commit()
    store.close()


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.sqlite3"
        _seed(path)
        yield path


def _corrupt(path: Path, table: str, column: str, value: Any) -> bool:
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False  # sqlite3 cannot bind a lone surrogate: no one can store it
    key = "id" if table == "accounts" else "account_id"
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute("PRAGMA foreign_keys=OFF")
            connection.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = 'A-2'", (value,))
    except sqlite3.IntegrityError:
        return False  # NOT NULL, CHECK or UNIQUE: SQLite itself refuses the edit
    finally:
        connection.close()
    return True


def _typed(read: Callable[[], object]) -> CorruptRecord | None:
    try:
        read()
    except CorruptRecord as error:
        return error
    return None


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cell=_cells, value=_stored)
def test_any_stored_value_is_read_back_or_reported_and_the_run_carries_on(
    template: Path, tmp_path_factory: pytest.TempPathFactory, cell: tuple[str, str], value: Any
) -> None:
    table, column = cell
    path = tmp_path_factory.mktemp("rows") / "dunning.sqlite3"
    shutil.copy(template, path)
    if not _corrupt(path, table, column, value):
        return
    store = SqliteStore(path)
    try:
        report = run_cycle(store.unit_of_work, CycleConfig(), date(2026, 4, 15))
        assert {e.account_id for e in report.errors} <= {"A-2"}
        assert report.accounts >= 2
        for error in report.errors:
            assert error.error in {"CorruptRecord", "DateOutOfRange"} or error.error.startswith(
                "Invalid"
            )
        with store.unit_of_work(read_only=True) as uow:
            outbox_error = _typed(lambda: uow.outbox.messages_of(IDS))
        assert outbox_error is None or outbox_error.table == "outbox"
        notifier = RecordingNotifier()
        dispatch(store.unit_of_work, notifier, datetime(2026, 4, 15, 12, tzinfo=UTC))
        assert {"A-1-M", "A-3-M"} <= set(notifier.keys())
    finally:
        store.close()
