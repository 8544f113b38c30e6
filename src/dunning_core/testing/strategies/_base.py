"""Strategies for the basic values: currencies, money, dates (private)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

from hypothesis import strategies as st

from dunning_core._iso4217 import MINOR_UNITS
from dunning_core.domain.account import Segment
from dunning_core.money import Money

__all__ = ["currencies", "dates", "money"]

T = TypeVar("T")

# Shrinks towards the first: EUR, then the currencies whose minor unit differs.
_FAVOURITES = ("EUR", "JPY", "BHD", "USD", "XPF", "GBP", "CLF", "IQD")
_TIMEZONES = ("UTC", "Europe/Paris", "Pacific/Noumea", "America/New_York", "Asia/Tokyo")
_LOCALES = ("en_US", "fr_FR", "de_DE", "es_ES", "en_IE")
_EPOCH = date(2026, 1, 1)
_SEGMENTS = st.sampled_from([Segment.SMALL, Segment.LARGE])


def _strategy(value: T | st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def currencies(*, every: bool = False) -> st.SearchStrategy[str]:
    """ISO 4217 codes: a handful covering 0, 2, 3 and 4 decimals, or ``every=True``
    active code (JPY has 0 decimals, BHD 3, CLF 4)."""
    if every:
        rest = sorted(set(MINOR_UNITS) - set(_FAVOURITES))
        return st.sampled_from(_FAVOURITES + tuple(rest))
    return st.sampled_from(_FAVOURITES)


def money(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    min_units: int = 1,
    max_units: int = 10_000_000,
) -> st.SearchStrategy[Money]:
    """Money drawn as a whole number of minor units in ``[min_units, max_units]``.

    Args:
        currency: A code or a strategy of codes; :func:`currencies` by default.
        min_units: Smallest amount in minor units (may be negative or zero).
        max_units: Largest amount in minor units.
    """
    codes = currencies() if currency is None else _strategy(currency)
    return st.builds(Money.from_minor, st.integers(min_units, max_units), codes)


def dates(
    *, min_value: date = date(2025, 1, 1), max_value: date = date(2027, 12, 31)
) -> st.SearchStrategy[date]:
    """Calendar days, shrinking towards 1 January 2026."""
    span = (max_value - min_value).days
    anchor = min(max((_EPOCH - min_value).days, 0), span)
    offsets = st.integers(0, span).map(lambda k: (anchor + k) % (span + 1))
    return offsets.map(lambda k: min_value + timedelta(days=k))


_identifiers = st.integers(1, 999_999)


def _days_near(near: date | None) -> st.SearchStrategy[date]:
    if near is None:
        return dates()
    return dates(min_value=near - timedelta(days=60), max_value=near + timedelta(days=60))
