"""A sample context for every built-in key: what templates are checked against when
they are loaded, and what ``docs/messages.md`` shows.

>>> context = sample_context("notice.first")
>>> sorted(context)[:4]
['account_id', 'amount_due', 'creditor_reference', 'creditor_references']
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dunning_core.errors import RenderError
from dunning_core.money import Money
from dunning_core.rendering._notices import VARIABLES

__all__ = ["sample_context", "sample_values"]


def sample_values(currency: str = "EUR") -> dict[str, dict[str, object]]:
    """Sample values by variable group (see :data:`~dunning_core.rendering._notices.
    VARIABLES`), amounts in ``currency``."""

    def money(amount: str) -> Money:
        return Money.of(amount, currency)

    open_1, open_2 = money("1000.00"), money("234.56")
    total = open_1 + open_2
    return {
        "account": {
            "customer_name": "Société Hôtelière Nouméa",
            "account_id": "A-1",
            "pay_url": "https://pay.example/A-1?invoices=F-1%2CF-2",
            "locale": "fr_FR",
        },
        "invoices": {
            "invoice_numbers": ["F-1", "F-2"],
            "invoice_count": 2,
            "invoices": [
                {
                    "number": "F-1",
                    "due_on": date(2026, 1, 31),
                    "open_amount": open_1,
                    "days_late": 20,
                },
                {
                    "number": "F-2",
                    "due_on": date(2026, 2, 10),
                    "open_amount": open_2,
                    "days_late": 10,
                },
            ],
            "amount_due": total,
            "due_on": date(2026, 1, 31),
            "days_overdue": 20,
            "stage": "first_notice",
            "creditor_reference": "RF98 F1",
            "creditor_references": "RF98 F1, RF71 F2",
        },
        "termination": {"days": 10},
        "suspension": {
            "reason": "invoice F-1 is 20 days past due",
            "resumes_when": "once the overdue balance is paid",
        },
        "credit": {
            "threshold": 85,
            "balance": money("8500.00"),
            "credit_limit": money("10000.00"),
        },
        "formal_notice": {
            "deadline": date(2026, 3, 2),
            "total_claimed": total,
            "late_interest": money("12.50"),
            "interest_rate": Decimal("12.15"),
            "recovery_compensation": money("40.00"),
            "fees": None,
        },
        "call": {"phone": "+687751234", "last_notice": "notice.second"},
    }


def sample_context(template_key: str, currency: str = "EUR") -> dict[str, object]:
    """A complete context for ``template_key`` (a built-in key or a preset stage key).

    Raises:
        RenderError: the key is not built in.
    """
    from dunning_core.rendering.catalog import resolve_key

    resolved = resolve_key(template_key)
    if resolved is None:
        raise RenderError(template_key, "no such template")
    notice, fixed = resolved
    values = sample_values(currency)
    context: dict[str, object] = {}
    for group in notice.variables:
        context.update({name: values[group][name] for name in VARIABLES[group]})
    context.update(fixed)
    return context
