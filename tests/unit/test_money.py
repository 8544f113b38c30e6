from __future__ import annotations

import pickle
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import CurrencyMismatch, InvalidAmount, Money, UnknownCurrency
from dunning_core._iso4217 import MINOR_UNITS
from dunning_core.errors import InvalidField, InvalidLocale
from dunning_core.money import minor_unit
from dunning_core.testing import strategies as ds

# --- construction --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("JPY", 0), ("EUR", 2), ("BHD", 3), ("IQD", 3), ("CLF", 4), ("XPF", 0), ("KWD", 3)],
)
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_unit(currency) == digits


# Locales whose decimal and group symbols differ (".", ",", narrow no-break space).
_DIGIT_LOCALES = ("en_US", "fr_FR", "de_DE", "de_CH", "ja_JP")


@pytest.mark.parametrize("currency", sorted(MINOR_UNITS))
def test_every_currency_quantizes_and_formats_with_its_iso_minor_unit(currency: str) -> None:
    # What Money promises whatever babel's CLDR data says about display digits (CLDR
    # shows no decimals for IQD, LBP, ... and the list changes between babel releases;
    # docs/decisions.md keeps the known disagreements for information).
    from babel.numbers import get_decimal_symbol, get_group_symbol

    digits = MINOR_UNITS[currency]
    money = Money.from_minor(123456789, currency)
    assert money.amount.as_tuple().exponent == -digits
    assert Money.of("1234.56789", currency, rounding=ROUND_HALF_UP).amount == Decimal(
        "1234.56789"
    ).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    for locale in _DIGIT_LOCALES:
        decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
        separators = re.escape(decimal) + "|" + re.escape(group)
        # The number is the run of digits with separators only between digits (a
        # currency symbol such as "kr." may hold a dot, never between two digits).
        (number,) = re.findall(rf"\d(?:(?:{separators})?\d)*", money.format(locale))
        whole, _, fraction = number.partition(decimal)
        assert len(fraction) == digits, (locale, money.format(locale))
        assert (whole + fraction).replace(group, "") == "123456789"


def test_constructor_quantizes_to_the_minor_unit() -> None:
    assert Money("5", "EUR").amount == Decimal("5.00")
    assert str(Money("5", "EUR").amount) == "5.00"
    assert str(Money(Decimal("7"), "BHD").amount) == "7.000"
    assert str(Money(12, "JPY").amount) == "12"
    # Trailing zeros beyond the unit are not extra precision.
    assert Money("1.2300", "EUR") == Money("1.23", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("0.001", "EUR"), ("1.5", "JPY"), ("0.0001", "BHD"), ("1.00001", "CLF")],
)
def test_constructor_rejects_amounts_finer_than_the_minor_unit(amount: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as error:
        Money(amount, currency)
    assert error.value.field == "Money.amount"
    assert error.value.value == amount
    assert currency in str(error.value)


def test_constructor_rejects_floats_with_type_error() -> None:
    with pytest.raises(TypeError, match=r"Money.amount=0.1: floats are not accepted"):
        Money(0.1, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "", "1,50", "NaN", "Infinity"])
def test_constructor_rejects_non_numbers(amount: str) -> None:
    with pytest.raises(InvalidAmount, match="Money.amount"):
        Money(amount, "EUR")


@pytest.mark.parametrize("code", ["XAU", "XXX", "XDR", "FRF", "EURO", "eur", "", "ZZZ"])
def test_unknown_or_unit_less_currencies_are_rejected(code: str) -> None:
    with pytest.raises(UnknownCurrency) as error:
        Money("1", code)
    assert error.value.field == "Money.currency"
    assert error.value.value == code


def test_unit_less_currency_message_says_why() -> None:
    with pytest.raises(UnknownCurrency, match="no minor unit"):
        Money("1", "XAU")


def test_of_rounds_explicitly() -> None:
    assert Money.of("12.505", "EUR") == Money("12.50", "EUR")  # half-even
    assert Money.of("12.515", "EUR") == Money("12.52", "EUR")
    assert Money.of("12.505", "EUR", rounding=ROUND_HALF_UP) == Money("12.51", "EUR")
    assert Money.of("1234.5", "JPY") == Money("1234", "JPY")
    assert Money.of(Decimal("0.0005"), "BHD") == Money("0.000", "BHD")


