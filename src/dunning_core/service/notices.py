"""What a notice will say, before the cycle sends it.

The cycle renders each ladder notice from a context built by :func:`notice_context`
(customer name, invoices, amount due, due date, days overdue, pay-now URL, stage) with
the configuration's renderer, trying the channel's own variant of the template first
(``relance.sms`` before ``relance``). :func:`preview_notice` does exactly that for one
action, so a user can check a template, or show an agent what a customer will read:

>>> from datetime import date
>>> from dunning_core import Account, Contact, Invoice, Money, build_statement
>>> from dunning_core.policies.ladder import DunningHistory, evaluate_ladder, presets
>>> account = Account(id="A-1", name="ACME", currency="EUR",
...                   contacts=[Contact(name="Ann", email="ann@acme.example")])
>>> invoice = Invoice(number="F-1", account_id="A-1", issued_on=date(2026, 1, 2),
...                   due_on=date(2026, 2, 1), amount=Money("80.00", "EUR"))
>>> day = date(2026, 2, 1)
>>> statement = build_statement(account, day, invoices=[invoice])
>>> [action] = evaluate_ladder(presets.DUE_DATE_REMINDERS, statement,
...                            DunningHistory.empty("A-1"), day)
>>> context = notice_context(CycleConfig(), account, action)
>>> context["invoice_numbers"], str(context["amount_due"])
(['F-1'], '80.00 EUR')
>>> preview_notice(CycleConfig(), account, action).subject
'Invoice F-1 is due today'

.. versionadded:: 0.2
"""

from __future__ import annotations

import functools
from typing import Any

from dunning_core.domain.account import Account, Channel
from dunning_core.domain.references import creditor_reference
from dunning_core.errors import (
    AccountMismatch,
    DunningError,
    InvalidCreditorReference,
    InvalidField,
)
from dunning_core.policies.ladder import ActionKind, DunningAction
from dunning_core.ports import RenderedMessage, Renderer
from dunning_core.service.formal_notice import formal_notice_values
from dunning_core.service.settings import CycleConfig

_LETTERS = frozenset({Channel.LETTER, Channel.REGISTERED_LETTER})

__all__ = ["notice_context", "preview_notice", "recipient_for", "render_for_channel"]


def notice_context(config: CycleConfig, account: Account, action: DunningAction) -> dict[str, Any]:
    """The values a ladder notice is rendered with (documented in docs/messages.md).

    Args:
        config: The configuration (its payment links build ``pay_url``, its formal
            notice terms the deadline and what a formal notice claims).
        account: The account the action is for.
        action: A notice (or operation) the ladder decided.

    Returns:
        ``customer_name``, ``account_id``, ``locale``, ``invoice_numbers`` (a list,
        oldest first), ``invoice_count``, ``invoices`` (one mapping per invoice:
        ``number``, ``due_on``, ``open_amount``, ``days_late``), ``amount_due`` (Money),
        ``due_on`` (the oldest invoice's), ``days_overdue`` (the most), ``pay_url`` and
        ``stage``; for a formal notice or a letter also ``deadline``, ``total_claimed``,
        ``late_interest``, ``interest_rate``, ``recovery_compensation`` and ``fees``;
        for a call task ``phone`` and ``last_notice``. ``creditor_reference`` is the RF
        creditor reference (ISO 11649, printed in groups of four) of the oldest invoice,
        ``creditor_references`` every invoice's joined by ", ", and each ``invoices``
        mapping has its own; empty for a number too long for one.

    Raises:
        AccountMismatch: the action is for another account.

    .. versionchanged:: 0.3
       ``account_id``, ``locale``, ``invoice_count``, ``invoices``, the formal notice
       and call task values, and the RF creditor references.
    """
    if action.account_id != account.id:
        raise AccountMismatch("DunningAction.account_id", account.id, action.account_id)
    oldest = action.lines[0]
    references = {number: _printed_reference(number) for number in action.invoice_numbers}
    printed = [reference for reference in references.values() if reference]
    context: dict[str, Any] = {
        "customer_name": account.name,
        "account_id": account.id,
        "locale": account.locale,
        "invoice_numbers": list(action.invoice_numbers),
        "invoice_count": len(action.lines),
        "invoices": [
            {
                "number": line.invoice_number,
                "due_on": line.due_on,
                "open_amount": line.open_amount,
                "days_late": line.days_past_due,
                "creditor_reference": references.get(line.invoice_number, ""),
            }
            for line in action.lines
        ],
        "amount_due": action.open_amount,
        "due_on": oldest.due_on,
        "days_overdue": max(line.days_past_due for line in action.lines),
        "pay_url": config.links.url_for(account.id, action.invoice_numbers),
        "stage": action.stage,
        "creditor_reference": references.get(oldest.invoice_number, ""),
        "creditor_references": ", ".join(printed),
    }
    if action.kind is ActionKind.FORMAL_NOTICE or action.channel in _LETTERS:
        # A letter states what is claimed: interest, compensation and fees (a Mahnung).
        context.update(formal_notice_values(config.formal_notice, account, action))
    if action.channel is Channel.PHONE_TASK:
        context["phone"] = recipient_for(account, Channel.PHONE_TASK)
        context["last_notice"] = None
    return context


