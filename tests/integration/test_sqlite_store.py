"""What is particular to the SQLite store: pragmas, migrations, locking, errors."""

from __future__ import annotations

import pickle
import sqlite3
import threading
from pathlib import Path

import pytest

from dunning_core.adapters.storage._sqlite_schema import MIGRATIONS
from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.domain.account import Account
from dunning_core.errors import (
    SchemaVersionError,
    StoreBusy,
    StoreError,
    UnitOfWorkClosed,
)
from dunning_core.money import Money


def _account(account_id: str = "A-1") -> Account:
    return Account(id=account_id, name="ACME", currency="EUR")


def test_connections_run_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3", busy_timeout=2.5)
    connection = store.connection()
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    store.close()


def test_a_new_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    assert store.schema_version == SCHEMA_VERSION >= 1
    tables = {
        row[0]
        for row in store.connection().execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"accounts", "invoices", "allocations", "actions", "outbox", "checkpoints"} <= tables
    store.close()
    reopened = SqliteStore(tmp_path / "db.sqlite3")  # already current: nothing to do
    assert reopened.schema_version == SCHEMA_VERSION
    reopened.close()


def test_a_version_3_file_gains_html_bodies_and_account_countries(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript("".join(MIGRATIONS[:3]) + "PRAGMA user_version=3;")
    contacts = '[{"name":"","email":null,"mobile":"+33612345678","phone":null,'
    contacts += '"postal_address":null,"channels":[],"role":"billing"}]'
    raw.execute(
        "INSERT INTO accounts VALUES ('A-1', 1, 'ACME', 'EUR', 'SMALL', 'fr_FR', 'UTC', NULL,"
        " NULL, NULL, '[]', 'NET', 30, ?)",
        (contacts,),
    )
    raw.execute(
        "INSERT INTO outbox (key, account_id, channel, recipient, subject, body, created_at,"
        " status, attempts, next_attempt_at, due_at) VALUES ('M-1', 'A-1', 'EMAIL',"
        " 'a@example.com', 'S', 'B', ?, 'PENDING', 0, ?, ?)",
        ("2026-03-01T09:00:00.000000+00:00",) * 3,
    )
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION >= 6
    with store.unit_of_work() as uow:
        account = uow.accounts.get("A-1")
        message = uow.outbox.get("M-1")
    assert account is not None and account.country is None and account.subdivision is None
    assert account.contacts[0].mobile == "+33612345678"
    assert message is not None and message.html_body is None and message.body == "B"
    store.close()


def test_a_file_from_a_newer_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SqliteStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaVersionError) as raised:
        SqliteStore(path)
    assert raised.value.found == SCHEMA_VERSION + 1


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(StoreError):
        SqliteStore(path)


def test_amounts_are_stored_as_integer_minor_units(tmp_path: Path) -> None:
    from datetime import date

    from dunning_core.domain.invoice import Invoice
    from dunning_core.money import Money

    store = SqliteStore(tmp_path / "db.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="x", currency="BHD"))
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="I-1",
                    account_id="A-1",
                    issued_on=date(2026, 1, 1),
                    due_on=date(2026, 1, 31),
                    amount=Money("12.345", "BHD"),
                )
            ]
        )
        uow.commit()
    row = (
        store.connection()
        .execute("SELECT amount_minor, typeof(amount_minor), currency, due_on FROM invoices")
        .fetchone()
    )
    assert row == (12345, "integer", "BHD", "2026-01-31")
    store.close()


