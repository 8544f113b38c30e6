"""Money: an exact ``Decimal`` amount in one ISO 4217 currency.

An amount is always a whole number of the currency's ISO 4217 minor unit (cents for
EUR, whole yen for JPY, fils for BHD). The constructor refuses anything finer, and
refuses floats outright; :meth:`Money.of` rounds explicitly when the caller means it.

Amounts are bounded: at most :data:`MAX_MINOR_UNITS` (10^18 - 1) minor units of either
sign, which every store keeps exactly (a signed 64-bit integer column holds it). A
larger amount is refused with :class:`~dunning_core.errors.AmountTooLarge`, at
construction and when arithmetic would reach it. Arithmetic runs in the module's own
decimal context, so a caller who lowered ``decimal.getcontext().prec`` (or raised a
trap) changes nothing here.

>>> from decimal import Decimal
>>> Money("12.50", "EUR") + Money(Decimal("0.75"), "EUR")
Money('13.25', 'EUR')
>>> [str(part) for part in Money("10.00", "EUR").split(3)]
['3.34 EUR', '3.33 EUR', '3.33 EUR']
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import lru_cache
from typing import Any, Final, cast

import attrs

from dunning_core._iso4217 import MINOR_UNITS, NO_MINOR_UNIT
from dunning_core.errors import (
    AmountTooLarge,
    CurrencyMismatch,
    InvalidAmount,
    InvalidField,
    UnknownCurrency,
)

__all__ = ["MAX_MINOR_UNITS", "Money", "minor_unit"]

#: The largest amount, in minor units, of either sign: 10^18 - 1 (18 digits), about
#: 10 quadrillion euros. It fits a signed 64-bit integer (SQLite's INTEGER,
#: PostgreSQL's BIGINT) with room to spare, so every store holds every amount exactly.
MAX_MINOR_UNITS: Final = 10**18 - 1
_MAX_DIGITS: Final = 18

# Wide enough for any sum of bounded amounts (18 digits; 40 leave 22 for carries), so
# additions, subtractions and whole multiples are exact whatever the caller's context.
_CONTEXT: Final = Context(
    prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_add = _CONTEXT.add
_subtract = _CONTEXT.subtract
_new = object.__new__
_set = object.__setattr__

# Quantum per currency, e.g. Decimal("0.01") for EUR: built once, used on every check.
_QUANTUM: Final[dict[str, Decimal]] = {
    code: Decimal(1).scaleb(-digits, context=_CONTEXT) for code, digits in MINOR_UNITS.items()
}
# A non-zero quantized amount is too large when its adjusted exponent (the power of ten
# of its leading digit) reaches this: 16 for EUR (10^16 EUR = 10^18 cents).
_TOO_LARGE: Final[dict[str, int]] = {
    code: _MAX_DIGITS - digits for code, digits in MINOR_UNITS.items()
}

# Plain decimal text only: ASCII digits, one optional point, an optional exponent.
# Decimal() alone also reads "1_000", Arabic-Indic or full-width digits, "NaN".
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def minor_unit(currency: str) -> int:
    """Return the ISO 4217 minor unit (number of decimals) of ``currency``.

    Args:
        currency: An ISO 4217 alphabetic code such as ``"EUR"``.

    Returns:
        0 for JPY, 2 for EUR, 3 for BHD, 4 for CLF.

    Raises:
        UnknownCurrency: The code is not an active ISO 4217 code with a minor unit.
    """
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise _unknown(currency) from None


def _unknown(currency: object) -> UnknownCurrency:
    if isinstance(currency, str) and currency in NO_MINOR_UNIT:
        problem = "ISO 4217 gives this code no minor unit; it cannot be an amount of money"
    else:
        problem = "not an active ISO 4217 currency code"
    return UnknownCurrency("Money.currency", currency, problem)


def _to_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, float):
        # TypeError, not a DunningError: a float here is a programming error, and
        # converting it would silently carry binary noise (0.1 + 0.2) into money.
        raise TypeError(
            f"{field}={value!r}: floats are not accepted for money; pass a str or Decimal"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise InvalidAmount(
                field, value, "not a decimal number (ASCII digits, '.', optional exponent)"
            )
        try:
            result = Decimal(text)
        except InvalidOperation:  # an exponent past what decimal can hold at all
            raise InvalidAmount(field, value, "exponent out of range") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise TypeError(
            f"{field}={value!r}: expected Decimal, str or int, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise InvalidAmount(field, value, "amount must be finite")
    return result


def _too_large(field: str, value: object, currency: str) -> AmountTooLarge:
    return AmountTooLarge(
        field,
        value,
        f"beyond the largest amount, {MAX_MINOR_UNITS} minor units of {currency} "
        "(see dunning_core.money.MAX_MINOR_UNITS)",
    )


@attrs.frozen(eq=False, order=False, repr=False, init=False)
class Money:
    """An exact amount of one currency.

    ``Money(amount, currency)`` accepts a ``Decimal``, a ``str`` or an ``int`` amount and
    an ISO 4217 code. The amount is stored quantized to the currency's minor unit, so
    ``Money("5", "EUR").amount == Decimal("5.00")``.

    Arithmetic (``+``, ``-``, unary ``-``, ``abs``), comparison and ``sum()`` work within
    one currency; combining two currencies raises :class:`CurrencyMismatch`. Equality
    across currencies is simply ``False``, so Money can live in sets and dict keys.

    Args:
        amount: The amount, exact to the currency's minor unit.
        currency: An ISO 4217 alphabetic code known to babel with a minor unit.

    Raises:
        TypeError: ``amount`` is a float (or another non-decimal type).
        InvalidAmount: ``amount`` is finer than the minor unit, or not plain decimal
            text (ASCII digits; no ``_`` separators, no other scripts' digits).
        AmountTooLarge: ``amount`` is beyond :data:`MAX_MINOR_UNITS` minor units.
        UnknownCurrency: ``currency`` is not an ISO 4217 code with a minor unit.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | str | int, currency: str) -> None:
        digits = minor_unit(currency)
        value = _to_decimal(amount, "Money.amount")
        if value and value.adjusted() >= _TOO_LARGE[currency]:
            raise _too_large("Money.amount", amount, currency)
        quantum = _QUANTUM[currency]
        exponent = cast(int, value.as_tuple().exponent)
        if exponent < -digits:
            quantized = value.quantize(quantum, context=_CONTEXT)
            if quantized != value:
                raise InvalidAmount(
                    "Money.amount",
                    amount,
                    f"{currency} has {digits} decimal(s) (ISO 4217 minor unit); "
                    "use Money.of(..., rounding=...) to round explicitly",
                )
            value = quantized
        elif exponent != -digits:
            value = value.quantize(quantum, context=_CONTEXT)
        if not value and value.is_signed():
            value = _CONTEXT.copy_abs(value)  # "-0" is zero: never show "-0.00"
        object.__setattr__(self, "amount", value)
        object.__setattr__(self, "currency", currency)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        """Build without validation; ``amount`` must already be quantized and bounded."""
        self = object.__new__(cls)
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", currency)
        return self

    @classmethod
    def _result(cls, amount: Decimal, currency: str) -> Money:
        """Build from a quantized arithmetic result: refuse it past the maximum, and
        turn a negative zero into zero."""
        if amount:
            if amount.adjusted() >= _TOO_LARGE[currency]:
                raise _too_large("Money.amount", amount, currency)
        elif amount.is_signed():
            amount = _CONTEXT.copy_abs(amount)
        return cls._exact(amount, currency)

    @classmethod
    def of(
        cls, value: Decimal | str | int, currency: str, *, rounding: str = ROUND_HALF_EVEN
    ) -> Money:
        """Round ``value`` to the currency's minor unit and return the Money.

        Args:
            value: Any decimal amount (not a float).
            currency: An ISO 4217 code.
            rounding: A ``decimal`` rounding mode; banker's rounding by default.

        Returns:
            The rounded Money.

        >>> Money.of("12.505", "EUR")
        Money('12.50', 'EUR')
        >>> from decimal import ROUND_HALF_UP
        >>> Money.of("12.505", "EUR", rounding=ROUND_HALF_UP)
        Money('12.51', 'EUR')
        """
        minor_unit(currency)
        exact = _to_decimal(value, "Money.amount")
        if exact and exact.adjusted() >= _TOO_LARGE[currency]:
            raise _too_large("Money.amount", value, currency)
        rounded = exact.quantize(_QUANTUM[currency], rounding=rounding, context=_CONTEXT)
        return cls._result(rounded, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        minor_unit(currency)
        return cls._exact(_QUANTUM[currency] * 0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Build from an integer count of minor units (cents, fils, yen).

        >>> Money.from_minor(123456, "BHD")
        Money('123.456', 'BHD')
        """
        if not isinstance(units, int) or isinstance(units, bool):
            raise InvalidAmount("Money.minor_units", units, "expected an int")
        digits = minor_unit(currency)
        if not -MAX_MINOR_UNITS <= units <= MAX_MINOR_UNITS:
            raise _too_large("Money.minor_units", units, currency)
        return cls._exact(Decimal(units).scaleb(-digits, context=_CONTEXT), currency)

    @classmethod
    def sum(cls, values: Iterable[Money], currency: str) -> Money:
        """Add ``values``, all in ``currency``; the empty sum is zero in ``currency``.

        Raises:
            CurrencyMismatch: One of the values is in another currency.
            AmountTooLarge: The total is beyond :data:`MAX_MINOR_UNITS`.
        """
        total = cls.zero(currency).amount
        # One local context for the loop: operators then run at their own speed.
        with localcontext(_CONTEXT):
            for value in values:
                if value.currency != currency:
                    raise CurrencyMismatch(currency, value.currency, "Money.sum")
                total += value.amount
        return cls._result(total, currency)

    # -- views ----------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units (what storage keeps)."""
        return int(self.amount.scaleb(MINOR_UNITS[self.currency], context=_CONTEXT))

    @property
    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return not self.amount

    @property
    def is_positive(self) -> bool:
        """True when the amount is above zero."""
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    # -- arithmetic -----------------------------------------------------------------------

    def _check(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency, op)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        currency = self.currency
        if currency != other.currency:
            raise CurrencyMismatch(currency, other.currency, "+")
        # Inlined _result (the hot path of every statement): two zeros of either operand
        # are never negative, so neither is their sum; only the bound needs checking.
        total = _add(self.amount, other.amount)
        if total and total.adjusted() >= _TOO_LARGE[currency]:
            raise _too_large("Money.amount", total, currency)
        result = _new(Money)
        _set(result, "amount", total)
        _set(result, "currency", currency)
        return result

    def __radd__(self, other: object) -> Money:
        # Lets the builtin sum() start from its int 0.
        if other == 0 and not isinstance(other, Money):
            return self
        if isinstance(other, Money):
            return other.__add__(self)
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        currency = self.currency
        if currency != other.currency:
            raise CurrencyMismatch(currency, other.currency, "-")
        difference = _subtract(self.amount, other.amount)  # x - x is +0 in this context
        if difference and difference.adjusted() >= _TOO_LARGE[currency]:
            raise _too_large("Money.amount", difference, currency)
        result = _new(Money)
        _set(result, "amount", difference)
        _set(result, "currency", currency)
        return result

    def __neg__(self) -> Money:
        return Money._exact(_CONTEXT.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._exact(_CONTEXT.copy_abs(self.amount), self.currency)

    def __mul__(self, factor: int) -> Money:
        """Multiply by a whole number (exact). Use :meth:`times` for a decimal factor."""
        if isinstance(factor, int) and not isinstance(factor, bool):
            if self.amount and abs(factor) > MAX_MINOR_UNITS:
                raise _too_large("Money.amount", f"{self.amount} * {factor}", self.currency)
            return Money._result(_CONTEXT.multiply(self.amount, factor), self.currency)
        return NotImplemented

    __rmul__ = __mul__

    def times(self, factor: Decimal | int | str, *, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Multiply by a decimal factor and round once to the minor unit.

        >>> Money("100.00", "EUR").times("0.055")
        Money('5.50', 'EUR')

        Raises:
            InvalidAmount: ``factor`` is not a finite decimal.
            AmountTooLarge: the product is beyond :data:`MAX_MINOR_UNITS`.
        """
        multiplier = _to_decimal(factor, "factor")
        if not (self.amount and multiplier):
            return Money.zero(self.currency)
        if self.amount.adjusted() + multiplier.adjusted() >= _TOO_LARGE[self.currency] + 1:
            raise _too_large("Money.amount", f"{self.amount} * {factor}", self.currency)
        # A context as wide as both operands' digits: the product is exact, and rounded
        # once, to the minor unit, by Money.of.
        digits = len(self.amount.as_tuple().digits) + len(multiplier.as_tuple().digits)
        exact = Context(prec=max(digits, 28), traps=[InvalidOperation]).multiply(
            self.amount, multiplier
        )
        return Money.of(exact, self.currency, rounding=rounding)

    def min(self, other: Money) -> Money:
        """The smaller of two amounts of the same currency."""
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        """The larger of two amounts of the same currency."""
        return self if self >= other else other

    # -- distribution ---------------------------------------------------------------------

    def split(self, n: int) -> tuple[Money, ...]:
        """Split into ``n`` parts that differ by at most one minor unit and add up exactly.

        Earlier parts receive the extra units.

        Raises:
            InvalidField: ``n`` is not a positive int.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidField("n", n, "must be a positive int")
        return self.allocate([1] * n)

    def allocate(self, ratios: Sequence[int | Decimal | str]) -> tuple[Money, ...]:
        """Distribute in proportion to ``ratios`` without losing or creating a minor unit.

        Uses the largest-remainder method on whole minor units: each part first gets the
        floor of its exact share, then the units left over go one each to the parts with
        the largest remainders (ties: the earlier part). A negative amount is distributed
        as the mirror image of its absolute value.

        Args:
            ratios: Non-negative weights, at least one of them positive.

        Returns:
            One Money per ratio, in the same order, summing to ``self`` exactly.

        Raises:
            InvalidField: ``ratios`` is empty, holds a negative or non-decimal weight, or
                sums to zero.

        >>> [str(m) for m in Money("100.00", "EUR").allocate([1, 1, 1])]
        ['33.34 EUR', '33.33 EUR', '33.33 EUR']
        """
        if not ratios:
            raise InvalidField("ratios", ratios, "at least one ratio is needed")
        weights = [_to_decimal(r, "ratios") for r in ratios]
        if any(w < 0 for w in weights):
            raise InvalidField("ratios", tuple(ratios), "ratios must not be negative")
        # Weights are free decimals: a wide exact context for their sum, and a trapped
        # overflow (absurd exponents) becomes the caller's error, not decimal's.
        try:
            context = Context(
                prec=max(60, *(len(w.as_tuple().digits) + 20 for w in weights)),
                traps=[InvalidOperation, DivisionByZero, Overflow],
            )
            total_weight = Decimal(0)
            for weight in weights:
                total_weight = context.add(total_weight, weight)
            if not total_weight:
                raise InvalidField("ratios", tuple(ratios), "ratios must not all be zero")
            units = self.minor_units
            sign = -1 if units < 0 else 1
            units = abs(units)
            shares: list[int] = []
            remainders: list[tuple[Decimal, int]] = []
            for index, weight in enumerate(weights):
                exact = context.divide(context.multiply(units, weight), total_weight)
                floor = int(exact)  # exact >= 0, so int() is the floor
                shares.append(floor)
                remainders.append((context.subtract(exact, floor), index))
        except DecimalException:
            raise InvalidField("ratios", tuple(ratios), "ratios out of range") from None
        leftover = units - sum(shares)
        remainders.sort(key=lambda pair: (-pair[0], pair[1]))
        for _, index in remainders[:leftover]:
            shares[index] += 1
        return tuple(Money.from_minor(sign * share, self.currency) for share in shares)

    # -- comparison -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "<")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "<=")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, ">")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, ">=")
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- text -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def format(self, locale: str = "en_US") -> str:
        """Format for humans with babel, showing exactly the ISO 4217 minor unit.

        CLDR would show IQD with no decimals; this shows the 3 that ISO 4217 defines,
        because a customer must see the exact amount they owe.

        Args:
            locale: A locale identifier such as ``"fr_FR"``.

        Raises:
            InvalidLocale: babel does not know ``locale``.

        >>> Money("1234.56", "EUR").format("en_IE")
        '€1,234.56'
        """
        return _format(self.amount, self.currency, locale)


@lru_cache(maxsize=256)
def _currency_pattern(locale: str, digits: int) -> Any:
    from babel import Locale, UnknownLocaleError
    from babel.numbers import parse_pattern

    from dunning_core.errors import InvalidLocale

    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidLocale("locale", locale, "babel does not know this locale") from None
    pattern = copy.copy(parse_pattern(parsed.currency_formats["standard"]))
    pattern.frac_prec = (digits, digits)
    return parsed, pattern


@lru_cache(maxsize=1024)
def _currency_pattern_of(locale: str, currency: str) -> tuple[Any, Any, str | None]:
    """``(locale, pattern, currency)`` to format ``currency`` in ``locale`` with.

    Given a currency, babel's ``NumberPattern.apply`` looks up the currency's plural
    name for every number it formats (two thirds of the time formatting takes), even
    when the pattern has no ``¤¤¤`` to put it in. When it has none, the symbol and the
    code are put in the pattern's affixes here, once, and the pattern is applied without
    a currency: babel then substitutes nothing, and the text is the same.
    """
    parsed, pattern = _currency_pattern(locale, MINOR_UNITS[currency])
    affixes = (*pattern.prefix, *pattern.suffix)
    if pattern.number_pattern == "" or any("¤¤¤" in affix for affix in affixes):
        return parsed, pattern, currency
    from babel.numbers import get_currency_symbol

    symbol = get_currency_symbol(currency, parsed)

    def resolved(affix: str) -> str:
        return affix.replace("¤¤", currency.upper()).replace("¤", symbol)

    own = copy.copy(pattern)
    own.prefix = tuple(resolved(affix) for affix in pattern.prefix)
    own.suffix = tuple(resolved(affix) for affix in pattern.suffix)
    return parsed, own, None


@lru_cache(maxsize=1024)
def _fast_plan(locale: str, currency: str) -> tuple[Any, ...] | None:
    """What babel's ``NumberPattern.apply`` would look up for every amount, looked up
    once per locale and currency: ``(prefixes, suffixes, decimal symbol, group symbol,
    grouping, minimum integer digits, fraction digits)``, or ``None`` for a pattern the
    plain path below does not cover (scientific, significant digits, scaled, quotes in
    the affixes or the symbols, or the currency's plural name), which babel then
    formats as always.
    """
    parsed, pattern, pattern_currency = _currency_pattern_of(locale, currency)
    affixes = (*pattern.prefix, *pattern.suffix)
    if (
        pattern_currency is not None
        or pattern.exp_prec
        or "@" in pattern.pattern
        or pattern.scale
        or pattern.number_pattern == ""
        or any("'" in affix or "¤" in affix for affix in affixes)
    ):
        return None
    from babel.numbers import get_decimal_symbol, get_group_symbol

    decimal_symbol = get_decimal_symbol(parsed, numbering_system="latn")
    group_symbol = get_group_symbol(parsed, numbering_system="latn")
    if "'" in decimal_symbol + group_symbol:
        # babel strips quote pairs from its whole result, the number's own apostrophes
        # (de_CH groups with one) included: leave that to babel, character for character.
        return None
    return (
        tuple(pattern.prefix),
        tuple(pattern.suffix),
        decimal_symbol,
        group_symbol,
        tuple(pattern.grouping),
        pattern.int_prec[0],
        MINOR_UNITS[currency],
    )


def _format(amount: Decimal, currency: str, locale: str) -> str:
    plan = _fast_plan(locale, currency)
    if plan is None:
        parsed, pattern, pattern_currency = _currency_pattern_of(locale, currency)
        return cast(
            str, pattern.apply(amount, parsed, currency=pattern_currency, currency_digits=False)
        )
    # babel's apply for a plain pattern, step by step (the property test in
    # tests/unit/test_money.py compares the two for every ISO 4217 currency).
    prefixes, suffixes, decimal_symbol, group_symbol, grouping, min_int, digits = plan
    negative = int(amount.is_signed())
    # A Money's amount is exact to the minor unit already (babel's quantize is a no-op).
    integer, _, fraction = f"{abs(amount):f}".partition(".")
    if len(integer) < min_int:
        integer = "0" * (min_int - len(integer)) + integer
    size = grouping[0]
    grouped = ""
    while len(integer) > size:
        grouped = group_symbol + integer[-size:] + grouped
        integer = integer[:-size]
        size = grouping[1]
    number = integer + grouped
    if digits:
        number += decimal_symbol + fraction
    return f"{prefixes[negative]}{number}{suffixes[negative]}"
