"""Sentences a support agent can read to the customer about a suspension (private).

Amounts, dates and lists are formatted with babel in the account's locale. The words
come from a small phrasebook, English and French (the seeds' collection teams write in
French); any other language falls back to English. Full per-locale templates belong to
the rendering layer; these sentences are what a decision carries for explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from dunning_core.money import Money

#: How many invoice numbers a sentence names before it says "and N more".
MAX_NAMED_INVOICES = 5

_EN: dict[str, str] = {
    "overdue_days": (
        "You have {amount} more than {limit} past due (the oldest, invoice {invoice}, "
        "is {days} late)."
    ),
    "broken_promise": (
        "You promised to pay {amount} by {date}, and the payment has not been received "
        "in full ({due} still due)."
    ),
    "insolvency_open": (
        "An insolvency proceeding ({kind}) opened on {date} is in progress; spending "
        "stops until the court rules."
    ),
    "insolvency_ruled": (
        "The court ruled on {date} on the insolvency proceeding ({kind}); service can "
        "continue on prepayment only."
    ),
    "credit_limit_exceeded": (
        "Your balance of {exposure} has reached your credit limit of {limit}."
    ),
    "manual_hold": "Our team suspended your account: {reason}",
    "resumes": "Service resumes once {clauses}.",
    "pay": "you pay {amount}",
    "pay_on": "you pay {amount} on {invoices}",
    "invoice_one": "invoice {numbers}",
    "invoice_many": "invoices {numbers}",
    "more": "{count} more",
    "ruling": "the court has ruled",
    "hold_end": "the hold ends on {date}",
    "hold_lifted": "our team lifts the hold",
    "review": "our team has reviewed your account",
    "day_one": "{n} day",
    "day_many": "{n} days",
    "BANKRUPTCY": "bankruptcy",
    "RECEIVERSHIP": "receivership",
    "SAFEGUARD": "safeguard",
    "ADMINISTRATION": "administration",
    "OTHER": "other",
}

_FR: dict[str, str] = {
    "overdue_days": (
        "Vous avez {amount} en retard de plus de {limit} (la facture la plus ancienne, "
        "{invoice}, a {days} de retard)."
    ),
    "broken_promise": (
        "Vous vous étiez engagé à payer {amount} au plus tard le {date}, et ce paiement "
        "n'a pas été reçu en totalité ({due} restent dus)."
    ),
    "insolvency_open": (
        "Une procédure collective ({kind}) ouverte le {date} est en cours ; les "
        "dépenses sont arrêtées jusqu'à la décision du tribunal."
    ),
    "insolvency_ruled": (
        "Le tribunal a statué le {date} sur la procédure collective ({kind}) ; le "
        "service ne peut reprendre qu'avec un paiement d'avance."
    ),
    "credit_limit_exceeded": (
        "Votre encours de {exposure} a atteint votre limite de crédit de {limit}."
    ),
    "manual_hold": "Notre équipe a suspendu votre compte : {reason}",
    "resumes": "Le service reprendra dès que {clauses}.",
    "pay": "vous aurez payé {amount}",
    "pay_on": "vous aurez payé {amount} sur {invoices}",
    "invoice_one": "la facture {numbers}",
    "invoice_many": "les factures {numbers}",
    "more": "{count} autres",
    "ruling": "le tribunal aura statué",
    "hold_end": "la suspension aura pris fin le {date}",
    "hold_lifted": "notre équipe aura levé la suspension",
    "review": "notre équipe aura examiné votre compte",
    "day_one": "{n} jour",
    "day_many": "{n} jours",
    "BANKRUPTCY": "liquidation judiciaire",
    "RECEIVERSHIP": "redressement judiciaire",
    "SAFEGUARD": "sauvegarde",
    "ADMINISTRATION": "administration judiciaire",
    "OTHER": "autre procédure",
}

_PHRASEBOOKS = {"en": _EN, "fr": _FR}


@lru_cache(maxsize=256)
def _phrasebook(locale: str) -> dict[str, str]:
    try:
        language = Locale.parse(locale).language
    except (UnknownLocaleError, ValueError, TypeError):
        language = "en"
    return _PHRASEBOOKS.get(language, _EN)


def phrase(locale: str, key: str, **values: object) -> str:
    """The phrase ``key`` in the language of ``locale``, with ``values`` substituted."""
    return _phrasebook(locale)[key].format(**values)


def days(locale: str, n: int) -> str:
    """The number of days in words: "1 day", "16 days" ("1 jour", "16 jours")."""
    # French treats 0 and 1 as singular; English only 1.
    singular = n == 1 or (n == 0 and _phrasebook(locale) is _FR)
    return phrase(locale, "day_one" if singular else "day_many", n=n)


@lru_cache(maxsize=1024)
def amount(locale: str, money: Money) -> str:
    """An amount as the customer reads it, e.g. "€1,240.00" or "1 240,00 €"."""
    # Cached: a reason and its decision's resumes_when usually show the same amount,
    # and babel's currency formatting is the costliest step of a decision.
    return money.format(locale)


@lru_cache(maxsize=4096)
def long_date(locale: str, day: date) -> str:
    """A date spelled out, e.g. "June 30, 2026" or "30 juin 2026"."""
    return str(format_date(day, format="long", locale=locale))


@lru_cache(maxsize=256)
def _list_patterns(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).list_patterns["standard"])
    except (UnknownLocaleError, ValueError, TypeError, KeyError):
        return dict(Locale.parse("en").list_patterns["standard"])


def and_list(locale: str, items: Sequence[str]) -> str:
    """Join ``items`` as "a, b and c" in the locale's words (CLDR standard patterns).

    Same result as ``babel.lists.format_list(items, locale=locale)``, with the
    patterns looked up once per locale: babel parses the locale on every call, which
    made lists the second costliest step of a decision.
    """
    if len(items) <= 1:
        return items[0] if items else ""
    patterns = _list_patterns(locale)
    if len(items) == 2:
        return patterns["2"].format(items[0], items[1])
    joined = patterns["start"].format(items[0], items[1])
    for item in items[2:-1]:
        joined = patterns["middle"].format(joined, item)
    return patterns["end"].format(joined, items[-1])


def invoices(locale: str, numbers: Sequence[str]) -> str:
    """Invoices in words: "invoice F-1", "invoices F-1 and F-2", or
    "invoices F-1, ..., F-5 and 3 more"."""
    named = list(numbers[:MAX_NAMED_INVOICES])
    if len(numbers) > MAX_NAMED_INVOICES:
        named.append(phrase(locale, "more", count=len(numbers) - MAX_NAMED_INVOICES))
    key = "invoice_one" if len(numbers) == 1 else "invoice_many"
    return phrase(locale, key, numbers=and_list(locale, named))
