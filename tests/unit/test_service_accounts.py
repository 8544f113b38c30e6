"""record_account: an account change goes through the rules in one unit of work."""

from __future__ import annotations

from datetime import date

import attrs

from dunning_core import Account, Contact, Invoice, Money, PostalAddress, Segment
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.events import AccountChanged, AccountReactivated
from dunning_core.policies.ladder import LadderAssignment, presets
from dunning_core.service.accounts import record_account
from dunning_core.service.cycle import run_cycle
from dunning_core.service.invoices import record_invoice
from dunning_core.service.settings import CycleConfig

Store = MemoryStore | SqliteStore

ACCOUNT = Account(
    id="A-1",
    name="ACME",
    currency="EUR",
    contacts=[
        Contact(email="billing@acme.example", postal_address=PostalAddress(lines=("1 rue",)))
    ],
)


def test_a_new_account_then_a_change_name_what_changed(store: Store) -> None:
    created = record_account(store.unit_of_work(), ACCOUNT, as_of=date(2026, 1, 1))
    event = created.events[0]
    assert isinstance(event, AccountChanged) and event.created and "segment" in event.fields
    assert record_account(store.unit_of_work(), ACCOUNT, as_of=date(2026, 1, 2)).repeated
    moved = record_account(
        store.unit_of_work(), attrs.evolve(ACCOUNT, segment=Segment.LARGE), as_of=date(2026, 1, 3)
    )
    assert moved.events[0].fields == ("segment",)  # type: ignore[union-attr]


def test_moving_to_the_large_segment_reactivates_a_customer_20_days_late(store: Store) -> None:
    record_account(store.unit_of_work(), ACCOUNT, as_of=date(2026, 1, 1))
    record_invoice(
        store.unit_of_work(),
        Invoice(
            number="F-1",
            account_id="A-1",
            issued_on=date(2026, 1, 2),
            due_on=date(2026, 2, 1),
            amount=Money("80", "EUR"),
        ),
    )
    run_cycle(store.unit_of_work, CycleConfig(), date(2026, 2, 21))  # 20 days: suspended
    large = attrs.evolve(ACCOUNT, segment=Segment.LARGE)  # 30 days for large customers
    outcome = record_account(store.unit_of_work(), large, as_of=date(2026, 2, 21))
    assert isinstance(outcome.suspension_event, AccountReactivated)


def test_completing_the_address_lets_the_blocked_hand_over_go_on_the_next_run(
    store: Store,
) -> None:
    ladder = presets.REMINDERS_THEN_COLLECTION_THEN_LEGAL
    config = CycleConfig(
        assignments={
            "A-1": LadderAssignment(account_id="A-1", ladder=ladder.name, hand_over="AUTOMATIC")
        }
    )
    record_account(store.unit_of_work(), ACCOUNT, as_of=date(2026, 1, 1))
    record_invoice(
        store.unit_of_work(),
        Invoice(
            number="F-1",
            account_id="A-1",
            issued_on=date(2026, 1, 2),
            due_on=date(2026, 2, 1),
            amount=Money("80", "EUR"),
        ),
    )
    blocked = run_cycle(store.unit_of_work, config, date(2026, 2, 21))  # the hand-over is due
    assert "HAND_OVER_TO_COLLECTION" not in blocked.actions
    complete = PostalAddress(
        recipient="ACME", lines=("1 rue",), postal_code="75002", city="Paris", country="FR"
    )
    fixed = attrs.evolve(
        ACCOUNT, contacts=[attrs.evolve(ACCOUNT.contacts[0], postal_address=complete)]
    )
    assert record_account(store.unit_of_work(), fixed, as_of=date(2026, 2, 21)).events[
        0
    ].fields == ("contacts",)
    handed = run_cycle(store.unit_of_work, config, date(2026, 2, 22))
    assert handed.actions.get("HAND_OVER_TO_COLLECTION") == 1
