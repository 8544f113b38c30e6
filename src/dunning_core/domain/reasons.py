"""Why a decision came out the way it did: one :class:`Reason` shape for every policy.

A ladder's trace, a suspension decision and an allocation's discrepancies all explain
themselves with :class:`Reason` values: a stable ``code`` (upper-case, what stores,
dashboards and translations key on), a ``message`` a support agent can read to the
customer, the ``subject`` it is about (an invoice number, a promise or hold id; ``None``
for the whole account) and the ``facts`` behind it as data. A support tool renders any
decision the same way:

>>> reason = Reason("STAGE_DUE", "invoice F-1 is 3 day(s) past due", subject="F-1",
...                 facts={"stage": "first_notice"})
>>> f"[{reason.code}] {reason}"
'[STAGE_DUE] invoice F-1 is 3 day(s) past due'
>>> reason.facts["stage"]
'first_notice'

A policy may subclass it to carry more (a suspension reason carries its remedy); the
four fields keep their meaning.
"""

from __future__ import annotations

import enum
import re
import warnings
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from dunning_core.domain._checks import FrozenMapping, field_name
from dunning_core.errors import InvalidField
from dunning_core.money import Money

__all__ = ["FactValue", "Reason"]

#: What a reason's facts may hold: plain, immutable, serialisable values.
FactValue = str | int | bool | date | Decimal | Money | tuple[str, ...] | None

_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


def _plain_code(value: Any) -> Any:
    # A policy's StrEnum member is kept as its plain value, so stores, JSON and reprs
    # see a str ("OVERDUE_DAYS" == ReasonCode.OVERDUE_DAYS still holds).
    return value.value if isinstance(value, enum.Enum) else value


def _code(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidField(
            field_name(instance, attribute),
            value,
            "must be an upper-case code such as 'OVERDUE_DAYS' (letters, digits, '_')",
        )


def _text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidField(field_name(instance, attribute), value, "must be a string")


def _subject(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidField(
            field_name(instance, attribute), value, "must be a non-empty string or None"
        )


def _facts(value: Mapping[str, FactValue]) -> Mapping[str, FactValue]:
    if not isinstance(value, Mapping):
        raise InvalidField("Reason.facts", value, "must be a mapping of names to values")
    return FrozenMapping(dict(sorted(value.items())))


@attrs.frozen
class Reason:
    """One reason behind a decision, as data and as a sentence.

    Args:
        code: Stable upper-case code (``"OVERDUE_DAYS"``, ``"STAGE_DUE"``,
            ``"OVERPAYMENT"``); a policy's ``StrEnum`` member is stored as its value.
        message: A sentence a person can read to the customer.
        subject: What it is about: an invoice number, a promise, proceeding or hold id,
            the account id; ``None`` when the decision's own subject is meant.
        facts: The facts behind it, read-only (``{"days_past_due": 16}``).

    Raises:
        InvalidField: the code is not upper-case letters, digits and ``_``, or a field
            has the wrong type.

    .. versionadded:: 0.2
       Replaces the ladder's ``Reason``, the suspension ``Reason`` and the allocation's
       ``Discrepancy``.
    """

    code: str = attrs.field(converter=_plain_code, validator=_code)
    message: str = attrs.field(validator=_text)
    subject: str | None = attrs.field(default=None, kw_only=True, validator=_subject)
    # Excluded from the hash (a mapping has none) but compared for equality.
    facts: Mapping[str, FactValue] = attrs.field(
        factory=dict, converter=_facts, hash=False, kw_only=True
    )

    def __str__(self) -> str:
        return self.message

    @classmethod
    def _trusted(
        cls, code: str, message: str, subject: str | None, facts: Mapping[str, FactValue]
    ) -> Reason:
        """A reason from values a policy built itself and knows valid (an upper-case
        code of its own enum, a str message), without running the validators: the
        ladder builds several per action on the portfolio's hot path."""
        reason = object.__new__(cls)
        set_field = object.__setattr__
        set_field(reason, "code", code.value if isinstance(code, enum.Enum) else code)
        set_field(reason, "message", message)
        set_field(reason, "subject", subject)
        set_field(
            reason, "facts", facts if isinstance(facts, FrozenMapping) else FrozenMapping(facts)
        )
        return reason

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """``(code, subject, message)``: the order reasons are listed in."""
        return (self.code, self.subject or "", self.message)

    @property
    def detail(self) -> str:
        """Deprecated alias of :attr:`message`."""
        warnings.warn(
            "Reason.detail is deprecated; use Reason.message",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.message

    def as_dict(self) -> dict[str, Any]:
        """The reason as plain data (codes as ``str``), for JSON or a template."""
        return {
            "code": self.code,
            "message": self.message,
            "subject": self.subject,
            "facts": dict(self.facts),
        }
