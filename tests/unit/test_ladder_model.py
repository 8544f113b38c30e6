"""Ladder and Stage validation."""

from __future__ import annotations

import pytest

from dunning_core import Channel, Money
from dunning_core.errors import InvalidLadder
from dunning_core.policies.ladder import ActionKind, CatchUp, DayBasis, Ladder, Stage


def email(key: str, offset: int, **kwargs: object) -> Stage:
    return Stage(key=key, offset=offset, channels=Channel.EMAIL, **kwargs)  # type: ignore[arg-type]


def test_stage_defaults_template_to_key_and_basis_to_calendar() -> None:
    stage = email("first_notice", 1)
    assert stage.template == "first_notice"
    assert stage.basis is DayBasis.CALENDAR
    assert stage.action is ActionKind.REMIND
    assert stage.channels == (Channel.EMAIL,)


def test_stage_accepts_strings_for_enums_and_dedupes_channels() -> None:
    stage = Stage(key="s", offset=2, basis="BUSINESS", channels=["SMS", "SMS", "EMAIL"])
    assert stage.basis is DayBasis.BUSINESS
    assert stage.channels == (Channel.SMS, Channel.EMAIL)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "has space", "offset": 1, "channels": "EMAIL"}, "Stage.key"),
        ({"key": "a/b", "offset": 1, "channels": "EMAIL"}, "Stage.key"),
        ({"key": "k", "offset": 1.5, "channels": "EMAIL"}, "Stage.offset"),
        ({"key": "k", "offset": True, "channels": "EMAIL"}, "Stage.offset"),
        ({"key": "k", "offset": 1, "channels": "FAX"}, "Stage.channels"),
        ({"key": "k", "offset": 1, "channels": "EMAIL", "basis": "WEEKS"}, "Stage.basis"),
        ({"key": "k", "offset": 1, "channels": "EMAIL", "action": "SHOUT"}, "Stage.action"),
        ({"key": "k", "offset": 1, "channels": "EMAIL", "action": "DECLARE_CLAIM"}, "Stage.action"),
        ({"key": "k", "offset": 1}, "Stage.channels"),
        ({"key": "k", "offset": 1, "channels": "EMAIL", "template": " "}, "Stage.template"),
    ],
)
def test_bad_stage_raises_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidLadder) as raised:
        Stage(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_operation_stage_may_have_no_channel() -> None:
    stage = Stage(key="hand_over", offset=20, action=ActionKind.HAND_OVER_TO_COLLECTION)
    assert not stage.sends_notice


def test_fee_and_minimum_are_per_currency() -> None:
    stage = email(
        "s", 1, fee=[Money("15.00", "EUR"), Money("1800", "XPF")], min_overdue=Money("5", "EUR")
    )
    assert stage.fee_for("XPF") == Money("1800", "XPF")
    assert stage.fee_for("USD") is None
    assert stage.min_overdue_for("EUR") == Money("5.00", "EUR")
    assert stage.min_overdue_for("XPF") is None


@pytest.mark.parametrize(
    "fee",
    [
        [Money("1.00", "EUR"), Money("2.00", "EUR")],
        [Money("0.00", "EUR")],
        ["15.00"],
    ],
)
def test_bad_fee_is_refused(fee: object) -> None:
    with pytest.raises(InvalidLadder) as raised:
        email("s", 1, fee=fee)
    assert raised.value.field == "Stage.fee"


def test_ladder_refuses_duplicate_keys_naming_the_stage() -> None:
    with pytest.raises(InvalidLadder) as raised:
        Ladder(name="l", stages=[email("a", 1), email("a", 2)])
    assert raised.value.field == "Stage.key"
    assert raised.value.stage == "a"


@pytest.mark.parametrize("offsets", [(1, 1), (5, 2)])
def test_ladder_refuses_offsets_that_do_not_strictly_increase(offsets: tuple[int, int]) -> None:
    with pytest.raises(InvalidLadder) as raised:
        Ladder(name="l", stages=[email("a", offsets[0]), email("b", offsets[1])])
    assert raised.value.field == "Stage.offset"
    assert raised.value.stage == "b"


def test_ladder_allows_one_terminal_action_only_and_only_last() -> None:
    terminate = Stage(key="t", offset=10, action=ActionKind.TERMINATE)
    cancel = Stage(key="c", offset=20, action=ActionKind.CANCEL_ORDER)
    with pytest.raises(InvalidLadder):
        Ladder(name="l", stages=[email("a", 1), terminate, cancel])
    with pytest.raises(InvalidLadder):
        Ladder(name="l", stages=[terminate, email("a", 11)])
    ladder = Ladder(name="l", stages=[email("a", 1), terminate])
    assert ladder.terminal_stage == terminate


def test_ladder_needs_a_stage_and_a_name() -> None:
    with pytest.raises(InvalidLadder):
        Ladder(name="l", stages=[])
    with pytest.raises(InvalidLadder):
        Ladder(name=" ", stages=[email("a", 1)])


def test_ladder_rules_are_validated() -> None:
    with pytest.raises(InvalidLadder) as raised:
        Ladder(name="l", stages=[email("a", 1)], min_days_between_notices=-1)
    assert raised.value.field == "Ladder.min_days_between_notices"
    with pytest.raises(InvalidLadder):
        Ladder(name="l", stages=[email("a", 1)], catch_up="SOMETIMES")
    ladder = Ladder(name="l", stages=[email("a", 1)], catch_up="EACH_IN_TURN")
    assert ladder.catch_up is CatchUp.EACH_IN_TURN


def test_ladder_lookups() -> None:
    ladder = Ladder(name="l", stages=[email("a", -3), email("b", 0)])
    assert ladder.keys == ("a", "b")
    assert ladder.stage("b").offset == 0
    assert ladder.terminal_stage is None
    with pytest.raises(KeyError):
        ladder.stage("z")


def test_ladders_compare_by_value() -> None:
    assert Ladder(name="l", stages=[email("a", 1)]) == Ladder(name="l", stages=[email("a", 1)])
