"""Adding a pattern: the five places of docs/architecture.md ("Adding a function", "A pattern")
hold for every pattern in `patterns.PATTERNS`, and everything else takes the pattern from there.

A pattern that misses a place fails here with one line saying what is missing and where. The
section's worked example (`mirror`, not part of the language) is run through the same checks:
without its four written places it is missing exactly those, with them nothing, and the front
ends (language, checker, help, completion, trace, picture, `unravel generate`, the package's
names) know it without another edit.
"""

from __future__ import annotations

import importlib.util
import inspect
import re

import numpy as np
import pytest
from doc_places import (
    LANGUAGE,
    LENGTH_TABLE,
    PATTERNS_DOC,
    REPO,
    calls_in_tests,
    python_signature,
    read,
    section,
    worked_example,
)

import unravel_lang
from unravel_lang import patterns
from unravel_lang.commands.generate import generate_one, output_length, pattern_choices
from unravel_lang.lang import LanguageError, Session
from unravel_lang.lang.functions import ARRAY, function_names, functions
from unravel_lang.patterns import PATTERNS
from unravel_lang.repl.complete import candidates
from unravel_lang.repl.help import overview, topic
from unravel_lang.repl.syntax import Vocabulary
from unravel_lang.stats import Stats
from unravel_lang.trace import pattern_trace

PATTERN_TESTS = "tests/test_patterns.py"


def real_texts() -> dict[str, str]:
    return {path: read(path) for path in (LANGUAGE, PATTERNS_DOC, PATTERN_TESTS)}


def small_call(name: str, n: int = 1, frames: int = 3, dims: int = 2) -> np.ndarray:
    """The pattern on small arrays with its defaults (seed 0; loop count n when it has one)."""
    params = inspect.signature(PATTERNS[name]).parameters
    a = np.arange(frames * dims, dtype=np.float32).reshape(frames, dims)
    inputs = [a, -a - 1] if "b" in params else [a]
    kwargs = {key: value for key, value in (("seed", 0), ("n", n)) if key in params}
    return PATTERNS[name](*inputs, **kwargs)


def length_missing(name: str) -> list[str]:
    """Place 1's length rule: an output of other than n * F frames needs `<name>_length`."""
    params = inspect.signature(PATTERNS[name]).parameters
    length = getattr(patterns, f"{name}_length", None)
    for n in ((1, 2) if "n" in params else (1,)):
        frames = small_call(name, n).shape[0]
        if length is None and frames != n * 3:
            return [f"unravel_lang/patterns.py: {name} gives {frames} frames from 3 (n={n}), "
                    f"not n · F: add {name}_length(frames, n=1) beside it"]
        if length is not None:
            given = {"frames": 3, "dims": 2, "n": n}
            takes = inspect.signature(length).parameters
            told = length(**{k: v for k, v in given.items() if k in takes})
            if told != frames:
                return [f"unravel_lang/patterns.py: {name}_length says {told} frames, "
                        f"{name} gives {frames} (3 frames, 2 dims, n={n})"]
    return []


def places_missing(name: str, texts: dict[str, str]) -> list[str]:
    """What of its five places pattern `name` lacks: one line each, naming the file."""
    missing = length_missing(name)
    sig = functions()[name].signature()
    lang = texts[LANGUAGE]
    patterns_part = lang[lang.index("### Patterns\n"):lang.index("### Shaping\n")]
    body = section(patterns_part, f"#### `{sig}`")
    if body is None:
        missing.append(f"{LANGUAGE}: no section `#### `{sig}`` under ### Patterns")
    elif not re.search(rf"```unravel\n(.*\n)*?.*\b{name}\(", body):
        missing.append(f"{LANGUAGE}: the section of {name} has no ```unravel example calling it")
    doc = texts[PATTERNS_DOC]
    heading = f"### {python_signature(PATTERNS[name])}"
    body = section(doc[doc.index("## Patterns"):], heading)
    if body is None:
        missing.append(f"{PATTERNS_DOC}: no section `{heading}` under ## Patterns")
    elif "**Length:**" not in body:
        missing.append(f"{PATTERNS_DOC}: the section of {name} has no **Length:** line")
    table = doc[doc.index(LENGTH_TABLE):].split("\n\n")[0]
    if not re.search(rf"^\| `{name}\(", table, re.M):
        missing.append(f"{PATTERNS_DOC}: no row `| `{name}(…)` | … |` in the table of output "
                       "lengths")
    if name not in calls_in_tests(texts[PATTERN_TESTS], given_only=True):
        missing.append(f"{PATTERN_TESTS}: no property test (@given) that calls {name}")
    return missing


