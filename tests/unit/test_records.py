"""Storage records validate their fields."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.errors import InvalidField

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_new_message_is_pending_and_due_at_creation() -> None:
    message = OutboxMessage.new(
        key="k",
        account_id="A",
        channel="EMAIL",
        recipient="r",
        subject="s",
        body="b",
        created_at=T0,
    )
    assert message.status is OutboxStatus.PENDING
    assert message.next_attempt_at == T0
    assert message.attempts == 0
    assert not message.is_final


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("key", ""),
        ("created_at", datetime(2026, 1, 1)),
        ("status", "LOST"),
        ("attempts", -1),
        ("lease_expires_at", datetime(2026, 1, 1)),
        ("last_error", 3),
    ],
)
def test_outbox_message_refuses_bad_fields(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "key": "k",
        "account_id": "A",
        "channel": "EMAIL",
        "recipient": "r",
        "subject": "s",
        "body": "b",
        "created_at": T0,
        field: value,
    }
    with pytest.raises(InvalidField) as raised:
        OutboxMessage(**fields)  # type: ignore[arg-type]
    assert field in raised.value.field


def test_history_records_refuse_bad_fields() -> None:
    with pytest.raises(InvalidField):
        ActionRecord(key="k", account_id="A", ladder="l", stage="s", action="a", fired_on=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        ActionRecord(
            key="k",
            account_id="A",
            ladder="l",
            stage="s",
            action="a",
            fired_on=date(2026, 1, 1),
            invoice_numbers=("",),
        )
    with pytest.raises(InvalidField):
        EventRecord(key="k", account_id="A", kind="x", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(InvalidField):
        CycleCheckpoint(run_date=date(2026, 1, 1), shard="all", done=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        Delivery(provider_message_id="")
    record = ActionRecord(
        key="k",
        account_id="A",
        ladder="l",
        stage="s",
        action="a",
        fired_on=date(2026, 1, 1),
        invoice_numbers=["I-1"],
    )
    assert record.invoice_numbers == ("I-1",)
