"""The composition root: CycleConfig's defaults and validation, bootstrap, pickling."""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys
from datetime import date

import attrs
import pytest

from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.errors import InvalidField, InvalidPolicy
from dunning_core.policies.credit import CreditAlertPolicy
from dunning_core.policies.ladder import LadderAssignment, presets
from dunning_core.policies.suspension import OverdueDays, SuspensionPolicy
from dunning_core.rendering.links import StaticPaymentLinks
from dunning_core.rendering.plain import PlainRenderer
from dunning_core.service.settings import CycleConfig, bootstrap


def test_defaults_follow_the_seeds() -> None:
    config = CycleConfig()
    assert set(config.ladders) == {ladder.name for ladder in presets.ALL}
    assert config.credit == CreditAlertPolicy(thresholds=(70, 85, 100), hysteresis=5)
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
    assert copy.credit == config.credit


def test_credit_thresholds_are_a_policy_object_and_the_old_keywords_still_work() -> None:
    with pytest.raises(InvalidPolicy) as raised:
        CycleConfig(credit=CreditAlertPolicy(thresholds=(70, 0)))
    assert raised.value.field == "CreditAlertPolicy.thresholds"
    with pytest.deprecated_call(match="CreditAlertPolicy"):
        old = CycleConfig(credit_thresholds=(50, 90), credit_hysteresis=2)
    assert old.credit == CreditAlertPolicy(thresholds=(50, 90), hysteresis=2)
    with pytest.deprecated_call(match="credit.thresholds"):
        assert old.credit_thresholds == (50, 90)


def test_cycle_config_from_dunning_core_config_is_a_deprecated_alias() -> None:
    with pytest.deprecated_call(match="dunning_core.service.settings.CycleConfig"):
        from dunning_core.config import CycleConfig as Old
    assert Old is CycleConfig


def test_bootstrap_fills_in_the_defaults_and_keeps_what_it_is_given() -> None:
    renderer = PlainRenderer()
    config = bootstrap(renderer=renderer, default_ladder="formal-notice-fr")
    assert config.renderer is renderer
    assert config.ladder_of("A-1")[0] is presets.FORMAL_NOTICE_FR
    assert set(config.ladders) == {ladder.name for ladder in presets.ALL}


def test_bootstrap_adds_the_ladders_of_a_toml_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "dunning.toml"
    path.write_text(
        '[ladders.mine]\n[[ladders.mine.stages]]\nkey = "first"\noffset = 3\n'
        'channels = ["EMAIL"]\ntemplate = "reminder.overdue"\n',
        encoding="utf-8",
    )
    config = bootstrap(ladders_file=path, default_ladder="mine")
    assert config.ladder_of("A-1")[0].keys == ("first",)
    assert presets.DUE_DATE_REMINDERS.name in config.ladders


# -- the fingerprint of what decides (issue 13) --------------------------------------------

_TOML = (
    "[ladders.mine]\nmin_days_between_notices = 2\nholidays = [2026-05-01, 2026-12-25]\n"
    '[[ladders.mine.stages]]\nkey = "first"\ntemplate = "first_notice"\noffset = 3\n'
    'channels = ["EMAIL"]\n'
    'fee = { EUR = "5.00" }\n'
)


def _from_file(path: pathlib.Path) -> CycleConfig:
    return bootstrap(
        ladders_file=path,
        default_ladder="mine",
        assignments={"A-1": LadderAssignment(account_id="A-1", ladder="formal-notice-fr")},
    )


def test_an_equal_configuration_built_afresh_has_the_same_fingerprint(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "dunning.toml"
    path.write_text(_TOML, encoding="utf-8")
    here = _from_file(path).fingerprint()
    assert _from_file(path).fingerprint() == here
    assert pickle.loads(pickle.dumps(_from_file(path))).fingerprint() == here
    # ... and in a new process (another hash seed, other object addresses)
    script = (
        "import pathlib, sys; sys.path.insert(0, sys.argv[2]);"
        "from test_settings import _from_file;"
        "print(_from_file(pathlib.Path(sys.argv[1])).fingerprint())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(pathlib.Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert done.stdout.strip() == here


@pytest.mark.parametrize(
    "change",
    [
        {"default_ladder": "five-notices-then-termination"},
        {"credit": CreditAlertPolicy(thresholds=(70, 85, 100), hysteresis=6)},
        {"suspension": SuspensionPolicy(overdue_days=OverdueDays(after_days={"SMALL": 16}))},
        {"assignments": {"A-1": LadderAssignment(account_id="A-1", ladder="formal-notice-fr")}},
        {"notify_suspension": False},
        {
            "ladders": {
                **{ladder.name: ladder for ladder in presets.ALL},
                "due-date-reminders": attrs.evolve(
                    presets.DUE_DATE_REMINDERS,
                    calendar=BusinessCalendar(holidays={date(2026, 5, 1)}),
                ),
            }
        },
    ],
    ids=["ladder", "credit", "suspension", "assignment", "notices", "calendar"],
)
def test_a_deciding_change_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert CycleConfig(**change).fingerprint() != CycleConfig().fingerprint()  # type: ignore[arg-type]


def test_the_renderer_and_the_links_are_not_part_of_the_fingerprint() -> None:
    changed = CycleConfig(renderer=PlainRenderer(), links=StaticPaymentLinks("https://pay.example"))
    assert changed.fingerprint() == CycleConfig().fingerprint()
