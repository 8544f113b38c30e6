"""Values formatted for a locale with babel: the one place renderers and documents share.

Money keeps its ISO 4217 minor unit (:meth:`Money.format`); dates use the locale's
long (or given) format; lists are joined the locale's way ("F-1, F-2 et F-3"); ints go
through babel's number format; anything else is ``str``.

``words_locale`` is the locale for what is written in words (month names, "and"):
when the text fell back to English for a Vietnamese account, the amounts keep the
account's separators but the dates are spelt in English, not in a language the rest
of the message is not in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from dunning_core.errors import InvalidLocale
from dunning_core.money import Money

__all__ = ["format_date", "format_list", "format_money", "format_value", "language_of"]


@lru_cache(maxsize=256)
def language_of(locale: str) -> str:
    """The language of a locale known to babel (``"fr_NC"`` -> ``"fr"``).

    Raises:
        InvalidLocale: babel (CLDR) does not know ``locale``.
    """
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(locale.replace("-", "_")).language)
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        raise InvalidLocale("locale", locale, "babel (CLDR) does not know this locale") from None


def format_money(value: Money, locale: str) -> str:
    """``value`` in ``locale`` with exactly its currency's ISO 4217 decimals."""
    return value.format(locale)


def format_date(value: date, locale: str, style: str = "long") -> str:
    """A date in ``locale``; ``style`` is babel's ``short``/``medium``/``long``/``full``."""
    from babel.dates import format_date as babel_format_date

    if isinstance(value, datetime):
        value = value.date()
    return str(babel_format_date(value, format=style, locale=locale))


def format_list(items: Sequence[str], locale: str) -> str:
    """Items joined the locale's way (``"F-1, F-2 and F-3"``)."""
    from babel.lists import format_list as babel_format_list

    if not items:
        return ""
    return str(babel_format_list(list(items), locale=locale))


def format_value(value: object, locale: str, words_locale: str | None = None) -> str:
    """Any context value as text for ``locale`` (see the module docstring)."""
    words = words_locale or locale
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=locale))
    if isinstance(value, date):
        return format_date(value, words)
    if isinstance(value, list | tuple):
        return format_list([format_value(item, locale, words) for item in value], words)
    if isinstance(value, Mapping) and "number" in value:
        return str(value["number"])
    return str(value)
