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

    [allocation]                       # how payments are applied (AllocationPolicy)
    order = "OLDEST_FIRST"             # or UNAPPLIED, STATUTORY
    discount_tolerance = { percent = "2", max_amount = "15.00 EUR" }
    write_off_tolerance = { max_amount = "5.00 EUR" }
    withholding_needs_certificate = false

    [notifiers]                        # how ``dunning dispatch`` sends, per channel
    default = { type = "print" }
    LETTER = { type = "directory", path = "letters" }

    [notifiers.EMAIL]                  # an adapter: its own arguments (see _notify)
    type = "smtp"
    host = "smtp.example.com"
    sender = "ACME Billing <billing@acme.example>"
    username = "billing"
    password_env = "DUNNING_SMTP_PASSWORD"

    [routing]                          # the RoutingNotifier every message goes through
    fallbacks = { SMS = ["EMAIL"] }
    quiet_hours = true
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import attrs

from dunning_core.config import ladders_from_mapping, read_toml
from dunning_core.errors import (
    ConfigError,
    DunningError,
    ForeignDatabase,
    InvalidField,
    SchemaVersionError,
    StoreBusy,
    StoreError,
    StoreUnavailable,
)
from dunning_core.money import Money
from dunning_core.policies.allocation import AllocationPolicy, Tolerance
from dunning_core.policies.ladder import LadderAssignment
from dunning_core.ports import UowFactory
from dunning_core.service.settings import CycleConfig, bootstrap

__all__ = [
    "Settings",
    "Store",
    "UsageError",
    "is_postgres",
    "load_settings",
    "open_store",
    "shown",
]


class UsageError(Exception):
    """The command was used wrongly (exit status 2); the message says how."""


class Store(Protocol):
    """What the command needs of a store adapter."""

    def unit_of_work(self, *, read_only: bool = False) -> Any:
        """A new unit of work (``read_only``: it refuses writes and takes no lock)."""

    def close(self) -> None:
        """Release the store."""


_POSTGRES = ("postgresql://", "postgres://")


def is_postgres(target: str) -> bool:
    """Whether ``target`` is a PostgreSQL connection URI rather than a file."""
    return target.startswith(_POSTGRES)


def shown(target: str) -> str:
    """``target`` as it may be printed: a connection URI without its password."""
    if not is_postgres(target):
        return target
    parts = urlsplit(target)
    if parts.password is None:
        return target
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def open_store(
    target: str, *, create: bool = False, read_only: bool = False, busy_timeout: float = 30.0
) -> Store:
    """Open the store named by ``target``.

    Args:
        target: A SQLite file path, or a PostgreSQL connection URI
            (``postgresql://user@host/db``).
        create: Create (and migrate) the database: a SQLite file that does not exist
            yet, the PostgreSQL schema and its missing migrations. Without it a missing
            file, or a PostgreSQL database without the schema at this version, is a
            usage error (a typo must not start an empty ledger, and a read must not
            migrate).
        read_only: Open a SQLite file in SQLite's read-only mode (``mode=ro``: the file
            cannot change, whatever the command does, and another writer's lock does
            not hold it up); an older schema is then a usage error naming ``dunning
            init``. A PostgreSQL store opens as usual: the command reads through
            read-only units of work (:func:`store_factory`).
        busy_timeout: Seconds to wait for another writer of a SQLite file, or for a
            PostgreSQL connection, before the store refuses (exit status 3).

    Raises:
        UsageError: the file or schema does not exist, or the PostgreSQL store is not
            available (the ``postgres`` extra).
        StoreError: the store refused (not a database, a newer schema, locked, the
            server unreachable).
    """
    if is_postgres(target):
        return _open_postgres(target, create=create, timeout=busy_timeout)
    path = Path(target)
    if not create and not path.exists():
        raise UsageError(f"no database at {target}: run 'dunning init' first, or pass --db")
    from dunning_core.adapters.storage.sqlite import SCHEMA_VERSION, SqliteStore

    try:
        return SqliteStore(path, busy_timeout=busy_timeout, read_only=read_only and not create)
    except (SchemaVersionError, ForeignDatabase, StoreBusy):
        raise
    except StoreError:
        if read_only and 0 < _sqlite_version(path) < SCHEMA_VERSION:
            raise UsageError(
                f"{target}: written by an older version of the library (schema "
                f"{_sqlite_version(path)}, this one reads {SCHEMA_VERSION}): run "
                "'dunning init' once to migrate it"
            ) from None
        raise


