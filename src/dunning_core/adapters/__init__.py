"""Adapters: storage and notification implementations of the ports."""
