"""What a dunning cycle has done, as flat records a store keeps.

:class:`ActionRecord` is one executed (or deliberately skipped) dunning action;
:class:`EventRecord` is something that happened to an account (suspended, reactivated)
that other systems may react to; :class:`CycleCheckpoint` is how far a cycle got for one
run date and shard; :class:`ReviewBasis` is what the stored wake-up dates were computed
with. Each record has a key, and stores ignore a second record with a key
they already hold: that is what makes a rerun of a cycle write nothing new.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from dunning_core.domain._checks import (
    a_bool,
    a_date,
    field_name,
    identifier,
    non_empty_text,
    optional_identifier,
    plain_text,
    to_tuple,
)
from dunning_core.domain.outbox import aware_datetime
from dunning_core.errors import InvalidField

__all__ = ["ActionRecord", "CycleCheckpoint", "EventRecord", "ReviewBasis"]


def _strings(instance: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    for item in value:
        if not isinstance(item, str) or not item:
            raise InvalidField(
                field_name(instance, attribute), value, "every item must be a non-empty string"
            )


@attrs.frozen(kw_only=True)
class ActionRecord:
    """One dunning action as history keeps it.

    Args:
        key: Unique key of the action (run date or stage, account, invoices); a second
            record with the same key is ignored by the store.
        account_id: The account.
        ladder: The ladder's name.
        stage: The stage's key (``"notice.first"``).
        action: What was done (``"EMAIL"``, ``"SUSPEND"``, ``"HAND_OVER"``).
        channel: The channel used, or ``""`` for actions without a message.
        invoice_numbers: The invoices the action was about.
        fired_on: The day it fired (the cycle's ``as_of`` in the account's timezone).
        skipped: True when the stage was due but deliberately not executed (an
            incomplete address, say); recorded so it is not retried every day.
        payload: Anything else, serialised by the caller (JSON, typically).
    """

    key: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    ladder: str = attrs.field(validator=plain_text)
    stage: str = attrs.field(validator=plain_text)
    action: str = attrs.field(validator=plain_text)
    channel: str = attrs.field(default="", validator=plain_text)
    invoice_numbers: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_strings
    )
    fired_on: date = attrs.field(validator=a_date)
    skipped: bool = attrs.field(default=False, validator=a_bool)
    payload: str = attrs.field(default="", validator=plain_text)


@attrs.frozen(kw_only=True)
class EventRecord:
    """Something that happened to an account (``"account.suspended"``).

    Args:
        key: Unique key; a second event with the same key is ignored by the store.
        account_id: The account.
        kind: What happened, as a stable dotted name.
        occurred_at: When (an aware datetime).
        payload: Details, serialised by the caller.
    """

    key: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    kind: str = attrs.field(validator=non_empty_text)
    occurred_at: datetime = attrs.field(validator=aware_datetime)
    payload: str = attrs.field(default="", validator=plain_text)


@attrs.frozen(kw_only=True)
class CycleCheckpoint:
    """How far the cycle for one run date and one shard has got.

    Written in the same transaction as a batch's effects, so a rerun resumes after
    ``last_account_id`` and a finished shard (``done``) is not run again.

    Args:
        run_date: The cycle's run date.
        shard: The shard's label (``"all"``, ``"3/16"``).
        last_account_id: The last account id whose batch is committed, or ``None``.
        done: True once every account of the shard is processed.
    """

    run_date: date = attrs.field(validator=a_date)
    shard: str = attrs.field(validator=non_empty_text)
    last_account_id: str | None = attrs.field(default=None, validator=optional_identifier)
    done: bool = attrs.field(default=False, validator=a_bool)


@attrs.frozen(kw_only=True)
class ReviewBasis:
    """What the wake-up dates a store holds were computed with.

    The cycle stores, for each account it evaluates, the day it must evaluate it again
    (see :class:`~dunning_core.ports.ReviewStore`). Those days hold only for the
    configuration that computed them and for later days: a run with another
    configuration, or for a day before one already run, evaluates every account.

    Args:
        fingerprint: The fingerprint of the deciding configuration
            (:meth:`~dunning_core.service.settings.CycleConfig.fingerprint`).
        latest_day: The latest run day any stored wake-up date was computed on.

    .. versionadded:: 0.2
    """

    fingerprint: str = attrs.field(validator=non_empty_text)
    latest_day: date = attrs.field(validator=a_date)
