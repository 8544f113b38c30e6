"""Command-line tools: thin shells over the library that read files and arguments and
print.

The only part of the package besides the adapters that does I/O on a terminal. It calls
the public API (the package root, the services, the public faces of the policies) and
opens stores through the adapters' public modules, never their private ones.

- ``dunning`` (:mod:`dunning_core.cli.main`): import a ledger, run the day, work the
  case list, export it, see the portfolio in an HTML report (the docs page *The dunning
  command*).
- ``python -m dunning_core.cli.sms "text"``: an SMS's segments and parts.
"""
