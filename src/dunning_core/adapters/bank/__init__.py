"""Money arriving from banks: CAMT.053 / CAMT.054 and MT940 statements (extra ``bank``).

Each reader takes a path or a binary file object and returns a
:class:`BankFileContents`: the :class:`~dunning_core.domain.bank.BankEntry` objects read
(a batch booking as one entry per transaction), the problems found with their position
(the rest of the file is still read) and each statement's totals, checked against the
statement's own control figures. The ``stream_*`` variants return a single-pass
:class:`BankFileStream` that holds one entry at a time, for files of any size.

A file that cannot be read at all raises: :class:`~dunning_core.errors.HostileBankFile`
(a DTD, entity or external reference: XML bombs and XXE),
:class:`~dunning_core.errors.MalformedBankFile` (truncated, not well-formed),
:class:`~dunning_core.errors.UnsupportedBankFile` (another message or namespace).

:func:`~dunning_core.service.bank.import_statement` turns the entries into recorded,
identified and allocated payments and reversals.
"""

from __future__ import annotations

from collections.abc import Mapping

from dunning_core.adapters.bank._camt import SUPPORTED_VERSIONS, camt_items
from dunning_core.adapters.bank._files import (
    BankFileContents,
    BankFileStream,
    Source,
    source_name,
)
from dunning_core.adapters.bank._mt940 import (
    GERMAN_RETURN_REASONS,
    mt940_items,
    return_reason_table,
)
from dunning_core.adapters.webhook_signatures import (
    DEFAULT_TOLERANCE,
    stripe_signature_header,
    verify_stripe_signature,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "GERMAN_RETURN_REASONS",
    "SUPPORTED_VERSIONS",
    "BankFileContents",
    "BankFileStream",
    "read_camt053",
    "read_camt054",
    "read_mt940",
    "stream_camt053",
    "stream_camt054",
    "stream_mt940",
    "stripe_signature_header",
    "verify_stripe_signature",
]


def stream_camt053(source: Source) -> BankFileStream:
    """Read an ISO 20022 CAMT.053 bank-to-customer statement as it is iterated.

    Args:
        source: A path, or a binary file object (left open).

    Returns:
        A single-pass stream of entries; its ``problems`` and ``statements`` are complete
        once it is exhausted.
    """
    name = source_name(source)
    return BankFileStream(name, lambda: camt_items(source, name, "053"))


def stream_camt054(source: Source) -> BankFileStream:
    """Read an ISO 20022 CAMT.054 debit/credit notification as it is iterated.

    Args:
        source: A path, or a binary file object (left open).

    Returns:
        A single-pass stream of entries.
    """
    name = source_name(source)
    return BankFileStream(name, lambda: camt_items(source, name, "054"))


def stream_mt940(
    source: Source, *, return_reasons: Mapping[str, str] | None = None
) -> BankFileStream:
    """Read an MT940 statement file as it is iterated (the file itself is read whole:
    MT940 files are small).

    Args:
        source: A path, or a binary file object (left open).
        return_reasons: German ``?34`` return codes -> ISO reason codes, as your bank
            documents them, over :data:`GERMAN_RETURN_REASONS`.

    Returns:
        A single-pass stream of entries.

    Raises:
        InvalidField: a ``return_reasons`` key that is not three digits or a value that
            is not an ISO reason code.
    """
    name = source_name(source)
    table = return_reason_table(return_reasons)
    return BankFileStream(name, lambda: mt940_items(source, name, table))


def read_camt053(source: Source) -> BankFileContents:
    """Read a CAMT.053 statement file (versions .001.02 to .001.13).

    Args:
        source: A path, or a binary file object (left open).

    Returns:
        The entries, the problems (with their line) and the statements' totals.

    Raises:
        HostileBankFile: the document declares a DTD, entities or external references.
        MalformedBankFile: the XML is not well-formed (a truncated file).
        UnsupportedBankFile: the root is not a camt.053 ``Document`` of a supported
            version.
    """
    return stream_camt053(source).read_all()


def read_camt054(source: Source) -> BankFileContents:
    """Read a CAMT.054 debit/credit notification file (versions .001.02 to .001.13).

    Args:
        source: A path, or a binary file object (left open).

    Returns:
        The entries, the problems and the notifications' totals.

    Raises:
        HostileBankFile, MalformedBankFile, UnsupportedBankFile: as
            :func:`read_camt053`.
    """
    return stream_camt054(source).read_all()


def read_mt940(
    source: Source, *, return_reasons: Mapping[str, str] | None = None
) -> BankFileContents:
    """Read an MT940 file (German ``?20`` sub-fields or SWIFT ``/EREF/`` details).

    A German returned direct debit gets its original end-to-end id (``EREF+``) and its
    ISO reason: the SEPA reason code its text names, else its ``?34`` code looked up in
    ``return_reasons`` over :data:`GERMAN_RETURN_REASONS`.

    Args:
        source: A path, or a binary file object (left open).
        return_reasons: German ``?34`` return codes -> ISO reason codes (``{"909":
            "MD01"}``), as your bank's MT940 guide lists them.

    Returns:
        The entries, the problems and the statements' totals (opening balance plus the
        entries must give the closing balance).

    Raises:
        MalformedBankFile: a statement lacks its account or a balance (truncated).
        UnsupportedBankFile: there is no ``:20:`` statement in the file.
        InvalidField: a bad ``return_reasons`` entry.
    """
    return stream_mt940(source, return_reasons=return_reasons).read_all()
