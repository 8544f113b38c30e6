"""Hostile text: what a parser of outside input must survive (private).

A bank reference, a customer's remittance file, a TOML file a colleague edited, an SMS
text: each reaches the library from outside, so each parser must answer any text with
a result or one of the library's own errors. :func:`hostile_text` draws the text that
breaks parsers: every code point (lone surrogates, controls, format characters),
strings known to trip number, date, path and template parsers, and mixes of both.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["NASTY_STRINGS", "hostile_text"]

#: Strings that have broken parsers: line and header injection, NUL, bidirectional
#: overrides, byte order marks, lone surrogates, numbers Python reads and people do not
#: mean (underscores, other scripts' digits, huge exponents), template and format
#: syntax, SQL, paths, timezone folders, combining marks, emoji sequences, GSM escapes.
NASTY_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\t",
    "\r\n",
    "\n\n",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\ud800",
    "\udfff",
    "\U0010ffff",
    "0",
    "-0",
    "+0.00",
    "1e999999999",
    "2E" + "2" * 30,
    "1e-99999999999999999999",
    "-1e-999999999",
    "9" * 40,
    "0." + "0" * 40 + "1",
    "NaN",
    "-Infinity",
    "1_000",
    "1,000.00",
    "1.000,00",
    "\u0661\u0662\u0663",
    "\uff11\uff12",
    "\U0001d7d7",
    "0x10",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31T23:59:59+14:00",
    "F-1 ",
    "F-2\r\nBcc: all@evil.example",
    "'; DROP TABLE accounts; --",
    "{placeholder}",
    "{0.__class__.__mro__}",
    "{{",
    "}",
    "%s%n%x",
    "${jndi:ldap://127.0.0.1/a}",
    "../../etc/passwd",
    "Europe",
    "Etc/GMT+99",
    "e\u0301",
    "Z\u0337\u0322\u0353a\u0334l\u0338g\u0337o\u0338",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1eb\U0001f1f7",
    "^{}\\[~]|\u20ac",
    "\u00e7\u00c7\u0130\u0131\u00df",
    "a" * 1000,
    "INV-" * 200,
    "1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17-18-19-20",
)

_any_code_point = st.characters(exclude_categories=())


def hostile_text(*, max_size: int = 200) -> st.SearchStrategy[str]:
    """Text a parser of outside input must survive.

    Args:
        max_size: Longest random text drawn (the known strings may be longer).

    Returns:
        A strategy of str: one of :data:`NASTY_STRINGS`, any code points (lone
        surrogates included), known strings glued to random ones, or bytes decoded as
        Latin-1 or as UTF-8 with escapes.

    >>> from hypothesis import given
    >>> @given(hostile_text())
    ... def test_my_parser_answers_every_text(text):
    ...     ...
    """
    pieces = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(_any_code_point, max_size=8))
    return st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.text(_any_code_point, max_size=max_size),
        st.lists(pieces, max_size=6).map("".join),
        st.binary(max_size=max_size).map(lambda raw: raw.decode("latin-1")),
        st.binary(max_size=max_size).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    )
