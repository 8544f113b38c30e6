"""Which ladder an account follows, and its options.

The seeds' collection teams let a merchant pick a reminder option (a ladder) per
account and change it at most every 30 days; hand-overs to collection are automatic
or reviewed by a person first; chargebacks may go straight to collection.

>>> from datetime import date
>>> a = LadderAssignment(account_id="A-1", ladder="reminders-collection-legal",
...                      changed_on=date(2026, 3, 1))
>>> try:
...     change_ladder(a, "reminders-collection-cancellation", date(2026, 3, 15))
... except ChangeTooSoon as too_soon:
...     print(too_soon.first_allowed)
2026-03-31
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import attrs

from dunning_core.domain._checks import a_bool, identifier, optional_date, to_enum
from dunning_core.errors import ChangeTooSoon, InvalidField
from dunning_core.policies.ladder._model import Ladder

__all__ = ["CHANGE_INTERVAL", "HandOver", "LadderAssignment", "change_ladder"]

#: How long an account keeps a ladder before it may change again.
CHANGE_INTERVAL = timedelta(days=30)


class HandOver(enum.StrEnum):
    """How a hand-over to collection happens for an account."""

    AUTOMATIC = "AUTOMATIC"  #: the hand-over action goes out as is
    REVIEW = "REVIEW"  #: the action is queued for a person (``needs_review=True``)


def _hand_over(value: object) -> HandOver:
    return to_enum(HandOver, "LadderAssignment.hand_over", value)


@attrs.frozen(kw_only=True)
class LadderAssignment:
    """An account's reminder option: its ladder and how hand-overs happen.

    Args:
        account_id: The account.
        ladder: The name of the ladder it follows.
        changed_on: The day the ladder was last chosen, or ``None`` when it never was
            (a default assignment may change at once).
        hand_over: AUTOMATIC, or REVIEW (default): hand-overs wait for a person.
        chargebacks_to_collection: When True, an invoice reopened by a chargeback goes
            straight to the ladder's hand-over stage once it is past due.

    Raises:
        InvalidField: on bad input, naming the field and the value.
    """

    account_id: str = attrs.field(validator=identifier)
    ladder: str = attrs.field(validator=identifier)
    changed_on: date | None = attrs.field(default=None, validator=optional_date)
    hand_over: HandOver = attrs.field(default=HandOver.REVIEW, converter=_hand_over)
    chargebacks_to_collection: bool = attrs.field(default=False, validator=a_bool)

    @property
    def next_change_allowed_on(self) -> date | None:
        """The first day a new ladder may be chosen (``None``: any day)."""
        return None if self.changed_on is None else self.changed_on + CHANGE_INTERVAL


def change_ladder(
    assignment: LadderAssignment, new_ladder: Ladder | str, on: date
) -> LadderAssignment:
    """Move an account to another ladder, at most once every 30 days.

    Choosing the ladder the account already follows changes nothing (and is always
    allowed). The stages the old ladder fired stay in the history: the new ladder
    treats its stages due on or before the last of them as done, so the customer does
    not receive the same step twice.

    Args:
        assignment: The account's current assignment.
        new_ladder: The ladder (or its name) to follow from ``on``.
        on: The day of the change.

    Returns:
        The new assignment, with ``changed_on=on``.

    Raises:
        ChangeTooSoon: the last change was less than 30 days before ``on``; it names
            the first allowed day.
        InvalidField: ``on`` is not a date.
    """
    if not isinstance(on, date) or isinstance(on, datetime):
        raise InvalidField("on", on, "must be a datetime.date")
    name = new_ladder.name if isinstance(new_ladder, Ladder) else new_ladder
    if name == assignment.ladder:
        return assignment
    allowed = assignment.next_change_allowed_on
    if allowed is not None and on < allowed:
        raise ChangeTooSoon(assignment.account_id, assignment.changed_on, allowed)
    return attrs.evolve(assignment, ladder=name, changed_on=on)
