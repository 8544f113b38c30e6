"""Strategies for accounts and their contacts (private)."""

from __future__ import annotations

from hypothesis import strategies as st

from dunning_core.domain.account import Account, Contact, PostalAddress, Segment
from dunning_core.money import Money
from dunning_core.testing.strategies._base import (
    _LOCALES,
    _TIMEZONES,
    _identifiers,
    _strategy,
    currencies,
    money,
)

__all__ = ["accounts"]


def _complete_address() -> st.SearchStrategy[PostalAddress]:
    return st.builds(
        PostalAddress,
        recipient=st.just("Accounts payable"),
        lines=st.just(("1 rue de la Paix",)),
        postal_code=st.sampled_from(("98800", "75002", "10115")),
        city=st.sampled_from(("Nouméa", "Paris", "Berlin")),
        country=st.sampled_from(("NC", "FR", "DE")),
    )


@st.composite
def _contacts(draw: st.DrawFn) -> Contact:
    return Contact(
        name=draw(st.sampled_from(("Billing", "Marie Dupont", "Ops"))),
        email=draw(st.one_of(st.just("billing@example.com"), st.none())),
        mobile=draw(st.one_of(st.none(), st.just("+687751234"))),
        postal_address=draw(st.one_of(st.none(), _complete_address())),
    )


@st.composite
def accounts(
    draw: st.DrawFn,
    *,
    id: str | st.SearchStrategy[str] | None = None,
    currency: str | st.SearchStrategy[str] | None = None,
    segment: Segment | st.SearchStrategy[Segment] | None = None,
    timezone: str | st.SearchStrategy[str] | None = None,
    credit_limit: Money | st.SearchStrategy[Money] | st.SearchStrategy[None] | None = None,
) -> Account:
    """Valid accounts.

    Args:
        id: The account id; ``"A-<n>"`` by default.
        currency: The account currency; :func:`currencies` by default.
        segment: ``Segment.SMALL``, ``Segment.LARGE`` or a user key.
        timezone: IANA key; a few with different offsets by default.
        credit_limit: A Money or a strategy; drawn (sometimes none) by default. Pass
            ``st.none()`` for accounts without a limit.
    """
    code = draw(currencies() if currency is None else _strategy(currency))
    limit: Money | None
    if credit_limit is None:
        limit = draw(st.one_of(st.none(), money(currency=code, min_units=100, max_units=10**9)))
    else:
        limit = draw(_strategy(credit_limit))  # type: ignore[arg-type]
    return Account(
        id=draw(_identifiers.map("A-{}".format) if id is None else _strategy(id)),
        name=draw(st.sampled_from(("Boulangerie Kanak", "ACME SARL", "Müller GmbH"))),
        currency=code,
        segment=draw(
            st.sampled_from([Segment.SMALL, Segment.LARGE])
            if segment is None
            else _strategy(segment)
        ),
        locale=draw(st.sampled_from(_LOCALES)),
        timezone=draw(st.sampled_from(_TIMEZONES) if timezone is None else _strategy(timezone)),
        credit_limit=limit,
        contacts=draw(st.lists(_contacts(), max_size=2)),
    )
