"""The direct-debit retry policy: AM04 once after 5 business days, never on the 1st-3rd;
MD01/AC04/MS02 stop direct debit; anything else is not retried."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.errors import InvalidPolicy
from dunning_core.policies.direct_debit import (
    DirectDebitRetryPolicy,
    RetryAction,
    decide_direct_debit_retry,
)

POLICY = DirectDebitRetryPolicy()


def test_am04_is_retried_five_business_days_later() -> None:
    # Thursday 5 March 2026 + 5 business days (Fri, Mon, Tue, Wed, Thu) = 12 March.
    decision = decide_direct_debit_retry(POLICY, "AM04", date(2026, 3, 5))
    assert (decision.action, decision.retry_on, decision.attempt) == (
        RetryAction.RETRY,
        date(2026, 3, 12),
        1,
    )
    assert decision.reasons[0].code == "RETRYABLE_REASON"


def test_a_retry_never_falls_on_the_first_three_days_of_the_month() -> None:
    # Tuesday 24 February 2026 + 5 business days = Tuesday 3 March: moved to Wed 4 March.
    decision = decide_direct_debit_retry(POLICY, "AM04", date(2026, 2, 24))
    assert decision.retry_on == date(2026, 3, 4)
    assert [r.code for r in decision.reasons] == ["RETRYABLE_REASON", "AVOIDED_DAY"]


def test_am04_is_retried_once_only() -> None:
    decision = decide_direct_debit_retry(POLICY, "AM04", date(2026, 3, 19), retries_so_far=1)
    assert decision.action is RetryAction.NO_RETRY and decision.retry_on is None


@pytest.mark.parametrize("code", ["MD01", "AC04", "MS02"])
def test_stopping_reasons_stop_direct_debit(code: str) -> None:
    decision = decide_direct_debit_retry(POLICY, code, date(2026, 3, 5))
    assert decision.action is RetryAction.STOP_DIRECT_DEBIT
    assert code in decision.reason


def test_other_reasons_are_not_retried_automatically() -> None:
    assert decide_direct_debit_retry(POLICY, "SL01", date(2026, 3, 5)).action is (
        RetryAction.NO_RETRY
    )


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_a_retry_day_is_a_business_day_after_the_delay_and_outside_the_avoided_days(
    returned_on: date,
) -> None:
    holidays = {date(returned_on.year, 12, 25), date(returned_on.year + 1, 1, 1)}
    policy = DirectDebitRetryPolicy(calendar=BusinessCalendar(holidays=holidays))
    day = decide_direct_debit_retry(policy, "AM04", returned_on).retry_on
    assert day is not None
    assert day.weekday() < 5 and day not in holidays and day.day > 3
    business = sum(
        1
        for n in range(1, (day - returned_on).days + 1)
        if (d := returned_on + timedelta(days=n)).weekday() < 5 and d not in holidays
    )
    assert business >= 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"avoid_days_of_month": {0}},
        {"retry_reasons": {"AM4"}},
        {"retry_reasons": {"MD01"}},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicy):
        DirectDebitRetryPolicy(**kwargs)  # type: ignore[arg-type]
