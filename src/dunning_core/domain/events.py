"""Things that happened to an account: typed, past-tense events.

A policy decides (a :class:`~dunning_core.policies.suspension.SuspensionDecision`, a
ladder's actions); an event says what came of it, once: the account was suspended,
reactivated, a ladder stage fired an account-level operation, a claim was declared, a
credit alert was raised, an invoice was written off. The services write each event to
the history (:mod:`dunning_core.service.records` turns it into an
:class:`~dunning_core.domain.history.EventRecord` under its ``kind``) in the same
transaction as what caused it, and return the events they produced.

Facts a user records (a promise, a dispute, a hold, an insolvency proceeding) are not
events: they live in :mod:`dunning_core.domain.facts`.

.. versionchanged:: 0.2
   This module used to hold the facts; importing them from here still works for one
   release, with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

import enum
import warnings
from datetime import date
from typing import ClassVar

import attrs

from dunning_core._exports import moved
from dunning_core.domain.dates import AsOf
from dunning_core.domain.reasons import Reason
from dunning_core.money import Money

__all__ = [
    "AccountChanged",
    "AccountReactivated",
    "AccountSuspended",
    "CallOutcome",
    "CallReported",
    "ClaimDeclared",
    "CreditAlertRaised",
    "CreditNoteApplied",
    "CreditRefunded",
    "Event",
    "FactRecorded",
    "InvoiceRecorded",
    "InvoiceWrittenOff",
    "LetterTracked",
    "StageFired",
    "WriteOffRecovered",
]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event: which account, and when.

    Attributes:
        account_id: The account it happened to.
        as_of: When: the date or aware instant the service was given.
    """

    kind: ClassVar[str] = "event"

    account_id: str
    as_of: AsOf

    @property
    def at(self) -> AsOf:
        """Deprecated alias of :attr:`as_of`."""
        warnings.warn(
            f"{type(self).__name__}.at is deprecated; use .as_of",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.as_of


@attrs.frozen(kw_only=True)
class AccountSuspended(Event):
    """An account's service was suspended.

    Attributes:
        reasons: Why, as the decision found them.
        resumes_when: What clears it, for the customer.
        requires_prepayment: Whether service, once back, runs on prepayment only.
    """

    kind: ClassVar[str] = "account.suspended"

    reasons: tuple[Reason, ...]
    resumes_when: str
    requires_prepayment: bool = False

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The distinct reason codes, sorted."""
        return tuple(sorted({str(r.code) for r in self.reasons}))


@attrs.frozen(kw_only=True)
class AccountReactivated(Event):
    """An account's service came back: no reason remained.

    Attributes:
        cleared_reason_codes: The codes of the reasons that were in force.
        payment_id: The payment whose allocation cleared them, when the caller named it.
        requires_prepayment: True when service resumes on prepayment only.
    """

    kind: ClassVar[str] = "account.reactivated"

    cleared_reason_codes: tuple[str, ...]
    payment_id: str | None = None
    requires_prepayment: bool = False


@attrs.frozen(kw_only=True)
class StageFired(Event):
    """A ladder stage fired an account-level operation (suspend the service, terminate
    the contract, hand the file to collection, take legal action, cancel the order).

    The host application (or the collection agency's integration) carries it out; the
    customer's notice of the stage, if the stage has channels, is an outbox message.

    Attributes:
        ladder: The ladder's name.
        stage: The stage's key.
        action: The operation (an ``ActionKind`` value, ``"TERMINATE"``).
        invoice_numbers: The invoices that brought the account to this stage.
        needs_review: True when a person must approve it before it is carried out.
        reasons: Why it fired.
        key: The ladder action's idempotency key.
    """

    ladder: str
    stage: str
    action: str
    invoice_numbers: tuple[str, ...]
    needs_review: bool = False
    reasons: tuple[Reason, ...] = ()
    key: str = ""

    @property
    def kind(self) -> str:  # type: ignore[override]
        """``ladder.<action>``, e.g. ``ladder.terminate``."""
        return f"ladder.{self.action.lower()}"


@attrs.frozen(kw_only=True)
class ClaimDeclared(Event):
    """The account's claim in an insolvency proceeding is to be declared to the
    administrator (once per proceeding).

    Attributes:
        ladder: The ladder the account follows.
        proceeding_id: The proceeding.
        invoice_numbers: The open invoices issued on or before the opening.
        amount: What they owe.
        reasons: Why.
        key: The ladder action's idempotency key.
    """

    kind: ClassVar[str] = "ladder.declare_claim"

    ladder: str
    proceeding_id: str
    invoice_numbers: tuple[str, ...]
    amount: Money
    reasons: tuple[Reason, ...] = ()
    key: str = ""


@attrs.frozen(kw_only=True)
class CreditAlertRaised(Event):
    """Utilisation of the credit limit reached a threshold.

    Attributes:
        threshold: The threshold reached, in percent.
        exposure: The exposure that reached it.
        credit_limit: The account's limit.
        day: The account-local day it was raised.
    """

    kind: ClassVar[str] = "credit.alert"

    threshold: int
    exposure: Money
    credit_limit: Money
    day: date


@attrs.frozen(kw_only=True)
class InvoiceRecorded(Event):
    """An invoice was recorded or corrected.

    Attributes:
        invoice_number: The invoice.
        amount: Its amount.
        replaced: True when an invoice with this number was on file (a correction).
    """

    kind: ClassVar[str] = "invoice.recorded"

    invoice_number: str
    amount: Money
    replaced: bool = False


@attrs.frozen(kw_only=True)
class CreditNoteApplied(Event):
    """A credit note was recorded and applied.

    Attributes:
        credit_note_number: The credit note.
        amount: Its amount.
        applied: ``(invoice number, amount)`` for each invoice it reduced.
        left: What remains as credit on the account.
    """

    kind: ClassVar[str] = "credit_note.applied"

    credit_note_number: str
    amount: Money
    applied: tuple[tuple[str, Money], ...]
    left: Money


@attrs.frozen(kw_only=True)
class FactRecorded(Event):
    """A promise, dispute, hold or insolvency proceeding was recorded or updated.

    Attributes:
        fact: What kind (``"promise"``, ``"dispute"``, ``"hold"``, ``"proceeding"``).
        fact_id: Its id.
        change: What changed (``"made"``, ``"opened"``, ``"resolved"``, ``"placed"``,
            ``"lifted"``, ``"ruled"``, ``"updated"``).
    """

    kind: ClassVar[str] = "fact.recorded"

    fact: str
    fact_id: str
    change: str


@attrs.frozen(kw_only=True)
class AccountChanged(Event):
    """An account was created, or its master data changed (contacts, address, segment,
    limit, tags).

    Attributes:
        fields: The names of the fields that changed, sorted (every field for a new
            account).
        created: True for a new account.
    """

    kind: ClassVar[str] = "account.changed"

    fields: tuple[str, ...]
    created: bool = False


@attrs.frozen(kw_only=True)
class InvoiceWrittenOff(Event):
    """An invoice (or what remained open on it) was written off as uncollectible.

    Attributes:
        invoice_number: The invoice.
        amount: The amount written off.
        reason: Why (a failed collection, a closed insolvency).
    """

    kind: ClassVar[str] = "invoice.written_off"

    invoice_number: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class WriteOffRecovered(Event):
    """A payment arrived for an invoice that had been written off: the write-off is
    reversed by what the payment covers (a recovery).

    Attributes:
        invoice_number: The invoice.
        amount: The amount recovered.
        payment_id: The payment.
    """

    kind: ClassVar[str] = "invoice.write_off_recovered"

    invoice_number: str
    amount: Money
    payment_id: str


@attrs.frozen(kw_only=True)
class CreditRefunded(Event):
    """Unapplied credit was paid back to the customer.

    Attributes:
        refund_id: The refund's id (its idempotency key).
        amount: The amount refunded.
    """

    kind: ClassVar[str] = "credit.refunded"

    refund_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class LetterTracked(Event):
    """The post's tracking number of a letter came back (a registered letter's proof
    of posting and, later, of delivery, is looked up with it).

    Attributes:
        outbox_key: The letter's outbox message.
        tracking_number: The number the post gave.
        registered: True for a registered letter (with acknowledgement of receipt).

    .. versionadded:: 0.3
    """

    kind: ClassVar[str] = "letter.tracked"

    outbox_key: str
    tracking_number: str
    registered: bool


class CallOutcome(enum.StrEnum):
    """What came of a call."""

    REACHED_PROMISE = "REACHED_PROMISE"  #: reached; promised to pay (a promise is given)
    REACHED_DISPUTE = "REACHED_DISPUTE"  #: reached; contests the invoices (the note says why)
    REACHED_REFUSED = "REACHED_REFUSED"  #: reached; will not pay and gives no reason
    NO_ANSWER = "NO_ANSWER"
    WRONG_NUMBER = "WRONG_NUMBER"  #: the number is not the customer's: never called again
    VOICEMAIL = "VOICEMAIL"  #: a message was left


@attrs.frozen(kw_only=True)
class CallReported(Event):
    """A collector reported a call.

    Attributes:
        task_key: The call task's outbox key.
        outcome: What came of it.
        number: The number called.
        note: The collector's note.
        promise_id: The promise recorded, if any.
        dispute_ids: The disputes opened, if any.
    """

    kind: ClassVar[str] = "call.reported"

    task_key: str
    outcome: CallOutcome
    number: str
    note: str = ""
    promise_id: str | None = None
    dispute_ids: tuple[str, ...] = ()


# Facts used to live here (0.1): they resolve from domain.facts with a warning.
__getattr__, __dir__ = moved(
    __name__,
    dict.fromkeys(
        (
            "AccountFacts",
            "Dispute",
            "Hold",
            "InsolvencyProceeding",
            "ProceedingKind",
            "PromiseToPay",
        ),
        "dunning_core.domain.facts",
    ),
    keep=dict.fromkeys(__all__),
)
