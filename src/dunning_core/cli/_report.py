"""``dunning report --html``: the portfolio on one self-contained page.

One HTML file with nothing to fetch: the CSS is inline in one ``<style>`` element that
the Content-Security-Policy allows by its hash, the charts are inline SVG drawn with
presentation attributes (no ``style`` attribute, no script), and the policy refuses
everything else (``default-src 'none'``), so a customer string that slipped through
could still not load or run anything. Every string that comes from the data (names,
ids, invoice numbers, reasons) goes through :func:`html.escape`.

The page: aging by bucket and currency as a bar chart per currency with the same
numbers in a table, cash collected per day and messages sent per channel over the
window, the suspended accounts, and the case list.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import attrs

from dunning_core import Money
from dunning_core.service.cases import CaseRow
from dunning_core.service.portfolio import DailyActivity

__all__ = ["PortfolioReport", "SuspendedAccount", "render_html"]

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; margin: 24px 32px; color: #1d2430; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5dbe5; }
h3 { font-size: 14px; margin: 14px 0 4px; }
p.meta { color: #5a6577; margin: 0 0 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #d5dbe5; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 0; }
figcaption { font-weight: bold; margin-bottom: 2px; }
.empty { color: #5a6577; font-style: italic; }
"""
_BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")
_BUCKET_COLOURS = ("#6aa84f", "#f1c232", "#e69138", "#cc4125", "#85200c")
_CHART_W, _CHART_H = 420, 220
_MAX_CASES = 1000


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@attrs.frozen(kw_only=True)
class SuspendedAccount:
    """A suspended account as the report lists it."""

    account_id: str
    customer: str
    since: date | None
    reasons: str
    outstanding: Money


@attrs.frozen(kw_only=True)
class PortfolioReport:
    """What the page shows.

    Attributes:
        as_of: The report's day.
        aging: Currency -> bucket -> open amount.
        cases: The case list.
        activity: Cash and messages per day over the window.
        suspended: The suspended accounts.
        accounts: How many accounts the portfolio holds.
        errors: Accounts left out because their data is invalid (``id: message``).
    """

    as_of: date
    aging: dict[str, dict[str, Money]]
    cases: Sequence[CaseRow]
    activity: DailyActivity
    suspended: Sequence[SuspendedAccount]
    accounts: int
    errors: Sequence[str] = ()


