"""Property: whatever the portfolio and the statement, every credit ends up allocated,
kept as credit on its account, or unidentified in suspense, and no money appears or
disappears on the way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning_core import Account, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.domain.bank import BankEntry, BankTransactionKind, CreditDebit
from dunning_core.service._steps import statement_of
from dunning_core.service.bank import EntryStatus, import_statement

DAY = date(2026, 3, 2)
IBANS = ["DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300"]


@st.composite
def portfolios(draw: st.DrawFn) -> dict[str, list[tuple[str, Decimal]]]:
    accounts = draw(st.integers(1, 4))
    portfolio = {}
    for a in range(accounts):
        amounts = draw(st.lists(st.integers(100, 50_000), min_size=1, max_size=4))
        portfolio[f"A-{a}"] = [
            (f"F-{a}-{i}", Decimal(cents).scaleb(-2)) for i, cents in enumerate(amounts)
        ]
    return portfolio


@st.composite
def statements(draw: st.DrawFn, numbers: list[str]) -> list[BankEntry]:
    entries = []
    for n in range(draw(st.integers(1, 6))):
        named = draw(st.lists(st.sampled_from([*numbers, "X-999", "RF00BAD"]), max_size=3))
        cents = draw(st.integers(1, 80_000))
        entries.append(
            BankEntry(
                reference=f"REF-{n}",
                booked_on=DAY,
                amount=Money(Decimal(cents).scaleb(-2), "EUR"),
                direction=CreditDebit.CREDIT,
                kind=BankTransactionKind.TRANSFER,
                counterparty_iban=draw(st.sampled_from([None, *IBANS])),
                remittance_text=" ".join(["paid", *named]),
            )
        )
    return entries


@settings(deadline=None)
@given(data=st.data())
def test_every_credit_is_allocated_kept_as_credit_or_unidentified_and_money_is_conserved(
    data: st.DataObject,
) -> None:
    portfolio = data.draw(portfolios())
    numbers = [number for invoices in portfolio.values() for number, _ in invoices]
    entries = data.draw(statements(numbers))
    known = {IBANS[0]: sorted(portfolio)[0]}
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for account_id, invoices in portfolio.items():
            uow.accounts.add(Account(id=account_id, name=account_id, currency="EUR"))
            uow.ledger.add_invoices(
                Invoice(
                    number=number,
                    account_id=account_id,
                    issued_on=date(2026, 1, 1),
                    due_on=date(2026, 2, 1),
                    amount=Money(amount, "EUR"),
                )
                for number, amount in invoices
            )
        uow.commit()

    report = import_statement(store.unit_of_work, entries, DAY, payer_ibans=known)
    again = import_statement(store.unit_of_work, entries, DAY, payer_ibans=known)

    assert {o.status for o in again.outcomes} == {EntryStatus.ALREADY_IMPORTED}
    assert {o.status for o in report.outcomes} <= {EntryStatus.RECORDED, EntryStatus.UNIDENTIFIED}
    credited = sum(e.amount.amount for e in entries)
    allocated = kept = suspended = Decimal(0)
    with store.unit_of_work() as uow:
        ledgers = uow.ledger.load(sorted(portfolio))
        for entry in entries:
            payment = uow.ledger.get_payment(entry.payment_id)
            assert payment is not None and payment.amount == entry.amount
            from_it = sum(
                (a.amount.amount for a in uow.ledger.allocations_of_source(payment.id)),
                Decimal(0),
            )
            assert Decimal(0) <= from_it <= payment.amount.amount
            if payment.account_id is None:
                assert from_it == 0  # waits in suspense, settles nothing
                suspended += payment.amount.amount
            allocated += from_it
        for account_id, ledger in ledgers.items():
            account = uow.accounts.get(account_id)
            assert account is not None
            statement = statement_of(account, ledger, DAY)
            kept += statement.unapplied.amount
            for item in statement.items:  # no invoice is settled beyond its amount
                assert Decimal(0) <= item.open_amount.amount <= item.invoice.amount.amount
    assert allocated + kept + suspended == credited
