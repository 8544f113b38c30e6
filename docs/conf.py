"""Sphinx configuration: furo theme, MyST markdown, Google-style docstrings (napoleon)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dunning_core import __version__  # noqa: E402

project = "dunning_core"
author = "dunning_core maintainers"
copyright = "2026, dunning_core maintainers"  # noqa: A001
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "dunning_core"

napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Attributes sections as :ivar: fields, so NamedTuple fields are not described twice.
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
myst_heading_anchors = 3
# No intersphinx: the build must work offline (only package registries are reachable).
nitpicky = False
suppress_warnings = ["myst.xref_missing"]
