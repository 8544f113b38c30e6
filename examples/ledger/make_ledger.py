"""Write the sample ledger of ``examples/ledger/`` (deterministic: run it again, get the
same files).

``python examples/ledger/make_ledger.py`` writes, in the formats an ERP exports:

- ``accounts.csv``: comma-separated, decimal point, 40 accounts in EUR, XPF, USD, GBP,
  JPY and CHF, with French, German, Spanish, New Caledonian, American, British, Japanese
  and Swiss locales and timezones;
- ``invoices.csv``: a French export: semicolon-separated, decimal comma, UTF-8 with a
  BOM (``--decimal comma``);
- ``credit-notes.tsv``: tab-separated;
- ``payments.jsonl``: JSON Lines, amounts as JSON numbers and strings, some payments
  without an account (identified from the invoice numbers in their bank reference),
  some direct debits still pending;
- ``advices.csv``: remittance advices for some payments (one with tax withheld);
- ``bad-invoices.csv``: a few deliberately bad rows, one per kind of mistake.

The ledger covers January to April 2026; ``dunning run --as-of 2026-03-01 --until
2026-04-29`` runs its 60 days.
"""

from __future__ import annotations

import codecs
import csv
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260301

# (currency, locale, timezone, country, city, postal code, names)
_MARKETS = (
    (
        "EUR",
        "fr_FR",
        "Europe/Paris",
        "FR",
        "Lyon",
        "69002",
        ("Boulangerie Martin", "Société Générale de Travaux", "Café de l'Époque", "Atelier Dubois"),
    ),
    (
        "EUR",
        "de_DE",
        "Europe/Berlin",
        "DE",
        "München",
        "80331",
        ("Müller & Söhne GmbH", "Bäckerei Weiß", "Schröder Logistik"),
    ),
    (
        "EUR",
        "es_ES",
        "Europe/Madrid",
        "ES",
        "Sevilla",
        "41001",
        ("José Pérez e Hijos", "Panadería Núñez"),
    ),
    (
        "XPF",
        "fr_NC",
        "Pacific/Noumea",
        "NC",
        "Nouméa",
        "98800",
        ("Boulangerie Kanak", "Pêcherie du Lagon", "Garage de Magenta"),
    ),
    (
        "USD",
        "en_US",
        "America/New_York",
        "US",
        "Albany",
        "12207",
        ("Acme Corp", "Hudson Valley Farms", "Blue Ridge Supplies"),
    ),
    (
        "GBP",
        "en_GB",
        "Europe/London",
        "GB",
        "Leeds",
        "LS1 4AP",
        ("Yorkshire Tea Rooms", "Thames Hardware Ltd"),
    ),
    (
        "JPY",
        "ja_JP",
        "Asia/Tokyo",
        "JP",
        "Osaka",
        "530-0001",
        ("株式会社さくら", "Kyoto Ceramics KK"),
    ),
    ("CHF", "de_CH", "Europe/Zurich", "CH", "Zürich", "8001", ("Käserei Gruyère AG",)),
)
_SCALE = {"EUR": 100, "USD": 100, "GBP": 100, "CHF": 100, "XPF": 1, "JPY": 1}
_RANGE = {
    "EUR": (8_000, 250_000),
    "USD": (8_000, 250_000),
    "GBP": (8_000, 200_000),
    "CHF": (8_000, 250_000),
    "XPF": (5_000, 900_000),
    "JPY": (5_000, 900_000),
}


def _amount(units: int, currency: str) -> Decimal:
    scale = _SCALE[currency]
    return Decimal(units) / scale if scale > 1 else Decimal(units)


def _fmt(amount: Decimal, currency: str, mark: str = ".") -> str:
    text = f"{amount:.2f}" if _SCALE[currency] > 1 else f"{amount:.0f}"
    return text.replace(".", mark)


