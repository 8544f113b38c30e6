"""Policies: pure functions of immutable facts and an explicit ``as_of``."""
