"""What to do when a SEPA direct debit comes back: re-present it, or stop collecting.

A returned direct debit carries an ISO 20022 reason code. Some reasons say the money may
be there another day (``AM04``, insufficient funds): the collection is re-presented once,
a few business days later, never on the days of the month when salaries are not yet in.
Others say no collection will ever work (``MD01`` no mandate, ``AC04`` account closed,
``MS02`` refused by the debtor): direct debit stops for the account and the invoices go
back to the dunning ladder. Anything else is not retried automatically.

:func:`decide_direct_debit_retry` is pure: the reason, the day it came back and how many
re-presentations were already made go in; a :class:`RetryDecision` with its reasons
comes out.

>>> from datetime import date
>>> decision = decide_direct_debit_retry(DirectDebitRetryPolicy(), "AM04", date(2026, 3, 5))
>>> decision.action, decision.retry_on
(<RetryAction.RETRY: 'RETRY'>, datetime.date(2026, 3, 12))
>>> decide_direct_debit_retry(DirectDebitRetryPolicy(), "MD01", date(2026, 3, 5)).action
<RetryAction.STOP_DIRECT_DEBIT: 'STOP_DIRECT_DEBIT'>
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from dunning_core.domain._checks import to_frozenset
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.domain.reasons import Reason
from dunning_core.errors import InvalidField, InvalidPolicy

__all__ = [
    "DirectDebitRetryPolicy",
    "RetryAction",
    "RetryDecision",
    "RetryReasonCode",
    "decide_direct_debit_retry",
]

#: Reasons after which the same collection may succeed another day.
RETRYABLE = frozenset({"AM04"})
#: Reasons after which no collection on this mandate will succeed: account closed or
#: blocked or wrong, no or invalid mandate, refused by the debtor, debtor deceased.
STOPPING = frozenset({"AC01", "AC04", "AC06", "MD01", "MD07", "MS02"})


class RetryAction(enum.StrEnum):
    """What happens after a return."""

    RETRY = "RETRY"  #: re-present the collection on ``retry_on``
    STOP_DIRECT_DEBIT = "STOP_DIRECT_DEBIT"  #: no more direct debits; the ladder takes over
    NO_RETRY = "NO_RETRY"  #: not retried automatically (attempts used, unknown reason)


class RetryReasonCode(enum.StrEnum):
    """Codes of the reasons a retry decision gives."""

    RETRYABLE_REASON = "RETRYABLE_REASON"
    STOPPING_REASON = "STOPPING_REASON"
    RETRIES_USED = "RETRIES_USED"
    UNHANDLED_REASON = "UNHANDLED_REASON"
    AVOIDED_DAY = "AVOIDED_DAY"


def _non_negative(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidPolicy(
            f"DirectDebitRetryPolicy.{attribute.name}", value, "must be an int >= 0"
        )


def _days_of_month(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for day in value:
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
            raise InvalidPolicy(
                "DirectDebitRetryPolicy.avoid_days_of_month",
                sorted(value, key=str),
                "days of the month go from 1 to 31",
            )
    if len(value) >= 28:
        raise InvalidPolicy(
            "DirectDebitRetryPolicy.avoid_days_of_month", sorted(value), "leaves no day to retry"
        )


def _codes(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for code in value:
        if not (isinstance(code, str) and len(code) == 4 and code.isalnum()):
            raise InvalidPolicy(
                f"DirectDebitRetryPolicy.{attribute.name}",
                code,
                "an ISO reason code is 4 characters",
            )


@attrs.frozen(kw_only=True)
class DirectDebitRetryPolicy:
    """When a returned direct debit is re-presented.

    Args:
        retry_reasons: Reason codes that allow a re-presentation (``AM04``).
        stop_reasons: Reason codes that stop direct debit for the account.
        max_retries: Re-presentations per collection (1: retry once).
        delay_business_days: Business days between the return and the re-presentation.
        avoid_days_of_month: Days of the month a re-presentation never falls on (the
            1st to the 3rd: salaries are not yet in); it moves to the next business day
            after them.
        calendar: Weekends and holidays.

    Raises:
        InvalidPolicy: a count is negative, a day is outside 1..31, a code is not four
            characters, or a code is both retried and stopping.
    """

    retry_reasons: frozenset[str] = attrs.field(
        default=RETRYABLE, converter=to_frozenset, validator=_codes
    )
    stop_reasons: frozenset[str] = attrs.field(
        default=STOPPING, converter=to_frozenset, validator=_codes
    )
    max_retries: int = attrs.field(default=1, validator=_non_negative)
    delay_business_days: int = attrs.field(default=5, validator=_non_negative)
    avoid_days_of_month: frozenset[int] = attrs.field(
        default=frozenset({1, 2, 3}), converter=to_frozenset, validator=_days_of_month
    )
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar)

    def __attrs_post_init__(self) -> None:
        both = self.retry_reasons & self.stop_reasons
        if both:
            raise InvalidPolicy(
                "DirectDebitRetryPolicy.retry_reasons", sorted(both), "also in stop_reasons"
            )


@attrs.frozen(kw_only=True)
class RetryDecision:
    """What to do after one return.

    Attributes:
        action: Re-present, stop direct debit, or leave it to a person and the ladder.
        reason_code: The ISO reason code of the return.
        retry_on: The day to re-present (RETRY only).
        attempt: The number of the re-presentation (1 for the first; RETRY only, else 0).
        reasons: Why, as sentences.
    """

    action: RetryAction
    reason_code: str
    retry_on: date | None = None
    attempt: int = 0
    reasons: tuple[Reason, ...] = ()

    @property
    def reason(self) -> str:
        """The reasons as one sentence."""
        return "; ".join(r.message for r in self.reasons)


def retry_day(policy: DirectDebitRetryPolicy, returned_on: date) -> date:
    """The re-presentation day: ``delay_business_days`` after the return, then the first
    business day not among the avoided days of the month."""
    day = policy.calendar.add_business_days(returned_on, policy.delay_business_days)
    day = policy.calendar.roll_forward(day)
    while day.day in policy.avoid_days_of_month or not policy.calendar.is_business_day(day):
        day += timedelta(days=1)
    return day


def decide_direct_debit_retry(
    policy: DirectDebitRetryPolicy,
    reason_code: str,
    returned_on: date,
    *,
    retries_so_far: int = 0,
) -> RetryDecision:
    """Decide what follows a returned direct debit.

    Args:
        policy: The retry policy.
        reason_code: The ISO 20022 reason code of the return (``"AM04"``).
        returned_on: The day the return was booked.
        retries_so_far: How many times this collection was already re-presented (the
            return of a re-presentation comes with 1).

    Returns:
        A :class:`RetryDecision`: RETRY with the day, STOP_DIRECT_DEBIT, or NO_RETRY.

    Raises:
        InvalidField: ``returned_on`` is not a date.
        InvalidPolicy: ``retries_so_far`` is negative.
    """
    if not isinstance(returned_on, date) or isinstance(returned_on, datetime):
        raise InvalidField("returned_on", returned_on, "must be a datetime.date")
    if (
        not isinstance(retries_so_far, int)
        or isinstance(retries_so_far, bool)
        or (retries_so_far < 0)
    ):
        raise InvalidPolicy("retries_so_far", retries_so_far, "must be an int >= 0")
    code = reason_code.strip().upper() if isinstance(reason_code, str) else ""
    if code in policy.stop_reasons:
        return RetryDecision(
            action=RetryAction.STOP_DIRECT_DEBIT,
            reason_code=code,
            reasons=(
                Reason(
                    RetryReasonCode.STOPPING_REASON,
                    f"return reason {code} means no direct debit on this mandate can "
                    "succeed: direct debit stops for the account and the dunning ladder "
                    "takes over",
                ),
            ),
        )
    if code in policy.retry_reasons:
        if retries_so_far >= policy.max_retries:
            return RetryDecision(
                action=RetryAction.NO_RETRY,
                reason_code=code,
                reasons=(
                    Reason(
                        RetryReasonCode.RETRIES_USED,
                        f"returned again ({code}) after {retries_so_far} re-presentation(s); "
                        f"the policy allows {policy.max_retries}: the dunning ladder takes over",
                    ),
                ),
            )
        day = retry_day(policy, returned_on)
        reasons = [
            Reason(
                RetryReasonCode.RETRYABLE_REASON,
                f"return reason {code} may clear another day: re-presented on {day}, "
                f"{policy.delay_business_days} business day(s) after the return",
            )
        ]
        plain = policy.calendar.roll_forward(
            policy.calendar.add_business_days(returned_on, policy.delay_business_days)
        )
        if plain != day:
            reasons.append(
                Reason(
                    RetryReasonCode.AVOIDED_DAY,
                    f"not on {plain}: the policy avoids days "
                    f"{', '.join(str(d) for d in sorted(policy.avoid_days_of_month))} "
                    "of the month",
                )
            )
        return RetryDecision(
            action=RetryAction.RETRY,
            reason_code=code,
            retry_on=day,
            attempt=retries_so_far + 1,
            reasons=tuple(reasons),
        )
    return RetryDecision(
        action=RetryAction.NO_RETRY,
        reason_code=code,
        reasons=(
            Reason(
                RetryReasonCode.UNHANDLED_REASON,
                f"return reason {code or '(none)'} is neither retried nor stopping: "
                "not re-presented automatically; the dunning ladder takes over",
            ),
        ),
    )
