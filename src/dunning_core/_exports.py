"""How public names are published and how moved names keep working (private).

:func:`publish` makes the classes and functions a package re-exports from its private
modules report the package as their ``__module__`` (as svcs does), so reprs, pickles,
tracebacks and the API reference name the path a user imports them from.

:func:`moved` builds the module-level ``__getattr__`` of an old import path: each name
still resolves, from its new home, with a :class:`DeprecationWarning` naming that home.
The new module is imported by name when the old name is first used, so an old path in a
lower layer (``dunning_core.config.CycleConfig``) holds only a string pointing upwards,
never an import.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["moved", "publish", "renamed_keywords"]

F = TypeVar("F", bound=Callable[..., Any])


def publish(module_name: str, namespace: Mapping[str, Any], names: Iterable[str]) -> None:
    """Set ``__module__`` to ``module_name`` on the classes and functions in ``names``
    that are defined in one of its private modules (``module_name._something``); names
    re-exported from elsewhere keep their own module.

    Args:
        module_name: The public module (``"dunning_core.policies.suspension"``).
        namespace: Where the names live (the package's ``globals()``).
        names: The names to publish (the package's ``__all__``).
    """
    for name in names:
        value = namespace.get(name)
        if not (isinstance(value, type) or (callable(value) and hasattr(value, "__code__"))):
            continue
        if getattr(value, "__module__", "").startswith(module_name + "._"):
            with contextlib.suppress(AttributeError, TypeError):
                value.__module__ = module_name


def moved(
    old_module: str, targets: Mapping[str, str], *, keep: Mapping[str, Any] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module whose names moved.

    Args:
        old_module: The old module's name, for the message.
        targets: Old name -> new location, ``"package.module"`` (same name) or
            ``"package.module:new_name"`` (renamed).
        keep: Names the old module still defines itself (listed by ``__dir__``).

    Returns:
        ``(__getattr__, __dir__)`` to assign in the old module.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (a module's __getattr__)
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module_name, _, new_name = target.partition(":")
        new_name = new_name or name
        warnings.warn(
            f"{old_module}.{name} is deprecated and will be removed in the next minor "
            f"release; use {module_name}.{new_name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module_name), new_name)

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*targets, *(keep or {})})

    return __getattr__, __dir__


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Accept a keyword argument's old name for one release, with a warning.

    ``@renamed_keywords(at="as_of")`` lets ``f(..., at=x)`` call ``f(..., as_of=x)``
    and warns that ``at`` is deprecated.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{function.__name__}() got both {old!r} and {new!r}")
                    warnings.warn(
                        f"{function.__name__}({old}=...) is deprecated; use {new}=...",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
