"""Issue 15, case 5 (large amounts) and the Money parts of case 6 (``-0``, ``1_000``,
non-ASCII digits): Money stays exact whatever the caller's decimal context, refuses
amounts beyond its documented maximum with a typed error, and parses only plain decimal
text.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import InvalidAmount, Money
from dunning_core.errors import AmountTooLarge
from dunning_core.money import MAX_MINOR_UNITS

# --- the maximum ----------------------------------------------------------------------


def test_the_maximum_is_ten_to_the_eighteen_minor_units_minus_one() -> None:
    assert MAX_MINOR_UNITS == 10**18 - 1
    assert MAX_MINOR_UNITS < 2**63 - 1  # every SQL store's BIGINT holds it


@pytest.mark.parametrize("currency", ["EUR", "JPY", "BHD", "CLF"])
def test_the_largest_amount_builds_and_one_unit_more_is_refused(currency: str) -> None:
    largest = Money.from_minor(MAX_MINOR_UNITS, currency)
    assert largest.minor_units == MAX_MINOR_UNITS
    assert Money(str(largest.amount), currency) == largest
    assert Money(str(-largest.amount), currency) == -largest
    with pytest.raises(AmountTooLarge) as raised:
        Money.from_minor(MAX_MINOR_UNITS + 1, currency)
    assert raised.value.field == "Money.minor_units"
    with pytest.raises(AmountTooLarge):
        Money.from_minor(-MAX_MINOR_UNITS - 1, currency)
    with pytest.raises(AmountTooLarge):
        Money(str(largest.amount + largest.amount), currency)


@pytest.mark.parametrize("text", ["1e30", "1E+30", "-1e30", "1e999999999", "9" * 40])
def test_an_amount_too_large_is_a_typed_error_not_invalid_operation(text: str) -> None:
    # On main, Money("1e30") raised decimal.InvalidOperation from quantize.
    with pytest.raises(AmountTooLarge) as raised:
        Money(text, "EUR")
    assert raised.value.field == "Money.amount"
    assert raised.value.value == text
    assert isinstance(raised.value, (InvalidAmount, ValueError))
    with pytest.raises(AmountTooLarge):
        Money.of(text, "EUR")


def test_arithmetic_past_the_maximum_is_refused_not_rounded() -> None:
    largest = Money.from_minor(MAX_MINOR_UNITS, "EUR")
    cent = Money("0.01", "EUR")
    with pytest.raises(AmountTooLarge):
        largest + cent
    with pytest.raises(AmountTooLarge):
        -largest - cent
    with pytest.raises(AmountTooLarge):
        largest * 2
    with pytest.raises(AmountTooLarge):
        largest.times("1.5")
    with pytest.raises(AmountTooLarge):
        Money.sum([largest, cent], "EUR")
    assert largest - cent + cent == largest


def test_arithmetic_ignores_the_callers_decimal_context() -> None:
    # On main, 99999999999999999999999999.99 + 0.05 lost 0.04 in the default 28-digit
    # context; an application that lowers the precision lost much more.
    big = Money.from_minor(MAX_MINOR_UNITS - 5, "EUR")
    five = Money("0.05", "EUR")
    with decimal.localcontext() as context:
        context.prec = 6
        context.rounding = decimal.ROUND_DOWN
        total = big + five
        assert Money("123456.78", "EUR") + Money("0.01", "EUR") == Money("123456.79", "EUR")
        assert Money("1234567.89", "EUR").times("1.1") == Money("1358024.68", "EUR")
        assert Money.from_minor(10**17 + 1, "EUR").minor_units == 10**17 + 1
    assert total.minor_units == MAX_MINOR_UNITS


@given(
    st.lists(st.integers(-MAX_MINOR_UNITS, MAX_MINOR_UNITS), min_size=1, max_size=20),
    st.integers(1, 28),
)
def test_sums_are_exact_to_the_minor_unit_in_any_context(units: list[int], prec: int) -> None:
    values = [Money.from_minor(u, "EUR") for u in units]
    expected = sum(units)
    with decimal.localcontext() as context:
        context.prec = prec
        if abs(expected) > MAX_MINOR_UNITS:
            with pytest.raises(AmountTooLarge):
                Money.sum(values, "EUR")
        else:
            assert Money.sum(values, "EUR").minor_units == expected


# --- text that is not a plain decimal --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1_000",  # Decimal() accepts PEP 515 underscores
        "1_000.00",
        "\u0661\u0662\u0663",  # Arabic-Indic digits: Decimal() reads them as 123
        "\u0661\u0662.\u0665\u0660",
        "\u0967\u0968",  # Devanagari
        "\uff11\uff12",  # full-width digits
        "1,000.00",
        "NaN",
        "-Infinity",
        "sNaN",
        "",
        "+",
        "1.2.3",
        "0x10",
        "2E" + "2" * 30,  # found by atheris: decimal itself refuses the exponent
        "1e-99999999999999999999",
    ],
)
def test_only_plain_ascii_decimal_text_is_an_amount(text: str) -> None:
    with pytest.raises(InvalidAmount) as raised:
        Money(text, "EUR")
    assert raised.value.value == text


@pytest.mark.parametrize("text", ["12.50", "-12.50", "+12.5", ".5", "5.", "1E+3", " 12.50 "])
def test_plain_decimal_text_still_parses(text: str) -> None:
    assert Money(text, "EUR").amount == Decimal(text.strip()).quantize(Decimal("0.01"))


# --- negative zero ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Money("-0", "EUR"),
        lambda: Money("-0.00", "EUR"),
        lambda: Money(Decimal("-0"), "EUR"),
        lambda: Money.of("-0.001", "EUR"),
        lambda: Money("-5.00", "EUR") * 0,
        lambda: -Money.zero("EUR"),
        lambda: Money("0", "EUR").times("-1"),
        lambda: Money.from_minor(-5, "EUR").allocate([0, 1])[0],
    ],
)
def test_negative_zero_is_normalised(build: object) -> None:
    money = build()  # type: ignore[operator]
    assert isinstance(money, Money)
    assert str(money) == "0.00 EUR"
    assert not money.amount.is_signed()


# --- every constructor error is the library's own ---------------------------------------


@given(st.text(max_size=40))
def test_any_text_is_an_amount_or_an_invalid_amount(text: str) -> None:
    # Anything else (InvalidOperation, ValueError from Decimal) fails the test.
    try:
        money = Money(text, "EUR")
    except InvalidAmount:
        return
    assert abs(money.minor_units) <= MAX_MINOR_UNITS
