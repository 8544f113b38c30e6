"""The examples in the docstrings of the storage, dispatch and rendering modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "dunning_core.sharding",
    "dunning_core.adapters.storage.memory",
    "dunning_core.adapters.storage.sqlite",
    "dunning_core.rendering.links",
    "dunning_core.rendering.plain",
    "dunning_core.testing.fakes",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
