"""The command's composition root: the store, the policies and the notifiers it runs with.

The store is named by ``--db`` (or ``DUNNING_DB``): a file path for the embedded SQLite
store, or a ``postgresql://`` connection string for the PostgreSQL store (imported only
then). The policies come from an optional TOML file (``--config`` or
``DUNNING_CONFIG``)::

    [cycle]
    default_ladder = "five-notices-then-termination"
    notify_suspension = true

    [assignments]                      # account id -> ladder, or a table of options
    "A-0001" = "reminders-collection-legal"
    "A-0002" = { ladder = "formal-notice-fr", hand_over = "AUTOMATIC" }

    [ladders.mine]                     # ladders of your own (see docs/ladders.md)
    ...

    [notifiers]                        # how ``dunning dispatch`` sends, per channel
    default = { type = "print" }
    LETTER = { type = "directory", path = "letters" }
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from dunning_core.config import ladders_from_mapping, read_toml
from dunning_core.errors import ConfigError, DunningError
from dunning_core.policies.ladder import LadderAssignment
from dunning_core.ports import UowFactory
from dunning_core.service.settings import CycleConfig, bootstrap

__all__ = ["Settings", "Store", "UsageError", "load_settings", "open_store"]


class UsageError(Exception):
    """The command was used wrongly (exit status 2); the message says how."""


class Store(Protocol):
    """What the command needs of a store adapter."""

    def unit_of_work(self) -> Any:
        """A new unit of work."""

    def close(self) -> None:
        """Release the store."""


_POSTGRES = ("postgresql://", "postgres://")


def open_store(target: str, *, create: bool = False) -> Store:
    """Open the store named by ``target``.

    Args:
        target: A SQLite file path, or a PostgreSQL connection string.
        create: Create (and migrate) a SQLite file that does not exist yet; without it
            a missing file is a usage error (a typo must not create an empty ledger).

    Raises:
        UsageError: the file does not exist, or the PostgreSQL store is not available.
        StoreError: the store refused (not a database, a newer schema, locked).
    """
    if target.startswith(_POSTGRES):
        try:
            module = importlib.import_module("dunning_core.adapters.storage.postgres")
        except ImportError as error:
            raise UsageError(
                f"cannot open {target.split('@')[-1]!r}: the PostgreSQL store is not "
                f"available ({error})"
            ) from None
        store: Store = module.PostgresStore(target)
        return store
    path = Path(target)
    if not create and not path.exists():
        raise UsageError(f"no database at {target}: run 'dunning init' first, or pass --db")
    from dunning_core.adapters.storage.sqlite import SqliteStore

    return SqliteStore(path)


@attrs.frozen(kw_only=True)
class Settings:
    """What the command runs with.

    Attributes:
        config: Ladders, assignments and policies for the services.
        notifiers: Channel (or ``default``) -> the notifier's table from the file.
        source: The configuration file, or ``None`` for the defaults.
    """

    config: CycleConfig
    notifiers: Mapping[str, Mapping[str, Any]]
    source: str | None = None


_CYCLE_KEYS = {"default_ladder", "notify_suspension", "notify_credit_alerts"}


def load_settings(path: str | None) -> Settings:
    """Read the configuration file (see the module docstring); defaults without one.

    Raises:
        ConfigError: the file holds bad values, each problem named.
        UsageError: the file does not exist.
    """
    if path is None:
        return Settings(config=bootstrap(), notifiers={"default": {"type": "print"}})
    if not os.path.exists(path):
        raise UsageError(f"no configuration file at {path}")
    data = read_toml(path)
    unknown = set(data) - {"cycle", "assignments", "ladders", "notifiers"}
    if unknown:
        raise ConfigError(
            path, [("file", name, None, "unknown section") for name in sorted(unknown)]
        )
    ladders = {}
    if "ladders" in data:
        ladders = ladders_from_mapping(data["ladders"], source=path)
    cycle = dict(data.get("cycle", {}))
    bad = set(cycle) - _CYCLE_KEYS
    if bad:
        problems = [("[cycle]", key, cycle[key], "unknown key") for key in sorted(bad)]
        raise ConfigError(path, problems)
    assignments = {}
    for account_id, spec in data.get("assignments", {}).items():
        table = {"ladder": spec} if isinstance(spec, str) else dict(spec)
        try:
            assignments[account_id] = LadderAssignment(account_id=account_id, **table)
        except (DunningError, TypeError) as error:
            raise ConfigError(
                path, [(f"[assignments] {account_id!r}", "ladder", spec, str(error))]
            ) from None
    try:
        config = bootstrap(ladders=ladders, assignments=assignments, **cycle)
    except DunningError as error:
        raise ConfigError(path, [("[cycle]", "", None, str(error))]) from None
    notifiers = dict(data.get("notifiers", {}))
    notifiers.setdefault("default", {"type": "print"})
    for channel, spec in notifiers.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise ConfigError(path, [("[notifiers]", channel, spec, "needs a table with a type")])
    return Settings(config=config, notifiers=notifiers, source=path)


#: Notifier types of ``dunning_core.adapters.notify``, imported when named.
ADAPTER_NOTIFIERS: Mapping[str, tuple[str, str]] = {
    "smtp": ("dunning_core.adapters.notify.smtp", "SmtpNotifier"),
    "sms_http": ("dunning_core.adapters.notify.sms_http", "HttpSmsNotifier"),
    "webhook": ("dunning_core.adapters.notify.webhook", "WebhookNotifier"),
    "letters": ("dunning_core.adapters.notify.letters", "LetterNotifier"),
}


def adapter_notifier(kind: str, options: Mapping[str, Any]) -> Callable[..., Any]:
    """Build a notifier of the adapters by its type name.

    Raises:
        UsageError: the type is unknown, or its adapter is not available.
    """
    if kind not in ADAPTER_NOTIFIERS:
        known = ", ".join(["print", "directory", *ADAPTER_NOTIFIERS])
        raise UsageError(f"unknown notifier type {kind!r}; known: {known}")
    module_name, class_name = ADAPTER_NOTIFIERS[kind]
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as error:
        raise UsageError(f"notifier type {kind!r} is not available ({error})") from None
    notifier: Callable[..., Any] = cls(**options)
    return notifier


def store_factory(store: Store) -> UowFactory:
    """The store's unit-of-work factory, typed as the services take it."""
    factory: UowFactory = store.unit_of_work
    return factory
