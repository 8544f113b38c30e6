"""Sending profiles (:class:`SmsProfile`) and the encoders compiled from them.

A profile says what the sending route accepts: the concatenation reference size, the
national language shift tables the handsets understand, and a provider's own billing
quirks. Building one compiles an encoder per allowed GSM 7-bit table combination, so
counting a message does no set-up work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Final, Literal

from dunning_core.errors import InvalidSmsProfile
from dunning_core.policies.sms._encoders import CONCAT_IE_OCTETS, GsmEncoder, Ucs2Encoder
from dunning_core.policies.sms._tables import (
    ESCAPE,
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    NationalLanguage,
)

__all__ = ["STRICT_3GPP", "SmsProfile"]

_MAX_COST_OVERRIDES: Final = 64


class _Plan:
    """What a profile compiles to: its GSM encoders (default tables first) and UCS-2."""

    __slots__ = ("gsm", "ucs2")

    def __init__(self, gsm: tuple[GsmEncoder, ...], ucs2: Ucs2Encoder) -> None:
        self.gsm = gsm
        self.ucs2 = ucs2


def _costs(field_name: str, value: Any, *, bmp_only: bool) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise InvalidSmsProfile(field_name, value, "must be a mapping of character to cost")
    if len(value) > _MAX_COST_OVERRIDES:
        raise InvalidSmsProfile(
            field_name, value, f"at most {_MAX_COST_OVERRIDES} characters may be overridden"
        )
    checked: dict[str, int] = {}
    for char, cost in value.items():
        if not isinstance(char, str) or len(char) != 1 or char == ESCAPE:
            raise InvalidSmsProfile(
                field_name, value, f"key {char!r} must be one character other than ESC"
            )
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise InvalidSmsProfile(field_name, value, f"key {char!r} is a surrogate")
        if bmp_only and ord(char) > 0xFFFF:
            raise InvalidSmsProfile(
                field_name, value, f"key {char!r} lies outside the basic plane (always 2)"
            )
        if type(cost) is not int or cost not in (1, 2):
            raise InvalidSmsProfile(field_name, value, f"cost of {char!r} must be 1 or 2")
        checked[char] = cost
    return MappingProxyType(dict(sorted(checked.items())))


def _languages(value: Any) -> tuple[NationalLanguage, ...]:
    if isinstance(value, str):
        value = (value,)
    languages: list[NationalLanguage] = []
    try:
        for item in value:
            language = NationalLanguage(item)
            if language not in languages:
                languages.append(language)
    except (TypeError, ValueError):
        known = ", ".join(language.value for language in NationalLanguage)
        raise InvalidSmsProfile(
            "SmsProfile.national_languages", value, f"unknown language; known: {known}"
        ) from None
    return tuple(languages)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsProfile:
    """How one sending route encodes and bills SMS; immutable.

    Args:
        name: A label for reports and logs.
        concat_reference_bits: 8 (153 septets / 67 UCS-2 units per part) or 16
            (152 / 66), the size of the concatenation reference the route sends.
        concatenated: False for a route that sends each part as a separate SMS with
            no concatenation header (parts of 160 / 70), as one agency in the seeds
            does ("un deuxième SMS distinct du premier sera envoyé").
        national_languages: Languages whose 3GPP TS 23.038 annex A shift tables the
            recipients' handsets support (``"turkish"``, ``"spanish"``,
            ``"portuguese"``). Empty (the default) means the default alphabet only.
        use_locking_shift: Whether national locking-shift tables may be used.
        use_single_shift: Whether national single-shift tables may be used.
        septet_costs: A provider's own GSM 7-bit billing: character -> 1 or 2 septets.
            A character that is not GSM but costs 1 here is one the provider
            transliterates and bills as standard; one that costs 2 is never split
            across parts. At most 64 entries: quirks, not a new alphabet.
        ucs2_costs: The same for UCS-2 messages (character -> 1 or 2 code units).

    Raises:
        InvalidSmsProfile: A field has a value the profile cannot use.
    """

    name: str = "3GPP TS 23.038"
    concat_reference_bits: Literal[8, 16] = 8
    concatenated: bool = True
    national_languages: tuple[NationalLanguage, ...] = ()
    use_locking_shift: bool = True
    use_single_shift: bool = True
    septet_costs: Mapping[str, int] = field(default_factory=dict)
    ucs2_costs: Mapping[str, int] = field(default_factory=dict)
    _plan: _Plan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidSmsProfile("SmsProfile.name", self.name, "must be a non-empty string")
        bits = self.concat_reference_bits
        if type(bits) is not int or bits not in CONCAT_IE_OCTETS:
            raise InvalidSmsProfile("SmsProfile.concat_reference_bits", bits, "must be 8 or 16")
        for flag in ("concatenated", "use_locking_shift", "use_single_shift"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidSmsProfile(f"SmsProfile.{flag}", getattr(self, flag), "must be a bool")
        languages = _languages(self.national_languages)
        septets = _costs("SmsProfile.septet_costs", self.septet_costs, bmp_only=False)
        ucs2 = _costs("SmsProfile.ucs2_costs", self.ucs2_costs, bmp_only=True)
        object.__setattr__(self, "national_languages", languages)
        object.__setattr__(self, "septet_costs", septets)
        object.__setattr__(self, "ucs2_costs", ucs2)
        object.__setattr__(self, "_plan", self._compile())

    def _compile(self) -> _Plan:
        lockings: list[NationalLanguage | None] = [None]
        singles: list[NationalLanguage | None] = [None]
        for language in self.national_languages:
            if self.use_locking_shift and language in LOCKING_SHIFT_TABLES:
                lockings.append(language)
            if self.use_single_shift and language in SINGLE_SHIFT_TABLES:
                singles.append(language)
        concat = CONCAT_IE_OCTETS[self.concat_reference_bits] if self.concatenated else 0
        gsm = tuple(
            GsmEncoder(locking, single, self.septet_costs, concat)
            for locking in lockings
            for single in singles
        )
        return _Plan(gsm, Ucs2Encoder(self.ucs2_costs, concat))

    def __hash__(self) -> int:
        return hash(tuple(_hashable(value) for value in self._arguments().values()))

    def __reduce__(self) -> tuple[Any, ...]:
        # The compiled plan and the read-only mappings are rebuilt, not pickled.
        return (_rebuild, (self._arguments(),))

    def _arguments(self) -> dict[str, Any]:
        return {
            item.name: dict(value)
            if isinstance(value := getattr(self, item.name), Mapping)
            else value
            for item in fields(self)
            if item.init
        }


def _hashable(value: Any) -> Any:
    return tuple(value.items()) if isinstance(value, dict) else value


def _rebuild(arguments: dict[str, Any]) -> SmsProfile:
    return SmsProfile(**arguments)


#: The default: 3GPP TS 23.038 as written, 8-bit concatenation reference, default
#: alphabet and extension table only, no provider quirks.
STRICT_3GPP: Final = SmsProfile()
