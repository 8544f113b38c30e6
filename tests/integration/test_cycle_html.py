"""The cycle copies the HTML part a renderer gives into the outbox message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dunning_core import Account, Contact, Invoice, Money
from dunning_core.adapters.storage.memory import MemoryStore
from dunning_core.ports import RenderedMessage
from dunning_core.rendering.plain import PlainRenderer
from dunning_core.service.cycle import run_cycle
from dunning_core.service.settings import CycleConfig


class HtmlRenderer:
    """Plain text from the stock renderer, plus an HTML part for e-mail only."""

    def __init__(self) -> None:
        self.plain = PlainRenderer()

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        rendered = self.plain.render(template_key, locale, context)
        if template_key.endswith(".sms"):
            return rendered
        html = f"<p>{rendered.body}</p>"
        return RenderedMessage(rendered.subject, rendered.body, html=html)


def test_the_rendered_html_reaches_the_outbox() -> None:
    store = MemoryStore()
    account = Account(
        id="A-1",
        name="ACME",
        currency="EUR",
        locale="fr_FR",
        contacts=[Contact(email="compta@acme.example", mobile="06 12 34 56 78")],
    )
    invoice = Invoice(
        number="F-1",
        account_id="A-1",
        issued_on=date(2026, 1, 1),
        due_on=date(2026, 1, 31),
        amount=Money("120.00", "EUR"),
    )
    with store.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.ledger.add_invoices([invoice])
        uow.commit()
    run_cycle(store.unit_of_work, CycleConfig(renderer=HtmlRenderer()), date(2026, 2, 20))
    with store.unit_of_work() as uow:
        messages = uow.outbox.messages_of(["A-1"])["A-1"]
    emails = [m for m in messages if m.channel == "EMAIL"]
    assert emails, "the ladder sent no e-mail"
    for message in emails:
        assert message.html_body == f"<p>{message.body}</p>"
    assert all(m.html_body is None for m in messages if m.channel != "EMAIL")
