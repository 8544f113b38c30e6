"""Letters after they left: the post's tracking number in the account's history.

:meth:`LetterNotifier.record_letter_tracking
<dunning_core.adapters.notify.letters.LetterNotifier.record_letter_tracking>` writes the
number into the print spool's manifest and, given a store, calls
:func:`record_letter_tracking` so the account's history shows it too (a
:class:`~dunning_core.domain.events.LetterTracked` event): the registered formal
notice's proof of posting is then found where the rest of the case is.

.. versionadded:: 0.3
"""

from __future__ import annotations

from dunning_core.domain.account import Channel
from dunning_core.domain.dates import AsOf, check_as_of
from dunning_core.domain.events import LetterTracked
from dunning_core.errors import InvalidField, UnknownRecord
from dunning_core.ports import UnitOfWork
from dunning_core.service._uow import check_unit_of_work
from dunning_core.service.records import event_record

__all__ = ["record_letter_tracking"]

_LETTERS = frozenset({Channel.LETTER.value, Channel.REGISTERED_LETTER.value})


def _tracking(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise InvalidField("tracking_number", value, "must be one non-empty line")
    return value.strip()


def record_letter_tracking(
    uow: UnitOfWork, key: str, tracking_number: str, as_of: AsOf
) -> LetterTracked:
    """Record the tracking number of the letter of outbox message ``key`` in its
    account's history, atomically.

    Recording the same number again changes nothing; a corrected number is a new
    event (the history keeps both, in order).

    Args:
        uow: A unit of work not yet entered; this function enters it and commits.
        key: The letter's outbox key.
        tracking_number: The post's number.
        as_of: When the number came back (a date or an aware datetime).

    Returns:
        The event.

    Raises:
        UnknownRecord: no LETTER or REGISTERED_LETTER message has this key.
        InvalidField: the number is empty or holds a line break.
        InvalidAsOf: ``as_of`` is a naive datetime.
        InvalidUnitOfWork: ``uow`` is a factory rather than a unit of work.
    """
    check_unit_of_work(uow)
    number = _tracking(tracking_number)
    check_as_of(as_of)
    with uow:
        message = uow.outbox.get(key)
        if message is None or message.channel not in _LETTERS:
            raise UnknownRecord("letter", key)
        event = LetterTracked(
            account_id=message.account_id,
            as_of=as_of,
            outbox_key=key,
            tracking_number=number,
            registered=message.channel == Channel.REGISTERED_LETTER.value,
        )
        uow.history.add_events([event_record(event, key=f"letter.tracked:{key}:{number}")])
        uow.commit()
    return event
