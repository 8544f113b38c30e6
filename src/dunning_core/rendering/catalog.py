"""The built-in notices in English, French, German and Spanish, from gettext catalogs.

The texts are in :mod:`dunning_core.rendering._notices` (English, marked for
extraction); ``make messages`` runs babel's ``pybabel extract/update/compile`` and the
compiled catalogs ship in the wheel under ``dunning_core/rendering/locale``.

A locale is served by its own catalog, else by its language's (``fr_CA`` -> ``fr``),
else by English; :attr:`RenderedMessage.locale` says which text was used and
:attr:`RenderedMessage.requested_locale` what was asked. Amounts are formatted for the
locale asked (a Swiss customer reading English still sees ``CHF 1’234.50``); dates and
lists, which are words, in the language of the text.

>>> from datetime import date
>>> from dunning_core import Money
>>> message = CatalogRenderer().render(
...     "notice.first",
...     "fr_FR",
...     {
...         "customer_name": "ACME",
...         "invoice_numbers": ["F-1"],
...         "amount_due": Money("1200.50", "EUR"),
...         "due_on": date(2026, 1, 31),
...         "days_overdue": 2,
...         "pay_url": "https://pay.example/A-1",
...     },
... )
>>> message.subject, message.locale
('Premier avis : paiement en retard', 'fr')
>>> "Le retard de paiement est de 2 jours." in message.body
True
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from dunning_core.errors import RenderError
from dunning_core.money import Money
from dunning_core.ports import RenderedMessage
from dunning_core.rendering._format import format_date, format_value, language_of
from dunning_core.rendering._notices import ALIASES, COMMON, NOTICES, VARIABLES, Notice, Text
from dunning_core.rendering._substitute import substitute
from dunning_core.rendering.html import InvoiceTable, email_html

__all__ = ["DOMAIN", "LANGUAGES", "CatalogRenderer", "catalog_languages", "resolve_key"]

#: The gettext domain of the built-in texts.
DOMAIN: Final = "dunning_core"
#: The source language: its texts are the msgids, it needs no catalog.
SOURCE_LANGUAGE: Final = "en"


def _locale_dir() -> Any:
    return resources.files("dunning_core.rendering") / "locale"


@lru_cache(maxsize=1)
def catalog_languages() -> frozenset[str]:
    """The languages with a compiled catalog shipped in the package, plus English."""
    found = {SOURCE_LANGUAGE}
    root = _locale_dir()
    if root.is_dir():
        for entry in root.iterdir():
            if (entry / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                found.add(entry.name)
    return frozenset(found)


#: The languages the built-in texts come in (``en`` is the source).
LANGUAGES: Final = ("en", "fr", "de", "es")


@lru_cache(maxsize=32)
def _translations(catalog: str) -> gettext.NullTranslations:
    if catalog == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = _locale_dir() / catalog / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _catalog_for(locale: str, language: str) -> str:
    available = catalog_languages()
    for candidate in (locale, language):
        if candidate in available:
            return candidate
    return SOURCE_LANGUAGE


def resolve_key(template_key: str) -> tuple[Notice, Mapping[str, object]] | None:
    """The built-in notice a key names (directly, or as a preset stage key, with or
    without a channel suffix such as ``.sms``), and the values the alias fixes."""
    notice = NOTICES.get(template_key)
    if notice is not None:
        return notice, {}
    alias = ALIASES.get(template_key)
    if alias is not None:
        return NOTICES[alias[0]], alias[1]
    base, dot, suffix = template_key.rpartition(".")
    if dot and base in ALIASES:
        target, fixed = ALIASES[base]
        notice = NOTICES.get(f"{target}.{suffix}")
        if notice is not None:
            return notice, fixed
    return None


def notice_variables(notice: Notice) -> frozenset[str]:
    """Every variable a notice's context may hold."""
    return frozenset(name for group in notice.variables for name in VARIABLES[group])


class CatalogRenderer:
    """A :class:`~dunning_core.ports.Renderer` over the built-in gettext catalogs.

    Every built-in key (``notice.first``, ``reminder.overdue.sms``, ...) and every preset
    stage key (``first_notice``, ``mise_en_demeure``, ...) renders in English, French,
    German and Spanish, with an HTML part for email notices.
    """

    def template_keys(self) -> frozenset[str]:
        """Every key this renderer knows: built-in keys and the preset stage keys."""
        return frozenset(NOTICES) | frozenset(ALIASES)

    def has_language(self, locale: str) -> bool:
        """True when ``locale`` (or its language) has its own catalog."""
        return _catalog_for(locale, language_of(locale)) != SOURCE_LANGUAGE or (
            language_of(locale) == SOURCE_LANGUAGE
        )

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        """Render ``template_key`` for ``locale``.

        Raises:
            RenderError: no such key, or a placeholder is missing from ``context``.
            InvalidLocale: babel does not know ``locale``.
        """
        resolved = resolve_key(template_key)
        if resolved is None:
            raise RenderError(template_key, "no such template")
        notice, fixed = resolved
        return render_notice(notice, template_key, locale, {**context, **fixed})


def prepare(context: Mapping[str, object]) -> dict[str, object]:
    """The context with the derived values the texts use (``invoice_count``,
    ``creditor_reference_count``)."""
    values = dict(context)
    numbers = values.get("invoice_numbers")
    if "invoice_count" not in values and isinstance(numbers, list | tuple):
        values["invoice_count"] = len(numbers)
    references = values.get("creditor_references")
    if "creditor_reference_count" not in values and isinstance(references, str):
        values["creditor_reference_count"] = len(_references(references))
    return values


def _references(joined: str) -> list[str]:
    return [reference for reference in (r.strip() for r in joined.split(",")) if reference]


