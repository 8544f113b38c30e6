"""Test support for users of the library: hypothesis strategies, fakes, contract tests."""
