"""Contract of :class:`~dunning_core.ports.Documents`: invoice PDFs by number.

Subclass :class:`DocumentsContract` and implement :meth:`~DocumentsContract.make_documents`
to return your implementation holding the PDFs it is given (store them wherever yours
reads from)::

    class TestMyArchive(DocumentsContract):
        def make_documents(self, pdfs):
            for number, data in pdfs.items():
                my_archive.put(number, data)
            return MyArchiveDocuments(my_archive)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from dunning_core.ports import Documents

__all__ = ["DocumentsContract", "sample_pdf"]


def sample_pdf(text: str) -> bytes:
    """A small, valid one-page PDF that shows ``text`` (ASCII), for tests."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    table = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{table}\n%%EOF\n".encode()
    return bytes(out)


#: Invoice numbers as ERPs write them: slashes, spaces, accents.
NUMBERS = ("F-1", "2026/0042", "FA 17", "Rechnung-Ä9")


class DocumentsContract:
    """What every :class:`~dunning_core.ports.Documents` guarantees."""

    def make_documents(self, pdfs: Mapping[str, bytes]) -> Documents:
        """Return an implementation that holds ``pdfs`` (invoice number -> PDF)."""
        raise NotImplementedError("implement make_documents() in your test class")

    @pytest.fixture
    def pdfs(self) -> dict[str, bytes]:
        """One distinct PDF per number of :data:`NUMBERS`."""
        return {number: sample_pdf(f"Invoice {index}") for index, number in enumerate(NUMBERS)}

    @pytest.fixture
    def documents(self, pdfs: dict[str, bytes], tmp_path: Path) -> Documents:
        """The implementation under test, holding ``pdfs``."""
        self.tmp_path = tmp_path
        return self.make_documents(pdfs)

    def test_each_number_gives_its_own_pdf(
        self, documents: Documents, pdfs: dict[str, bytes]
    ) -> None:
        for number, data in pdfs.items():
            found = documents.pdf_for(number)
            assert found == data, number
            assert found.startswith(b"%PDF-")

    def test_an_unknown_number_is_none_not_an_error(self, documents: Documents) -> None:
        assert documents.pdf_for("F-404") is None
        assert documents.pdf_for("../F-1") is None

    def test_asking_again_gives_the_same_bytes(
        self, documents: Documents, pdfs: dict[str, bytes]
    ) -> None:
        assert documents.pdf_for("F-1") == documents.pdf_for("F-1") == pdfs["F-1"]

    def test_concurrent_reads_see_the_same_pdfs(
        self, documents: Documents, pdfs: dict[str, bytes]
    ) -> None:
        seen: list[bool] = []

        def read() -> None:
            seen.extend(documents.pdf_for(number) == data for number, data in pdfs.items())

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [True] * (4 * len(pdfs))
