"""Strategies for facts: promises, disputes, proceedings, holds (private)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import strategies as st

from dunning_core.domain.account import Account
from dunning_core.domain.facts import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    ProceedingKind,
    PromiseToPay,
)
from dunning_core.domain.invoice import Invoice
from dunning_core.testing.strategies._accounts import accounts
from dunning_core.testing.strategies._base import _days_near, _identifiers, _strategy, money

__all__ = ["account_facts", "holds", "insolvency_proceedings", "promises_to_pay"]


@st.composite
def promises_to_pay(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    covering: Sequence[Invoice] = (),
    id: str | st.SearchStrategy[str] | None = None,
    near: date | None = None,
) -> PromiseToPay:
    """Promises to pay of ``account``, naming some of ``covering`` or none (the account
    as a whole), sometimes with ``open_when_made`` recorded (a partial promise). With
    ``near``, made within 60 days of that day."""
    acct = draw(accounts() if account is None else _strategy(account))
    made = draw(_days_near(near))
    named = (
        draw(st.lists(st.sampled_from(covering), max_size=3, unique_by=lambda i: i.number))
        if covering
        else []
    )
    amount = draw(money(currency=acct.currency, max_units=1_000_000))
    open_when_made = draw(
        st.one_of(st.none(), money(currency=acct.currency, min_units=0, max_units=2_000_000))
    )
    return PromiseToPay(
        id=draw(_identifiers.map("PTP-{}".format) if id is None else _strategy(id)),
        account_id=acct.id,
        made_on=made,
        due_on=made + timedelta(days=draw(st.integers(0, 45))),
        amount=amount,
        invoice_numbers=tuple(i.number for i in named),
        open_when_made=open_when_made,
    )


@st.composite
def insolvency_proceedings(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    id: str | st.SearchStrategy[str] | None = None,
    near: date | None = None,
) -> InsolvencyProceeding:
    """Proceedings of ``account``, open or already ruled on (opened within 60 days of
    ``near`` when given)."""
    acct = draw(accounts() if account is None else _strategy(account))
    opened = draw(_days_near(near))
    ruled = draw(st.one_of(st.none(), st.integers(0, 400)))
    return InsolvencyProceeding(
        id=draw(_identifiers.map("PROC-{}".format) if id is None else _strategy(id)),
        account_id=acct.id,
        kind=draw(st.sampled_from(ProceedingKind)),
        opened_on=opened,
        ruled_on=None if ruled is None else opened + timedelta(days=ruled),
        reference=draw(st.one_of(st.none(), st.just("RG 26/00042"))),
    )


@st.composite
def holds(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    on_invoices: Sequence[Invoice] = (),
    suspends: bool | st.SearchStrategy[bool] | None = None,
    id: str | st.SearchStrategy[str] | None = None,
    near: date | None = None,
) -> Hold:
    """Holds of ``account``: account-level or on one of ``on_invoices``, with or without
    an end date, suspending service or only dunning (starting within 60 days of
    ``near`` when given)."""
    acct = draw(accounts() if account is None else _strategy(account))
    starts = draw(_days_near(near))
    length = draw(st.one_of(st.none(), st.integers(0, 120)))
    target = draw(st.one_of(st.none(), st.sampled_from(on_invoices))) if on_invoices else None
    return Hold(
        id=draw(_identifiers.map("HOLD-{}".format) if id is None else _strategy(id)),
        account_id=acct.id,
        reason=draw(st.sampled_from(("Suspected fraud", "Contract renegotiation"))),
        starts_on=starts,
        ends_on=None if length is None else starts + timedelta(days=length),
        invoice_number=None if target is None else target.number,
        suspends=draw(st.booleans() if suspends is None else _strategy(suspends)),
    )


@st.composite
def account_facts(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    invoices: Sequence[Invoice] = (),
    max_promises: int = 2,
    max_disputes: int = 1,
    max_proceedings: int = 1,
    max_holds: int = 1,
    near: date | None = None,
) -> AccountFacts:
    """The facts of ``account``: promises, disputes, proceedings and holds, those that
    name invoices naming some of ``invoices``. Ids are unique within each kind. With
    ``near`` (say the portfolio's ``as_of``), their dates fall within 60 days of it, so
    most of them are in force on that day."""
    acct = draw(accounts() if account is None else _strategy(account))
    promises = [
        draw(promises_to_pay(account=acct, covering=invoices, id=f"PTP-{k}", near=near))
        for k in range(draw(st.integers(0, max_promises)))
    ]
    disputes = []
    if invoices:
        for k in range(draw(st.integers(0, max_disputes))):
            opened = draw(_days_near(near))
            length = draw(st.one_of(st.none(), st.integers(0, 90)))
            disputes.append(
                Dispute(
                    id=f"DSP-{k}",
                    account_id=acct.id,
                    invoice_number=draw(st.sampled_from(invoices)).number,
                    opened_on=opened,
                    resolved_on=None if length is None else opened + timedelta(days=length),
                )
            )
    proceedings = [
        draw(insolvency_proceedings(account=acct, id=f"PROC-{k}", near=near))
        for k in range(draw(st.integers(0, max_proceedings)))
    ]
    hold_list = [
        draw(holds(account=acct, on_invoices=invoices, id=f"HOLD-{k}", near=near))
        for k in range(draw(st.integers(0, max_holds)))
    ]
    return AccountFacts(
        account_id=acct.id,
        promises=promises,
        disputes=disputes,
        proceedings=proceedings,
        holds=hold_list,
    )
