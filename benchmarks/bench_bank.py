"""Bank statements: reading a 100,000-entry CAMT.053 against a bare iterparse loop.

The statement is generated in a temporary directory (about 1 KB per entry: references,
a bank transaction code, the payer's name and IBAN, a remittance line). Three figures:

1. ``read_camt053`` streaming the file into ``BankEntry`` objects (entries per second)
   against a bare lxml ``iterparse`` loop over the same file in the same run (every
   element's end event, its text touched, each entry dropped once read): the target is
   within 3x. Median of three passes each.
2. Peak RSS of each, in a fresh interpreter, and of ``read_camt053`` over a 200 MB
   file: constant memory means the 200 MB figure stays near the 100,000-entry one.
3. ``import_statement`` into the memory store (recording, identifying by invoice number,
   allocating), for information: it is the ledger's work, not the reader's.

Run: ``.venv/bin/python benchmarks/bench_bank.py`` (``--quick`` for small files).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HEAD = (
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
    "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId></GrpHdr><Stmt><Id>BENCH</Id><Acct><Id>"
    "<IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
)
ENTRY = (
    '<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
    "<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>"
    "<AcctSvcrRef>REF-{n:09d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
    "<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
    '<EndToEndId>E2E-{n:09d}</EndToEndId></Refs><Amt Ccy="EUR">{amount}</Amt>'
    "<CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Customer {account}</Nm></Pty>"
    "</Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>"
    "<RmtInf><Ustrd>Payment of invoice F-{account:06d}-1 thank you</Ustrd></RmtInf>"
    "</TxDtls></NtryDtls></Ntry>\n"
)
TAIL = "</Stmt></BkToCstmrStmt></Document>\n"
IBANS = ("DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300")

BARE = """
import sys
from lxml import etree

def bare(path):
    touched = 0
    for _, element in etree.iterparse(
        path, events=("end",), resolve_entities=False, no_network=True, load_dtd=False
    ):
        touched += len(element.text or "")
        if element.tag.endswith("}Ntry"):
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return touched
"""
OURS = """
from dunning_core.adapters.bank import stream_camt053

def ours(path):
    stream = stream_camt053(path)
    count = sum(1 for _ in stream)
    assert not stream.problems, stream.problems[:3]
    return count
"""
# VmHWM is this process's own high-water mark: ru_maxrss would carry the parent's over
# exec on Linux, hiding what the child itself used.
PEAK = """
import sys
{code}
{function}(sys.argv[1])
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def write_statement(path: Path, entries: int = 0, *, megabytes: int = 0) -> int:
    """Write ``entries`` entries, or as many as make ``megabytes``; return the count."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        n = 0
        while (n < entries) if entries else (out.tell() < megabytes * 1_000_000):
            n += 1
            out.write(
                ENTRY.format(
                    n=n,
                    account=n % 5_000,
                    iban=IBANS[n % len(IBANS)],
                    amount=f"{n % 997 + 1}.{n % 100:02d}",
                )
            )
        out.write(TAIL)
    return n


def peak_rss_mb(code: str, function: str, path: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PEAK.format(code=code, function=function), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{function} failed on {path}:\n{done.stderr}")
    return int(done.stdout.split()[-1]) / 1024


def paired_seconds(bare: object, ours: object, path: Path, passes: int = 3) -> tuple[float, float]:
    """Median seconds of each, the two run alternately so that a busy neighbour on the
    machine slows both alike."""
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(passes):
        for index, run in enumerate((bare, ours)):
            start = time.perf_counter()
            run(str(path))  # type: ignore[operator]
            times[index].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def import_throughput(accounts: int) -> tuple[int, float]:
    """Entries per second through import_statement into the memory store."""
    from dunning_core import Account, Invoice, Money
    from dunning_core.adapters.bank import read_camt053
    from dunning_core.adapters.storage.memory import MemoryStore
    from dunning_core.service.bank import EntryStatus, import_statement

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.xml"
        write_statement(path, accounts)
        contents = read_camt053(path)
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for n in range(accounts):
            uow.accounts.add(Account(id=f"A-{n:06d}", name=f"Customer {n}", currency="EUR"))
        uow.ledger.add_invoices(
            Invoice(
                number=f"F-{n:06d}-1",
                account_id=f"A-{n:06d}",
                issued_on=date(2026, 1, 1),
                due_on=date(2026, 2, 1),
                amount=Money("500.00", "EUR"),
            )
            for n in range(accounts)
        )
        uow.commit()
    start = time.perf_counter()
    report = import_statement(store.unit_of_work, contents, date(2026, 3, 2))
    elapsed = time.perf_counter() - start
    recorded = len(report.with_status(EntryStatus.RECORDED))
    return recorded, len(contents) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 entries and 20 MB")
    args = parser.parse_args()
    entries = 10_000 if args.quick else 100_000
    big_megabytes = 20 if args.quick else 200
    namespace: dict[str, object] = {}
    exec(BARE, namespace)
    exec(OURS, namespace)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statement.xml"
        write_statement(path, entries)
        size = path.stat().st_size
        bare, ours = paired_seconds(namespace["bare"], namespace["ours"], path)
        rss_bare = peak_rss_mb(BARE, "bare", path)
        rss_ours = peak_rss_mb(OURS, "ours", path)
        big = Path(tmp) / "big.xml"
        big_entries = write_statement(big, megabytes=big_megabytes)
        big_size = big.stat().st_size
        path.unlink()
        rss_big = peak_rss_mb(OURS, "ours", big)
    ratio = ours / bare
    print(f"CAMT.053, {entries:,} entries, {size / 1e6:.0f} MB")
    print(
        f"  bare iterparse loop : {bare:6.2f} s  {entries / bare:9,.0f} entries/s  "
        f"peak RSS {rss_bare:6.1f} MB"
    )
    print(
        f"  read_camt053        : {ours:6.2f} s  {entries / ours:9,.0f} entries/s  "
        f"peak RSS {rss_ours:6.1f} MB"
    )
    print(f"  ratio {ratio:.2f}x (target: within 3x)  {'OK' if ratio <= 3 else 'MISSED'}")
    print(
        f"CAMT.053, {big_entries:,} entries, {big_size / 1e6:.0f} MB: "
        f"read_camt053 peak RSS {rss_big:.1f} MB "
        f"({rss_big - rss_ours:+.1f} MB against {entries:,} entries)"
    )
    accounts = 2_000 if args.quick else 10_000
    recorded, per_second = import_throughput(accounts)
    print(
        f"import_statement, memory store, {accounts:,} credits named by invoice number: "
        f"{per_second:,.0f} entries/s ({recorded:,} recorded and allocated)"
    )
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