def render_html(report: PortfolioReport) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    css_hash = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
    policy = (
        f"default-src 'none'; style-src 'sha256-{css_hash}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    days = report.activity.days
    window = f"{days[0]} to {days[-1]}" if days else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Dunning report, {_e(report.as_of)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Dunning report</h1>",
        f'<p class="meta">As of {_e(report.as_of)}: {report.accounts} accounts, '
        f"{len(report.cases)} cases, {len(report.suspended)} suspended.</p>",
        _aging_section(report.aging),
        _cash_section(report.activity, window),
        _messages_section(report.activity, window),
        _suspended_section(report.suspended),
        _cases_section(report.cases),
        _errors_section(report.errors),
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _money_cell(amount: Money) -> str:
    return f'<td class="num">{_e(amount.amount)}</td>'


def _aging_section(aging: dict[str, dict[str, Money]]) -> str:
    out = ['<section id="aging">', "<h2>Aging by bucket and currency</h2>"]
    if not aging:
        out.append('<p class="empty">Nothing is open.</p></section>')
        return "\n".join(out)
    out.append('<div class="charts">')
    for currency, buckets in aging.items():
        out.append(_aging_chart(currency, buckets))
    out.append("</div>")
    out.append('<table id="aging-table">')
    header = "".join(f'<th class="num">{_e(b)}</th>' for b in _BUCKETS)
    out.append(f'<thead><tr><th>currency</th>{header}<th class="num">total</th></tr></thead>')
    out.append("<tbody>")
    for currency, buckets in aging.items():
        cells = "".join(_money_cell(buckets[b]) for b in _BUCKETS)
        total = Money.sum(buckets.values(), currency)
        out.append(
            f'<tr data-currency="{_e(currency)}"><th>{_e(currency)}</th>{cells}'
            f"{_money_cell(total)}</tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _aging_chart(currency: str, buckets: dict[str, Money]) -> str:
    top = max((buckets[b].amount for b in _BUCKETS), default=Decimal(0))
    left, bottom, plot_h = 16, _CHART_H - 34, _CHART_H - 64
    slot = (_CHART_W - 2 * left) // len(_BUCKETS)
    bars = []
    for i, (bucket, colour) in enumerate(zip(_BUCKETS, _BUCKET_COLOURS, strict=True)):
        amount = buckets[bucket].amount
        height = 0 if not top else max(2, int(plot_h * amount / top)) if amount else 0
        x = left + i * slot + 8
        bars.append(
            f'<rect x="{x}" y="{bottom - height}" width="{slot - 16}" height="{height}" '
            f'fill="{colour}"><title>{_e(bucket)}: {_e(amount)} {_e(currency)}</title></rect>'
            f'<text x="{x + (slot - 16) // 2}" y="{bottom + 16}" text-anchor="middle" '
            f'font-size="11" fill="#1d2430">{_e(bucket)}</text>'
            f'<text x="{x + (slot - 16) // 2}" y="{bottom - height - 4}" text-anchor="middle" '
            f'font-size="10" fill="#1d2430">{_e(amount)}</text>'
        )
    return (
        f"<figure><figcaption>{_e(currency)}</figcaption>"
        f'<svg class="chart aging-chart" data-currency="{_e(currency)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{_CHART_W}" height="{_CHART_H}" '
        f'viewBox="0 0 {_CHART_W} {_CHART_H}" role="img" '
        f'aria-label="aging of open amounts in {_e(currency)}">'
        f'<rect x="0" y="0" width="{_CHART_W}" height="{_CHART_H}" fill="#ffffff" '
        f'stroke="#d5dbe5"/>'
        f'<line x1="{left}" y1="{bottom}" x2="{_CHART_W - left}" y2="{bottom}" '
        f'stroke="#5a6577"/>'
        f"{''.join(bars)}</svg></figure>"
    )


def _cash_section(activity: DailyActivity, window: str) -> str:
    out = ['<section id="cash">', f"<h2>Cash collected per day ({_e(window)})</h2>"]
    if not activity.cash:
        out.append('<p class="empty">No cleared payment in the window.</p></section>')
        return "\n".join(out)
    out.append('<div class="charts">')
    for currency in activity.currencies:
        out.append(_daily_chart(activity, currency))
    out.append("</div>")
    currencies = activity.currencies
    header = "".join(f'<th class="num">{_e(c)}</th>' for c in currencies)
    out.append(f'<table id="cash-table"><thead><tr><th>day</th>{header}</tr></thead><tbody>')
    for day, per_currency in activity.cash.items():
        cells = "".join(_money_cell(per_currency.get(c, Money.zero(c))) for c in currencies)
        out.append(f"<tr><th>{_e(day)}</th>{cells}</tr>")
    totals = "".join(_money_cell(activity.cash_total(c)) for c in currencies)
    out.append(f"<tr><th>total</th>{totals}</tr></tbody></table></section>")
    return "\n".join(out)


def _daily_chart(activity: DailyActivity, currency: str) -> str:
    days = activity.days
    amounts = [
        activity.cash.get(day, {}).get(currency, Money.zero(currency)).amount for day in days
    ]
    top = max(amounts, default=Decimal(0))
    width, height, bottom = 8 * len(days) + 20, 120, 100
    bars = []
    for i, (day, amount) in enumerate(zip(days, amounts, strict=True)):
        if not amount or not top:
            continue
        h = max(2, int(80 * amount / top))
        bars.append(
            f'<rect x="{10 + 8 * i}" y="{bottom - h}" width="6" height="{h}" fill="#3d85c6">'
            f"<title>{_e(day)}: {_e(amount)} {_e(currency)}</title></rect>"
        )
    return (
        f"<figure><figcaption>{_e(currency)}</figcaption>"
        f'<svg class="chart cash-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="cash collected per day in {_e(currency)}">'
        f'<line x1="10" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#5a6577"/>'
        f"{''.join(bars)}</svg></figure>"
    )


def _messages_section(activity: DailyActivity, window: str) -> str:
    out = ['<section id="messages">', f"<h2>Messages sent per channel ({_e(window)})</h2>"]
    if not activity.messages:
        out.append('<p class="empty">No message sent in the window.</p></section>')
        return "\n".join(out)
    channels = activity.channels
    header = "".join(f'<th class="num">{_e(c)}</th>' for c in channels)
    out.append(f'<table id="messages-table"><thead><tr><th>day</th>{header}</tr></thead><tbody>')
    for day, per_channel in activity.messages.items():
        cells = "".join(f'<td class="num">{per_channel.get(c, 0)}</td>' for c in channels)
        out.append(f"<tr><th>{_e(day)}</th>{cells}</tr>")
    totals = "".join(f'<td class="num">{activity.messages_total(c)}</td>' for c in channels)
    out.append(f"<tr><th>total</th>{totals}</tr></tbody></table></section>")
    return "\n".join(out)


def _suspended_section(suspended: Sequence[SuspendedAccount]) -> str:
    out = ['<section id="suspended">', "<h2>Suspended accounts</h2>"]
    if not suspended:
        out.append('<p class="empty">No account is suspended.</p></section>')
        return "\n".join(out)
    out.append(
        '<table id="suspended-table"><thead><tr><th>account</th><th>customer</th>'
        '<th>since</th><th>reasons</th><th class="num">outstanding</th><th>currency</th>'
        "</tr></thead><tbody>"
    )
    for row in suspended:
        out.append(
            f"<tr><td>{_e(row.account_id)}</td><td>{_e(row.customer)}</td>"
            f"<td>{_e(row.since or '')}</td><td>{_e(row.reasons)}</td>"
            f"{_money_cell(row.outstanding)}<td>{_e(row.outstanding.currency)}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _cases_section(cases: Sequence[CaseRow]) -> str:
    out = ['<section id="cases">', "<h2>Case list</h2>"]
    if not cases:
        out.append('<p class="empty">No case.</p></section>')
        return "\n".join(out)
    shown = sorted(cases, key=lambda r: (-r.days_overdue, r.account_id, r.invoice or ""))
    if len(shown) > _MAX_CASES:
        out.append(
            f'<p class="meta">The {_MAX_CASES} most overdue of {len(shown)} cases; '
            "dunning cases --format csv gives them all.</p>"
        )
        shown = shown[:_MAX_CASES]
    out.append(
        '<table id="cases-table"><thead><tr><th>account</th><th>customer</th>'
        '<th>status</th><th>stage</th><th class="num">days overdue</th><th>currency</th>'
        '<th class="num">amount</th><th class="num">paid</th><th class="num">fees</th>'
        '<th class="num">outstanding</th><th>option</th><th>next action</th><th>on</th>'
        "</tr></thead><tbody>"
    )
    for row in shown:
        out.append(
            f"<tr><td>{_e(row.account_id)}</td><td>{_e(row.customer)}</td>"
            f"<td>{_e(row.status)}</td><td>{_e(row.stage)}</td>"
            f'<td class="num">{row.days_overdue}</td><td>{_e(row.currency)}</td>'
            f"{_money_cell(row.amount)}{_money_cell(row.paid)}{_money_cell(row.fees)}"
            f"{_money_cell(row.outstanding)}<td>{_e(row.option)}</td>"
            f"<td>{_e(row.next_action)}</td><td>{_e(row.next_action_on or '')}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _errors_section(errors: Sequence[str]) -> str:
    if not errors:
        return ""
    items = "".join(f"<li>{_e(error)}</li>" for error in errors)
    title = "<h2>Accounts left out (invalid data)</h2>"
    return f'<section id="errors">{title}<ul>{items}</ul></section>'
