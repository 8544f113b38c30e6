"""SMTP dispatch: SmtpNotifier's per-message cost against raw smtplib, and dispatch
throughput from a SQLite outbox with 1 and 4 dispatcher processes.

Everything runs against one aiosmtpd server on 127.0.0.1 (STARTTLS with a trustme
certificate, AUTH), started by this script; nothing leaves the machine.

1. Per-message overhead: N e-mails (plain text and HTML) on one open connection,
   (a) through ``SmtpNotifier.send(OutboxMessage)`` (header checks, address parsing,
   Message-ID, multipart/alternative, the SMTP transaction), against (b) the same e-mail
   written by hand with ``email.message.EmailMessage`` and sent with
   ``smtplib.SMTP.send_message`` on a connection opened the same way, and (c)
   ``send_message`` alone on messages built beforehand. Best of three passes each,
   interleaved. Target: (a) / (c) within 1.5x. (``send_message`` flattens the message
   with the ``email`` generator; SmtpNotifier writes its fixed MIME layout directly.)
2. Dispatch throughput: M messages in a SQLite outbox (WAL, synchronous=FULL: one
   fsync per SENT), drained by ``dispatch`` in 1 process, then in 4 processes at once;
   messages per second from the first claim to the last SENT. The 4-process figure is
   bounded by SQLite's single writer and by this machine's cores.

Run: ``.venv/bin/python benchmarks/bench_smtp.py`` (``--quick`` for small counts).
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from dunning_core import Account
from dunning_core.adapters.notify import SmtpNotifier
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.service.dispatch import dispatch
from dunning_core.testing.servers import LocalSmtpServer, TlsMode

USER, PASSWORD = "bench", "bench-password"
SENDER = "ACME Billing <billing@acme.example>"
NOW = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
TARGET = 1.5


def _messages(count: int, prefix: str = "m") -> list[OutboxMessage]:
    return [
        OutboxMessage.new(
            key=f"{prefix}-{index:06d}",
            account_id=f"A-{index % 100:03d}",
            channel="EMAIL",
            recipient=f"Client {index % 100} <billing-{index % 100}@client.example>",
            subject=f"Relance : facture F-{index:06d} échue",
            body=(
                f"Bonjour,\n\nLa facture F-{index:06d} de 1 250,00 EUR est échue depuis le "
                "1er mars.\nPayez en ligne : https://pay.acme.example/F\n\nCordialement,\n"
                "Service recouvrement"
            ),
            html_body=f"<p>Bonjour,</p><p>La facture <b>F-{index:06d}</b> est échue.</p>",
            created_at=NOW - timedelta(minutes=1),
        )
        for index in range(count)
    ]


def _notifier(server: LocalSmtpServer) -> SmtpNotifier:
    return SmtpNotifier(
        server.host,
        server.port,
        sender=SENDER,
        cafile=server.ca_file,
        username=USER,
        password=PASSWORD,
        max_messages_per_connection=1_000_000,
        timeout=30,
    )


def _by_hand(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = SENDER
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(NOW)
    email["Message-ID"] = f"<{message.key}@acme.example>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    assert message.html_body is not None
    email.add_alternative(message.html_body, subtype="html")
    return email


def _raw_connection(server: LocalSmtpServer) -> smtplib.SMTP:
    connection = smtplib.SMTP(server.host, server.port, timeout=30)
    connection.starttls(context=server.client_context())
    connection.login(USER, PASSWORD)
    return connection


def _best(runs: int, action: Callable[[], float]) -> float:
    return min(action() for _ in range(runs))


def per_message(server: LocalSmtpServer, count: int) -> None:
    messages = _messages(count)
    notifier = _notifier(server)
    raw = _raw_connection(server)
    prebuilt = [_by_hand(message) for message in messages]
    notifier.send(messages[0])  # open the connection outside the timing
    raw.send_message(prebuilt[0])

    def ours() -> float:
        start = time.perf_counter()
        for message in messages:
            notifier.send(message)
        return time.perf_counter() - start

    def hand_written() -> float:
        start = time.perf_counter()
        for message in messages:
            raw.send_message(_by_hand(message))
        return time.perf_counter() - start

    def send_only() -> float:
        start = time.perf_counter()
        for email in prebuilt:
            raw.send_message(email)
        return time.perf_counter() - start

    timings = {"ours": [], "hand": [], "send": []}  # type: dict[str, list[float]]
    for _ in range(3):  # interleaved, so a slow moment hurts every variant alike
        timings["ours"].append(ours())
        timings["hand"].append(hand_written())
        timings["send"].append(send_only())
    best = {name: min(values) / count * 1e6 for name, values in timings.items()}
    notifier.close()
    raw.quit()
    ratio = best["ours"] / best["send"]
    verdict = "OK" if ratio <= TARGET else "ABOVE TARGET"
    print(f"per-message cost, {count} e-mails on one STARTTLS connection (best of 3):")
    print(f"  SmtpNotifier.send(OutboxMessage)           {best['ours']:8.0f} us")
    print(f"  EmailMessage by hand + send_message         {best['hand']:8.0f} us")
    print(f"  send_message alone (message prebuilt)       {best['send']:8.0f} us")
    print(
        f"  SmtpNotifier / send_message alone      {ratio:5.2f}x  (target <= {TARGET}x: {verdict})"
    )
    print(f"  SmtpNotifier / by hand + send_message  {best['ours'] / best['hand']:5.2f}x")


def _seed(path: Path, count: int) -> None:
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add_many(
            Account(id=f"A-{n:03d}", name=f"Client {n}", currency="EUR") for n in range(100)
        )
        uow.outbox.add_messages(_messages(count, prefix="d"))
        uow.commit()
    store.close()


def _dispatcher(path: str, notifier: SmtpNotifier, ready: object, go: object) -> None:
    store = SqliteStore(path, busy_timeout=120)
    ready.set()  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    dispatch(store.unit_of_work, notifier, NOW, batch_size=50)
    notifier.close()
    store.close()


def throughput(server: LocalSmtpServer, count: int, processes: int, folder: Path) -> float:
    path = folder / f"dispatch-{processes}.sqlite3"
    _seed(path, count)
    server.clear()
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(processes)]
    workers = [
        context.Process(target=_dispatcher, args=(str(path), _notifier(server), ready, go))
        for ready in readies
    ]
    for worker in workers:
        worker.start()
    for ready in readies:
        ready.wait(60)
    start = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    received = len(server.messages)
    if received != count or any(worker.exitcode for worker in workers):
        raise SystemExit(f"dispatch with {processes} process(es): {received} of {count} received")
    return count / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts")
    args = parser.parse_args(argv)
    per_message_count = 200 if args.quick else 1_000
    dispatch_count = 500 if args.quick else 4_000
    with LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=(USER, PASSWORD)) as server:
        per_message(server, per_message_count)
        server.clear()
        with tempfile.TemporaryDirectory(prefix="bench-smtp-") as folder:
            one = throughput(server, dispatch_count, 1, Path(folder))
            four = throughput(server, dispatch_count, 4, Path(folder))
    print(f"dispatch throughput, {dispatch_count} messages from a SQLite outbox:")
    print(f"  1 dispatcher    {one:8.0f} messages/s")
    print(f"  4 dispatchers   {four:8.0f} messages/s  ({four / one:4.2f}x the single one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
