"""The labels of letters, statements of account and attachments, marked for
``pybabel extract`` like the notices (:mod:`dunning_core.rendering._notices`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dunning_core.rendering._notices import Text

__all__ = ["DOCUMENT_TEXTS"]


def _t(context: str, text: str) -> Text:
    return Text(context, text)


#: Document labels by name.
DOCUMENT_TEXTS: Final[Mapping[str, Text]] = {
    "place_date": _t("letter|place_date", "{place}, {date}"),
    "reference": _t("letter|reference", "Our reference: {reference}"),
    "account": _t("letter|account", "Customer account: {account_id}"),
    "registered": _t("letter|registered", "Registered letter with acknowledgement of receipt"),
    "page": _t("letter|page", "Page {page} of {pages}"),
    "closing": _t("letter|closing", "Yours faithfully,"),
    "amount_due": _t("letter|amount_due_line", "Amount due"),
    "interest": _t("letter|interest_line", "Late-payment interest"),
    "compensation": _t("letter|compensation_line", "Recovery compensation"),
    "fees": _t("letter|fees_line", "Reminder fees"),
    "total_claimed": _t("letter|total_claimed_line", "Total claimed"),
    "statement_title": _t("statement|title", "Statement of account"),
    "statement_as_of": _t("statement|as_of", "Statement as of {date}"),
    "open_items": _t("statement|open_items", "Open items"),
    "issued_on": _t("statement|issued_on", "Issued"),
    "amount": _t("statement|amount", "Amount"),
    "paid": _t("statement|paid", "Paid"),
    "aging": _t("statement|aging", "Aging"),
    "bucket_current": _t("statement|bucket_current", "Not yet due"),
    "bucket_1_30": _t("statement|bucket_1_30", "1 to 30 days"),
    "bucket_31_60": _t("statement|bucket_31_60", "31 to 60 days"),
    "bucket_61_90": _t("statement|bucket_61_90", "61 to 90 days"),
    "bucket_over_90": _t("statement|bucket_over_90", "Over 90 days"),
    "payments_since": _t("statement|payments_since", "Payments since {date}"),
    "payments": _t("statement|payments", "Payments received"),
    "received_on": _t("statement|received_on", "Received"),
    "payment_reference": _t("statement|payment_reference", "Reference"),
    "charges": _t("statement|charges", "Fees and interest"),
    "fee": _t("statement|fee", "Fee"),
    "unapplied": _t("statement|unapplied", "Unapplied credit"),
    "total_to_pay": _t("statement|total_to_pay", "Total to pay"),
    "nothing_open": _t("statement|nothing_open", "No open items."),
    "attachment_link": _t(
        "email|attachment_link",
        "The attachment {name} is too large for email; download it here: {url}",
    ),
    "attachments": _t("email|attachments", "Attached: {names}"),
    "invoice_file": _t("email|invoice_file", "invoice-{number}.pdf"),
    "statement_file": _t("email|statement_file", "statement-{account_id}.pdf"),
    "notice_file": _t("email|notice_file", "reminder-{reference}.pdf"),
}
