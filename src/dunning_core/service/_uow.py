"""Checks that a service got what it takes: a unit of work, or a factory of them
(private to the service layer)."""

from __future__ import annotations

from dunning_core.errors import InvalidUnitOfWork

__all__ = ["check_unit_of_work", "check_uow_factory"]


def check_unit_of_work(uow: object) -> None:
    """Refuse a factory where a unit of work not yet entered is expected.

    Raises:
        InvalidUnitOfWork: ``uow`` has no ``__enter__`` (``store.unit_of_work`` passed
            instead of ``store.unit_of_work()``).
    """
    if not hasattr(uow, "__enter__"):
        problem = "expected a unit of work, store.unit_of_work()"
        if callable(uow):
            problem += "; this looks like the factory itself: call it"
        raise InvalidUnitOfWork("uow", uow, problem)


def check_uow_factory(uow_factory: object) -> None:
    """Refuse a unit of work where a factory of them is expected.

    Raises:
        InvalidUnitOfWork: ``uow_factory`` is a unit of work (``store.unit_of_work()``
            passed instead of ``store.unit_of_work``), or not callable.
    """
    if hasattr(uow_factory, "__enter__"):
        raise InvalidUnitOfWork(
            "uow_factory",
            uow_factory,
            "expected the factory, store.unit_of_work (without the call): "
            "this service opens one unit of work per batch",
        )
    if not callable(uow_factory):
        raise InvalidUnitOfWork("uow_factory", uow_factory, "expected a factory of units of work")
