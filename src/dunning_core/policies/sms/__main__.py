"""Deprecated: ``python -m dunning_core.policies.sms`` is now
``python -m dunning_core.cli.sms`` (the pure layer does no terminal I/O).

Kept for one release: running it (or importing ``main`` from it) warns and hands over
to :mod:`dunning_core.cli.sms`, resolved by name when first used.
"""

import runpy
import warnings

from dunning_core._exports import moved

__getattr__, __dir__ = moved(__name__, {"main": "dunning_core.cli.sms"})

if __name__ == "__main__":
    warnings.warn(
        "python -m dunning_core.policies.sms is deprecated; use python -m dunning_core.cli.sms",
        DeprecationWarning,
        stacklevel=1,
    )
    runpy.run_module("dunning_core.cli.sms", run_name="__main__")
