"""What e-mail notices carry: the policy, and the documents behind a download link.

:class:`AttachmentPolicy` (``CycleConfig.attachments``) says which e-mail notices of
the ladders carry the invoices' PDFs, a statement of account, or the notice itself as
a letter (a German *Mahnung*). The cycle writes the request on the outbox message;
the statement and the notice are composed then, as letters (data, in the customer's
language), so they state what the notice states; the invoices' PDFs are fetched
through the team's :class:`~dunning_core.ports.Documents` when the message is sent.

An attachment over the e-mail size cap goes as a signed download link
(:class:`~dunning_core.rendering.signed_links.SignedDocumentLinks`); the download page
verifies it and serves the file with :func:`linked_document`.

.. versionadded:: 0.3
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from dunning_core.documents.letter import WINDOW_NF_Z_11_001, Letter, Sender, Window, letter_pdf
from dunning_core.domain.account import Channel
from dunning_core.domain.attachments import Attachment, AttachmentKind
from dunning_core.domain.history import ActionRecord
from dunning_core.errors import InvalidField, UnknownRecord
from dunning_core.ports import Documents, UnitOfWork
from dunning_core.rendering.signed_links import VerifiedDocumentLink
from dunning_core.service._uow import check_unit_of_work

__all__ = ["AttachmentPolicy", "document_name", "last_statement_day", "linked_document"]


def _stages(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidField("AttachmentPolicy.stages", value, "must be a collection of stage keys")
    return frozenset(value)


@attrs.frozen(kw_only=True)
class AttachmentPolicy:
    """Which e-mail notices carry which files. Nothing is attached by default.

    Args:
        invoices: Attach the PDF of each invoice the notice is about, fetched through
            the :class:`~dunning_core.ports.Documents` port given to the notifier.
        statement: Attach a statement of account (open items, aging, payments since
            the last statement, fees, the total to pay).
        notice_pdf: Attach the notice itself as a letter (a German *Mahnung*, with its
            fees, interest and compensation as :class:`FormalNoticeTerms` set them).
        stages: Only the notices of these ladder stages; every e-mail notice of a
            ladder when ``None``.

    Raises:
        InvalidField: ``stages`` is a single string.
    """

    invoices: bool = False
    statement: bool = False
    notice_pdf: bool = False
    stages: frozenset[str] | None = attrs.field(default=None, converter=_stages)

    def applies_to(self, stage: str, channel: Channel | str | None) -> bool:
        """True when a notice of ``stage`` on ``channel`` carries anything."""
        if channel is None or str(channel) != Channel.EMAIL.value:
            return False
        if not (self.invoices or self.statement or self.notice_pdf):
            return False
        return self.stages is None or stage in self.stages


def last_statement_day(
    policy: AttachmentPolicy, records: Iterable[ActionRecord], before: date
) -> date | None:
    """The day the account was last sent a statement, before ``before``: the latest
    e-mail notice fired on a stage the policy attaches a statement to.

    The statement's "payments since" starts there. A statement sent before the policy
    asked for one is not known; the first statement then lists every payment.
    """
    if not policy.statement:
        return None
    days = [
        record.fired_on
        for record in records
        if not record.skipped
        and record.fired_on < before
        and policy.applies_to(record.stage, record.channel)
    ]
    return max(days, default=None)


def document_name(attachment: Attachment, message_key: str) -> str:
    """What a download link names: ``invoice:<number>`` for an invoice (its latest
    PDF), ``statement:<outbox key>`` or ``notice:<outbox key>`` for a letter the
    library printed for that message."""
    if attachment.kind is AttachmentKind.INVOICE:
        return f"invoice:{attachment.invoice_number}"
    return f"{attachment.kind.value.lower()}:{message_key}"


def linked_document(
    uow: UnitOfWork,
    link: VerifiedDocumentLink,
    documents: Documents | None,
    *,
    sender: Sender | None = None,
    window: Window = WINDOW_NF_Z_11_001,
) -> tuple[str, bytes]:
    """The file a verified download link gives access to.

    Call it after :func:`~dunning_core.rendering.signed_links.verify_document_link`.
    The invoice must belong to the link's account, and a statement or notice to a
    message of that account; anything else is unknown (the same answer, so a link
    cannot probe for another account's records).

    Args:
        uow: A unit of work not yet entered; read only.
        link: The verified link.
        documents: The team's invoice PDFs (``None``: no invoice can be served).
        sender: Printed on a statement or notice composed without one.
        window: The envelope window layout the letters are printed for.

    Returns:
        The file name and the PDF's bytes.

    Raises:
        UnknownRecord: nothing of the account answers to the link's document.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
        ImportError: a letter is asked for and fpdf2 is missing (the ``letters`` extra).
    """
    check_unit_of_work(uow)
    kind, _, reference = link.document.partition(":")
    with uow:
        if kind == "invoice":
            invoice = uow.ledger.get_invoices([reference]).get(reference)
            data = None
            if invoice is not None and invoice.account_id == link.account_id:
                data = None if documents is None else documents.pdf_for(reference)
            if data is None:
                raise UnknownRecord("document", link.document)
            return f"{reference}.pdf", data
        message = uow.outbox.get(reference)
        if message is None or message.account_id != link.account_id:
            raise UnknownRecord("document", link.document)
        for attachment in message.attachments:
            if attachment.kind.value.lower() == kind and attachment.letter is not None:
                letter = Letter.from_json(attachment.letter)
                if letter.sender is None and sender is not None:
                    letter = attrs.evolve(letter, sender=sender)
                return attachment.filename, letter_pdf(letter, window=window)
    raise UnknownRecord("document", link.document)
