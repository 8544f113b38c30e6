"""Exactly once at the edges, with real processes, a real SQLite outbox and a real SMTP
server on 127.0.0.1: a dispatcher killed (SIGKILL) after the server accepted a message
and before SENT was committed resends that message, with the same Message-ID, and only
that one; without a crash, 4 concurrent dispatchers send 10,000 messages once each."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dunning_core import Account
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.testing.servers import LocalSmtpServer, TlsMode

WORKER = Path(__file__).with_name("smtp_worker.py")
T0 = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
USER, PASSWORD = "worker", "worker-password"


@pytest.fixture
def server() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=(USER, PASSWORD)) as running:
        yield running


def seed(path: Path, count: int, accounts: int = 50) -> list[str]:
    store = SqliteStore(path)
    keys = [f"k-{index:05d}" for index in range(count)]
    with store.unit_of_work() as uow:
        uow.accounts.add_many(
            Account(id=f"A-{n:03d}", name=f"Customer {n}", currency="EUR") for n in range(accounts)
        )
        uow.outbox.add_messages(
            OutboxMessage.new(
                key=key,
                account_id=f"A-{index % accounts:03d}",
                channel="EMAIL",
                recipient=f"billing-{index % accounts}@client.example",
                subject=f"Reminder {key}",
                body=f"Invoice {key} is overdue.",
                created_at=T0 - timedelta(minutes=1),
            )
            for index, key in enumerate(keys)
        )
        uow.commit()
    store.close()
    return keys


def worker(
    path: Path, server: LocalSmtpServer, now: datetime, *options: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            str(path),
            server.host,
            str(server.port),
            str(server.ca_file),
            now.isoformat(),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def statuses(path: Path) -> Counter[OutboxStatus]:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        counts = Counter({status: n for status, n in uow.outbox.counts().items() if n})
    store.close()
    return counts


def test_a_crash_after_the_server_accepted_resends_only_that_message_same_id(
    server: LocalSmtpServer, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.sqlite3"
    keys = seed(path, 20)
    victim = keys[7]
    crashed = worker(path, server, T0, "--kill-after", victim)
    crashed.communicate(timeout=120)
    assert crashed.returncode == -signal.SIGKILL
    assert [m.message_id for m in server.messages][-1] == f"<dunning.{victim}@acme.example>"
    assert statuses(path) == Counter({OutboxStatus.SENT: 7, OutboxStatus.SENDING: 13})

    # Once the dead dispatcher's lease (5 minutes) has lapsed, another one takes over.
    rerun = worker(path, server, T0 + timedelta(minutes=6))
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert json.loads(out)["sent"] == 13
    ids = Counter(m.message_id for m in server.messages)
    duplicates = {message_id: n for message_id, n in ids.items() if n > 1}
    assert duplicates == {f"<dunning.{victim}@acme.example>": 2}
    assert len(ids) == 20
    assert statuses(path) == Counter({OutboxStatus.SENT: 20})


@pytest.mark.slow
def test_four_dispatchers_send_ten_thousand_messages_once_each(
    server: LocalSmtpServer, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.sqlite3"
    keys = seed(path, 10_000)
    workers = [worker(path, server, T0, "--batch", "50") for _ in range(4)]
    reports = []
    for process in workers:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["sent"] for r in reports) == 10_000
    assert all(r["sent"] > 0 for r in reports), "every dispatcher took a share"
    ids = Counter(m.message_id for m in server.messages)
    assert len(server.messages) == 10_000
    assert set(ids) == {f"<dunning.{key}@acme.example>" for key in keys}
    assert max(ids.values()) == 1
    assert statuses(path) == Counter({OutboxStatus.SENT: 10_000})