def test_a_second_writer_waits_then_reports_busy(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    holder = SqliteStore(path)
    waiter = SqliteStore(path, busy_timeout=0.2)
    with holder.unit_of_work() as uow:
        uow.accounts.add(_account())
        with pytest.raises(StoreBusy):
            waiter.unit_of_work().__enter__()
        # A reader does not wait for the writer and sees the last committed state.
        with waiter.unit_of_work(read_only=True) as reader:
            assert reader.accounts.count() == 0
    holder.close()
    waiter.close()


def test_a_read_only_unit_of_work_refuses_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    with store.unit_of_work(read_only=True) as uow, pytest.raises(StoreError):
        uow.accounts.add(_account())
    store.close()


def test_one_thread_cannot_nest_units_of_work(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    with store.unit_of_work(), pytest.raises(StoreBusy):
        store.unit_of_work().__enter__()
    uow = store.unit_of_work()
    with uow:
        pass
    with pytest.raises(UnitOfWorkClosed):
        uow.__enter__()
    store.close()


def test_each_thread_gets_its_own_connection(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    mine = store.connection()
    theirs: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: theirs.append(store.connection()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    assert store.connection() is mine
    store.close()


def test_a_store_pickles_as_its_location(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3", busy_timeout=3.0)
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.commit()
    copy = pickle.loads(pickle.dumps(store.unit_of_work))()
    with copy as uow:
        assert uow.accounts.get("A-1") == _account()
    store.close()


def test_integrity_check_reports_a_broken_foreign_key(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    assert store.integrity_check() == ["ok"]
    connection = store.connection()
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute(
        "INSERT INTO invoices VALUES ('A-404', 'I-1', '2026-01-01', '2026-01-31', 1, 'EUR', NULL)"
    )
    problems = store.integrity_check()
    assert problems != ["ok"]
    assert any("foreign key" in p for p in problems)
    store.close()


def test_version_4_brings_stored_reason_codes_to_upper_case(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    raw = sqlite3.connect(path)  # as 0.1 left it: lower-case codes, schema version 3
    raw.executescript("".join(MIGRATIONS[:3]) + "PRAGMA user_version=3;")
    raw.execute(
        "INSERT INTO accounts VALUES ('A-1', 1, 'ACME', 'EUR', 'SMALL', 'en_US', 'UTC', NULL,"
        " NULL, NULL, '[]', 'NET', 30, '[]')"
    )
    raw.execute(
        "INSERT INTO suspension_states VALUES ('A-1', 1, '[\"manual_hold\",\"overdue_days\"]',"
        " '2026-03-01', 0)"
    )
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    with store.unit_of_work(read_only=True) as uow:
        state = uow.history.suspension_states(["A-1"])["A-1"]
    assert state.reason_codes == ("MANUAL_HOLD", "OVERDUE_DAYS")
    store.close()


def _back_to_version_4(raw: sqlite3.Connection) -> None:
    """Undo versions 7, 6 and 5 (what a database written before them looks like)."""
    raw.execute("ALTER TABLE outbox DROP COLUMN attachments")
    raw.execute("ALTER TABLE outbox DROP COLUMN html_body")
    raw.execute("ALTER TABLE accounts DROP COLUMN country")
    raw.execute("ALTER TABLE accounts DROP COLUMN subdivision")
    raw.execute("ALTER TABLE outbox DROP COLUMN text_locale")
    raw.execute("ALTER TABLE outbox DROP COLUMN document")
    raw.execute("DROP TABLE refunds")
    raw.execute("PRAGMA user_version=4")


def test_version_5_adds_the_text_locale_and_the_letter_document(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from dunning_core.domain.outbox import OutboxMessage

    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.commit()
    store.close()
    raw = sqlite3.connect(path)
    _back_to_version_4(raw)
    raw.execute(
        "INSERT INTO outbox (key, account_id, channel, recipient, subject, body, created_at,"
        " status, attempts, next_attempt_at, due_at) VALUES ('m-1', 'A-1', 'EMAIL', 'a@b.fr',"
        " 's', 'b', '2026-03-01T00:00:00+00:00', 'PENDING', 0, '2026-03-01T00:00:00+00:00',"
        " '2026-03-01T00:00:00+00:00')"
    )
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    letter = OutboxMessage.new(
        key="m-2",
        account_id="A-1",
        channel="LETTER",
        recipient="A\nB",
        subject="s",
        body="b",
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        text_locale="fr",
        document='{"x": 1}',
    )
    with store.unit_of_work() as uow:
        uow.outbox.add_messages([letter])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        old, new = uow.outbox.get("m-1"), uow.outbox.get("m-2")
    assert old is not None and (old.text_locale, old.document) == ("", None)
    assert new == letter
    store.close()


def test_a_file_whose_version_4_created_refunds_migrates_too(tmp_path: Path) -> None:
    # For a while main's version 4 also created the refunds table; version 5 creates it
    # only when missing, so such a file keeps its refunds and gains the rest.
    from dunning_core.domain.payment import Refund

    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.commit()
    store.close()
    raw = sqlite3.connect(path)
    raw.execute("ALTER TABLE outbox DROP COLUMN attachments")  # version 7
    raw.execute("ALTER TABLE outbox DROP COLUMN html_body")  # version 6
    raw.execute("ALTER TABLE accounts DROP COLUMN country")
    raw.execute("ALTER TABLE accounts DROP COLUMN subdivision")
    raw.execute("ALTER TABLE outbox DROP COLUMN text_locale")
    raw.execute("ALTER TABLE outbox DROP COLUMN document")
    raw.execute("INSERT INTO refunds VALUES ('A-1', 'R-1', 1250, 'EUR', '2026-03-01', 'IBAN FR76')")
    raw.execute("PRAGMA user_version=4")
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    with store.unit_of_work(read_only=True) as uow:
        (refund,) = uow.ledger.load(["A-1"])["A-1"].refunds
    assert isinstance(refund, Refund)
    assert (refund.id, refund.amount) == ("R-1", Money("12.50", "EUR"))
    store.close()


def test_version_7_adds_what_an_email_carries(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from dunning_core.domain.attachments import Attachment, AttachmentOutcome
    from dunning_core.domain.outbox import OutboxMessage

    path = tmp_path / "v6.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript("".join(MIGRATIONS[:6]) + "PRAGMA user_version=6;")
    raw.execute(
        "INSERT INTO accounts (id, shard_key, name, currency, segment, locale, timezone, tags,"
        " terms_kind, terms_days, contacts) VALUES ('A-1', 1, 'ACME', 'EUR', 'SMALL', 'fr_FR',"
        " 'UTC', '[]', 'NET', 30, '[]')"
    )
    raw.execute(
        "INSERT INTO outbox (key, account_id, channel, recipient, subject, body, created_at,"
        " status, attempts, next_attempt_at, due_at) VALUES ('m-old', 'A-1', 'EMAIL', 'a@b.fr',"
        " 's', 'b', ?, 'PENDING', 0, ?, ?)",
        ("2026-03-01T09:00:00.000000+00:00",) * 3,
    )
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION >= 7
    asked = (Attachment.invoice("F-1", filename="facture-F-1.pdf"),)
    new = OutboxMessage.new(
        key="m-new",
        account_id="A-1",
        channel="EMAIL",
        recipient="a@b.fr",
        subject="s",
        body="b",
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        attachments=asked,
    )
    with store.unit_of_work() as uow:
        uow.outbox.add_messages([new])
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        old, stored = uow.outbox.get("m-old"), uow.outbox.get("m-new")
    assert old is not None and old.attachments == ()
    assert stored == new
    (column,) = store.connection().execute("SELECT attachments FROM outbox WHERE key = 'm-old'")
    assert column == (None,)
    sent = asked[0].carried(AttachmentOutcome.MISSING)
    assert sent.outcome is AttachmentOutcome.MISSING and sent.size is None
    store.close()
