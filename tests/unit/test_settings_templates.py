"""Issue 15, case 6: a stage key with no template is refused at load.

On main such a ladder was accepted, and every account that reached the stage was then
skipped at run time (``RenderError`` in ``CycleReport.errors``), day after day. Now the
configuration is refused when it is built, naming the ladder, the stage and the
template, whenever the renderer can list its templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from dunning_core.errors import ConfigError, InvalidLadder
from dunning_core.policies.ladder import ActionKind, Ladder, Stage
from dunning_core.ports import RenderedMessage
from dunning_core.rendering.plain import PlainRenderer
from dunning_core.service.settings import CycleConfig, bootstrap


def _ladder(*stages: Stage) -> Ladder:
    return Ladder(name="house", stages=stages)


def test_a_notice_stage_without_a_template_is_refused() -> None:
    ladder = _ladder(
        Stage(key="reminder.overdue", offset=1, channels="EMAIL"),
        Stage(key="typo_notice", offset=10, channels="EMAIL"),
    )
    with pytest.raises(InvalidLadder) as raised:
        CycleConfig(ladders={"house": ladder}, default_ladder="house")
    assert raised.value.stage == "typo_notice"
    assert raised.value.field == "Stage.template"
    assert raised.value.value == "typo_notice"
    assert "house" in str(raised.value)


def test_an_operation_without_channels_needs_no_template() -> None:
    ladder = _ladder(
        Stage(key="reminder.overdue", offset=1, channels="EMAIL"),
        Stage(key="cut_off", offset=30, action=ActionKind.SUSPEND),
    )
    CycleConfig(ladders={"house": ladder}, default_ladder="house")


def test_a_template_the_renderer_adds_is_accepted() -> None:
    renderer = PlainRenderer({("typo_notice", "en"): ("Subject", "Body")})
    ladder = _ladder(Stage(key="typo_notice", offset=10, channels="EMAIL"))
    CycleConfig(ladders={"house": ladder}, default_ladder="house", renderer=renderer)


def test_bootstrap_reports_every_stage_of_the_file_without_a_template(tmp_path: Path) -> None:
    path = tmp_path / "dunning.toml"
    path.write_text(
        "[ladders.house]\n"
        '[[ladders.house.stages]]\nkey = "first"\noffset = 1\nchannels = ["EMAIL"]\n'
        '[[ladders.house.stages]]\nkey = "second"\noffset = 5\nchannels = ["EMAIL"]\n'
        'template = "reminder.overdue"\n'
        '[[ladders.house.stages]]\nkey = "third"\noffset = 9\nchannels = ["SMS"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        bootstrap(ladders_file=path)
    assert raised.value.path == str(path)
    assert [(where, field, value) for where, field, value, _ in raised.value.problems] == [
        ("ladder 'house', stage 'first'", "template", "first"),
        ("ladder 'house', stage 'third'", "template", "third"),
    ]


class _OpaqueRenderer:
    """A renderer that cannot list its templates (a remote template service)."""

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        return RenderedMessage(subject=template_key, body="")


def test_a_renderer_that_cannot_list_its_templates_is_trusted() -> None:
    ladder = _ladder(Stage(key="anything", offset=1, channels="EMAIL"))
    CycleConfig(ladders={"house": ladder}, default_ladder="house", renderer=_OpaqueRenderer())


def test_every_preset_ladder_has_its_templates() -> None:
    CycleConfig()  # would raise for a preset stage without a template
