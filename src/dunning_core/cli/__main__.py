"""``python -m dunning_core.cli``: the same as the ``dunning`` console script."""

from dunning_core.cli.main import run

run()
