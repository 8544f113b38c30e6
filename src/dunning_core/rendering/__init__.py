"""Message rendering per locale.

- :class:`~dunning_core.rendering.catalog.CatalogRenderer`: the built-in notices in
  English, French, German and Spanish (gettext catalogs), with an HTML part.
- :class:`~dunning_core.rendering.templates.TemplateRenderer`: the team's own templates
  (Jinja2, sandboxed; the ``templates`` extra), over the built-in texts.
- :func:`check_templates`: validate a template directory without raising.
- :class:`~dunning_core.rendering.signed_links.SignedPaymentLinks` and
  :func:`~dunning_core.rendering.signed_links.verify_payment_link`: payment links that
  cannot be altered or used after they expire.
- :class:`~dunning_core.rendering.plain.PlainRenderer`: the first, dictionary-based
  renderer (English and French), kept for compatibility.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dunning_core.rendering.templates import TemplateProblem

__all__ = ["check_templates"]


def check_templates(
    path: str | os.PathLike[str],
    *,
    keys: Mapping[str, Sequence[str]] | None = None,
) -> list[TemplateProblem]:
    """Validate a template directory against every key and locale (needs jinja2, the
    ``templates`` extra); see :func:`dunning_core.rendering.templates.check_templates`.

    Returns:
        Every problem with its file and line; empty when the directory is good.
    """
    from dunning_core.rendering.templates import check_templates as check

    return check(path, keys=keys)
