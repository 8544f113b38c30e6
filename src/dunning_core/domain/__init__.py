"""Immutable domain objects: no I/O, no policies, no clock."""
