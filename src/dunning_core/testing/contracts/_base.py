"""What every contract class shares: the ``make_uow_factory`` hook and sample data."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from dunning_core.domain.account import (
    Account,
    Channel,
    Contact,
    PaymentTerms,
    PostalAddress,
    Segment,
)
from dunning_core.domain.invoice import Invoice
from dunning_core.domain.outbox import OutboxMessage
from dunning_core.money import Money
from dunning_core.ports import UowFactory

#: Text that has broken stores before: quotes, a newline, a NUL byte, a backslash,
#: SQL comment and statement separators, non-Latin and astral characters.
AWKWARD_TEXT = 'O\'Brien "Ltd"\nline two\x00after NUL \\ -- ; DROP TABLE x; 日本 🧾'

#: The same for identifiers, which refuse control characters and surrounding spaces.
AWKWARD_IDENTIFIER = 'O\'Brien "Ltd" \\ -- ; DROP TABLE x; 日本 🧾'

#: One amount per minor unit that matters: 0 (JPY), 2 (EUR) and 3 (BHD) decimals.
EXACT_AMOUNTS = (Money("1234567", "JPY"), Money("98765.43", "EUR"), Money("1234.567", "BHD"))

#: For ``@given`` tests in contract classes: they take the ``uow_factory`` fixture once
#: and keep examples apart with :meth:`StoreContractBase.unique` keys, and every
#: subclass runs them (the "differing executors" hypothesis warns about).
fixture_ok = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors]
)

#: Any text a store must keep unchanged (every code point UTF-8 can encode).
text = st.text(st.characters(codec="utf-8"))

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
D0 = date(2026, 3, 2)


class StoreContractBase:
    """Base of the contract classes. Subclass one (or :class:`StoreContract` for all)
    in a class whose name starts with ``Test`` and implement :meth:`make_uow_factory`.

    ``self.tmp_path`` (a fresh directory per test) is set before the hook is called.
    """

    tmp_path: Path
    _ids: ClassVar[Iterator[int]] = itertools.count(1)

    def make_uow_factory(self) -> UowFactory:
        """Return a factory of units of work on a new, empty store."""
        raise NotImplementedError("implement make_uow_factory() in your test class")

    def dispose_uow_factory(self, uow_factory: UowFactory) -> None:
        """Release what :meth:`make_uow_factory` opened (nothing by default)."""

    @pytest.fixture
    def uow_factory(self, tmp_path: Path) -> Iterator[UowFactory]:
        """A factory on a new, empty store, disposed of after the test."""
        self.tmp_path = tmp_path
        factory = self.make_uow_factory()
        try:
            yield factory
        finally:
            self.dispose_uow_factory(factory)

    @classmethod
    def unique(cls, prefix: str) -> str:
        """A key no other test or example has used."""
        return f"{prefix}-{next(cls._ids)}"


def make_account(account_id: str, currency: str = "EUR", **changes: Any) -> Account:
    """A plain account in ``currency``."""
    fields: dict[str, Any] = {
        "id": account_id,
        "name": f"Customer {account_id}",
        "currency": currency,
    }
    fields.update(changes)
    return Account(**fields)


def rich_account(account_id: str, credit_limit: Money) -> Account:
    """An account that uses every field, with awkward text in the free-text ones."""
    return Account(
        id=account_id,
        name=AWKWARD_TEXT,
        currency=credit_limit.currency,
        segment=Segment("PUBLIC_SECTOR"),
        locale="fr_FR",
        timezone="Pacific/Noumea",
        credit_limit=credit_limit,
        contacts=(
            Contact(
                name='Marie "Comptabilité" O\'Neil',
                email="billing@example.com",
                mobile="+687751234",
                postal_address=PostalAddress(
                    recipient="Service comptable",
                    lines=("1 rue de l'Alma", "BP 12\nCedex"),
                    postal_code="98800",
                    city="Nouméa",
                    country="NC",
                ),
                channels=(Channel.EMAIL, Channel.REGISTERED_LETTER),
                role="accounts payable",
            ),
            Contact(name="Ops", phone="+33123456789"),
            # National numbers, read in the account's country (stored in E.164).
            Contact(name="Astreinte", mobile="75 12 35", phone="28 12 34"),
            Contact(name="Paris", mobile="06 12 34 56 78", country="FR"),
        ),
        billing_entity_id="BE-1",
        registration_id="RIDET 1234567.001",
        tags=("no-dunning", "vip"),
        terms=PaymentTerms.net(45),
        country="NC",
        subdivision="NC",
    )


def make_invoice(number: str, account_id: str, amount: Money, due_on: date = D0) -> Invoice:
    """An invoice issued 30 days before ``due_on``."""
    return Invoice(
        number=number,
        account_id=account_id,
        issued_on=date.fromordinal(due_on.toordinal() - 30),
        due_on=due_on,
        amount=amount,
    )


def make_message(
    key: str, account_id: str, created_at: datetime = T0, **changes: Any
) -> OutboxMessage:
    """A PENDING e-mail due at ``created_at``."""
    message = OutboxMessage.new(
        key=key,
        account_id=account_id,
        channel="EMAIL",
        recipient="billing@example.com",
        subject="First notice",
        body="Please pay.",
        created_at=created_at,
    )
    return attrs.evolve(message, **changes) if changes else message


def seed_accounts(uow_factory: UowFactory, *accounts: Account) -> None:
    """Store ``accounts`` and commit."""
    with uow_factory() as uow:
        uow.accounts.add_many(accounts)
        uow.commit()