def _sqlite_version(path: Path) -> int:
    """The file's ``user_version`` read without writing (0 if it cannot be read)."""
    import sqlite3

    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def _open_postgres(target: str, *, create: bool, timeout: float) -> Store:
    try:
        module = importlib.import_module("dunning_core.adapters.storage.postgres")
    except ImportError as error:
        raise UsageError(
            f"cannot open {shown(target)}: the PostgreSQL store is not available ({error}); "
            'install it with pip install "dunning-core[postgres]"'
        ) from None
    try:
        store: Store = module.PostgresStore(target, migrate=create, timeout=timeout)
    except (SchemaVersionError, StoreUnavailable):
        raise
    except StoreError:
        # The schema is missing, or older than this library's (the store said which).
        raise UsageError(
            f"{shown(target)}: no dunning schema at this library's version: run "
            "'dunning init' (it creates or migrates the schema)"
        ) from None
    return store


@attrs.frozen(kw_only=True)
class Settings:
    """What the command runs with.

    Attributes:
        config: Ladders, assignments and policies for the services.
        notifiers: Channel (or ``default``) -> the notifier's table from the file.
        routing: The ``[routing]`` table (fallbacks, quiet hours).
        source: The configuration file, or ``None`` for the defaults.
    """

    config: CycleConfig
    notifiers: Mapping[str, Mapping[str, Any]]
    routing: Mapping[str, Any] = attrs.field(factory=dict)
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
    unknown = set(data) - {
        "cycle",
        "assignments",
        "ladders",
        "allocation",
        "notifiers",
        "routing",
    }
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
    if "allocation" in data:
        cycle["allocation"] = allocation_policy(data["allocation"], path)
    try:
        config = bootstrap(ladders=ladders, assignments=assignments, **cycle)
    except DunningError as error:
        raise ConfigError(path, [("[cycle]", "", None, str(error))]) from None
    notifiers = dict(data.get("notifiers", {}))
    notifiers.setdefault("default", {"type": "print"})
    for channel, spec in notifiers.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise ConfigError(path, [("[notifiers]", channel, spec, "needs a table with a type")])
    routing = data.get("routing", {})
    if not isinstance(routing, dict):
        raise ConfigError(path, [("[routing]", "", routing, "must be a table")])
    return Settings(config=config, notifiers=notifiers, routing=routing, source=path)


_TOLERANCES = ("discount_tolerance", "write_off_tolerance")
_ALLOCATION_KEYS = {"order", "central_billing", "withholding_needs_certificate", *_TOLERANCES}


def _money(text: object, where: str) -> Money:
    """``"15.00 EUR"`` -> Money."""
    amount, _, currency = str(text).strip().partition(" ")
    if not currency:
        raise InvalidField(where, text, 'expected an amount and a currency, "15.00 EUR"')
    return Money(amount, currency.strip().upper())


def allocation_policy(table: Any, path: str) -> AllocationPolicy:
    """The ``[allocation]`` table -> :class:`AllocationPolicy`.

    Raises:
        ConfigError: an unknown key or a bad value, each named.
    """
    if not isinstance(table, dict):
        raise ConfigError(path, [("[allocation]", "", table, "must be a table")])
    problems = [
        ("[allocation]", key, table[key], "unknown key")
        for key in sorted(set(table) - _ALLOCATION_KEYS)
    ]
    if problems:
        raise ConfigError(path, problems)
    fields: dict[str, Any] = {k: v for k, v in table.items() if k not in _TOLERANCES}
    for name in _TOLERANCES:
        if name not in table:
            continue
        spec = table[name]
        try:
            if not isinstance(spec, dict) or set(spec) - {"percent", "max_amount"}:
                raise InvalidField(
                    name, spec, 'expected { percent = "2", max_amount = "15.00 EUR" }'
                )
            cap = spec.get("max_amount")
            fields[name] = Tolerance(
                percent=spec.get("percent"),
                max_amount=None if cap is None else _money(cap, f"{name}.max_amount"),
            )
        except DunningError as error:
            raise ConfigError(path, [("[allocation]", name, spec, str(error))]) from None
    try:
        return AllocationPolicy(**fields)
    except (DunningError, TypeError) as error:
        raise ConfigError(path, [("[allocation]", "", table, str(error))]) from None


def store_factory(store: Store, *, read_only: bool = False) -> UowFactory:
    """The store's unit-of-work factory, typed as the services take it.

    Args:
        store: The store.
        read_only: Every unit of work read-only (the store refuses writes: a dry run
            or a report cannot change the data, and readers never wait for a writer).

    Returns:
        A callable returning a fresh unit of work.
    """
    if read_only:
        return functools.partial(store.unit_of_work, read_only=True)
    factory: UowFactory = store.unit_of_work
    return factory
