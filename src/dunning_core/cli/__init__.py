"""The ``dunning`` command: a thin shell over the services that reads files and prints.

The only part of the package besides the adapters that does I/O on a terminal. It calls
the public API (the package root, the services, the public faces of the policies) and
opens stores through the adapters' public modules, never their private ones.

Run ``dunning --help``, or see the docs page *The dunning command*.
"""
