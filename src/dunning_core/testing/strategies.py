"""Hypothesis strategies for property-testing dunning policies, yours and ours.

Every keyword argument accepts either a value or a strategy. The strategies shrink
towards small, readable examples: EUR, one invoice, amounts of a few units, dates in
early 2026.

>>> from hypothesis import given
>>> from dunning_core.testing import strategies as ds
>>> @given(ds.portfolios())
... def test_balance_is_never_negative(portfolio):
...     assert portfolio.statement(portfolio.as_of).balance.amount >= 0

Installing the package registers these strategies with hypothesis (through its
``hypothesis`` entry point), so ``st.from_type(Invoice)`` works in your own tests.

This module needs hypothesis (``pip install 'dunning-core[hypothesis]'``); the package
root never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from dunning_core._iso4217 import MINOR_UNITS
from dunning_core.domain.account import Account, Contact, PostalAddress, Segment
from dunning_core.domain.dates import AsOf
from dunning_core.domain.events import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    ProceedingKind,
    PromiseToPay,
)
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.payment import Allocation, Payment, PaymentMethod, PaymentStatus
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.statement import AccountStatement, OpenItem, build_statement
from dunning_core.money import Money
from dunning_core.policies.allocation import (
    AllocationOrder,
    AllocationPolicy,
    Eligibility,
    Tolerance,
)
from dunning_core.policies.ladder import BusinessCalendar, Ladder, Stage

__all__ = [
    "AllocationCase",
    "Portfolio",
    "account_facts",
    "accounts",
    "allocation_cases",
    "allocation_policies",
    "credit_notes",
    "currencies",
    "dates",
    "holds",
    "insolvency_proceedings",
    "invoices",
    "ladders",
    "money",
    "payments",
    "portfolios",
    "promises_to_pay",
    "remittance_advices",
]

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


@st.composite
def invoices(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    number: str | st.SearchStrategy[str] | None = None,
    issued_on: date | st.SearchStrategy[date] | None = None,
    amount: Money | st.SearchStrategy[Money] | None = None,
    terms_days: int | st.SearchStrategy[int] | None = None,
) -> Invoice:
    """Valid invoices of ``account`` (an account is drawn when none is given).

    Args:
        account: The account billed.
        number: The invoice number; ``"INV-<n>"`` by default.
        issued_on: Issue date; :func:`dates` by default.
        amount: The amount; a positive Money in the account's currency by default.
        terms_days: Days from issue to due date; 0 to 90 by default.
    """
    acct = draw(accounts() if account is None else _strategy(account))
    issued = draw(dates() if issued_on is None else _strategy(issued_on))
    days = draw(st.integers(0, 90) if terms_days is None else _strategy(terms_days))
    return Invoice(
        number=draw(_identifiers.map("INV-{}".format) if number is None else _strategy(number)),
        account_id=acct.id,
        issued_on=issued,
        due_on=issued + timedelta(days=days),
        amount=draw(money(currency=acct.currency) if amount is None else _strategy(amount)),
    )


@st.composite
def credit_notes(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    credits: Sequence[Invoice] = (),
) -> CreditNote:
    """Credit notes of ``account``, crediting one of ``credits`` or none."""
    acct = draw(accounts() if account is None else _strategy(account))
    target = draw(st.one_of(st.none(), st.sampled_from(credits))) if credits else None
    return CreditNote(
        number=draw(_identifiers.map("CN-{}".format)),
        account_id=acct.id,
        issued_on=draw(dates()),
        amount=draw(money(currency=acct.currency, max_units=100_000)),
        credits_invoice=None if target is None else target.number,
    )


@st.composite
def payments(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    id: str | st.SearchStrategy[str] | None = None,
    amount: Money | st.SearchStrategy[Money] | None = None,
    status: PaymentStatus | st.SearchStrategy[PaymentStatus] = PaymentStatus.CLEARED,
    received_on: date | st.SearchStrategy[date] | None = None,
) -> Payment:
    """Payments of ``account``; CLEARED unless ``status`` says otherwise."""
    acct = draw(accounts() if account is None else _strategy(account))
    return Payment(
        id=draw(_identifiers.map("PAY-{}".format) if id is None else _strategy(id)),
        account_id=acct.id,
        amount=draw(money(currency=acct.currency) if amount is None else _strategy(amount)),
        received_on=draw(dates() if received_on is None else _strategy(received_on)),
        method=draw(st.sampled_from(PaymentMethod)),
        status=draw(_strategy(status)),
        bank_reference=draw(st.sampled_from(("", "VIR SEPA", "FACTURE"))),
    )


@st.composite
def remittance_advices(
    draw: st.DrawFn,
    *,
    for_invoices: Sequence[Invoice],
    payment: Payment | st.SearchStrategy[Payment] | None = None,
    withholding: bool | st.SearchStrategy[bool] | None = None,
) -> RemittanceAdvice:
    """Advices naming a non-empty subset of ``for_invoices``.

    Each line pays part or all of its invoice; with ``withholding`` some lines declare
    tax withheld (up to 10 % of the invoice). The advice's currency is the invoices'.

    Args:
        for_invoices: The invoices an advice may name (at least one, one currency).
        payment: The payment described; one in the invoices' currency is drawn if None.
        withholding: Whether lines may declare withholding tax; drawn by default.
    """
    if not for_invoices:
        raise ValueError("remittance_advices(for_invoices=...) needs at least one invoice")
    currency = for_invoices[0].currency
    named = draw(st.lists(st.sampled_from(for_invoices), min_size=1, unique_by=lambda i: i.number))
    may_withhold = draw(st.booleans() if withholding is None else _strategy(withholding))
    lines = []
    for invoice in named:
        units = invoice.amount.minor_units
        withheld = draw(st.integers(0, units // 10)) if may_withhold else 0
        paid = draw(st.integers(0 if withheld else 1, max(units - withheld, 1)))
        lines.append(
            RemittanceLine(
                invoice_number=invoice.number,
                amount_paid=Money.from_minor(paid, currency),
                tax_withheld=Money.from_minor(withheld, currency),
                certificate="CERT-1" if withheld else None,
            )
        )
    if payment is None:
        cash = sum(line.amount_paid.minor_units for line in lines)
        pay = Payment(
            id=draw(_identifiers.map("PAY-{}".format)),
            account_id=for_invoices[0].account_id,
            amount=Money.from_minor(max(cash, 1), currency),
            received_on=max(i.issued_on for i in named),
        )
    else:
        pay = draw(_strategy(payment))
    return RemittanceAdvice(payment_id=pay.id, lines=lines)


@attrs.frozen(kw_only=True)
class Portfolio:
    """One consistent account with its ledger, as :func:`portfolios` draws it.

    ``allocations`` is empty unless you record some: the statement then shows every
    payment and credit note as unapplied credit.
    """

    account: Account
    invoices: tuple[Invoice, ...]
    credit_notes: tuple[CreditNote, ...] = ()
    payments: tuple[Payment, ...] = ()
    advices: tuple[RemittanceAdvice, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    as_of: date = _EPOCH

    def statement(self, as_of: AsOf | None = None) -> AccountStatement:
        """The account statement on ``as_of`` (the portfolio's own date by default)."""
        return build_statement(
            self.account,
            self.as_of if as_of is None else as_of,
            invoices=self.invoices,
            credit_notes=self.credit_notes,
            payments=self.payments,
            allocations=self.allocations,
        )


@st.composite
def portfolios(
    draw: st.DrawFn,
    *,
    account: Account | st.SearchStrategy[Account] | None = None,
    min_invoices: int = 1,
    max_invoices: int = 8,
    max_payments: int = 3,
    max_credit_notes: int = 2,
    with_advices: bool = True,
) -> Portfolio:
    """One account with invoices, credit notes, payments and remittance advices, all in
    the account's currency and consistent with each other (unique numbers, payments
    identified to the account, advices naming its invoices).

    The portfolio's ``as_of`` is drawn between the first issue date and 200 days after
    the last due date, so statements see current and overdue items.
    """
    acct = draw(accounts() if account is None else _strategy(account))
    count = draw(st.integers(min_invoices, max_invoices))
    numbers = draw(st.lists(_identifiers, min_size=count, max_size=count, unique=True))
    amounts = money(currency=acct.currency, max_units=1_000_000)
    invs = tuple(draw(invoices(account=acct, number=f"INV-{n}", amount=amounts)) for n in numbers)
    notes = tuple(
        attrs.evolve(draw(credit_notes(account=acct, credits=invs)), number=f"CN-{k}")
        for k in range(draw(st.integers(0, max_credit_notes)))
    )
    pays = tuple(
        draw(payments(account=acct, id=f"PAY-{k}", status=st.sampled_from(PaymentStatus)))
        for k in range(draw(st.integers(0, max_payments)))
    )
    advices: tuple[RemittanceAdvice, ...] = ()
    if with_advices and invs and pays and draw(st.booleans()):
        advices = (draw(remittance_advices(for_invoices=invs, payment=pays[0])),)
    start = min(i.issued_on for i in invs) if invs else _EPOCH
    end = max(i.due_on for i in invs) + timedelta(days=200) if invs else _EPOCH
    as_of = draw(dates(min_value=start, max_value=end))
    return Portfolio(
        account=acct,
        invoices=invs,
        credit_notes=notes,
        payments=pays,
        advices=advices,
        as_of=as_of,
    )


# -- facts: promises, proceedings, holds (suspension and ladder policies read them) ----


def _days_near(near: date | None) -> st.SearchStrategy[date]:
    if near is None:
        return dates()
    return dates(min_value=near - timedelta(days=60), max_value=near + timedelta(days=60))


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


# -- dunning ladders ----------------------------------------------------------------------


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


_BASES = ("CALENDAR", "BUSINESS")
_CATCH_UPS = ("LATEST_ONLY", "EACH_IN_TURN")
# -- cash application ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AllocationCase:
    """Accounts with invoices, some already partly settled, and a payment to apply.

    The payment belongs to ``accounts[0]``; the other accounts are there to be left
    alone (or, under central billing, to share the payer's billing entity).

    Attributes:
        accounts: The accounts; the first is the payer's.
        invoices: Every invoice, of all accounts, with unique numbers.
        prior: Allocations already on file (source ids ``PRIOR-<n>``).
        payment: The payment to apply (CLEARED, identified to ``accounts[0]``).
        as_of: The statement day.
        eligibility: Disputed, held and written-off invoices, and billing entities.
    """

    accounts: tuple[Account, ...]
    invoices: tuple[Invoice, ...]
    prior: tuple[Allocation, ...]
    payment: Payment
    as_of: date
    eligibility: Eligibility

    @property
    def payer(self) -> Account:
        """The payer's account."""
        return self.accounts[0]

    def open_items(self, allocations: Sequence[Allocation] = ()) -> tuple[OpenItem, ...]:
        """Every account's statement items after ``prior`` and ``allocations``."""
        recorded = (*self.prior, *allocations)
        items: list[OpenItem] = []
        for account in self.accounts:
            mine = [i for i in self.invoices if i.account_id == account.id]
            statement = build_statement(account, self.as_of, invoices=mine, allocations=recorded)
            items.extend(statement.items)
        return tuple(items)


@st.composite
def allocation_cases(
    draw: st.DrawFn,
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_accounts: int = 3,
    max_invoices: int = 8,
    exclusions: bool = True,
    mixed_currencies: bool = True,
    payment_units: st.SearchStrategy[int] | None = None,
) -> AllocationCase:
    """Cases for property-testing cash application.

    Due dates are drawn from a few weeks so that ties (same due date, same issue date)
    are common and the invoice number has to break them.

    Args:
        currency: The payer's currency; :func:`currencies` by default.
        max_accounts: Up to this many accounts (at least one, the payer's).
        max_invoices: Up to this many invoices per account.
        exclusions: Whether some invoices are disputed, held or written off.
        mixed_currencies: Whether other accounts may bill in another currency.
        payment_units: The payment amount in minor units; by default up to a little
            more than everything open on the payer's account, so overpayments happen.
    """
    code = draw(currencies() if currency is None else _strategy(currency))
    count = draw(st.integers(1, max_accounts))
    accts: list[Account] = []
    entities: dict[str, str] = {}
    for k in range(1, count + 1):
        other = draw(st.sampled_from(("EUR", "JPY"))) if mixed_currencies and k > 1 else code
        other = draw(st.sampled_from((code, other)))
        accts.append(Account(id=f"A-{k}", name="ACME SARL", currency=other, credit_limit=None))
        if draw(st.booleans()):
            entities[f"A-{k}"] = "E-1"
    per_account = [draw(st.integers(0 if k else 1, max_invoices)) for k in range(count)]
    numbers = draw(
        st.lists(
            st.integers(1, 999), min_size=sum(per_account), max_size=sum(per_account), unique=True
        )
    )
    invs: list[Invoice] = []
    prior: list[Allocation] = []
    for acct, how_many in zip(accts, per_account, strict=True):
        for _ in range(how_many):
            number = f"INV-{numbers[len(invs)]}"
            issued = draw(dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 10)))
            units = draw(st.integers(1, 100_000))
            invoice = Invoice(
                number=number,
                account_id=acct.id,
                issued_on=issued,
                due_on=issued + timedelta(days=draw(st.sampled_from((0, 10, 30)))),
                amount=Money.from_minor(units, acct.currency),
            )
            invs.append(invoice)
            # Untouched, half paid, paid, nearly paid (less open than a typical tax
            # withholding), or anything.
            settled = draw(
                st.one_of(
                    st.sampled_from((0, 0, units // 2, units)),
                    st.integers(min(units - units // 20, units - 1), units - 1),
                    st.integers(0, units),
                )
            )
            if settled:
                prior.append(
                    Allocation(
                        invoice_number=number,
                        amount=Money.from_minor(settled, acct.currency),
                        kind="CASH",
                        source_id=f"PRIOR-{len(prior)}",
                    )
                )
    disputed = held = written_off = frozenset[str]()
    if exclusions and invs:
        pick = st.frozensets(st.sampled_from([i.number for i in invs]), max_size=2)
        disputed, held, written_off = draw(pick), draw(pick), draw(pick)
    payer_open = sum(i.amount.minor_units for i in invs if i.account_id == "A-1")
    units_drawn = draw(
        st.integers(1, max(payer_open + payer_open // 5, 10))
        if payment_units is None
        else payment_units
    )
    payment = Payment(
        id=f"PAY-{draw(_identifiers)}",
        account_id="A-1",
        amount=Money.from_minor(units_drawn, code),
        received_on=date(2026, 3, 1),
    )
    return AllocationCase(
        accounts=tuple(accts),
        invoices=tuple(invs),
        prior=tuple(prior),
        payment=payment,
        as_of=date(2026, 3, 1),
        eligibility=Eligibility(
            disputed=disputed, held=held, written_off=written_off, billing_entities=entities
        ),
    )


def allocation_policies(
    *, orders: Sequence[AllocationOrder] = (AllocationOrder.OLDEST_FIRST,)
) -> st.SearchStrategy[AllocationPolicy]:
    """Allocation policies: central billing on or off, tolerances of 0 to 5 %."""
    tolerance = st.builds(
        Tolerance, percent=st.one_of(st.none(), st.sampled_from(("0.5", "2", "5")))
    )
    return st.builds(
        AllocationPolicy,
        order=st.sampled_from(tuple(orders)),
        central_billing=st.booleans(),
        discount_tolerance=tolerance,
        write_off_tolerance=tolerance,
        withholding_needs_certificate=st.booleans(),
    )
