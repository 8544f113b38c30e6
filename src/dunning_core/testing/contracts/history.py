"""Contracts of :class:`~dunning_core.ports.FactsStore`,
:class:`~dunning_core.ports.HistoryStore` and :class:`~dunning_core.ports.CheckpointStore`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given

from dunning_core.domain.facts import (
    AccountFacts,
    Dispute,
    Hold,
    InsolvencyProceeding,
    PromiseToPay,
)
from dunning_core.domain.history import ActionRecord, CycleCheckpoint, EventRecord
from dunning_core.domain.state import CreditAlertState, SuspensionState
from dunning_core.money import Money
from dunning_core.ports import UowFactory
from dunning_core.testing.contracts._base import (
    AWKWARD_IDENTIFIER,
    AWKWARD_TEXT,
    D0,
    T0,
    StoreContractBase,
    fixture_ok,
    make_account,
    seed_accounts,
    text,
)


def _action(key: str, account_id: str, fired_on: date = D0, **changes: Any) -> ActionRecord:
    record = ActionRecord(
        key=key,
        account_id=account_id,
        ladder="telecom",
        stage="notice.first",
        action="EMAIL",
        channel="EMAIL",
        invoice_numbers=("I-2", "I-1"),
        fired_on=fired_on,
        payload='{"note": "x"}',
    )
    return attrs.evolve(record, **changes) if changes else record


class FactsStoreContract(StoreContractBase):
    """Facts round-trip, are replaced by id, and load per account sorted by id."""

    def test_facts_round_trip(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1", "BHD"), make_account("A-2"))
        promise = PromiseToPay(
            id="PR-1",
            account_id="A-1",
            made_on=D0,
            due_on=D0 + timedelta(days=7),
            amount=Money("100.125", "BHD"),
            invoice_numbers=("I-1", "I-2"),
        )
        disputes = [
            Dispute(
                id=f"D-{k}",
                account_id="A-1",
                invoice_number="I-1",
                opened_on=D0,
                reason=AWKWARD_TEXT,
            )
            for k in (2, 1)
        ]
        proceeding = InsolvencyProceeding(
            id="RJ-1",
            account_id="A-1",
            kind="RECEIVERSHIP",
            opened_on=D0,
            reference="RG 26/00042",
            court="Tribunal mixte de commerce de Nouméa",
        )
        hold = Hold(
            id="H-1",
            account_id="A-1",
            reason=AWKWARD_TEXT,
            starts_on=D0,
            ends_on=D0 + timedelta(days=3),
            invoice_number="I-1",
            suspends=True,
        )
        with uow_factory() as uow:
            uow.facts.add_promise(promise)
            for dispute in disputes:
                uow.facts.add_dispute(dispute)
            uow.facts.add_proceeding(proceeding)
            uow.facts.add_hold(hold)
            uow.commit()
        with uow_factory() as uow:
            facts = uow.facts.load(["A-1", "A-2"])
        assert facts["A-1"] == AccountFacts(
            account_id="A-1",
            promises=(promise,),
            disputes=(disputes[1], disputes[0]),
            proceedings=(proceeding,),
            holds=(hold,),
        )
        assert facts["A-2"] == AccountFacts(account_id="A-2")

    def test_a_fact_is_replaced_by_its_id(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        dispute = Dispute(id="D-1", account_id="A-1", invoice_number="I-1", opened_on=D0)
        resolved = attrs.evolve(dispute, resolved_on=D0 + timedelta(days=2))
        for version in (dispute, resolved):
            with uow_factory() as uow:
                uow.facts.add_dispute(version)
                uow.commit()
        with uow_factory() as uow:
            assert uow.facts.load(["A-1"])["A-1"].disputes == (resolved,)


class HistoryStoreContract(StoreContractBase):
    """Actions and events are inserted once per key; states are replaced per account."""

    def test_actions_round_trip_in_day_then_key_order(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"), make_account("A-2"))
        late = _action("k-a", "A-1", D0 + timedelta(days=1), skipped=True, payload=AWKWARD_TEXT)
        early_b = _action("k-b", "A-1", D0, channel="")
        early_a = _action("k-0", "A-1", D0, invoice_numbers=())
        with uow_factory() as uow:
            assert uow.history.add_actions([late, early_b, early_a]) == 3
            uow.commit()
        with uow_factory() as uow:
            actions = uow.history.actions_of(["A-1", "A-2"])
            assert actions == {"A-1": (early_a, early_b, late), "A-2": ()}
            assert uow.history.get_action("k-a") == late
            assert uow.history.get_action("k-404") is None

    def test_actions_insert_ignores_a_known_key(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        first = _action("k-1", "A-1")
        with uow_factory() as uow:
            assert uow.history.add_actions([first]) == 1
            uow.commit()
        with uow_factory() as uow:
            changed = attrs.evolve(first, stage="notice.second")
            assert uow.history.add_actions([changed, _action("k-2", "A-1")]) == 1
            assert uow.history.add_actions([_action("k-2", "A-1")]) == 0
            uow.commit()
        with uow_factory() as uow:
            assert uow.history.get_action("k-1") == first  # the first one wins

    @fixture_ok
    @given(payload=text, stage=text)
    def test_text_round_trips_unchanged(
        self, uow_factory: UowFactory, payload: str, stage: str
    ) -> None:
        account_id = self.unique("A")
        record = _action(self.unique("k"), account_id, payload=payload, stage=stage)
        event = EventRecord(
            key=self.unique("e"), account_id=account_id, kind="x", occurred_at=T0, payload=payload
        )
        with uow_factory() as uow:
            uow.accounts.add(make_account(account_id))
            uow.history.add_actions([record])
            uow.history.add_events([event])
            uow.commit()
        with uow_factory() as uow:
            assert uow.history.get_action(record.key) == record
            assert uow.history.events_of([account_id])[account_id] == (event,)

    def test_states_round_trip_and_are_replaced(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"), make_account("A-2"))
        suspended = SuspensionState(
            account_id="A-1",
            suspended=True,
            reason_codes=("overdue", "broken_promise"),
            since=D0,
            requires_prepayment=True,
        )
        alerts = CreditAlertState(account_id="A-1", fired=(70, 85))
        with uow_factory() as uow:
            uow.history.put_suspension_states([suspended])
            uow.history.put_credit_alert_states([alerts])
            uow.commit()
        with uow_factory() as uow:
            assert uow.history.suspension_states(["A-1", "A-2"]) == {"A-1": suspended}
            assert uow.history.credit_alert_states(["A-1", "A-2"]) == {"A-1": alerts}
            active = SuspensionState(account_id="A-1")
            uow.history.put_suspension_states([active])
            uow.history.put_credit_alert_states([CreditAlertState(account_id="A-1")])
            uow.commit()
        with uow_factory() as uow:
            assert uow.history.suspension_states(["A-1"]) == {"A-1": active}
            assert uow.history.credit_alert_states(["A-1"])["A-1"].fired == frozenset()

    def test_events_are_inserted_once_and_ordered_by_time(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        # 10:00 in Paris is 09:00 UTC: earlier than T0 (09:30 UTC) though its local
        # wall time reads later. Order must follow the instant.
        paris = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
        later = EventRecord(key="e-1", account_id="A-1", kind="account.reactivated", occurred_at=T0)
        earlier = EventRecord(
            key="e-2",
            account_id="A-1",
            kind="account.suspended",
            occurred_at=paris,
            payload=AWKWARD_TEXT,
        )
        with uow_factory() as uow:
            assert uow.history.add_events([later, earlier, later]) == 2
            uow.commit()
        with uow_factory() as uow:
            assert uow.history.events_of(["A-1"]) == {"A-1": (earlier, later)}
            assert uow.history.add_events([earlier]) == 0


class CheckpointStoreContract(StoreContractBase):
    """Checkpoints are replaced per (run date, shard) and roll back with their batch."""

    def test_checkpoint_round_trip_and_replace(self, uow_factory: UowFactory) -> None:
        started = CycleCheckpoint(run_date=D0, shard="3/16", last_account_id=AWKWARD_IDENTIFIER)
        finished = attrs.evolve(started, last_account_id="A-9", done=True)
        with uow_factory() as uow:
            assert uow.checkpoints.get(D0, "3/16") is None
            uow.checkpoints.put(started)
            uow.checkpoints.put(CycleCheckpoint(run_date=D0, shard="all"))
            uow.commit()
        with uow_factory() as uow:
            assert uow.checkpoints.get(D0, "3/16") == started
            uow.checkpoints.put(finished)
            uow.commit()
        with uow_factory() as uow:
            assert uow.checkpoints.get(D0, "3/16") == finished
            assert uow.checkpoints.get(D0, "all") == CycleCheckpoint(run_date=D0, shard="all")
            assert uow.checkpoints.get(D0 + timedelta(days=1), "3/16") is None

    def test_checkpoint_rolls_back_with_its_batch(self, uow_factory: UowFactory) -> None:
        seed_accounts(uow_factory, make_account("A-1"))
        with uow_factory() as uow:
            uow.history.add_actions([_action("k-1", "A-1")])
            uow.checkpoints.put(CycleCheckpoint(run_date=D0, shard="all", last_account_id="A-1"))
        with uow_factory() as uow:
            assert uow.checkpoints.get(D0, "all") is None
            assert uow.history.get_action("k-1") is None
