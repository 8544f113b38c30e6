"""Letters, registered formal notices, statements and Mahnungen as PDF, read back with
poppler (pdftotext, pdftoppm; installed by `make pdf-tools`, which `make test` runs)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from PIL import Image

from dunning_core import Account, Contact, Invoice, Money, PostalAddress, build_statement
from dunning_core.adapters.notify.letters import LetterNotifier
from dunning_core.documents.compose import notice_letter, statement_letter
from dunning_core.documents.letter import (
    WINDOW_DIN_5008_B,
    WINDOW_NF_Z_11_001,
    Letter,
    Sender,
    Window,
    letter_pdf,
    print_letter,
)
from dunning_core.domain.account import Channel
from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.domain.payment import Payment
from dunning_core.domain.references import creditor_reference, format_creditor_reference
from dunning_core.errors import PermanentDeliveryError, UnknownRecord
from dunning_core.policies.fees import InterestRate
from dunning_core.policies.ladder import (
    ActionKind,
    DunningHistory,
    Ladder,
    Stage,
    evaluate_ladder,
)
from dunning_core.rendering.catalog import CatalogRenderer
from dunning_core.service.formal_notice import FormalNoticeTerms
from dunning_core.service.notices import notice_context
from dunning_core.service.settings import CycleConfig

SENDER = Sender(
    name="Recouvrement Rhône SAS",
    lines=("3 quai Saint-Antoine",),
    postal_code="69002",
    city="Lyon",
    country="FR",
    phone="+33 4 72 00 00 00",
    registration="SIREN 123 456 789",
)
NOUMEA = PostalAddress(
    recipient="Nguyễn Thị Minh Khai",
    lines=("Société Hôtelière de l'Anse Vata", "12 rue Jules Garnier"),
    postal_code="98800",
    city="Nouméa",
    country="NC",
)
DAY = date(2026, 3, 2)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make pdf-tools` installs poppler-utils"
    return path


def _text(pdf: Path) -> str:
    out = subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def _spaces(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: list[tuple[str, float, float, float, float]] = []
        self._box: tuple[float, float, float, float] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "word":
            box = dict(attrs)
            self._box = tuple(  # type: ignore[assignment]
                float(box[k] or 0) for k in ("xmin", "ymin", "xmax", "ymax")
            )

    def handle_data(self, data: str) -> None:
        if self._box is not None and data.strip():
            self.words.append((data.strip(), *self._box))
            self._box = None


def _word_boxes_mm(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """Every word of page 1 with its box in millimetres from the top-left corner."""
    out = subprocess.run(
        [_tool("pdftotext"), "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        check=True,
    )
    parser = _Words()
    parser.feed(out.stdout.decode("utf-8"))
    to_mm = 25.4 / 72
    return [(w, a * to_mm, b * to_mm, c * to_mm, d * to_mm) for w, a, b, c, d in parser.words]


def _formal_notice(tmp_path: Path, locale: str = "fr_FR") -> tuple[Path, dict[str, object]]:
    account = Account(
        id="A-77",
        name="Nguyễn Thị Minh Khai",
        currency="EUR",
        locale=locale,
        timezone="Pacific/Noumea",
        registration_id="1234567",
        contacts=[Contact(name="Compta", postal_address=NOUMEA)],
    )
    invoices = [
        Invoice(
            number="F-2026-001",
            account_id="A-77",
            issued_on=date(2026, 1, 2),
            due_on=date(2026, 2, 1),
            amount=Money("1234.56", "EUR"),
        ),
        Invoice(
            number="F-2026-014",
            account_id="A-77",
            issued_on=date(2026, 1, 10),
            due_on=date(2026, 2, 9),
            amount=Money("480.00", "EUR"),
        ),
    ]
    ladder = Ladder(
        name="formal",
        stages=(
            Stage(
                key="mise_en_demeure",
                offset=20,
                channels=Channel.REGISTERED_LETTER,
                action=ActionKind.FORMAL_NOTICE,
            ),
        ),
    )
    statement = build_statement(account, DAY, invoices=invoices)
    [action] = evaluate_ladder(ladder, statement, DunningHistory.empty("A-77"), DAY)
    config = CycleConfig(
        formal_notice=FormalNoticeTerms(interest_rate=InterestRate(Decimal("12.15")), place="Lyon")
    )
    context = notice_context(config, account, action)
    rendered = CatalogRenderer().render("mise_en_demeure", locale, context)
    letter = notice_letter(
        rendered=rendered,
        context=context,
        address=NOUMEA,
        locale=locale,
        written_on=DAY,
        place="Lyon",
        reference=action.key[:12],
        registered=True,
        sender=SENDER,
    )
    path = tmp_path / "notice.pdf"
    path.write_bytes(letter_pdf(letter))
    return path, context


def test_a_formal_notice_reads_back_with_the_name_the_amount_and_the_deadline(
    tmp_path: Path,
) -> None:
    pdf, context = _formal_notice(tmp_path)
    text = _spaces(_text(pdf))
    assert "Nguyễn Thị Minh Khai" in text
    assert "Nouméa" in text and "NOUVELLE-CALÉDONIE" in text
    assert "Société Hôtelière de l'Anse Vata" in text
    amount = format_currency(Decimal("1714.56"), "EUR", locale="fr_FR")
    assert _spaces(amount) in text
    deadline = format_date(DAY + timedelta(days=8), format="long", locale="fr_FR")
    assert _spaces(deadline) in text
    assert "Mise en demeure de payer" in text
    assert "Lettre recommandée avec accusé de réception" in text
    assert "Lyon, le 2 mars 2026" in text
    # The legal paragraphs: interest, the 40 EUR compensation (a business), consequences.
    assert "taux annuel de 12,15 %" in text
    assert _spaces(format_currency(Decimal("40"), "EUR", locale="fr_FR")) in text
    assert "procédure judiciaire" in text
    total = context["total_claimed"]
    assert isinstance(total, Money)
    assert _spaces(total.format("fr_FR")) in text
    assert "Page 1 sur 1" in text


def test_a_letter_prints_the_invoices_rf_references_once_among_its_reference_lines(
    tmp_path: Path,
) -> None:
    pdf, _ = _formal_notice(tmp_path)
    lines = [_spaces(line).strip() for line in _text(pdf).splitlines()]
    references = ", ".join(
        format_creditor_reference(creditor_reference(number))
        for number in ("F-2026-001", "F-2026-014")
    )
    expected = f"Références de paiement : {references}"
    assert lines.count(expected) == 1
    # Among the reference lines, under "our reference" and the account, before the subject.
    at = lines.index(expected)
    assert lines[at - 1] == "Compte client : A-77"
    assert lines.index("Mise en demeure de payer") > at


def test_page_one_is_not_blank(tmp_path: Path) -> None:
    pdf, _ = _formal_notice(tmp_path)
    subprocess.run(
        [
            _tool("pdftoppm"),
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    [png] = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    width, height = image.size
    assert (width, height) == pytest.approx((496, 702), abs=2)  # A4 at 60 dpi
    dark = sum(image.histogram()[:128])
    assert dark > 0.005 * width * height


def _address_outside_window(pdf: Path, recipient: tuple[str, ...], window: Window) -> list[str]:
    """What of the address block on page 1 is not inside ``window``: the block is the
    address's words, every line in order, as one run of the page's words; each line's
    box (the union of its words' boxes) must lie inside the window. Empty when all do."""
    boxes = _word_boxes_mm(pdf)
    words = [box[0] for box in boxes]
    expected = [word for line in recipient for word in line.split()]
    starts = [
        i for i in range(len(words) - len(expected) + 1) if words[i : i + len(expected)] == expected
    ]
    if not starts:
        return [f"the address {recipient!r} is not printed as one block"]
    problems = []
    at = starts[0]
    for line in recipient:
        count = len(line.split())
        line_boxes = boxes[at : at + count]
        at += count
        x0 = min(box[1] for box in line_boxes)
        y0 = min(box[2] for box in line_boxes)
        x1 = max(box[3] for box in line_boxes)
        y1 = max(box[4] for box in line_boxes)
        inside = (
            window.x <= x0
            and x1 <= window.x + window.width
            and window.y <= y0
            and y1 <= window.y + window.height
        )
        if not inside:
            problems.append(f"{line!r} at x {x0:.1f}-{x1:.1f}, y {y0:.1f}-{y1:.1f} mm")
    return problems


def _window_letter(tmp_path: Path, printed_at: Window) -> tuple[Path, Letter]:
    _, context = _formal_notice(tmp_path)
    letter = notice_letter(
        rendered=CatalogRenderer().render("mise_en_demeure", "fr_FR", context),
        context=context,
        address=NOUMEA,
        locale="fr_FR",
        written_on=DAY,
        place="Lyon",
        reference="R-1",
        registered=True,
        sender=SENDER,
    )
    pdf = tmp_path / "window.pdf"
    pdf.write_bytes(letter_pdf(letter, window=printed_at))
    return pdf, letter


@pytest.mark.parametrize("window", [WINDOW_NF_Z_11_001, WINDOW_DIN_5008_B])
def test_the_address_block_falls_inside_the_envelope_window(tmp_path: Path, window: Window) -> None:
    pdf, letter = _window_letter(tmp_path, window)
    assert len(letter.recipient) == 5
    assert _address_outside_window(pdf, letter.recipient, window) == []


@pytest.mark.parametrize(
    ("down", "right"),
    [(60, 0), (30, 0), (15, 0), (0, -12), (0, 40)],
)
def test_the_window_check_catches_an_address_printed_off_the_window(
    tmp_path: Path, down: float, right: float
) -> None:
    # The control: the letter printed for a window moved down or sideways, checked
    # against the real one. An address 60 mm too low used to pass the check.
    window = WINDOW_NF_Z_11_001
    moved = attrs.evolve(window, x=window.x + right, y=window.y + down)
    pdf, letter = _window_letter(tmp_path, moved)
    assert _address_outside_window(pdf, letter.recipient, moved) == []
    assert _address_outside_window(pdf, letter.recipient, window) != []


def test_a_german_mahnung_has_its_fees_and_interest(tmp_path: Path) -> None:
    account = Account(
        id="K-1",
        name="Müller & Söhne GmbH",
        currency="EUR",
        locale="de_DE",
        timezone="Europe/Berlin",
        registration_id="HRB 12345",
        contacts=[
            Contact(
                postal_address=PostalAddress(
                    recipient="Müller & Söhne GmbH",
                    lines=("Große Elbstraße 145",),
                    postal_code="22767",
                    city="Hamburg",
                    country="DE",
                )
            )
        ],
    )
    invoice = Invoice(
        number="R-88",
        account_id="K-1",
        issued_on=date(2026, 1, 5),
        due_on=date(2026, 2, 4),
        amount=Money("2500.00", "EUR"),
    )
    ladder = Ladder(
        name="mahnung",
        stages=(
            Stage(key="first_notice", offset=14, channels=Channel.LETTER, fee=Money("5.00", "EUR")),
        ),
    )
    statement = build_statement(account, DAY, invoices=[invoice])
    [action] = evaluate_ladder(ladder, statement, DunningHistory.empty("K-1"), DAY)
    config = CycleConfig(
        formal_notice=FormalNoticeTerms(interest_rate=InterestRate.reference_plus("2.27", 9))
    )
    context = notice_context(config, account, action)
    rendered = CatalogRenderer().render("first_notice", "de_DE", context)
    sender = Sender(
        name="Hanse Inkasso GmbH",
        lines=("Ballindamm 1",),
        postal_code="20095",
        city="Hamburg",
        country="DE",
    )
    letter = notice_letter(
        rendered=rendered,
        context=context,
        address=account.postal_address,
        locale="de_DE",
        written_on=DAY,
        place="Hamburg",
        reference="M-1",
        registered=False,
        sender=sender,
    )
    pdf = tmp_path / "mahnung.pdf"
    pdf.write_bytes(letter_pdf(letter, window=WINDOW_DIN_5008_B))
    text = _spaces(_text(pdf))
    assert "Erste Mahnung" in text and "Müller & Söhne GmbH" in text
    assert "Mahngebühren" in text and "Verzugszinsen" in text and "Verzugspauschale" in text
    assert _spaces(format_currency(Decimal("2500"), "EUR", locale="de_DE")) in text
    assert "Hamburg, 2. März 2026" in text
    assert "Einschreiben" not in text
    assert "DEUTSCHLAND" not in text  # the sender's own country is not printed


def test_a_long_letter_numbers_its_pages(tmp_path: Path) -> None:
    rows = [(f"F-{n}", "1 févr. 2026", "100,00 €", "20") for n in range(90)]
    from dunning_core.documents.letter import Section

    letter = Letter(
        language="fr",
        recipient=("Lê Văn Tám", "12 rue Jean Jaurès", "98800 Nouméa"),
        place_date="Lyon, le 2 mars 2026",
        subject="Relevé",
        sections=(
            Section(
                headers=("Facture", "Échéance", "Reste dû", "Jours"),
                rows=rows,
                numeric=(False, False, True, True),
            ),
        ),
        page_label="Page {page} sur {pages}",
    )
    pdf_bytes, pages = print_letter(letter)
    assert pages >= 2
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(pdf_bytes)
    text = _text(pdf)
    for page in range(1, pages + 1):
        assert f"Page {page} sur {pages}" in text
    assert "F-89" in text


def test_a_statement_of_account_in_the_customers_language(tmp_path: Path) -> None:
    account = Account(
        id="A-9",
        name="Boulangerie Kanak",
        currency="XPF",
        locale="fr_NC",
        timezone="Pacific/Noumea",
    )
    invoices = [
        Invoice(
            number="F-1",
            account_id="A-9",
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 1, 31),
            amount=Money("120000", "XPF"),
        ),
        Invoice(
            number="F-2",
            account_id="A-9",
            issued_on=date(2026, 2, 1),
            due_on=date(2026, 3, 3),
            amount=Money("45000", "XPF"),
        ),
    ]
    payment = Payment(
        id="P-1",
        account_id="A-9",
        amount=Money("20000", "XPF"),
        received_on=date(2026, 2, 20),
        bank_reference="VIR F-1",
    )
    charges = [
        Charge(
            key="fee:F-1:relance",
            account_id="A-9",
            kind=ChargeKind.STAGE_FEE,
            amount=Money("5000", "XPF"),
            booked_on=date(2026, 2, 15),
            invoice_number="F-1",
            stage="relance",
        ),
        Charge(
            key="interest:F-1",
            account_id="A-9",
            kind=ChargeKind.LATE_INTEREST,
            amount=Money("1234", "XPF"),
            booked_on=DAY,
            invoice_number="F-1",
        ),
    ]
    statement = build_statement(
        account, DAY, invoices=invoices, payments=[payment], charges=charges
    )
    letter = statement_letter(
        statement,
        address=NOUMEA,
        locale="fr_NC",
        place="Nouméa",
        payments=[payment],
        since=date(2026, 2, 1),
        sender=SENDER,
    )
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(letter_pdf(letter))
    text = _spaces(_text(pdf))
    assert "Relevé de compte" in text and "Factures ouvertes" in text
    assert "Balance âgée" in text and "Règlements depuis le" in text and "VIR F-1" in text
    assert _spaces(Money("165000", "XPF").format("fr_NC")) in text

    def amount(value: str) -> str:
        return _spaces(Money(value, "XPF").format("fr_NC"))

    # The fees section: one line per charge (what, on which invoice, how much), then
    # their total among the totals, and in the total to pay (165 000 + 6 234 - 20 000).
    assert f"Frais F-1 {amount('5000')}" in text
    assert f"Pénalités de retard F-1 {amount('1234')}" in text
    assert f"Frais et pénalités {amount('6234')}" in text
    assert f"Total à payer {amount('151234')}" in text


