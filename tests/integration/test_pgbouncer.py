"""PostgresStore behind a real PgBouncer in transaction pooling, with ``prepare=False``:
the whole contract suite passes through it (nothing depends on session state). The
control: with prepared statements on, the same traffic fails there (PgBouncer before
1.21 hands each transaction any server connection, where psycopg's prepared statement
is missing, or already taken by another client connection's statement of the same
name)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dunning_core.adapters.storage.postgres import PostgresStore
from dunning_core.errors import StoreError
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts import StoreContract
from dunning_core.testing.postgres import TemporaryPostgres, free_port

pytestmark = pytest.mark.postgres

_schemas = itertools.count(1)


def _pgbouncer() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None:
        pytest.fail(
            "PgBouncer tests cannot run: pgbouncer is not installed (`apt-get install "
            "pgbouncer`; `make test` installs it when missing)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def bouncer(postgres_server: TemporaryPostgres) -> Iterator[str]:
    """A PgBouncer in transaction pooling mode in front of the test server; yields the
    connection string through it."""
    binary = _pgbouncer()
    folder = Path(tempfile.mkdtemp(prefix="dunning-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"{postgres_server.superuser}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        # One server connection behind "single": two clients' prepared statements
        # meet there, so the control below fails every time, not by luck of routing.
        f"single = host=127.0.0.1 port={postgres_server.port} dbname=postgres pool_size=1\n"
        f"* = host=127.0.0.1 port={postgres_server.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        user = postgres_server._unprivileged_user()
        os.chown(folder, user.pw_uid, user.pw_gid)
        for child in folder.iterdir():
            os.chown(child, user.pw_uid, user.pw_gid)
        command = [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
            "--",
            *command,
        ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conninfo = f"host=127.0.0.1 port={port} user={postgres_server.superuser} dbname=postgres"
    deadline = time.monotonic() + 20
    while True:
        try:
            psycopg.connect(conninfo, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (
                    (folder / "pgbouncer.log").read_text(errors="replace")
                    if (folder / "pgbouncer.log").exists()
                    else ""
                )
                process.kill()
                pytest.fail(f"pgbouncer did not start:\n{log}", pytrace=False)
            time.sleep(0.2)
    try:
        yield conninfo
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


class TestPostgresStoreBehindPgBouncer(StoreContract):
    conninfo: str
    direct: str

    @pytest.fixture(autouse=True)
    def _bouncer(self, bouncer: str, postgres_server: TemporaryPostgres) -> None:
        self.conninfo = bouncer
        self.direct = postgres_server.conninfo()

    def make_uow_factory(self) -> UowFactory:
        self.store = PostgresStore(
            self.conninfo, schema=f"bounced_{next(_schemas)}", prepare=False, timeout=30
        )
        return self.store.unit_of_work

    def dispose_uow_factory(self, uow_factory: UowFactory) -> None:
        self.store.close()
        with psycopg.connect(self.direct, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{self.store.schema}" CASCADE'.encode())


@pytest.mark.parametrize("prepare", [False, True], ids=["prepare-off", "control-prepare-on"])
def test_only_without_prepared_statements_does_pgbouncer_serve_every_transaction(
    bouncer: str, postgres_server: TemporaryPostgres, prepare: bool
) -> None:
    # The control goes through the database with one server connection (see the
    # fixture), where psycopg's statement names from two client connections collide.
    conninfo = bouncer.replace("dbname=postgres", "dbname=single") if prepare else bouncer
    store = PostgresStore(
        conninfo, schema=f"bounced_{next(_schemas)}", prepare=prepare, max_connections=4
    )
    failures: list[str] = []

    def work() -> None:
        for _ in range(60):
            try:
                with store.unit_of_work() as uow:
                    uow.accounts.count()
                    uow.accounts.iter_ids(limit=5)
                    uow.commit()
            except StoreError as error:
                failures.append(str(error))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    store.close()
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{store.schema}" CASCADE'.encode())
    if prepare:
        assert any("prepared statement" in failure for failure in failures), failures[:3]
    else:
        assert failures == []
