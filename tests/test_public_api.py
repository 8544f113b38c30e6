"""The package root is where users import from: every error they may catch is there."""

from __future__ import annotations

import subprocess
import sys

import dunning_core
from dunning_core import errors


def test_every_error_is_exported_from_the_package_root() -> None:
    missing = sorted(set(errors.__all__) - set(dunning_core.__all__))
    assert missing == []


def test_each_root_name_resolves_to_the_errors_class() -> None:
    for name in errors.__all__:
        assert getattr(dunning_core, name) is getattr(errors, name), name


def test_every_root_name_resolves() -> None:
    unresolved = [name for name in dunning_core.__all__ if not hasattr(dunning_core, name)]
    assert unresolved == []


def test_errors_module_defines_every_dunning_error_it_lists() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.DunningError)
    }
    assert defined == set(errors.__all__)


def test_the_root_import_stays_cheap() -> None:
    code = (
        "import sys, dunning_core; "
        "print(sorted(m for m in ('sqlite3', 'jinja2', 'lxml', 'httpx') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
