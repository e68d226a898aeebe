"""Seeded mutations of the example scores and the docs' snippets, and the judge of what running
one gives: success, or a `LanguageError` that names a place in the source.

Two kinds of cases: a whole example score with a few mutations, and (most cases, as they
are cheap) one to three mutated statements taken from the scores and the docs, run against
the bindings the unmutated scores made. Every case runs with `dry_run=True` (nothing is
written; where a write would go is still checked) and a `Recorder` performer.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from watchdog import RanTooLong, watchdog

from unravel_lang.errors import UnravelError
from unravel_lang.lang import LanguageError, Session
from unravel_lang.lang.recorder import Recorder

REPO = Path(__file__).resolve().parent.parent
DOC_BLOCK = re.compile(r"^```unravel(?:-error)?\n(.*?)^```", re.S | re.M)

TOKENS = (
    ">>", "|", "+", "-", "*", "/", "(", ")", "[", "]", ",", "=", ":", ";", "\n", '"', "#",
    "0", "1", "-1", "3:1", "0:0", "2.5", "1e308", "1e-9", "1e999", "99999999999999999999",
    "9223372036854775807", "100000000", "4097", "1bars", "99999999999bars", "0.5beats",
    "3frames", "2s", "a", "b", "x", "s", "drums", "none", "true", "false", "fibo(", "orale(",
    "blend(", "swap(", "repeat(", "reverse(", "gain(", "stats(", "normal(", "slice(",
    "stretch(", "fit_tempo(", "concat(", "select(", "interpolate(", "encode(", "load(",
    "n=", "depth=", "k=", "seed=", "mode=", "play ", "track t = ", "wait ", "export ",
    "plot ", "show ", "bpm ", "k ", "beats ", "seed ", "stop t", "hush", "model default",
    "quantum bar", "\r", "\ufeff", "\t", "\f", "é", "\\",
)
NUMBERS = ("0", "-0", "1", "-3", "0.5", "2", "7", "1e308", "-1e308", "1e-9", "1e999",
           "99999999999999999999999999", "9223372036854775807", "100000000", "4096", "4097",
           "0.31", "1291.99", "1300")
PATHS = ("../x.npy", "/tmp/unravel-fuzz/x.wav", "a\\0b.npy", "a\x00b.npy", "x" * 300 + ".npy", "",
         "audio/drums.wav/x.npy", "~/x.json", "out/../../x.png", "audio", "missing.wav",
         "audio/*.wav", "x.latent.wav", "s.json")
DEPTHS = (10, 100, 600)
"""How deep a mutation nests (deeper input is tested on its own: parsing it is what costs)."""
CHAINS = (5, 300)
"""How many operands a mutation chains."""
NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
NUMBER = re.compile(r"(?<![A-Za-z_\d.])\d+(\.\d*)?([eE][+-]?\d+)?")
STRING = re.compile(r'"[^"\n]*"')


def corpus() -> tuple[list[str], list[str]]:
    """(the example scores, the docs' snippets): the sources the cases mutate."""
    scores = [p.read_text(encoding="utf-8") for p in sorted((REPO / "examples").glob("*.unr"))]
    docs = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    return scores, [m.group(1) for m in DOC_BLOCK.finditer(docs)]


def statements(sources: list[str]) -> list[str]:
    """The non-empty, non-comment lines of `sources`."""
    return [ln for src in sources for ln in src.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def mutate(text: str, rng: random.Random) -> str:
    """`text` with one random mutation."""
    kind = rng.randrange(9)
    if kind == 0 and text:  # delete a few characters
        i = rng.randrange(len(text))
        return text[:i] + text[i + rng.randint(1, 3):]
    if kind == 1:  # insert a token
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(TOKENS) + text[i:]
    if kind == 2 and NUMBER.search(text):  # an extreme number
        found = list(NUMBER.finditer(text))
        m = rng.choice(found)
        return text[: m.start()] + rng.choice(NUMBERS) + text[m.end():]
    if kind == 3 and NAME.search(text):  # another name, function or statement word
        m = rng.choice(list(NAME.finditer(text)))
        word = rng.choice([t.rstrip("( =") for t in TOKENS if NAME.fullmatch(t.rstrip("( ="))])
        return text[: m.start()] + word + text[m.end():]
    if kind == 4 and STRING.search(text):  # an odd path
        m = rng.choice(list(STRING.finditer(text)))
        return text[: m.start()] + '"' + rng.choice(PATHS) + '"' + text[m.end():]
    if kind == 5 and text:  # nest or chain deeply
        depth = rng.choice(DEPTHS)
        wrap = rng.choice((("reverse(", ")"), ("(", ")"), ("-", ""), ("[", "]"),
                           ("gain(", ", 1)")))
        m = rng.choice(list(NAME.finditer(text)) or [None])
        if m is None:
            return wrap[0] * depth + text + wrap[1] * depth
        return (text[: m.start()] + wrap[0] * depth + m.group() + wrap[1] * depth
                + text[m.end():])
    if kind == 6 and NAME.search(text):  # a long chain of operators
        m = rng.choice(list(NAME.finditer(text)))
        op = rng.choice((" >> ", " | ", " + ", " * "))
        return text[: m.start()] + op.join([m.group()] * rng.choice(CHAINS)) + text[m.end():]
    if kind == 7:  # line endings and a byte order mark
        text = text.replace("\n", rng.choice(("\r", "\r\n", "\n\n")))
        return ("\ufeff" + text) if rng.random() < 0.5 else text
    lines = text.split("\n")  # swap, drop or repeat lines
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        if rng.random() < 0.3:
            del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def cases(count: int, seed: int) -> Iterator[tuple[str, str]]:
    """`count` (kind, source) cases from `seed`: about one in twenty a whole example score with
    one to three mutations, the others one to three statements each mutated."""
    rng = random.Random(seed)
    scores, docs = corpus()
    lines = statements(scores + docs)
    for _ in range(count):
        if rng.random() < 0.05:
            text, kind = rng.choice(scores), "score"
        else:
            text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 3)))
            kind = "lines"
        for _ in range(rng.randint(1, 3)):
            text = mutate(text, rng)
        yield kind, text


