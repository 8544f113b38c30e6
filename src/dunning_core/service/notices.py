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

from typing import Any

from dunning_core.domain.account import Account, Channel
from dunning_core.errors import AccountMismatch, DunningError, InvalidField
from dunning_core.policies.ladder import DunningAction
from dunning_core.ports import RenderedMessage, Renderer
from dunning_core.service.settings import CycleConfig

__all__ = ["notice_context", "preview_notice", "recipient_for", "render_for_channel"]


def notice_context(config: CycleConfig, account: Account, action: DunningAction) -> dict[str, Any]:
    """The values a ladder notice is rendered with.

    Args:
        config: The configuration (its payment links build ``pay_url``).
        account: The account the action is for.
        action: A notice (or operation) the ladder decided.

    Returns:
        ``customer_name``, ``invoice_numbers`` (a list, oldest first), ``amount_due``
        (Money), ``due_on`` (the oldest invoice's), ``days_overdue`` (the most),
        ``pay_url`` and ``stage``.

    Raises:
        AccountMismatch: the action is for another account.
    """
    if action.account_id != account.id:
        raise AccountMismatch("DunningAction.account_id", account.id, action.account_id)
    oldest = action.lines[0]
    return {
        "customer_name": account.name,
        "invoice_numbers": list(action.invoice_numbers),
        "amount_due": action.open_amount,
        "due_on": oldest.due_on,
        "days_overdue": max(line.days_past_due for line in action.lines),
        "pay_url": config.links.url_for(account.id, action.invoice_numbers),
        "stage": action.stage,
    }


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
        return next((c.mobile for c in contacts if c.mobile), "")
    if channel is Channel.PHONE_TASK:
        return next((c.phone or c.mobile for c in contacts if c.phone or c.mobile), "") or ""
    if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
        return _address_text(account)
    return account.id
