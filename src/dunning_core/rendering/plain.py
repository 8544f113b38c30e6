"""A plain-text renderer with English and French texts for the usual dunning notices.

Templates use ``{name}`` placeholders only; ``{{`` and ``}}`` stand for literal braces.
Substitution is a single pass over the template: a value that itself contains
``{...}`` is inserted as text, never expanded, and there is no attribute access,
indexing or format spec, so a template cannot reach into the objects it is given.

Values are formatted for the locale: :class:`~dunning_core.money.Money` with its
ISO 4217 decimals, dates in the locale's long form, lists and tuples joined with
commas, anything else with ``str``.

>>> from datetime import date
>>> from dunning_core import Money
>>> message = PlainRenderer().render(
...     "notice.first",
...     "fr_FR",
...     {
...         "customer_name": "ACME",
...         "invoice_numbers": ["F-1"],
...         "amount_due": Money("1200.50", "EUR"),
...         "due_on": date(2026, 1, 31),
...         "days_overdue": 10,
...         "pay_url": "https://pay.example/A-1",
...     },
... )
>>> message.subject
'Premier avis - paiement en retard'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Final

from dunning_core.errors import InvalidLocale, RenderError
from dunning_core.money import Money
from dunning_core.ports import RenderedMessage

__all__ = ["DEFAULT_TEMPLATES", "PlainRenderer"]

_EN_CLOSING = "\n\nPay online: {pay_url}\n\nIf you have already paid, please ignore this message."
_FR_CLOSING = (
    "\n\nPayer en ligne : {pay_url}\n\n"
    "Si vous avez déjà réglé, merci de ne pas tenir compte de ce message."
)

# The generic texts, ``(template key, language) -> (subject, body)``.
_GENERIC_TEMPLATES: Final[Mapping[tuple[str, str], tuple[str, str]]] = {
    ("reminder.before_due", "en"): (
        "Invoice {invoice_numbers} is due on {due_on}",
        "Dear {customer_name},\n\nA friendly reminder that {amount_due} for invoice "
        "{invoice_numbers} is due on {due_on}." + _EN_CLOSING,
    ),
    ("reminder.before_due", "fr"): (
        "Votre facture {invoice_numbers} arrive à échéance le {due_on}",
        "Bonjour {customer_name},\n\nNous vous rappelons que la somme de {amount_due} "
        "(facture {invoice_numbers}) est à régler le {due_on}." + _FR_CLOSING,
    ),
    ("reminder.due_today", "en"): (
        "Invoice {invoice_numbers} is due today",
        "Dear {customer_name},\n\nInvoice {invoice_numbers} for {amount_due} is due today."
        + _EN_CLOSING,
    ),
    ("reminder.due_today", "fr"): (
        "Votre facture {invoice_numbers} arrive à échéance aujourd'hui",
        "Bonjour {customer_name},\n\nLa facture {invoice_numbers} d'un montant de "
        "{amount_due} est à régler aujourd'hui." + _FR_CLOSING,
    ),
    ("reminder.overdue", "en"): (
        "Invoice {invoice_numbers} is overdue",
        "Dear {customer_name},\n\nInvoice {invoice_numbers} for {amount_due} was due on "
        "{due_on} and is now {days_overdue} days overdue." + _EN_CLOSING,
    ),
    ("reminder.overdue", "fr"): (
        "Votre facture {invoice_numbers} est échue",
        "Bonjour {customer_name},\n\nLa facture {invoice_numbers} d'un montant de "
        "{amount_due}, échue le {due_on}, reste impayée depuis {days_overdue} jours." + _FR_CLOSING,
    ),
    ("notice.first", "en"): (
        "First notice - payment overdue",
        "Dear {customer_name},\n\nOur records show {amount_due} unpaid on invoice "
        "{invoice_numbers}, {days_overdue} days past its due date of {due_on}." + _EN_CLOSING,
    ),
    ("notice.first", "fr"): (
        "Premier avis - paiement en retard",
        "Bonjour {customer_name},\n\nSauf erreur de notre part, la somme de {amount_due} "
        "(facture {invoice_numbers}) reste impayée {days_overdue} jours après son échéance "
        "du {due_on}." + _FR_CLOSING,
    ),
    ("notice.second", "en"): (
        "Second notice - payment overdue",
        "Dear {customer_name},\n\nDespite our first notice, {amount_due} remains unpaid on "
        "invoice {invoice_numbers}." + _EN_CLOSING,
    ),
    ("notice.second", "fr"): (
        "Deuxième avis - paiement en retard",
        "Bonjour {customer_name},\n\nMalgré notre premier avis, la somme de {amount_due} "
        "(facture {invoice_numbers}) reste impayée." + _FR_CLOSING,
    ),
    ("notice.termination_warning", "en"): (
        "Notice - your account will be terminated in {days} days",
        "Dear {customer_name},\n\n{amount_due} remains unpaid on invoice {invoice_numbers}. "
        "Without payment, your account will be terminated in {days} days." + _EN_CLOSING,
    ),
    ("notice.termination_warning", "fr"): (
        "Avis - votre compte sera résilié dans {days} jours",
        "Bonjour {customer_name},\n\nLa somme de {amount_due} (facture {invoice_numbers}) "
        "reste impayée. Sans règlement, votre compte sera résilié dans {days} jours." + _FR_CLOSING,
    ),
    ("notice.terminated", "en"): (
        "Legal notice - account terminated",
        "Dear {customer_name},\n\nAs {amount_due} remains unpaid on invoice "
        "{invoice_numbers}, your account has been terminated. The amount remains due.",
    ),
    ("notice.terminated", "fr"): (
        "Avis légal - compte résilié",
        "Bonjour {customer_name},\n\nLa somme de {amount_due} (facture {invoice_numbers}) "
        "restant impayée, votre compte a été résilié. Cette somme reste due.",
    ),
    ("collection.handover", "en"): (
        "Your file has been handed over to our collection partner",
        "Dear {customer_name},\n\nAs {amount_due} remains unpaid on invoice "
        "{invoice_numbers} after our reminders, your file has been handed over to our "
        "collection partner, who will contact you.",
    ),
    ("collection.handover", "fr"): (
        "Votre dossier est transmis à notre partenaire de recouvrement",
        "Bonjour {customer_name},\n\nLa somme de {amount_due} (facture {invoice_numbers}) "
        "restant impayée malgré nos relances, votre dossier est transmis à notre "
        "partenaire de recouvrement, qui prendra contact avec vous.",
    ),
    ("account.suspended", "en"): (
        "Your service is suspended",
        "Dear {customer_name},\n\nYour service is suspended: {reason}. It resumes "
        "automatically once your payment is received and allocated." + _EN_CLOSING,
    ),
    ("account.suspended", "fr"): (
        "Votre service est suspendu",
        "Bonjour {customer_name},\n\nVotre service est suspendu : {reason}. Il reprendra "
        "automatiquement dès réception et affectation de votre paiement." + _FR_CLOSING,
    ),
    ("account.reactivated", "en"): (
        "Your service is active again",
        "Dear {customer_name},\n\nThank you: your payment has been received and your "
        "service is active again.",
    ),
    ("account.reactivated", "fr"): (
        "Votre service est réactivé",
        "Bonjour {customer_name},\n\nMerci : votre paiement a bien été reçu et votre "
        "service est réactivé.",
    ),
    ("credit.alert", "en"): (
        "You have used {threshold}% of your credit limit",
        "Dear {customer_name},\n\nYour outstanding balance of {balance} has reached "
        "{threshold}% of your credit limit of {credit_limit}.",
    ),
    ("credit.alert", "fr"): (
        "Vous avez atteint {threshold} % de votre limite de crédit",
        "Bonjour {customer_name},\n\nVotre encours de {balance} atteint {threshold} % de "
        "votre limite de crédit de {credit_limit}.",
    ),
}


# The preset ladders' template keys (their stage keys, see
# dunning_core.policies.ladder.presets), mapped to the texts above or their own.
_PRESET_ALIASES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "due_soon": ("reminder.before_due", {}),
    "due_today": ("reminder.due_today", {}),
    "overdue": ("reminder.overdue", {}),
    "first_notice": ("notice.first", {}),
    "second_notice": ("notice.second", {}),
    "termination_in_10_days": ("notice.termination_warning", {"days": "10"}),
    "termination_in_5_days": ("notice.termination_warning", {"days": "5"}),
    "account_terminated": ("notice.terminated", {}),
    "reminder_1": ("reminder.overdue", {}),
    "reminder_2": ("notice.second", {}),
    "relance_email": ("reminder.overdue", {}),
}

_PRESET_TEXTS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("relance_sms", "en"): (
        "Payment reminder",
        "{customer_name}: {amount_due} unpaid on invoice {invoice_numbers}. Pay: {pay_url}",
    ),
    ("relance_sms", "fr"): (
        "Rappel de paiement",
        "{customer_name} : {amount_due} impayés (facture {invoice_numbers}). Payer : {pay_url}",
    ),
    ("appel", "en"): (
        "Call {customer_name} about {amount_due} overdue",
        "Call {customer_name} about invoice {invoice_numbers}: {amount_due}, "
        "{days_overdue} days overdue (due {due_on}). Write the call report when done.",
    ),
    ("appel", "fr"): (
        "Appeler {customer_name} : {amount_due} impayés",
        "Appeler {customer_name} au sujet de la facture {invoice_numbers} : {amount_due}, "
        "en retard de {days_overdue} jours (échéance du {due_on}). Rédiger le compte rendu "
        "d'appel.",
    ),
    ("mise_en_demeure", "en"): (
        "Formal notice to pay",
        "{customer_name},\n\nDespite our reminders, {amount_due} remains unpaid on invoice "
        "{invoice_numbers}, due on {due_on}. We hereby give you formal notice to pay this "
        "sum within eight days of receiving this letter, failing which we will take legal "
        "action to recover it without further notice.",
    ),
    ("mise_en_demeure", "fr"): (
        "Mise en demeure de payer",
        "{customer_name},\n\nMalgré nos relances, la somme de {amount_due} (facture "
        "{invoice_numbers}, échue le {due_on}) reste impayée. Par la présente, nous vous "
        "mettons en demeure de régler cette somme sous huit jours à compter de la "
        "réception de ce courrier, faute de quoi nous engagerons sans autre préavis une "
        "procédure judiciaire de recouvrement.",
    ),
    ("order_cancelled", "en"): (
        "Your order is cancelled",
        "Dear {customer_name},\n\nAs {amount_due} remains unpaid on invoice "
        "{invoice_numbers} after our reminders and the collection procedure, your order "
        "is cancelled.",
    ),
    ("order_cancelled", "fr"): (
        "Votre commande est annulée",
        "Bonjour {customer_name},\n\nLa somme de {amount_due} (facture {invoice_numbers}) "
        "restant impayée malgré nos relances et la procédure de recouvrement, votre "
        "commande est annulée.",
    ),
}


def _with_presets(
    base: Mapping[tuple[str, str], tuple[str, str]],
) -> dict[tuple[str, str], tuple[str, str]]:
    table = dict(base)
    for alias, (key, fixed) in _PRESET_ALIASES.items():
        for language in ("en", "fr"):
            subject, body = base[(key, language)]
            for name, value in fixed.items():
                subject = subject.replace("{" + name + "}", value)
                body = body.replace("{" + name + "}", value)
            table[(alias, language)] = (subject, body)
    table.update(_PRESET_TEXTS)
    return table


#: ``(template key, language) -> (subject, body)``: the generic keys and the preset
#: ladders' template keys.
DEFAULT_TEMPLATES: Final[Mapping[tuple[str, str], tuple[str, str]]] = _with_presets(
    _GENERIC_TEMPLATES
)

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@lru_cache(maxsize=64)
def _language(locale: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(locale).language)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidLocale("locale", locale, "babel (CLDR) does not know this locale") from None


@lru_cache(maxsize=4096)
def _long_date(value: date, locale: str) -> str:
    # Due dates repeat across a portfolio: babel is asked once per day and locale.
    from babel.dates import format_date

    return str(format_date(value, format="long", locale=locale))


def _format(value: object, locale: str) -> str:
    if isinstance(value, Money):
        return value.format(locale)
    if isinstance(value, date) and not isinstance(value, datetime):
        return _long_date(value, locale)
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(item, locale) for item in value)
    return str(value)


class PlainRenderer:
    """A :class:`~dunning_core.ports.Renderer` over a table of plain-text templates.

    Args:
        templates: Extra or replacement templates, ``(key, locale or language) ->
            (subject, body)``; they win over :data:`DEFAULT_TEMPLATES`.
    """

    def __init__(self, templates: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> None:
        self._templates = {**DEFAULT_TEMPLATES, **(templates or {})}

    def template_keys(self) -> frozenset[str]:
        """Every template key known in at least one language."""
        return frozenset(key for key, _ in self._templates)

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        """Render ``template_key`` for ``locale``: the locale's own text, else its
        language's, else English.

        Raises:
            RenderError: no such template, or a placeholder is missing from ``context``.
            InvalidLocale: babel does not know ``locale``.
        """
        language = _language(locale)
        for variant in (locale, language, "en"):
            found = self._templates.get((template_key, variant))
            if found is not None:
                subject, body = found
                break
        else:
            raise RenderError(template_key, "no such template")
        formatted: dict[str, str] = {}  # a value in the subject and the body: once
        return RenderedMessage(
            subject=_one_line(_substitute(template_key, subject, locale, context, formatted)),
            body=_substitute(template_key, body, locale, context, formatted),
        )


# Line breaks and other control characters in a subject line: a value put in it (a
# customer's name typed with a newline) must not start a new header line.
_NOT_IN_A_SUBJECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(subject: str) -> str:
    return _NOT_IN_A_SUBJECT.sub(" ", subject)


def _substitute(
    template_key: str,
    template: str,
    locale: str,
    context: Mapping[str, object],
    formatted: dict[str, str],
) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]  # "{{" -> "{", "}}" -> "}"
        text = formatted.get(name)
        if text is None:
            if name not in context:
                raise RenderError(template_key, f"no value for placeholder {{{name}}}")
            text = formatted[name] = _format(context[name], locale)
        return text

    return _PLACEHOLDER.sub(replace, template)
