"""Ports: what the service layer needs from the world, as ``typing.Protocol`` classes.

Stores are reached only through a :class:`UnitOfWork`: ``with uow_factory() as uow:``
opens one transaction, ``uow.commit()`` makes its writes durable and visible together,
and leaving the block without committing (or by an exception) discards them. Every
store method must be called inside that block.

Each protocol's docstring says what an implementation guarantees and which test of
:mod:`dunning_core.testing.contracts` proves it; subclass those tests to check your own
adapter. The library ships two stores (:mod:`dunning_core.adapters.storage.memory` and
:mod:`dunning_core.adapters.storage.sqlite`) that pass them.

Sharding helpers (``Shard``, ``shard_of``, ...) live in :mod:`dunning_core.sharding`;
importing them from here still works for one release, with a warning.

.. versionchanged:: 0.2
   Only protocols and the values they exchange; the sharding helpers moved out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

import attrs

from dunning_core._exports import moved
from dunning_core.domain.account import Account
from dunning_core.domain.attachments import Attachment
from dunning_core.domain.charges import Charge
from dunning_core.domain.facts import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    PromiseToPay,
)
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord, ReviewBasis
from dunning_core.domain.invoice import CreditNote, Invoice
from dunning_core.domain.outbox import Delivery, OutboxMessage, OutboxStatus
from dunning_core.domain.payment import Allocation, Payment, PaymentStatus, Refund
from dunning_core.domain.remittance import RemittanceAdvice
from dunning_core.domain.state import CreditAlertState, SuspensionState

if TYPE_CHECKING:  # a runtime import would shadow the deprecated alias below
    from dunning_core.sharding import Shard

__all__ = [
    "AccountLedger",
    "AccountStore",
    "CheckpointStore",
    "Clock",
    "DocumentLinks",
    "Documents",
    "FactsStore",
    "HistoryStore",
    "LedgerStore",
    "Notifier",
    "OutboxStore",
    "PaymentLinks",
    "RenderedMessage",
    "Renderer",
    "ReviewStore",
    "TemplateCatalog",
    "UnitOfWork",
    "UowFactory",
]


@attrs.frozen(kw_only=True)
class AccountLedger:
    """An account's ledger as loaded in one batch.

    Attributes:
        account_id: The account.
        invoices: Its invoices, by number.
        credit_notes: Its credit notes, by number.
        payments: Payments identified to it (any status), by id.
        allocations: In the order recorded: allocations to its invoices, and
            allocations made from its payments and credit notes (to any account's
            invoices, for central billing). Exactly what
            :func:`~dunning_core.domain.statement.build_statement` takes.
        charges: Its booked charges (stage fees, interest, recovery compensation), by
            key.
        refunds: Credit paid back to it, by id.
    """

    account_id: str
    invoices: tuple[Invoice, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()
    payments: tuple[Payment, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    charges: tuple[Charge, ...] = ()
    refunds: tuple[Refund, ...] = ()


class AccountStore(Protocol):
    """Customer accounts.

    Guarantees:
        * ``add`` inserts or replaces by id; ``get`` returns an equal ``Account``.
        * ``iter_ids`` is keyset pagination: ids strictly after ``after``, in
          ascending code-point order, at most ``limit`` of them. Looping with
          ``after=page[-1]`` visits every account exactly once while holding one page.
        * With ``shard=(i, n)``, a page holds only ids whose :func:`shard_of` is ``i``;
          the ``n`` shards partition the accounts exactly.

        * ``ids_of_entity`` returns every account of one billing entity, ascending.

    Proved by ``AccountStoreContract`` (``test_pages_visit_every_account_once_in_order``,
    ``test_shards_partition_the_accounts``, ``test_accounts_of_an_entity``).
    """

    def add(self, account: Account) -> None:
        """Insert ``account``, or replace the account with its id."""

    def add_many(self, accounts: Iterable[Account]) -> None:
        """:meth:`add` each account, in one round trip where the store can."""

    def get(self, account_id: str) -> Account | None:
        """The account, or ``None``."""

    def get_many(self, account_ids: Iterable[str]) -> dict[str, Account]:
        """The accounts found among ``account_ids`` (missing ids are left out)."""

    def iter_ids(
        self, *, after: str | None = None, limit: int = 500, shard: Shard | None = None
    ) -> list[str]:
        """One page of account ids after ``after``, ascending, at most ``limit``."""

    def ids_of_entity(self, billing_entity_id: str) -> list[str]:
        """The ids of the accounts of one billing entity (central billing), ascending."""

    def count(self) -> int:
        """How many accounts the store holds."""


class LedgerStore(Protocol):
    """Invoices, credit notes, payments, allocations and remittance advices.

    Guarantees:
        * Amounts come back exact, in their currency (integer minor units or NUMERIC).
        * Invoices and credit notes are inserted or replaced by number; a record of
          an unknown account raises :class:`~dunning_core.errors.ConstraintViolation`.
        * ``add_payment`` stores a payment once: for an id already on file it returns
          ``False`` and changes nothing, so the caller can treat it as a no-op.
        * An allocation must name a known invoice (``ConstraintViolation``).
        * ``add_refund`` stores a refund once, like ``add_payment``.
        * ``load`` returns one :class:`AccountLedger` per id asked, empty ones included,
          with every allocation that touches the account.

    Proved by ``LedgerStoreContract``.
    """

    def add_invoices(self, invoices: Iterable[Invoice]) -> None:
        """Insert or replace each invoice by number."""

    def add_credit_notes(self, credit_notes: Iterable[CreditNote]) -> None:
        """Insert or replace each credit note by number."""

    def get_invoices(self, numbers: Iterable[str]) -> dict[str, Invoice]:
        """The invoices found among ``numbers``, by number."""

    def add_payment(self, payment: Payment) -> bool:
        """Store ``payment``; ``False`` (and no change) when its id is already on file."""

    def get_payment(self, payment_id: str) -> Payment | None:
        """The payment, or ``None``."""

    def set_payment_status(self, payment_id: str, status: PaymentStatus) -> Payment:
        """Change a payment's status and return the updated payment.

        Raises:
            UnknownRecord: no payment has this id.
        """

    def identify_payment(self, payment_id: str, account_id: str) -> Payment:
        """Attach an unidentified payment to ``account_id`` and return it.

        Raises:
            UnknownRecord: no payment has this id.
            ConstraintViolation: the payment is already identified, or the account is
                unknown.
        """

    def unidentified_payments(self, *, limit: int = 100) -> list[Payment]:
        """Payments not yet identified to an account (``account_id is None``), by id."""

    def add_allocations(self, allocations: Iterable[Allocation]) -> None:
        """Record allocations, after those already recorded."""

    def allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        """Allocations made from one payment or credit note, in the order recorded."""

    def remove_allocations_of_source(self, source_id: str) -> tuple[Allocation, ...]:
        """Delete the allocations made from ``source_id`` (a reversal) and return them."""

    def add_charges(self, charges: Iterable[Charge]) -> int:
        """Book charges, ignoring any whose key is already booked; return how many were
        new. A charge of an unknown account raises ``ConstraintViolation``."""

    def add_refund(self, refund: Refund) -> bool:
        """Store ``refund`` once: ``False`` (and no change) when its id is on file. A
        refund of an unknown account raises ``ConstraintViolation``."""

    def get_refund(self, refund_id: str) -> Refund | None:
        """The refund, or ``None``."""

    def add_advice(self, advice: RemittanceAdvice) -> None:
        """Insert or replace the remittance advice of a payment (which must exist)."""

    def advice_for(self, payment_id: str) -> RemittanceAdvice | None:
        """The remittance advice of a payment, or ``None``."""

    def load(self, account_ids: Iterable[str]) -> dict[str, AccountLedger]:
        """The ledgers of ``account_ids``, one per id, in few round trips."""


class FactsStore(Protocol):
    """Promises to pay, disputes, insolvency proceedings and holds.

    Guarantees: each fact is inserted or replaced by its id (a dispute is resolved by
    adding it again with ``resolved_on``); ``load`` returns one
    :class:`~dunning_core.domain.facts.AccountFacts` per id asked, every tuple sorted
    by id. Proved by ``FactsStoreContract``.
    """

    def add_promise(self, promise: PromiseToPay) -> None:
        """Insert or replace a promise to pay."""

    def add_dispute(self, dispute: Dispute) -> None:
        """Insert or replace a dispute."""

    def add_proceeding(self, proceeding: InsolvencyProceeding) -> None:
        """Insert or replace an insolvency proceeding."""

    def add_hold(self, hold: Hold) -> None:
        """Insert or replace a hold."""

    def load(self, account_ids: Iterable[str]) -> dict[str, AccountFacts]:
        """The facts of ``account_ids``, one per id."""


class HistoryStore(Protocol):
    """Executed actions, per-account policy state, and account events.

    Guarantees:
        * ``add_actions`` and ``add_events`` ignore a record whose key is already on
          file (the first one wins) and return how many they inserted: a rerun of a
          cycle inserts nothing.
        * ``actions_of`` returns one tuple per id asked, by ``(fired_on, key)``;
          ``events_of`` by ``(occurred_at, key)``.
        * Suspension and credit-alert states are replaced per account; the getters
          return only the accounts that have one.

    Proved by ``HistoryStoreContract`` (``test_actions_insert_ignores_a_known_key``).
    """

    def add_actions(self, records: Iterable[ActionRecord]) -> int:
        """Insert the records whose key is new; return how many were inserted."""

    def get_action(self, key: str) -> ActionRecord | None:
        """The action with this key, or ``None``."""

    def actions_of(self, account_ids: Iterable[str]) -> dict[str, tuple[ActionRecord, ...]]:
        """The actions of each account asked."""

    def suspension_states(self, account_ids: Iterable[str]) -> dict[str, SuspensionState]:
        """Stored suspension states among ``account_ids``."""

    def put_suspension_states(self, states: Iterable[SuspensionState]) -> None:
        """Insert or replace suspension states."""

    def credit_alert_states(self, account_ids: Iterable[str]) -> dict[str, CreditAlertState]:
        """Stored credit-alert states among ``account_ids``."""

    def put_credit_alert_states(self, states: Iterable[CreditAlertState]) -> None:
        """Insert or replace credit-alert states."""

    def add_events(self, records: Iterable[EventRecord]) -> int:
        """Insert the events whose key is new; return how many were inserted."""

    def events_of(self, account_ids: Iterable[str]) -> dict[str, tuple[EventRecord, ...]]:
        """The events of each account asked."""


class OutboxStore(Protocol):
    """Messages waiting to be sent, claimed under leases.

    Guarantees:
        * ``add_messages`` ignores a message whose key is on file (the first wins).
        * ``claim_due`` atomically takes up to ``limit`` messages that are due: PENDING
          with ``next_attempt_at <= now``, or SENDING whose lease expired by
          ``lease_now`` (``now`` when not given); oldest due first. Each comes back
          SENDING with ``attempts`` one higher, a fresh unique ``lease_token`` and
          ``lease_expires_at = lease_now + lease_for``. Two concurrent claims never
          return the same message. ``now`` is business time (what is due: a caller may
          fix it), ``lease_now`` the lease clock's reading (real time: leases must see
          time pass), so the two are compared each with its own kind of instant.
        * ``mark_sent``, ``schedule_retry`` and ``mark_dead`` succeed (return ``True``)
          only while the message is SENDING under ``token``; otherwise they change
          nothing and return ``False``. A dispatcher whose lease expired and was taken
          over therefore cannot complete (fencing). SENT and DEAD are final.
        * Every field of a message comes back as it was added, its
          ``attachments`` included; ``mark_sent(..., attachments=...)`` replaces them
          with what the message carried.

    Proved by ``OutboxStoreContract`` (``test_claims_never_overlap``,
    ``test_a_stale_token_cannot_complete``, ``test_sent_keeps_what_the_message_carried``,
    ``test_leases_are_judged_by_the_lease_clock``).
    """

    def add_messages(self, messages: Iterable[OutboxMessage]) -> int:
        """Insert the messages whose key is new; return how many were inserted."""

    def get(self, key: str) -> OutboxMessage | None:
        """The message, or ``None``."""

    def messages_of(self, account_ids: Iterable[str]) -> dict[str, tuple[OutboxMessage, ...]]:
        """The messages of each account asked, by ``(created_at, key)``."""

    def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_for: timedelta,
        *,
        lease_now: datetime | None = None,
    ) -> list[OutboxMessage]:
        """Claim due messages under fresh leases (see the class docstring)."""

    def mark_sent(
        self,
        key: str,
        token: str,
        provider_message_id: str,
        at: datetime,
        *,
        attachments: Sequence[Attachment] | None = None,
    ) -> bool:
        """SENDING under ``token`` -> SENT with the provider's id; ``False`` if fenced.

        ``attachments``, when given, replaces the message's with what it carried (the
        dispatcher passes it only when the notifier reported attachments).

        .. versionchanged:: 0.3
           ``attachments``.
        """

    def schedule_retry(self, key: str, token: str, at: datetime, error: str) -> bool:
        """SENDING under ``token`` -> PENDING, due ``at``; ``False`` if fenced."""

    def mark_dead(self, key: str, token: str, error: str) -> bool:
        """SENDING under ``token`` -> DEAD with ``error``; ``False`` if fenced."""

    def counts(self) -> dict[OutboxStatus, int]:
        """How many messages are in each status (every status present)."""


class CheckpointStore(Protocol):
    """Cycle progress per (run date, shard label).

    Guarantees: ``put`` inserts or replaces, inside the caller's unit of work, so the
    checkpoint commits (or rolls back) with the batch it describes. Proved by
    ``CheckpointStoreContract``.
    """

    def get(self, run_date: date, shard: str) -> CycleCheckpoint | None:
        """The checkpoint, or ``None`` when this run has not started."""

    def put(self, checkpoint: CycleCheckpoint) -> None:
        """Insert or replace the checkpoint of ``(run_date, shard)``."""


class ReviewStore(Protocol):
    """When the cycle must evaluate each account again: marks and wake-up dates.

    Every account has a next review day. An account never evaluated, or *marked* by a
    write since its last evaluation, is due on any day (its review day reads as
    ``date.min``); after an evaluation the cycle schedules the earliest day its result
    could change by time alone (``None``, stored as ``date.max``: only a write brings
    it back). A run evaluates the accounts :meth:`due` on its day.

    Guarantees:
        * **Every write that can change an account's evaluation marks the account, in
          the same transaction, whoever makes it**: adding or replacing the account;
          its invoices and credit notes; its payments, their status and their
          identification (and the accounts of the invoices a payment settled, when its
          status changes); allocations to its invoices or from its payments and credit
          notes, and their removal; its charges; its promises, disputes, proceedings
          and holds; its ladder history; its suspension and credit-alert states. A new
          account is due. A write rolled back leaves no mark.
        * ``schedule`` stores each account's next review day and clears its mark;
          ``mark`` marks accounts, ``mark_all`` every account. Unknown ids are ignored.
        * ``due(on)`` returns ``(review day, account id)`` pairs of the accounts whose
          review day is on or before ``on`` (marked ones included), ordered by review
          day then id; ``after`` (the last pair of the previous page) pages on, and a
          page holds at most ``limit``. With ``shard=(i, n)``, only that shard's.
        * ``basis`` returns what ``put_basis`` stored last (one per store), or
          ``None``.
        * No mark is lost: ``schedule`` runs in the unit of work that read the
          account's data, so a mark another transaction commits meanwhile must survive
          it. The memory and SQLite stores serialise writers, so none can; a store with
          concurrent writers locks what the batch reads, or compares a mark counter.

    Proved by ``ReviewStoreContract`` (``test_every_write_marks_the_account``,
    ``test_due_pages_in_review_order``).

    .. versionadded:: 0.2
    """

    def mark(self, account_ids: Iterable[str]) -> None:
        """Mark accounts: each is due at the next run, whatever its review day."""

    def mark_all(self) -> None:
        """Mark every account."""

    def schedule(self, reviews: Mapping[str, date | None]) -> None:
        """Store each account's next review day (``None``: none) and clear its mark."""

    def due(
        self,
        on: date,
        *,
        after: tuple[date, str] | None = None,
        limit: int = 500,
        shard: Shard | None = None,
    ) -> list[tuple[date, str]]:
        """One page of the accounts due on ``on``, as ``(review day, id)`` pairs."""

    def next_review_on(self, account_ids: Iterable[str]) -> dict[str, date]:
        """The review day of each account found: ``date.min`` when marked or never
        evaluated, ``date.max`` when only a write can make it due."""

    def basis(self) -> ReviewBasis | None:
        """What the stored review days were computed with, or ``None``."""

    def put_basis(self, basis: ReviewBasis) -> None:
        """Replace the store's :class:`~dunning_core.domain.history.ReviewBasis`."""


