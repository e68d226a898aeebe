"""docs/language.md: every example block runs, and everything the checker knows is documented."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from unravel_lang.engine.limiter import limit
from unravel_lang.engine.mixer import fade_ramp
from unravel_lang.engine.score import render_calls
from unravel_lang.engine.timeline import loop_iterations, render_track
from unravel_lang.lang import LanguageError, Session
from unravel_lang.lang.functions import functions
from unravel_lang.lang.words import KEYWORDS
from unravel_lang.live.host import LiveHost
from unravel_lang.patterns import fibo
from unravel_lang.plan import Plan

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "language.md"
BLOCK = re.compile(r"^```(unravel(?:-error)?)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str, int]]:
    text = DOC.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2)
            for m in BLOCK.finditer(text)]


def test_the_doc_has_many_examples():
    kinds = [kind for kind, _, _ in blocks()]
    assert kinds.count("unravel") >= 30 and kinds.count("unravel-error") >= 3


def test_every_example_block_runs_in_order(tmp_path):
    (tmp_path / "audio").symlink_to(REPO / "examples" / "audio")
    session = Session(output=None, base_dir=tmp_path, out_dir=tmp_path, seed=0)
    session.live = LiveHost(session, lambda: None)  # `listen` plays a file as the input
    for kind, source, line in blocks():
        if kind == "unravel":
            try:
                session.run(source, f"language.md block at line {line}")
            except LanguageError as err:  # pragma: no cover - shown on failure
                pytest.fail(f"example at docs/language.md line {line} failed:\n{err}")
        else:
            with pytest.raises(LanguageError):
                session.run(source)
    assert (tmp_path / "out" / "fibo.wav").is_file()
    assert (tmp_path / "out" / "a.png").is_file()


def test_the_time_example_plays_what_it_describes(tmp_path):
    """The example in "Time in a score", rendered by the engine, equals the engine's offline
    reference with the positions its comments give."""
    (tmp_path / "audio").symlink_to(REPO / "examples" / "audio")
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Time in a score"):text.index("## Randomness")]
    (_, source, _), = [b for b in blocks() if b[1] in section]
    session = Session(output=None, base_dir=tmp_path, seed=5)
    session.run('drums = encode("audio/drums.wav")\na = normal(stats(drums), k=8)')
    model = session.model
    assert not session.performer.plays
    session.run(source)
    audio = render_calls(session.performer.calls, model, seed=5)
    beat = Plan.of(session["drums"][:4])
    reverse = Plan.of(session["drums"][:4][::-1])
    ramp = fade_ramp(model.sr, 5.0)
    at = 27 * model.ratio
    n = at + len(ramp)
    iterations = loop_iterations([(0, beat), (19, reverse)], 0, 27, 4)
    assert [start for start, _ in iterations][4:] == [16, 20, 24]
    assert iterations[5][1] is reverse and iterations[4][1] is beat
    expected = render_track(model, 5, "beat", iterations, n, at, ramp)
    fib = Plan.of(fibo(session["a"]))
    assert fib.frames == 19
    expected += render_track(model, 5, "play 1", [(0, fib)], n)
    np.testing.assert_array_equal(audio, limit(expected))


def test_every_function_is_documented_with_its_signature():
    text = DOC.read_text(encoding="utf-8")
    examples = "\n".join(src for kind, src, _ in blocks() if kind == "unravel")
    for name, fn in functions().items():
        assert f"#### `{fn.signature()}`" in text, f"{name}: heading with {fn.signature()}"
        assert re.search(rf"\b{name}\(", examples), f"{name}: no example"


def test_every_statement_word_is_documented_and_used():
    text = DOC.read_text(encoding="utf-8")
    examples = "\n".join(src for kind, src, _ in blocks() if kind == "unravel")
    for word in KEYWORDS:
        if word == "default":
            assert "model default" in examples
            continue
        assert f"`{word}" in text, word
        assert re.search(rf"^\s*{word}\b", examples, re.M), f"`{word}` has no example"


def test_every_operator_is_in_the_precedence_table():
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Operators and precedence"):text.index("## Functions")]
    for op in ("x >> y", "x \\| y", "x + y", "x - y", "x * y", "x / y", "-x"):
        assert f"`{op}`" in table, op


def test_the_tempo_line_in_the_doc_is_what_bpm_prints():
    lines = []
    Session(output=lines.append).run("bpm 117")
    assert f"`{lines[0]}`" in DOC.read_text(encoding="utf-8")
