"""The outcome of a suspension decision: :class:`SuspensionDecision`.

Also writes ``resumes_when``, the sentence that tells the customer what clears a
suspension, from the remedies of its reasons.

Private; everything public here is re-exported by :mod:`dunning_core.policies.suspension`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from dunning_core.domain._checks import non_empty_text, to_tuple
from dunning_core.domain.state import SuspensionState
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import AccountMismatch
from dunning_core.money import Money
from dunning_core.policies.suspension import _text as text
from dunning_core.policies.suspension._reasons import Remedy, RemedyKind, SuspensionReason

__all__ = ["SuspensionDecision"]


def _reasons(value: Iterable[SuspensionReason]) -> tuple[SuspensionReason, ...]:
    return tuple(sorted(value, key=lambda r: r.sort_key))


@attrs.frozen(kw_only=True)
class SuspensionDecision:
    """Whether an account is suspended on a day, and why.

    Attributes:
        account_id: The account (or billing entity) decided on.
        as_of: The decision day, in the account's timezone.
        suspended: True if and only if ``reasons`` is not empty.
        reasons: The reasons in force, sorted by code and subject.
        requires_prepayment: True when service may run only on prepayment (after an
            insolvency ruling); see ``prepayment_reasons``.
        resumes_when: What clears the suspension, as a sentence for the customer in the
            account's locale ("Service resumes once you pay €1,240.00 on invoices F-1
            and F-2."); empty when not suspended.
        prepayment_reasons: The reasons behind ``requires_prepayment``.
        deferred: Reasons held off by payments in flight (see :class:`InFlightGrace`).
        in_flight_payments: Ids of the pending payments that held them off.
        wakes_on: The earliest later day on which the decision can differ with the
            same ledger and facts (``None``: only a new document or fact can change
            it): the suspension policy's part of the account's wake-up date. See
            :func:`~dunning_core.policies.suspension.decide_suspension`.

    .. versionchanged:: 0.2
       ``wakes_on``.
    """

    account_id: str = attrs.field(validator=non_empty_text)
    as_of: date
    suspended: bool
    reasons: tuple[SuspensionReason, ...] = attrs.field(default=(), converter=_reasons)
    requires_prepayment: bool = False
    resumes_when: str = ""
    prepayment_reasons: tuple[SuspensionReason, ...] = attrs.field(default=(), converter=_reasons)
    deferred: tuple[SuspensionReason, ...] = attrs.field(default=(), converter=_reasons)
    in_flight_payments: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    wakes_on: date | None = None

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The distinct codes of ``reasons``, sorted (what a state keeps)."""
        return tuple(sorted({reason.code for reason in self.reasons}))

    def next_state(self, previous: SuspensionState | None = None) -> SuspensionState:
        """The state to persist after this decision.

        ``since`` is the decision day when the suspended flag changes (or for a first
        suspension), and carries over otherwise; an account never suspended keeps
        ``since=None``.

        Args:
            previous: The persisted state, or ``None`` for an account never decided on.

        Returns:
            The new state; ``previous`` itself when nothing changed.

        Raises:
            AccountMismatch: ``previous`` belongs to another account.
        """
        codes = self.reason_codes
        if previous is None:
            since = self.as_of if self.suspended else None
            return SuspensionState(
                account_id=self.account_id,
                suspended=self.suspended,
                reason_codes=codes,
                since=since,
                requires_prepayment=self.requires_prepayment,
            )
        if previous.account_id != self.account_id:
            raise AccountMismatch(
                "SuspensionState.account_id", self.account_id, previous.account_id
            )
        since = previous.since if previous.suspended == self.suspended else self.as_of
        state = SuspensionState(
            account_id=self.account_id,
            suspended=self.suspended,
            reason_codes=codes,
            since=since,
            requires_prepayment=self.requires_prepayment,
        )
        return previous if state == previous else state

    def for_account(self, account_id: str) -> SuspensionDecision:
        """This decision, applied to ``account_id`` (an entity's decision for one of its
        accounts)."""
        return attrs.evolve(self, account_id=account_id)


def _payment_needed(remedies: Sequence[Remedy], statement: AccountStatement) -> Remedy:
    """One payment that clears every payment remedy: on the union of the invoices they
    name, never less than any of them asks, never more than those invoices owe."""
    currency = statement.currency
    named = {n for r in remedies for n in r.invoice_numbers}
    numbers = tuple(i.invoice.number for i in statement.items if i.invoice.number in named)
    asked = [r.amount for r in remedies if r.amount is not None]
    on_invoices = Money.sum(
        (r.amount for r in remedies if r.invoice_numbers and r.amount), currency
    )
    if named:
        owed = Money.sum(
            (i.open_amount for i in statement.items if i.invoice.number in named), currency
        )
        on_invoices = on_invoices.min(owed)
    amount = max(asked, default=on_invoices)
    return Remedy.payment(amount.max(on_invoices), numbers)


def _resumes_when(reasons: Sequence[SuspensionReason], statement: AccountStatement) -> str:
    """The customer's sentence: "Service resumes once ..." with one clause per kind of
    remedy, in the account's language (a reason without a remedy asks for a review)."""
    locale = statement.account.locale
    payments = [r.remedy for r in reasons if r.remedy and r.remedy.kind is RemedyKind.PAYMENT]
    clauses: list[str] = []
    if payments:
        payment = _payment_needed(payments, statement)
        assert payment.amount is not None
        shown = text.amount(locale, payment.amount)
        if payment.invoice_numbers:
            clauses.append(
                text.phrase(
                    locale,
                    "pay_on",
                    amount=shown,
                    invoices=text.invoices(locale, payment.invoice_numbers),
                )
            )
        else:
            clauses.append(text.phrase(locale, "pay", amount=shown))
    kinds = {r.remedy.kind for r in reasons if r.remedy is not None}
    if RemedyKind.RULING in kinds:
        clauses.append(text.phrase(locale, "ruling"))
    if RemedyKind.HOLD_LIFTED in kinds:
        clauses.append(text.phrase(locale, "hold_lifted"))
    elif RemedyKind.HOLD_END in kinds:
        last = max(
            r.remedy.on
            for r in reasons
            if r.remedy is not None and r.remedy.kind is RemedyKind.HOLD_END and r.remedy.on
        )
        clauses.append(text.phrase(locale, "hold_end", date=text.long_date(locale, last)))
    for reason in reasons:
        remedy = reason.remedy
        if (
            remedy is not None
            and remedy.kind is RemedyKind.OTHER
            and remedy.clause
            and remedy.clause not in clauses
        ):
            clauses.append(remedy.clause)
    if any(r.remedy is None for r in reasons):
        clauses.append(text.phrase(locale, "review"))
    return text.phrase(locale, "resumes", clauses=text.and_list(locale, clauses))
