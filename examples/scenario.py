"""Load the sample portfolio (``portfolio.json``) into domain objects.

The file is plain JSON so it doubles as documentation of the data a billing system has to
hand over: accounts with contacts, invoices, payments (with remittance advices), and dated
events (promises, disputes, proceedings, chargebacks) that the demo replays day by day.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from dunning_core import (
    Account,
    Contact,
    Invoice,
    Money,
    Payment,
    PostalAddress,
    RemittanceAdvice,
    RemittanceLine,
)

HERE = Path(__file__).resolve().parent


@attrs.frozen
class Scenario:
    """The sample portfolio and its timeline."""

    start: date
    days: int
    accounts: tuple[Account, ...]
    ladders: dict[str, str]
    descriptions: dict[str, str]
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]
    advices: dict[str, RemittanceAdvice]
    events: tuple[dict[str, Any], ...]


def _contact(raw: dict[str, Any]) -> Contact:
    address = raw.get("postal_address")
    return Contact(
        name=raw.get("name", ""),
        email=raw.get("email"),
        mobile=raw.get("mobile"),
        postal_address=None if address is None else PostalAddress(**address),
    )


def _advice(payment_id: str, currency: str, raw: dict[str, Any]) -> RemittanceAdvice:
    lines = []
    for line in raw["lines"]:
        lines.append(
            RemittanceLine(
                invoice_number=line["invoice_number"],
                amount_paid=Money(line["amount_paid"], currency),
                tax_withheld=Money(line.get("tax_withheld", "0"), currency),
                certificate=line.get("certificate"),
            )
        )
    return RemittanceAdvice(payment_id=payment_id, lines=lines, reference=raw.get("reference"))


def load(path: Path = HERE / "portfolio.json") -> Scenario:
    """Read the scenario file."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    accounts = []
    for a in raw["accounts"]:
        limit = a.get("credit_limit")
        accounts.append(
            Account(
                id=a["id"],
                name=a["name"],
                currency=a["currency"],
                segment=a["segment"],
                locale=a["locale"],
                timezone=a["timezone"],
                credit_limit=None if limit is None else Money(limit, a["currency"]),
                contacts=[_contact(c) for c in a["contacts"]],
                billing_entity_id=a.get("billing_entity_id"),
                tags=a.get("tags", ()),
            )
        )
    payments, advices = [], {}
    for p in raw["payments"]:
        payments.append(
            Payment(
                id=p["id"],
                account_id=p["account_id"],
                amount=Money(p["amount"], p["currency"]),
                received_on=date.fromisoformat(p["received_on"]),
                method=p["method"],
                status=p["status"],
                bank_reference=p["bank_reference"],
                payer_name=p["payer_name"],
            )
        )
        if "advice" in p:
            advices[p["id"]] = _advice(p["id"], p["currency"], p["advice"])
    return Scenario(
        start=date.fromisoformat(raw["start"]),
        days=raw["days"],
        accounts=tuple(accounts),
        ladders={a["id"]: a["ladder"] for a in raw["accounts"]},
        descriptions={a["id"]: a["scenario"] for a in raw["accounts"]},
        invoices=tuple(Invoice.from_row(row) for row in raw["invoices"]),
        payments=tuple(payments),
        advices=advices,
        events=tuple(raw["events"]),
    )
