"""Contract of :class:`~dunning_core.ports.OutboxStore`: claims, leases and fencing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.attachments import Attachment, AttachmentKind, AttachmentOutcome
from dunning_core.domain.outbox import OutboxMessage, OutboxStatus
from dunning_core.errors import InvalidField
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts._base import (
    AWKWARD_TEXT,
    T0,
    StoreContractBase,
    fixture_ok,
    make_account,
    make_message,
    seed_accounts,
    text,
)

LEASE = timedelta(minutes=5)
_REQUESTED = (
    Attachment.invoice("F-1", filename="facture-F-1.pdf"),
    Attachment.document(
        AttachmentKind.STATEMENT, '{"subject": "Relevé — été"}', filename="relevé-A-1.pdf"
    ),
)


def _add(uow_factory: UowFactory, *messages: OutboxMessage) -> None:
    with uow_factory() as uow:
        uow.outbox.add_messages(messages)
        uow.commit()


def _claim(uow_factory: UowFactory, now: object = T0, limit: int = 100) -> list[OutboxMessage]:
    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(now, limit, LEASE)  # type: ignore[arg-type]
        uow.commit()
    return claimed


@attrs.define
class _Modelled:
    """The reference model's view of one message."""

    created: datetime
    due: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    token: str | None = None


_operations = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 5), st.integers(-120, 120)),
    st.tuples(st.just("claim"), st.integers(0, 400), st.integers(1, 4), st.booleans()),
    st.tuples(
        st.just("complete"),
        st.sampled_from(["sent", "retry", "dead"]),
        st.integers(0, 50),
        st.integers(0, 600),
    ),
)


def _drain(uow_factory: UowFactory) -> None:
    """Move every claimable message to DEAD."""
    far = T0 + timedelta(days=365 * 100)
    while True:
        with uow_factory() as uow:
            claimed = uow.outbox.claim_due(far, 100, LEASE)
            for message in claimed:
                assert message.lease_token is not None
                uow.outbox.mark_dead(message.key, message.lease_token, "drained")
            uow.commit()
        if not claimed:
            return


