"""Progress of ``dunning run`` on stderr: a bar on a terminal (tqdm, when installed),
plain lines otherwise (one per tenth of the accounts), or nothing."""

from __future__ import annotations

import importlib
import os
import time
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """Counts accounts as batches finish and shows it.

    Use :meth:`start`; call :meth:`advance` with each batch's size and :meth:`close`
    at the end.
    """

    def __init__(self, total: int, stream: TextIO, bar: Any = None, lines: bool = False) -> None:
        self.total = total
        self.stream = stream
        self.bar = bar
        self.lines = lines
        self.done = 0
        self._next_tenth = 1
        self._started = time.monotonic()

    @classmethod
    def start(cls, mode: str, total: int, stream: TextIO) -> Progress:
        """Progress for ``mode``: ``auto`` (a bar on a terminal, lines otherwise),
        ``bar``, ``lines`` or ``none``. Without tqdm a bar falls back to lines."""
        if mode == "none":
            return cls(total, stream)
        want_bar = mode == "bar" or (mode == "auto" and stream.isatty())
        if want_bar:
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                pass
            else:
                try:
                    width = os.get_terminal_size(stream.fileno()).columns or 80
                except (OSError, ValueError):
                    width = 80
                bar = tqdm(total=total, unit="acct", file=stream, ncols=width, mininterval=0.2)
                return cls(total, stream, bar=bar)
        return cls(total, stream, lines=True)

    def advance(self, accounts: int) -> None:
        """One more batch of ``accounts`` done."""
        self.done += accounts
        if self.bar is not None:
            self.bar.update(accounts)
        elif self.lines and self.total:
            tenth = self.done * 10 // self.total
            if tenth >= self._next_tenth:
                self._next_tenth = tenth + 1
                elapsed = time.monotonic() - self._started
                self.stream.write(
                    f"progress: {self.done}/{self.total} accounts "
                    f"({min(100, self.done * 100 // self.total)} %), {elapsed:.1f} s\n"
                )
                self.stream.flush()

    def close(self) -> None:
        """Finish the bar."""
        if self.bar is not None:
            self.bar.close()
