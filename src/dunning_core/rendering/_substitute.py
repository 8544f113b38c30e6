"""``{name}`` substitution: one pass, no attribute access, no format spec (private)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from dunning_core.errors import RenderError

__all__ = ["PLACEHOLDER", "placeholders", "substitute"]

#: ``{{`` and ``}}`` stand for literal braces; ``{name}`` is a placeholder.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> frozenset[str]:
    """The placeholder names ``text`` uses."""
    return frozenset(m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1))


def substitute(
    template_key: str,
    text: str,
    values: Mapping[str, object],
    render_value: Callable[[object], str],
) -> str:
    """Replace each ``{name}`` by ``render_value(values[name])``, in one pass: a value
    that contains ``{...}`` is inserted as text, never expanded.

    Raises:
        RenderError: a placeholder has no value.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        if name not in values or values[name] is None:
            raise RenderError(template_key, f"no value for placeholder {{{name}}}")
        return render_value(values[name])

    return PLACEHOLDER.sub(replace, text)
