"""Letters from what the library knows: a rendered notice and its context (reminder
letters, registered formal notices, German Mahnungen), or an account statement.

Everything is translated and formatted here, in the customer's locale, so the
:class:`~dunning_core.documents.letter.Letter` can be stored and printed as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from dunning_core.domain.account import PostalAddress
from dunning_core.domain.charges import ChargeKind
from dunning_core.domain.payment import Payment, PaymentStatus
from dunning_core.domain.statement import AccountStatement, AgingBucket
from dunning_core.money import Money
from dunning_core.ports import RenderedMessage
from dunning_core.rendering.catalog import Labels

from .letter import Letter, Section, Sender

__all__ = ["address_lines", "notice_letter", "statement_letter"]

_BUCKETS = {
    AgingBucket.CURRENT: "bucket_current",
    AgingBucket.D1_30: "bucket_1_30",
    AgingBucket.D31_60: "bucket_31_60",
    AgingBucket.D61_90: "bucket_61_90",
    AgingBucket.OVER_90: "bucket_over_90",
}
_CHARGE_LABELS = {
    ChargeKind.STAGE_FEE: "fee",
    ChargeKind.LATE_INTEREST: "interest",
    ChargeKind.RECOVERY_COMPENSATION: "compensation",
}


def _country_name(code: str, locale: str) -> str:
    from babel import Locale

    try:
        return str(Locale.parse(locale).territories.get(code, code))
    except (ValueError, TypeError):
        return code


def address_lines(
    address: PostalAddress, *, locale: str, sender_country: str | None = None
) -> tuple[str, ...]:
    """The address block as the post reads it: recipient, street lines, postal code and
    city, and the country (in capitals) when it is not the sender's. At most six lines:
    extra street lines are joined.

    >>> address = PostalAddress(recipient="Lê Văn Tám", lines=("12 rue Jean Jaurès",),
    ...                         postal_code="98800", city="Nouméa", country="NC")
    >>> address_lines(address, locale="fr_FR", sender_country="FR")[-1]
    'NOUVELLE-CALÉDONIE'
    """
    streets = [line for line in address.lines if line.strip()]
    town = f"{address.postal_code} {address.city}".strip()
    country = ""
    if address.country and address.country != sender_country:
        country = _country_name(address.country, locale).upper()
    room = 6 - 1 - (1 if town else 0) - (1 if country else 0)
    if len(streets) > room:
        streets = [*streets[: room - 1], ", ".join(streets[room - 1 :])]
    lines = [address.recipient, *streets, town, country]
    return tuple(line for line in lines if line)


def _money(value: object) -> Money | None:
    return value if isinstance(value, Money) else None


def notice_letter(
    *,
    rendered: RenderedMessage,
    context: Mapping[str, Any],
    address: PostalAddress | None,
    locale: str,
    written_on: date,
    place: str,
    reference: str,
    registered: bool,
    sender: Sender | None = None,
) -> Letter:
    """The letter of a rendered notice: its paragraphs, the invoice table, the totals
    (amount due; late interest, recovery compensation and fees where the context has
    them; the total claimed), the place and date, and the registered-mail mention. The
    RF creditor references of the invoices (``creditor_references``) are a reference
    line, when they have one.

    A French *mise en demeure* is the ``formal_notice`` notice sent this way, a German
    *Mahnung* a ``notice.first`` (or later) notice in ``de_DE`` with fees and interest.

    Args:
        rendered: The notice as the renderer wrote it (its body becomes the
            paragraphs; the line with the payment link is kept).
        context: The notice's context (invoices, amounts, formal-notice values).
        address: Where it goes; ``None`` for a letter sent as an e-mail attachment to
            an account without a postal address (the customer's name only).
        locale: The customer's locale.
        written_on: The letter's date.
        place: Where it is written from (printed before the date).
        reference: Our reference (the outbox key, say).
        registered: A registered letter (with acknowledgement of receipt).
        sender: Who writes; the notifier adds its own when ``None``.
    """
    labels = Labels(locale)
    rows = []
    for invoice in context.get("invoices") or ():
        rows.append(
            (
                str(invoice["number"]),
                labels.date(invoice["due_on"]),
                labels.value(invoice["open_amount"]),
                labels.value(invoice["days_late"]),
            )
        )
    section = Section(
        headers=(
            labels("col_invoice"),
            labels("col_due_on"),
            labels("col_open"),
            labels("col_days_late"),
        ),
        rows=rows,
        numeric=(False, False, True, True),
        widths=(3, 3, 3, 2),
    )
    totals: list[tuple[str, str]] = []
    amount_due = _money(context.get("amount_due"))
    if amount_due is not None:
        totals.append((labels("amount_due"), labels.value(amount_due)))
    extras = {
        "interest": _money(context.get("late_interest")),
        "fees": _money(context.get("fees")),
    }
    compensation = _money(context.get("recovery_compensation"))
    if compensation is not None and rows:
        extras["compensation"] = compensation * len(rows)
    for name in ("interest", "compensation", "fees"):
        amount = extras.get(name)
        if amount is not None and not amount.is_zero:
            totals.append((labels(name), labels.value(amount)))
    claimed = _money(context.get("total_claimed"))
    if claimed is not None and len(totals) > 1:
        totals.append((labels("total_claimed"), labels.value(claimed)))
    elif amount_due is not None:
        totals[-1] = (labels("total"), labels.value(amount_due))
    reference_lines = [labels("reference", reference=reference)]
    if context.get("account_id"):
        reference_lines.append(labels("account", account_id=str(context["account_id"])))
    paragraphs = [p for p in rendered.body.split("\n\n") if p.strip()]
    references = str(context.get("creditor_references") or "")
    count = len([r for r in references.split(",") if r.strip()])
    if count:
        line = labels(
            "creditor_reference",
            creditor_references=references,
            creditor_reference_count=count,
        )
        reference_lines.append(line)
        # The built-in notice printed it as its last paragraph: a letter has it above.
        paragraphs = [p for p in paragraphs if p != line]
    return Letter(
        language=labels.catalog,
        recipient=address_lines(
            address, locale=locale, sender_country=None if sender is None else sender.country
        )
        if address is not None
        else (str(context.get("customer_name") or context.get("account_id") or "-"),),
        place_date=labels("place_date", place=place, date=written_on)
        if place
        else labels.date(written_on, "long"),
        reference_lines=reference_lines,
        subject=rendered.subject,
        paragraphs=paragraphs,
        sections=(section,) if rows else (),
        totals=totals,
        closing=labels("closing"),
        registered_mention=labels("registered") if registered else "",
        page_label=labels("page", page="{page}", pages="{pages}"),
        sender=sender,
        title=rendered.subject,
    )


def statement_letter(
    statement: AccountStatement,
    *,
    address: PostalAddress | None,
    locale: str,
    place: str = "",
    payments: Iterable[Payment] = (),
    since: date | None = None,
    sender: Sender | None = None,
) -> Letter:
    """The statement of account: open items, aging, payments received (since ``since``
    when given), fees and interest, unapplied credit and the total to pay, in the
    customer's language.

    Args:
        statement: The statement (its ``as_of`` is the document's date).
        address: The customer's address, or ``None`` (the account's name only).
        locale: The customer's locale.
        place: Printed before the date.
        payments: The account's payments (cleared ones are listed).
        since: The day of the last statement: only payments received after it.
        sender: Who writes.
    """
    labels = Labels(locale)
    currency = statement.currency
    sections: list[Section] = []
    items = statement.open_items
    if items:
        sections.append(
            Section(
                heading=labels("open_items"),
                headers=(
                    labels("col_invoice"),
                    labels("issued_on"),
                    labels("col_due_on"),
                    labels("amount"),
                    labels("paid"),
                    labels("col_open"),
                    labels("col_days_late"),
                ),
                rows=[
                    (
                        item.number,
                        labels.date(item.invoice.issued_on),
                        labels.date(item.due_on),
                        labels.value(item.invoice.amount),
                        labels.value(item.settled),
                        labels.value(item.open_amount),
                        labels.value(item.days_past_due),
                    )
                    for item in items
                ],
                numeric=(False, False, False, True, True, True, True),
                widths=(2.4, 2.2, 2.2, 2.4, 2.2, 2.4, 1.4),
            )
        )
        aging = statement.aging
        sections.append(
            Section(
                heading=labels("aging"),
                headers=[labels(_BUCKETS[bucket]) for bucket in AgingBucket],
                rows=[
                    [
                        labels.value(aging.get(bucket, Money.zero(currency)))
                        for bucket in AgingBucket
                    ]
                ],
                numeric=[True] * len(AgingBucket),
            )
        )
    received = [
        payment
        for payment in payments
        if payment.status is PaymentStatus.CLEARED
        and payment.amount.currency == currency
        and (since is None or payment.received_on > since)
    ]
    if received:
        heading = labels("payments") if since is None else labels("payments_since", date=since)
        sections.append(
            Section(
                heading=heading,
                headers=(labels("received_on"), labels("payment_reference"), labels("amount")),
                rows=[
                    (
                        labels.date(payment.received_on),
                        payment.bank_reference or payment.id,
                        labels.value(payment.amount),
                    )
                    for payment in sorted(received, key=lambda p: (p.received_on, p.id))
                ],
                numeric=(False, False, True),
                widths=(2, 4, 2),
            )
        )
    if statement.charges:
        sections.append(
            Section(
                headers=(labels("charges"), labels("col_invoice"), labels("amount")),
                rows=[
                    (
                        labels(_CHARGE_LABELS[charge.kind]),
                        charge.invoice_number or "",
                        labels.value(charge.amount),
                    )
                    for charge in statement.charges
                ],
                numeric=(False, False, True),
                widths=(4, 2, 2),
            )
        )
    totals = [(labels("col_open"), labels.value(statement.balance))]
    if statement.charges:
        totals.append((labels("charges"), labels.value(statement.charges_total)))
    if not statement.unapplied.is_zero:
        totals.append((labels("unapplied"), labels.value(-statement.unapplied)))
    to_pay = statement.total_due - statement.unapplied
    totals.append((labels("total_to_pay"), labels.value(to_pay.max(Money.zero(currency)))))
    account = statement.account
    recipient: Sequence[str] = (
        address_lines(address, locale=locale, sender_country=sender.country if sender else None)
        if address is not None
        else (account.name,)
    )
    title = labels("statement_title")
    return Letter(
        language=labels.catalog,
        recipient=recipient,
        place_date=labels("place_date", place=place, date=statement.as_of)
        if place
        else labels.date(statement.as_of, "long"),
        reference_lines=[labels("account", account_id=account.id)],
        subject=f"{title} — {labels('statement_as_of', date=statement.as_of)}",
        paragraphs=() if items else (labels("nothing_open"),),
        sections=sections,
        totals=totals,
        page_label=labels("page", page="{page}", pages="{pages}"),
        sender=sender,
        title=title,
    )
