"""Credit-limit alerts: tell the customer at 70 %, 85 % and 100 % of their limit, once.

:func:`credit_alerts` compares an account's exposure with its credit limit and returns
the alerts due now and the next :class:`~dunning_core.domain.state.CreditAlertState`.
A threshold fires the first time utilisation reaches it, then stays quiet until
utilisation falls below it by a hysteresis margin (5 points by default): a balance
hovering around 85 % does not send an email every day.

Utilisation is compared exactly: ``exposure * 100 >= threshold * limit`` in rational
arithmetic, never a rounded percentage.

>>> from datetime import date
>>> from dunning_core import Account, Money
>>> acct = Account(id="A-1", name="ACME", currency="EUR", credit_limit=Money("1000", "EUR"))
>>> alerts, state = credit_alerts(acct, Money("850.00", "EUR"), None, date(2026, 3, 1))
>>> [a.threshold for a in alerts], sorted(state.fired)
([70, 85], [70, 85])
>>> alerts, state = credit_alerts(acct, Money("860.00", "EUR"), state, date(2026, 3, 2))
>>> alerts
()
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs

from dunning_core._exports import renamed_keywords
from dunning_core.domain.account import Account
from dunning_core.domain.dates import AsOf, check_as_of
from dunning_core.domain.state import CreditAlertState
from dunning_core.domain.statement import AccountStatement
from dunning_core.errors import AccountMismatch, CurrencyMismatch, InvalidPolicy
from dunning_core.money import Money

__all__ = [
    "STANDARD_THRESHOLDS",
    "CreditAlert",
    "CreditAlertPolicy",
    "credit_alerts",
    "credit_exposure",
    "credit_utilisation",
    "credit_wakes_on",
]

#: The seeds' thresholds, in percent of the credit limit.
STANDARD_THRESHOLDS: tuple[int, ...] = (70, 85, 100)


@attrs.frozen(kw_only=True)
class CreditAlert:
    """Utilisation reached a threshold of the credit limit.

    Attributes:
        account_id: The account.
        threshold: The threshold reached, in percent of the limit (70, 85, 100).
        utilisation: Exposure in percent of the limit, rounded down to 2 decimals
            (so it never shows a threshold that was not reached).
        exposure: The exposure that reached it.
        credit_limit: The account's limit.
        as_of: When it was evaluated (as given to :func:`credit_alerts`).

    .. versionchanged:: 0.2
       ``at`` is now ``as_of``.
    """

    account_id: str
    threshold: int
    utilisation: Decimal
    exposure: Money
    credit_limit: Money
    as_of: AsOf

    @property
    def at(self) -> AsOf:
        """Deprecated alias of :attr:`as_of`."""
        warnings.warn("CreditAlert.at is deprecated; use .as_of", DeprecationWarning, stacklevel=2)
        return self.as_of


def credit_exposure(statement: AccountStatement, unbilled: Money | None = None) -> Money:
    """The exposure that utilisation measures: open balance plus what is not yet invoiced.

    Unapplied credit is not subtracted: allocate it first and the balance falls.

    Args:
        statement: The account's statement.
        unbilled: Service used and not yet invoiced (the caller knows it), or ``None``.

    Returns:
        ``statement.balance + unbilled``.

    Raises:
        CurrencyMismatch: ``unbilled`` is in another currency than the account.
    """
    if unbilled is None:
        return statement.balance
    if unbilled.currency != statement.currency:
        raise CurrencyMismatch(statement.currency, unbilled.currency, "unbilled")
    return statement.balance + unbilled


def credit_wakes_on(statement: AccountStatement) -> date | None:
    """The credit alerts' part of an account's wake-up date.

    Alerts depend only on the exposure, which moves with the documents on the
    statement (not with days past due): the next day a document dated later enters it
    (:attr:`~dunning_core.domain.statement.AccountStatement.next_document_on`), or
    ``None``.

    .. versionadded:: 0.2
    """
    return statement.next_document_on


def credit_utilisation(exposure: Money, limit: Money) -> Decimal:
    """Exposure in percent of ``limit``, rounded down to 2 decimals.

    Args:
        exposure: The exposure.
        limit: The credit limit, greater than zero.

    Raises:
        CurrencyMismatch: the two amounts are in different currencies.
        InvalidPolicy: ``limit`` is not greater than zero.

    >>> credit_utilisation(Money("2", "EUR"), Money("3", "EUR"))
    Decimal('66.66')
    """
    if exposure.currency != limit.currency:
        raise CurrencyMismatch(limit.currency, exposure.currency, "credit utilisation")
    if limit.amount <= 0:
        raise InvalidPolicy("credit_limit", limit, "must be greater than zero")
    ratio = Fraction(exposure.amount) * 100 / Fraction(limit.amount)
    hundredths = (ratio * 100).__floor__()
    return Decimal(hundredths).scaleb(-2)


def _thresholds(value: Iterable[int], field: str = "thresholds") -> tuple[int, ...]:
    seen: list[int] = []
    for threshold in value:
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= 0:
            raise InvalidPolicy(field, threshold, "must be a whole percentage > 0")
        if threshold in seen:
            raise InvalidPolicy(field, threshold, "appears twice")
        seen.append(threshold)
    return tuple(sorted(seen))


def _hysteresis(value: int | Decimal, field: str = "hysteresis") -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise InvalidPolicy(field, value, "must be an int or a Decimal (points)")
    if not Decimal(value).is_finite() or value < 0:
        raise InvalidPolicy(field, value, "must be a finite number of points >= 0")
    return Fraction(value)


def _thresholds_field(value: Iterable[int]) -> tuple[int, ...]:
    return _thresholds(value, "CreditAlertPolicy.thresholds")


def _hysteresis_field(value: int | Decimal) -> int | Decimal:
    _hysteresis(value, "CreditAlertPolicy.hysteresis")
    return value


@attrs.frozen(kw_only=True)
class CreditAlertPolicy:
    """When to tell a customer they are close to their credit limit.

    ``CreditAlertPolicy()`` is the seeds' policy: 70 %, 85 % and 100 % of the limit,
    each re-armed once utilisation falls 5 points below it. Change one parameter with
    ``attrs.evolve(policy, hysteresis=10)``.

    Args:
        thresholds: Percentages of the limit, whole numbers > 0 (sorted, unique).
        hysteresis: Points utilisation must fall below a threshold to re-arm it (an
            int or a Decimal >= 0).

    Raises:
        InvalidPolicy: a threshold is not a whole percentage > 0 or appears twice, or
            the hysteresis is negative or not an int / Decimal.

    .. versionadded:: 0.2
       The thresholds used to live on ``CycleConfig``.
    """

    thresholds: tuple[int, ...] = attrs.field(
        default=STANDARD_THRESHOLDS, converter=_thresholds_field
    )
    hysteresis: int | Decimal = attrs.field(default=5, converter=_hysteresis_field)


_STANDARD_POLICY = CreditAlertPolicy()


@renamed_keywords(at="as_of")
def credit_alerts(
    account: Account,
    exposure: Money,
    state: CreditAlertState | None,
    as_of: AsOf,
    policy: CreditAlertPolicy | Iterable[int] = _STANDARD_POLICY,
    *,
    hysteresis: int | Decimal | None = None,
) -> tuple[tuple[CreditAlert, ...], CreditAlertState]:
    """The credit-limit alerts due now, and the state to keep for next time.

    A threshold fires when utilisation reaches it (``>=``) and it is armed; it then
    stays disarmed until utilisation falls strictly below ``threshold - hysteresis``.
    So each threshold fires at most once per upward crossing, whatever the sequence of
    exposures, and a jump from 60 % to 100 % fires 70, 85 and 100 together.

    Args:
        account: The account; its ``credit_limit`` is the limit. No limit, no alerts
            (and every threshold re-arms, so a new limit starts afresh).
        exposure: Open balance plus not-yet-invoiced amount (see :func:`credit_exposure`).
        state: What fired before, or ``None`` for an account never evaluated.
        as_of: When this evaluation happens (a date or an aware datetime).
        policy: The thresholds and the hysteresis (:class:`CreditAlertPolicy`). A bare
            iterable of thresholds, with ``hysteresis=`` beside it, is the 0.1 form and
            still works for one release.
        hysteresis: Deprecated; use ``CreditAlertPolicy(hysteresis=...)``.

    Returns:
        ``(alerts, new_state)``: alerts in threshold order (lowest first); ``new_state``
        is ``state`` itself when nothing changed, so a store can skip the write.

    Raises:
        AccountMismatch: ``state`` belongs to another account.
        CurrencyMismatch: ``exposure`` is in another currency than the account.
        InvalidPolicy: a threshold is not a whole percentage > 0 or appears twice, or
            ``hysteresis`` is negative or not an int / Decimal.
        InvalidAsOf: ``as_of`` is a naive datetime.

    .. versionchanged:: 0.2
       Takes a :class:`CreditAlertPolicy`; ``at`` is now ``as_of``.
    """
    check_as_of(as_of)
    if not isinstance(policy, CreditAlertPolicy) or hysteresis is not None:
        warnings.warn(
            "credit_alerts(..., thresholds, hysteresis=...) is deprecated; "
            "pass a CreditAlertPolicy(thresholds=..., hysteresis=...)",
            DeprecationWarning,
            stacklevel=3,
        )
        thresholds = policy.thresholds if isinstance(policy, CreditAlertPolicy) else policy
        policy = CreditAlertPolicy(
            thresholds=thresholds, hysteresis=5 if hysteresis is None else hysteresis
        )
    levels = policy.thresholds
    margin = _hysteresis(policy.hysteresis)
    if state is None:
        state = CreditAlertState(account_id=account.id)
    elif state.account_id != account.id:
        raise AccountMismatch("CreditAlertState.account_id", account.id, state.account_id)
    if exposure.currency != account.currency:
        raise CurrencyMismatch(account.currency, exposure.currency, "exposure")
    limit = account.credit_limit
    if limit is None:
        return (), state if not state.fired else attrs.evolve(state, fired=frozenset())

    # utilisation >= t  <=>  exposure * 100 >= t * limit, exact in rationals.
    scaled_exposure = Fraction(exposure.amount) * 100
    limit_amount = Fraction(limit.amount)
    fired = set(state.fired)
    alerts: list[CreditAlert] = []
    for threshold in sorted(fired | set(levels)):
        if threshold in fired:
            if scaled_exposure < (threshold - margin) * limit_amount:
                fired.discard(threshold)
        elif scaled_exposure >= threshold * limit_amount:
            fired.add(threshold)
            alerts.append(
                CreditAlert(
                    account_id=account.id,
                    threshold=threshold,
                    utilisation=credit_utilisation(exposure, limit),
                    exposure=exposure,
                    credit_limit=limit,
                    as_of=as_of,
                )
            )
    if fired == state.fired:
        return tuple(alerts), state
    return tuple(alerts), attrs.evolve(state, fired=frozenset(fired))
