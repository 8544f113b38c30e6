"""What a ladder is: its stages, their offsets and actions, and the ladder's rules.

A :class:`Stage` fires for an invoice ``offset`` days from its due date (negative
before it), counted in calendar or business days. A :class:`Ladder` is an ordered list
of stages plus the rules that apply across them: the minimum gap between two notices
to one account, what to do when runs were missed (:class:`CatchUp`), whether a partial
payment restarts it, business hours and the pause windows.
"""

from __future__ import annotations

import enum
import re
from typing import Any

import attrs

from dunning_core.domain._checks import identifier_problem
from dunning_core.domain.account import Channel
from dunning_core.domain.calendar import BusinessCalendar, BusinessHours
from dunning_core.errors import InvalidField, InvalidLadder
from dunning_core.money import Money

__all__ = ["ActionKind", "CatchUp", "DayBasis", "Ladder", "Stage"]


class ActionKind(enum.StrEnum):
    """What a stage does.

    REMIND and FORMAL_NOTICE are notices: they are sent on the stage's channels. The
    others are account-level operations (suspend the service, terminate the contract,
    hand the file to a collection agency, ...); each yields one operation action per
    run, and a notice on the stage's channels when it has any. DECLARE_CLAIM is never
    a stage: the ladder produces it, instead of any reminder, while an insolvency
    proceeding is open.
    """

    REMIND = "REMIND"
    FORMAL_NOTICE = "FORMAL_NOTICE"  #: a formal notice (French *mise en demeure*)
    SUSPEND = "SUSPEND"
    TERMINATE = "TERMINATE"
    HAND_OVER_TO_COLLECTION = "HAND_OVER_TO_COLLECTION"
    LEGAL_ACTION = "LEGAL_ACTION"  #: judicial recovery
    CANCEL_ORDER = "CANCEL_ORDER"
    DECLARE_CLAIM = "DECLARE_CLAIM"  #: declare the claim to the insolvency administrator

    @property
    def is_notice(self) -> bool:
        """True for REMIND and FORMAL_NOTICE."""
        return self is ActionKind.REMIND or self is ActionKind.FORMAL_NOTICE

    @property
    def is_terminal(self) -> bool:
        """True for the actions that end a ladder (TERMINATE, LEGAL_ACTION, CANCEL_ORDER)."""
        return self in _TERMINAL


_TERMINAL = frozenset({ActionKind.TERMINATE, ActionKind.LEGAL_ACTION, ActionKind.CANCEL_ORDER})


class CatchUp(enum.StrEnum):
    """What a run does when several stages of one invoice are due at once (runs were
    missed, a pause ended, the ladder was just switched on)."""

    #: Fire only the most advanced stage now due; the ones passed over are recorded as
    #: skipped, so they never fire late.
    LATEST_ONLY = "LATEST_ONLY"
    #: Fire the next stage only; the following ones come one per run.
    EACH_IN_TURN = "EACH_IN_TURN"


class DayBasis(enum.StrEnum):
    """How a stage's offset is counted."""

    CALENDAR = "CALENDAR"
    #: Business days of the ladder's calendar; the due date first rolls forward to a
    #: business day (see :meth:`BusinessCalendar.shift`).
    BUSINESS = "BUSINESS"


_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _stage_key(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise InvalidLadder(
            "Stage.key", value, "must be letters, digits, '_', '.' or '-' (no spaces, no '/')"
        )


def _offset(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidLadder("Stage.offset", value, "must be a whole number of days")


def _basis(value: Any) -> DayBasis:
    try:
        return DayBasis(value)
    except ValueError:
        raise InvalidLadder("Stage.basis", value, "must be CALENDAR or BUSINESS") from None


def _action(value: Any) -> ActionKind:
    try:
        kind = ActionKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in ActionKind if k is not ActionKind.DECLARE_CLAIM)
        raise InvalidLadder("Stage.action", value, f"must be one of {choices}") from None
    if kind is ActionKind.DECLARE_CLAIM:
        raise InvalidLadder(
            "Stage.action", value, "is produced by the ladder itself during insolvency"
        )
    return kind


def _channels(value: Any) -> tuple[Channel, ...]:
    if isinstance(value, (str, Channel)):
        value = (value,)
    result: list[Channel] = []
    for item in value:
        try:
            channel = Channel(item)
        except ValueError:
            choices = ", ".join(c.value for c in Channel)
            raise InvalidLadder("Stage.channels", item, f"must be one of {choices}") from None
        if channel not in result:
            result.append(channel)
    return tuple(result)


def _per_currency(field: str, value: Any) -> tuple[Money, ...]:
    if value is None:
        return ()
    items = (value,) if isinstance(value, Money) else tuple(value)
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, Money):
            raise InvalidLadder(field, item, "must be a Money (one per currency)")
        if item.amount <= 0:
            raise InvalidLadder(field, item, "must be greater than zero")
        if item.currency in seen:
            raise InvalidLadder(field, item, f"two amounts in {item.currency}")
        seen.add(item.currency)
    return tuple(sorted(items, key=lambda m: m.currency))


