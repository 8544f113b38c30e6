"""Issue 15, case 3: identifiers refuse control characters and surrounding whitespace.

On main, ``"F-1"``, ``"F-1 "`` and ``"f-1"`` were three invoices, and an invoice
number ``"F-2\\r\\nBcc: all@evil.example"`` reached a notice subject verbatim.
Identifiers are still compared exactly and case-sensitively (docs/domain.md says why):
``"F-1"`` and ``"f-1"`` stay two invoices.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, CreditNote, Invoice, Money, Payment, RemittanceAdvice
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.account import BillingEntity, Segment
from dunning_core.domain.charges import Charge
from dunning_core.domain.facts import Dispute, Hold, InsolvencyProceeding, PromiseToPay
from dunning_core.domain.history import ActionRecord, CycleCheckpoint
from dunning_core.domain.payment import Allocation
from dunning_core.domain.remittance import RemittanceLine
from dunning_core.errors import InvalidField, InvalidIdentifier, InvalidLadder
from dunning_core.policies.ladder import Ladder, LadderAssignment, Stage
from dunning_core.rendering.plain import PlainRenderer

D = date(2026, 3, 1)
EUR = Money("10.00", "EUR")

BAD = [
    "F-1 ",
    " F-1",
    "F-1\t",
    "F-2\r\nBcc: all@evil.example",
    "F-1\n",
    "F\x00-1",
    "F-1\x1b[31m",
    "F-1\u202e",  # right-to-left override
    "F\u200b-1",  # zero-width space (a format character)
    "F-1\u2028",  # line separator
    "F-1\u0085",  # next line (C1 control)
    "\u00a0F-1",  # no-break space at the start
    "Cafe\u0301",  # "Café" decomposed (not NFC)
    "",
    "   ",
]

# Each identifier field, as a function building the object with that field set.
FIELDS: dict[str, Callable[[str], Any]] = {
    "Account.id": lambda v: Account(id=v, name="n", currency="EUR"),
    "Account.billing_entity_id": lambda v: Account(
        id="A", name="n", currency="EUR", billing_entity_id=v
    ),
    "Account.registration_id": lambda v: Account(
        id="A", name="n", currency="EUR", registration_id=v
    ),
    "Segment.key": lambda v: Segment(v),
    "BillingEntity.id": lambda v: BillingEntity(id=v, name="n"),
    "Invoice.number": lambda v: Invoice(
        number=v, account_id="A", issued_on=D, due_on=D, amount=EUR
    ),
    "Invoice.account_id": lambda v: Invoice(
        number="F", account_id=v, issued_on=D, due_on=D, amount=EUR
    ),
    "Invoice.purchase_order": lambda v: Invoice(
        number="F", account_id="A", issued_on=D, due_on=D, amount=EUR, purchase_order=v
    ),
    "CreditNote.number": lambda v: CreditNote(number=v, account_id="A", issued_on=D, amount=EUR),
    "CreditNote.credits_invoice": lambda v: CreditNote(
        number="C", account_id="A", issued_on=D, amount=EUR, credits_invoice=v
    ),
    "Payment.id": lambda v: Payment(id=v, account_id="A", amount=EUR, received_on=D),
    "Payment.account_id": lambda v: Payment(id="P", account_id=v, amount=EUR, received_on=D),
    "Allocation.invoice_number": lambda v: Allocation(
        invoice_number=v, amount=EUR, kind="CASH", source_id="P"
    ),
    "Allocation.source_id": lambda v: Allocation(
        invoice_number="F", amount=EUR, kind="CASH", source_id=v
    ),
    "RemittanceLine.invoice_number": lambda v: RemittanceLine(invoice_number=v, amount_paid=EUR),
    "RemittanceAdvice.payment_id": lambda v: RemittanceAdvice(
        payment_id=v, lines=[RemittanceLine(invoice_number="F", amount_paid=EUR)]
    ),
    "Charge.key": lambda v: Charge(
        key=v, account_id="A", kind="STAGE_FEE", amount=EUR, booked_on=D, detail=""
    ),
    "Charge.stage": lambda v: Charge(
        key="k", account_id="A", kind="STAGE_FEE", amount=EUR, booked_on=D, stage=v
    ),
    "ActionRecord.account_id": lambda v: ActionRecord(
        key="k", account_id=v, ladder="l", stage="s", action="REMIND", fired_on=D
    ),
    "CycleCheckpoint.last_account_id": lambda v: CycleCheckpoint(
        run_date=D, shard="all", last_account_id=v
    ),
    "PromiseToPay.id": lambda v: PromiseToPay(
        id=v, account_id="A", made_on=D, due_on=D, amount=EUR
    ),
    "Dispute.invoice_number": lambda v: Dispute(
        id="D", account_id="A", invoice_number=v, opened_on=D
    ),
    "Hold.account_id": lambda v: Hold(id="H", account_id=v, reason="r", starts_on=D),
    "InsolvencyProceeding.id": lambda v: InsolvencyProceeding(
        id=v, account_id="A", kind="RECEIVERSHIP", opened_on=D
    ),
    "LadderAssignment.ladder": lambda v: LadderAssignment(account_id="A", ladder=v),
    "Ladder.name": lambda v: Ladder(name=v, stages=[Stage(key="s", offset=1, channels="EMAIL")]),
}

# Errors that are not InvalidIdentifier but carry the same check (ladders have their own).
_LADDER_FIELDS = {"Ladder.name"}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("value", BAD, ids=repr)
def test_identifiers_refuse_control_characters_and_surrounding_whitespace(
    field: str, value: str
) -> None:
    expected = InvalidLadder if field in _LADDER_FIELDS else InvalidIdentifier
    with pytest.raises(expected) as raised:
        FIELDS[field](value)
    assert raised.value.field == field
    assert raised.value.value == value
    assert isinstance(raised.value, (InvalidField, ValueError))


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize(
    "value", ["F-2026-0042", "F 2026/42", "日本-1", "Café", "🧾-1", 'O\'Brien "Ltd"']
)
def test_identifiers_accept_any_script_and_inner_spaces(field: str, value: str) -> None:
    FIELDS[field](value)


def test_numbers_are_compared_exactly_so_case_variants_are_two_invoices() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.accounts.add(Account(id="A", name="n", currency="EUR"))
        uow.ledger.add_invoices(
            Invoice(number=n, account_id="A", issued_on=D, due_on=D, amount=EUR)
            for n in ("F-1", "f-1")
        )
        uow.commit()
    with store.unit_of_work() as uow:
        assert sorted(uow.ledger.get_invoices(["F-1", "f-1", "F-1 "])) == ["F-1", "f-1"]


def test_a_stage_key_is_letters_digits_and_separators_only() -> None:
    for bad in ["first notice", "first\r\n", " first", "first\x00", "première"]:
        with pytest.raises(InvalidLadder):
            Stage(key=bad, offset=1, channels="EMAIL")


def test_a_subject_line_never_carries_a_line_break() -> None:
    # Free text (a customer's name) may hold a newline; the subject stays one line.
    renderer = PlainRenderer({("t", "en"): ("Hello {name}", "Dear {name},\nbody")})
    message = renderer.render("t", "en_US", {"name": "ACME\r\nBcc: all@evil.example\x00"})
    assert message.subject == "Hello ACME Bcc: all@evil.example "
    assert "\n" in message.body  # the body keeps its lines


@given(st.text(max_size=30))
def test_any_text_is_an_identifier_or_an_invalid_identifier(text: str) -> None:
    try:
        account = Account(id=text, name="n", currency="EUR")
    except InvalidIdentifier:
        return
    assert account.id == text.strip()
    assert all(ord(c) >= 32 and c not in "\x7f\u2028\u2029" for c in text)
