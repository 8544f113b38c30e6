"""Notices carry the RF creditor reference of the invoices they are about."""

from __future__ import annotations

from datetime import date

from stdnum import iso11649

from dunning_core import Account, Invoice, Money, build_statement
from dunning_core.policies.ladder import DunningHistory, evaluate_ladder
from dunning_core.policies.ladder.presets import FIVE_NOTICES_THEN_TERMINATION
from dunning_core.service.notices import notice_context
from dunning_core.service.settings import CycleConfig


def test_a_notice_context_carries_each_invoices_rf_reference() -> None:
    account = Account(id="A-1", name="Acme", currency="EUR")
    invoices = [
        Invoice(
            number=number,
            account_id="A-1",
            issued_on=date(2026, 1, 1),
            due_on=due_on,
            amount=Money("10.00", "EUR"),
        )
        for number, due_on in (("F-2026-0001", date(2026, 2, 1)), ("F-2026-0002", date(2026, 2, 5)))
    ]
    day = date(2026, 3, 20)
    statement = build_statement(account, day, invoices=invoices)
    (action,) = evaluate_ladder(
        FIVE_NOTICES_THEN_TERMINATION, statement, DunningHistory(account_id="A-1", records=()), day
    )
    context = notice_context(CycleConfig(), account, action)
    printed = context["creditor_references"].split(", ")
    assert len(printed) == 2 and context["creditor_reference"] == printed[0]
    for reference, number in zip(printed, ("F20260001", "F20260002"), strict=True):
        assert iso11649.is_valid(reference) and reference.replace(" ", "").endswith(number)