class UnitOfWork(Protocol):
    """One transaction over every store.

    ``with uow_factory() as uow:`` begins it; ``uow.commit()`` makes every write
    durable and visible at once; leaving the block without committing, or by an
    exception, discards every write since the last commit. After ``commit()`` the
    stores may be used again in the same block (a new transaction begins).

    Guarantees:
        * Atomicity: after a crash or rollback, none of the uncommitted writes exist.
        * Isolation: no other unit of work sees a write before its commit.
        * A read-then-write is safe: a unit of work never fails, and never writes
          from a stale read, because of a write that happened in between. A store
          may get there by serialising writers (SQLite holds its write lock from
          ``__enter__``, ``BEGIN IMMEDIATE``) or by locking the records a unit of
          work reads before it writes them (PostgreSQL locks the accounts and
          payment ids it touches, so writers on other accounts run in parallel).
        * Store errors are the library's own
          :class:`~dunning_core.errors.StoreError` family.

    Proved by ``UnitOfWorkContract`` (``test_rollback_leaves_nothing``,
    ``test_uncommitted_writes_are_invisible_to_others``).
    """

    @property
    def accounts(self) -> AccountStore:
        """The account store."""

    @property
    def ledger(self) -> LedgerStore:
        """The ledger store."""

    @property
    def facts(self) -> FactsStore:
        """The facts store."""

    @property
    def history(self) -> HistoryStore:
        """The history store."""

    @property
    def outbox(self) -> OutboxStore:
        """The outbox store."""

    @property
    def checkpoints(self) -> CheckpointStore:
        """The checkpoint store."""

    @property
    def reviews(self) -> ReviewStore:
        """The review store (marks and wake-up dates)."""

    def __enter__(self) -> Self:
        """Begin the transaction."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the store."""

    def commit(self) -> None:
        """Make the writes so far durable and visible."""

    def rollback(self) -> None:
        """Discard the writes since the last commit."""