def _fee(value: Any) -> tuple[Money, ...]:
    return _per_currency("Stage.fee", value)


def _min_overdue(value: Any) -> tuple[Money, ...]:
    return _per_currency("Stage.min_overdue", value)


def _default_template(stage: Stage) -> str:
    return stage.key


@attrs.frozen(kw_only=True)
class Stage:
    """One step of a ladder.

    Args:
        key: Stable identifier (letters, digits, ``_ . -``); it names the step in the
            history and in idempotency keys, so never rename a stage in use.
        offset: Days from the invoice's due date; negative before it, 0 on it.
        basis: CALENDAR (default) or BUSINESS days (weekends and the ladder's holidays
            do not count; the due date rolls forward to a business day first).
        channels: Where the notice goes (EMAIL, SMS, LETTER, REGISTERED_LETTER,
            PHONE_TASK, WEBHOOK). Notices need at least one; operations may have none.
        action: What the stage does (REMIND by default).
        template: The message template key (the stage key by default).
        fee: A fixed fee booked once per invoice and stage: a Money, or one Money per
            currency; no fee for a currency not listed.
        min_overdue: Skip the stage when the amount at stake is below this (a Money,
            or one per currency). The amount at stake is the account's overdue balance,
            plus the invoice's open amount for a stage on or before the due date.

    Preconditions follow from the channels and the action: EMAIL needs a contact with
    an email address, SMS a mobile number, PHONE_TASK a phone or mobile number, LETTER
    and REGISTERED_LETTER a complete postal address; a hand-over to collection or a
    legal action needs a complete postal address too (otherwise it is blocked: not
    carried out, not recorded, and it fires on the first run after the address is
    completed).

    Raises:
        InvalidLadder: on any bad value, naming the field.
    """

    key: str = attrs.field(validator=_stage_key)
    offset: int = attrs.field(validator=_offset)
    basis: DayBasis = attrs.field(default=DayBasis.CALENDAR, converter=_basis)
    channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    action: ActionKind = attrs.field(default=ActionKind.REMIND, converter=_action)
    template: str = attrs.field(default=attrs.Factory(_default_template, takes_self=True))
    fee: tuple[Money, ...] = attrs.field(default=(), converter=_fee)
    min_overdue: tuple[Money, ...] = attrs.field(default=(), converter=_min_overdue)

    def __attrs_post_init__(self) -> None:
        if self.action.is_notice and not self.channels:
            raise InvalidLadder(
                "Stage.channels",
                (),
                f"stage {self.key!r}: a {self.action} needs a channel",
                stage=self.key,
            )
        if not isinstance(self.template, str) or not self.template.strip():
            raise InvalidLadder(
                "Stage.template", self.template, "must be a non-empty string", stage=self.key
            )

    def fee_for(self, currency: str) -> Money | None:
        """The fee in ``currency``, or ``None`` when the stage books none in it."""
        for fee in self.fee:
            if fee.currency == currency:
                return fee
        return None

    def min_overdue_for(self, currency: str) -> Money | None:
        """The minimum amount at stake in ``currency``, or ``None`` for no minimum."""
        for amount in self.min_overdue:
            if amount.currency == currency:
                return amount
        return None

    @property
    def sends_notice(self) -> bool:
        """True when the stage tells the customer something (it has channels)."""
        return bool(self.channels)


def _stages(value: Any) -> tuple[Stage, ...]:
    if isinstance(value, Stage):
        return (value,)
    stages = tuple(value)
    for stage in stages:
        if not isinstance(stage, Stage):
            raise InvalidLadder("Ladder.stages", stage, "every stage must be a Stage")
    return stages


def _catch_up(value: Any) -> CatchUp:
    try:
        return CatchUp(value)
    except ValueError:
        raise InvalidLadder(
            "Ladder.catch_up", value, "must be LATEST_ONLY or EACH_IN_TURN"
        ) from None


def _days(field: str) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidLadder(field, value, "must be a whole number of days >= 0")

    return check


def _ladder_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Part of every history record and idempotency key: an identifier.
    problem = identifier_problem(value)
    if problem is not None:
        raise InvalidLadder("Ladder.name", value, problem)


def _calendar(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, BusinessCalendar):
        raise InvalidField("Ladder.calendar", value, "must be a BusinessCalendar")


def _hours(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, BusinessHours):
        raise InvalidField("Ladder.business_hours", value, "must be a BusinessHours")


