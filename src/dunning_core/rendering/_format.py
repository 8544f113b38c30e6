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
    if isinstance(value, datetime):
        value = value.date()
    return _formatted_date(value, locale, style)


# babel parses the locale and looks its patterns up on every call: a portfolio's notices
# repeat the same due dates, day counts and list shapes, so each is asked once.
@lru_cache(maxsize=8192)
def _formatted_date(value: date, locale: str, style: str) -> str:
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(value, format=style, locale=locale))


@lru_cache(maxsize=8192)
def _formatted_int(value: int, locale: str) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=locale))


@lru_cache(maxsize=256)
def _list_patterns(locale: str) -> Mapping[str, str]:
    from babel import Locale

    return dict(Locale.parse(locale).list_patterns["standard"])


def format_list(items: Sequence[str], locale: str) -> str:
    """Items joined the locale's way (``"F-1, F-2 and F-3"``): babel's
    ``format_list``, with the locale's patterns looked up once."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    patterns = _list_patterns(locale)
    if len(items) == 2 and "2" in patterns:
        return patterns["2"].format(*items)
    result = patterns["start"].format(items[0], items[1])
    for item in items[2:-1]:
        result = patterns["middle"].format(result, item)
    return patterns["end"].format(result, items[-1])


def format_value(value: object, locale: str, words_locale: str | None = None) -> str:
    """Any context value as text for ``locale`` (see the module docstring)."""
    words = words_locale or locale
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return _formatted_int(value, locale)
    if isinstance(value, Decimal):
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=locale))
    if isinstance(value, date):
        return format_date(value, words)
    if isinstance(value, list | tuple):
        return format_list([format_value(item, locale, words) for item in value], words)
    if isinstance(value, Mapping) and "number" in value:
        return str(value["number"])
    return str(value)
