"""Call reports: a promise made on the phone pauses the ladder exactly as one recorded
through the store does; a dispute holds the invoices; a wrong number is not called
again and the next stage falls back."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from dunning_core import Account, Contact, Dispute, Invoice, Money, PostalAddress, PromiseToPay
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.domain.account import Channel
from dunning_core.errors import InvalidField, UnknownRecord
from dunning_core.policies.ladder import DayBasis, Ladder, Stage, presets
from dunning_core.service.calls import CallOutcome, record_call_report
from dunning_core.service.cycle import run_cycle
from dunning_core.service.facts import record_dispute, record_promise
from dunning_core.service.settings import CycleConfig

ADDRESS = PostalAddress(
    recipient="Lê Văn Tám",
    lines=("12 rue Jean Jaurès",),
    postal_code="98800",
    city="Nouméa",
    country="NC",
)
ACCOUNT = Account(
    id="A-1",
    name="Lê Văn Tám",
    currency="XPF",
    locale="fr_NC",
    timezone="Pacific/Noumea",
    contacts=[
        Contact(
            name="Tám",
            email="tam@example.nc",
            mobile="+687751234",
            phone="+687271234",
            postal_address=ADDRESS,
        )
    ],
)
INVOICE = Invoice(
    number="F-1",
    account_id="A-1",
    issued_on=date(2026, 1, 2),
    due_on=date(2026, 2, 2),
    amount=Money("120000", "XPF"),
)
CONFIG = CycleConfig(
    ladders={presets.FORMAL_NOTICE_FR.name: presets.FORMAL_NOTICE_FR},
    default_ladder=presets.FORMAL_NOTICE_FR.name,
)


def _seeded(store: MemoryStore | SqliteStore) -> MemoryStore | SqliteStore:
    with store.unit_of_work() as uow:
        uow.accounts.add(ACCOUNT)
        uow.ledger.add_invoices([INVOICE])
        uow.commit()
    return store


def _run(store: MemoryStore | SqliteStore, first: date, last: date) -> list[tuple[date, str, str]]:
    sent = []
    day = first
    while day <= last:
        run_cycle(store.unit_of_work, CONFIG, day)
        day += timedelta(days=1)
    with store.unit_of_work(read_only=True) as uow:
        for message in uow.outbox.messages_of(["A-1"])["A-1"]:
            sent.append((message.created_at.date(), message.channel, message.subject))
    return sent


def _call_task(store: MemoryStore | SqliteStore) -> tuple[str, date]:
    with store.unit_of_work(read_only=True) as uow:
        tasks = [m for m in uow.outbox.messages_of(["A-1"])["A-1"] if m.channel == "PHONE_TASK"]
    assert len(tasks) == 1
    return tasks[0].key, tasks[0].created_at.date()


def _facts_and_events(store: MemoryStore | SqliteStore) -> tuple[object, ...]:
    """The account's facts, suspension state and history, but the call report itself."""
    with store.unit_of_work(read_only=True) as uow:
        facts = uow.facts.load(["A-1"])["A-1"]
        state = uow.history.suspension_states(["A-1"]).get("A-1")
        events = [
            (e.kind, e.occurred_at, e.payload)
            for e in uow.history.events_of(["A-1"])["A-1"]
            if e.kind != "call.reported"
        ]
    return facts, state, events


