"""Runnable examples (`make demo`)."""
