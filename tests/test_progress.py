"""The progress display: one line per item in logs, a redrawn bar on a terminal."""

from __future__ import annotations

import io

from unravel_lang.progress import BAR_WIDTH, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal():
    s = io.StringIO()
    p = Progress(3, stream=s, verb="encoding")
    for name in ("a.wav", "b.wav", "c.wav"):
        p.start(name)
        p.advance()
    p.message("note")
    p.close()
    assert s.getvalue().splitlines() == [
        "[1/3] encoding a.wav", "[2/3] encoding b.wav", "[3/3] encoding c.wav", "note"]
    assert p.done == 3


def test_bar_on_a_terminal():
    s = Terminal()
    p = Progress(4, stream=s)
    p.start("x")
    p.advance()
    p.message("skipped x")
    p.close()
    text = s.getvalue()
    assert "\r" in text and "skipped x\n" in text
    assert p.bar(2) == "[" + "#" * (BAR_WIDTH // 2) + "." * (BAR_WIDTH // 2) + "] 2/4"
    assert p.bar(4).count("#") == BAR_WIDTH
    assert text.endswith("\r\x1b[2K")  # the terminal line is given back
