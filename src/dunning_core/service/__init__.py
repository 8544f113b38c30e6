"""Application layer: the only code that calls ports."""
