"""Shared test set-up: hypothesis profiles.

``ci`` (used by ``make test``) is derandomized so CI is reproducible; ``dev`` is the
default for local runs; ``soak`` (``make soak``) runs many more examples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "soak", max_examples=5_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    # The library's own code, tests and documentation examples use the current names: a
    # DeprecationWarning raised from them is an error (tests/test_deprecations.py checks
    # the old paths on purpose, under pytest.deprecated_call).
    config.addinivalue_line(
        "filterwarnings", r"error::DeprecationWarning:(dunning_core|tests?[._]|docs_)"
    )
