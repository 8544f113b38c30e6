"""``make demo``: 60 days of dunning for the sample portfolio, on the SQLite default.

Each simulated day (with a fixed clock, so two runs print the same thing):

1. the scenario's events of the day go through the services, each re-deciding
   suspension at once: promises, disputes (and their resolution), insolvency
   proceedings (and the ruling) through ``record_promise`` / ``record_dispute`` /
   ``record_proceeding``; payments through ``record_payment`` (identified, allocated);
   a chargeback through ``reverse_payment``;
2. ``run_cycle`` evaluates every account at 07:00 UTC;
3. ``dispatch`` sends the outbox at 23:00 UTC to a notifier that prints each message.

The run ends with a summary: actions by kind, suspensions and reactivations, amounts
collected, and the outbox's state.

``python -m examples.demo --smtp`` (``make demo-smtp``) sends the e-mail for real: it
starts an SMTP server (aiosmtpd) on 127.0.0.1 with a throwaway certificate authority,
and a :class:`~dunning_core.adapters.notify.RoutingNotifier` hands every e-mail to an
:class:`~dunning_core.adapters.notify.SmtpNotifier` (STARTTLS, certificate checked,
AUTH) and prints the other channels. The summary then counts the messages the server
received against the e-mail marked SENT in the outbox.
"""

from __future__ import annotations

import logging
import random
import shutil
import sys
import textwrap
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from dunning_core import (
    Dispute,
    InsolvencyProceeding,
    Money,
    Payment,
    PaymentStatus,
    PromiseToPay,
)
from dunning_core.adapters.notify import RoutingNotifier, SmtpNotifier, accounts_from
from dunning_core.adapters.notify.letters import LetterNotifier
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.documents.letter import Letter, Sender
from dunning_core.domain.account import Channel
from dunning_core.domain.events import AccountReactivated, AccountSuspended
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.policies.allocation import AllocationPolicy
from dunning_core.policies.ladder import HandOver, LadderAssignment, presets
from dunning_core.ports import Notifier
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.facts import (
    record_dispute,
    record_proceeding,
    record_promise,
)
from dunning_core.service.outcomes import AccountOutcome
from dunning_core.service.payments import record_payment, reverse_payment
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.fakes import FixedClock
from dunning_core.testing.servers import LocalSmtpServer, TlsMode
from examples.scenario import Scenario, load

OUT = Path(__file__).resolve().parents[1] / "demo-out"


#: The collection team that signs the letters.
SENDER = Sender(
    name="Recouvrement Pacifique SARL",
    lines=("18 rue de Sébastopol",),
    postal_code="98800",
    city="Nouméa",
    country="NC",
    phone="+687 27 00 00",
    registration="RIDET 1 234 567.001",
)


class PrintingNotifier:
    """Prints each message as the customer (or the agent, for a call) would get it;
    letters also go to a print spool as PDF (``demo-out/letters``)."""

    def __init__(self, write: Callable[[str], None], letters: LetterNotifier) -> None:
        self.write = write
        self.letters = letters
        self.sent: list[OutboxMessage] = []
        self.letter_files: list[Path] = []

    def send(self, message: OutboxMessage) -> Delivery:
        self.sent.append(message)
        recipient = message.recipient.splitlines()[0] if message.recipient else ""
        self.write(f"    -> {message.channel:<17} {recipient[:34]:<34} {message.subject}")
        if message.channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
            delivery = self.letters.send(message)
            self.letter_files.append(Path(delivery.detail))
            return delivery
        return Delivery(provider_message_id=f"demo-{len(self.sent)}")


@attrs.frozen
class DemoResult:
    """The facts the end-to-end test checks."""

    suspended_on: dict[str, list[date]]
    reactivated: dict[str, list[tuple[date, str]]]
    actions: Counter[str]
    collected: dict[str, Money]
    outbox: dict[str, int]
    messages: list[OutboxMessage]
    events: dict[str, list[str]]
    letters: list[Path]
    emails_sent: int = 0
    smtp_received: int | None = None
    smtp_message_ids: tuple[str, ...] = ()


def _config(scenario: Scenario) -> CycleConfig:
    assignments = {}
    for account in scenario.accounts:
        ladder = getattr(presets, scenario.ladders[account.id])
        assignments[account.id] = LadderAssignment(
            account_id=account.id,
            ladder=ladder.name,
            hand_over=HandOver.AUTOMATIC,
            chargebacks_to_collection=False,
        )
    # Central billing: the customer with several accounts pays them in one transfer.
    return CycleConfig(
        assignments=assignments,
        allocation=AllocationPolicy(central_billing=True),
        letter_sender=SENDER,
    )


