"""The real clock, for production composition roots (tests use
:class:`~dunning_core.testing.fakes.FixedClock`)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock"]


class SystemClock:
    """A :class:`~dunning_core.ports.Clock` reading the system time, in UTC."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        return datetime.now(UTC)
