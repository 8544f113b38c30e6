"""What PostgresStore promises beyond the contract suite: migrations versioned in the
database, fixed-query batch reads, per-account locks for writers, errors of its own,
text PostgreSQL cannot hold, and a throwaway server that says how to get the binaries."""

from __future__ import annotations

import itertools
import pickle
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, Invoice, Money, Payment
from dunning_core.adapters.storage._pg_rows import escape, unescape
from dunning_core.adapters.storage.postgres import SCHEMA_VERSION, PostgresStore
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.errors import (
    InvalidField,
    SchemaVersionError,
    StoreError,
    StoreUnavailable,
)
from dunning_core.service.payments import record_payment
from dunning_core.testing import postgres as pg_testing
from dunning_core.testing.postgres import PostgresBinariesMissing, TemporaryPostgres

_schemas = itertools.count(1)


@pytest.fixture
def store(postgres_server: TemporaryPostgres) -> Iterator[PostgresStore]:
    made = PostgresStore(postgres_server.conninfo(), schema=f"store_{next(_schemas)}")
    yield made
    made.close()
    _drop(postgres_server, made.schema)


def _drop(server: TemporaryPostgres, schema: str) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def _seed(store: PostgresStore, accounts: int, invoices_each: int) -> list[str]:
    ids = [f"A-{k:04d}" for k in range(accounts)]
    with store.unit_of_work() as uow:
        uow.accounts.add_many(Account(id=i, name=i, currency="EUR") for i in ids)
        uow.ledger.add_invoices(
            Invoice(
                number=f"{i}-{n}",
                account_id=i,
                issued_on=date(2026, 1, 1),
                due_on=date(2026, 2, 1),
                amount=Money("10.00", "EUR"),
            )
            for i in ids
            for n in range(invoices_each)
        )
        uow.commit()
    return ids


# -- text -------------------------------------------------------------------------------


@given(st.lists(st.text(st.characters(codec="utf-8")), max_size=12))
def test_escaping_round_trips_drops_nul_and_keeps_code_point_order(texts: list[str]) -> None:
    escaped = [escape(text) for text in texts]
    assert [unescape(text) for text in escaped] == texts
    assert not any("\x00" in text for text in escaped)
    by_bytes = sorted(escaped, key=lambda text: text.encode("utf-8"))
    assert [unescape(text) for text in by_bytes] == sorted(texts)


def test_ids_page_in_code_point_order(store: PostgresStore) -> None:
    # Identifiers hold no control characters (issue 15), so no NUL to escape in them;
    # names still may, and are escaped (above). Code-point order, not the collation's.
    ids = ["a", "a b", "a!", "aé", "a\U0001f9fe", "b", "Z", "日本"]
    with store.unit_of_work() as uow:
        uow.accounts.add_many(Account(id=i, name=i + "\x00", currency="EUR") for i in ids)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.accounts.iter_ids(limit=100) == sorted(ids)
        assert uow.accounts.iter_ids(after="a b", limit=2) == sorted(ids)[3:5]


# -- schema -----------------------------------------------------------------------------


def test_migrations_are_recorded_in_the_database(store: PostgresStore) -> None:
    with psycopg.connect(store.conninfo, autocommit=True) as connection:
        rows = connection.execute(
            f'SELECT version, library FROM "{store.schema}".schema_migrations ORDER BY 1'.encode()
        ).fetchall()
    assert [row[0] for row in rows] == list(range(1, SCHEMA_VERSION + 1))
    assert store.schema_version == SCHEMA_VERSION


def test_workers_opening_together_migrate_once(postgres_server: TemporaryPostgres) -> None:
    schema = f"together_{next(_schemas)}"
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            PostgresStore(postgres_server.conninfo(), schema=schema).close()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as connection:
        versions = connection.execute(
            f'SELECT version FROM "{schema}".schema_migrations'.encode()
        ).fetchall()
    assert sorted(v for (v,) in versions) == list(range(1, SCHEMA_VERSION + 1))
    _drop(postgres_server, schema)


