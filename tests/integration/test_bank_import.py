"""import_statement over the sample statements in tests/data/bank, on the memory store.

The portfolio below is the set of facts the samples were written against: who owes
what, and which payer IBAN the team knows. Every expectation is worked out from those
facts and the samples' own text (the invoice numbers they name, the RF reference they
carry, the reason codes), not from the library's output.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum.iso7064 import mod_97_10

from dunning_core import Account, Invoice, Money, Payment, PaymentMethod
from dunning_core.adapters.bank import (
    BankFileContents,
    read_camt053,
    read_camt054,
    read_mt940,
    stream_camt053,
)
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.payment import PaymentStatus
from dunning_core.errors import InvalidIban, MalformedBankFile
from dunning_core.policies.ladder import DunningHistory, evaluate_ladder
from dunning_core.policies.ladder.presets import FIVE_NOTICES_THEN_TERMINATION
from dunning_core.service._steps import statement_of
from dunning_core.service.bank import (
    DIRECT_DEBIT_RETRY,
    DIRECT_DEBIT_STOP,
    EntryStatus,
    MatchedBy,
    import_statement,
)
from dunning_core.service.payments import record_payment

DATA = Path(__file__).resolve().parents[1] / "data" / "bank"
ISSUED, DUE = date(2026, 1, 15), date(2026, 2, 14)
#: invoice number -> (account, amount, currency)
INVOICES = {
    "F-2026-0101": ("A-100", "100.00", "EUR"),
    "F-2026-0102": ("A-100", "250.50", "EUR"),
    "F-2026-0103": ("A-100", "49.50", "EUR"),
    "F-2026-0201": ("A-200", "1200.00", "EUR"),
    "F-2026-0301": ("A-300", "75.00", "EUR"),
    "F-2026-0401": ("A-400", "89.90", "EUR"),
    "F-2026-0501": ("A-500", "39.90", "EUR"),
    "F-2026-0601": ("A-600", "1500.00", "USD"),
}
#: The team knows Cafe du Nord's IBAN (from its mandate form).
PAYER_IBANS = {"DE89370400440532013000": "A-300"}


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for account_id in sorted({a for a, _, _ in INVOICES.values()}):
            currency = "USD" if account_id == "A-600" else "EUR"
            uow.accounts.add(Account(id=account_id, name=account_id, currency=currency))
        uow.ledger.add_invoices(
            Invoice(
                number=number,
                account_id=account_id,
                issued_on=ISSUED,
                due_on=DUE,
                amount=Money(amount, currency),
            )
            for number, (account_id, amount, currency) in INVOICES.items()
        )
        uow.commit()
    return store


def open_amounts(store: MemoryStore, as_of: date) -> dict[str, Decimal]:
    accounts = sorted({a for a, _, _ in INVOICES.values()})
    with store.unit_of_work() as uow:
        ledgers = uow.ledger.load(accounts)
        found = {}
        for account_id in accounts:
            account = uow.accounts.get(account_id)
            assert account is not None
            for item in statement_of(account, ledgers[account_id], as_of).items:
                found[item.invoice.number] = item.open_amount.amount
    return found


def snapshot(store: MemoryStore) -> tuple[object, ...]:
    accounts = sorted({a for a, _, _ in INVOICES.values()})
    with store.unit_of_work() as uow:
        ledgers = uow.ledger.load(accounts)
        return (
            tuple(sorted((p.id, p.status) for ledger in ledgers.values() for p in ledger.payments)),
            tuple(sorted(repr(a) for ledger in ledgers.values() for a in ledger.allocations)),
            tuple(p.id for p in uow.ledger.unidentified_payments(limit=1000)),
            tuple(sorted(uow.outbox.messages_of(accounts).items())),
            tuple(sorted(uow.facts.load(accounts).items())),
            uow.outbox.counts(),
        )


def test_day_one_identifies_each_credit_by_the_strongest_evidence(store: MemoryStore) -> None:
    report = import_statement(
        store.unit_of_work,
        read_camt053(DATA / "camt053_v02_day1.xml"),
        date(2026, 3, 2),
        payer_ibans=PAYER_IBANS,
    )
    by_ref = {o.entry.reference: o for o in report.outcomes}
    # Lump sum naming three invoices of A-100 (100.00 + 250.50 + 49.50 = 400.00).
    assert by_ref["BNK-20260302-0001"].matched_by is MatchedBy.INVOICE_NUMBER
    assert by_ref["BNK-20260302-0001"].account_id == "A-100"
    # RF reference: RF + ISO 7064 check digits of F20260201, nothing else in the text.
    check = mod_97_10.calc_check_digits("F20260201RF")
    assert by_ref["BNK-20260302-0002"].entry.creditor_reference == f"RF{check}F20260201"
    assert by_ref["BNK-20260302-0002"].matched_by is MatchedBy.CREDITOR_REFERENCE
    assert by_ref["BNK-20260302-0002"].account_id == "A-200"
    # No reference at all, but the payer IBAN is Cafe du Nord's.
    assert by_ref["BNK-20260302-0003"].matched_by is MatchedBy.PAYER_IBAN
    assert by_ref["BNK-20260302-0003"].account_id == "A-300"
    # The batch booking: one entry, two collections, each its own payment.
    assert by_ref["BNK-20260302-0004/1"].payment_id == "DD-0401-1"
    assert by_ref["BNK-20260302-0004/1"].account_id == "A-400"
    assert by_ref["BNK-20260302-0004/2"].payment_id == "DD-0501-1"
    assert by_ref["BNK-20260302-0004/2"].account_id == "A-500"
    # Nobody known: suspense.
    assert by_ref["BNK-20260302-0005"].status is EntryStatus.UNIDENTIFIED
    # The foreign-currency credit pays the USD invoice in USD.
    assert by_ref["BNK-USD-20260302-0001"].account_id == "A-600"
    assert report.problems == ()
    # Seven credits (the batch counts two): six identified, one in suspense.
    assert len(report.recorded) == 6 and len(report.unidentified) == 1
    # Every invoice the samples pay is settled exactly.
    # (the USD credit's value date is 3 March).
    assert set(open_amounts(store, date(2026, 3, 3)).values()) == {Decimal("0.00")}


def test_importing_the_same_statement_twice_changes_nothing(store: MemoryStore) -> None:
    contents = read_camt053(DATA / "camt053_v02_day1.xml")
    import_statement(store.unit_of_work, contents, date(2026, 3, 2), payer_ibans=PAYER_IBANS)
    before = snapshot(store)
    again = import_statement(
        store.unit_of_work, contents, date(2026, 3, 3), payer_ibans=PAYER_IBANS
    )
    assert snapshot(store) == before
    assert again.changed_nothing
    assert {o.status for o in again.outcomes} == {EntryStatus.ALREADY_IMPORTED}


def _reader(path: Path) -> Callable[[Path], BankFileContents]:
    if path.suffix == ".sta":
        return read_mt940
    return read_camt054 if path.name.startswith("camt054") else read_camt053


#: Files a sample needs imported first (the collections its returns or re-presentations
#: are about), and the day each is imported on; any other file stands alone.
BEFORE = {
    "camt054_v08_representation.xml": ("camt053_v02_day1.xml", "camt053_v08_days2to5.xml"),
}
IMPORTED_ON = {
    "camt053_v02_day1.xml": date(2026, 3, 2),
    "mt940_de_day1.sta": date(2026, 3, 2),
    "camt053_v08_days2to5.xml": date(2026, 3, 5),
    "mt940_nl_day4.sta": date(2026, 3, 5),
    "mt940_de_returns.sta": date(2026, 3, 9),
    "camt054_v08_representation.xml": date(2026, 3, 16),
}
SAMPLES = sorted(path.name for path in DATA.iterdir() if path.suffix in {".xml", ".sta"})


def test_every_sample_is_in_the_idempotence_test() -> None:
    assert len(SAMPLES) >= 6 and set(IMPORTED_ON) <= set(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_importing_any_sample_a_second_time_changes_nothing(store: MemoryStore, name: str) -> None:
    for earlier in BEFORE.get(name, ()):
        path = DATA / earlier
        import_statement(
            store.unit_of_work, _reader(path)(path), IMPORTED_ON[earlier], payer_ibans=PAYER_IBANS
        )
    path = DATA / name
    day = IMPORTED_ON.get(name, date(2026, 3, 31))
    first = import_statement(store.unit_of_work, _reader(path)(path), day, payer_ibans=PAYER_IBANS)
    assert not first.changed_nothing  # the sample does something the second import repeats
    before = snapshot(store)
    again = import_statement(
        store.unit_of_work, _reader(path)(path), day + timedelta(days=1), payer_ibans=PAYER_IBANS
    )
    assert again.changed_nothing
    assert snapshot(store) == before
    assert not again.recorded and not again.returns and not again.unidentified


def test_returns_reopen_invoices_and_follow_their_reason_codes(store: MemoryStore) -> None:
    import_statement(
        store.unit_of_work,
        read_camt053(DATA / "camt053_v02_day1.xml"),
        date(2026, 3, 2),
        payer_ibans=PAYER_IBANS,
    )
    report = import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v08_days2to5.xml"), date(2026, 3, 5)
    )
    statuses = [(o.entry.reference, o.status) for o in report.outcomes]
    # The overlapping batch is recorded once; the two returns reverse their collections.
    assert statuses == [
        ("BNK-20260302-0004/1", EntryStatus.ALREADY_IMPORTED),
        ("BNK-20260302-0004/2", EntryStatus.ALREADY_IMPORTED),
        ("BNK-20260305-0001", EntryStatus.RETURNED),
        ("BNK-20260305-0002", EntryStatus.RETURNED),
    ]
    assert open_amounts(store, date(2026, 3, 5))["F-2026-0401"] == Decimal("89.90")
    assert open_amounts(store, date(2026, 3, 5))["F-2026-0501"] == Decimal("39.90")
    with store.unit_of_work() as uow:
        assert uow.ledger.get_payment("DD-0401-1").status is PaymentStatus.FAILED  # type: ignore[union-attr]
        messages = uow.outbox.messages_of(["A-400", "A-500"])
        facts = uow.facts.load(["A-400", "A-500"])
    # AM04 on Thursday 5 March: five business days later is Thursday 12 March.
    (retry,) = messages["A-400"]
    assert retry.channel == DIRECT_DEBIT_RETRY
    assert json.loads(retry.body)["retry_on"] == "2026-03-12"
    assert json.loads(retry.body)["end_to_end_id"] == "DD-0401-1-R1"
    assert retry.next_attempt_at.date() == date(2026, 3, 12)
    (hold,) = facts["A-400"].holds
    assert hold.invoice_number is None  # the account's notices pause, allocation does not
    assert (hold.starts_on, hold.ends_on) == (date(2026, 3, 5), date(2026, 3, 19))
    # MD01: no retry, direct debit stops, no hold (the ladder takes over).
    (stop,) = messages["A-500"]
    assert stop.channel == DIRECT_DEBIT_STOP
    assert facts["A-500"].holds == ()


def test_the_ladder_holds_overdue_notices_while_a_re_presentation_is_pending(
    store: MemoryStore,
) -> None:
    import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v02_day1.xml"), date(2026, 3, 2)
    )
    import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v08_days2to5.xml"), date(2026, 3, 5)
    )
    # 11 March: both invoices 25 days past due (the preset's last stage), the
    # re-presentation due on 12 March.
    day = date(2026, 3, 11)
    with store.unit_of_work() as uow:
        ledgers = uow.ledger.load(["A-400", "A-500"])
        facts = uow.facts.load(["A-400", "A-500"])
        accounts = uow.accounts.get_many(["A-400", "A-500"])
    noticed = {}
    for account_id in ("A-400", "A-500"):
        actions = evaluate_ladder(
            FIVE_NOTICES_THEN_TERMINATION,
            statement_of(accounts[account_id], ledgers[account_id], day),
            DunningHistory(account_id=account_id, records=()),
            day,
            facts=facts[account_id],
        )
        noticed[account_id] = {n for a in actions for n in a.invoice_numbers}
    assert noticed["A-400"] == set()  # held: the re-presentation is pending
    assert noticed["A-500"] == {"F-2026-0501"}  # MD01: straight back to the ladder
    # After the hold (12 March + 5 business days = 19 March) the ladder resumes.
    later = date(2026, 3, 20)
    actions = evaluate_ladder(
        FIVE_NOTICES_THEN_TERMINATION,
        statement_of(accounts["A-400"], ledgers["A-400"], later),
        DunningHistory(account_id="A-400", records=()),
        later,
        facts=facts["A-400"],
    )
    assert {n for a in actions for n in a.invoice_numbers} == {"F-2026-0401"}


def test_a_successful_re_presentation_settles_the_invoice_once(store: MemoryStore) -> None:
    for name, reader, day in (
        ("camt053_v02_day1.xml", read_camt053, date(2026, 3, 2)),
        ("camt053_v08_days2to5.xml", read_camt053, date(2026, 3, 5)),
        ("camt054_v08_representation.xml", read_camt054, date(2026, 3, 16)),
    ):
        last = import_statement(store.unit_of_work, reader(DATA / name), day)
    (outcome,) = last.outcomes
    assert outcome.matched_by is MatchedBy.RE_PRESENTATION
    assert outcome.payment_id == "DD-0401-1-R1" and outcome.account_id == "A-400"
    assert open_amounts(store, date(2026, 3, 16))["F-2026-0401"] == Decimal("0.00")
    before = snapshot(store)
    again = import_statement(
        store.unit_of_work,
        read_camt054(DATA / "camt054_v08_representation.xml"),
        date(2026, 3, 17),
    )
    assert again.changed_nothing and snapshot(store) == before


def test_a_returned_re_presentation_is_not_retried_again(store: MemoryStore) -> None:
    import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v02_day1.xml"), date(2026, 3, 2)
    )
    import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v08_days2to5.xml"), date(2026, 3, 5)
    )
    import_statement(
        store.unit_of_work,
        read_camt054(DATA / "camt054_v08_representation.xml"),
        date(2026, 3, 16),
    )
    second_return = (DATA / "camt053_v08_days2to5.xml").read_text(encoding="utf-8")
    # The same AM04 return, now of the re-presentation, booked on 19 March.
    body = second_return.split("<!-- Delta's direct debit comes back")[1].split("</Ntry>")[0]
    entry = "<Ntry>" + body.split("<Ntry>", 1)[1] + "</Ntry>"
    entry = entry.replace("DD-0401-1<", "DD-0401-1-R1<").replace("2026-03-05", "2026-03-19")
    entry = entry.replace("BNK-20260305-0001", "BNK-20260319-0001")
    head = second_return.split("<Ntry>", 1)[0]
    head = head.split("<TxsSummry>")[0].replace("11708.00", "0.00")
    xml = head + entry + "</Stmt></BkToCstmrStmt></Document>"
    path = DATA.parent.parent / "data" / "bank"  # read-only samples; write to tmp below
    del path
    from io import BytesIO

    contents = read_camt053(BytesIO(xml.encode("utf-8")))
    report = import_statement(store.unit_of_work, contents, date(2026, 3, 19))
    (outcome,) = report.outcomes
    assert outcome.status is EntryStatus.RETURNED
    assert outcome.retry is not None and outcome.retry.action.value == "NO_RETRY"
    assert open_amounts(store, date(2026, 3, 19))["F-2026-0401"] == Decimal("89.90")


def test_mt940_dialects_are_applied_like_camt(store: MemoryStore) -> None:
    day1 = import_statement(
        store.unit_of_work,
        read_mt940(DATA / "mt940_de_day1.sta"),
        date(2026, 3, 2),
        payer_ibans=PAYER_IBANS,
    )
    # German dialect: the RF reference typed into SVWZ+, a known IBAN, and a stranger.
    assert [(o.account_id, o.matched_by) for o in day1.outcomes] == [
        ("A-200", MatchedBy.CREDITOR_REFERENCE),
        ("A-300", MatchedBy.PAYER_IBAN),
        (None, None),
    ]
    # SWIFT dialect: the lump sum, and returns of collections never recorded here.
    day4 = import_statement(
        store.unit_of_work, read_mt940(DATA / "mt940_nl_day4.sta"), date(2026, 3, 5)
    )
    assert day4.outcomes[0].account_id == "A-100"
    assert day4.outcomes[0].invoice_numbers == ("F-2026-0101", "F-2026-0102", "F-2026-0103")
    assert [o.status for o in day4.outcomes[1:]] == [EntryStatus.REJECTED] * 2
    assert [o.entry.return_reason for o in day4.outcomes[1:]] == ["AM04", "MD01"]
    assert len(day4.problems) == 2  # reported with their lines, nothing written for them


def test_german_mt940_returns_follow_their_reason_codes_like_camt(store: MemoryStore) -> None:
    # The sample: on Monday 2 March three collections, one per invoice named in SVWZ+;
    # on Monday 9 March each comes back (GVC 109): AM04 (RTRN+AM04 in the text), MD01
    # ("Rueckgabegrund MD01"), MD06 (?34 912, objection by the payer).
    contents = read_mt940(DATA / "mt940_de_returns.sta")
    report = import_statement(store.unit_of_work, contents, date(2026, 3, 9))
    collected = report.outcomes[:3]
    assert [(o.status, o.account_id, o.payment_id) for o in collected] == [
        (EntryStatus.RECORDED, "A-400", "DE-DD-0401-1"),
        (EntryStatus.RECORDED, "A-500", "DE-DD-0501-1"),
        (EntryStatus.RECORDED, "A-300", "DE-DD-0301-1"),
    ]
    returned = report.outcomes[3:]
    assert [o.status for o in returned] == [EntryStatus.RETURNED] * 3
    assert [o.retry.action.value if o.retry else None for o in returned] == [
        "RETRY",
        "STOP_DIRECT_DEBIT",
        "NO_RETRY",
    ]
    reopened = open_amounts(store, date(2026, 3, 9))
    assert (reopened["F-2026-0401"], reopened["F-2026-0501"], reopened["F-2026-0301"]) == (
        Decimal("89.90"),
        Decimal("39.90"),
        Decimal("75.00"),
    )
    with store.unit_of_work() as uow:
        messages = uow.outbox.messages_of(["A-300", "A-400", "A-500"])
        facts = uow.facts.load(["A-400"])
    # AM04 on Monday 9 March: five business days later is Monday 16 March (not 1st-3rd).
    (retry,) = messages["A-400"]
    assert retry.channel == DIRECT_DEBIT_RETRY
    assert json.loads(retry.body)["retry_on"] == "2026-03-16"
    assert json.loads(retry.body)["end_to_end_id"] == "DE-DD-0401-1-R1"
    (hold,) = facts["A-400"].holds
    assert (hold.starts_on, hold.ends_on) == (date(2026, 3, 9), date(2026, 3, 23))
    (stop,) = messages["A-500"]
    assert stop.channel == DIRECT_DEBIT_STOP
    assert messages["A-300"] == ()  # MD06 neither retries nor stops: the ladder goes on
    again = import_statement(store.unit_of_work, contents, date(2026, 3, 10))
    assert again.changed_nothing


def test_overlapping_mt940_and_camt_returns_apply_once(store: MemoryStore) -> None:
    import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v02_day1.xml"), date(2026, 3, 2)
    )
    camt = import_statement(
        store.unit_of_work, read_camt053(DATA / "camt053_v08_days2to5.xml"), date(2026, 3, 5)
    )
    before = snapshot(store)
    mt = import_statement(
        store.unit_of_work, read_mt940(DATA / "mt940_nl_day4.sta"), date(2026, 3, 5)
    )
    # The NL statement reports the same two returns: already applied by the CAMT file.
    assert [o.status for o in mt.outcomes[1:]] == [EntryStatus.ALREADY_IMPORTED] * 2
    assert len(camt.returns) == 2
    after = snapshot(store)
    assert after[3:] == before[3:]  # no second retry message, no second hold


def test_a_truncated_file_writes_nothing(store: MemoryStore) -> None:
    data = (DATA / "camt053_v02_day1.xml").read_bytes()
    cut = data[: data.index(b"<!-- Nobody we know")]  # four entries in, then it stops
    with pytest.raises(MalformedBankFile):
        import_statement(store.unit_of_work, stream_camt053(io.BytesIO(cut)), date(2026, 3, 2))
    with store.unit_of_work() as uow:
        assert uow.ledger.get_payment("BNK-20260302-0001") is None
        assert uow.ledger.unidentified_payments() == []


def test_a_card_chargeback_on_the_statement_reverses_the_card_payment(
    store: MemoryStore,
) -> None:
    record_payment(
        store.unit_of_work(),
        Payment(
            id="CARD-7",
            account_id="A-200",
            amount=Money("1200.00", "EUR"),
            received_on=date(2026, 3, 2),
            method=PaymentMethod.CARD,
        ),
        as_of=date(2026, 3, 2),
    )
    chargeback = (
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        b"<BkToCstmrStmt><Stmt><Id>S</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN>"
        b'</Id></Acct><Ntry><Amt Ccy="EUR">1200.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        b"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-20</Dt></BookgDt>"
        b"<AcctSvcrRef>CB-1</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>MCRD</Cd>"
        b"<SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
        b"<EndToEndId>CARD-7</EndToEndId></Refs><RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf>"
        b"</TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    report = import_statement(
        store.unit_of_work, read_camt053(io.BytesIO(chargeback)), date(2026, 3, 20)
    )
    (outcome,) = report.outcomes
    assert outcome.status is EntryStatus.RETURNED and outcome.retry is None
    with store.unit_of_work() as uow:
        payment = uow.ledger.get_payment("CARD-7")
        assert payment is not None and payment.status is PaymentStatus.CHARGED_BACK
        assert uow.outbox.messages_of(["A-200"])["A-200"] == ()  # no retry for a card
    assert open_amounts(store, date(2026, 3, 20))["F-2026-0201"] == Decimal("1200.00")


def test_payer_ibans_are_checked(store: MemoryStore) -> None:
    with pytest.raises(InvalidIban):
        import_statement(store.unit_of_work, [], date(2026, 3, 2), payer_ibans={"DE00": "A-1"})
