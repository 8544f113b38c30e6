"""Strategies for dunning ladders (private)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hypothesis import strategies as st

from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.policies.ladder import Ladder, Stage
from dunning_core.testing.strategies._base import _strategy

__all__ = ["ladders"]

_BASES = ("CALENDAR", "BUSINESS")
_CATCH_UPS = ("LATEST_ONLY", "EACH_IN_TURN")


@st.composite
def ladders(
    draw: st.DrawFn,
    *,
    min_stages: int = 1,
    max_stages: int = 6,
    min_offset: int = -14,
    max_offset: int = 90,
    basis: str | st.SearchStrategy[str] | None = None,
    catch_up: str | st.SearchStrategy[str] | None = None,
    holidays: Sequence[date] = (),
    min_days_between_notices: int | st.SearchStrategy[int] = 0,
) -> Ladder:
    """Ladders of email reminders with distinct offsets in ``[min_offset, max_offset]``.

    Args:
        basis: ``"CALENDAR"`` or ``"BUSINESS"`` for every stage; drawn per ladder by
            default (one basis for all its stages).
        catch_up: ``"LATEST_ONLY"`` or ``"EACH_IN_TURN"``; drawn by default.
        holidays: The holidays of the ladder's calendar.
        min_days_between_notices: The ladder's minimum gap (0 by default).
    """
    count = draw(st.integers(min_stages, max_stages))
    offsets = sorted(
        draw(
            st.lists(
                st.integers(min_offset, max_offset), min_size=count, max_size=count, unique=True
            )
        )
    )
    day_basis = draw(_strategy(basis) if basis is not None else st.sampled_from(_BASES))
    rule = draw(_strategy(catch_up) if catch_up is not None else st.sampled_from(_CATCH_UPS))
    return Ladder(
        name=draw(st.sampled_from(("drawn", "other-ladder"))),
        stages=[
            Stage(key=f"s{i}", offset=offset, basis=day_basis, channels="EMAIL")
            for i, offset in enumerate(offsets)
        ],
        catch_up=rule,
        calendar=BusinessCalendar(holidays=frozenset(holidays)),
        min_days_between_notices=draw(_strategy(min_days_between_notices)),
    )