def build() -> dict[str, list[dict[str, str]]]:
    """The rows of every file."""
    rng = random.Random(SEED)
    accounts: list[dict[str, str]] = []
    k = 0
    while len(accounts) < 40:
        for currency, locale, tz, country, city, postal, names in _MARKETS:
            for name in names:
                if len(accounts) >= 40:
                    break
                k += 1
                suffix = "" if k <= 22 else f" {k}"
                account_id = f"A-{k:04d}"
                large = k % 7 == 0
                accounts.append(
                    {
                        "id": account_id,
                        "name": f"{name}{suffix}",
                        "currency": currency,
                        "segment": "LARGE" if large else "SMALL",
                        "locale": locale,
                        "timezone": tz,
                        "credit_limit": _fmt(_amount(_RANGE[currency][1] * 6, currency), currency)
                        if k % 4 == 0
                        else "",
                        "terms": "NET30" if k % 5 else "NET45",
                        "contact_name": "Accounts payable",
                        "email": f"ap@{account_id.lower()}.example",
                        "mobile": f"+336{k:08d}" if k % 3 else "",
                        "address_line1": f"{k} rue du Commerce" if k % 11 else "",
                        "postal_code": postal,
                        "city": city,
                        "country": country,
                        "billing_entity_id": "E-GROUPE-MARTIN" if k in (1, 2) else "",
                        "tags": "no-dunning" if k == 9 else "",
                    }
                )
    invoices: list[dict[str, str]] = []
    payments: list[dict[str, object]] = []
    advices: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    start = date(2026, 1, 5)
    p = 0
    for a in accounts:
        currency = a["currency"]
        low, high = _RANGE[currency]
        behaviour = rng.choice(("prompt", "prompt", "late", "late", "very late", "never"))
        count = rng.randint(3, 7)
        for n in range(count):
            issued = start + timedelta(days=rng.randrange(0, 100))
            number = f"F-{a['id'][2:]}-{n + 1:02d}"
            amount = _amount(rng.randrange(low, high), currency)
            due = issued + timedelta(days=45 if a["terms"] == "NET45" else 30)
            invoices.append(
                {
                    "number": number,
                    "account_id": a["id"],
                    "issued_on": issued.isoformat(),
                    "due_on": due.isoformat(),
                    "amount": _fmt(amount, currency, ","),
                    "currency": currency,
                    "purchase_order": f"PO-{rng.randrange(10_000, 99_999)}" if n % 3 == 0 else "",
                }
            )
            delay = {"prompt": 0, "late": 20, "very late": 55, "never": 999}[behaviour]
            paid_on = due + timedelta(days=delay + rng.randrange(-5, 6))
            if paid_on > date(2026, 4, 28):
                continue
            p += 1
            payment_id = f"BANK-{p:05d}"
            unidentified = p % 9 == 0
            pending = p % 13 == 0
            partial = p % 6 == 0
            paid = (amount / 2).quantize(Decimal(1) / _SCALE[currency]) if partial else amount
            payment: dict[str, object] = {
                "id": payment_id,
                "account_id": None if unidentified else a["id"],
                "amount": _fmt(paid, currency) if p % 2 else Decimal(_fmt(paid, currency)),
                "currency": currency,
                "received_on": paid_on.isoformat(),
                "method": "DIRECT_DEBIT" if pending else rng.choice(("TRANSFER", "CARD")),
                "status": "PENDING" if pending else "CLEARED",
                "bank_reference": f"VIR {a['name'][:12]} {number}",
                "payer_name": a["name"],
            }
            payments.append(payment)
            if p % 10 == 4 and not unidentified and not pending:
                withheld = (paid * Decimal("0.05")).quantize(Decimal(1) / _SCALE[currency])
                advices.append(
                    {
                        "payment_id": payment_id,
                        "invoice_number": number,
                        "amount_paid": _fmt(paid - withheld, currency),
                        "currency": currency,
                        "tax_withheld": _fmt(withheld, currency) if p % 20 == 4 else "",
                        "reference": f"RA-{p:05d}",
                    }
                )
                if p % 20 == 4:
                    payment["amount"] = _fmt(paid - withheld, currency)
        if a["id"] in ("A-0003", "A-0012", "A-0020"):
            first = next(i for i in invoices if i["account_id"] == a["id"])
            notes.append(
                {
                    "number": f"AV-{a['id'][2:]}",
                    "account_id": a["id"],
                    "issued_on": first["issued_on"],
                    "amount": _fmt(_amount(low, currency), currency),
                    "currency": currency,
                    "credits_invoice": first["number"],
                    "reason": "damaged goods",
                }
            )
    invoices.sort(key=lambda row: (row["issued_on"], row["number"]))
    payments.sort(key=lambda row: (str(row["received_on"]), str(row["id"])))
    return {
        "accounts": accounts,
        "invoices": invoices,
        "credit-notes": notes,
        "payments": payments,  # type: ignore[dict-item]
        "advices": advices,
    }


BAD_INVOICES = [
    # each row shows one mistake the importer must name
    ["F-BAD-01", "A-0001", "2026-02-10", "2026-02-01", "120.00", "EUR", ""],  # due before issue
    ["F-BAD-02", "A-0001", "2026-02-30", "2026-03-30", "120.00", "EUR", ""],  # no such day
    ["F-BAD-03", "A-0001", "2026-02-01", "2026-03-01", "-50.00", "EUR", ""],  # negative
    ["F-BAD-04", "A-0001", "2026-02-01", "2026-03-01", "12.345", "EUR", ""],  # 3 decimals
    ["F-BAD-05", "A-0001", "2026-02-01", "2026-03-01", "120,00", "EUR", ""],  # decimal comma
    ["F-BAD-06", "A-0001", "2026-02-01", "2026-03-01", "120.00", "EUX", ""],  # no currency
    ["F-BAD-07", "A-9999", "2026-02-01", "2026-03-01", "120.00", "EUR", ""],  # no account
    ["F-BAD-08", "A-0013", "2026-02-01", "2026-03-01", "120.00", "EUR", ""],  # USD account
    ["", "A-0001", "2026-02-01", "2026-03-01", "120.00", "EUR", ""],  # no number
    ["F-BAD-10", "A-0019", "2026-02-01", "2026-03-01", "1500.5", "JPY", ""],  # yen decimals
]
_INVOICE_HEADER = [
    "number",
    "account_id",
    "issued_on",
    "due_on",
    "amount",
    "currency",
    "purchase_order",
]


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str, bom: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if bom:
            handle.write(codecs.BOM_UTF8.decode("utf-8"))
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write the files next to this script."""
    rows = build()
    _write_csv(HERE / "accounts.csv", rows["accounts"], ",")
    _write_csv(HERE / "invoices.csv", rows["invoices"], ";", bom=True)
    _write_csv(HERE / "credit-notes.tsv", rows["credit-notes"], "\t")
    _write_csv(HERE / "advices.csv", rows["advices"], ",")
    with (HERE / "payments.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for payment in rows["payments"]:
            handle.write(json.dumps(payment, ensure_ascii=False, default=float) + "\n")
    with (HERE / "bad-invoices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_INVOICE_HEADER)
        writer.writerows(BAD_INVOICES)


if __name__ == "__main__":
    main()