def test_from_minor_and_minor_units_round_trip() -> None:
    assert Money.from_minor(123456, "BHD") == Money("123.456", "BHD")
    assert Money("123.456", "BHD").minor_units == 123456
    assert Money("-0.05", "EUR").minor_units == -5
    assert Money.from_minor(7, "JPY").minor_units == 7


def test_money_is_frozen_hashable_and_picklable() -> None:
    money = Money("3.10", "EUR")
    with pytest.raises(AttributeError):
        money.amount = Decimal(1)  # type: ignore[misc]
    assert {money, Money("3.1", "EUR")} == {money}
    assert pickle.loads(pickle.dumps(money)) == money


def test_repr_and_str() -> None:
    assert repr(Money("3.1", "EUR")) == "Money('3.10', 'EUR')"
    assert str(Money("3.1", "EUR")) == "3.10 EUR"


# --- arithmetic ----------------------------------------------------------------------


def test_arithmetic_within_one_currency() -> None:
    a, b = Money("10.00", "EUR"), Money("2.55", "EUR")
    assert a + b == Money("12.55", "EUR")
    assert a - b == Money("7.45", "EUR")
    assert -b == Money("-2.55", "EUR")
    assert abs(Money("-2.55", "EUR")) == b
    assert b * 3 == Money("7.65", "EUR")
    assert 3 * b == Money("7.65", "EUR")
    assert sum([a, b]) == Money("12.55", "EUR")
    assert Money.sum([], "JPY") == Money(0, "JPY")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: sum([a, b]),
        lambda a, b: Money.sum([a, b], "EUR"),
    ],
)
def test_mixing_currencies_raises(operation: object) -> None:
    with pytest.raises(CurrencyMismatch) as error:
        operation(Money("1", "EUR"), Money("1", "USD"))  # type: ignore[operator]
    assert {error.value.left, error.value.right} == {"EUR", "USD"}


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert Money("1", "EUR") != Money("1", "USD")


def test_multiplying_by_a_decimal_needs_times() -> None:
    with pytest.raises(TypeError):
        Money("1", "EUR") * Decimal("1.5")  # type: ignore[operator]
    assert Money("100.00", "EUR").times("0.055") == Money("5.50", "EUR")
    assert Money("0.05", "EUR").times("0.5") == Money("0.02", "EUR")  # 0.025 half-even


def test_comparison_and_predicates() -> None:
    assert Money("1", "EUR") < Money("1.01", "EUR")
    assert Money("0", "EUR").is_zero and not Money("0", "EUR")
    assert Money("-1", "EUR").is_negative
    assert Money("2", "EUR").min(Money("1", "EUR")) == Money("1", "EUR")
    assert Money("2", "EUR").max(Money("1", "EUR")) == Money("2", "EUR")


# --- distribution --------------------------------------------------------------------


def test_split_gives_extra_units_to_the_first_parts() -> None:
    assert Money("10.00", "EUR").split(3) == (
        Money("3.34", "EUR"),
        Money("3.33", "EUR"),
        Money("3.33", "EUR"),
    )
    assert Money(10, "JPY").split(4) == (
        Money(3, "JPY"),
        Money(3, "JPY"),
        Money(2, "JPY"),
        Money(2, "JPY"),
    )


def test_allocate_by_largest_remainder() -> None:
    # 1.00 in ratios 1:1:1 -> 0.333.. each: remainders equal, earliest wins.
    assert [m.amount for m in Money("1.00", "EUR").allocate([1, 1, 1])] == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    # 0.05 in 3:7 -> 0.015 / 0.035: floors 1 / 3, remainders .5 / .5 -> first gets it.
    assert [m.amount for m in Money("0.05", "EUR").allocate([3, 7])] == [
        Decimal("0.02"),
        Decimal("0.03"),
    ]
    # 100 JPY in 1:2 -> 33.33 / 66.67: largest remainder (.67) gets the unit.
    assert Money(100, "JPY").allocate([1, 2]) == (Money(33, "JPY"), Money(67, "JPY"))
    assert Money("-0.07", "EUR").allocate([1, 1]) == (Money("-0.04", "EUR"), Money("-0.03", "EUR"))


