"""What an e-mail notice carries besides its text: the invoices' PDFs, a statement of
account, the notice itself as a letter (a German *Mahnung*).

The cycle writes the request on the outbox message (:attr:`OutboxMessage.attachments
<dunning_core.domain.outbox.OutboxMessage.attachments>`): which invoices, and the
statement or notice as a stored letter (JSON, composed and translated when the notice
was decided). The notifier fetches the invoice PDFs and prints the letters when it
sends, and reports what it carried: each attachment again, with its
:class:`AttachmentOutcome`, size and SHA-256 (or the link sent instead); the store
keeps that on the message once it is SENT.

>>> request = Attachment.invoice("F-1", filename="facture-F-1.pdf")
>>> sent = request.carried(AttachmentOutcome.ATTACHED, data=b"%PDF-1.7 ...")
>>> sent.size, sent.sha256[:12]
(12, 'cd98c5bce101')
>>> attachments_from_json(attachments_to_json([sent])) == (sent,)
True

.. versionadded:: 0.3
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Final

import attrs

from dunning_core.errors import InvalidField

__all__ = [
    "Attachment",
    "AttachmentKind",
    "AttachmentOutcome",
    "attachments_from_json",
    "attachments_to_json",
    "safe_filename",
]


class AttachmentKind(enum.StrEnum):
    """What an attachment is."""

    INVOICE = "INVOICE"  #: an invoice's PDF, from the team's Documents port
    STATEMENT = "STATEMENT"  #: the statement of account the library prints
    NOTICE = "NOTICE"  #: the notice itself as a letter (a Mahnung)


class AttachmentOutcome(enum.StrEnum):
    """What became of an attachment when the message was sent."""

    ATTACHED = "ATTACHED"  #: in the e-mail
    LINKED = "LINKED"  #: over the size cap: a download link in the text instead
    MISSING = "MISSING"  #: the Documents port had no PDF for the invoice
    OMITTED = "OMITTED"  #: over the size cap, and no link could be made


_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MAX_FILENAME: Final = 120


def safe_filename(name: str) -> str:
    """``name`` made safe as an attachment's file name: no path separator, control
    character or character Windows refuses (each run becomes ``_``), at most 120
    characters, ending as it did (``.pdf``).

    >>> safe_filename("facture-F/2026:7.pdf")
    'facture-F_2026_7.pdf'
    """
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "document.pdf"
    if len(cleaned) > _MAX_FILENAME:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and len(suffix) <= 8:
            cleaned = stem[: _MAX_FILENAME - len(suffix) - 1] + "." + suffix
        else:
            cleaned = cleaned[:_MAX_FILENAME]
    return cleaned


def _kind(value: Any) -> AttachmentKind:
    try:
        return AttachmentKind(value)
    except ValueError:
        raise InvalidField("Attachment.kind", value, "must be an AttachmentKind") from None


def _outcome(value: Any) -> AttachmentOutcome | None:
    if value is None:
        return None
    try:
        return AttachmentOutcome(value)
    except ValueError:
        raise InvalidField("Attachment.outcome", value, "must be an AttachmentOutcome") from None


def _optional_str(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidField(f"Attachment.{name}", value, "must be a non-empty string or None")


@attrs.frozen(kw_only=True)
class Attachment:
    """One file an e-mail notice asks for, and once sent, what became of it.

    Args:
        kind: An invoice's PDF, the statement of account, or the notice as a letter.
        filename: The file name the customer sees (translated: ``facture-F-1.pdf``);
            made safe by :func:`safe_filename`.
        invoice_number: The invoice, for :attr:`AttachmentKind.INVOICE`.
        letter: The letter to print (JSON of a
            :class:`~dunning_core.documents.letter.Letter`), for a statement or a notice.
        outcome: ``None`` until the message is sent; then what the notifier did.
        size: The PDF's size in bytes (attached or linked).
        sha256: The PDF's SHA-256 (hex): what exactly the customer received.
        url: The download link sent instead (``LINKED``).

    Raises:
        InvalidField: an invoice without its number, a statement or notice without its
            letter, an empty file name, a negative size.
    """

    kind: AttachmentKind = attrs.field(converter=_kind)
    filename: str
    invoice_number: str | None = None
    letter: str | None = None
    outcome: AttachmentOutcome | None = attrs.field(default=None, converter=_outcome)
    size: int | None = None
    sha256: str | None = None
    url: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.filename, str) or not self.filename.strip():
            raise InvalidField("Attachment.filename", self.filename, "must be a file name")
        object.__setattr__(self, "filename", safe_filename(self.filename))
        for name in ("invoice_number", "letter", "sha256", "url"):
            _optional_str(name, getattr(self, name))
        if self.kind is AttachmentKind.INVOICE and self.invoice_number is None:
            raise InvalidField("Attachment.invoice_number", None, "an invoice needs its number")
        if self.kind is not AttachmentKind.INVOICE and self.letter is None:
            raise InvalidField("Attachment.letter", None, f"a {self.kind.lower()} needs its letter")
        if self.size is not None and (
            not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0
        ):
            raise InvalidField("Attachment.size", self.size, "must be an int >= 0 or None")

    @classmethod
    def invoice(cls, number: str, *, filename: str) -> Attachment:
        """Ask for the PDF of invoice ``number``."""
        return cls(kind=AttachmentKind.INVOICE, filename=filename, invoice_number=number)

    @classmethod
    def document(cls, kind: AttachmentKind, letter: str, *, filename: str) -> Attachment:
        """Ask for a letter the library prints (a statement, or the notice itself)."""
        return cls(kind=kind, filename=filename, letter=letter)

    @property
    def requested(self) -> Attachment:
        """The request alone: this attachment before it was sent."""
        return attrs.evolve(self, outcome=None, size=None, sha256=None, url=None)

    def carried(
        self, outcome: AttachmentOutcome, *, data: bytes | None = None, url: str | None = None
    ) -> Attachment:
        """This attachment as sent: its outcome, and the size and SHA-256 of ``data``."""
        return attrs.evolve(
            self,
            outcome=outcome,
            size=None if data is None else len(data),
            sha256=None if data is None else hashlib.sha256(data).hexdigest(),
            url=url,
        )


def attachments_to_json(attachments: Iterable[Attachment]) -> str:
    """The attachments as the JSON a store keeps (fields left out when ``None``)."""
    rows = [
        {key: value for key, value in attrs.asdict(item).items() if value is not None}
        for item in attachments
    ]
    return json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def attachments_from_json(text: str | None) -> tuple[Attachment, ...]:
    """The attachments :func:`attachments_to_json` wrote (``()`` for ``None`` or ``""``).

    Raises:
        InvalidField: the text is not a list of attachments.
    """
    if not text:
        return ()
    try:
        rows = json.loads(text)
        return tuple(Attachment(**row) for row in rows)
    except (ValueError, TypeError) as error:
        raise InvalidField("attachments", text[:80], f"not stored attachments: {error}") from None