def _check_order(previous: Stage, stage: Stage) -> None:
    """Refuse a stage that could come due on or before the previous one for some due
    date and some holiday calendar: with latest-only catch-up the earlier stage would
    be skipped and never sent.

    Within one basis, increasing offsets keep the order. Across bases: a business day
    count has no upper bound in calendar days (holidays can push it past any offset:
    a shop closed all August), so a calendar-day stage never follows a business-day
    one; and a business-day stage follows a calendar-day one only when it comes on or
    after the due date (``offset >= 0``: it then falls at least ``offset`` calendar
    days after the due date) with a larger offset.
    """
    if previous.basis is stage.basis:
        return
    if previous.basis is DayBasis.BUSINESS:
        raise InvalidLadder(
            "Stage.basis",
            stage.basis.value,
            f"stage {stage.key!r} counts calendar days after {previous.key!r}, which counts "
            "business days: weekends and holidays can push the business day past it, and "
            "the earlier stage would be skipped; count both in business days, or put the "
            "calendar-day stages first",
            stage=stage.key,
        )
    if stage.offset < 0 or stage.offset <= previous.offset:
        raise InvalidLadder(
            "Stage.offset",
            stage.offset,
            f"stage {stage.key!r} counts business days after {previous.key!r}, which counts "
            f"calendar days (offset {previous.offset}): it must be on or after the due date "
            "(offset >= 0) and have a larger offset, or holidays can bring it level with "
            "or before the earlier stage",
            stage=stage.key,
        )


@attrs.frozen(kw_only=True)
class Ladder:
    """A named sequence of stages and the rules that apply across them.

    Args:
        name: Stable name; it is part of every history record and idempotency key.
        stages: The stages, in order: unique keys, strictly increasing offsets, at
            most one terminal action (TERMINATE, LEGAL_ACTION, CANCEL_ORDER), and only
            as the last stage. Mixing bases, calendar-day stages come first and a
            business-day stage after them has an offset >= 0: then each stage comes
            due strictly after the previous one whatever the due date and holidays.
        min_days_between_notices: No stage that sends a notice fires for an account
            less than this many days after its previous notice (0: no limit). A stage
            held back this way fires on the first day allowed.
        catch_up: LATEST_ONLY (default) or EACH_IN_TURN, see :class:`CatchUp`.
        restart_on_partial_payment: When True, a partial payment restarts the ladder
            of that invoice: the stages after the due date count again from the day
            of the payment.
        calendar: Weekends and holidays for business-day stages and business hours
            (the caller can pass another one per account to ``evaluate_ladder``).
        business_hours: When SMS and phone tasks may start, in the account's timezone
            (09:00-19:00 Monday to Friday by default).
        promise_grace_days: A promise to pay pauses dunning until its date plus this
            many days (3 by default); after that it is broken and dunning resumes.
        clearing_window_days: A PENDING payment (a direct debit, a scheduled card
            retry) counts as in flight for this many business days after its date
            (10 by default, what a direct debit may take).
        description: What the ladder is for, for people.

    Raises:
        InvalidLadder: the stages or a rule are inconsistent, naming the field.
    """

    name: str = attrs.field(validator=_ladder_name)
    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    min_days_between_notices: int = attrs.field(
        default=0, validator=_days("Ladder.min_days_between_notices")
    )
    catch_up: CatchUp = attrs.field(default=CatchUp.LATEST_ONLY, converter=_catch_up)
    restart_on_partial_payment: bool = False
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar, validator=_calendar)
    business_hours: BusinessHours = attrs.field(factory=BusinessHours, validator=_hours)
    promise_grace_days: int = attrs.field(default=3, validator=_days("Ladder.promise_grace_days"))
    clearing_window_days: int = attrs.field(
        default=10, validator=_days("Ladder.clearing_window_days")
    )
    description: str = ""
    # Compiled forms per calendar (trigger dates, indexes); see evaluate.py.
    _plans: dict[Any, Any] = attrs.field(init=False, factory=dict, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.stages:
            raise InvalidLadder("Ladder.stages", (), f"ladder {self.name!r} has no stage")
        keys: set[str] = set()
        previous: Stage | None = None
        terminal: Stage | None = None
        for stage in self.stages:
            if stage.key in keys:
                raise InvalidLadder(
                    "Stage.key", stage.key, f"appears twice in {self.name!r}", stage=stage.key
                )
            keys.add(stage.key)
            if previous is not None:
                _check_order(previous, stage)
            if previous is not None and stage.offset <= previous.offset:
                raise InvalidLadder(
                    "Stage.offset",
                    stage.offset,
                    f"stage {stage.key!r} must come after {previous.key!r} "
                    f"(offset {previous.offset}): offsets must strictly increase",
                    stage=stage.key,
                )
            if terminal is not None:
                raise InvalidLadder(
                    "Stage.action",
                    stage.action if stage.action.is_terminal else stage.key,
                    f"stage {stage.key!r} follows the terminal stage {terminal.key!r}",
                    stage=stage.key,
                )
            if stage.action.is_terminal:
                terminal = stage
            previous = stage

    def stage(self, key: str) -> Stage:
        """The stage named ``key``.

        Raises:
            KeyError: no such stage.
        """
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        """The stage keys, in order."""
        return tuple(stage.key for stage in self.stages)

    @property
    def terminal_stage(self) -> Stage | None:
        """The stage that ends the ladder, if any."""
        last = self.stages[-1]
        return last if last.action.is_terminal else None

    def with_calendar(self, calendar: BusinessCalendar) -> Ladder:
        """A copy of this ladder with another holiday calendar."""
        return attrs.evolve(self, calendar=calendar)
