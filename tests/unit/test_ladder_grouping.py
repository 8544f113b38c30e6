"""Grouping: one notice per account and channel per run, listing every invoice due a
stage; account-level operations once."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dunning_core import Account, Channel, Contact, Invoice, Money, PostalAddress, build_statement
from dunning_core.policies.ladder import (
    ActionKind,
    DunningHistory,
    Ladder,
    Stage,
    evaluate_ladder,
)

ADDRESS = PostalAddress(
    recipient="SARL Lagon",
    lines=["3 rue de Sébastopol"],
    postal_code="98800",
    city="Nouméa",
    country="NC",
)
ACCOUNT = Account(
    id="A-9",
    name="SARL Lagon",
    currency="XPF",
    timezone="Pacific/Noumea",
    contacts=[Contact(email="ap@lagon.nc", mobile="+687790000", postal_address=ADDRESS)],
)
LADDER = Ladder(
    name="grouping",
    stages=[
        Stage(key="first", offset=1, channels="EMAIL"),
        Stage(key="second", offset=8, channels=["EMAIL", "SMS"]),
        Stage(key="suspend", offset=15, channels="EMAIL", action=ActionKind.SUSPEND),
        Stage(key="hand_over", offset=30, action=ActionKind.HAND_OVER_TO_COLLECTION),
    ],
)
ON = date(2026, 6, 1)


def invoice(number: str, days_past_due: int) -> Invoice:
    due_on = ON - timedelta(days=days_past_due)
    return Invoice(
        number=number,
        account_id="A-9",
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=Money("12000", "XPF"),
    )


def evaluate(invoices: list[Invoice]) -> tuple:  # type: ignore[type-arg]
    statement = build_statement(ACCOUNT, ON, invoices=invoices)
    return evaluate_ladder(LADDER, statement, DunningHistory.empty("A-9"), ON)


def test_five_overdue_invoices_get_one_email_not_five() -> None:
    invoices = [invoice(f"F-{k}", 1) for k in range(5)]
    (email,) = evaluate(invoices)
    assert email.channel is Channel.EMAIL
    assert email.invoice_numbers == tuple(f"F-{k}" for k in range(5))
    assert {line.stage for line in email.lines} == {"first"}
    assert email.open_amount == Money("60000", "XPF")


def test_invoices_at_different_stages_share_the_notice_of_each_channel() -> None:
    invoices = [invoice("F-old", 9), invoice("F-new", 2)]
    email, sms = evaluate(invoices)
    assert (email.channel, sms.channel) == (Channel.EMAIL, Channel.SMS)
    assert [(line.invoice_number, line.stage) for line in email.lines] == [
        ("F-old", "second"),
        ("F-new", "first"),
    ]
    assert email.stage == "second"  # the most advanced stage picks the template
    assert [(line.invoice_number, line.stage) for line in sms.lines] == [("F-old", "second")]


def test_account_level_operation_appears_once_with_its_invoices() -> None:
    invoices = [invoice("F-1", 16), invoice("F-2", 15), invoice("F-3", 1)]
    actions = evaluate(invoices)
    operations = [a for a in actions if a.channel is None]
    assert len(operations) == 1
    (suspend,) = operations
    assert suspend.kind is ActionKind.SUSPEND
    assert suspend.invoice_numbers == ("F-1", "F-2")
    (email,) = [a for a in actions if a.channel is Channel.EMAIL]
    assert email.kind is ActionKind.SUSPEND
    assert email.invoice_numbers == ("F-1", "F-2", "F-3")


@given(st.lists(st.integers(0, 40), min_size=1, max_size=12))
def test_one_notice_per_channel_listing_every_invoice_due_a_stage(ages: list[int]) -> None:
    invoices = [invoice(f"F-{k:02}", age) for k, age in enumerate(ages)]
    actions = evaluate(invoices)
    notices = [a for a in actions if a.channel is not None]
    channels = [a.channel for a in notices]
    assert len(channels) == len(set(channels))
    kinds = [a.kind for a in actions if a.channel is None]
    assert len(kinds) == len(set(kinds))
    due = {f"F-{k:02}" for k, age in enumerate(ages) if age >= 1}
    listed = {n for a in actions for n in a.invoice_numbers}
    assert listed == due
    for action in notices:
        assert list(action.invoice_numbers) == sorted(
            action.invoice_numbers, key=lambda n: -ages[int(n[2:])]
        )
    emailed = next((a for a in notices if a.channel is Channel.EMAIL), None)
    email_due = {f"F-{k:02}" for k, age in enumerate(ages) if 1 <= age < 30}
    assert set(emailed.invoice_numbers if emailed else ()) == email_due
