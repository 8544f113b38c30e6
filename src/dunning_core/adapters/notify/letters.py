"""Letters and registered formal notices for a print-and-post service: one PDF per
outbox message in a spool directory, and a CSV manifest the service reads.

Needs the ``letters`` extra (fpdf2). The manifest (``manifest.csv``, UTF-8) has one row
per letter::

    outbox_key,file,recipient,postal_address,registered,pages,tracking_number

``registered`` is ``yes`` for a registered letter (with acknowledgement of receipt),
``no`` otherwise; ``tracking_number`` stays empty until the post's number comes back
and :meth:`LetterNotifier.record_letter_tracking` writes it (and, when the notifier
was given the store, records it in the account's history as a
:class:`~dunning_core.domain.events.LetterTracked` event). Sending a message again
(a dispatcher that crashed after writing the PDF) rewrites the same file and keeps one
manifest row: the outbox key names both.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import attrs

from dunning_core.documents.letter import (
    WINDOW_NF_Z_11_001,
    Letter,
    Sender,
    Window,
    print_letter,
)
from dunning_core.domain.account import Channel
from dunning_core.domain.dates import AsOf
from dunning_core.domain.outbox import Delivery, OutboxMessage
from dunning_core.errors import InvalidField, PermanentDeliveryError, UnknownRecord
from dunning_core.ports import Clock, UowFactory
from dunning_core.service.letters import record_letter_tracking

__all__ = ["MANIFEST_COLUMNS", "LetterNotifier", "ManifestRow"]

#: The manifest's columns, in order.
MANIFEST_COLUMNS: Final = (
    "outbox_key",
    "file",
    "recipient",
    "postal_address",
    "registered",
    "pages",
    "tracking_number",
)
_LETTER_CHANNELS: Final = frozenset({Channel.LETTER.value, Channel.REGISTERED_LETTER.value})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@attrs.frozen(kw_only=True)
class ManifestRow:
    """One letter of the manifest."""

    outbox_key: str
    file: str
    recipient: str
    postal_address: str
    registered: bool
    pages: int
    tracking_number: str = ""

    def cells(self) -> list[str]:
        """The CSV cells, in :data:`MANIFEST_COLUMNS` order."""
        return [
            self.outbox_key,
            self.file,
            self.recipient,
            self.postal_address,
            "yes" if self.registered else "no",
            str(self.pages),
            self.tracking_number,
        ]

    @classmethod
    def from_cells(cls, cells: dict[str, str]) -> ManifestRow:
        """A row read back from the manifest."""
        return cls(
            outbox_key=cells["outbox_key"],
            file=cells["file"],
            recipient=cells["recipient"],
            postal_address=cells["postal_address"],
            registered=cells["registered"] == "yes",
            pages=int(cells["pages"]),
            tracking_number=cells.get("tracking_number", "") or "",
        )


def _file_name(key: str) -> str:
    # Readable, and unique even when two keys differ only in unsafe characters.
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()
    return f"{_UNSAFE.sub('_', key)[:60]}-{digest}.pdf"


def _plain_letter(message: OutboxMessage) -> Letter:
    lines = [line for line in message.recipient.splitlines() if line.strip()][:6]
    return Letter(
        language="en",
        recipient=lines,
        place_date="",
        subject=message.subject,
        paragraphs=[p for p in message.body.split("\n\n") if p.strip()],
        registered_mention=(
            "Registered letter" if message.channel == Channel.REGISTERED_LETTER.value else ""
        ),
    )


def letter_of(message: OutboxMessage) -> Letter:
    """The letter a message carries: the stored document when it has one, else one made
    of its subject, body and address."""
    document = getattr(message, "document", None)
    if isinstance(document, str) and document:
        return Letter.from_json(document)
    return _plain_letter(message)


class LetterNotifier:
    """A :class:`~dunning_core.ports.Notifier` for LETTER and REGISTERED_LETTER messages.

    Args:
        spool_dir: Where the PDFs and ``manifest.csv`` go (created if missing).
        sender: Who writes: printed on every letter that does not name its own.
        window: Where the envelope's window is
            (:data:`~dunning_core.documents.letter.WINDOW_NF_Z_11_001` by default).
        letter_for: How to get a message's :class:`Letter` (the stored document, or
            the message's text, by default).
        history: The store's unit-of-work factory: tracking numbers are then also
            recorded in the account's history (``LetterTracked``).
        clock: When a tracking number came back, if the caller does not say (the
            system clock by default).

    Raises:
        ImportError: fpdf2 is not installed (the ``letters`` extra), on first send.
    """

    manifest_name: Final = "manifest.csv"

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        *,
        sender: Sender,
        window: Window = WINDOW_NF_Z_11_001,
        letter_for: Callable[[OutboxMessage], Letter] = letter_of,
        history: UowFactory | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.sender = sender
        self.window = window
        self._letter_for = letter_for
        self.history = history
        self.clock = clock

    @property
    def manifest_path(self) -> Path:
        """The manifest file."""
        return self.spool_dir / self.manifest_name

    def send(self, message: OutboxMessage) -> Delivery:
        """Write the message's letter as a PDF and list it in the manifest.

        Raises:
            PermanentDeliveryError: the message is not a letter, or has no address.
        """
        if message.channel not in _LETTER_CHANNELS:
            raise PermanentDeliveryError(f"LetterNotifier cannot send {message.channel} messages")
        if not message.recipient.strip():
            raise PermanentDeliveryError(f"letter {message.key} has no postal address")
        letter = self._letter_for(message)
        if letter.sender is None:
            letter = attrs.evolve(letter, sender=self.sender)
        pdf, pages = print_letter(letter, window=self.window)
        name = _file_name(message.key)
        _write_atomically(self.spool_dir / name, pdf)
        row = ManifestRow(
            outbox_key=message.key,
            file=name,
            recipient=letter.recipient[0],
            postal_address=", ".join(letter.recipient),
            registered=message.channel == Channel.REGISTERED_LETTER.value,
            pages=pages,
        )
        with self._locked():
            rows = self._read()
            kept = next((r for r in rows if r.outbox_key == message.key), None)
            if kept is None:
                self._append(row)
            else:  # sent again: same file, same row, the tracking number kept
                rows = [
                    attrs.evolve(row, tracking_number=r.tracking_number)
                    if r.outbox_key == message.key
                    else r
                    for r in rows
                ]
                self._rewrite(rows)
        return Delivery(provider_message_id=f"letter:{name}", detail=str(self.spool_dir / name))

    def rows(self) -> list[ManifestRow]:
        """The manifest's rows, in the order the letters were written."""
        with self._locked():
            return self._read()

    def record_letter_tracking(
        self, key: str, tracking_number: str, *, as_of: AsOf | None = None
    ) -> ManifestRow:
        """Write the post's tracking number of the letter of outbox message ``key`` in
        the manifest and, with ``history``, in the account's history
        (:func:`dunning_core.service.letters.record_letter_tracking`). Both writes are
        idempotent: after a failure in between, call again.

        Args:
            key: The letter's outbox key.
            tracking_number: The post's number.
            as_of: When it came back; the clock's time by default.

        Returns:
            The updated manifest row.

        Raises:
            UnknownRecord: no letter of the manifest (or of the store) has this key.
            InvalidField: the tracking number is empty or holds a line break.
        """
        row = self._track(key, tracking_number)
        if self.history is not None:
            when: AsOf = as_of if as_of is not None else self._now()
            record_letter_tracking(self.history(), key, row.tracking_number, when)
        return row

    def _now(self) -> datetime:
        return datetime.now(UTC) if self.clock is None else self.clock.now()

    def _track(self, key: str, tracking_number: str) -> ManifestRow:
        if (
            not isinstance(tracking_number, str)
            or not tracking_number.strip()
            or ("\n" in tracking_number or "\r" in tracking_number)
        ):
            raise InvalidField("tracking_number", tracking_number, "must be one non-empty line")
        with self._locked():
            rows = self._read()
            for number, row in enumerate(rows):
                if row.outbox_key == key:
                    rows[number] = attrs.evolve(row, tracking_number=tracking_number.strip())
                    self._rewrite(rows)
                    return rows[number]
        raise UnknownRecord("letter", key)

    # -- the manifest file ------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.spool_dir / ".manifest.lock"
        with open(lock_path, "a+b") as lock:
            try:
                import fcntl
            except ImportError:  # Windows: one dispatcher per spool directory
                yield
                return
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read(self) -> list[ManifestRow]:
        if not self.manifest_path.exists():
            return []
        with open(self.manifest_path, encoding="utf-8", newline="") as handle:
            return [ManifestRow.from_cells(cells) for cells in csv.DictReader(handle)]

    def _append(self, row: ManifestRow) -> None:
        new = not self.manifest_path.exists()
        with open(self.manifest_path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(MANIFEST_COLUMNS)
            writer.writerow(row.cells())
            handle.flush()
            os.fsync(handle.fileno())

    def _rewrite(self, rows: list[ManifestRow]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(MANIFEST_COLUMNS)
        for row in rows:
            writer.writerow(row.cells())
        _write_atomically(self.manifest_path, buffer.getvalue().encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
