"""Fuzzing every parser that takes outside input with hostile text (issue 15).

The rule: any input gets a result or one of the library's typed errors
(:class:`~dunning_core.errors.DunningError`), never a Python built-in exception. The
inputs come from :func:`dunning_core.testing.strategies.hostile_text`: every code point
(lone surrogates included), strings known to break number, date, path and template
parsers, and mixes of both. ``make fuzz`` runs the same targets under atheris for
longer (fuzz/atheris_targets.py).

Parsers covered: the TOML configuration (file bytes, and the table it holds), money
amounts, invoice rows (CSV/JSON importers build invoices from them), bank references
(candidate extraction, invoice-number search, payment matching), remittance advice
lines, SMS text (segment counting, splitting, GSM normalisation and the command line),
user templates and their values, account contacts, timezones and locales.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning_core import Account, Contact, Invoice, Money, Payment
from dunning_core.config import ladders_from_mapping, load_ladders
from dunning_core.domain.remittance import RemittanceAdvice, RemittanceLine
from dunning_core.domain.statement import build_statement
from dunning_core.errors import DunningError
from dunning_core.policies.allocation import match_payment
from dunning_core.policies.allocation._matching import (
    find_invoice_numbers,
    reference_candidates,
)
from dunning_core.policies.ladder import Ladder
from dunning_core.policies.sms import (
    STRICT_3GPP,
    NationalLanguage,
    SmsProfile,
    count_segments,
    gsm_normalize,
    split_segments,
)
from dunning_core.rendering.plain import PlainRenderer
from dunning_core.service.settings import bootstrap
from dunning_core.testing.strategies import NASTY_STRINGS, hostile_text

text = hostile_text()
D = date(2026, 3, 1)


def _typed_or_result(call: Callable[[], Any]) -> Any:
    """Run ``call``; a DunningError is an answer, any other exception fails the test."""
    try:
        return call()
    except DunningError as error:
        return error


# -- the TOML configuration --------------------------------------------------------------

# Values a TOML table can hold, hostile where it is text.
_toml_scalars = st.one_of(
    text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
_toml_values = st.recursive(
    _toml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
_stage_fields = ("key", "offset", "basis", "channels", "action", "template", "fee", "min_overdue")
_near_valid_stage = st.fixed_dictionaries(
    {"key": st.one_of(st.just("first"), text), "offset": st.one_of(st.integers(-50, 50), text)},
    optional={
        field: st.one_of(
            _toml_values,
            st.sampled_from(["EMAIL", "SMS", "BUSINESS", "REMIND", "TERMINATE"]),
            st.dictionaries(st.sampled_from(["EUR", "XPF", "JPY", "ZZZ"]), text, max_size=2),
        )
        for field in _stage_fields[2:]
    },
)
_near_valid_ladder = st.fixed_dictionaries(
    {"stages": st.lists(_near_valid_stage, max_size=4)},
    optional={
        "catch_up": _toml_values,
        "holidays": st.one_of(st.lists(st.one_of(st.dates(), text), max_size=3), _toml_values),
        "business_hours": st.one_of(
            st.fixed_dictionaries({}, optional={"start": text, "end": text, "weekdays": text}),
            _toml_values,
        ),
        "min_days_between_notices": _toml_values,
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_toml_values, st.dictionaries(text, _near_valid_ladder, max_size=3)))
def test_any_ladders_table_gives_ladders_or_a_config_error(table: Any) -> None:
    result = _typed_or_result(lambda: ladders_from_mapping(table, source="fuzz.toml"))
    if not isinstance(result, DunningError):
        assert all(isinstance(ladder, Ladder) for ladder in result.values())


_HEAD = "[ladders.x]\n[[ladders.x.stages]]\n"
# A valid file, into which the fuzzer inserts hostile text anywhere.
_GOOD = """
[ladders.house]
catch_up = "EACH_IN_TURN"
holidays = [2026-05-01, 2026-07-14]
business_hours = { start = "09:00", end = "18:00", weekdays = ["MON", "TUE"] }

[[ladders.house.stages]]
key = "reminder.overdue"
offset = 1
channels = ["EMAIL", "SMS"]
fee = { EUR = "15.00", XPF = "1800" }

