"""Wake-up dates: the earliest day a policy's answer can change (private helper).

Every policy that the cycle runs also says when, with the same ledger, facts and
history, its answer can next be different: the next stage date, the end of a pause, the
day an invoice crosses a threshold. The cycle keeps the earliest of them per account and
does not evaluate the account again before that day unless something is written for it.
A policy collects its candidate days in a :class:`WakeUp`; a day on or before the
decision day is already in effect and is ignored.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["ONE_DAY", "WakeUp"]

ONE_DAY = timedelta(days=1)


class WakeUp:
    """The earliest day after ``after`` among the days offered (``None`` if none).

    >>> wake = WakeUp(date(2026, 3, 1))
    >>> wake.offer(date(2026, 3, 9)); wake.offer(date(2026, 3, 1)); wake.offer(None)
    >>> wake.offer(date(2026, 3, 4)); wake.day
    datetime.date(2026, 3, 4)
    """

    __slots__ = ("after", "day")

    def __init__(self, after: date) -> None:
        self.after = after
        self.day: date | None = None

    def offer(self, day: date | None) -> None:
        """Keep ``day`` if it is after :attr:`after` and earlier than what was kept."""
        if day is not None and day > self.after and (self.day is None or day < self.day):
            self.day = day

    def tomorrow(self) -> None:
        """Offer the day after :attr:`after` (the answer may change at once)."""
        self.offer(self.after + ONE_DAY)
