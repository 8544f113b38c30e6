"""The grace given to payments in flight (private; re-exported by
:mod:`dunning_core.policies.suspension`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from dunning_core._exports import renamed_keywords
from dunning_core.domain._checks import to_frozenset
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.errors import InvalidPolicy
from dunning_core.policies._wake import WakeUp
from dunning_core.policies.in_flight import flight_ends_on
from dunning_core.policies.suspension._reasons import ReasonCode, SuspensionContext

__all__ = ["InFlightGrace"]


def _business_days(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidPolicy("InFlightGrace.clearing_window_days", value, "must be an int >= 0")
    return value


def _holidays(value: Iterable[date]) -> frozenset[date]:
    days = to_frozenset(value)
    for day in days:
        if not isinstance(day, date):
            raise InvalidPolicy("InFlightGrace.holidays", day, "must be a datetime.date")
    return days


@attrs.frozen(kw_only=True)
class InFlightGrace:
    """Hold off some reasons while a PENDING payment that covers them is in flight.

    A direct debit can take up to 10 business days to arrive (the seeds' telephony
    provider says so): suspending a customer whose money is on its way is wrong. A
    pending payment is in flight by the library's one rule
    (:func:`~dunning_core.policies.in_flight.payments_in_flight`, which the ladder
    uses too): dated at most ``clearing_window_days`` business days before the day
    (Monday to Friday, minus ``holidays``), or later than it. When the payments in
    flight add up to at least the amount that clears the reasons whose codes are in
    ``applies_to``, those reasons are deferred: they appear in
    ``SuspensionDecision.deferred`` instead of suspending.

    Args:
        clearing_window_days: Business days a pending payment stays credible (10); the
            name the ladder uses too (``clearing_days`` still works for one release).
        applies_to: Reason codes it can hold off (``OVERDUE_DAYS`` only, by default).
        holidays: Bank holidays that are not business days.

    Raises:
        InvalidPolicy: ``clearing_window_days`` is negative or a holiday is not a date.

    .. versionchanged:: 0.2
       ``clearing_days`` is now ``clearing_window_days``; a payment dated after the
       decision day (a scheduled retry) counts as in flight, as in the ladder.
    """

    clearing_window_days: int = attrs.field(default=10, converter=_business_days)
    applies_to: frozenset[str] = attrs.field(
        default=frozenset({ReasonCode.OVERDUE_DAYS.value}), converter=to_frozenset
    )
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_holidays)
    _calendar: BusinessCalendar = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_calendar", BusinessCalendar(holidays=self.holidays))

    @property
    def calendar(self) -> BusinessCalendar:
        """The business days the clearing window is counted in."""
        return self._calendar

    @property
    def clearing_days(self) -> int:
        """Deprecated alias of :attr:`clearing_window_days`."""
        warnings.warn(
            "InFlightGrace.clearing_days is deprecated; use clearing_window_days",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.clearing_window_days

    def wakes_on(self, context: SuspensionContext) -> date | None:
        """The next day a pending payment's clearing window is over (it stops holding
        reasons off).

        Args:
            context: The account's pending payments on the decision day.
        """
        wake = WakeUp(context.on)
        for payment in context.pending:
            wake.offer(
                flight_ends_on(
                    payment, window_days=self.clearing_window_days, calendar=self._calendar
                )
            )
        return wake.day

    def last_day(self, received_on: date) -> date:
        """The last day a payment initiated on ``received_on`` counts as in flight."""
        return self._calendar.add_business_days(received_on, self.clearing_window_days)


_generated_init: Any = InFlightGrace.__init__
InFlightGrace.__init__ = renamed_keywords(  # type: ignore[method-assign]
    clearing_days="clearing_window_days"
)(_generated_init)
