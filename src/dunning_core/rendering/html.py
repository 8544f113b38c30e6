"""The HTML part of an email notice: inline CSS, no remote resources.

Mail clients strip ``<style>`` blocks and block remote images, so every style is
inline, the layout is nested tables, and the only link is the payment button (and the
same URL written out beneath it for clients that show no buttons). Every text is
escaped here; callers pass plain text.

>>> html = email_html(
...     lang="en", subject="Invoice F-1 is overdue", paragraphs=["Dear ACME,"],
...     table=None, pay_url="https://pay.example/A-1", pay_label="Pay now", footer=[])
>>> "<img" in html, 'href="https://pay.example/A-1"' in html
(False, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import attrs

__all__ = ["InvoiceTable", "email_html"]

_FONT = "font-family:Helvetica,Arial,sans-serif;color:#1f2328;"
_CELL = "padding:6px 8px;border-bottom:1px solid #d0d7de;font-size:14px;"
_HEAD = _CELL + "text-align:left;background:#f6f8fa;font-weight:bold;"
_NUM = "text-align:right;white-space:nowrap;"
_BUTTON = (
    "display:inline-block;background:#0b5cad;color:#ffffff;font-weight:bold;"
    "font-size:16px;padding:12px 28px;border-radius:4px;text-decoration:none;"
)


@attrs.frozen
class InvoiceTable:
    """The invoices a notice is about, already formatted for the locale.

    Attributes:
        headers: Column titles: invoice, due date, amount open, days late.
        rows: One ``(number, due date, amount open, days late)`` per invoice.
        total_label: The label of the total row.
        total: The total open, formatted.
    """

    headers: tuple[str, str, str, str]
    rows: tuple[tuple[str, str, str, str], ...]
    total_label: str
    total: str


def _table(table: InvoiceTable) -> str:
    aligns = ("", "", _NUM, _NUM)
    head = "".join(
        f'<th style="{_HEAD}{align}">{escape(title)}</th>'
        for title, align in zip(table.headers, aligns, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{_CELL}{align}">{escape(cell)}</td>'
            for cell, align in zip(row, aligns, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    total = (
        f'<tr><td colspan="2" style="{_CELL}font-weight:bold;">{escape(table.total_label)}</td>'
        f'<td style="{_CELL}{_NUM}font-weight:bold;">{escape(table.total)}</td>'
        f'<td style="{_CELL}"></td></tr>'
    )
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" '
        'style="border-collapse:collapse;width:100%;margin:16px 0;">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}{total}</tbody></table>"
    )


def _paragraph(text: str) -> str:
    lines = "<br>".join(escape(line) for line in text.split("\n"))
    return f'<p style="margin:0 0 14px 0;font-size:15px;line-height:1.5;">{lines}</p>'


def email_html(
    *,
    lang: str,
    subject: str,
    paragraphs: Sequence[str],
    table: InvoiceTable | None,
    pay_url: str | None,
    pay_label: str,
    footer: Sequence[str],
) -> str:
    """A complete HTML document for one email notice.

    Args:
        lang: The language of the text (the ``lang`` attribute).
        subject: The subject (the document title).
        paragraphs: The body, one plain-text paragraph each.
        table: The invoice table, or ``None``.
        pay_url: The payment link for the button, or ``None`` for no button.
        pay_label: The button's text.
        footer: Small print paragraphs after the button.

    Returns:
        The HTML text (UTF-8 declared).
    """
    parts = [_paragraph(text) for text in paragraphs]
    if table is not None and table.rows:
        parts.append(_table(table))
    if pay_url:
        href = escape(pay_url, quote=True)
        parts.append(
            '<p style="margin:24px 0;text-align:center;">'
            f'<a href="{href}" style="{_BUTTON}">{escape(pay_label)}</a></p>'
            '<p style="margin:0 0 14px 0;font-size:12px;color:#57606a;word-break:break-all;">'
            f'<a href="{href}" style="color:#0b5cad;">{escape(pay_url)}</a></p>'
        )
    parts.extend(
        f'<p style="margin:0 0 10px 0;font-size:12px;color:#57606a;">{escape(text)}</p>'
        for text in footer
    )
    content = "".join(parts)
    return (
        f'<!DOCTYPE html><html lang="{escape(lang, quote=True)}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{escape(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:#f3f4f6;{_FONT}">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background:#f3f4f6;"><tr><td align="center" style="padding:24px 12px;">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        f'style="max-width:600px;width:100%;background:#ffffff;border-radius:6px;{_FONT}">'
        f'<tr><td style="padding:28px 32px;">{content}</td></tr>'
        "</table></td></tr></table></body></html>"
    )
