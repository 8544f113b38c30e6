"""Reading the fields of ISO 20022 CAMT elements (private): paths, one-walk lookups,
amounts, dates, counts and the state of the statement being read."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from dunning_core.adapters.bank._files import EntryRejected
from dunning_core.domain.bank import StatementTotals
from dunning_core.domain.references import normalize_iban
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = [
    "Flat",
    "Paths",
    "StatementState",
    "count_of",
    "date_of",
    "decimal_of",
    "iban_of",
    "money_of",
    "text_at",
]

# ISO 20022 ActiveOrHistoricCurrencyAndAmount: up to 18 digits, up to 5 after the point,
# no sign, no thousands separator, no exponent.
AMOUNT = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,5})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Paths:
    """Clark-notation paths of the elements read, for one namespace."""

    def __init__(self, ns: str) -> None:
        def p(path: str) -> str:
            return "/".join(f"{{{ns}}}{step}" if step != "." else step for step in path.split("/"))

        self.ns = ns
        self.tag_ntry = p("Ntry")
        self.tag_stmt = p("Stmt")
        self.tag_ntfctn = p("Ntfctn")
        self.tag_acct = p("Acct")
        self.tag_bal = p("Bal")
        self.tag_summary = p("TxsSummry")
        self.tag_tx = p("TxDtls")
        self.id = p("Id")
        self.acct_iban = p("Id/IBAN")
        self.acct_other = p("Id/Othr/Id")
        self.ccy = p("Ccy")
        self.bal_code = p("Tp/CdOrPrtry/Cd")
        self.amt = p("Amt")
        self.cdi = p("CdtDbtInd")
        self.ntry_ref = p("NtryRef")
        self.svcr_ref = p("AcctSvcrRef")
        self.rvsl = p("RvslInd")
        self.sts = p("Sts")
        self.sts_cd = p("Sts/Cd")
        self.booked = p("BookgDt/Dt")
        self.booked_dttm = p("BookgDt/DtTm")
        self.value = p("ValDt/Dt")
        self.value_dttm = p("ValDt/DtTm")
        self.domain = p("BkTxCd/Domn/Cd")
        self.family = p("BkTxCd/Domn/Fmly/Cd")
        self.subfamily = p("BkTxCd/Domn/Fmly/SubFmlyCd")
        self.proprietary = p("BkTxCd/Prtry/Cd")
        self.details = p("NtryDtls")
        self.batch_count = p("Btch/NbOfTxs")
        self.tx = p("TxDtls")
        self.info = p("AddtlNtryInf")
        self.tx_ref = p("Refs/AcctSvcrRef")
        self.e2e = p("Refs/EndToEndId")
        self.mandate = p("Refs/MndtId")
        self.tx_amount = p("AmtDtls/TxAmt/Amt")
        self.instructed = p("AmtDtls/InstdAmt/Amt")
        self.debtor_names = (p("RltdPties/Dbtr/Nm"), p("RltdPties/Dbtr/Pty/Nm"))
        self.creditor_names = (p("RltdPties/Cdtr/Nm"), p("RltdPties/Cdtr/Pty/Nm"))
        self.debtor_iban = p("RltdPties/DbtrAcct/Id/IBAN")
        self.creditor_iban = p("RltdPties/CdtrAcct/Id/IBAN")
        self.ustrd = p("RmtInf/Ustrd")
        self.cdtr_ref = p("RmtInf/Strd/CdtrRefInf/Ref")
        self.return_reason = p("RtrInf/Rsn/Cd")
        self.return_reason_prtry = p("RtrInf/Rsn/Prtry")
        self.return_info = p("RtrInf")
        self.summary_count = p("TtlNtries/NbOfNtries")
        self.summary_sum = p("TtlNtries/Sum")
        self.credit_count = p("TtlCdtNtries/NbOfNtries")
        self.credit_sum = p("TtlCdtNtries/Sum")
        self.debit_count = p("TtlDbtNtries/NbOfNtries")
        self.debit_sum = p("TtlDbtNtries/Sum")


class Flat:
    """An element's descendants by path, collected in one walk: the few dozen lookups an
    entry needs cost a dictionary access each instead of an ElementPath search.

    Walking stops below the tags in ``stop`` (a ``TxDtls`` is read on its own).
    """

    __slots__ = ("element", "paths", "sourceline")

    def __init__(self, element: Any, stop: str = "") -> None:
        self.element = element
        self.sourceline = element.sourceline
        paths: dict[str, list[Any]] = {}
        get = paths.get
        pending = [(element, "")]
        push = pending.append
        pop = pending.pop
        # Comments and processing instructions are removed by the parser and entities
        # refused with the DTD, so every child is an element with a str tag.
        while pending:
            parent, prefix = pop()
            for child in parent:
                path = prefix + child.tag
                found = get(path)
                if found is None:
                    paths[path] = [child]
                else:
                    found.append(child)
                if len(child) and child.tag != stop:
                    push((child, path + "/"))
        self.paths = paths

    def find(self, path: str) -> Any:
        found = self.paths.get(path)
        return found[0] if found else None

    def findtext(self, path: str) -> str | None:
        found = self.paths.get(path)
        return (found[0].text or "") if found else None

    def findall(self, path: str) -> list[Any]:
        return self.paths.get(path, [])

    def iterfind(self, path: str) -> list[Any]:
        return self.paths.get(path, [])


def text_at(element: Any, path: str) -> str | None:
    found = element.findtext(path)
    if found is None:
        return None
    found = found.strip()
    return found or None


def money_of(element: Any, field: str) -> Money:
    text = (element.text or "").strip()
    if not AMOUNT.fullmatch(text):
        raise EntryRejected(
            field, text, "not an ISO 20022 amount (digits, '.' decimals, no separators)"
        )
    currency = element.get("Ccy")
    try:
        return Money(Decimal(text), currency or "")
    except InvalidField as error:
        raise EntryRejected(
            f"{field}/@Ccy" if "currency" in error.field else field,
            text,
            f"{currency} {text}: {error.problem}",
        ) from None


def date_of(text: str | None, field: str) -> date:
    if text is None:
        raise EntryRejected(field, "", "missing")
    head = text[:10]
    if not _ISO_DATE.fullmatch(head):
        raise EntryRejected(field, text, "not an ISO 8601 date")
    try:
        return date.fromisoformat(head)
    except ValueError:
        raise EntryRejected(field, text, "not a calendar date") from None


def decimal_of(text: str | None, field: str) -> Decimal | None:
    if text is None:
        return None
    if not AMOUNT.fullmatch(text):
        raise EntryRejected(field, text, "not an ISO 20022 amount")
    return Decimal(text)


def count_of(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise EntryRejected(field, text, "not a whole number")
    return int(text)


def iban_of(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    return normalize_iban(text, field)


class StatementState:
    """What is known of the statement being read."""

    def __init__(self, source: str, line: int | None) -> None:
        self.source = source
        self.line = line
        self.id = ""
        self.account = ""
        self.account_iban: str | None = None
        self.currency: str | None = None
        self.opening: Money | None = None
        self.closing: Money | None = None
        self.credits: Money | None = None
        self.debits: Money | None = None
        self.credit_count = 0
        self.debit_count = 0
        self.unreadable = 0
        self.not_booked = 0
        self.summary: dict[str, Any] = {}
        self.derived: dict[str, int] = {}

    def totals(self) -> StatementTotals:
        return StatementTotals(
            id=self.id,
            account_iban=self.account_iban,
            account=self.account,
            currency=self.currency,
            entries=self.credit_count + self.debit_count,
            credits=self.credits,
            debits=self.debits,
            opening_balance=self.opening,
            closing_balance=self.closing,
            source=self.source,
        )
