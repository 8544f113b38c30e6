"""Command-line tools: thin shells over the library that read arguments and print.

The only part of the package besides the adapters that does I/O on a terminal; it
calls the public API and never an adapter's private modules.
"""
