"""Invoice PDFs kept as files: a :class:`~dunning_core.ports.Documents` over a directory.

Most teams already have their invoices' PDFs somewhere (an ERP export, an archive
mount). :class:`DirectoryDocuments` serves them from a directory, one file per invoice
named after its number; implement :class:`~dunning_core.ports.Documents` yourself to
fetch them from anywhere else, and check it with
:class:`~dunning_core.testing.contracts.documents.DocumentsContract`.

.. versionadded:: 0.3
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from dunning_core.domain.attachments import safe_filename
from dunning_core.errors import InvalidField

__all__ = ["DirectoryDocuments", "default_file_name"]


def default_file_name(invoice_number: str) -> str:
    """``<number>.pdf``, with path separators and characters file systems refuse made
    ``_`` (``F/2026/7`` -> ``F_2026_7.pdf``)."""
    return safe_filename(f"{invoice_number}.pdf")


class DirectoryDocuments:
    """The invoices' PDFs, one file each in ``root``.

    Args:
        root: The directory (it must exist).
        file_name: The file name of an invoice number's PDF, relative to ``root``
            (:func:`default_file_name` by default). A name that leads outside ``root``
            is never read.

    Raises:
        InvalidField: ``root`` is not a directory.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        file_name: Callable[[str], str] = default_file_name,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise InvalidField("DirectoryDocuments.root", str(root), "must be a directory")
        self._file_name = file_name

    def pdf_for(self, invoice_number: str) -> bytes | None:
        """The file's bytes, or ``None`` when there is no such file (or it is not a PDF).

        Raises:
            OSError: the file exists but cannot be read (the dispatcher retries).
        """
        path = (self.root / self._file_name(invoice_number)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        data = path.read_bytes()
        return data if data.startswith(b"%PDF-") else None
