"""Credit-limit alerts: thresholds in order, once per upward crossing, exact utilisation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core import (
    Account,
    AccountMismatch,
    CurrencyMismatch,
    InvalidAsOf,
    Invoice,
    Money,
    build_statement,
)
from dunning_core.domain.state import CreditAlertState
from dunning_core.errors import InvalidPolicy
from dunning_core.policies.credit import (
    CreditAlertPolicy,
    credit_alerts,
    credit_exposure,
    credit_utilisation,
)
from dunning_core.testing import strategies as ds

DAY = date(2026, 3, 1)


def account(limit: str | None = "10000.00") -> Account:
    return Account(
        id="A-1",
        name="ACME",
        currency="EUR",
        credit_limit=None if limit is None else Money(limit, "EUR"),
    )


def run(acct: Account, balances: list[str], **options: object) -> list[list[int]]:
    """Feed balances day after day; return the thresholds alerted each day."""
    state: CreditAlertState | None = None
    policy = CreditAlertPolicy(**options)  # type: ignore[arg-type]
    fired_per_day = []
    for balance in balances:
        alerts, state = credit_alerts(acct, Money(balance, "EUR"), state, DAY, policy)
        fired_per_day.append([a.threshold for a in alerts])
    return fired_per_day


def test_alerts_at_70_85_and_100_percent_each_once_on_a_rising_balance() -> None:
    balances = ["5000", "6999.99", "7000", "7500", "8499.99", "8500", "9000", "9999.99",
                "10000", "12000", "15000"]  # fmt: skip
    assert run(account(), balances) == [[], [], [70], [], [], [85], [], [], [100], [], []]


def test_a_jump_fires_every_threshold_crossed_in_order() -> None:
    assert run(account(), ["0", "10000"]) == [[], [70, 85, 100]]


def test_a_balance_hovering_at_85_percent_alerts_once() -> None:
    balances = ["8500", "8400", "8600", "8000", "8600", "7999.99", "8500"]
    # 8000 is 80 %, exactly 85 - 5: not below, so 85 stays disarmed until 79.99 %.
    assert run(account(), balances) == [[70, 85], [], [], [], [], [], [85]]


def test_hysteresis_can_be_a_decimal_or_zero() -> None:
    assert run(account(), ["8500", "8250", "8500"], hysteresis=Decimal("2.5")) == [
        [70, 85],
        [],
        [],
    ]
    assert run(account(), ["8500", "8249.99", "8500"], hysteresis=Decimal("2.5")) == [
        [70, 85],
        [],
        [85],
    ]
    assert run(account(), ["8500", "8499.99", "8500"], hysteresis=0) == [[70, 85], [], [85]]


def test_an_account_without_limit_never_alerts_and_rearms() -> None:
    alerts, state = credit_alerts(account(None), Money("1000000", "EUR"), None, DAY)
    assert alerts == ()
    assert state.fired == frozenset()
    fired = CreditAlertState(account_id="A-1", fired=[70, 85])
    alerts, state = credit_alerts(account(None), Money("1000000", "EUR"), fired, DAY)
    assert alerts == ()
    assert state.fired == frozenset()


def test_utilisation_is_compared_exactly() -> None:
    # 69.99999999999999999 % is not 70 % (a float would round it up). The limit is the
    # largest round amount Money holds (MAX_MINOR_UNITS).
    acct = account("1000000000000000.00")
    alerts, state = credit_alerts(acct, Money("699999999999999.99", "EUR"), None, DAY)
    assert alerts == ()
    alerts, _ = credit_alerts(acct, Money("700000000000000.00", "EUR"), state, DAY)
    assert [a.threshold for a in alerts] == [70]
    assert alerts[0].utilisation == Decimal("70.00")


def test_alert_carries_the_figures() -> None:
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    (alert,) = credit_alerts(account(), Money("7123.45", "EUR"), None, at)[0]
    assert alert.account_id == "A-1"
    assert alert.utilisation == Decimal("71.23")
    assert alert.exposure == Money("7123.45", "EUR")
    assert alert.credit_limit == Money("10000.00", "EUR")
    assert alert.as_of == at


def test_unchanged_state_is_returned_as_is() -> None:
    _, state = credit_alerts(account(), Money("7500", "EUR"), None, DAY)
    alerts, again = credit_alerts(account(), Money("7600", "EUR"), state, DAY)
    assert alerts == ()
    assert again is state


def test_credit_utilisation_rounds_down_to_hundredths() -> None:
    assert credit_utilisation(Money("2", "EUR"), Money("3", "EUR")) == Decimal("66.66")
    assert credit_utilisation(Money("-1", "EUR"), Money("3", "EUR")) == Decimal("-33.34")
    assert credit_utilisation(Money("5", "JPY"), Money("4", "JPY")) == Decimal("125.00")


def test_exposure_is_open_balance_plus_unbilled() -> None:
    acct = account()
    inv = Invoice(number="F-1", account_id="A-1", issued_on=DAY, due_on=DAY,
                  amount=Money("600.00", "EUR"))  # fmt: skip
    statement = build_statement(acct, DAY, invoices=[inv])
    assert credit_exposure(statement) == Money("600.00", "EUR")
    assert credit_exposure(statement, Money("250.50", "EUR")) == Money("850.50", "EUR")
    with pytest.raises(CurrencyMismatch):
        credit_exposure(statement, Money("1", "USD"))


@pytest.mark.parametrize(
    ("thresholds", "hysteresis"),
    [((70, 70), 5), ((0,), 5), ((True,), 5), ((70.0,), 5), ((70,), -1), ((70,), 5.0)],
)
def test_bad_thresholds_or_hysteresis_are_refused(
    thresholds: tuple[object, ...], hysteresis: object
) -> None:
    with pytest.raises(InvalidPolicy):
        CreditAlertPolicy(thresholds=thresholds, hysteresis=hysteresis)  # type: ignore[arg-type]


def test_the_01_call_with_bare_thresholds_still_works_with_a_warning() -> None:
    with pytest.deprecated_call(match="CreditAlertPolicy"):
        alerts, _ = credit_alerts(
            account(), Money("9000", "EUR"), None, DAY, (90,), hysteresis=Decimal(1)
        )
    assert [a.threshold for a in alerts] == [90]
    with pytest.deprecated_call(match="as_of"):
        credit_alerts(account(), Money("1", "EUR"), None, at=DAY)  # type: ignore[call-arg]


def test_inputs_of_another_account_or_currency_or_a_naive_time_are_refused() -> None:
    with pytest.raises(AccountMismatch):
        credit_alerts(account(), Money("1", "EUR"), CreditAlertState(account_id="A-2"), DAY)
    with pytest.raises(CurrencyMismatch):
        credit_alerts(account(), Money("1", "USD"), None, DAY)
    with pytest.raises(InvalidAsOf):
        credit_alerts(account(), Money("1", "EUR"), None, datetime(2026, 3, 1, 8, 0))


# -- property: a reference model written independently, in integer minor units -------------


def _reference(
    limit_units: int, exposures: list[int], thresholds: list[int], hysteresis: int
) -> list[list[int]]:
    """Per threshold: armed until exposure * 100 >= t * limit, then disarmed until
    exposure * 100 < (t - hysteresis) * limit."""
    armed = dict.fromkeys(thresholds, True)
    out = []
    for units in exposures:
        today = []
        for t in sorted(thresholds):
            if armed[t] and units * 100 >= t * limit_units:
                armed[t] = False
                today.append(t)
            elif not armed[t] and units * 100 < (t - hysteresis) * limit_units:
                armed[t] = True
        out.append(today)
    return out


@given(
    ds.accounts(credit_limit=ds.money(currency="EUR", min_units=100, max_units=10**8),
                currency="EUR"),
    st.lists(st.integers(-50, 150), max_size=30),
    st.lists(st.integers(1, 150), min_size=1, max_size=5, unique=True),
    st.integers(0, 20),
)  # fmt: skip
def test_credit_alerts_fire_at_most_once_per_upward_crossing_in_threshold_order(
    acct: Account, percents: list[int], thresholds: list[int], hysteresis: int
) -> None:
    assert acct.credit_limit is not None
    limit_units = acct.credit_limit.minor_units
    # Exposures around each percentage of the limit, one minor unit either side too.
    exposures = [limit_units * p // 100 + (p % 3 - 1) for p in percents]
    state: CreditAlertState | None = None
    seen: list[list[int]] = []
    for units in exposures:
        alerts, state = credit_alerts(
            acct,
            Money.from_minor(units, "EUR"),
            state,
            DAY,
            CreditAlertPolicy(thresholds=thresholds, hysteresis=hysteresis),
        )
        fired = [a.threshold for a in alerts]
        assert fired == sorted(set(fired)), "in threshold order, each at most once per call"
        assert all(units * 100 >= t * limit_units for t in fired)
        seen.append(fired)
    assert seen == _reference(limit_units, exposures, thresholds, hysteresis)
    for t in thresholds:
        days = [k for k, fired in enumerate(seen) if t in fired]
        for first, second in pairwise(days):
            fell = exposures[first + 1 : second]
            assert any(u * 100 < (t - hysteresis) * limit_units for u in fell)


def test_state_is_kept_per_account() -> None:
    other = attrs.evolve(account(), id="A-2")
    _, state = credit_alerts(other, Money("9000", "EUR"), None, DAY)
    assert state.account_id == "A-2"
    assert state.fired == frozenset({70, 85})
