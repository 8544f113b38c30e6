"""Every name that moved in 0.2 still resolves from its old path, for one release, with
a DeprecationWarning naming the new path (CHANGELOG.md lists the same moves)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

MOVED = [
    ("dunning_core.config", "CycleConfig", "dunning_core.service.settings"),
    ("dunning_core.domain.events", "AccountFacts", "dunning_core.domain.facts"),
    ("dunning_core.domain.events", "PromiseToPay", "dunning_core.domain.facts"),
    ("dunning_core.domain.events", "Dispute", "dunning_core.domain.facts"),
    ("dunning_core.domain.events", "InsolvencyProceeding", "dunning_core.domain.facts"),
    ("dunning_core.domain.events", "Hold", "dunning_core.domain.facts"),
    ("dunning_core.domain.events", "ProceedingKind", "dunning_core.domain.facts"),
    ("dunning_core.ports", "Shard", "dunning_core.sharding"),
    ("dunning_core.ports", "shard_of", "dunning_core.sharding"),
    ("dunning_core.ports", "shard_key", "dunning_core.sharding"),
    ("dunning_core.ports", "shard_label", "dunning_core.sharding"),
    ("dunning_core.ports", "check_shard", "dunning_core.sharding"),
    ("dunning_core.adapters.links", "StaticPaymentLinks", "dunning_core.rendering.links"),
    ("dunning_core.policies.suspension", "AccountSuspended", "dunning_core.domain.events"),
    ("dunning_core.policies.suspension", "AccountReactivated", "dunning_core.domain.events"),
    ("dunning_core.policies.suspension", "FactValue", "dunning_core.domain.reasons"),
    ("dunning_core.policies.suspension_rules", "OverdueDays", "dunning_core.policies.suspension"),
    (
        "dunning_core.policies.suspension_reasons",
        "Remedy",
        "dunning_core.policies.suspension",
    ),
    (
        "dunning_core.policies.suspension_decision",
        "SuspensionDecision",
        "dunning_core.policies.suspension",
    ),
    ("dunning_core.policies.suspension_events", "transition", "dunning_core.policies.suspension"),
    (
        "dunning_core.policies.suspension_events",
        "AccountSuspended",
        "dunning_core.domain.events",
    ),
    (
        "dunning_core.policies.suspension_entity",
        "merge_statements",
        "dunning_core.policies.suspension",
    ),
    ("dunning_core.policies.ladder.model", "Ladder", "dunning_core.policies.ladder"),
    ("dunning_core.policies.ladder.calendar", "BusinessCalendar", "dunning_core.domain.calendar"),
    ("dunning_core.policies.ladder.history", "DunningHistory", "dunning_core.policies.ladder"),
    ("dunning_core.policies.ladder.actions", "DunningAction", "dunning_core.policies.ladder"),
    ("dunning_core.policies.ladder.evaluate", "evaluate_ladder", "dunning_core.policies.ladder"),
    (
        "dunning_core.policies.ladder.assignment",
        "change_ladder",
        "dunning_core.policies.ladder",
    ),
    (
        "dunning_core.policies.ladder.pauses",
        "invoice_pauses",
        "dunning_core.policies.ladder._pauses",
    ),
    (
        "dunning_core.policies.ladder.grouping",
        "build_actions",
        "dunning_core.policies.ladder._grouping",
    ),
    ("dunning_core.policies.sms.__main__", "main", "dunning_core.cli.sms"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=lambda v: str(v))
def test_a_moved_name_resolves_with_a_warning_naming_its_new_path(
    old: str, name: str, new: str
) -> None:
    module = importlib.import_module(old)
    with pytest.deprecated_call(match=rf"use {new.replace('.', '[.]')}[.]{name}\b"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_suspension_reason_is_the_renamed_reason() -> None:
    from dunning_core.policies import suspension

    with pytest.deprecated_call(match="SuspensionReason"):
        old = suspension.Reason  # type: ignore[attr-defined]
    assert old is suspension.SuspensionReason


def test_new_paths_import_without_any_warning() -> None:
    code = (
        "import warnings; warnings.simplefilter('error');"
        "import dunning_core, dunning_core.service.settings, dunning_core.service.cycle,"
        " dunning_core.service.payments, dunning_core.service.records,"
        " dunning_core.service.notices, dunning_core.domain.events, dunning_core.sharding,"
        " dunning_core.policies.suspension, dunning_core.policies.ladder,"
        " dunning_core.adapters.storage.sqlite, dunning_core.adapters.storage.memory,"
        " dunning_core.cli.sms, dunning_core.config"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_name_of_a_shim_is_still_an_attribute_error() -> None:
    module = importlib.import_module("dunning_core.policies.suspension_rules")
    with warnings.catch_warnings(), pytest.raises(AttributeError):
        module.Nothing  # noqa: B018


def test_the_old_decide_suspension_argument_order_still_works() -> None:
    from datetime import date

    from dunning_core import Account, AccountFacts, build_statement
    from dunning_core.policies.suspension import SuspensionPolicy, decide_suspension

    account = Account(id="A-1", name="ACME", currency="EUR")
    day = date(2026, 3, 1)
    statement = build_statement(account, day, invoices=[])
    with pytest.deprecated_call(match="facts=facts"):
        old = decide_suspension(
            SuspensionPolicy(),
            statement,
            AccountFacts(account_id="A-1"),  # type: ignore[arg-type]
            day,
        )
    assert old == decide_suspension(SuspensionPolicy(), statement, day)


def test_public_classes_report_the_module_users_import_them_from() -> None:
    from dunning_core.policies import allocation, ladder, sms, suspension
    from dunning_core.testing import strategies

    for package in (allocation, ladder, sms, suspension, strategies):
        for name in package.__all__:
            value = getattr(package, name)
            if isinstance(value, type) or (callable(value) and hasattr(value, "__code__")):
                assert not value.__module__.startswith(package.__name__ + "._"), name