def _payment(scenario: Scenario, payment_id: str) -> Payment:
    return next(p for p in scenario.payments if p.id == payment_id)


def _apply_event(
    store: SqliteStore, config: CycleConfig, scenario: Scenario, event: dict[str, Any], at: datetime
) -> tuple[str, AccountSuspended | AccountReactivated | None]:
    """Apply one scripted event through the service that handles it; return the line
    to print and the suspension change it caused, if any."""
    kind = event["kind"]
    on = date.fromisoformat(event["on"])
    outcome: AccountOutcome | None = None
    if kind == "promise":
        promise = PromiseToPay(
            id=event["id"],
            account_id=event["account_id"],
            made_on=on,
            due_on=date.fromisoformat(event["due_on"]),
            amount=Money(event["amount"], event["currency"]),
            invoice_numbers=event["invoice_numbers"],
        )
        outcome = record_promise(store.unit_of_work(), promise, config=config, as_of=at)
        text = f"promise to pay {event['amount']} {event['currency']} by {event['due_on']}"
    elif kind == "dispute":
        dispute = Dispute(
            id=event["id"],
            account_id=event["account_id"],
            invoice_number=event["invoice_number"],
            opened_on=on,
            reason=event["reason"],
        )
        outcome = record_dispute(store.unit_of_work(), dispute, config=config, as_of=at)
        text = f"dispute on {event['invoice_number']}: {event['reason']}"
    elif kind == "dispute_resolved":
        with store.unit_of_work(read_only=True) as uow:
            dispute = uow.facts.load([event["account_id"]])[event["account_id"]].disputes[0]
        resolved = attrs.evolve(dispute, resolved_on=on)
        outcome = record_dispute(store.unit_of_work(), resolved, config=config, as_of=at)
        text = f"dispute on {dispute.invoice_number} resolved"
    elif kind == "proceeding":
        proceeding = InsolvencyProceeding(
            id=event["id"],
            account_id=event["account_id"],
            kind=event["proceeding"],
            opened_on=on,
            reference=event["reference"],
            court=event["court"],
        )
        outcome = record_proceeding(store.unit_of_work(), proceeding, config=config, as_of=at)
        text = f"{event['proceeding'].lower()} opened ({event['reference']})"
    elif kind == "ruling":
        with store.unit_of_work(read_only=True) as uow:
            proceeding = uow.facts.load([event["account_id"]])[event["account_id"]].proceedings[0]
        ruled = attrs.evolve(proceeding, ruled_on=on)
        outcome = record_proceeding(store.unit_of_work(), ruled, config=config, as_of=at)
        text = "the court ruled on the proceeding"
    elif kind == "chargeback":
        reversal = reverse_payment(
            store.unit_of_work(), event["payment_id"], config=config, as_of=at
        )
        reopened = ", ".join(a.invoice_number for a in reversal.removed)
        text = f"chargeback of {event['payment_id']}: {reopened} reopened"
    elif kind == "cleared":
        payment = attrs.evolve(
            _payment(scenario, event["payment_id"]), status=PaymentStatus.CLEARED
        )
        result = record_payment(store.unit_of_work(), payment, config=config, as_of=at)
        paid = (
            ", ".join(a.invoice_number for a in result.allocation.allocations)
            if result.allocation
            else ""
        )
        text = f"direct debit {payment.id} cleared, applied to {paid}"
    else:
        text = ""
    account = event.get("account_id") or _payment(scenario, event["payment_id"]).account_id
    change = None if outcome is None else outcome.suspension_event
    return f"  {account}: {text}", change


#: The demo SMTP server's login (a throwaway server on 127.0.0.1).
SMTP_USER, SMTP_PASSWORD = "dunning-demo", "demo-only-password"


