"""CycleConfig: defaults, validation, and pickling for worker processes."""

from __future__ import annotations

import pickle

import pytest

from dunning_core.config import CycleConfig
from dunning_core.errors import InvalidField
from dunning_core.policies.ladder import LadderAssignment, presets


def test_defaults_follow_the_seeds() -> None:
    config = CycleConfig()
    assert set(config.ladders) == {ladder.name for ladder in presets.ALL}
    assert config.credit_thresholds == (70, 85, 100)
    ladder, assignment = config.ladder_of("anyone")
    assert ladder is presets.DUE_DATE_REMINDERS
    assert assignment is None


def test_an_assignment_picks_the_accounts_ladder() -> None:
    assignment = LadderAssignment(account_id="A-1", ladder=presets.FORMAL_NOTICE_FR.name)
    config = CycleConfig(assignments={"A-1": assignment})
    assert config.ladder_of("A-1") == (presets.FORMAL_NOTICE_FR, assignment)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"default_ladder": "nope"}, "CycleConfig.default_ladder"),
        (
            {"assignments": {"A-1": LadderAssignment(account_id="A-1", ladder="nope")}},
            "CycleConfig.assignments",
        ),
        (
            {"assignments": {"A-2": LadderAssignment(account_id="A-1", ladder="formal-notice-fr")}},
            "CycleConfig.assignments",
        ),
        ({"credit_thresholds": (70, 0)}, "CycleConfig.credit_thresholds"),
        ({"ladders": {"x": presets.DUE_DATE_REMINDERS}}, "CycleConfig.ladders"),
    ],
)
def test_inconsistent_configuration_is_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        CycleConfig(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_a_config_pickles_for_worker_processes() -> None:
    config = CycleConfig()
    copy = pickle.loads(pickle.dumps(config))
    assert copy.suspension == config.suspension
    assert copy.ladders == config.ladders
    assert copy.credit_thresholds == config.credit_thresholds