def _until_the_call(store: MemoryStore | SqliteStore) -> tuple[str, date]:
    _run(store, date(2026, 2, 3), date(2026, 2, 20))
    return _call_task(store)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_promise_by_call_pauses_the_ladder_exactly_as_one_recorded_through_the_service(
    tmp_path: Path, kind: str
) -> None:
    def store(name: str) -> MemoryStore | SqliteStore:
        return _seeded(MemoryStore() if kind == "memory" else SqliteStore(tmp_path / name))

    by_call, by_api, without = store("call.db"), store("api.db"), store("none.db")
    task, called_on = _until_the_call(by_call)
    assert _until_the_call(by_api) == (task, called_on)
    _until_the_call(without)
    promise = PromiseToPay(
        id="PR-1",
        account_id="A-1",
        made_on=called_on,
        due_on=called_on + timedelta(days=10),
        amount=Money("120000", "XPF"),
    )
    event = record_call_report(
        by_call.unit_of_work(),
        task,
        CallOutcome.REACHED_PROMISE,
        called_on,
        note="paiera le 10",
        promise=promise,
        config=CONFIG,
    )
    assert event.promise_id == "PR-1"
    outcome = record_promise(by_api.unit_of_work(), promise, config=CONFIG, as_of=called_on)
    assert not outcome.repeated
    assert _facts_and_events(by_call) == _facts_and_events(by_api)

    later = called_on + timedelta(days=40)
    after_call = _run(by_call, called_on, later)
    after_api = _run(by_api, called_on, later)
    assert after_call == after_api
    assert _facts_and_events(by_call) == _facts_and_events(by_api)

    # And the promise did pause it: without one, the formal notice goes out sooner.
    def formal_notice_day(sent: list[tuple[date, str, str]]) -> date:
        return next(day for day, channel, _ in sent if channel == "REGISTERED_LETTER")

    plain = _run(without, called_on, later)
    assert formal_notice_day(plain) < formal_notice_day(after_call)
    with by_call.unit_of_work(read_only=True) as uow:
        [record] = [e for e in uow.history.events_of(["A-1"])["A-1"] if e.kind == "call.reported"]
    assert '"REACHED_PROMISE"' in record.payload


def test_a_wrong_number_is_never_called_again_and_the_task_falls_back(tmp_path: Path) -> None:
    ladder = Ladder(
        name="calls",
        stages=(
            Stage(key="appel", offset=3, channels=Channel.PHONE_TASK),
            Stage(key="rappel", offset=10, channels=Channel.PHONE_TASK, template="appel"),
            Stage(
                key="relance",
                offset=15,
                channels=(Channel.PHONE_TASK, Channel.LETTER),
                template="relance_email",
            ),
        ),
        catch_up=presets.FORMAL_NOTICE_FR.catch_up,
    )
    config = CycleConfig(ladders={"calls": ladder}, default_ladder="calls")
    store = _seeded(MemoryStore())
    day = date(2026, 2, 5)
    run_cycle(store.unit_of_work, config, day)
    task, _ = _call_task(store)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.outbox.get(task).recipient == "+687271234"  # type: ignore[union-attr]
    record_call_report(store.unit_of_work(), task, "WRONG_NUMBER", day)
    with store.unit_of_work(read_only=True) as uow:
        account = uow.accounts.get("A-1")
    assert account is not None
    assert account.contacts[0].invalid_numbers == {"+687271234"}
    run_cycle(store.unit_of_work, config, date(2026, 2, 12))
    with store.unit_of_work(read_only=True) as uow:
        calls = [m for m in uow.outbox.messages_of(["A-1"])["A-1"] if m.channel == "PHONE_TASK"]
    # The second call goes to the mobile, not to the number found wrong.
    assert [m.recipient for m in calls] == ["+687271234", "+687751234"]
    record_call_report(store.unit_of_work(), calls[1].key, "WRONG_NUMBER", date(2026, 2, 12))
    with store.unit_of_work(read_only=True) as uow:
        account = uow.accounts.get("A-1")
    assert account is not None
    assert not account.contacts[0].accepts(Channel.PHONE_TASK)
    assert not account.contacts[0].accepts(Channel.SMS)
    # The next stage would call and write: with no number left, only the letter goes.
    run_cycle(store.unit_of_work, config, date(2026, 2, 17))
    with store.unit_of_work(read_only=True) as uow:
        last = [m.channel for m in uow.outbox.messages_of(["A-1"])["A-1"]][2:]
    assert last == ["LETTER"]


