"""DirectoryDocuments passes the shipped Documents contract."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from dunning_core.adapters.documents import DirectoryDocuments, default_file_name
from dunning_core.errors import InvalidField
from dunning_core.testing.contracts.documents import DocumentsContract, sample_pdf


class TestDirectoryDocuments(DocumentsContract):
    def make_documents(self, pdfs: Mapping[str, bytes]) -> DirectoryDocuments:
        root = self.tmp_path / "invoices"
        root.mkdir()
        for number, data in pdfs.items():
            (root / default_file_name(number)).write_bytes(data)
        (self.tmp_path / "F-1.pdf").write_bytes(sample_pdf("outside the root"))
        return DirectoryDocuments(root)


def test_a_file_that_is_not_a_pdf_is_not_served(tmp_path: Path) -> None:
    (tmp_path / "F-9.pdf").write_bytes(b"<html>not a pdf</html>")
    assert DirectoryDocuments(tmp_path).pdf_for("F-9") is None


def test_the_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidField, match="DirectoryDocuments.root"):
        DirectoryDocuments(tmp_path / "missing")


def test_the_sample_pdf_is_a_pdf_poppler_reads(tmp_path: Path) -> None:
    path = tmp_path / "sample.pdf"
    path.write_bytes(sample_pdf("Invoice 42"))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Invoice 42" in text


def test_a_file_name_leading_outside_the_root_is_never_read(tmp_path: Path) -> None:
    root = tmp_path / "invoices"
    root.mkdir()
    (tmp_path / "secret.pdf").write_bytes(sample_pdf("not an invoice"))
    documents = DirectoryDocuments(root, file_name=lambda number: f"{number}.pdf")
    assert documents.pdf_for("../secret") is None
