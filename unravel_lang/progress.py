"""A small progress display for batch commands, written to stderr.

On a terminal it redraws one line (`[####....] 3/8 name`); elsewhere (a pipe, a log file) it
prints one plain line per item, so logs stay readable.
"""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    """Counts `total` items; `start(name)` announces the next one, `close()` ends the display."""

    def __init__(self, total: int, stream: TextIO | None = None, verb: str = "") -> None:
        self.total = int(total)
        self.done = 0
        self.verb = verb
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = False

    def bar(self, done: int) -> str:
        """The bar text for `done` finished items: `[####......] done/total`."""
        filled = BAR_WIDTH * done // self.total if self.total else BAR_WIDTH
        return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{self.total}"

    def start(self, name: str) -> None:
        """Show that item number `done + 1`, called `name`, is being worked on."""
        label = f"{self.verb} {name}".strip()
        if self.tty:
            self.stream.write(f"\r\x1b[2K{self.bar(self.done)} {label}")
            self._drawn = True
        else:
            self.stream.write(f"[{self.done + 1}/{self.total}] {label}\n")
        self.stream.flush()

    def advance(self) -> None:
        """Mark the current item finished."""
        self.done += 1
        if self.tty:
            self.stream.write(f"\r\x1b[2K{self.bar(self.done)}")
            self.stream.flush()

    def message(self, text: str) -> None:
        """Print a line (a warning, a skipped file) without breaking the bar."""
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        if self.tty and self._drawn:
            self.stream.write(self.bar(self.done))
        self.stream.flush()

    def close(self) -> None:
        """End the display (a terminal gets its line back)."""
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False
