"""E-mail notices carry the invoices' PDFs, a statement of account and the notice as a
letter (a Mahnung): written by the cycle, sent by SmtpNotifier to aiosmtpd on
127.0.0.1, read back byte for byte and through poppler's pdftotext."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from babel.numbers import format_currency

from dunning_core import Account, Contact, Invoice, Money, PostalAddress
from dunning_core.adapters.notify.attachments import EmailAttachments
from dunning_core.adapters.notify.smtp import SmtpNotifier, SmtpSecurity
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.documents.letter import Sender
from dunning_core.domain.account import Channel
from dunning_core.domain.attachments import AttachmentKind, AttachmentOutcome
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.domain.payment import Payment
from dunning_core.policies.fees import InterestRate
from dunning_core.policies.ladder import Ladder, Stage
from dunning_core.rendering.catalog import Labels
from dunning_core.rendering.signed_links import SignedDocumentLinks, verify_document_link
from dunning_core.service.attachments import AttachmentPolicy, linked_document
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch
from dunning_core.service.formal_notice import FormalNoticeTerms
from dunning_core.service.settings import CycleConfig
from dunning_core.testing.contracts.documents import sample_pdf
from dunning_core.testing.fakes import FixedClock
from dunning_core.testing.servers import LocalSmtpServer, TlsMode

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "download-links-secret-32-bytes!!"
SENDER = Sender(
    name="Recouvrement Rhône SAS",
    lines=("3 quai Saint-Antoine",),
    postal_code="69002",
    city="Lyon",
    country="FR",
)
LADDER = Ladder(
    name="mail",
    stages=(Stage(key="notice.first", offset=15, channels=Channel.EMAIL, fee=Money("5", "EUR")),),
)


class ArchiveDocuments:
    """The team's archive: a dictionary of PDFs, counting what it was asked."""

    def __init__(self, pdfs: dict[str, bytes], *, failing: bool = False) -> None:
        self.pdfs = pdfs
        self.failing = failing
        self.asked: list[str] = []

    def pdf_for(self, invoice_number: str) -> bytes | None:
        self.asked.append(invoice_number)
        if self.failing:
            raise ConnectionError("archive unreachable")
        return self.pdfs.get(invoice_number)


def _pdftotext(data: bytes, tmp_path: Path, name: str) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: `make pdf-tools` installs poppler-utils"
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def _account(account_id: str = "A-1", locale: str = "fr_FR", name: str = "Hélène Dubois SARL"):
    return Account(
        id=account_id,
        name=name,
        currency="EUR",
        locale=locale,
        registration_id="RCS 123",
        contacts=[
            Contact(
                email="compta@client.example",
                postal_address=PostalAddress(
                    recipient=name,
                    lines=("12 rue Mercière",),
                    postal_code="69002",
                    city="Lyon",
                    country="FR",
                ),
            )
        ],
    )


