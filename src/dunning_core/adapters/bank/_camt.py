"""ISO 20022 CAMT.053 (statement) and CAMT.054 (debit/credit notification) readers.

The file is parsed by lxml's ``iterparse`` with entity resolution, DTD loading and
network access off; a document that declares a DTD at all (the carrier of every XML
bomb and XXE) is refused before its first element is looked at. Each ``Ntry`` is read
when it ends and then dropped with everything before it, so memory stays flat however
long the file is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
from lxml import etree

from dunning_core.adapters.bank._camt_fields import (
    Flat,
    Paths,
    StatementState,
    count_of,
    date_of,
    decimal_of,
    iban_of,
    money_of,
    text_at,
)
from dunning_core.adapters.bank._files import (
    EntryRejected,
    Item,
    Source,
    add,
    check_totals,
    problem_of,
)
from dunning_core.domain.bank import (
    BankEntry,
    BankTransactionKind,
    CreditDebit,
)
from dunning_core.domain.references import normalize_iban
from dunning_core.errors import (
    BankFileError,
    HostileBankFile,
    InvalidField,
    MalformedBankFile,
    UnsupportedBankFile,
)
from dunning_core.money import Money

__all__ = ["SUPPORTED_VERSIONS", "camt_items"]

#: The message versions read (``camt.053.001.02`` ... ``camt.053.001.13``; the same for
#: camt.054). The elements read here have kept their names and places across them; the
#: tests read .02 and .08 statements, a .08 notification, and the .08 samples under every
#: version's namespace.
SUPPORTED_VERSIONS = tuple(range(2, 14))
_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.001\.(\d\d)")
_NOT_PROVIDED = "NOTPROVIDED"

# Bank transaction codes (ISO 20022 external code list): family -> kind.
_FAMILY_KIND = {
    "RCDT": BankTransactionKind.TRANSFER,  # received credit transfers
    "ICDT": BankTransactionKind.TRANSFER,  # issued credit transfers
    "RRCT": BankTransactionKind.TRANSFER,  # received real-time credit transfers
    "IRCT": BankTransactionKind.TRANSFER,
    "IDDT": BankTransactionKind.DIRECT_DEBIT,  # issued direct debits (we collect)
    "RDDT": BankTransactionKind.DIRECT_DEBIT,  # received direct debits (we pay)
    "CCRD": BankTransactionKind.CARD,  # customer card transactions
    "MCRD": BankTransactionKind.CARD,  # merchant card transactions
}
# Sub-families that are returns or reversals of a payment received.
_RETURN_SUBFAMILIES = frozenset({"UPDD", "RPCR", "RRTN", "ARET", "CHRG", "CHBK", "REVE"})


def camt_items(source: Source, name: str, message: str) -> Iterator[Item]:
    """Yield the entries, problems and statement totals of a CAMT file.

    Args:
        source: A path or a binary file object.
        name: The file's name, for problems and errors.
        message: ``"053"`` or ``"054"``.

    Raises:
        HostileBankFile, MalformedBankFile, UnsupportedBankFile: from the iteration.
    """
    tags = ("{*}Stmt", "{*}Ntfctn", "{*}Acct", "{*}Bal", "{*}TxsSummry", "{*}Ntry")
    context = etree.iterparse(
        source,
        events=("start", "end"),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    paths: Paths | None = None
    statement: StatementState | None = None
    try:
        for event, element in context:
            if paths is None:
                paths = _check_document(element, name, message)
            tag = element.tag
            if event == "start":
                if tag == paths.tag_stmt or tag == paths.tag_ntfctn:
                    statement = StatementState(name, element.sourceline)
                continue
            if statement is None:
                continue
            if tag == paths.tag_ntry:
                yield from _entry(element, paths, statement)
                _forget(element)
            elif tag == paths.tag_acct:
                _account(element, paths, statement)
            elif tag == paths.tag_bal:
                _balance(element, paths, statement)
            elif tag == paths.tag_summary:
                _summary(element, paths, statement)
            elif tag == paths.tag_stmt or tag == paths.tag_ntfctn:
                yield from _close(element, paths, statement)
                statement = None
                _forget(element)
        if paths is None:
            root = getattr(context, "root", None)
            if root is None:
                raise MalformedBankFile(name, None, "no XML document in the file")
            _check_document(root, name, message)
            raise UnsupportedBankFile(
                name, root.sourceline, f"no statement in this camt.{message} document"
            )
    except etree.XMLSyntaxError as error:
        line = error.lineno if isinstance(error.lineno, int) else None
        raise MalformedBankFile(name, line, f"not well-formed XML: {error.msg}") from None
    except BankFileError:
        raise
    except OSError as error:
        raise MalformedBankFile(name, None, f"cannot be read: {error}") from None


def _check_document(element: Any, name: str, message: str) -> Paths:
    tree = element.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise HostileBankFile(
            name,
            1,
            "the document declares a DTD (entities, external references): "
            "ISO 20022 messages never do, so it is refused unread",
        )
    root = tree.getroot()
    try:
        qname = etree.QName(root)
    except ValueError:  # a namespace lxml cannot split ("urn:{x}"), found by fuzzing
        raise UnsupportedBankFile(
            name, root.sourceline, f"root element {root.tag!r} is not an ISO 20022 Document"
        ) from None
    match = _NAMESPACE.fullmatch(qname.namespace or "")
    if qname.localname != "Document" or match is None:
        raise UnsupportedBankFile(
            name,
            root.sourceline,
            f"root element {root.tag!r} is not an ISO 20022 camt.{message} Document",
        )
    found, version = match.group(1), int(match.group(2))
    if found != message:
        raise UnsupportedBankFile(
            name, root.sourceline, f"this is a camt.{found} message, not camt.{message}"
        )
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedBankFile(
            name,
            root.sourceline,
            f"camt.{message}.001.{version:02d} is outside the versions read "
            f"(.{SUPPORTED_VERSIONS[0]:02d} to .{SUPPORTED_VERSIONS[-1]:02d})",
        )
    return Paths(qname.namespace or "")


def _forget(element: Any) -> None:
    """Drop a read element and its earlier siblings, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _account(element: Any, paths: Paths, statement: StatementState) -> None:
    if element.getparent() is None:
        return
    statement.id = statement.id or (text_at(element.getparent(), paths.id) or "")
    iban = text_at(element, paths.acct_iban)
    statement.account = iban or text_at(element, paths.acct_other) or ""
    statement.currency = text_at(element, paths.ccy)
    if iban is not None:
        try:
            statement.account_iban = normalize_iban(iban, "Stmt/Acct/Id/IBAN")
        except InvalidField:
            statement.account_iban = None


