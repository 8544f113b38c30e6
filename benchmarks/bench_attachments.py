"""What attachments cost an e-mail: ``SmtpNotifier.build`` (everything but the network)
for one notice about two invoices, as ratios against the same notice without
attachments, measured in the same run.

1. bare: the notice's text and HTML only (the baseline);
2. invoices: plus two invoice PDFs fetched through a Documents port (in memory) and
   base64-encoded into ``multipart/mixed``;
3. statement: plus the statement of account printed from the stored letter (fpdf2,
   DejaVu subset embedded): the cost that dominates, paid once per send;
4. statement, then the outbox: the size of what the cycle stores per message
   (the request, with the statement as a letter), against the message's text.

Best of three passes each. Run: ``.venv/bin/python benchmarks/bench_attachments.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.notify.attachments import EmailAttachments
from dunning_core.adapters.notify.smtp import SmtpNotifier
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import Channel
from dunning_core.domain.attachments import attachments_to_json
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.policies.ladder import Ladder, Stage
from dunning_core.service.attachments import AttachmentPolicy
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.contracts.documents import sample_pdf

DAY = date(2026, 3, 2)
LADDER = Ladder(name="mail", stages=(Stage(key="notice.first", offset=15, channels=Channel.EMAIL),))


class Archive:
    def __init__(self) -> None:
        self.pdfs = {"F-1": sample_pdf("Invoice F-1" * 40), "F-2": sample_pdf("Invoice F-2")}

    def pdf_for(self, invoice_number: str) -> bytes | None:
        return self.pdfs.get(invoice_number)


def _message(policy: AttachmentPolicy) -> OutboxMessage:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(
            Account(
                id="A-1",
                name="Hélène Dubois SARL",
                currency="EUR",
                locale="fr_FR",
                contacts=[Contact(email="compta@dubois.example")],
            )
        )
        uow.ledger.add_invoices(
            [
                Invoice(
                    number=n,
                    account_id="A-1",
                    issued_on=due - timedelta(days=30),
                    due_on=due,
                    amount=Money(a, "EUR"),
                )
                for n, a, due in (
                    ("F-1", "1234.56", date(2026, 2, 1)),
                    ("F-2", "80.00", date(2026, 2, 10)),
                )
            ]
        )
        uow.commit()
    config = CycleConfig(
        ladders={"mail": LADDER}, default_ladder="mail", notify_suspension=False, attachments=policy
    )
    run_cycle(store.unit_of_work, config, DAY)
    with store.unit_of_work() as uow:
        [message] = uow.outbox.messages_of(["A-1"])["A-1"]
    return message


def _best(function: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            function()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def main() -> None:
    notifier = SmtpNotifier(
        "smtp.example", sender="Relances <ar@acme.example>", attachments=EmailAttachments(Archive())
    )
    cases = {
        "bare": _message(AttachmentPolicy()),
        "invoices": _message(AttachmentPolicy(invoices=True)),
        "statement": _message(AttachmentPolicy(invoices=True, statement=True)),
    }
    notifier.build(cases["statement"])  # load fpdf2 and the fonts once
    repeats = {"bare": 2000, "invoices": 500, "statement": 10}
    baseline = 0.0
    print(f"build one notice at {datetime.now(UTC):%Y-%m-%d %H:%M} (best of 3):")
    for name, message in cases.items():
        seconds = _best(lambda m=message: notifier.build(m), repeats[name])
        baseline = baseline or seconds
        size = len(notifier.build(message).data)
        print(f"  {name:<10} {seconds * 1000:8.3f} ms  {seconds / baseline:8.1f}x  {size:>7} bytes")
    stored = cases["statement"]
    request = len(attachments_to_json(stored.attachments).encode())
    text = len((stored.body + (stored.html_body or "")).encode())
    print(f"outbox: attachments column {request} bytes, {request / text:.2f}x the text and HTML")


if __name__ == "__main__":
    main()
