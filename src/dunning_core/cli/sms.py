"""``python -m dunning_core.cli.sms "text"``: print an SMS's segment count and parts.

A small tool for trying messages out. Reads the text from standard input when it is
``-`` or missing.

.. versionchanged:: 0.2
   Moved out of the pure layer (it was ``python -m dunning_core.policies.sms``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dunning_core.errors import InvalidSmsProfile
from dunning_core.policies.sms import (
    NationalLanguage,
    SmsProfile,
    count_segments,
    gsm_normalize,
    split_segments,
)

__all__ = ["main"]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dunning_core.cli.sms",
        description="Count the SMS segments of a message and show its parts.",
    )
    parser.add_argument("text", nargs="?", default="-", help="the message ('-': stdin)")
    parser.add_argument(
        "--language",
        action="append",
        default=[],
        choices=[language.value for language in NationalLanguage],
        help="allow this national language's shift tables (repeatable)",
    )
    parser.add_argument(
        "--reference-bits", type=int, choices=(8, 16), default=8, help="concatenation reference"
    )
    parser.add_argument(
        "--normalize", action="store_true", help="replace look-alikes that force UCS-2 first"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the hook.

    Args:
        argv: The arguments (``sys.argv[1:]`` when None).

    Returns:
        The exit status: 0, or 2 for an unusable profile.
    """
    arguments = _arguments(argv)
    text = sys.stdin.read() if arguments.text == "-" else arguments.text
    try:
        profile = SmsProfile(
            name="command line",
            concat_reference_bits=arguments.reference_bits,
            national_languages=tuple(NationalLanguage(name) for name in arguments.language),
        )
    except InvalidSmsProfile as error:
        print(error, file=sys.stderr)
        return 2
    if arguments.normalize:
        text, replacements = gsm_normalize(text)
        for replacement in replacements:
            print(
                f"replaced {replacement.original!r} at {replacement.position} "
                f"by {replacement.replacement!r}"
            )
    counted = count_segments(text, profile=profile)
    tables = ", ".join(
        f"{kind} {language.value}"
        for kind, language in (("locking", counted.locking_shift), ("single", counted.single_shift))
        if language is not None
    )
    print(
        f"{counted.encoding}{f' ({tables})' if tables else ''}: {counted.segments} segment(s), "
        f"{counted.units} units, {counted.capacity} per segment, {counted.remaining} left"
    )
    for number, part in enumerate(split_segments(text, profile=profile), start=1):
        print(f"part {number}: {part!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