@pytest.mark.parametrize("ratios", [[], [0, 0], [1, -1], ["x"]])
def test_allocate_rejects_bad_ratios(ratios: list[object]) -> None:
    with pytest.raises(InvalidField, match="ratios"):
        Money("1", "EUR").allocate(ratios)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -1, True])
def test_split_rejects_non_positive_counts(n: int) -> None:
    with pytest.raises(InvalidField, match="n="):
        Money("1", "EUR").split(n)


@given(ds.money(min_units=-(10**9)), st.integers(1, 50))
def test_split_conserves_the_total_to_the_minor_unit(money: Money, n: int) -> None:
    parts = money.split(n)
    assert len(parts) == n
    assert Money.sum(parts, money.currency) == money
    units = [p.minor_units for p in parts]
    assert max(units) - min(units) <= 1


@given(
    ds.money(min_units=-(10**9)),
    st.lists(st.integers(0, 1000), min_size=1, max_size=20).filter(any),
)
def test_allocate_conserves_the_total_and_stays_within_one_unit_of_the_exact_share(
    money: Money, ratios: list[int]
) -> None:
    parts = money.allocate(ratios)
    assert Money.sum(parts, money.currency) == money
    total = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Decimal(money.minor_units) * ratio / total
        assert abs(part.minor_units - exact) < 1


@given(st.lists(ds.money(currency="EUR", min_units=-(10**6)), max_size=6))
def test_sum_is_associative_and_order_free(values: list[Money]) -> None:
    left_fold = Money.zero("EUR")
    for value in values:
        left_fold = left_fold + value
    right_fold = Money.zero("EUR")
    for value in reversed(values):
        right_fold = value + right_fold
    assert left_fold == right_fold == Money.sum(values, "EUR")
    assert left_fold.minor_units == sum(v.minor_units for v in values)


@given(ds.money(), ds.money())
def test_sum_is_currency_safe(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b).minor_units == a.minor_units + b.minor_units
    else:
        with pytest.raises(CurrencyMismatch):
            a + b


@given(ds.money(min_units=-(10**9)))
def test_every_money_is_a_whole_number_of_minor_units(money: Money) -> None:
    exponent = money.amount.as_tuple().exponent
    assert exponent == -minor_unit(money.currency)
    assert Money(str(money.amount), money.currency) == money


# --- formatting ----------------------------------------------------------------------


def test_format_uses_the_locale_conventions() -> None:
    # The locale's own pattern, as babel formats it (EUR: ISO and CLDR both say 2
    # decimals), compared through babel so a CLDR update cannot break the test.
    from babel.numbers import format_currency

    for locale in ("fr_FR", "en_IE", "de_DE"):
        expected = format_currency(Decimal("1234.56"), "EUR", locale=locale)
        assert Money("1234.56", "EUR").format(locale) == expected
    assert Money("1234.56", "EUR").format("fr_FR") != Money("1234.56", "EUR").format("en_IE")


# Locales with the currency before or after the number, spaces, RTL marks, Indian
# grouping, non-Latin symbols and patterns quoting literal text.
_FORMAT_LOCALES = (
    "en_US", "en_IE", "en_IN", "fr_FR", "fr_CH", "de_CH", "de_AT", "nl_NL", "sv_SE",
    "ja_JP", "ar_BH", "ar_EG", "he_IL", "fa_IR", "hi_IN", "pt_BR", "es_MX", "tr_TR",
)  # fmt: skip


@given(
    locale=st.sampled_from(_FORMAT_LOCALES),
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    units=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_format_equals_babel_applying_the_currency_pattern(
    locale: str, currency: str, units: int
) -> None:
    # The reference is babel itself, given the currency: the library resolves the
    # symbol into the pattern once instead, and must not change a character.
    from babel import Locale
    from babel.numbers import parse_pattern

    parsed = Locale.parse(locale)
    pattern = parse_pattern(parsed.currency_formats["standard"])
    digits = MINOR_UNITS[currency]
    pattern.frac_prec = (digits, digits)
    money = Money.from_minor(units, currency)
    expected = pattern.apply(money.amount, parsed, currency=currency, currency_digits=False)
    assert money.format(locale) == expected


def test_format_rejects_unknown_locale() -> None:
    with pytest.raises(InvalidLocale, match="xx_YY"):
        Money("1", "EUR").format("xx_YY")