#: What services take: a callable returning a fresh, not yet entered unit of work.
UowFactory = Callable[[], UnitOfWork]


class Notifier(Protocol):
    """Sends one outbox message through its channel.

    Guarantees: returns a :class:`~dunning_core.domain.outbox.Delivery` only when the
    provider accepted the message; raises
    :class:`~dunning_core.errors.TransientDeliveryError` when a later attempt may
    succeed and :class:`~dunning_core.errors.PermanentDeliveryError` when none will.
    Implementations pass ``message.key`` to providers that deduplicate on an
    idempotency key, which is what makes a resend after a crash harmless.

    Three refinements the dispatcher understands: a transient error may carry
    ``retry_after`` (the provider's ``Retry-After``) or be a
    :class:`~dunning_core.errors.DeliveryDeferred` (not now: quiet hours), and an
    :class:`~dunning_core.errors.UnknownDeliveryOutcome` says the provider may have
    sent the message although no answer came back, so it is not retried blindly.
    """

    def send(self, message: OutboxMessage) -> Delivery:
        """Deliver ``message``."""


class Clock(Protocol):
    """The time, for the application layer (the core never reads a clock)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""


@attrs.frozen
class RenderedMessage:
    """A rendered notice: subject line, plain-text body and optionally an HTML body.

    Attributes:
        subject: The subject line (empty for SMS and call tasks).
        body: The plain-text body.
        html: The HTML body for email, or ``None`` (the cycle copies it to
            :attr:`~dunning_core.domain.outbox.OutboxMessage.html_body`).
        locale: The locale whose text was used (``""`` when the renderer does not say).
        requested_locale: The locale asked for; it differs from ``locale`` when the text
            fell back (``"vi_VN"`` asked, ``"en"`` used).
    """

    subject: str
    body: str
    html: str | None = None
    locale: str = ""
    requested_locale: str = ""

    @property
    def fell_back(self) -> bool:
        """True when the text is not in the language that was asked for."""
        return bool(self.locale) and _language_of(self.locale) != _language_of(
            self.requested_locale or self.locale
        )


def _language_of(locale: str) -> str:
    return locale.replace("-", "_").split("_", 1)[0].lower()


class Renderer(Protocol):
    """Turns a template key, a locale and a context into a message.

    Guarantees: only ``{name}`` placeholders are substituted (no attribute access, no
    format specs, nothing executed); an unknown key or a placeholder missing from
    ``context`` raises :class:`~dunning_core.errors.RenderError`.
    """

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        """Render ``template_key`` in ``locale`` (falling back to the language, then
        English)."""


@runtime_checkable
class TemplateCatalog(Protocol):
    """A renderer that can list its templates (optional; ``PlainRenderer`` can).

    When the configured renderer is one, :class:`~dunning_core.service.settings.
    CycleConfig` refuses a ladder stage that sends a notice with a template the
    renderer does not know, when the configuration is built rather than account by
    account at run time. A renderer that cannot list its templates is trusted.
    """

    def template_keys(self) -> frozenset[str]:
        """Every template key the renderer knows in at least one language."""


class Documents(Protocol):
    """The team's invoice PDFs, which e-mail notices attach.

    The library never stores an invoice's PDF: the notifier asks for it when it sends
    the message (so the outbox stays small and the PDF sent is the latest), and records
    its size and SHA-256 on the message.

    Guarantees an implementation gives:
        * ``pdf_for(number)`` returns the complete PDF (bytes starting with ``%PDF-``)
          of the invoice with that number, or ``None`` when there is none to send (not
          issued as PDF, archived elsewhere); ``None`` is not an error: the e-mail goes
          without it and the message records it as missing.
        * It returns the invoice the number names and no other: the number comes from
          the account's own invoices, so a look-up by number alone is safe only if
          numbers are unique across accounts (as the ledger requires).
        * It only reads: it may be called more than once for the same number (a retry
          after a failure), from several dispatcher threads or processes at once, and
          outside any unit of work.
        * A failure that may pass (the archive is down) raises; the dispatcher then
          retries the message later. Do not return ``None`` for it.

    Proved by ``DocumentsContract`` (:mod:`dunning_core.testing.contracts.documents`),
    which :class:`~dunning_core.adapters.documents.DirectoryDocuments` passes.

    .. versionadded:: 0.3
    """

    def pdf_for(self, invoice_number: str) -> bytes | None:
        """The PDF of invoice ``invoice_number``, or ``None`` when there is none."""


class DocumentLinks(Protocol):
    """Builds the download link an e-mail carries instead of an attachment over the
    size cap (:class:`~dunning_core.rendering.signed_links.SignedDocumentLinks`).

    .. versionadded:: 0.3
    """

    def url_for_document(self, account_id: str, document: str) -> str:
        """The URL to download ``document`` of ``account_id`` (``"invoice:F-1"``,
        ``"statement:<outbox key>"``, ``"notice:<outbox key>"``)."""


class PaymentLinks(Protocol):
    """Builds the pay-now URL a reminder carries."""

    def url_for(self, account_id: str, invoice_numbers: Sequence[str]) -> str:
        """The URL that lets the customer pay these invoices (all open ones if empty)."""


__getattr__, __dir__ = moved(
    __name__,
    dict.fromkeys(
        ("Shard", "check_shard", "shard_key", "shard_label", "shard_of"), "dunning_core.sharding"
    ),
    keep=dict.fromkeys(__all__),
)