def test_a_version_1_schema_gains_attachments_and_review_days(store: PostgresStore) -> None:
    message = OutboxMessage.new(
        key="m-1",
        account_id="A-1",
        channel="EMAIL",
        recipient="a@example.com",
        subject="s",
        body="b",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-1", name="A", currency="EUR"))
        uow.outbox.add_messages([message])
        uow.commit()
    with store.unit_of_work() as uow:
        uow.reviews.schedule({"A-1": date(2026, 6, 1)})
        uow.commit()
    store.close()
    with psycopg.connect(store.conninfo, autocommit=True) as connection:  # as 1 left it
        schema = store.schema
        for function in (  # version 3 (issue 13); CASCADE drops the triggers
            "mark_new_rows",
            "mark_old_rows",
            "mark_changed_rows",
            "mark_changed_payments",
            "mark_new_allocations",
            "mark_old_allocations",
            "mark_changed_allocations",
            "mark_account",
        ):
            connection.execute(f'DROP FUNCTION "{schema}".{function}() CASCADE'.encode())
        connection.execute(f'DROP TABLE "{schema}".review_basis'.encode())
        connection.execute(f'ALTER TABLE "{schema}".accounts DROP COLUMN next_review_on'.encode())
        connection.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN attachments'.encode())
        connection.execute(f'DELETE FROM "{schema}".schema_migrations WHERE version > 1'.encode())
    with pytest.raises(StoreError, match="run PostgresStore"):
        PostgresStore(store.conninfo, schema=store.schema, migrate=False)
    reopened = PostgresStore(store.conninfo, schema=store.schema)
    assert reopened.schema_version == SCHEMA_VERSION == 3
    with reopened.unit_of_work(read_only=True) as uow:
        assert uow.outbox.get("m-1") == message
        # version 3: an account the schema never scheduled is due at the next run
        assert uow.reviews.due(date(2026, 1, 1)) == [(date.min, "A-1")]
        assert uow.reviews.basis() is None
    reopened.close()


def test_a_newer_schema_is_refused_with_a_clear_error(store: PostgresStore) -> None:
    with psycopg.connect(store.conninfo, autocommit=True) as connection:
        connection.execute(
            f'INSERT INTO "{store.schema}".schema_migrations (version, library) '
            f"VALUES ({SCHEMA_VERSION + 1}, '99.0')".encode()
        )
    with pytest.raises(SchemaVersionError, match="newer than this library supports") as caught:
        PostgresStore(store.conninfo, schema=store.schema)
    assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    with pytest.raises(SchemaVersionError):
        PostgresStore(store.conninfo, schema=store.schema, migrate=False)


def test_without_migrate_an_older_schema_is_refused(postgres_server: TemporaryPostgres) -> None:
    with pytest.raises(StoreError, match="version 0, this library needs"):
        PostgresStore(postgres_server.conninfo(), schema="never_migrated", migrate=False)


@pytest.mark.parametrize("schema", ["Dunning", "a-b", "x; DROP TABLE y", "", 7])
def test_a_schema_name_must_be_a_plain_identifier(schema: object) -> None:
    with pytest.raises(InvalidField, match="schema"):
        PostgresStore("host=127.0.0.1", schema=schema)  # type: ignore[arg-type]


# -- reads and writes -------------------------------------------------------------------


def test_a_batch_read_is_a_fixed_number_of_statements(store: PostgresStore) -> None:
    ids = _seed(store, 300, 4)

    def statements(batch: list[str]) -> int:
        with store.unit_of_work(read_only=True) as uow:
            before = uow.statements
            uow.accounts.get_many(batch)
            uow.ledger.load(batch)
            uow.facts.load(batch)
            uow.history.actions_of(batch)
            uow.history.suspension_states(batch)
            uow.outbox.messages_of(batch)
            return uow.statements - before

    # accounts 1, ledger 6, facts 4, actions 1, states 1, outbox 1: whatever the batch size
    assert statements(ids[:2]) == statements(ids) == 14


def test_a_read_only_unit_of_work_refuses_writes(store: PostgresStore) -> None:
    with store.unit_of_work(read_only=True) as uow, pytest.raises(StoreError, match="read-only"):
        uow.accounts.add(Account(id="A-1", name="x", currency="EUR"))


def test_the_store_pickles_without_its_pool(store: PostgresStore) -> None:
    _seed(store, 1, 1)
    copy = pickle.loads(pickle.dumps(store))
    with copy.unit_of_work(read_only=True) as uow:
        assert uow.accounts.count() == 1
    copy.close()


def test_an_unreachable_server_is_store_unavailable(tmp_path: Path) -> None:
    port = pg_testing.free_port()
    with pytest.raises(StoreUnavailable) as caught:
        PostgresStore(f"host=127.0.0.1 port={port} user=x dbname=x", timeout=1)
    assert isinstance(caught.value, ConnectionError)


# -- locks ------------------------------------------------------------------------------


def test_a_writer_waits_for_the_writer_holding_the_account(store: PostgresStore) -> None:
    _seed(store, 1, 1)
    order: list[str] = []
    holding = threading.Event()

    def second_writer() -> None:
        holding.wait(10)
        with store.unit_of_work() as uow:
            uow.ledger.load(["A-0000"])  # waits for the first writer's commit
            order.append("second read")
        with store.unit_of_work(read_only=True) as uow:
            uow.ledger.load(["A-0000"])  # a reader never waits
            order.append("reader")

    thread = threading.Thread(target=second_writer)
    thread.start()
    with store.unit_of_work() as uow:
        uow.accounts.get_many(["A-0000"])
        holding.set()
        time.sleep(0.5)
        order.append("first commit")
        uow.commit()
    thread.join(30)
    assert order == ["first commit", "second read", "reader"]


def test_one_payment_recorded_twice_at_once_is_allocated_once(store: PostgresStore) -> None:
    _seed(store, 1, 3)
    payment = Payment(
        id="P-1", account_id="A-0000", amount=Money("15.00", "EUR"), received_on=date(2026, 2, 3)
    )
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def record() -> None:
        try:
            start.wait(10)
            outcomes.append(record_payment(store.unit_of_work(), payment).repeated)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == [False, True]
    with store.unit_of_work(read_only=True) as uow:
        allocated = uow.ledger.allocations_of_source("P-1")
    assert sum(a.amount.amount for a in allocated) == payment.amount.amount


# -- the throwaway server ---------------------------------------------------------------


def test_missing_binaries_say_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pg_testing, "SYSTEM_ROOT", tmp_path / "nothing")
    with pytest.raises(PostgresBinariesMissing, match="apt-get install postgresql-15"):
        TemporaryPostgres(bindir=tmp_path)


def test_a_message_keeps_its_text_locale_and_document(store: PostgresStore) -> None:
    _seed(store, 1, 1)
    message = OutboxMessage.new(
        key="M-1",
        account_id="A-0000",
        channel="LETTER",
        recipient="1 rue de l'Alma",
        subject="Mise en demeure",
        body="...",
        created_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    message = attrs.evolve(message, text_locale="fr", document='{"pages": 2, "x": "\x00"}')
    with store.unit_of_work() as uow:
        assert uow.outbox.add_messages([message]) == 1
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        assert uow.outbox.get("M-1") == message