def _invoice(number: str, amount: str, due_on: date, account_id: str = "A-1") -> Invoice:
    return Invoice(
        number=number,
        account_id=account_id,
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=Money(amount, "EUR"),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "db.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(_account())
        uow.ledger.add_invoices(
            [
                _invoice("F-1", "1234.56", date(2026, 2, 1)),
                _invoice("F-2", "80.00", date(2026, 2, 10)),
            ]
        )
        uow.ledger.add_payment(
            Payment(
                id="P-1",
                account_id="A-1",
                amount=Money("34.56", "EUR"),
                received_on=date(2026, 2, 20),
                bank_reference="VIR F-1",
            )
        )
        uow.commit()
    yield store
    store.close()


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer(tls=TlsMode.NONE) as server:
        yield server


def _config(**policy: bool) -> CycleConfig:
    return CycleConfig(
        ladders={"mail": LADDER},
        default_ladder="mail",
        letter_sender=SENDER,
        attachments=AttachmentPolicy(**policy),
        formal_notice=FormalNoticeTerms(interest_rate=InterestRate("12.15")),
        notify_suspension=False,
    )


def _notifier(server: LocalSmtpServer, attachments: EmailAttachments) -> SmtpNotifier:
    return SmtpNotifier(
        server.host,
        server.port,
        sender="Relances <ar@acme.example>",
        security=SmtpSecurity.INSECURE_PLAINTEXT,
        clock=FixedClock(AT),
        timeout=5.0,
        attachments=attachments,
    )


def _received(server: LocalSmtpServer) -> EmailMessage:
    [received] = server.messages
    parsed = message_from_bytes(received.data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _files(parsed: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in parsed.iter_attachments()}


def _email(store: SqliteStore) -> OutboxMessage:
    with store.unit_of_work() as uow:
        messages = uow.outbox.messages_of(["A-1"])["A-1"]
    [message] = [m for m in messages if m.channel == Channel.EMAIL.value]
    return message


def test_invoices_and_the_statement_travel_as_attachments_and_the_message_says_so(
    store: SqliteStore, smtp: LocalSmtpServer, tmp_path: Path
) -> None:
    invoice_pdf = sample_pdf("Invoice F-1 as issued")
    archive = ArchiveDocuments({"F-1": invoice_pdf})  # F-2 has no PDF yet
    run_cycle(store.unit_of_work, _config(invoices=True, statement=True), DAY)
    asked = _email(store)
    assert [a.kind for a in asked.attachments] == [
        AttachmentKind.STATEMENT,
        AttachmentKind.INVOICE,
        AttachmentKind.INVOICE,
    ]
    assert archive.asked == []  # nothing fetched when the cycle wrote the message

    report = dispatch(store.unit_of_work, _notifier(smtp, EmailAttachments(archive)), AT)
    assert report.sent == 1
    parsed = _received(smtp)
    assert parsed.get_content_type() == "multipart/mixed"
    assert next(parsed.iter_parts()).get_content_type() == "multipart/alternative"
    labels = Labels("fr_FR")
    statement_name = labels("statement_file", account_id="A-1")
    files = _files(parsed)
    assert list(files) == [statement_name, labels("invoice_file", number="F-1")]
    assert files[labels("invoice_file", number="F-1")] == invoice_pdf
    assert archive.asked == ["F-1", "F-2"]

    statement = _pdftotext(files[statement_name], tmp_path, "statement.pdf")
    assert "Hélène Dubois SARL" in statement
    # Open 1,200.00 + 80.00 and the 5 EUR fee this notice books (x2 invoices).
    to_pay = format_currency(Decimal("1290.00"), "EUR", locale="fr_FR")
    assert " ".join(to_pay.split()) in statement
    assert labels("total_to_pay") in statement
    assert "VIR F-1" in statement  # the payment received since the last statement

    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert labels("attachments", names=", ".join(files)) in body.get_content()

    sent = _email(store)
    assert sent.status is OutboxStatus.SENT
    outcomes = {a.filename: (a.outcome, a.size, a.sha256) for a in sent.attachments}
    for name, data in files.items():
        assert outcomes[name] == (
            AttachmentOutcome.ATTACHED,
            len(data),
            hashlib.sha256(data).hexdigest(),
        )
    missing = outcomes[labels("invoice_file", number="F-2")]
    assert missing == (AttachmentOutcome.MISSING, None, None)


def test_over_the_size_cap_a_signed_link_goes_instead_and_serves_the_same_file(
    store: SqliteStore, smtp: LocalSmtpServer, tmp_path: Path
) -> None:
    invoice_pdf = sample_pdf("Invoice F-1 as issued")
    archive = ArchiveDocuments({"F-1": invoice_pdf, "F-2": sample_pdf("Invoice F-2")})
    links = SignedDocumentLinks(
        "https://docs.acme.example/d", SECRET, timedelta(days=30), clock=lambda: AT
    )
    run_cycle(store.unit_of_work, _config(invoices=True, statement=True), DAY)
    capped = EmailAttachments(archive, links=links, max_bytes=len(invoice_pdf) + 10)
    assert dispatch(store.unit_of_work, _notifier(smtp, capped), AT).sent == 1

    parsed = _received(smtp)
    files = _files(parsed)
    labels = Labels("fr_FR")
    # The statement (first, and larger than the cap) goes as a link; F-1 then fits,
    # and F-2 no longer does.
    assert list(files) == [labels("invoice_file", number="F-1")]
    sent = _email(store)
    linked = [a for a in sent.attachments if a.outcome is AttachmentOutcome.LINKED]
    assert [a.kind for a in linked] == [AttachmentKind.STATEMENT, AttachmentKind.INVOICE]
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for attachment in linked:
        assert attachment.url is not None
        assert labels("attachment_link", name=attachment.filename, url=attachment.url) in text
        assert f'href="{attachment.url.replace("&", "&amp;")}"' in html
        verified = verify_document_link(attachment.url, SECRET, AT + timedelta(days=1))
        name, data = linked_document(store.unit_of_work(), verified, archive, sender=SENDER)
        if attachment.kind is AttachmentKind.INVOICE:
            assert data == archive.pdfs["F-2"]
            assert hashlib.sha256(data).hexdigest() == attachment.sha256
        else:  # printed again from the stored letter (only its timestamp may differ)
            assert name == attachment.filename
            assert "Hélène Dubois SARL" in _pdftotext(data, tmp_path, "linked.pdf")


def test_a_link_cannot_fetch_another_accounts_invoice(store: SqliteStore) -> None:
    from dunning_core.errors import UnknownRecord

    with store.unit_of_work() as uow:
        uow.accounts.add(_account("A-2", name="Other"))
        uow.ledger.add_invoices([_invoice("G-1", "10.00", date(2026, 2, 1), account_id="A-2")])
        uow.commit()
    links = SignedDocumentLinks(
        "https://docs.acme.example/d", SECRET, timedelta(days=30), clock=lambda: AT
    )
    archive = ArchiveDocuments({"G-1": sample_pdf("G-1"), "F-1": sample_pdf("F-1")})
    forged = verify_document_link(links.url_for_document("A-1", "invoice:G-1"), SECRET, AT)
    with pytest.raises(UnknownRecord):
        linked_document(store.unit_of_work(), forged, archive)
    own = verify_document_link(links.url_for_document("A-1", "invoice:F-1"), SECRET, AT)
    assert linked_document(store.unit_of_work(), own, archive)[1] == archive.pdfs["F-1"]


def test_a_failing_archive_retries_the_message_rather_than_sending_without(
    store: SqliteStore, smtp: LocalSmtpServer
) -> None:
    run_cycle(store.unit_of_work, _config(invoices=True), DAY)
    archive = ArchiveDocuments({}, failing=True)
    report = dispatch(store.unit_of_work, _notifier(smtp, EmailAttachments(archive)), AT)
    assert (report.sent, report.retried) == (0, 1)
    assert smtp.messages == []
    message = _email(store)
    assert message.status is OutboxStatus.PENDING
    assert "Documents port failed" in (message.last_error or "")
    assert all(a.outcome is None for a in message.attachments)


def test_a_german_mahnung_travels_as_a_pdf_with_its_fees_and_interest(
    tmp_path: Path, smtp: LocalSmtpServer
) -> None:
    store = SqliteStore(tmp_path / "de.sqlite3")
    with store.unit_of_work() as uow:
        uow.accounts.add(_account(locale="de_DE", name="Jürgen Weiß GmbH"))
        uow.ledger.add_invoices([_invoice("R-17", "1234.56", date(2026, 2, 1))])
        uow.commit()
    config = _config(notice_pdf=True)
    run_cycle(store.unit_of_work, config, DAY)
    dispatch(store.unit_of_work, _notifier(smtp, EmailAttachments()), AT)
    parsed = _received(smtp)
    labels = Labels("de_DE")
    [(name, pdf)] = _files(parsed).items()
    assert name.startswith(labels("notice_file", reference="x").split("x")[0])
    text = _pdftotext(pdf, tmp_path, "mahnung.pdf")
    subject = str(parsed["Subject"])
    assert subject in text  # the notice's own subject ("... Mahnung ...")
    assert "Jürgen Weiß GmbH" in text
    assert labels("interest") in text and labels("fees") in text
    amount = format_currency(Decimal("1234.56"), "EUR", locale="de_DE")
    assert " ".join(amount.split()) in text
    store.close()
