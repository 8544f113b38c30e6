"""Fuzzing the importers of outside files with hostile text (issue 15): the CSV and JSON
Lines import files of the ``dunning import`` command, and bank files (CAMT.053,
CAMT.054, MT940). Any file gets rows, problems on rows, or one of the library's typed
errors; never a Python built-in exception.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning_core.adapters.bank import read_camt053, read_camt054, read_mt940
from dunning_core.cli._read import read_table
from dunning_core.cli._rows import KINDS, build_row
from dunning_core.errors import DunningError
from dunning_core.testing.strategies import hostile_text

text = hostile_text()
_fixture = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# A valid import file of each kind, into which the fuzzer inserts hostile text.
_GOOD = {
    "accounts": "id,name,currency,email\nA-1,ACME,EUR,billing@acme.example\n",
    "invoices": "number,account_id,issued_on,due_on,amount,currency\n"
    "F-1,A-1,2026-03-01,2026-03-31,120.00,EUR\n",
    "payments": "id,account_id,amount,currency,received_on,bank_reference\n"
    "P-1,A-1,120.00,EUR,2026-04-02,F-1\n",
}
_MT940 = (
    ":20:STARTUMSE\r\n:25:10020030/1234567\r\n:28C:00001/001\r\n"
    ":60F:C260301EUR1000,00\r\n:61:2603020302C120,00NTRFNONREF//B1\r\n"
    ":86:F-1 ACME\r\n:62F:C260302EUR1120,00\r\n-"
)
_CAMT = (
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
    "<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId><CreDtTm>2026-03-02T00:00:00</CreDtTm></GrpHdr>"
    "<Stmt><Id>1</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
    '<Ntry><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
    "<BookgDt><Dt>2026-03-02</Dt></BookgDt><NtryDtls><TxDtls><RmtInf><Ustrd>F-1</Ustrd>"
    "</RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
)


def _mutated(good: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.tuples(st.integers(0, len(good)), text).map(
            lambda cut: (good[: cut[0]] + cut[1] + good[cut[0] :]).encode("utf-8", "replace")
        ),
        st.binary(max_size=200),
        text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


def _answered(call: Any) -> Any:
    try:
        return call()
    except DunningError as error:
        return error


@_fixture
@given(
    kind=st.sampled_from(sorted(_GOOD)),
    raw=st.sampled_from(sorted(_GOOD)).flatmap(lambda kind: _mutated(_GOOD[kind])),
    suffix=st.sampled_from([".csv", ".jsonl", ".txt"]),
)
def test_any_import_file_gives_rows_or_a_typed_error(
    tmp_path: Path, kind: str, raw: bytes, suffix: str
) -> None:
    path = tmp_path / f"import{suffix}"
    path.write_bytes(raw)
    table = _answered(lambda: read_table(path))
    if isinstance(table, DunningError):
        return
    for row in table.rows:
        for decimal in ("point", "comma"):
            built, problems = build_row(KINDS[kind], row, decimal=decimal, date_format=None)
            assert built is None or not problems


@given(st.dictionaries(st.sampled_from(["id", "name", "currency", "email"]), text, max_size=4))
def test_any_jsonl_object_gives_a_row_or_problems(cells: dict[str, str]) -> None:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.jsonl"
        path.write_text(json.dumps(cells) + "\n", encoding="utf-8", errors="surrogatepass")
        table = _answered(lambda: read_table(path))
        if not isinstance(table, DunningError):
            for row in table.rows:
                build_row(KINDS["accounts"], row, decimal="point", date_format=None)


@given(_mutated(_MT940))
def test_any_mt940_file_is_read_or_refused_typed(raw: bytes) -> None:
    _answered(lambda: read_mt940(io.BytesIO(raw)))


@given(_mutated(_CAMT))
def test_any_camt_file_is_read_or_refused_typed(raw: bytes) -> None:
    _answered(lambda: read_camt053(io.BytesIO(raw)))
    _answered(lambda: read_camt054(io.BytesIO(raw)))
