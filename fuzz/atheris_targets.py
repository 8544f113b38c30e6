"""Coverage-guided fuzzing of the parsers that take outside input, with atheris.

``make fuzz`` runs every target for 60 seconds; one by hand::

    .venv/bin/python fuzz/atheris_targets.py toml -max_total_time=60

Each target feeds the fuzzer's bytes to one parser: the TOML configuration, amounts,
invoice rows, bank references, SMS text, templates, account fields, the ``dunning
import`` files (CSV, JSON Lines) and bank statements (MT940, CAMT.053). The library's own errors
(:class:`~dunning_core.errors.DunningError`) are answers; any other exception is a
finding, and atheris stops with the input that raised it (saved as ``crash-*``). The
hypothesis tests in tests/fuzz/ cover the same parsers in ``make test``; this runs them
longer, guided by coverage.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from dunning_core import Account, Contact, Invoice, Money, Payment
    from dunning_core.adapters.bank import read_camt053, read_mt940
    from dunning_core.cli._read import read_table
    from dunning_core.cli._rows import KINDS, build_row
    from dunning_core.cli.sms import main as sms_main
    from dunning_core.config import load_ladders
    from dunning_core.domain.statement import build_statement
    from dunning_core.errors import DunningError
    from dunning_core.policies.allocation import find_invoice_numbers, match_payment
    from dunning_core.policies.allocation._matching import reference_candidates
    from dunning_core.policies.sms import count_segments, gsm_normalize, split_segments
    from dunning_core.rendering.plain import PlainRenderer

D = date(2026, 3, 1)
_FOLDER = Path(tempfile.mkdtemp(prefix="atheris-"))
_ACCOUNT = Account(id="A-1", name="n", currency="EUR")
_INVOICES = [
    Invoice(number=n, account_id="A-1", issued_on=D, due_on=D, amount=Money("100.00", "EUR"))
    for n in ("F-2026-0042", "INV-12", "INV-12-A", "12")
]
_STATEMENT = build_statement(_ACCOUNT, D, invoices=_INVOICES)


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def _answered(call: Callable[[], object]) -> None:
    with contextlib.suppress(DunningError):
        call()


def toml(data: bytes) -> None:
    """A ladders file: raw bytes, as an editor could leave it."""
    path = _FOLDER / "dunning.toml"
    path.write_bytes(data)
    _answered(lambda: load_ladders(path))


def money(data: bytes) -> None:
    """An amount as text, in currencies of 0, 2 and 3 decimals."""
    text = _text(data)
    for currency in ("EUR", "JPY", "BHD"):
        _answered(lambda currency=currency: Money(text, currency))
        _answered(lambda currency=currency: Money.of(text, currency))
    _answered(lambda: Money("10.00", "EUR").times(text))


def invoice_row(data: bytes) -> None:
    """A CSV row: six text columns."""
    provider = atheris.FuzzedDataProvider(data)
    columns = ("number", "account_id", "issued_on", "due_on", "amount", "currency")
    row = {column: provider.ConsumeUnicodeNoSurrogates(24) for column in columns}
    _answered(lambda: Invoice.from_row(row))


def bank_reference(data: bytes) -> None:
    """A bank transfer's free-text reference."""
    text = _text(data)
    reference_candidates(text)
    find_invoice_numbers(text, [invoice.number for invoice in _INVOICES])
    try:
        payment = Payment(
            id="P-1",
            account_id=None,
            amount=Money("100.00", "EUR"),
            received_on=D,
            bank_reference=text,
        )
    except DunningError:
        return
    match_payment(payment, _STATEMENT.open_items)


def sms(data: bytes) -> None:
    """An SMS text: counting, splitting, normalising, and the command line."""
    text = _text(data)
    _answered(lambda: count_segments(text))
    _answered(lambda: split_segments(text))
    _answered(lambda: gsm_normalize(text))
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.suppress(SystemExit),
    ):
        sms_main([" " + text])


def template(data: bytes) -> None:
    """A user's template (subject and body) and a value to put in it."""
    provider = atheris.FuzzedDataProvider(data)
    subject = provider.ConsumeUnicodeNoSurrogates(40)
    body = provider.ConsumeUnicodeNoSurrogates(80)
    value = provider.ConsumeUnicodeNoSurrogates(20)
    renderer = PlainRenderer({("custom", "en"): (subject, body)})
    _answered(lambda: renderer.render("custom", "en_US", {"name": value, "amount": value}))


def account(data: bytes) -> None:
    """An account's identifiers and contacts as an importer reads them."""
    provider = atheris.FuzzedDataProvider(data)
    fields = [provider.ConsumeUnicodeNoSurrogates(20) for _ in range(5)]

    def build() -> Account:
        return Account(
            id=fields[0],
            name=fields[1],
            currency="EUR",
            timezone=fields[2],
            locale=fields[3],
            contacts=[Contact(name=fields[1], email=fields[4], mobile=fields[4])],
        )

    _answered(build)


def _import(data: bytes, suffix: str) -> None:
    path = _FOLDER / f"import{suffix}"
    path.write_bytes(data)
    try:
        table = read_table(path)
    except DunningError:
        return
    for row in table.rows:
        for kind in KINDS.values():
            build_row(kind, row, decimal="point", date_format=None)


def import_csv(data: bytes) -> None:
    """A CSV file for ``dunning import`` (any kind of record)."""
    _import(data, ".csv")


def import_jsonl(data: bytes) -> None:
    """A JSON Lines file for ``dunning import``."""
    _import(data, ".jsonl")


def mt940(data: bytes) -> None:
    """An MT940 bank statement."""
    _answered(lambda: read_mt940(io.BytesIO(data)))


def camt(data: bytes) -> None:
    """A CAMT.053 bank statement (XML)."""
    _answered(lambda: read_camt053(io.BytesIO(data)))


TARGETS: dict[str, Callable[[bytes], None]] = {
    "toml": toml,
    "money": money,
    "invoice_row": invoice_row,
    "bank_reference": bank_reference,
    "sms": sms,
    "template": template,
    "account": account,
    "import_csv": import_csv,
    "import_jsonl": import_jsonl,
    "mt940": mt940,
    "camt": camt,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        print(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
        raise SystemExit(2)
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
