"""Ready-made ladders, as the seeds' collection teams run them.

Each is a plain :class:`~dunning_core.policies.ladder.Ladder`: use it as is, or derive
your own with ``attrs.evolve`` (other offsets, fees, a holiday calendar with
:meth:`Ladder.with_calendar`). Stage keys are stable: they are in every history record.

- ``DUE_DATE_REMINDERS``: emails 7 days before the due date, on it, and the day after.
- ``FIVE_NOTICES_THEN_TERMINATION``: emails at +1 (first notice), +8 (second), +15
  (third: "terminated in 10 days"), +20 (final: "in 5 days"), then at +25 the legal
  notice and TERMINATE.
- ``REMINDERS_THEN_COLLECTION_THEN_LEGAL``: reminder emails at +3 and +10, hand-over to
  collection at +20, judicial recovery (LEGAL_ACTION) at +60.
- ``REMINDERS_THEN_COLLECTION_THEN_CANCELLATION``: the same, then at +60 the order is
  cancelled (CANCEL_ORDER, with an email).
- ``FORMAL_NOTICE_FR``: in business days, an email at +1, an SMS at +5, a phone task at
  +10 and a registered *mise en demeure* at +15, each in turn.
"""

from __future__ import annotations

from dunning_core.domain.account import Channel
from dunning_core.policies.ladder._model import ActionKind, CatchUp, DayBasis, Ladder, Stage

__all__ = [
    "ALL",
    "DUE_DATE_REMINDERS",
    "FIVE_NOTICES_THEN_TERMINATION",
    "FORMAL_NOTICE_FR",
    "REMINDERS_THEN_COLLECTION_THEN_CANCELLATION",
    "REMINDERS_THEN_COLLECTION_THEN_LEGAL",
    "by_name",
]

EMAIL = Channel.EMAIL

#: Reminder emails before, on and after the due date (an ad platform's FAQ: "when the
#: due date approaches, when it is reached, when it is past").
DUE_DATE_REMINDERS = Ladder(
    name="due-date-reminders",
    description="Courtesy emails 7 days before the due date, on the day and the day after.",
    stages=(
        Stage(key="due_soon", offset=-7, channels=EMAIL),
        Stage(key="due_today", offset=0, channels=EMAIL),
        Stage(key="overdue", offset=1, channels=EMAIL),
    ),
    min_days_between_notices=1,
)

#: Five reminder emails ending in termination (a telephony provider: first notice,
#: second notice, third "your account will be terminated in 10 days", last "in 5 days",
#: legal notice "account terminated").
FIVE_NOTICES_THEN_TERMINATION = Ladder(
    name="five-notices-then-termination",
    description="Four notices a week or five days apart, then the account is terminated.",
    stages=(
        Stage(key="first_notice", offset=1, channels=EMAIL),
        Stage(key="second_notice", offset=8, channels=EMAIL),
        Stage(key="third_notice", offset=15, channels=EMAIL, template="termination_in_10_days"),
        Stage(key="final_notice", offset=20, channels=EMAIL, template="termination_in_5_days"),
        Stage(
            key="legal_notice",
            offset=25,
            channels=EMAIL,
            action=ActionKind.TERMINATE,
            template="account_terminated",
        ),
    ),
    min_days_between_notices=5,
)


def _collection_ladder(name: str, last: Stage, description: str) -> Ladder:
    return Ladder(
        name=name,
        description=description,
        stages=(
            Stage(key="reminder_1", offset=3, channels=EMAIL),
            Stage(key="reminder_2", offset=10, channels=EMAIL),
            Stage(key="hand_over", offset=20, action=ActionKind.HAND_OVER_TO_COLLECTION),
            last,
        ),
        min_days_between_notices=3,
    )


#: A sales platform's option (a): two reminders, the collection partner, then judicial
#: recovery.
REMINDERS_THEN_COLLECTION_THEN_LEGAL = _collection_ladder(
    "reminders-collection-legal",
    Stage(key="legal_action", offset=60, action=ActionKind.LEGAL_ACTION),
    "Two reminders, hand-over to a collection agency, then judicial recovery.",
)

#: A sales platform's option (b): two reminders, the collection partner, then the
#: order is cancelled.
REMINDERS_THEN_COLLECTION_THEN_CANCELLATION = _collection_ladder(
    "reminders-collection-cancellation",
    Stage(
        key="cancel_order",
        offset=60,
        channels=EMAIL,
        action=ActionKind.CANCEL_ORDER,
        template="order_cancelled",
    ),
    "Two reminders, hand-over to a collection agency, then the order is cancelled.",
)

#: A French collection agency's sequence, in business days: an email with a payment
#: link, an SMS, a phone call with a report, then a registered formal notice (*mise en
#: demeure*). Each step in turn: the formal notice never goes out before the call.
FORMAL_NOTICE_FR = Ladder(
    name="formal-notice-fr",
    description="Email, SMS, phone call, then a registered mise en demeure (business days).",
    stages=(
        Stage(key="relance_email", offset=1, basis=DayBasis.BUSINESS, channels=EMAIL),
        Stage(key="relance_sms", offset=5, basis=DayBasis.BUSINESS, channels=Channel.SMS),
        Stage(key="appel", offset=10, basis=DayBasis.BUSINESS, channels=Channel.PHONE_TASK),
        Stage(
            key="mise_en_demeure",
            offset=15,
            basis=DayBasis.BUSINESS,
            channels=Channel.REGISTERED_LETTER,
            action=ActionKind.FORMAL_NOTICE,
        ),
    ),
    catch_up=CatchUp.EACH_IN_TURN,
    min_days_between_notices=2,
)

#: Every preset, in the order above.
ALL: tuple[Ladder, ...] = (
    DUE_DATE_REMINDERS,
    FIVE_NOTICES_THEN_TERMINATION,
    REMINDERS_THEN_COLLECTION_THEN_LEGAL,
    REMINDERS_THEN_COLLECTION_THEN_CANCELLATION,
    FORMAL_NOTICE_FR,
)


def by_name(name: str) -> Ladder:
    """The preset called ``name`` (``"formal-notice-fr"``, ...).

    Raises:
        KeyError: no preset has that name.
    """
    for ladder in ALL:
        if ladder.name == name:
            return ladder
    raise KeyError(name)
