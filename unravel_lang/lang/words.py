"""The words of the language, each defined once: statement keywords and unit words (read from
the grammar, `unravel.lark`), constants, the live input's name and the quanta.

The parser, the checker, the evaluator and the REPL (completion, highlighting, help) take
their words from here.
"""

from __future__ import annotations

import re

from unravel_lang.lang.grammar import grammar_text
from unravel_lang.tempo import QUANTA

__all__ = ["CONSTANTS", "INPUT", "KEYWORDS", "QUANTA", "UNITS", "UNIT_WORDS"]


def _keywords(grammar: str) -> tuple[str, ...]:
    """The grammar's word terminals (`MODEL: "model"`), in the order they are defined."""
    return tuple(re.findall(r'^[A-Z_]+(?:\.\d+)?: "([a-z]+)"$', grammar, flags=re.M))


def _unit_words(grammar: str) -> tuple[str, ...]:
    """The words of the `LENGTH` terminal's last group: `(bars|bar|...|s)`, in that order."""
    line = re.search(r"^LENGTH(?:\.\d+)?: /(.*)/$", grammar, flags=re.M)
    if line is None:  # pragma: no cover - the grammar defines it
        raise RuntimeError("the grammar has no LENGTH terminal")
    groups = re.findall(r"\(((?:[a-z]+\|)*[a-z]+)\)", line.group(1))
    return tuple(groups[-1].split("|"))


KEYWORDS: tuple[str, ...] = _keywords(grammar_text())
"""The statement words of the grammar (`model`, `bpm`, `track`, ...), in the order `help`
lists them."""

UNIT_WORDS: tuple[str, ...] = _unit_words(grammar_text())
"""The words that may follow a number to make a length (`2bars`, `1beat`, `0.5s`)."""

UNITS: dict[str, str] = {w: w + "s" if w + "s" in UNIT_WORDS else w for w in UNIT_WORDS}
"""Each unit word → the unit it names: `bar` and `bars` → "bars", `s` → "s" (seconds)."""

CONSTANTS: dict[str, object] = {"true": True, "false": False, "none": None}
"""Names with a fixed value."""

INPUT = "input"
"""The name of the live input's latent stream (its whole bars held; see `listen`)."""
