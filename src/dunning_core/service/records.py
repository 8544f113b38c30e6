"""The record codec: decisions and events as the rows a store keeps, and back.

- A ladder action leaves one :class:`~dunning_core.domain.history.ActionRecord` per
  stage it fired or skipped (:func:`action_records`); the next run rebuilds the
  ladder's :class:`~dunning_core.policies.ladder.DunningHistory` from those rows
  (:func:`history_from_records`).
- An event (:mod:`dunning_core.domain.events`) is stored as an
  :class:`~dunning_core.domain.history.EventRecord` under its ``kind``, its details as
  a JSON payload (:func:`event_record`); :func:`event_payload` reads the payload back.

Use it to read what the cycle wrote, or to store the decisions of your own loop the
same way:

>>> from datetime import date
>>> from dunning_core import Money
>>> from dunning_core.domain.events import InvoiceWrittenOff
>>> event = InvoiceWrittenOff(account_id="A-1", as_of=date(2026, 3, 1),
...                           invoice_number="F-1", amount=Money("80", "EUR"),
...                           reason="collection failed")
>>> record = event_record(event, key="write-off:F-1")
>>> record.kind, event_payload(record)["amount"]
('invoice.written_off', '80.00 EUR')

.. versionadded:: 0.2
   Was part of the private ``service._effects``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs

from dunning_core.domain._checks import unchecked_constructor
from dunning_core.domain.dates import as_instant
from dunning_core.domain.events import (
    AccountReactivated,
    AccountSuspended,
    ClaimDeclared,
    CreditAlertRaised,
    Event,
    StageFired,
)
from dunning_core.domain.history import ActionRecord, EventRecord
from dunning_core.domain.reasons import Reason
from dunning_core.money import Money
from dunning_core.policies.ladder import (
    DECLARE_CLAIM_PREFIX,
    DunningAction,
    DunningHistory,
    StageRecord,
)

__all__ = ["action_records", "event_payload", "event_record", "history_from_records"]

_unchecked_action_record = unchecked_constructor(ActionRecord)
_unchecked_stage_record = unchecked_constructor(StageRecord)

# History row keys are "<action key>/fired|skipped/<stage>": one action can carry a stage
# fired for some invoices and skipped (caught up) for others, and both records are kept.
# Action keys are hex digests, so the first "/" ends them.
_SEPARATOR = "/"


def action_records(action: DunningAction) -> list[ActionRecord]:
    """The storage rows for an action's stage records: one per stage fired and one per
    stage skipped, each with its own key (``<action key>/fired/<stage>``)."""
    # Every part comes from the validated action and its records: built unchecked.
    kind = str(action.kind)
    channel = "" if action.channel is None else str(action.channel)
    return [
        _unchecked_action_record(
            key=_SEPARATOR.join(
                (record.action_key, "skipped" if record.skipped else "fired", record.stage)
            ),
            account_id=record.account_id,
            ladder=record.ladder,
            stage=record.stage,
            action=kind,
            channel=channel,
            invoice_numbers=record.invoice_numbers,
            fired_on=record.fired_on,
            skipped=record.skipped,
            payload="",
        )
        for record in action.to_records()
    ]


def history_from_records(account_id: str, records: Iterable[ActionRecord]) -> DunningHistory:
    """Rebuild the ladder's history of one account from its stored action rows."""
    stage_records = []
    for row in records:
        action_key, _, _ = row.key.partition(_SEPARATOR)
        numbers = tuple(sorted(set(row.invoice_numbers)))
        if not (numbers and action_key and row.ladder and row.stage):  # not the cycle's: say why
            stage_records.append(
                StageRecord(
                    account_id=row.account_id,
                    ladder=row.ladder,
                    stage=row.stage,
                    invoice_numbers=numbers,
                    fired_on=row.fired_on,
                    skipped=row.skipped,
                    action_key=action_key,
                )
            )
            continue
        stage_records.append(
            _unchecked_stage_record(
                account_id=row.account_id,
                ladder=row.ladder,
                stage=row.stage,
                invoice_numbers=numbers,
                fired_on=row.fired_on,
                skipped=row.skipped,
                action_key=action_key,
            )
        )
    return DunningHistory.from_records(stage_records, account_id=account_id)


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Reason):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _details(event: Event) -> dict[str, Any]:
    """The payload of an event; the keys of 0.1's payloads are kept as they were."""
    if isinstance(event, AccountSuspended):
        return {
            "reasons": [str(reason.code) for reason in event.reasons],
            "resumes_when": event.resumes_when,
            "requires_prepayment": event.requires_prepayment,
            "cleared_by": None,
        }
    if isinstance(event, AccountReactivated):
        return {
            "reasons": [],
            "cleared_reason_codes": list(event.cleared_reason_codes),
            "resumes_when": "",
            "requires_prepayment": event.requires_prepayment,
            "cleared_by": event.payment_id,
        }
    if isinstance(event, (StageFired, ClaimDeclared)):
        details: dict[str, Any] = {
            "ladder": event.ladder,
            "stage": (
                event.stage
                if isinstance(event, StageFired)
                else DECLARE_CLAIM_PREFIX + event.proceeding_id
            ),
            "invoices": list(event.invoice_numbers),
            "needs_review": isinstance(event, StageFired) and event.needs_review,
            "reasons": [str(reason) for reason in event.reasons],
        }
        if isinstance(event, ClaimDeclared):
            details["proceeding_id"] = event.proceeding_id
            details["amount"] = str(event.amount)
        return details
    if isinstance(event, CreditAlertRaised):
        return {
            "threshold": event.threshold,
            "exposure": str(event.exposure),
            "limit": str(event.credit_limit),
        }
    fields = attrs.fields_dict(type(event))
    return {
        name: _plain(getattr(event, name)) for name in fields if name not in ("account_id", "as_of")
    }


def event_record(event: Event, *, key: str) -> EventRecord:
    """The history row of ``event``: its ``kind``, its instant and a JSON payload.

    Args:
        event: The event.
        key: Its idempotency key: a second event with the same key is ignored.

    Returns:
        The :class:`~dunning_core.domain.history.EventRecord`.
    """
    return EventRecord(
        key=key,
        account_id=event.account_id,
        kind=event.kind,
        occurred_at=as_instant(event.as_of),
        payload=json.dumps(_details(event), ensure_ascii=False, sort_keys=True, default=str),
    )


def event_payload(record: EventRecord) -> dict[str, Any]:
    """The details of a stored event (its JSON payload), ``{}`` when there are none."""
    if not record.payload:
        return {}
    loaded = json.loads(record.payload)
    return loaded if isinstance(loaded, dict) else {"value": loaded}