def _prints_references(notice: Notice, values: Mapping[str, object]) -> bool:
    """A notice to the customer about invoices (e-mail, letter; not an SMS or a call
    task) prints the RF creditor references, when the invoices have one."""
    references = values.get("creditor_references")
    return (
        notice.html
        and "invoices" in notice.variables
        and isinstance(references, str)
        and bool(_references(references))
    )


def translate(
    translations: gettext.NullTranslations, text: Text, values: Mapping[str, object]
) -> str:
    """The translation of ``text``, its plural form chosen by ``values[text.count]``."""
    if text.plural is None or text.count is None:
        return translations.pgettext(text.context, text.singular)
    count = values.get(text.count)
    if not isinstance(count, int):
        count = 2
    return translations.npgettext(text.context, text.singular, text.plural, count)


def _applies(text: Text, values: Mapping[str, object]) -> bool:
    return all(values.get(name) is not None for name in text.when)


def render_notice(
    notice: Notice, template_key: str, locale: str, context: Mapping[str, object]
) -> RenderedMessage:
    """Render a built-in notice (see :class:`CatalogRenderer`)."""
    language = language_of(locale)
    catalog = _catalog_for(locale, language)
    translations = _translations(catalog)
    words = locale if language_of(catalog) == language else catalog
    values = prepare(context)

    def text_of(text: Text) -> str:
        return substitute(
            template_key,
            translate(translations, text, values),
            values,
            lambda value: format_value(value, locale, words),
        )

    paragraphs = [text_of(text) for text in notice.paragraphs if _applies(text, values)]
    if _prints_references(notice, values):
        paragraphs.append(text_of(COMMON["creditor_reference"]))
    subject = "" if notice.subject is None else text_of(notice.subject)
    if notice.subject is None:
        return RenderedMessage(
            subject="",
            body="\n\n".join(paragraphs),
            locale=catalog,
            requested_locale=locale,
        )
    greeting = text_of(COMMON["greeting"])
    footer = [text_of(COMMON["already_paid"])] if notice.already_paid else []
    pay_url = str(values["pay_url"]) if notice.pay_link and values.get("pay_url") else None
    text_parts = [greeting, *paragraphs]
    if pay_url is not None:
        text_parts.append(text_of(COMMON["pay_online"]))
    text_parts.extend(footer)
    html = None
    if notice.html:
        html = email_html(
            lang=catalog.replace("_", "-"),
            subject=subject,
            paragraphs=[greeting, *paragraphs],
            table=invoice_table(values, locale, words, translations),
            pay_url=pay_url,
            pay_label=translations.pgettext(
                COMMON["pay_button"].context, COMMON["pay_button"].singular
            ),
            footer=footer,
        )
    return RenderedMessage(
        subject=subject,
        body="\n\n".join(text_parts),
        html=html,
        locale=catalog,
        requested_locale=locale,
    )


def invoice_table(
    values: Mapping[str, object],
    locale: str,
    words: str,
    translations: gettext.NullTranslations,
) -> InvoiceTable | None:
    """The invoice table of a notice whose context has ``invoices``, else ``None``."""
    invoices = values.get("invoices")
    if not isinstance(invoices, list | tuple) or not invoices:
        return None
    rows = []
    for invoice in invoices:
        if not isinstance(invoice, Mapping):
            return None
        amount = invoice.get("open_amount")
        due_on = invoice.get("due_on")
        rows.append(
            (
                str(invoice.get("number", "")),
                "" if due_on is None else format_date(due_on, words, "medium"),
                format_value(amount, locale, words) if amount is not None else "",
                format_value(invoice.get("days_late", 0), locale, words),
            )
        )

    def label(name: str) -> str:
        return translations.pgettext(COMMON[name].context, COMMON[name].singular)

    total = values.get("amount_due")
    return InvoiceTable(
        headers=(
            label("col_invoice"),
            label("col_due_on"),
            label("col_open"),
            label("col_days_late"),
        ),
        rows=tuple(rows),
        total_label=label("total"),
        total=format_value(total, locale, words) if isinstance(total, Money) else "",
    )


class Labels:
    """Built-in texts (notice parts and document labels) for one locale, formatted with
    babel like the notices: what the documents print their labels with.

    >>> Labels("de_DE")("page", page=1, pages=2)
    'Seite 1 von 2'

    Args:
        locale: The customer's locale.
    """

    def __init__(self, locale: str) -> None:
        from dunning_core.rendering._document_texts import DOCUMENT_TEXTS

        self.locale = locale
        language = language_of(locale)
        #: The catalog used (``"fr"``, or ``"en"`` when the language has none).
        self.catalog = _catalog_for(locale, language)
        self.words = locale if language_of(self.catalog) == language else self.catalog
        self._translations = _translations(self.catalog)
        self._texts = {**COMMON, **DOCUMENT_TEXTS}

    def __call__(self, name: str, /, **values: object) -> str:
        """The text ``name`` with ``values`` formatted for the locale.

        Raises:
            KeyError: no such text.
            RenderError: a placeholder has no value.
        """
        text = self._texts[name]
        return substitute(
            name,
            translate(self._translations, text, values),
            values,
            lambda value: format_value(value, self.locale, self.words),
        )

    def value(self, value: object) -> str:
        """A value (money, number, date, list) formatted as the texts format it."""
        return format_value(value, self.locale, self.words)

    def date(self, value: object, style: str = "medium") -> str:
        """A date in the locale's ``style`` (``short``, ``medium``, ``long``)."""
        from datetime import date as date_type

        if not isinstance(value, date_type):
            return str(value)
        return format_date(value, self.words, style)
