"""A throwaway PostgreSQL server for tests and benchmarks: ``initdb`` and ``pg_ctl`` on a
temporary directory, listening on a free port of 127.0.0.1.

    from dunning_core.testing.postgres import TemporaryPostgres

    with TemporaryPostgres() as server:
        store = PostgresStore(server.conninfo())

It uses the machine's PostgreSQL binaries (``pg_ctl`` on ``PATH``, else the newest
``/usr/lib/postgresql/*/bin``; or ``bindir``). ``initdb`` refuses to run as root: under
root the server runs as the ``postgres`` system user if there is one, else as
``nobody``, and its directory is handed to that user. The cluster trusts local
connections (it listens on 127.0.0.1 only) and trades durability against an operating
system crash for speed (``fsync=off``); a killed server process loses nothing committed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PostgresBinariesMissing", "TemporaryPostgres", "find_bindir"]

INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found: install "
    "them, e.g. `apt-get install postgresql-15` on Debian or Ubuntu (they land in "
    "/usr/lib/postgresql/15/bin), or put their directory on PATH"
)

#: Settings for a fast, disposable cluster (each can be overridden).
DEFAULT_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "on",  # a committed transaction survives a killed server
    "max_connections": "200",
    "shared_buffers": "128MB",
    "max_wal_size": "2GB",
    "log_min_messages": "warning",
    "log_min_duration_statement": "-1",
}


#: Where Debian and Ubuntu install each PostgreSQL version's binaries.
SYSTEM_ROOT = Path("/usr/lib/postgresql")


class PostgresBinariesMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed (the message says how)."""


def find_bindir(bindir: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Raises:
        PostgresBinariesMissing: none found.
    """
    candidates: list[Path] = []
    if bindir is not None:
        candidates.append(Path(bindir))
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    versions = sorted(
        SYSTEM_ROOT.glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(versions)
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return candidate
    raise PostgresBinariesMissing(INSTALL_HINT)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TemporaryPostgres:
    """A PostgreSQL cluster in a temporary directory, started by :meth:`start` (or
    ``with``) and removed by :meth:`cleanup`.

    Args:
        bindir: Where the binaries are (found on ``PATH`` or under
            ``/usr/lib/postgresql`` otherwise).
        settings: ``postgresql.conf`` settings on top of :data:`DEFAULT_SETTINGS`.
        superuser: The cluster's superuser (connections need no password).

    Raises:
        PostgresBinariesMissing: the binaries are not installed.
    """

    def __init__(
        self,
        *,
        bindir: str | os.PathLike[str] | None = None,
        settings: Mapping[str, str] | None = None,
        superuser: str = "dunning",
    ) -> None:
        self.bindir = find_bindir(bindir)
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.superuser = superuser
        self.port = 0
        self.directory: Path | None = None
        self._run_as = self._unprivileged_user() if os.geteuid() == 0 else None

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd:
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise PostgresBinariesMissing(
            "running as root, and neither a 'postgres' nor a 'nobody' user exists to run "
            "the server as (initdb refuses root)"
        )

    # -- paths --------------------------------------------------------------------------

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        if self.directory is None:
            raise RuntimeError("the server has not been initialised")
        return self.directory / "data"

    @property
    def log(self) -> Path:
        """The server's log file."""
        if self.directory is None:
            raise RuntimeError("the server has not been initialised")
        return self.directory / "server.log"

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string to ``dbname`` on this server."""
        return (
            f"host=127.0.0.1 port={self.port} user={self.superuser} dbname={dbname} "
            "connect_timeout=10"
        )

    # -- running ------------------------------------------------------------------------

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        if self._run_as is None:
            return command
        return [
            "setpriv",
            f"--reuid={self._run_as.pw_uid}",
            f"--regid={self._run_as.pw_gid}",
            "--clear-groups",
            "--",
            *command,
        ]

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            self._command(tool, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.directory,
            env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}\n{log}"
            )

    def initdb(self) -> None:
        """Create the cluster in a new temporary directory."""
        self.directory = Path(tempfile.mkdtemp(prefix="dunning-pg-"))
        if self._run_as is not None:
            os.chown(self.directory, self._run_as.pw_uid, self._run_as.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.superuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        lines = [f"{key} = '{value}'" for key, value in self.settings.items()]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(["", "# TemporaryPostgres", *lines, ""]))

    def start(self, *, attempts: int = 5) -> None:
        """Start the server (creating the cluster first if needed) and wait until it
        accepts connections."""
        if self.directory is None:
            self.initdb()
        fixed = self.port
        for attempt in range(attempts):
            self.port = fixed or free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.directory}"
            )
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return
            except RuntimeError:
                if fixed or attempt == attempts - 1:
                    raise
                time.sleep(0.2)  # the port was taken in between: try another

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``"fast"`` (roll back, disconnect, checkpoint) or
        ``"immediate"`` (as a crash: the next start replays the WAL)."""
        if self.directory is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Start again on the same port after :meth:`stop`."""
        self.start(attempts=1)

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run ``sql`` with ``psql`` and return its unaligned output (for diagnostics)."""
        psql = self.bindir / "psql"
        done = subprocess.run(
            [
                str(psql),
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.conninfo(dbname),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    def cleanup(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self.stop("immediate")
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
                self.directory = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def create_database(self, name: str, *, template: str = "template0") -> str:
        """Create a database and return its connection string."""
        self._run_sql_autocommit(f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return self.conninfo(name)

    def _run_sql_autocommit(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as connection:
            connection.execute(sql.encode())


def terminate(processes: Sequence[subprocess.Popen[bytes] | subprocess.Popen[str]]) -> None:
    """Kill and reap processes a test started (by their own handles)."""
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait(30)
