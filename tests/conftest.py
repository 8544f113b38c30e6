"""Shared test set-up: hypothesis profiles, and the throwaway PostgreSQL server.

``ci`` (used by ``make test``) is derandomized so CI is reproducible; ``dev`` is the
default for local runs; ``soak`` (``make soak``) runs many more examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from dunning_core.testing.postgres import PostgresBinariesMissing, TemporaryPostgres

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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """A throwaway PostgreSQL server for the session (initdb + pg_ctl on a temporary
    directory and a free port of 127.0.0.1), stopped and removed at the end.

    Missing binaries fail the tests that need the server, with how to install them:
    PostgreSQL tests are never skipped silently.
    """
    try:
        server = TemporaryPostgres()
    except PostgresBinariesMissing as error:
        pytest.fail(f"PostgreSQL tests cannot run: {error}", pytrace=False)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


def pytest_configure(config: pytest.Config) -> None:
    # The library's own code, tests and documentation examples use the current names: a
    # DeprecationWarning raised from them is an error (tests/test_deprecations.py checks
    # the old paths on purpose, under pytest.deprecated_call).
    config.addinivalue_line(
        "filterwarnings", r"error::DeprecationWarning:(dunning_core|tests?[._]|docs_)"
    )
