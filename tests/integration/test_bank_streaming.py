"""Streaming: a CAMT.053 file ten times larger is read in about the same memory.

Each file is read in a fresh interpreter that reports its peak RSS. The 200 MB run is
in ``make bench`` (benchmarks/bench_bank.py); here 4 MB against 40 MB keeps the test
quick while a reader that kept its entries (about 1 KB each) would grow by tens of MB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAD = (
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
    "<BkToCstmrStmt><Stmt><Id>BIG</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN>"
    "</Id><Ccy>EUR</Ccy></Acct>\n"
)
ENTRY = (
    '<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
    "<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>"
    "<AcctSvcrRef>REF-{n:09d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
    "<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
    '<EndToEndId>E2E-{n:09d}</EndToEndId></Refs><Amt Ccy="EUR">{amount}</Amt>'
    "<CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Customer {n}</Nm></Pty></Dbtr>"
    "<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>"
    "<RmtInf><Ustrd>Invoice F-2026-{n:07d} thank you for your business</Ustrd></RmtInf>"
    "</TxDtls></NtryDtls></Ntry>\n"
)
TAIL = "</Stmt></BkToCstmrStmt></Document>\n"

# VmHWM is the child's own high-water mark (ru_maxrss would carry pytest's over exec).
READER = """
import sys
from dunning_core.adapters.bank import stream_camt053
stream = stream_camt053(sys.argv[1])
count = sum(1 for _ in stream)
assert not stream.problems, stream.problems[:3]
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(count, peak)
"""


def write_statement(path: Path, megabytes: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        while out.tell() < megabytes * 1_000_000:
            count += 1
            out.write(ENTRY.format(n=count, amount=f"{count % 997 + 1}.{count % 100:02d}"))
        out.write(TAIL)
    return count


def peak_rss_kb(path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path)], capture_output=True, text=True, check=True
    )
    count, rss = done.stdout.split()
    return int(count), int(rss)


def test_reading_ten_times_more_entries_takes_about_the_same_memory(tmp_path: Path) -> None:
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    small_count = write_statement(small, 4)
    large_count = write_statement(large, 40)
    read_small, rss_small = peak_rss_kb(small)
    read_large, rss_large = peak_rss_kb(large)
    assert (read_small, read_large) == (small_count, large_count)
    print(f"peak RSS: {rss_small} KB for {small_count} entries, {rss_large} KB for {large_count}")
    # 36 MB more of entries; keeping them would cost far more than 10 MB.
    assert rss_large - rss_small < 10_000
