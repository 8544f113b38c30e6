"""Cash application: :func:`allocate`, :func:`allocate_many` and :func:`apply_credit`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from dunning_core.domain.invoice import CreditNote
from dunning_core.domain.payment import AllocationKind, Payment
from dunning_core.domain.remittance import RemittanceAdvice
from dunning_core.domain.statement import OpenItem
from dunning_core.errors import DuplicatePayment, InvalidField
from dunning_core.money import Money
from dunning_core.policies.allocation._book import Book, Run
from dunning_core.policies.allocation._directed import (
    apply_general_notes,
    apply_targeted_notes,
    follow_advice,
)
from dunning_core.policies.allocation._policy import (
    NO_EXCLUSIONS,
    AllocationOrder,
    AllocationPolicy,
    Eligibility,
)
from dunning_core.policies.allocation._result import (
    AllocationResult,
    DiscrepancyCode,
    UnappliedCredit,
    discrepancy,
)

__all__ = ["allocate", "allocate_many", "apply_credit"]

DEFAULT_POLICY = AllocationPolicy()
Applied = Mapping[str, Payment] | Iterable[Payment]
Code = DiscrepancyCode


def allocate(
    payment: Payment,
    open_items: Iterable[OpenItem],
    *,
    advice: RemittanceAdvice | None = None,
    credit_notes: Iterable[CreditNote] = (),
    policy: AllocationPolicy = DEFAULT_POLICY,
    eligibility: Eligibility = NO_EXCLUSIONS,
    applied: Applied = (),
) -> AllocationResult:
    """Apply one payment to open items. Pure: nothing is stored, nothing is read.

    In this order: credit notes that name an invoice reduce it; the remittance advice's
    lines receive what they state (capped at what is open); credit notes that name no
    invoice are consumed oldest first; the rest of the payment follows
    ``policy.order`` (oldest first by default). An invoice may receive money only when
    it is open, in the payment's currency, of the payment's account (or billing entity,
    under central billing) and not disputed, held or written off according to
    ``eligibility``.

    Args:
        payment: The payment. Only a CLEARED payment identified to an account settles
            anything; any other is left unapplied with a discrepancy.
        open_items: The items of ``build_statement`` (``statement.items``) of the
            payment's account, or of every account of its billing entity. Paid items may
            be included (they receive nothing); their order does not matter.
        advice: What the customer says the payment is for.
        credit_notes: Credit notes not applied yet, applied along with the payment.
        policy: What the money left after the advice does, tolerances, central billing.
        eligibility: Disputed, held and written-off invoices on the allocation day,
            and the accounts' billing entities.
        applied: The payments already applied (a mapping by id, or any iterable). A
            payment whose id is there, CLEARED and identified, with the same amount is a
            repeat: the result is empty, marked ``repeated``, and says so.

    Returns:
        The allocations, what is unapplied, and every discrepancy with its reason.

    Raises:
        DuplicatePayment: ``applied`` holds the same id with another amount or account.
        InvalidField: an open item is not an ``OpenItem`` or an invoice appears twice.
    """
    _check_payment(payment)
    if is_repeat(payment, _prior(applied, payment.id)):
        return _repeat(payment)
    notes = _notes(credit_notes)
    return _apply_payment(Book(open_items, policy, eligibility), payment, advice, notes)


def allocate_many(
    payments: Iterable[Payment],
    open_items: Iterable[OpenItem],
    *,
    advices: Iterable[RemittanceAdvice] = (),
    policy: AllocationPolicy = DEFAULT_POLICY,
    eligibility: Eligibility = NO_EXCLUSIONS,
    applied: Applied = (),
) -> tuple[AllocationResult, ...]:
    """Apply a batch of payments (a bank statement import), one after the other.

    The result is the same as calling :func:`allocate` for each payment in turn, each
    time on the open items the previous payments left, with every payment applied so
    far added to ``applied``; but the items are read and ordered once.

    Args:
        payments: The payments, in the order they are to be applied (value-date order).
        open_items: The open items of every account concerned.
        advices: Remittance advices, matched to payments by ``payment_id``.
        policy: As for :func:`allocate`.
        eligibility: As for :func:`allocate`.
        applied: As for :func:`allocate`; payments of the batch join it as they apply.

    Returns:
        One result per payment, in the order given.

    Raises:
        DuplicatePayment: a payment id comes again with another amount or account.
        InvalidField: two advices describe the same payment, or bad open items.
    """
    by_payment: dict[str, RemittanceAdvice] = {}
    for advice in advices:
        if advice.payment_id in by_payment:
            raise InvalidField("advices", advice.payment_id, "two advices for one payment")
        by_payment[advice.payment_id] = advice
    book = Book(open_items, policy, eligibility)
    seen: dict[str, Payment] = {}
    results: list[AllocationResult] = []
    for payment in payments:
        _check_payment(payment)
        prior = seen.get(payment.id)
        if prior is None:
            prior = _prior(applied, payment.id)
        if is_repeat(payment, prior):
            results.append(_repeat(payment))
            continue
        results.append(_apply_payment(book, payment, by_payment.get(payment.id), ()))
        if payment.account_id is not None and payment.status.settles:
            seen[payment.id] = payment
    return tuple(results)


def apply_credit(
    credit: UnappliedCredit,
    open_items: Iterable[OpenItem],
    *,
    policy: AllocationPolicy = DEFAULT_POLICY,
    eligibility: Eligibility = NO_EXCLUSIONS,
) -> AllocationResult:
    """Apply credit left on an account (an overpayment, a credit note) to open items.

    The credit fills eligible items oldest first (or in statutory order when the
    policy says so; a policy that keeps payments on account does not stop an explicit
    call). Its allocations are of ``credit.kind`` and name ``credit.source_id``.

    Args:
        credit: The credit, e.g. ``result.credit`` of an earlier allocation.
        open_items: The items of the account's statement (or its billing entity's).
        policy: Central billing and the statutory order are honoured.
        eligibility: As for :func:`allocate`.

    Returns:
        The result; its ``unapplied`` is the credit still left, also as ``credit``.

    Raises:
        InvalidField: bad open items.
    """
    if not isinstance(credit, UnappliedCredit):
        raise InvalidField("credit", credit, "must be an UnappliedCredit")
    book = Book(open_items, policy, eligibility)
    run = Run(book)
    owner = book.group(credit.account_id)
    rest = run.fill((credit.currency, owner), credit.amount.amount, credit.kind, credit.source_id)
    credit_left = None
    if rest:
        unapplied = Money._exact(rest, credit.currency)
        credit_left = UnappliedCredit(
            source_id=credit.source_id,
            account_id=credit.account_id,
            amount=unapplied,
            kind=credit.kind,
        )
        _report_rest(run, owner, credit.currency, unapplied, "The credit")
    return AllocationResult(
        source_id=credit.source_id,
        amount=credit.amount,
        account_id=credit.account_id,
        received_on=None,
        source_kind=credit.kind,
        allocations=tuple(run.allocations),
        directed=(),
        unapplied=Money._exact(rest, credit.currency),
        discrepancies=tuple(run.discrepancies),
        left_open=run.left_open(),
        credit=credit_left,
    )


def _apply_payment(
    book: Book,
    payment: Payment,
    advice: RemittanceAdvice | None,
    notes: tuple[CreditNote, ...],
) -> AllocationResult:
    policy = book.policy
    currency = payment.currency
    account_id = payment.account_id
    run = Run(book)
    cash: Decimal = payment.amount.amount
    general, notes_left = apply_targeted_notes(run, notes) if notes else ([], [])
    usable = False
    if not payment.status.settles:
        run.note(
            discrepancy(
                code=Code.PAYMENT_NOT_CLEARED,
                message=f"Payment {payment.id} is {payment.status.value.lower().replace('_', ' ')}"
                "; its money cannot settle any invoice.",
                amount=payment.amount,
            )
        )
    elif account_id is None:
        run.note(
            discrepancy(
                code=Code.UNIDENTIFIED_PAYMENT,
                message=f"Payment {payment.id} is not identified to an account yet; it waits in "
                "suspense until it is matched.",
                amount=payment.amount,
            )
        )
    else:
        usable = True
    owner = book.group(account_id) if account_id is not None else None
    directed_from = len(run.allocations)
    if usable and advice is not None:
        cash = follow_advice(run, payment, owner, advice, cash)
    directed = tuple(run.allocations[directed_from:])
    if general:
        notes_left.extend(apply_general_notes(run, general))
    if usable and cash and policy.order is not AllocationOrder.UNAPPLIED:
        cash = run.fill((currency, owner), cash, AllocationKind.CASH, payment.id)
    unapplied = Money._exact(cash, currency)
    credit = None
    if usable and cash:
        assert account_id is not None
        credit = UnappliedCredit.from_payment(payment, unapplied)
        if policy.order is not AllocationOrder.UNAPPLIED:
            _report_rest(run, owner, currency, unapplied, f"Payment {payment.id}")
    return AllocationResult(
        source_id=payment.id,
        amount=payment.amount,
        account_id=account_id,
        received_on=payment.received_on,
        source_kind=AllocationKind.CASH,
        allocations=tuple(run.allocations),
        directed=directed,
        unapplied=unapplied,
        discrepancies=tuple(run.discrepancies),
        left_open=run.left_open(),
        credit=credit,
        credit_notes_left=tuple(notes_left),
    )


def _report_rest(run: Run, owner: object, currency: str, rest: Money, who: str) -> None:
    elsewhere = run.book.open_elsewhere(owner, currency)
    if elsewhere:
        shown = ", ".join(elsewhere[:5]) + (", ..." if len(elsewhere) > 5 else "")
        run.note(
            discrepancy(
                code=Code.CURRENCY_MISMATCH,
                message=f"{who} is in {currency} but {len(elsewhere)} open invoice(s) of the "
                f"account are in another currency ({shown}); they were not settled because "
                f"no exchange rate was given, and {rest} remains as credit.",
                amount=rest,
            )
        )
    else:
        run.note(
            discrepancy(
                code=Code.OVERPAYMENT,
                message=f"{who} is {rest} more than the open invoices it may settle; "
                "that amount remains as credit on the account.",
                amount=rest,
            )
        )


def _repeat(payment: Payment) -> AllocationResult:
    return AllocationResult(
        source_id=payment.id,
        amount=payment.amount,
        account_id=payment.account_id,
        received_on=payment.received_on,
        source_kind=AllocationKind.CASH,
        allocations=(),
        directed=(),
        unapplied=Money.zero(payment.currency),
        discrepancies=(
            discrepancy(
                code=Code.REPEATED_PAYMENT,
                message=f"Payment {payment.id} of {payment.amount} was already applied; "
                "it was not applied a second time.",
                amount=payment.amount,
            ),
        ),
        left_open=(),
        repeated=True,
    )


def _check_payment(payment: object) -> None:
    if not isinstance(payment, Payment):
        raise InvalidField("payment", payment, "must be a Payment")


def _prior(applied: Applied, payment_id: str) -> Payment | None:
    if isinstance(applied, Mapping):
        found: Payment | None = applied.get(payment_id)
        return found
    for earlier in applied:
        if earlier.id == payment_id:
            return earlier
    return None


def is_repeat(payment: Payment, prior: Payment | None) -> bool:
    """True when ``prior`` (the record on file with this id) is ``payment`` already applied.

    An unidentified or uncleared record settled nothing: identifying or clearing the
    payment later is its first application, not a repeat.

    Args:
        payment: The payment arriving.
        prior: The payment on file with the same id, or ``None``.

    Raises:
        DuplicatePayment: ``prior`` has another amount, or another account.
    """
    if prior is None:
        return False
    if prior.amount != payment.amount:
        raise DuplicatePayment(
            payment.id, f"recorded with {prior.amount}, now arriving with {payment.amount}"
        )
    if (
        prior.account_id is not None
        and payment.account_id is not None
        and prior.account_id != payment.account_id
    ):
        raise DuplicatePayment(
            payment.id,
            f"recorded for account {prior.account_id}, now for {payment.account_id}",
        )
    # An unidentified or uncleared record settled nothing: identifying or clearing the
    # payment later is its first application, not a repeat.
    return prior.account_id is not None and prior.status.settles


def _notes(credit_notes: Iterable[CreditNote]) -> tuple[CreditNote, ...]:
    notes = tuple(credit_notes)
    seen: set[str] = set()
    for note in notes:
        if not isinstance(note, CreditNote):
            raise InvalidField("credit_notes", note, "every item must be a CreditNote")
        if note.number in seen:
            raise InvalidField("credit_notes", note.number, "the credit note appears twice")
        seen.add(note.number)
    return tuple(sorted(notes, key=lambda n: (n.issued_on, n.number)))