def test_a_dispute_by_call_opens_a_dispute_on_each_invoice_of_the_task() -> None:
    store = _seeded(MemoryStore())
    task, called_on = _until_the_call(store)
    event = record_call_report(
        store.unit_of_work(),
        task,
        CallOutcome.REACHED_DISPUTE,
        called_on,
        note="conteste la quantité livrée",
    )
    with store.unit_of_work(read_only=True) as uow:
        facts = uow.facts.load(["A-1"])["A-1"]
    assert [(d.invoice_number, d.reason) for d in facts.disputes] == [
        ("F-1", "conteste la quantité livrée")
    ]
    assert event.dispute_ids == (facts.disputes[0].id,)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_dispute_by_call_re_decides_suspension_at_once_as_record_dispute_does(
    tmp_path: Path, kind: str
) -> None:
    def store(name: str) -> MemoryStore | SqliteStore:
        return _seeded(MemoryStore() if kind == "memory" else SqliteStore(tmp_path / name))

    by_call, by_api = store("call.db"), store("api.db")
    task, _ = _until_the_call(by_call)
    assert _until_the_call(by_api)[0] == task
    # The cycle ran to 20 February: F-1 is 18 days overdue, the account suspended.
    assert _suspended(by_call) and _suspended(by_api)
    day = date(2026, 2, 20)
    event = record_call_report(
        by_call.unit_of_work(),
        task,
        CallOutcome.REACHED_DISPUTE,
        day,
        note="conteste la quantité livrée",
        config=CONFIG,
    )
    dispute = Dispute(
        id=event.dispute_ids[0],
        account_id="A-1",
        invoice_number="F-1",
        opened_on=day,
        reason="conteste la quantité livrée",
    )
    outcome = record_dispute(by_api.unit_of_work(), dispute, config=CONFIG, as_of=day)
    assert outcome.decision is not None and not outcome.decision.suspended
    # Reactivated by the report itself, not at the next cycle.
    assert not _suspended(by_call)
    assert _facts_and_events(by_call) == _facts_and_events(by_api)
    kinds = [kind for kind, _, _ in _facts_and_events(by_call)[2]]
    assert sorted(kinds[-2:]) == ["account.reactivated", "fact.recorded"]


def _suspended(store: MemoryStore | SqliteStore) -> bool:
    with store.unit_of_work(read_only=True) as uow:
        return uow.history.suspension_states(["A-1"])["A-1"].suspended


@pytest.mark.parametrize("outcome", ["NO_ANSWER", "VOICEMAIL", "REACHED_REFUSED"])
def test_other_outcomes_are_recorded_and_change_nothing_else(outcome: str) -> None:
    store = _seeded(MemoryStore())
    task, called_on = _until_the_call(store)
    record_call_report(store.unit_of_work(), task, outcome, called_on, note="rappeler")
    with store.unit_of_work(read_only=True) as uow:
        facts = uow.facts.load(["A-1"])["A-1"]
        account = uow.accounts.get("A-1")
        events = [e.kind for e in uow.history.events_of(["A-1"])["A-1"]]
    assert not facts.promises and not facts.disputes
    assert account == ACCOUNT
    assert events.count("call.reported") == 1


def test_bad_reports_are_refused_and_write_nothing() -> None:
    store = _seeded(MemoryStore())
    task, called_on = _until_the_call(store)
    promise = PromiseToPay(
        id="P", account_id="A-1", made_on=called_on, due_on=called_on, amount=Money("1", "XPF")
    )
    with pytest.raises(UnknownRecord):
        record_call_report(store.unit_of_work(), "no-such-task", "NO_ANSWER", called_on)
    with pytest.raises(InvalidField, match="outcome"):
        record_call_report(store.unit_of_work(), task, "HUNG_UP", called_on)
    with pytest.raises(InvalidField, match="promise"):
        record_call_report(store.unit_of_work(), task, "REACHED_PROMISE", called_on)
    with pytest.raises(InvalidField, match="promise"):
        record_call_report(store.unit_of_work(), task, "NO_ANSWER", called_on, promise=promise)
    with pytest.raises(InvalidField, match="note"):
        record_call_report(store.unit_of_work(), task, "REACHED_DISPUTE", called_on)
    with store.unit_of_work(read_only=True) as uow:
        events = [e.kind for e in uow.history.events_of(["A-1"])["A-1"]]
    assert "call.reported" not in events


def test_the_call_task_says_whom_to_call_and_what_to_say() -> None:
    store = _seeded(MemoryStore())
    task, _ = _until_the_call(store)
    with store.unit_of_work(read_only=True) as uow:
        message = uow.outbox.get(task)
    assert message is not None
    assert message.recipient == "+687271234"
    assert "Appeler Lê Văn Tám au +687271234" in message.body
    assert "Dire :" in message.body and "compte rendu d'appel" in message.body
    assert DayBasis.BUSINESS  # the preset counts business days