def _balance(element: Any, paths: Paths, statement: StatementState) -> None:
    code = text_at(element, paths.bal_code)
    amount_element = element.find(paths.amt)
    if code not in ("OPBD", "PRCD", "CLBD") or amount_element is None:
        return
    try:
        amount = money_of(amount_element, "Bal/Amt")
    except EntryRejected:
        return  # a balance that cannot be read is reported by the balance check's absence
    if text_at(element, paths.cdi) == "DBIT":
        amount = -amount
    if code == "CLBD":
        statement.closing = amount
    elif statement.opening is None or code == "OPBD":
        statement.opening = amount


def _summary(element: Any, paths: Paths, statement: StatementState) -> None:
    summary = statement.summary
    try:
        summary["count"] = count_of(text_at(element, paths.summary_count), "TtlNtries/NbOfNtries")
        summary["sum"] = decimal_of(text_at(element, paths.summary_sum), "TtlNtries/Sum")
        summary["credits"] = (
            count_of(text_at(element, paths.credit_count), "TtlCdtNtries/NbOfNtries"),
            decimal_of(text_at(element, paths.credit_sum), "TtlCdtNtries/Sum"),
        )
        summary["debits"] = (
            count_of(text_at(element, paths.debit_count), "TtlDbtNtries/NbOfNtries"),
            decimal_of(text_at(element, paths.debit_sum), "TtlDbtNtries/Sum"),
        )
    except EntryRejected as error:
        summary["error"] = error


def _close(element: Any, paths: Paths, statement: StatementState) -> Iterator[Item]:
    statement.id = statement.id or (text_at(element, paths.id) or "")
    totals = statement.totals()
    summary = statement.summary
    error = summary.get("error")
    if isinstance(error, EntryRejected):
        yield problem_of(error, statement.source, statement.line, None)
    yield from check_totals(
        totals,
        declared_count=summary.get("count"),
        declared_credits=summary.get("credits", (None, None)),
        declared_debits=summary.get("debits", (None, None)),
        declared_sum=summary.get("sum"),
        credit_count=statement.credit_count,
        debit_count=statement.debit_count,
        unreadable=statement.unreadable + statement.not_booked,
        line=statement.line,
        booked_only=statement.not_booked == 0,
    )
    yield totals


