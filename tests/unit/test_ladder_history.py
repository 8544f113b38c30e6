"""StageRecord and DunningHistory: what stores keep between runs."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest

from dunning_core.errors import AccountMismatch, InvalidField
from dunning_core.policies.ladder import DunningHistory, StageRecord


def record(**kwargs: object) -> StageRecord:
    values: dict[str, object] = {
        "account_id": "A-1",
        "ladder": "standard",
        "stage": "first_notice",
        "invoice_numbers": ("F-2", "F-1"),
        "fired_on": date(2026, 3, 2),
        "skipped": False,
        "action_key": "k1",
    }
    values.update(kwargs)
    return StageRecord(**values)  # type: ignore[arg-type]


def test_record_is_flat_and_sorts_its_invoice_numbers() -> None:
    rec = record()
    assert rec.invoice_numbers == ("F-1", "F-2")
    kinds = {field.name: type(getattr(rec, field.name)) for field in attrs.fields(StageRecord)}
    assert kinds == {
        "account_id": str,
        "ladder": str,
        "stage": str,
        "invoice_numbers": tuple,
        "fired_on": date,
        "skipped": bool,
        "action_key": str,
    }
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rec.stage = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        {"account_id": ""},
        {"invoice_numbers": ()},
        {"invoice_numbers": ("F-1", "")},
        {"fired_on": datetime(2026, 3, 2, 10, 0)},
        {"skipped": "no"},
        {"action_key": " "},
    ],
)
def test_bad_record_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidField):
        record(**bad)


def test_history_indexes_by_invoice_and_counts_duplicates_once() -> None:
    history = DunningHistory.from_records(
        [record(), record(), record(stage="second", invoice_numbers=["F-1"])]
    )
    assert len(history) == 2
    assert history.account_id == "A-1"
    assert [r.stage for r in history.for_invoice("F-1")] == ["first_notice", "second"]
    assert [r.stage for r in history.for_invoice("F-2")] == ["first_notice"]
    assert history.for_invoice("F-9") == ()
    assert history.fired("F-1", "standard") == ("first_notice", "second")
    assert history.fired("F-1", "other") == ()


def test_history_is_per_account() -> None:
    with pytest.raises(AccountMismatch):
        DunningHistory.from_records([record(), record(account_id="A-2")])
    with pytest.raises(AccountMismatch):
        DunningHistory.empty("A-1").with_records([record(account_id="A-2")])
    split = DunningHistory.by_account([record(), record(account_id="A-2"), record(stage="x")])
    assert {k: len(v) for k, v in split.items()} == {"A-1": 2, "A-2": 1}


def test_with_records_adds_without_changing_the_original() -> None:
    empty = DunningHistory.empty("A-1")
    grown = empty.with_records([record()])
    assert len(empty) == 0
    assert list(grown) == [record()]
    with pytest.raises(InvalidField):
        DunningHistory.from_records(["not a record"])  # type: ignore[list-item]
