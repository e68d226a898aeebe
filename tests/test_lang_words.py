"""The words of the language, defined once: what the parser's grammar knows is what the
checker, the evaluator and the REPL use."""

from __future__ import annotations

import pytest

from unravel_lang.lang import LanguageError, ast, parse
from unravel_lang.lang.context import Grid
from unravel_lang.lang.parser import _lark
from unravel_lang.lang.words import CONSTANTS, INPUT, KEYWORDS, QUANTA, UNIT_WORDS, UNITS
from unravel_lang.tempo import QUANTA as GRID_QUANTA

# Suffixes next to the unit words: prefixes, doubled plurals, other units of time.
NOT_UNITS = ("b", "ba", "barss", "bea", "beatss", "fr", "fram", "framess", "ms", "sec", "ss",
             "S", "Bars", "x")


def is_length(suffix: str) -> bool:
    """True when the parser reads `2SUFFIX` as one length."""
    try:
        program = parse(f"x = 2{suffix}")
    except LanguageError:
        return False
    return isinstance(program.statements[0].value, ast.Length)


def test_keywords_match_the_grammar():
    # both directions: the word terminals Lark built from the grammar are the keywords, in order
    words = tuple(t.pattern.value for t in _lark().terminals
                  if t.pattern.type == "str" and t.pattern.value.isalpha())
    assert words == KEYWORDS
    assert len(set(KEYWORDS)) == len(KEYWORDS)


def test_unit_words_are_the_lengths_the_parser_reads():
    assert [u for u in UNIT_WORDS if not is_length(u)] == []
    assert [u for u in NOT_UNITS if is_length(u)] == []
    for word in UNIT_WORDS:
        assert parse(f"x = 3{word}").statements[0].value.unit == UNITS[word]


def test_each_unit_names_a_length_on_the_grid():
    assert UNITS["bar"] == UNITS["bars"] == "bars" and UNITS["s"] == "s"
    grid = Grid(k=11, beats_per_bar=4, rate=44100 / 2048)
    frames = {unit: grid.frames(2, unit) for unit in set(UNITS.values())}
    assert frames == {"bars": 88, "beats": 22, "frames": 2, "s": round(2 * 44100 / 2048)}


def test_constants_input_and_quanta_are_no_keywords():
    assert not set(KEYWORDS) & {*CONSTANTS, INPUT, *QUANTA}
    # the language and the grid share one tuple; the engine checks with tempo.check_quantum
    assert QUANTA is GRID_QUANTA


@pytest.mark.parametrize("word", ["true", "none", "input"])
def test_a_constant_or_the_input_cannot_be_bound(word):
    from unravel_lang.lang import Session

    with pytest.raises(LanguageError, match="cannot be bound|live input"):
        Session(output=None).run(f"{word} = 1")