def _entry(entry: Any, paths: Paths, statement: StatementState) -> Iterator[Item]:
    line = entry.sourceline
    element = Flat(entry, stop=paths.tag_tx)
    reference = text_at(element, paths.svcr_ref) or text_at(element, paths.ntry_ref)
    try:
        entries = _read_entry(element, paths, statement, reference, f"{statement.source}:{line}")
    except (EntryRejected, InvalidField) as error:
        statement.unreadable += 1
        yield problem_of(error, statement.source, line, reference)
        return
    if entries is None:
        statement.not_booked += 1
        status = text_at(element, paths.sts_cd) or text_at(element, paths.sts) or ""
        yield problem_of(
            EntryRejected("Ntry/Sts", status, "the entry is not booked yet: not imported"),
            statement.source,
            line,
            reference,
        )
        return
    first = entries[0]
    total = sum((e.amount for e in entries), Money(0, first.amount.currency))
    if first.is_credit:
        statement.credit_count += 1
        statement.credits = add(statement.credits, total)
    else:
        statement.debit_count += 1
        statement.debits = add(statement.debits, total)
    yield from entries


def _read_entry(
    element: Any, paths: Paths, statement: StatementState, reference: str | None, where: str
) -> list[BankEntry] | None:
    status = text_at(element, paths.sts_cd) or text_at(element, paths.sts)
    if status is not None and status != "BOOK":
        return None
    amount_element = element.find(paths.amt)
    if amount_element is None:
        raise EntryRejected("Ntry/Amt", "", "missing")
    amount = money_of(amount_element, "Ntry/Amt")
    if amount.amount <= 0:
        raise EntryRejected("Ntry/Amt", str(amount.amount), "an entry amount is positive")
    indicator = text_at(element, paths.cdi)
    if indicator not in ("CRDT", "DBIT"):
        raise EntryRejected("Ntry/CdtDbtInd", indicator or "", "must be CRDT or DBIT")
    booked_on = date_of(
        text_at(element, paths.booked) or text_at(element, paths.booked_dttm), "Ntry/BookgDt"
    )
    value_text = text_at(element, paths.value) or text_at(element, paths.value_dttm)
    value_on = date_of(value_text, "Ntry/ValDt") if value_text is not None else None
    code, kind, returned = _bank_code(element, paths)
    common: dict[str, Any] = {
        "account_iban": statement.account_iban,
        "booked_on": booked_on,
        "value_on": value_on,
        "direction": CreditDebit(indicator),
        "reversal": text_at(element, paths.rvsl) in ("true", "1"),
    }
    transactions = [Flat(tx) for tx in element.findall(f"{paths.details}/{paths.tx}")]
    declared = None
    for batch_count in element.iterfind(f"{paths.details}/{paths.batch_count}"):
        declared = (declared or 0) + (
            count_of((batch_count.text or "").strip(), "Btch/NbOfTxs") or 0
        )
    if declared is not None and transactions and declared != len(transactions):
        raise EntryRejected(
            "NtryDtls/Btch/NbOfTxs",
            str(declared),
            f"the batch declares {declared} transactions, the entry details {len(transactions)}",
        )
    if reference is None:
        reference = _derived_reference(element, statement, booked_on, amount, indicator)
    if len(transactions) <= 1:
        tx = transactions[0] if transactions else None
        entry = _transaction(tx, paths, common, reference, amount, code, kind, returned, where)
        if tx is not None:
            tx_amount = _tx_amount(tx, paths)
            if tx_amount is not None and tx_amount != amount:
                raise EntryRejected(
                    "TxDtls/Amt", str(tx_amount.amount), f"differs from the entry's {amount}"
                )
        if tx is None and entry.remittance_text == "":
            info = text_at(element, paths.info)
            if info is not None:
                entry = _evolve_text(entry, info)
        return [entry]
    entries = []
    total: Money | None = None
    for index, tx in enumerate(transactions, start=1):
        tx_amount = _tx_amount(tx, paths)
        if tx_amount is None:
            raise EntryRejected(
                "TxDtls/Amt", "", f"transaction {index} of a batch has no amount of its own"
            )
        own = text_at(tx, paths.tx_ref)
        tx_reference = own if own is not None and own != reference else f"{reference}/{index}"
        tx_where = f"{statement.source}:{tx.sourceline}"
        entry = _transaction(
            tx, paths, common, tx_reference, tx_amount, code, kind, returned, tx_where
        )
        entries.append(_with_batch(entry, reference))
        total = add(total, tx_amount)
    if total != amount:
        raise EntryRejected(
            "Ntry/Amt",
            str(amount.amount),
            f"the batch's transactions add up to {total}, not the entry amount",
        )
    return entries


