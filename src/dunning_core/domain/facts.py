"""Facts a user records about an account that pause or change dunning: promises to
pay, disputes, insolvency proceedings and holds, gathered in :class:`AccountFacts`.

Facts are not events: they are recorded (and corrected) by a person or an
integration, and policies read them. What happened because of them is in
:mod:`dunning_core.domain.events`.

.. versionchanged:: 0.2
   Moved from ``dunning_core.domain.events``.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs

from dunning_core.domain._checks import (
    a_date,
    identifier,
    non_empty_text,
    not_before,
    optional_date,
    optional_identifier,
    optional_text,
    plain_text,
    positive_money,
    to_enum,
    to_tuple,
)
from dunning_core.errors import CurrencyMismatch, InvalidAmount, InvalidField
from dunning_core.money import Money

__all__ = [
    "AccountFacts",
    "Dispute",
    "Hold",
    "InsolvencyProceeding",
    "ProceedingKind",
    "PromiseToPay",
]


@attrs.frozen(kw_only=True)
class PromiseToPay:
    """The customer promised to pay ``amount`` by ``due_on``.

    Args:
        id: Unique id of the promise.
        account_id: The account.
        made_on: When the promise was made.
        due_on: The promised payment date; not before ``made_on``.
        amount: The amount promised.
        invoice_numbers: The invoices it covers (empty: the account as a whole).
        open_when_made: What the covered invoices still owed when the promise was made,
            or ``None``. With it, a promise for part of the debt is kept once the open
            amount has fallen by ``amount``; without it, the promise is taken to cover
            everything it names (see :class:`~dunning_core.policies.suspension.BrokenPromise`).
    """

    id: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    made_on: date = attrs.field(validator=a_date)
    due_on: date = attrs.field(validator=[a_date, not_before("made_on")])
    amount: Money = attrs.field(validator=positive_money)
    invoice_numbers: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    open_when_made: Money | None = attrs.field(default=None)

    @open_when_made.validator
    def _check_open_when_made(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, Money) or value.amount < 0:
            raise InvalidAmount(
                "PromiseToPay.open_when_made", value, "must be a Money >= 0, or None"
            )
        if value.currency != self.amount.currency:
            raise CurrencyMismatch(
                self.amount.currency, value.currency, "PromiseToPay.open_when_made"
            )


@attrs.frozen(kw_only=True)
class Dispute:
    """The customer contests an invoice; dunning on it pauses while it is open.

    Args:
        id: Unique id of the dispute.
        account_id: The account.
        invoice_number: The invoice contested.
        opened_on: When it was raised.
        reason: What the customer says.
        resolved_on: When it was settled, or ``None`` while open.
    """

    id: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    invoice_number: str = attrs.field(validator=identifier)
    opened_on: date = attrs.field(validator=a_date)
    reason: str = attrs.field(default="", validator=plain_text)
    resolved_on: date | None = attrs.field(
        default=None, validator=[optional_date, not_before("opened_on")]
    )

    def is_open(self, on: date) -> bool:
        """True when the dispute was raised on or before ``on`` and not yet resolved."""
        return self.opened_on <= on and (self.resolved_on is None or on < self.resolved_on)


class ProceedingKind(enum.StrEnum):
    """Collective insolvency proceedings (French *procédures collectives* and peers)."""

    BANKRUPTCY = "BANKRUPTCY"  #: liquidation judiciaire
    RECEIVERSHIP = "RECEIVERSHIP"  #: redressement judiciaire / mise sous séquestre
    SAFEGUARD = "SAFEGUARD"  #: procédure de sauvegarde
    ADMINISTRATION = "ADMINISTRATION"
    OTHER = "OTHER"


def _proceeding_kind(value: object) -> ProceedingKind:
    return to_enum(ProceedingKind, "InsolvencyProceeding.kind", value)


@attrs.frozen(kw_only=True)
class InsolvencyProceeding:
    """A bankruptcy, receivership or similar proceeding opened against the customer.

    While it is open, collection must stop (claims are declared to the administrator
    instead); once the court has ruled, the account may resume on prepayment.

    Args:
        id: Unique id.
        account_id: The account.
        kind: The kind of proceeding.
        opened_on: The date of the opening judgment.
        ruled_on: The date the court ruled, or ``None`` while the proceeding is open.
        reference: The court's case reference (for the claim declaration).
        court: The court's name.
    """

    id: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    kind: ProceedingKind = attrs.field(converter=_proceeding_kind)
    opened_on: date = attrs.field(validator=a_date)
    ruled_on: date | None = attrs.field(
        default=None, validator=[optional_date, not_before("opened_on")]
    )
    reference: str | None = attrs.field(default=None, validator=optional_text)
    court: str | None = attrs.field(default=None, validator=optional_text)

    def is_open(self, on: date) -> bool:
        """True when opened on or before ``on`` and not ruled on by then."""
        return self.opened_on <= on and (self.ruled_on is None or on < self.ruled_on)

    def is_ruled(self, on: date) -> bool:
        """True when the court has ruled on or before ``on``."""
        return self.ruled_on is not None and self.ruled_on <= on


@attrs.frozen(kw_only=True)
class Hold:
    """A person put an account (or one invoice) on hold: no dunning while it lasts.

    Args:
        id: Unique id.
        account_id: The account.
        reason: Why (shown to colleagues and, if needed, the customer).
        starts_on: First day of the hold.
        ends_on: Last day of the hold, or ``None`` until lifted.
        invoice_number: The invoice held, or ``None`` for the whole account.
        suspends: True when the hold also suspends service (a manual suspension),
            not only dunning.
    """

    id: str = attrs.field(validator=identifier)
    account_id: str = attrs.field(validator=identifier)
    reason: str = attrs.field(validator=non_empty_text)
    starts_on: date = attrs.field(validator=a_date)
    ends_on: date | None = attrs.field(
        default=None, validator=[optional_date, not_before("starts_on")]
    )
    invoice_number: str | None = attrs.field(default=None, validator=optional_identifier)
    suspends: bool = False

    def is_active(self, on: date) -> bool:
        """True from ``starts_on`` through ``ends_on`` inclusive."""
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


def _all_of(kind: type, field: str) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for item in value:
            if not isinstance(item, kind):
                raise InvalidField(field, item, f"every item must be a {kind.__name__}")
            if getattr(item, "account_id", None) != instance.account_id:
                raise InvalidField(
                    field, item, f"belongs to another account than {instance.account_id!r}"
                )

    return check


@attrs.frozen(kw_only=True)
class AccountFacts:
    """Everything besides invoices and payments that a policy needs about one account.

    Policies take it whole, so adding a kind of fact does not change their signatures.
    """

    account_id: str = attrs.field(validator=identifier)
    promises: tuple[PromiseToPay, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_all_of(PromiseToPay, "AccountFacts.promises")
    )
    disputes: tuple[Dispute, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_all_of(Dispute, "AccountFacts.disputes")
    )
    proceedings: tuple[InsolvencyProceeding, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=_all_of(InsolvencyProceeding, "AccountFacts.proceedings"),
    )
    holds: tuple[Hold, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_all_of(Hold, "AccountFacts.holds")
    )

    def disputed_invoices(self, on: date) -> frozenset[str]:
        """Numbers of the invoices with a dispute open on ``on``."""
        return frozenset(d.invoice_number for d in self.disputes if d.is_open(on))

    def held_invoices(self, on: date) -> frozenset[str]:
        """Numbers of the invoices on an invoice-level hold active on ``on``."""
        return frozenset(
            h.invoice_number for h in self.holds if h.invoice_number is not None and h.is_active(on)
        )

    def account_holds(self, on: date) -> tuple[Hold, ...]:
        """Account-level holds active on ``on``."""
        return tuple(h for h in self.holds if h.invoice_number is None and h.is_active(on))

    def open_proceedings(self, on: date) -> tuple[InsolvencyProceeding, ...]:
        """Proceedings open on ``on``."""
        return tuple(p for p in self.proceedings if p.is_open(on))

    def claims_cutoff(self, on: date) -> date | None:
        """The latest opening day among the proceedings opened by ``on``, or ``None``.

        Invoices issued on or before it are claims in an insolvency proceeding: they are
        declared to the administrator and never dunned again, even after the ruling.
        """
        openings = [p.opened_on for p in self.proceedings if p.opened_on <= on]
        return max(openings) if openings else None
