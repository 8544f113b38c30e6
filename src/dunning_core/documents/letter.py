"""A letter as data, and its PDF (A4, the address in a window envelope's window).

A :class:`Letter` holds only text, already translated and formatted for the customer's
locale, so it can be stored as JSON with the outbox message and printed later, the
same, by :func:`letter_pdf` (fpdf2, the ``letters`` extra). The fonts are DejaVu Sans,
shipped with the package and embedded in every PDF: accents, Vietnamese, the euro and
the CFP franc all print.

Window positions (millimetres from the page's top-left corner, A4 folded in three for
a DL window envelope):

* :data:`WINDOW_DIN_5008_B`: German DIN 5008 form B, the address field 20 mm from the
  left and 45 mm from the top, 85 x 45 mm (5 mm return line, 12.7 mm notes such as
  "Einschreiben", 27.3 mm address);
* :data:`WINDOW_NF_Z_11_001`: the French layout (NF Z 11-001, La Poste's DL window on
  the right), the address block 100 mm from the left and 45 mm from the top,
  90 x 45 mm.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from importlib import resources
from typing import Any, Final

import attrs

from dunning_core.errors import InvalidField

__all__ = [
    "WINDOW_DIN_5008_B",
    "WINDOW_NF_Z_11_001",
    "Letter",
    "Section",
    "Sender",
    "Window",
    "letter_pdf",
    "print_letter",
]


@attrs.frozen(kw_only=True)
class Window:
    """Where the address shows through the envelope, in millimetres from the top-left
    corner of the page."""

    name: str
    x: float
    y: float
    width: float
    height: float


WINDOW_DIN_5008_B: Final = Window(name="DIN 5008 B", x=20, y=45, width=85, height=45)
WINDOW_NF_Z_11_001: Final = Window(name="NF Z 11-001", x=100, y=45, width=90, height=45)


def _lines(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value)


def _rows(value: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(_lines(row) for row in value)


def _flags(value: Any) -> tuple[bool, ...]:
    return tuple(bool(flag) for flag in value)


def _floats(value: Any) -> tuple[float, ...]:
    return tuple(float(width) for width in value)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(label), str(amount)) for label, amount in value)


def _sections(value: Any) -> tuple[Section, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Sender:
    """Who writes: printed at the top of the letter and on the return line.

    Args:
        name: The company's name.
        lines: Street lines.
        postal_code: Postal code.
        city: City (also the place beside the date unless the letter names another).
        country: ISO 3166-1 alpha-2 code.
        phone: Phone number for questions.
        email: Email address for questions.
        registration: Company registration ("SIREN 123 456 789", "HRB 12345").
    """

    name: str
    lines: tuple[str, ...] = attrs.field(default=(), converter=_lines)
    postal_code: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""
    registration: str = ""

    def return_line(self) -> str:
        """The one-line sender address printed above the recipient's."""
        town = f"{self.postal_code} {self.city}".strip()
        return " · ".join(part for part in (self.name, *self.lines, town) if part)


@attrs.frozen(kw_only=True)
class Section:
    """A table with an optional heading.

    Args:
        heading: Printed above the table ("" for none).
        headers: Column titles.
        rows: The rows, one string per column.
        numeric: For each column, whether it is right-aligned (amounts, days).
        widths: Relative column widths (equal by default).
    """

    heading: str = ""
    headers: tuple[str, ...] = attrs.field(default=(), converter=_lines)
    rows: tuple[tuple[str, ...], ...] = attrs.field(default=(), converter=_rows)
    numeric: tuple[bool, ...] = attrs.field(default=(), converter=_flags)
    widths: tuple[float, ...] = attrs.field(default=(), converter=_floats)