@functools.lru_cache(maxsize=65_536)
def _printed_reference(number: str) -> str:
    # An account's invoices are in each of its notices (one per channel): cached. The
    # reference was just computed, so it is grouped as format_creditor_reference would
    # print it without checking its digits again (a test compares the two).
    try:
        compact = creditor_reference(number)
    except InvalidCreditorReference:
        return ""  # more than 21 letters and digits: no RF reference for this number
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def render_for_channel(
    renderer: Renderer, template: str, channel: Channel, locale: str, context: dict[str, Any]
) -> RenderedMessage:
    """Render ``template``'s variant for ``channel`` (``"relance.sms"``) when the
    renderer has one, else ``template`` itself.

    Raises:
        RenderError: neither the variant nor the template renders.
    """
    try:
        return renderer.render(f"{template}.{channel.value.lower()}", locale, context)
    except DunningError:
        return renderer.render(template, locale, context)


def preview_notice(config: CycleConfig, account: Account, action: DunningAction) -> RenderedMessage:
    """The subject and body the cycle would write for ``action``, in the account's locale.

    Args:
        config: The configuration (renderer and payment links).
        account: The account.
        action: A notice: an action with a channel.

    Returns:
        The rendered message.

    Raises:
        InvalidField: the action has no channel (an account-level operation).
        RenderError: the template is unknown or lacks a value.
    """
    if action.channel is None:
        raise InvalidField("action.channel", None, "an operation has no notice to preview")
    return render_for_channel(
        config.renderer,
        action.template,
        action.channel,
        account.locale,
        notice_context(config, account, action),
    )


def _address_text(account: Account) -> str:
    address = account.postal_address
    if address is None:
        return ""
    parts = [address.recipient, *address.lines, f"{address.postal_code} {address.city}".strip()]
    parts.append(address.country)
    return "\n".join(part for part in parts if part)


def recipient_for(account: Account, channel: Channel) -> str:
    """Where a notice on ``channel`` goes: every accepting email address (comma
    separated), the first mobile for SMS, the first phone for a call task, the postal
    address for letters, the account id for a webhook; ``""`` when there is none."""
    contacts = account.contacts_for(channel)
    if channel is Channel.EMAIL:
        return ", ".join(c.email for c in contacts if c.email)
    if channel is Channel.SMS:
        return next((c.valid_mobile for c in contacts if c.valid_mobile), "") or ""
    if channel is Channel.PHONE_TASK:
        return next((c.call_number for c in contacts if c.call_number), "") or ""
    if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
        return _address_text(account)
    return account.id