[[ladders.house.stages]]
key = "formal"
offset = 10
basis = "BUSINESS"
channels = ["REGISTERED_LETTER"]
action = "FORMAL_NOTICE"
template = "reminder.overdue"
min_overdue = { EUR = "50" }
"""


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=300),
        text.map(lambda t: (_HEAD + t).encode("utf-8", "replace")),
        text.map(lambda t: f'{_HEAD}key = "{t}"\n'.encode("utf-8", "replace")),
        st.tuples(st.integers(0, len(_GOOD)), text).map(
            lambda cut: (_GOOD[: cut[0]] + cut[1] + _GOOD[cut[0] :]).encode("utf-8", "replace")
        ),
    )
)
def test_any_file_gives_ladders_or_a_config_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "dunning.toml"
    path.write_bytes(raw)
    _typed_or_result(lambda: load_ladders(path))
    _typed_or_result(lambda: bootstrap(ladders_file=path))


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    # On main: UnicodeDecodeError out of tomllib.
    from dunning_core.errors import ConfigError

    path = tmp_path / "dunning.toml"
    path.write_bytes(b"\xff\xfe[ladders.x]\n")
    with pytest.raises(ConfigError) as raised:
        load_ladders(path)
    assert "UTF-8" in str(raised.value)


@pytest.mark.parametrize("amount", ["1e30", "1_000", "\u0661\u0662", "NaN", "1e999999999"])
def test_a_bad_amount_in_a_fee_is_a_config_error(tmp_path: Path, amount: str) -> None:
    # On main, "1e30" raised decimal.InvalidOperation out of the loader.
    from dunning_core.errors import ConfigError

    path = tmp_path / "dunning.toml"
    path.write_text(
        "[ladders.x]\n[[ladders.x.stages]]\n"
        f'key = "first"\noffset = 1\nchannels = ["EMAIL"]\nfee = {{ EUR = "{amount}" }}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_ladders(path)
    assert raised.value.field == "fee"


# -- amounts, invoice rows, remittance lines -----------------------------------------------


@given(text, st.sampled_from(["EUR", "JPY", "BHD", "XPF"]))
def test_any_text_is_an_amount_or_an_invalid_amount(amount: str, currency: str) -> None:
    _typed_or_result(lambda: Money(amount, currency))
    _typed_or_result(lambda: Money.of(amount, currency))
    _typed_or_result(lambda: Money("10.00", currency).times(amount))
    _typed_or_result(lambda: Money("10.00", currency).allocate([amount, "1"]))


_row_value = st.one_of(
    text,
    st.none(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=True),
    st.booleans(),
    st.lists(text, max_size=2),
)


def _column(valid: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(valid), _row_value)


_invoice_rows = st.one_of(
    st.fixed_dictionaries(
        {
            "number": _column("F-1"),
            "account_id": _column("A-1"),
            "issued_on": _column("2026-03-01"),
            "due_on": _column("2026-03-31"),
            "amount": _column("120.00"),
            "currency": _column("EUR"),
        },
        optional={"purchase_order": _row_value},
    ),
    st.dictionaries(text, _row_value, max_size=3),
    _row_value,  # not a mapping at all (a JSON array, a bare value)
)


@given(_invoice_rows)
def test_any_invoice_row_is_an_invoice_or_a_typed_error(row: dict[str, Any]) -> None:
    # A CSV or JSON importer hands rows like these to Invoice.from_row.
    result = _typed_or_result(lambda: Invoice.from_row(row))
    if isinstance(result, Invoice):
        assert result.amount.is_positive


@given(text, text, text, st.integers(-10_000, 10_000))
def test_any_remittance_line_is_one_or_a_typed_error(
    number: str, reason: str, certificate: str, cents: int
) -> None:
    def build() -> RemittanceAdvice:
        line = RemittanceLine(
            invoice_number=number,
            amount_paid=Money.from_minor(cents, "EUR"),
            reason=reason,
            certificate=certificate,
        )
        return RemittanceAdvice(payment_id=number, lines=[line], reference=reason)

    _typed_or_result(build)


# -- bank references ---------------------------------------------------------------------

_INVOICES = [
    Invoice(
        number=number,
        account_id="A-1",
        issued_on=D,
        due_on=D,
        amount=Money("100.00", "EUR"),
    )
    for number in ("F-2026-0042", "INV-12", "INV-12-A", "12", "Caf\u00e9-7")
]


@given(text)
def test_any_bank_reference_is_matched_in_bounded_time(reference: str) -> None:
    started = time.perf_counter()
    candidates = reference_candidates(reference)
    found = find_invoice_numbers(reference, [i.number for i in _INVOICES])
    assert set(found) <= {i.number for i in _INVOICES}
    payment = _typed_or_result(
        lambda: Payment(
            id="P-1",
            account_id=None,
            amount=Money("100.00", "EUR"),
            received_on=D,
            bank_reference=reference,
        )
    )
    if isinstance(payment, Payment):
        account = Account(id="A-1", name="n", currency="EUR")
        statement = build_statement(account, D, invoices=_INVOICES)
        matches = match_payment(payment, statement.open_items)
        assert all(m.invoice_number in {i.number for i in _INVOICES} for m in matches)
    assert all(isinstance(c, str) for c in candidates)
    assert time.perf_counter() - started < 2.0


def test_a_pathological_reference_is_matched_quickly() -> None:
    reference = " ".join(["-".join(str(k) for k in range(400))] * 20)
    started = time.perf_counter()
    reference_candidates(reference)
    find_invoice_numbers(reference, [f"{k}-{k + 1}" for k in range(2000)])
    assert time.perf_counter() - started < 2.0


# -- SMS text ----------------------------------------------------------------------------

_profiles = st.one_of(
    st.just(STRICT_3GPP),
    st.builds(
        SmsProfile,
        name=st.just("fuzz"),
        national_languages=st.lists(st.sampled_from(list(NationalLanguage)), max_size=2).map(tuple),
    ),
)


@given(st.text(st.characters(exclude_categories=()), max_size=400) | text, _profiles)
def test_any_sms_text_is_counted_and_split_or_refused_typed(
    message: str, profile: SmsProfile
) -> None:
    counted = _typed_or_result(lambda: count_segments(message, profile=profile))
    parts = _typed_or_result(lambda: split_segments(message, profile=profile))
    if not isinstance(counted, DunningError) and not isinstance(parts, DunningError):
        assert counted.segments == len(parts) or (not message and counted.segments <= 1)
    _typed_or_result(lambda: gsm_normalize(message))


@given(text)
def test_the_sms_command_line_answers_any_text(message: str) -> None:
    from dunning_core.cli.sms import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([message if not message.startswith("-") else " " + message])
        except SystemExit as exit_:  # argparse refusing an argument
            status = int(exit_.code or 0)
    assert status in (0, 2)


# -- user templates and the values put in them -------------------------------------------


@given(text, text, st.dictionaries(text, st.one_of(text, st.integers()), max_size=3), text)
def test_any_template_renders_or_is_a_render_error(
    subject: str, body: str, context: dict[str, Any], locale: str
) -> None:
    renderer = PlainRenderer({("custom", "en"): (subject, body)})
    for where in (locale, "en_US"):
        message = _typed_or_result(lambda where=where: renderer.render("custom", where, context))
        if not isinstance(message, DunningError):
            assert "\n" not in message.subject and "\r" not in message.subject


# -- accounts: contacts, timezones, locales, identifiers -----------------------------------


@given(text, text, text, text, text)
def test_any_account_text_builds_an_account_or_a_typed_error(
    account_id: str, email: str, mobile: str, timezone: str, locale: str
) -> None:
    def build() -> Account:
        contact = Contact(name=email, email=email, mobile=mobile)
        return Account(
            id=account_id,
            name=email,
            currency="EUR",
            timezone=timezone,
            locale=locale,
            contacts=[contact],
        )

    _typed_or_result(build)
    _typed_or_result(lambda: Account(id="A", name="n", currency=account_id))


@pytest.mark.parametrize("value", NASTY_STRINGS[:40], ids=repr)
def test_every_known_nasty_string_is_answered_everywhere(value: str) -> None:
    _typed_or_result(lambda: Money(value, "EUR"))
    _typed_or_result(lambda: Account(id=value, name=value, currency="EUR", timezone=value))
    _typed_or_result(lambda: count_segments(value))
    reference_candidates(value)
    find_invoice_numbers(value, ["F-1", value] if value.strip() else ["F-1"])
    _typed_or_result(lambda: Decimal(0) + Money(value, "EUR").amount)