def check_front_ends(name: str) -> None:
    """The language, checker, help, completion, package, trace and generate know `name`."""
    fn = PATTERNS[name]
    params = inspect.signature(fn).parameters
    entry = functions()[name]
    assert entry.impl is fn and entry.returns == ARRAY
    assert entry.param_names == tuple(params)
    assert entry.seeded == ("seed" in params)
    assert name in function_names()
    assert entry.signature() in overview(width=1000)
    assert topic(name).startswith(entry.signature())
    assert (name, "function") in candidates(name, Vocabulary(functions=function_names))
    assert getattr(unravel_lang, name) is fn
    session = Session()
    session.env["a"] = np.arange(12, dtype=np.float32).reshape(4, 3)
    session.env["b"] = -session.env["a"] - 1
    with pytest.raises(LanguageError, match=name):
        session.run(f"x = {name}(a, a, a, a, a, a, a, a, a, a)")
    args = ("a, b" if "b" in params else "a") + (", seed=0" if "seed" in params else "")
    session.run(f"x = {name}({args})")
    np.testing.assert_array_equal(session.env["x"], small_call(name, frames=4, dims=3))
    a = np.arange(8, dtype=np.float32).reshape(4, 2)
    trace = pattern_trace(name, a, -a - 1 if "b" in params else None)
    assert trace.output.shape == trace.row.shape == trace.source.shape
    assert ("n" in params) == (name in pattern_choices())
    if "n" in params:
        s = Stats.prior(2)
        out = generate_one(s, 3, "normal", name, 2, seed=1)
        assert out.shape == (output_length(name, 3, 2, 2), 2)


@pytest.mark.parametrize("name", list(PATTERNS))
def test_every_pattern_is_in_its_five_places(name):
    missing = places_missing(name, real_texts())
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("name", list(PATTERNS))
def test_every_pattern_reaches_every_front_end(name):
    check_front_ends(name)
    assert name in unravel_lang.__all__


# ---- the worked example ---------------------------------------------------------------------


@pytest.fixture
def mirror(monkeypatch):
    """The worked example's `mirror`, registered as a pattern for one test."""
    steps = worked_example("A pattern")
    assert [path for path, _ in steps] == ["unravel_lang/patterns.py", LANGUAGE, PATTERNS_DOC,
                                           PATTERNS_DOC, PATTERN_TESTS]
    namespace = dict(vars(patterns))
    exec(steps[0][1], namespace)
    registered = patterns.PATTERNS.pop("mirror")
    assert registered is namespace["mirror"]
    monkeypatch.setitem(patterns.PATTERNS, "mirror", registered)
    for name in ("mirror", "mirror_length"):  # as if written in patterns.py
        monkeypatch.setattr(patterns, name, namespace[name], raising=False)
    functions.cache_clear()
    yield steps
    functions.cache_clear()


def with_the_example(steps: list[tuple[str, str]]) -> dict[str, str]:
    """The real docs and tests with the worked example's snippets put where it says."""
    texts = real_texts()
    (_, lang_section), (_, section_md), (_, row), (_, test_code) = steps[1:]
    lang = texts[LANGUAGE]
    at = lang.index("### Shaping\n")
    texts[LANGUAGE] = lang[:at] + lang_section + "\n" + lang[at:]
    doc = texts[PATTERNS_DOC]
    at = doc.index("## Shaping")
    doc = doc[:at] + section_md + "\n" + doc[at:]
    at = doc.index("|---|---|\n", doc.index(LENGTH_TABLE)) + len("|---|---|\n")
    texts[PATTERNS_DOC] = doc[:at] + row + doc[at:]
    texts[PATTERN_TESTS] += "\n\n" + test_code
    return texts


def test_the_worked_example_misses_exactly_what_it_must_write(mirror):
    missing = places_missing("mirror", real_texts())
    assert [line.split(":")[0] for line in missing] == [
        LANGUAGE, PATTERNS_DOC, PATTERNS_DOC, PATTERN_TESTS]
    assert places_missing("mirror", with_the_example(mirror)) == []


def test_the_worked_example_without_its_length_function_is_told_so(mirror, monkeypatch):
    monkeypatch.delattr(patterns, "mirror_length")
    assert length_missing("mirror") == [
        "unravel_lang/patterns.py: mirror gives 6 frames from 3 (n=1), not n · F: "
        "add mirror_length(frames, n=1) beside it"]


def test_the_worked_example_reaches_every_front_end(mirror):
    check_front_ends("mirror")
    assert functions()["mirror"].signature() == "mirror(a, n=1)"


def test_the_worked_example_runs_as_documented(mirror):
    lang_section = mirror[1][1]
    example = re.search(r"```unravel\n(.*?)```", lang_section, re.S).group(1)
    session = Session()
    session.env["a"] = np.arange(16, dtype=np.float32).reshape(8, 2)
    session.run(example)
    assert session.env["m"].shape == (32, 2)  # as its comment says
    spec = importlib.util.spec_from_file_location("pattern_tests", REPO / PATTERN_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace = {**vars(module), "mirror": PATTERNS["mirror"],
                 "mirror_length": patterns.mirror_length}
    exec(mirror[4][1], namespace)
    namespace["test_mirror_properties"]()  # the property test passes for the example


def test_the_worked_example_gets_a_picture(mirror):
    pytest.importorskip("matplotlib")
    from unravel_lang.plot import plot_pattern

    a = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    picture = plot_pattern("mirror", None, a, n=2)
    assert picture.width > 600 and picture.png.startswith(b"\x89PNG")