@dataclass
class Outcomes:
    """What the cases gave: counts by outcome, the slowest case, and every bad outcome."""

    counts: Counter = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0


def positioned(err: LanguageError, source: str) -> bool:
    """Whether `err` names a line and column that exist in (the normalized) `source`."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return 1 <= err.line <= len(lines) + 1 and err.col >= 1


def run_cases(count: int, seed: int, base_dir: Path, model, env: dict,
              per_case: float = 10.0) -> Outcomes:
    """Run the cases; each must succeed or raise a positioned `LanguageError` within
    `per_case` seconds; anything else is recorded in `Outcomes.bad`."""
    out = Outcomes()
    start = time.perf_counter()
    for i, (kind, source) in enumerate(cases(count, seed)):
        session = Session(model=model, performer=Recorder(), output=None, base_dir=base_dir,
                          out_dir=base_dir, dry_run=True, seed=i)
        session.env.update(env if kind == "lines" else {})
        t = time.perf_counter()
        try:
            with watchdog(per_case, f"case {i}"):
                session.run(source, "fuzz.unr")
            outcome = "ok"
        except LanguageError as err:
            outcome = "positioned error"
            if not positioned(err, source):
                out.bad.append(f"case {i}: error without a place in the source: {err!r}")
        except RanTooLong:
            outcome = "too long"
            out.bad.append(f"case {i} ran past {per_case} s: {source[:300]!r}")
        except UnravelError as err:
            outcome = "unpositioned error"
            out.bad.append(f"case {i}: {type(err).__name__} without a place: {err} "
                           f"in {source[:300]!r}")
        except Exception as err:  # the point of the fuzz: nothing else may escape
            outcome = type(err).__name__
            out.bad.append(f"case {i}: {type(err).__name__}: {str(err)[:300]} "
                           f"in {source[:300]!r}")
        took = time.perf_counter() - t
        if took > out.slowest[0]:
            out.slowest = (took, source[:200])
        out.counts[(kind, outcome)] += 1
    out.seconds = time.perf_counter() - start
    return out


def bindings(base_dir: Path, model) -> dict:
    """The names the unmutated example scores and docs snippets bind, run in `base_dir`."""
    scores, docs = corpus()
    env: dict = {}
    for source in [*scores, *docs]:
        session = Session(model=model, performer=Recorder(), output=None, base_dir=base_dir,
                          out_dir=base_dir, dry_run=True)
        session.env.update(env)
        try:
            session.run(source, "corpus.unr")
        except UnravelError:
            pass  # the docs' error examples
        env.update(session.env)
    return env
