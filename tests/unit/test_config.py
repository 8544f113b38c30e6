"""load_ladders: ladders from TOML, with errors naming the file, stage key and field."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest

from dunning_core import Channel, Money
from dunning_core.config import ladders_from_mapping, load_ladders
from dunning_core.errors import ConfigError
from dunning_core.policies.ladder import ActionKind, CatchUp, DayBasis

GOOD = """
[ladders.standard]
description = "Our usual ladder"
catch_up = "EACH_IN_TURN"
min_days_between_notices = 3
restart_on_partial_payment = true
promise_grace_days = 5
clearing_window_days = 8
holidays = [2026-05-01, "2026-07-14"]

[ladders.standard.business_hours]
start = "08:30"
end = 18:00:00
weekdays = ["MON", "TUE", "WED", "THU", "FRI", "SAT"]

[[ladders.standard.stages]]
key = "first_notice"
offset = 1
channels = ["EMAIL", "SMS"]

[[ladders.standard.stages]]
key = "formal"
offset = 10
basis = "BUSINESS"
channels = ["REGISTERED_LETTER"]
action = "FORMAL_NOTICE"
template = "mise_en_demeure"
fee = { EUR = "15.00", XPF = "1800" }
min_overdue = { EUR = "50" }

[ladders.short]
[[ladders.short.stages]]
key = "only"
offset = 0
channels = "EMAIL"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ladders.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_ladders_builds_every_ladder_in_file_order(tmp_path: Path) -> None:
    ladders = load_ladders(write(tmp_path, GOOD))
    assert list(ladders) == ["standard", "short"]
    standard = ladders["standard"]
    assert standard.catch_up is CatchUp.EACH_IN_TURN
    assert standard.min_days_between_notices == 3
    assert standard.restart_on_partial_payment
    assert (standard.promise_grace_days, standard.clearing_window_days) == (5, 8)
    assert standard.calendar.is_holiday(date(2026, 7, 14))
    assert standard.business_hours.start == time(8, 30)
    assert standard.business_hours.end == time(18, 0)
    assert 5 in standard.business_hours.weekdays
    first, formal = standard.stages
    assert first.channels == (Channel.EMAIL, Channel.SMS)
    assert formal.basis is DayBasis.BUSINESS
    assert formal.action is ActionKind.FORMAL_NOTICE
    assert formal.template == "mise_en_demeure"
    assert formal.fee_for("XPF") == Money("1800", "XPF")
    assert formal.min_overdue_for("EUR") == Money("50.00", "EUR")
    assert ladders["short"].stages[0].channels == (Channel.EMAIL,)


BAD = """
[ladders.standard]
catch_up = "SOMETIMES"
colour = "blue"

[[ladders.standard.stages]]
key = "first_notice"
offset = "one"
channels = ["EMAIL", "FAX"]

[[ladders.standard.stages]]
key = "second_notice"
offset = 8
channels = ["EMAIL"]
fee = { EUR = 15.0 }

[[ladders.standard.stages]]
offset = 9
channels = ["EMAIL"]

[ladders.ordered]
[[ladders.ordered.stages]]
key = "a"
offset = 5
channels = ["EMAIL"]
[[ladders.ordered.stages]]
key = "b"
offset = 5
channels = ["EMAIL"]
"""


def test_every_problem_names_the_file_the_stage_key_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    with pytest.raises(ConfigError) as raised:
        load_ladders(path)
    error = raised.value
    found = [(where, field) for where, field, _, _ in error.problems]
    assert found == [
        ("ladder 'standard'", "colour"),
        ("ladder 'standard'", "catch_up"),
        ("ladder 'standard', stage 'first_notice'", "offset"),
        ("ladder 'standard', stage 'first_notice'", "channels"),
        ("ladder 'standard', stage 'second_notice'", "fee"),
        ("ladder 'standard', stage #3", "key"),
        ("ladder 'ordered', stage 'b'", "offset"),
    ]
    text = str(error)
    assert text.startswith(f"{path}: ladder 'standard': colour='blue': unknown setting")
    assert f"{path}: ladder 'standard', stage 'first_notice': channels='FAX'" in text
    assert 'write the amount as a string ("15.00"), not a float' in text
    assert "offsets must strictly increase" in text
    assert (error.field, error.where) == ("colour", "ladder 'standard'")


def test_stage_level_rules_are_reported_with_the_stage(tmp_path: Path) -> None:
    text = """
[ladders.x]
[[ladders.x.stages]]
key = "notice"
offset = 1
[[ladders.x.stages]]
key = "end"
offset = 9
action = "TERMINATE"
[[ladders.x.stages]]
key = "after"
offset = 10
action = "SUSPEND"
"""
    with pytest.raises(ConfigError) as raised:
        load_ladders(write(tmp_path, text))
    assert [(w, f) for w, f, _, _ in raised.value.problems] == [
        ("ladder 'x', stage 'notice'", "channels")
    ]


def test_syntax_errors_and_missing_sections(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_ladders(write(tmp_path, "[ladders.x\n"))
    assert raised.value.field == "(syntax)"
    assert str(write(tmp_path, "")) in str(raised.value)
    with pytest.raises(ConfigError, match=re.escape("no [ladders.<name>] table")):
        load_ladders(write(tmp_path, "[cycle]\nbatch_size = 10\n"))
    with pytest.raises(ConfigError, match=re.escape("no [[ladders.<name>.stages]] table")):
        load_ladders(write(tmp_path, "[ladders.x]\ncatch_up = 'LATEST_ONLY'\n"))
    with pytest.raises(ConfigError):
        ladders_from_mapping(
            {
                "x": {
                    "stages": [{"key": "a", "offset": 1, "channels": ["EMAIL"]}],
                    "business_hours": {"start": "19:00", "end": "09:00"},
                }
            }
        )
    with pytest.raises(ConfigError, match="weekdays"):
        ladders_from_mapping({"x": {"stages": [], "business_hours": {"weekdays": ["MONDAY"]}}})