class OutboxStoreContract(StoreContractBase):
    """Messages are added once per key, claimed by one holder at a time, and completed
    only under the holder's lease token."""

    def test_message_round_trip(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        message = make_message("M-1", "A-1", subject=AWKWARD_TEXT, body=AWKWARD_TEXT)
        _add(uow_factory, message)
        with uow_factory() as uow:
            assert uow.outbox.get("M-1") == message
            assert uow.outbox.get("M-404") is None
            assert uow.outbox.messages_of(["A-1", "A-2"]) == {"A-1": (message,), "A-2": ()}

    def test_html_body_round_trips(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        html = f"<p>{AWKWARD_TEXT}</p>"
        with_html = make_message("M-html", "A-1", html_body=html)
        without = make_message("M-plain", "A-1")
        _add(uow_factory, with_html, without)
        with uow_factory() as uow:
            assert uow.outbox.get("M-html") == with_html
            assert uow.outbox.get("M-plain") == without
            assert without.html_body is None
        claimed = {m.key: m for m in _claim(uow_factory)}
        assert claimed["M-html"].html_body == html
        assert claimed["M-plain"].html_body is None

    def test_text_locale_document_and_attachments_round_trip(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        carrying = make_message(
            "M-files",
            "A-1",
            text_locale="de",
            document='{"letter": "Mahnung über 1.234,56 €"}',
            attachments=_REQUESTED,
        )
        bare = make_message("M-bare", "A-1")
        _add(uow_factory, carrying, bare)
        with uow_factory() as uow:
            assert uow.outbox.get("M-files") == carrying
            assert uow.outbox.get("M-bare") == bare
            assert uow.outbox.messages_of(["A-1"])["A-1"] == (bare, carrying)
        claimed = {m.key: m for m in _claim(uow_factory)}
        assert claimed["M-files"].attachments == _REQUESTED
        assert claimed["M-files"].document == carrying.document
        assert claimed["M-bare"].attachments == ()

    def test_sent_keeps_what_the_message_carried(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(
            uow_factory,
            make_message("M-carried", "A-1", attachments=_REQUESTED),
            make_message("M-as-asked", "A-1", attachments=_REQUESTED),
        )
        tokens = {m.key: str(m.lease_token) for m in _claim(uow_factory)}
        carried = (
            _REQUESTED[0].carried(AttachmentOutcome.ATTACHED, data=b"%PDF-1.7 invoice"),
            _REQUESTED[1].carried(
                AttachmentOutcome.LINKED, data=b"%PDF-1.7 big", url="https://docs.example/s?x=1"
            ),
        )
        with uow_factory() as uow:
            assert not uow.outbox.mark_sent("M-carried", "stale", "p", T0, attachments=carried)
            assert uow.outbox.mark_sent(
                "M-carried", tokens["M-carried"], "p", T0, attachments=carried
            )
            assert uow.outbox.mark_sent("M-as-asked", tokens["M-as-asked"], "p", T0)
            uow.commit()
        with uow_factory() as uow:
            sent = uow.outbox.get("M-carried")
            as_asked = uow.outbox.get("M-as-asked")
        assert sent is not None and sent.attachments == carried
        assert sent.status is OutboxStatus.SENT
        assert as_asked is not None and as_asked.attachments == _REQUESTED

    @fixture_ok
    @given(subject=text, body=text, html=st.none() | text)
    def test_text_round_trips_unchanged(
        self, uow_factory: UowFactory, subject: str, body: str, html: str | None
    ) -> None:
        account_id = self.unique("A")
        message = make_message(
            self.unique("M"), account_id, subject=subject, body=body, html_body=html
        )
        with uow_factory() as uow:
            uow.accounts.add(make_account(account_id))
            uow.outbox.add_messages([message])
            uow.commit()
        with uow_factory() as uow:
            assert uow.outbox.get(message.key) == message

    def test_add_ignores_a_known_key(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        first = make_message("M-1", "A-1")
        with uow_factory() as uow:
            assert uow.outbox.add_messages([first, make_message("M-1", "A-1", body="other")]) == 1
            uow.commit()
        with uow_factory() as uow:
            assert uow.outbox.add_messages([make_message("M-1", "A-1", body="again")]) == 0
            assert uow.outbox.get("M-1") == first

    def test_claim_takes_due_messages_oldest_first(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(
            uow_factory,
            make_message("M-late", "A-1", T0 - timedelta(minutes=1)),
            make_message("M-future", "A-1", T0 + timedelta(seconds=1)),
            make_message("M-b", "A-1", T0 - timedelta(hours=1)),
            make_message("M-a", "A-1", T0 - timedelta(hours=1)),
        )
        first = _claim(uow_factory, limit=2)
        assert [m.key for m in first] == ["M-a", "M-b"]
        assert [m.key for m in _claim(uow_factory)] == ["M-late"]
        assert _claim(uow_factory) == []

    def test_leases_are_judged_by_the_lease_clock(self, uow_factory: UowFactory) -> None:
        # `now` says what is due (business time, which a caller may fix); `lease_now`
        # is the lease clock: leases are granted from it and expire by it only.
        seed_accounts(uow_factory, make_account("A-1"))
        _add(
            uow_factory,
            make_message("M-old", "A-1", T0 - timedelta(hours=1)),
            make_message("M-new", "A-1", T0 + timedelta(hours=1)),
        )
        real = T0 + timedelta(days=200)
        with uow_factory() as uow:
            (claimed,) = uow.outbox.claim_due(T0, 10, LEASE, lease_now=real)
            uow.commit()
        assert claimed.key == "M-old"
        assert claimed.lease_expires_at == real + LEASE
        with uow_factory() as uow:
            # Far later in business time, but the lease still holds on the lease clock.
            later = T0 + timedelta(days=400)
            taken = uow.outbox.claim_due(later, 10, LEASE, lease_now=real + LEASE / 2)
            assert [m.key for m in taken] == ["M-new"]
            uow.commit()
        with uow_factory() as uow:
            # Early in business time, yet the lapsed lease is taken over.
            lapsed = uow.outbox.claim_due(T0, 10, LEASE, lease_now=real + LEASE)
            assert [(m.key, m.attempts) for m in lapsed] == [("M-old", 2)]
            uow.commit()
        with uow_factory() as uow, pytest.raises(InvalidField):
            uow.outbox.claim_due(T0, 10, LEASE, lease_now=real.replace(tzinfo=None))

    def test_a_claim_starts_an_attempt_under_a_fresh_lease(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(uow_factory, make_message("M-1", "A-1"), make_message("M-2", "A-1"))
        claimed = _claim(uow_factory)
        for message in claimed:
            assert message.status is OutboxStatus.SENDING
            assert message.attempts == 1
            assert message.lease_expires_at == T0 + LEASE
        assert len({m.lease_token for m in claimed}) == 2
        with uow_factory() as uow:
            assert uow.outbox.get("M-1") == claimed[0]
            assert uow.outbox.counts()[OutboxStatus.SENDING] == 2

    def test_a_claim_rolled_back_leaves_the_message_claimable(
        self, uow_factory: UowFactory
    ) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        message = make_message("M-1", "A-1")
        _add(uow_factory, message)
        with uow_factory() as uow:
            assert len(uow.outbox.claim_due(T0, 10, LEASE)) == 1
        with uow_factory() as uow:
            assert uow.outbox.get("M-1") == message
        assert [m.key for m in _claim(uow_factory)] == ["M-1"]

    def test_a_held_lease_is_exclusive_until_it_expires(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(uow_factory, make_message("M-1", "A-1"))
        (first,) = _claim(uow_factory)
        assert _claim(uow_factory, T0 + LEASE - timedelta(microseconds=1)) == []
        (second,) = _claim(uow_factory, T0 + LEASE)
        assert second.attempts == 2
        assert second.lease_token != first.lease_token

    def test_a_stale_token_cannot_complete(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(uow_factory, make_message("M-1", "A-1"))
        (stalled,) = _claim(uow_factory)
        (current,) = _claim(uow_factory, T0 + LEASE)
        assert stalled.lease_token is not None
        assert current.lease_token is not None
        later = T0 + LEASE + timedelta(seconds=1)
        with uow_factory() as uow:
            assert not uow.outbox.mark_sent("M-1", stalled.lease_token, "prov-1", later)
            assert not uow.outbox.schedule_retry("M-1", stalled.lease_token, later, "x")
            assert not uow.outbox.mark_dead("M-1", stalled.lease_token, "x")
            assert uow.outbox.get("M-1") == current
            assert uow.outbox.mark_sent("M-1", current.lease_token, "prov-2", later)
            uow.commit()
        with uow_factory() as uow:
            sent = uow.outbox.get("M-1")
        assert sent is not None
        assert sent.status is OutboxStatus.SENT
        assert sent.provider_message_id == "prov-2"
        assert sent.sent_at == later
        assert sent.lease_token is None

    def test_sent_and_dead_are_final(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(uow_factory, make_message("M-sent", "A-1"), make_message("M-dead", "A-1"))
        claimed = {m.key: m.lease_token for m in _claim(uow_factory)}
        with uow_factory() as uow:
            assert uow.outbox.mark_sent("M-sent", str(claimed["M-sent"]), "prov", T0)
            assert uow.outbox.mark_dead("M-dead", str(claimed["M-dead"]), AWKWARD_TEXT)
            uow.commit()
        far = T0 + timedelta(days=365)
        assert _claim(uow_factory, far) == []
        with uow_factory() as uow:
            assert not uow.outbox.mark_sent("M-dead", str(claimed["M-dead"]), "prov", far)
            assert not uow.outbox.schedule_retry("M-sent", str(claimed["M-sent"]), far, "x")
            dead = uow.outbox.get("M-dead")
            assert dead is not None
            assert dead.last_error == AWKWARD_TEXT
            assert uow.outbox.counts() == {
                OutboxStatus.PENDING: 0,
                OutboxStatus.SENDING: 0,
                OutboxStatus.SENT: 1,
                OutboxStatus.DEAD: 1,
            }

    def test_a_retry_is_due_at_its_time(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        _add(uow_factory, make_message("M-1", "A-1"))
        (claimed,) = _claim(uow_factory)
        retry_at = T0 + timedelta(seconds=42)
        with uow_factory() as uow:
            assert uow.outbox.schedule_retry("M-1", str(claimed.lease_token), retry_at, "timeout")
            uow.commit()
        with uow_factory() as uow:
            pending = uow.outbox.get("M-1")
        assert pending is not None
        assert (pending.status, pending.next_attempt_at, pending.last_error) == (
            OutboxStatus.PENDING,
            retry_at,
            "timeout",
        )
        assert pending.lease_token is None
        assert pending.attempts == 1
        assert _claim(uow_factory, retry_at - timedelta(microseconds=1)) == []
        (again,) = _claim(uow_factory, retry_at)
        assert again.attempts == 2

    def test_claims_never_overlap(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        keys = [f"M-{k:03d}" for k in range(120)]
        _add(uow_factory, *(make_message(k, "A-1") for k in keys))
        taken: list[list[str]] = [[], [], []]
        errors: list[BaseException] = []

        def worker(mine: list[str]) -> None:
            try:
                while True:
                    batch = _claim(uow_factory, limit=7)
                    if not batch:
                        return
                    mine.extend(m.key for m in batch)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(mine,)) for mine in taken]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        every = [key for mine in taken for key in mine]
        assert sorted(every) == keys  # each message claimed by exactly one worker

    def test_claim_arguments_are_checked(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            with pytest.raises(InvalidField):
                uow.outbox.claim_due(T0.replace(tzinfo=None), 1, LEASE)
            with pytest.raises(InvalidField):
                uow.outbox.claim_due(T0, 0, LEASE)
            with pytest.raises(InvalidField):
                uow.outbox.claim_due(T0, 1, timedelta(0))

    @fixture_ok
    @given(operations=st.lists(_operations, max_size=30))
    def test_outbox_follows_the_reference_model(
        self, uow_factory: UowFactory, operations: list[tuple[Any, ...]]
    ) -> None:
        _drain(uow_factory)  # earlier examples' messages must not be claimable
        account_id = self.unique("A")
        prefix = self.unique("M") + "/"
        seed_accounts(uow_factory, make_account(account_id))
        model: dict[str, _Modelled] = {}
        tokens: list[tuple[str, str]] = []  # every (key, token) ever handed out
        now = T0
        for operation in operations:
            if operation[0] == "add":
                _, index, offset = operation
                key = f"{prefix}{index}"
                created = T0 + timedelta(seconds=offset)
                with uow_factory() as uow:
                    added = uow.outbox.add_messages([make_message(key, account_id, created)])
                    uow.commit()
                assert added == (0 if key in model else 1)
                model.setdefault(key, _Modelled(created=created, due=created))
            elif operation[0] == "claim":
                _, advance, limit, commit = operation
                now += timedelta(seconds=advance)
                expected = sorted(
                    (m.due, m.created, key)
                    for key, m in model.items()
                    if m.status in (OutboxStatus.PENDING, OutboxStatus.SENDING) and m.due <= now
                )[:limit]
                with uow_factory() as uow:
                    claimed = uow.outbox.claim_due(now, limit, LEASE)
                    if commit:
                        uow.commit()
                assert [m.key for m in claimed] == [key for _, _, key in expected]
                for message in claimed:
                    assert message.lease_token is not None
                    tokens.append((message.key, message.lease_token))
                    if commit:
                        state = model[message.key]
                        state.status, state.token = OutboxStatus.SENDING, message.lease_token
                        state.attempts += 1
                        state.due = now + LEASE
                    assert message.attempts == model[message.key].attempts + (0 if commit else 1)
            elif tokens:
                _, outcome, pick, offset = operation
                key, token = tokens[pick % len(tokens)]
                state = model[key]
                holds = state.status is OutboxStatus.SENDING and state.token == token
                at = now + timedelta(seconds=offset)
                with uow_factory() as uow:
                    if outcome == "sent":
                        done = uow.outbox.mark_sent(key, token, "prov", at)
                    elif outcome == "retry":
                        done = uow.outbox.schedule_retry(key, token, at, "later")
                    else:
                        done = uow.outbox.mark_dead(key, token, "never")
                    uow.commit()
                assert done == holds
                if holds:
                    state.token = None
                    if outcome == "retry":
                        state.status, state.due = OutboxStatus.PENDING, at
                    else:
                        state.status = OutboxStatus.SENT if outcome == "sent" else OutboxStatus.DEAD
        with uow_factory() as uow:
            for key, state in model.items():
                stored = uow.outbox.get(key)
                assert stored is not None
                assert (stored.status, stored.attempts, stored.lease_token) == (
                    state.status,
                    state.attempts,
                    state.token,
                )
