"""Every preset ladder walks one invoice from issue to its last stage (daily runs).

The expected days are worked out by hand from the offsets and the calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dunning_core import Account, Channel, Contact, Invoice, Money, PostalAddress, build_statement
from dunning_core.policies.ladder import (
    ActionKind,
    BusinessCalendar,
    DunningHistory,
    HandOver,
    Ladder,
    LadderAssignment,
    evaluate_ladder,
    presets,
)

ADDRESS = PostalAddress(
    recipient="SAS Ateliers",
    lines=["8 quai de la Loire"],
    postal_code="75019",
    city="Paris",
    country="FR",
)
ACCOUNT = Account(
    id="FR-7",
    name="SAS Ateliers",
    currency="EUR",
    timezone="Europe/Paris",
    contacts=[Contact(email="compta@ateliers.fr", mobile="+33612345678", postal_address=ADDRESS)],
)
MAY_2026_HOLIDAYS = {date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14), date(2026, 5, 25)}


def walk(
    ladder: Ladder, due_on: date, until: date
) -> list[tuple[date, str, ActionKind, Channel | None]]:
    invoice = Invoice(
        number="F-2026-0042",
        account_id="FR-7",
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        amount=Money("1200.00", "EUR"),
    )
    assignment = LadderAssignment(
        account_id="FR-7", ladder=ladder.name, hand_over=HandOver.AUTOMATIC
    )
    history = DunningHistory.empty("FR-7")
    seen = []
    day = invoice.issued_on
    while day <= until:
        statement = build_statement(ACCOUNT, day, invoices=[invoice])
        actions = evaluate_ladder(ladder, statement, history, day, assignment=assignment)
        for action in actions:
            assert action.invoice_numbers == ("F-2026-0042",)
            assert not action.needs_review
            seen.append((day, action.stage, action.kind, action.channel))
            history = history.with_records(action.to_records())
        day += timedelta(days=1)
    assert all(not r.skipped for r in history.records), "daily runs never skip a stage"
    return seen


EMAIL = Channel.EMAIL
REMIND = ActionKind.REMIND


def test_due_date_reminders() -> None:
    due = date(2026, 3, 10)
    assert walk(presets.DUE_DATE_REMINDERS, due, due + timedelta(days=60)) == [
        (date(2026, 3, 3), "due_soon", REMIND, EMAIL),
        (date(2026, 3, 10), "due_today", REMIND, EMAIL),
        (date(2026, 3, 11), "overdue", REMIND, EMAIL),
    ]


def test_five_notices_then_termination() -> None:
    due = date(2026, 3, 2)
    assert walk(presets.FIVE_NOTICES_THEN_TERMINATION, due, due + timedelta(days=90)) == [
        (date(2026, 3, 3), "first_notice", REMIND, EMAIL),
        (date(2026, 3, 10), "second_notice", REMIND, EMAIL),
        (date(2026, 3, 17), "third_notice", REMIND, EMAIL),
        (date(2026, 3, 22), "final_notice", REMIND, EMAIL),
        (date(2026, 3, 27), "legal_notice", ActionKind.TERMINATE, None),
        (date(2026, 3, 27), "legal_notice", ActionKind.TERMINATE, EMAIL),
    ]
    third = presets.FIVE_NOTICES_THEN_TERMINATION.stage("third_notice")
    terminate = presets.FIVE_NOTICES_THEN_TERMINATION.stage("legal_notice")
    assert terminate.offset - third.offset == 10  # "terminated in 10 days"
    assert (
        terminate.offset - presets.FIVE_NOTICES_THEN_TERMINATION.stage("final_notice").offset == 5
    )


def test_reminders_then_collection_then_legal() -> None:
    due = date(2026, 3, 2)
    assert walk(presets.REMINDERS_THEN_COLLECTION_THEN_LEGAL, due, due + timedelta(days=120)) == [
        (date(2026, 3, 5), "reminder_1", REMIND, EMAIL),
        (date(2026, 3, 12), "reminder_2", REMIND, EMAIL),
        (date(2026, 3, 22), "hand_over", ActionKind.HAND_OVER_TO_COLLECTION, None),
        (date(2026, 5, 1), "legal_action", ActionKind.LEGAL_ACTION, None),
    ]


def test_reminders_then_collection_then_cancellation() -> None:
    due = date(2026, 3, 2)
    assert walk(
        presets.REMINDERS_THEN_COLLECTION_THEN_CANCELLATION, due, due + timedelta(days=120)
    ) == [
        (date(2026, 3, 5), "reminder_1", REMIND, EMAIL),
        (date(2026, 3, 12), "reminder_2", REMIND, EMAIL),
        (date(2026, 3, 22), "hand_over", ActionKind.HAND_OVER_TO_COLLECTION, None),
        (date(2026, 5, 1), "cancel_order", ActionKind.CANCEL_ORDER, None),
        (date(2026, 5, 1), "cancel_order", ActionKind.CANCEL_ORDER, EMAIL),
    ]


def test_formal_notice_fr_counts_business_days_with_french_holidays() -> None:
    ladder = presets.FORMAL_NOTICE_FR.with_calendar(BusinessCalendar(holidays=MAY_2026_HOLIDAYS))
    due = date(2026, 4, 30)  # a Thursday; Friday 1 May is a holiday
    assert walk(ladder, due, due + timedelta(days=90)) == [
        (date(2026, 5, 4), "relance_email", REMIND, EMAIL),  # +1: Mon 4 (1 May, weekend)
        (date(2026, 5, 11), "relance_sms", REMIND, Channel.SMS),  # +5: 8 May skipped
        (date(2026, 5, 19), "appel", REMIND, Channel.PHONE_TASK),  # +10: 14 May skipped
        (date(2026, 5, 27), "mise_en_demeure", ActionKind.FORMAL_NOTICE, Channel.REGISTERED_LETTER),
    ]


@pytest.mark.parametrize("ladder", presets.ALL, ids=lambda ladder: ladder.name)
def test_every_preset_is_documented_and_found_by_name(ladder: Ladder) -> None:
    assert ladder.description
    assert presets.by_name(ladder.name) is ladder
    assert any(getattr(presets, name) is ladder for name in presets.__all__)


def test_unknown_preset_name() -> None:
    with pytest.raises(KeyError):
        presets.by_name("nope")
