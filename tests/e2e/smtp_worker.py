"""A dispatcher process for the exactly-once tests (run as a script, not collected).

    python smtp_worker.py DB HOST PORT CAFILE NOW [--kill-after KEY] [--batch N]

Dispatches the outbox in DB through SmtpNotifier at the instant NOW (ISO 8601) and
prints the report as JSON. With ``--kill-after KEY`` it kills itself with SIGKILL right
after the SMTP server accepted the message KEY (its reply to DATA received) and before
SENT is committed: the crash no outbox can rule out.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime

from dunning_core.adapters.notify import SmtpNotifier
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.service.dispatch import dispatch
from dunning_core.testing.fakes import FixedClock

USER, PASSWORD = "worker", "worker-password"


class KillAfter:
    def __init__(self, inner: SmtpNotifier, key: str) -> None:
        self.inner = inner
        self.key = key

    def send(self, message: OutboxMessage) -> Delivery:
        delivery = self.inner.send(message)
        if message.key == self.key:
            os.kill(os.getpid(), signal.SIGKILL)
        return delivery


def main(argv: list[str]) -> int:
    db, host, port, cafile, now = argv[:5]
    options = argv[5:]
    batch = int(options[options.index("--batch") + 1]) if "--batch" in options else 100
    store = SqliteStore(db, busy_timeout=60)
    notifier = SmtpNotifier(
        host,
        int(port),
        sender="Billing <billing@acme.example>",
        cafile=cafile,
        username=USER,
        password=PASSWORD,
        timeout=30,
    )
    sender = notifier if "--kill-after" not in options else None
    if sender is None:
        sender = KillAfter(notifier, options[options.index("--kill-after") + 1])
    instant = datetime.fromisoformat(now)
    # The test moves time by hand (a later `now` once a dead worker's lease has lapsed):
    # the leases follow the same simulated clock.
    report = dispatch(
        store.unit_of_work, sender, instant, batch_size=batch, lease_clock=FixedClock(instant)
    )
    notifier.close()
    store.close()
    print(
        json.dumps(
            {
                "claimed": report.claimed,
                "sent": report.sent,
                "dead": report.dead,
                "retried": report.retried,
                "fenced": report.fenced,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
