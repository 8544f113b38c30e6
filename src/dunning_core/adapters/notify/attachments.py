"""The files an e-mail notice carries, fetched and printed when it is sent.

The cycle writes what a notice asks for on the outbox message
(:attr:`~dunning_core.domain.outbox.OutboxMessage.attachments`). When the message is
sent, :class:`EmailAttachments` turns each request into a file: an invoice's PDF from
the team's :class:`~dunning_core.ports.Documents` (the latest one, fetched now), the
statement of account or the notice printed from the letter stored with the message.
Files are attached in order while they fit under the size cap; one that does not
fit goes as a signed download link in the text (a
:class:`~dunning_core.ports.DocumentLinks`), or is left out when there are no links.
What became of each file is reported back, and the dispatcher stores it on the message.

:class:`~dunning_core.adapters.notify.smtp.SmtpNotifier` uses it; another e-mail
notifier can too (:meth:`EmailAttachments.assemble`).

.. versionadded:: 0.3
"""

from __future__ import annotations

import logging
from html import escape
from typing import Final

import attrs

from dunning_core.documents.letter import (
    WINDOW_NF_Z_11_001,
    Letter,
    Sender,
    Window,
    letter_pdf,
)
from dunning_core.domain.attachments import Attachment, AttachmentKind, AttachmentOutcome
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.errors import InvalidField, TransientDeliveryError
from dunning_core.ports import DocumentLinks, Documents
from dunning_core.rendering.catalog import Labels
from dunning_core.service.attachments import document_name

__all__ = ["DEFAULT_MAX_BYTES", "AssembledAttachments", "EmailAttachments", "FileAttachment"]

logger = logging.getLogger("dunning_core")

#: The default cap on the attachments of one e-mail, in bytes of PDF: base64 makes
#: them about 9.4 MB on the wire, under the 10 MB many mail systems still accept.
DEFAULT_MAX_BYTES: Final = 7_000_000


@attrs.frozen
class FileAttachment:
    """A file for the wire.

    Attributes:
        filename: The name the customer sees.
        data: The content.
        content_type: Its MIME type.
    """

    filename: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")
    content_type: str = "application/pdf"


@attrs.frozen
class AssembledAttachments:
    """What one message carries, ready for the wire.

    Attributes:
        files: The files to attach, in order.
        carried: Every requested attachment with its outcome (for the message).
        notes: Lines to add to the text: the files attached, the download links.
        links: ``(file name, url)`` of each file sent as a link.
        language: The language of the notes.
    """

    files: tuple[FileAttachment, ...] = ()
    carried: tuple[Attachment, ...] = ()
    notes: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    language: str = "en"

    def text(self, body: str) -> str:
        """The plain-text body with the notes after it."""
        if not self.notes:
            return body
        return body.rstrip("\n") + "\n\n" + "\n".join(self.notes) + "\n"

    def html(self, html: str | None) -> str | None:
        """The HTML body with the notes (links clickable) at the end of its content."""
        if html is None or not self.notes:
            return html
        urls = dict(self.links)
        parts = []
        for note in self.notes:
            paragraph = escape(note)
            for url in urls.values():
                quoted = escape(url)
                link = f'<a href="{escape(url, quote=True)}" style="color:#0b5cad;">{quoted}</a>'
                paragraph = paragraph.replace(quoted, link)
            parts.append(
                f'<p style="margin:0 0 10px 0;font-size:13px;color:#57606a;">{paragraph}</p>'
            )
        fragment = "".join(parts)
        # The built-in layout's content cell ends here; another template's at </body>.
        for marker in ("</td></tr></table></td></tr></table></body>", "</body>"):
            at = html.rfind(marker)
            if at >= 0:
                return html[:at] + fragment + html[at:]
        return html + fragment


def _letter_pdf(attachment: Attachment, sender: Sender | None, window: Window) -> bytes:
    letter = Letter.from_json(attachment.letter or "")
    if letter.sender is None and sender is not None:
        letter = attrs.evolve(letter, sender=sender)
    try:
        return letter_pdf(letter, window=window)
    except ImportError:
        raise TransientDeliveryError(
            f"cannot print {attachment.filename}: fpdf2 is missing (install the 'letters' extra)"
        ) from None


class EmailAttachments:
    """Fetches, prints and caps the files of e-mail notices.

    Args:
        documents: The team's invoice PDFs; without it every invoice is recorded
            ``MISSING``.
        links: Makes the download link of a file over the cap; without it such a file
            is left out (``OMITTED``).
        max_bytes: The most PDF bytes one e-mail carries (7,000,000 by default).
        sender: Printed on statements and notices composed without one.
        window: The envelope window layout letters are printed for.

    Raises:
        InvalidField: ``max_bytes`` is not a positive int.
    """

    def __init__(
        self,
        documents: Documents | None = None,
        *,
        links: DocumentLinks | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sender: Sender | None = None,
        window: Window = WINDOW_NF_Z_11_001,
    ) -> None:
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
            raise InvalidField("EmailAttachments.max_bytes", max_bytes, "must be an int >= 1")
        self.documents = documents
        self.links = links
        self.max_bytes = max_bytes
        self.sender = sender
        self.window = window

    def assemble(self, message: OutboxMessage) -> AssembledAttachments:
        """The files of ``message``, its notes and what became of each request.

        Raises:
            TransientDeliveryError: the Documents port failed (raised), or a letter
                cannot be printed because fpdf2 is missing.
        """
        if not message.attachments:
            return AssembledAttachments()
        labels = Labels(message.text_locale or "en")
        files: list[FileAttachment] = []
        carried: list[Attachment] = []
        links: list[tuple[str, str]] = []
        used = 0
        for asked in message.attachments:
            request = asked.requested  # a resend starts again from the request
            data = self._content(request)
            if data is None:
                carried.append(request.carried(AttachmentOutcome.MISSING))
                continue
            if used + len(data) <= self.max_bytes:
                used += len(data)
                files.append(FileAttachment(request.filename, data))
                carried.append(request.carried(AttachmentOutcome.ATTACHED, data=data))
            elif self.links is not None:
                url = self.links.url_for_document(
                    message.account_id, document_name(request, message.key)
                )
                links.append((request.filename, url))
                carried.append(request.carried(AttachmentOutcome.LINKED, data=data, url=url))
            else:
                logger.warning(
                    "message %r: %s (%d bytes) is over the attachment cap and no document "
                    "links are configured; left out",
                    message.key,
                    request.filename,
                    len(data),
                )
                carried.append(request.carried(AttachmentOutcome.OMITTED, data=data))
        notes: list[str] = []
        if files:
            notes.append(labels("attachments", names=", ".join(f.filename for f in files)))
        notes.extend(labels("attachment_link", name=name, url=url) for name, url in links)
        return AssembledAttachments(
            files=tuple(files),
            carried=tuple(carried),
            notes=tuple(notes),
            links=tuple(links),
            language=labels.catalog,
        )

    def _content(self, request: Attachment) -> bytes | None:
        if request.kind is not AttachmentKind.INVOICE:
            return _letter_pdf(request, self.sender, self.window)
        if self.documents is None:
            return None
        number = str(request.invoice_number)
        try:
            data = self.documents.pdf_for(number)
        except Exception as error:
            raise TransientDeliveryError(
                f"the Documents port failed for invoice {number!r}: {error!r}"
            ) from None
        if data is None:
            return None
        if not isinstance(data, bytes) or not data.startswith(b"%PDF-"):
            logger.warning(
                "Documents.pdf_for(%r) returned something that is not a PDF; not attached",
                number,
            )
            return None
        return data