def _message(key: str, channel: Channel) -> OutboxMessage:
    from datetime import UTC, datetime

    return OutboxMessage.new(
        key=key,
        account_id="A-77",
        channel=str(channel),
        recipient="Nguyễn Thị Minh Khai\n12 rue Jules Garnier\n98800 Nouméa",
        subject="Mise en demeure de payer",
        body="Madame, Monsieur,\n\nMalgré nos relances...",
        created_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
    )


def test_the_letter_notifier_spools_pdfs_and_a_manifest(tmp_path: Path) -> None:
    notifier = LetterNotifier(tmp_path / "spool", sender=SENDER)
    first = notifier.send(_message("k/1", Channel.REGISTERED_LETTER))
    second = notifier.send(_message("k/2", Channel.LETTER))
    assert Path(first.detail).is_file() and Path(second.detail).is_file()
    assert "Nguyễn Thị Minh Khai" in _text(Path(first.detail))
    rows = notifier.rows()
    assert [(r.outbox_key, r.registered, r.pages) for r in rows] == [
        ("k/1", True, 1),
        ("k/2", False, 1),
    ]
    assert rows[0].recipient == "Nguyễn Thị Minh Khai"
    assert "98800 Nouméa" in rows[0].postal_address
    header = (tmp_path / "spool" / "manifest.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "outbox_key,file,recipient,postal_address,registered,pages,tracking_number"


def test_a_letter_sent_again_keeps_one_row_and_its_tracking_number(tmp_path: Path) -> None:
    notifier = LetterNotifier(tmp_path, sender=SENDER)
    notifier.send(_message("k/1", Channel.REGISTERED_LETTER))
    row = notifier.record_letter_tracking("k/1", "1A 234 567 8901 2")
    assert row.tracking_number == "1A 234 567 8901 2"
    notifier.send(_message("k/1", Channel.REGISTERED_LETTER))
    assert [(r.outbox_key, r.tracking_number) for r in notifier.rows()] == [
        ("k/1", "1A 234 567 8901 2")
    ]
    assert len(list(tmp_path.glob("*.pdf"))) == 1


def test_tracking_an_unknown_letter_or_sending_an_email_is_refused(tmp_path: Path) -> None:
    notifier = LetterNotifier(tmp_path, sender=SENDER)
    with pytest.raises(UnknownRecord):
        notifier.record_letter_tracking("nope", "1A")
    with pytest.raises(PermanentDeliveryError):
        notifier.send(_message("k/3", Channel.EMAIL))


def test_a_tracking_number_is_also_recorded_in_the_accounts_history(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from dunning_core.adapters.storage.sqlite import SqliteStore
    from dunning_core.domain.events import LetterTracked
    from dunning_core.service.letters import record_letter_tracking
    from dunning_core.service.records import event_payload

    store = SqliteStore(tmp_path / "db.sqlite3")
    letter, email = _message("k/1", Channel.REGISTERED_LETTER), _message("k/2", Channel.EMAIL)
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A-77", name="Nguyễn Thị Minh Khai", currency="EUR"))
        uow.outbox.add_messages([letter, email])
        uow.commit()
    notifier = LetterNotifier(tmp_path / "spool", sender=SENDER, history=store.unit_of_work)
    notifier.send(letter)
    came_back = datetime(2026, 3, 4, 10, tzinfo=UTC)
    notifier.record_letter_tracking("k/1", " 1A 234 567 8901 2 ", as_of=came_back)
    notifier.record_letter_tracking("k/1", "1A 234 567 8901 2", as_of=came_back)  # again
    with store.unit_of_work() as uow:
        events = uow.history.events_of(["A-77"])["A-77"]
    [event] = events
    assert (event.kind, event.occurred_at) == (LetterTracked.kind, came_back)
    assert event_payload(event) == {
        "outbox_key": "k/1",
        "tracking_number": "1A 234 567 8901 2",
        "registered": True,
    }
    # A corrected number is a second event; the manifest holds the latest.
    notifier.record_letter_tracking("k/1", "1A 999", as_of=came_back + timedelta(hours=1))
    with store.unit_of_work() as uow:
        numbers = [
            event_payload(e)["tracking_number"] for e in uow.history.events_of(["A-77"])["A-77"]
        ]
    assert numbers == ["1A 234 567 8901 2", "1A 999"]
    assert notifier.rows()[0].tracking_number == "1A 999"
    with pytest.raises(UnknownRecord):  # an e-mail has no tracking number
        record_letter_tracking(store.unit_of_work(), "k/2", "1A", came_back)
    with pytest.raises(UnknownRecord):
        record_letter_tracking(store.unit_of_work(), "k/404", "1A", came_back)
    store.close()