@attrs.frozen(kw_only=True)
class Letter:
    """A letter, every text translated and formatted.

    Args:
        language: The language of the text (PDF metadata).
        recipient: The address block, recipient first, as it must be printed.
        place_date: "Lyon, le 2 mars 2026".
        reference_lines: "Our reference: ...", "Customer account: ...".
        subject: The subject line (bold).
        paragraphs: The body, one paragraph each (greeting first).
        sections: Tables after the body (the invoices, a statement's parts).
        totals: ``(label, amount)`` rows after the tables; the last one is bold.
        closing: The closing formula.
        signature: Who signs (the sender's name by default).
        registered_mention: "Registered letter with acknowledgement of receipt", or "".
        page_label: The footer, with ``{page}`` and ``{pages}``.
        sender: The sender; a :class:`~dunning_core.adapters.notify.letters.
            LetterNotifier` fills in its own when the letter has none.
        title: The document title (PDF metadata).
    """

    language: str
    recipient: tuple[str, ...] = attrs.field(converter=_lines)
    place_date: str
    reference_lines: tuple[str, ...] = attrs.field(default=(), converter=_lines)
    subject: str
    paragraphs: tuple[str, ...] = attrs.field(default=(), converter=_lines)
    sections: tuple[Section, ...] = attrs.field(default=(), converter=_sections)
    totals: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    closing: str = ""
    signature: str = ""
    registered_mention: str = ""
    page_label: str = "Page {page} of {pages}"
    sender: Sender | None = None
    title: str = ""

    @recipient.validator
    def _check_recipient(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if not value or not any(line.strip() for line in value):
            raise InvalidField("Letter.recipient", value, "a letter needs an address")
        if len(value) > 6:
            raise InvalidField("Letter.recipient", value, "at most 6 lines fit the window")

    @property
    def registered(self) -> bool:
        """True for a registered letter."""
        return bool(self.registered_mention)

    def to_json(self) -> str:
        """The letter as JSON (what the outbox keeps)."""
        return json.dumps(attrs.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Letter:
        """The letter :meth:`to_json` wrote.

        Raises:
            InvalidField: the text is not a letter.
        """
        try:
            data = json.loads(text)
            sender = data.pop("sender", None)
            sections = data.pop("sections", ())
            return cls(
                **data,
                sender=None if sender is None else Sender(**sender),
                sections=tuple(Section(**section) for section in sections),
            )
        except (ValueError, TypeError, KeyError) as error:
            raise InvalidField("Letter", text[:80], f"not a stored letter: {error}") from None


# -- the PDF ----------------------------------------------------------------------------------

_FONT: Final = "DejaVu"
_LEFT: Final = 20.0
_RIGHT: Final = 20.0
_PAGE_WIDTH: Final = 210.0
_TEXT_WIDTH: Final = _PAGE_WIDTH - _LEFT - _RIGHT
_LINE: Final = 5.0


def _font_path(name: str) -> str:
    return str(resources.files("dunning_core.documents") / "fonts" / name)


def _clean(text: str) -> str:
    # Precomposed characters (NFC) print with the font's own glyphs, "ễ" in one piece.
    return unicodedata.normalize("NFC", text)


def letter_pdf(letter: Letter, *, window: Window = WINDOW_NF_Z_11_001) -> bytes:
    """Print ``letter`` as a PDF (see :func:`print_letter`, which also counts pages)."""
    return print_letter(letter, window=window)[0]


def print_letter(letter: Letter, *, window: Window = WINDOW_NF_Z_11_001) -> tuple[bytes, int]:
    """Print ``letter`` as a PDF.

    Args:
        letter: The letter.
        window: Where the envelope's window is (the French layout by default; pass
            :data:`WINDOW_DIN_5008_B` for German envelopes).

    Returns:
        The PDF file's bytes (A4, fonts embedded, page numbers in the footer) and its
        number of pages.

    Raises:
        ImportError: fpdf2 is not installed (the ``letters`` extra).
    """
    from fpdf import FPDF

    page_label = letter.page_label

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(_FONT, size=8)
            label = page_label.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
            self.cell(0, 8, _clean(label), align="C")

    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_margins(_LEFT, 15, _RIGHT)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(_FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_title(_clean(letter.title or letter.subject))
    pdf.set_lang(letter.language.replace("_", "-"))
    pdf.set_creator("dunning_core")
    pdf.add_page()
    _sender_block(pdf, letter.sender, window)
    _window_block(pdf, letter, window)
    pdf.set_xy(_LEFT, window.y + window.height + 6)
    pdf.set_font(_FONT, size=10)
    pdf.cell(
        _TEXT_WIDTH, _LINE, _clean(letter.place_date), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    for line in letter.reference_lines:
        pdf.cell(_TEXT_WIDTH, _LINE, _clean(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(_FONT, "B", 11)
    pdf.multi_cell(_TEXT_WIDTH, 6, _clean(letter.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(_FONT, size=10)
    for paragraph in letter.paragraphs:
        pdf.multi_cell(_TEXT_WIDTH, _LINE, _clean(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    for section in letter.sections:
        _section(pdf, section)
    if letter.totals:
        _totals(pdf, letter.totals)
    if letter.closing:
        pdf.ln(4)
        pdf.set_font(_FONT, size=10)
        pdf.multi_cell(_TEXT_WIDTH, _LINE, _clean(letter.closing), new_x="LMARGIN", new_y="NEXT")
    signature = letter.signature or (letter.sender.name if letter.sender else "")
    if signature:
        pdf.ln(8)
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(_TEXT_WIDTH, _LINE, _clean(signature), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output()), int(pdf.pages_count)


def _sender_block(pdf: Any, sender: Sender | None, window: Window) -> None:
    if sender is None:
        return
    # Beside the window, on the side it leaves free.
    left_window = window.x + window.width / 2 < _PAGE_WIDTH / 2
    x = window.x + window.width + 5 if left_window else _LEFT
    width = (_PAGE_WIDTH - _RIGHT - x) if left_window else (window.x - _LEFT - 5)
    pdf.set_xy(x, 15)
    pdf.set_font(_FONT, "B", 11)
    pdf.multi_cell(width, 5.5, _clean(sender.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font(_FONT, size=8.5)
    town = f"{sender.postal_code} {sender.city}".strip()
    for line in (*sender.lines, town, sender.phone, sender.email, sender.registration):
        if line:
            pdf.multi_cell(width, 4, _clean(line), new_x="LEFT", new_y="NEXT")


def _fit(pdf: Any, text: str, width: float, size: float, minimum: float = 7) -> float:
    while size > minimum and pdf.get_string_width(text) > width:
        pdf.set_font_size(size - 0.5)
        size -= 0.5
    return size


def _window_block(pdf: Any, letter: Letter, window: Window) -> None:
    inner = window.width - 4
    x = window.x + 2
    if letter.sender is not None:
        pdf.set_font(_FONT, size=6.5)
        line = _clean(letter.sender.return_line())
        _fit(pdf, line, inner, 6.5, 5)
        pdf.set_xy(x, window.y + 1)
        pdf.cell(inner, 3.5, line)
    if letter.registered_mention:
        pdf.set_font(_FONT, "B", 8)
        mention = _clean(letter.registered_mention)
        _fit(pdf, mention, inner, 8, 6)
        pdf.set_xy(x, window.y + 6)
        pdf.cell(inner, 4, mention)
    y = window.y + 13
    for number, line in enumerate(letter.recipient):
        text = _clean(line)
        pdf.set_font(_FONT, "B" if number == 0 else "", 10)
        _fit(pdf, text, inner, 10)
        pdf.set_xy(x, y)
        pdf.cell(inner, 4.6, text)
        y += 4.6


def _widths(section: Section, count: int) -> list[float]:
    relative = list(section.widths) if len(section.widths) == count else [1.0] * count
    total = sum(relative)
    return [_TEXT_WIDTH * w / total for w in relative]


def _section(pdf: Any, section: Section) -> None:
    pdf.ln(2)
    if section.heading:
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(_TEXT_WIDTH, 6, _clean(section.heading), new_x="LMARGIN", new_y="NEXT")
    count = len(section.headers) or (len(section.rows[0]) if section.rows else 0)
    if not count:
        return
    widths = _widths(section, count)
    numeric = list(section.numeric) + [False] * (count - len(section.numeric))

    def row(cells: Sequence[str], bold: bool, fill: bool) -> None:
        if pdf.will_page_break(6):
            pdf.add_page()
        pdf.set_font(_FONT, "B" if bold else "", 8.5)
        pdf.set_fill_color(235, 238, 242)
        for cell, width, right in zip(cells, widths, numeric, strict=False):
            text = _clean(cell)
            _fit(pdf, text, width - 2, 8.5, 6)
            pdf.cell(width, 6, text, border="B", align="R" if right else "L", fill=fill)
            pdf.set_font_size(8.5)
        pdf.ln(6)

    if section.headers:
        row(section.headers, bold=True, fill=True)
    for cells in section.rows:
        row(cells, bold=False, fill=False)


def _totals(pdf: Any, totals: Sequence[tuple[str, str]]) -> None:
    pdf.ln(2)
    label_width = _TEXT_WIDTH * 0.7
    for number, (label, amount) in enumerate(totals):
        last = number == len(totals) - 1
        if pdf.will_page_break(6):
            pdf.add_page()
        pdf.set_font(_FONT, "B" if last else "", 9.5)
        pdf.cell(label_width, 6, _clean(label), align="R", border="T" if last else 0)
        pdf.cell(
            _TEXT_WIDTH - label_width,
            6,
            _clean(amount),
            align="R",
            border="T" if last else 0,
            new_x="LMARGIN",
            new_y="NEXT",
        )