def _bank_code(element: Any, paths: Paths) -> tuple[str, BankTransactionKind, bool]:
    domain = text_at(element, paths.domain)
    family = text_at(element, paths.family)
    subfamily = text_at(element, paths.subfamily)
    if domain is not None:
        code = "/".join(part for part in (domain, family, subfamily) if part)
        kind = _FAMILY_KIND.get(family or "", BankTransactionKind.OTHER)
        return code, kind, subfamily in _RETURN_SUBFAMILIES
    proprietary = text_at(element, paths.proprietary) or ""
    return proprietary, BankTransactionKind.OTHER, False


def _tx_amount(tx: Any, paths: Paths) -> Money | None:
    own = tx.find(paths.amt)  # .03 and later
    if own is None:
        own = tx.find(paths.tx_amount)  # .02
    return None if own is None else money_of(own, "TxDtls/Amt")


def _transaction(
    tx: Any,
    paths: Paths,
    common: dict[str, Any],
    reference: str,
    amount: Money,
    code: str,
    kind: BankTransactionKind,
    returned: bool,
    where: str,
) -> BankEntry:
    if tx is None:
        return BankEntry(
            reference=reference, amount=amount, bank_code=code, kind=kind, source=where, **common
        )
    tx_code, tx_kind, tx_returned = _bank_code(tx, paths)
    if tx_code:
        code, kind, returned = tx_code, tx_kind, tx_returned
    e2e = text_at(tx, paths.e2e)
    if e2e == _NOT_PROVIDED:
        e2e = None
    reason = text_at(tx, paths.return_reason) or text_at(tx, paths.return_reason_prtry)
    is_return = reason is not None or tx.find(paths.return_info) is not None or returned
    credit = common["direction"] is CreditDebit.CREDIT
    # The counterparty is the debtor of a credit and the creditor of a debit, except for
    # a return, where the money goes back to the debtor of the original payment.
    debtor_side = credit or is_return
    names = paths.debtor_names if debtor_side else paths.creditor_names
    name = next((n for n in (text_at(tx, path) for path in names) if n), "")
    iban = iban_of(
        text_at(tx, paths.debtor_iban if debtor_side else paths.creditor_iban),
        "RltdPties/DbtrAcct/Id/IBAN" if debtor_side else "RltdPties/CdtrAcct/Id/IBAN",
    )
    text = " ".join(
        part.strip() for part in (u.text or "" for u in tx.iterfind(paths.ustrd)) if part.strip()
    )
    creditor_ref = text_at(tx, paths.cdtr_ref)
    return BankEntry(
        reference=reference,
        amount=amount,
        bank_code=code,
        kind=kind,
        counterparty_name=name,
        counterparty_iban=iban,
        end_to_end_id=e2e,
        mandate_id=text_at(tx, paths.mandate),
        remittance_text=text,
        creditor_reference="".join(creditor_ref.split()) if creditor_ref else None,
        original_end_to_end_id=e2e if is_return and not credit else None,
        return_reason=reason if not credit else None,
        source=where,
        **common,
    )


def _evolve_text(entry: BankEntry, text: str) -> BankEntry:
    return attrs.evolve(entry, remittance_text=" ".join(text.split()))


def _with_batch(entry: BankEntry, batch: str) -> BankEntry:
    return attrs.evolve(entry, batch_reference=batch)


def _derived_reference(
    element: Any, statement: StatementState, booked_on: date, amount: Money, indicator: str
) -> str:
    """A reference for an entry the bank gave none: a digest of what identifies it,
    numbered among identical entries of the statement, so two overlapping statements
    derive the same reference for the same entry."""
    facts = "|".join(
        (
            statement.account,
            booked_on.isoformat(),
            indicator,
            str(amount),
            etree.tostring(element.element, method="c14n").decode("utf-8"),
        )
    )
    digest = hashlib.blake2b(facts.encode("utf-8"), digest_size=10).hexdigest()
    seen = statement.derived.get(digest, 0) + 1
    statement.derived[digest] = seen
    return f"derived:{digest}:{seen}"
