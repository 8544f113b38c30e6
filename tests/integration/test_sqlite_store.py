"""What is particular to the SQLite store: pragmas, migrations, locking, errors."""

from __future__ import annotations

import json
import pickle
import sqlite3
import threading
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Invoice, Money, Payment, PaymentStatus
from dunning_core.adapters.storage._sqlite_schema import MIGRATIONS
from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore
from dunning_core.domain.account import Account
from dunning_core.errors import (
    ConstraintViolation,
    SchemaVersionError,
    StoreBusy,
    StoreError,
    UnitOfWorkClosed,
)


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


def _file_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A database file as the library's schema ``version`` left it (no data yet)."""
    raw = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        raw.executescript(script)
    raw.execute(f"PRAGMA user_version={version}")
    raw.commit()
    return raw


def test_version_4_brings_stored_reason_codes_to_upper_case(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    raw = _file_at_version(path, 3)  # as 0.1 left it: lower-case codes, schema version 3
    raw.execute(
        "INSERT INTO accounts VALUES ('A-1', 0, 'ACME', 'EUR', 'SMALL', 'en_US', 'UTC', NULL,"
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


_ACCOUNT_ROW = (
    "INSERT INTO accounts VALUES ('A-1', 0, 'ACME', 'EUR', 'SMALL', 'en_US', 'UTC', NULL,"
    " NULL, NULL, '[]', 'NET', 30, '[]')"
)


def test_version_5_adds_the_text_locale_and_the_letter_document(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from dunning_core.domain.outbox import OutboxMessage

    path = tmp_path / "db.sqlite3"
    raw = _file_at_version(path, 4)
    raw.execute(_ACCOUNT_ROW)
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
    raw = _file_at_version(path, 4)
    raw.execute(
        "CREATE TABLE refunds (account_id TEXT NOT NULL REFERENCES accounts(id),"
        " id TEXT NOT NULL UNIQUE, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL,"
        " refunded_on TEXT NOT NULL, reference TEXT NOT NULL, PRIMARY KEY (account_id, id))"
        " WITHOUT ROWID"
    )
    raw.execute(_ACCOUNT_ROW)
    raw.execute("INSERT INTO refunds VALUES ('A-1', 'R-1', 1250, 'EUR', '2026-03-01', 'IBAN FR76')")
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


def test_version_8_leaves_every_existing_account_due_at_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    raw = _file_at_version(path, 7)
    for account_id in ("A-1", "A-2"):
        raw.execute(
            "INSERT INTO accounts (id, shard_key, name, currency, segment, locale, timezone,"
            " tags, terms_kind, terms_days, contacts) VALUES (?, 0, 'ACME', 'EUR', 'SMALL',"
            " 'en_US', 'UTC', '[]', 'NET', 30, '[]')",
            (account_id,),
        )
    raw.commit()
    raw.close()
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        assert uow.reviews.due(date(2026, 1, 1)) == [(date.min, "A-1"), (date.min, "A-2")]
        assert uow.reviews.basis() is None  # so the next run evaluates every account
    store.close()


def test_a_raw_sql_write_marks_the_account_too(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.reviews.schedule({"A-1": date(2026, 6, 1)})
        uow.commit()
    connection = store.connection()  # a person fixing a row by hand
    connection.execute("UPDATE accounts SET name = 'ACME SA' WHERE id = 'A-1'")
    with store.unit_of_work() as uow:
        assert uow.reviews.next_review_on(["A-1"]) == {"A-1": date.min}
    store.close()


# -- rows the store trusts, and the checks that guard them (issue 13) ----------------------


def _store_with_ledger(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.ledger.add_invoices(
            [
                Invoice(
                    number="F-1",
                    account_id="A-1",
                    issued_on=date(2026, 1, 1),
                    due_on=date(2026, 1, 31),
                    amount=Money("80.00", "EUR"),
                )
            ]
        )
        uow.ledger.add_payment(
            Payment(
                id="P-1",
                account_id="A-1",
                amount=Money("80.00", "EUR"),
                received_on=date(2026, 2, 2),
            )
        )
        uow.commit()
    return store


@pytest.mark.parametrize(
    ("tampering", "rule"),
    [
        ("UPDATE invoices SET amount_minor = -8000", "invoices.amount"),
        ("UPDATE invoices SET amount_minor = '80,00'", "invoices.amount"),
        ("UPDATE invoices SET due_on = '2026-02-30'", "invoices.due_on"),
        ("UPDATE invoices SET due_on = '2025-12-31'", "invoices.due_on"),
        ("UPDATE invoices SET currency = 'eur'", "invoices.amount"),
        ("UPDATE invoices SET number = '  '", "invoices.number"),
        ("UPDATE payments SET status = 'LOST'", "payments.status"),
        ("UPDATE payments SET received_on = NULL", "payments.received_on"),
    ],
)
def test_a_hand_edit_that_breaks_a_row_is_refused(
    tmp_path: Path, tampering: str, rule: str
) -> None:
    store = _store_with_ledger(tmp_path / "db.sqlite3")
    connection = store.connection()
    with pytest.raises(sqlite3.IntegrityError, match=rule):
        connection.execute(tampering)
    with store.unit_of_work(read_only=True) as uow:  # nothing changed
        ledger = uow.ledger.load(["A-1"])["A-1"]
    assert ledger.invoices[0].amount == Money("80.00", "EUR")
    assert ledger.payments[0].status is PaymentStatus.CLEARED
    assert store.integrity_check() == ["ok"]
    store.close()


def test_text_that_is_not_json_breaks_the_list_rule_and_not_the_check(tmp_path: Path) -> None:
    from dunning_core.domain.facts import PromiseToPay

    store = _store_with_ledger(tmp_path / "db.sqlite3")
    with store.unit_of_work() as uow:
        uow.facts.add_promise(
            PromiseToPay(
                id="PR-1",
                account_id="A-1",
                made_on=date(2026, 2, 1),
                due_on=date(2026, 2, 10),
                amount=Money("10.00", "EUR"),
            )
        )
        uow.commit()
    connection = store.connection()
    for text in ("", "[1, 2", "{}"):
        with pytest.raises(sqlite3.IntegrityError, match="promises.invoice_numbers"):
            connection.execute("UPDATE promises SET invoice_numbers = ?", (text,))
    connection.execute("DROP TRIGGER promises_check_update")
    connection.execute("UPDATE promises SET invoice_numbers = ''")
    assert store.integrity_check() == [
        "promises 'PR-1': promises.invoice_numbers must be a JSON array"
    ]
    store.close()


def test_a_row_smuggled_past_the_checks_is_caught_by_the_next_write(tmp_path: Path) -> None:
    store = _store_with_ledger(tmp_path / "db.sqlite3")
    connection = store.connection()
    (trigger,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'payments_check_update'"
    ).fetchone()
    connection.execute("DROP TRIGGER payments_check_update")  # someone bypasses the checks
    connection.execute("UPDATE payments SET amount_minor = -500 WHERE id = 'P-1'")
    connection.execute(trigger)
    assert store.integrity_check() == [
        "payments 'P-1': payments.amount must be positive minor units"
    ]
    with pytest.raises(ConstraintViolation, match="payments.amount"), store.unit_of_work() as uow:
        uow.ledger.set_payment_status("P-1", PaymentStatus.CHARGED_BACK)  # its next write
    with store.unit_of_work() as uow:  # the other rows are written as usual
        uow.ledger.add_payment(
            Payment(
                id="P-2",
                account_id="A-1",
                amount=Money("5.00", "EUR"),
                received_on=date(2026, 2, 3),
            )
        )
        uow.commit()
    store.close()


def test_rows_read_without_validation_equal_the_validated_ones(tmp_path: Path) -> None:
    from dunning_core.adapters.storage import _sqlite_rows as rows

    store = _store_with_ledger(tmp_path / "db.sqlite3")
    connection = store.connection()
    invoice_row = connection.execute(f"SELECT {rows.INVOICE_COLUMNS} FROM invoices").fetchone()
    payment_row = connection.execute(f"SELECT {rows.PAYMENT_COLUMNS} FROM payments").fetchone()
    trusted_invoice = rows.invoice_from_row(invoice_row)
    validated_invoice = Invoice(
        account_id=invoice_row[0],
        number=invoice_row[1],
        issued_on=date.fromisoformat(invoice_row[2]),
        due_on=date.fromisoformat(invoice_row[3]),
        amount=Money.from_minor(invoice_row[4], invoice_row[5]),
        purchase_order=invoice_row[6],
    )
    assert trusted_invoice == validated_invoice
    assert hash(trusted_invoice) == hash(validated_invoice)
    trusted_payment = rows.payment_from_row(payment_row)
    assert type(trusted_payment.status) is PaymentStatus
    assert trusted_payment == attrs.evolve(trusted_payment)  # evolve re-validates it
    store.close()


@given(st.lists(st.text(st.characters(codec="utf-8"))))
def test_lists_of_strings_are_stored_as_json_would_write_them(values: list[str]) -> None:
    from dunning_core.adapters.storage import _sqlite_rows as rows

    assert rows._json_strings(values) == json.dumps(
        values, ensure_ascii=False, separators=(",", ":")
    )
