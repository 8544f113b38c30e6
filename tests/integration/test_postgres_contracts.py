"""The shipped contract suite, unchanged, against PostgresStore on a real server (and
through PgBouncer without prepared statements: tests/integration/test_pgbouncer.py)."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from dunning_core.adapters.storage.postgres import PostgresStore
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts import StoreContract
from dunning_core.testing.postgres import TemporaryPostgres

_schemas = itertools.count(1)


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    server: TemporaryPostgres

    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: TemporaryPostgres) -> None:
        self.server = postgres_server

    def make_uow_factory(self) -> UowFactory:
        # A new schema per test: an empty store without a new database.
        self.store = PostgresStore(
            self.server.conninfo(), schema=f"contract_{next(_schemas)}", timeout=30
        )
        return self.store.unit_of_work

    def dispose_uow_factory(self, uow_factory: UowFactory) -> None:
        self.store.close()
        with psycopg.connect(self.server.conninfo(), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{self.store.schema}" CASCADE')
