"""Message rendering per locale."""