def _smtp_notifier(
    store: SqliteStore, printing: PrintingNotifier, server: LocalSmtpServer, clock: FixedClock
) -> Notifier:
    smtp = SmtpNotifier(
        server.host,
        server.port,
        sender="ACME Billing <billing@acme.example>",
        reply_to="Accounts receivable <ar@acme.example>",
        cafile=server.ca_file,
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        clock=clock,
        timeout=10,
    )

    class PrintAndSend:
        """Prints every e-mail like the plain demo, then sends it over SMTP."""

        def send(self, message: OutboxMessage) -> Delivery:
            printing.send(message)
            return smtp.send(message)

    transports: dict[Channel | str, Notifier] = dict.fromkeys(Channel, printing)
    transports[Channel.EMAIL] = PrintAndSend()
    # No quiet hours and no fallback here: the run sends what the plain demo prints.
    return RoutingNotifier(
        transports,
        accounts=accounts_from(store.unit_of_work),
        fallbacks={},
        sending_hours={},
        clock=clock,
    )


def run_demo(
    path: Path, write: Callable[[str], None] = print, *, smtp: LocalSmtpServer | None = None
) -> DemoResult:
    """Run the scenario on a fresh SQLite file at ``path`` and return its key facts.

    With ``smtp`` (a started :class:`LocalSmtpServer` with TLS and credentials
    ``SMTP_USER`` / ``SMTP_PASSWORD``), e-mail goes to it through ``SmtpNotifier``.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    scenario = load()
    config = _config(scenario)
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        uow.accounts.add_many(scenario.accounts)
        uow.ledger.add_invoices(scenario.invoices)
        uow.commit()

    spool = path.parent / "letters"
    if spool.exists():
        shutil.rmtree(spool)
    printing = PrintingNotifier(write, LetterNotifier(spool, sender=SENDER))
    clock = FixedClock(datetime.combine(scenario.start, time(23, 0), tzinfo=UTC))
    notifier: Notifier = printing if smtp is None else _smtp_notifier(store, printing, smtp, clock)
    rng = random.Random(20260301)
    suspended_on: dict[str, list[date]] = defaultdict(list)
    reactivated: dict[str, list[tuple[date, str]]] = defaultdict(list)
    actions: Counter[str] = Counter()
    collected: dict[str, Decimal] = defaultdict(Decimal)

    for offset in range(scenario.days):
        day = scenario.start + timedelta(days=offset)
        morning = datetime.combine(day, time(6, 0), tzinfo=UTC)
        lines: list[str] = []
        for event in scenario.events:
            # Events dated before the first day are on file when the run starts.
            if event["on"] == day.isoformat() or (offset == 0 and event["on"] < day.isoformat()):
                line, change = _apply_event(store, config, scenario, event, morning)
                lines.append(line)
                if isinstance(change, AccountSuspended):
                    suspended_on[change.account_id].append(day)
                    lines.append(f"  {change.account_id}: SUSPENDED ({event['kind']})")
                elif isinstance(change, AccountReactivated):
                    reactivated[change.account_id].append((day, event["kind"]))
                    lines.append(f"  {change.account_id}: reactivated ({event['kind']})")
        for payment in scenario.payments:
            if payment.received_on != day:
                continue
            outcome = record_payment(
                store.unit_of_work(),
                payment,
                scenario.advices.get(payment.id),
                config=config,
                as_of=morning,
            )
            account = outcome.payment.account_id or "suspense"
            if outcome.allocation is not None:
                for allocation in outcome.allocation.allocations:
                    if allocation.kind.consumes_payment:
                        collected[allocation.amount.currency] += allocation.amount.amount
                applied = ", ".join(
                    f"{a.invoice_number} {a.amount} ({a.kind.value.lower()})"
                    for a in outcome.allocation.allocations
                )
                unapplied = outcome.allocation.unapplied
                if unapplied:
                    applied += ("; " if applied else "") + f"{unapplied} kept as credit"
                how = " (identified from its bank reference)" if outcome.identified_by else ""
                lines.append(f"  {account}: payment {payment.id}{how} -> {applied}")
            else:
                lines.append(f"  {account}: payment {payment.id} recorded ({payment.status.value})")
            for event in (outcome.event, *outcome.entity_events):
                if isinstance(event, AccountReactivated):
                    reactivated[event.account_id].append((day, payment.id))
                    lines.append(f"  {event.account_id}: REACTIVATED by {payment.id}")

        report = run_cycle(
            store.unit_of_work, config, datetime.combine(day, time(7, 0), tzinfo=UTC)
        )
        actions.update(report.actions)
        for account_id in report.suspended:
            suspended_on[account_id].append(day)
            lines.append(f"  {account_id}: SUSPENDED")
        for account_id in report.reactivated:
            reactivated[account_id].append((day, "cycle"))
            lines.append(f"  {account_id}: reactivated")
        for error in report.errors:
            lines.append(f"  {error.account_id}: skipped ({error.error}: {error.message})")

        write(
            f"{day.isoformat()}  cycle: {report.actions_total} action(s), "
            f"{report.messages} message(s)"
        )
        for line in lines:
            write(line)
        clock.set(datetime.combine(day, time(23, 0), tzinfo=UTC))
        dispatch(store.unit_of_work, notifier, clock.now(), rng=rng)

    with store.unit_of_work() as uow:
        counts = {str(status): n for status, n in uow.outbox.counts().items()}
        ids = [a.id for a in scenario.accounts]
        events = {
            account_id: [e.kind for e in records]
            for account_id, records in uow.history.events_of(ids).items()
        }
        emails_sent = sum(
            1
            for messages in uow.outbox.messages_of(ids).values()
            for message in messages
            if message.channel == Channel.EMAIL and message.status == "SENT"
        )
    return DemoResult(
        suspended_on=dict(suspended_on),
        reactivated=dict(reactivated),
        actions=actions,
        collected={code: Money(amount, code) for code, amount in sorted(collected.items())},
        outbox=counts,
        messages=printing.sent,
        events=events,
        letters=printing.letter_files,
        emails_sent=emails_sent,
        smtp_received=None if smtp is None else len(smtp.messages),
        smtp_message_ids=() if smtp is None else tuple(m.message_id for m in smtp.messages),
    )


def _summary(result: DemoResult, write: Callable[[str], None]) -> None:
    write("")
    write("Summary")
    write("=======")
    write("Ladder actions by kind:")
    for kind, count in sorted(result.actions.items()):
        write(f"  {kind:<26} {count:>4}")
    write("Suspended (day):")
    for account_id, days in sorted(result.suspended_on.items()):
        write(f"  {account_id}  {', '.join(d.isoformat() for d in days)}")
    write("Reactivated (day, by):")
    for account_id, items in sorted(result.reactivated.items()):
        write(f"  {account_id}  {', '.join(f'{d.isoformat()} {by}' for d, by in items)}")
    write("Collected (cash applied to invoices):")
    for money in result.collected.values():
        write(f"  {money.format('en_US'):>16}")
    write("Outbox:")
    for status, count in sorted(result.outbox.items()):
        write(f"  {status:<8} {count:>4}")
    write(f"Messages sent: {len(result.messages)}")
    if result.smtp_received is not None:
        same = "equal" if result.smtp_received == result.emails_sent else "DIFFERENT"
        write(
            f"SMTP: {result.smtp_received} e-mail(s) received by the server on 127.0.0.1, "
            f"{result.emails_sent} e-mail(s) SENT in the outbox ({same}); "
            f"{len(set(result.smtp_message_ids))} distinct Message-IDs"
        )
    _letters(result, write)


def _letters(result: DemoResult, write: Callable[[str], None]) -> None:
    """The print spool, and the first lines of the French formal notice."""
    write(f"Letters spooled for the print service: {len(result.letters)}")
    if not result.letters:
        return
    write(f"  {result.letters[0]}")
    notice = next(
        (m for m in result.messages if m.channel == Channel.REGISTERED_LETTER and m.document),
        None,
    )
    if notice is None or notice.document is None:
        return
    letter = Letter.from_json(notice.document)
    write("The French formal notice (first lines):")
    lines = [*letter.recipient, letter.place_date, letter.subject, *letter.paragraphs[:3]]
    for line in lines:
        for part in textwrap.wrap(line, 88) or [""]:
            write(f"  | {part}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    unknown = [arg for arg in args if arg != "--smtp"]
    if unknown:
        print(f"usage: python -m examples.demo [--smtp] (unknown: {' '.join(unknown)})")
        return 2
    OUT.mkdir(exist_ok=True)
    if "--smtp" in args:
        # aiosmtpd logs a deprecation of its own API on each login; it is not ours.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        server = LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=(SMTP_USER, SMTP_PASSWORD))
        with server:
            print(f"SMTP server (STARTTLS, AUTH) listening on {server.host}:{server.port}")
            result = run_demo(OUT / "demo-smtp.sqlite3", smtp=server)
    else:
        result = run_demo(OUT / "demo.sqlite3")
    _summary(result, print)
    sys.stdout.flush()
    return 0 if result.smtp_received in (None, result.emails_sent) else 1


if __name__ == "__main__":
    sys.exit(main())
