"""Charges on the statement: their own lines, never mixed into invoice amounts."""

from __future__ import annotations

from datetime import date

import pytest

from dunning_core import Account, Invoice, Money, build_statement
from dunning_core.domain.charges import Charge, ChargeKind
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidAmount, InvalidField

ACCOUNT = Account(id="A-1", name="SAS", currency="EUR")
INVOICE = Invoice(
    number="F-1",
    account_id="A-1",
    issued_on=date(2026, 1, 1),
    due_on=date(2026, 1, 31),
    amount=Money("500.00", "EUR"),
)
ON = date(2026, 3, 1)


def charge(key: str, amount: str | Money = "15.00", **kwargs: object) -> Charge:
    money = amount if isinstance(amount, Money) else Money(amount, "EUR")
    values: dict[str, object] = {
        "key": key,
        "account_id": "A-1",
        "kind": "STAGE_FEE",
        "amount": money,
        "booked_on": date(2026, 2, 10),
        "invoice_number": "F-1",
        "stage": "second_notice",
    }
    values.update(kwargs)
    return Charge(**values)  # type: ignore[arg-type]


def test_statement_without_charges_is_unchanged() -> None:
    statement = build_statement(ACCOUNT, ON, invoices=[INVOICE])
    assert statement.charges == ()
    assert statement.charges_total == Money("0.00", "EUR")
    assert statement.total_due == statement.balance == Money("500.00", "EUR")


def test_charges_are_listed_once_in_booking_order_and_added_apart() -> None:
    fee = charge("fee-2", booked_on=date(2026, 2, 20))
    first = charge("fee-1", amount="10.00")
    statement = build_statement(ACCOUNT, ON, invoices=[INVOICE], charges=[fee, first, fee])
    assert [c.key for c in statement.charges] == ["fee-1", "fee-2"]
    assert statement.charges_total == Money("25.00", "EUR")
    assert statement.total_due == Money("525.00", "EUR")
    assert statement.balance == statement.overdue_balance == Money("500.00", "EUR")
    assert statement.items[0].open_amount == Money("500.00", "EUR")
    assert sum(statement.aging.values(), Money.zero("EUR")) == Money("500.00", "EUR")


def test_bad_charges_are_refused() -> None:
    with pytest.raises(InvalidField):
        build_statement(
            ACCOUNT, ON, invoices=[INVOICE], charges=[charge("k"), charge("k", amount="16.00")]
        )
    with pytest.raises(AccountMismatch):
        build_statement(ACCOUNT, ON, invoices=[INVOICE], charges=[charge("k", account_id="A-2")])
    with pytest.raises(CurrencyMismatch):
        build_statement(
            ACCOUNT, ON, invoices=[INVOICE], charges=[charge("k", amount=Money("15", "USD"))]
        )
    with pytest.raises(InvalidAmount):
        charge("k", amount="0.00")
    with pytest.raises(InvalidField):
        charge("k", kind="TIP")
    assert charge("k").kind is ChargeKind.STAGE_FEE
