"""Adding a shaping tool or a generator: the places of docs/architecture.md ("Adding a
function") hold for every function in `shaping.SHAPING_TOOLS` and `generate.GENERATORS`, and
everything else takes them from there.

A function that misses a place fails here with one line saying what is missing and where. The
worked examples (`rotate` and `laplace`, not part of the language) are run through the same
checks: without their written places they miss exactly those, with them nothing, and the
language, checker, help, completion, the package's names and `unravel generate` know them
without another edit.
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
    between,
    calls_in_tests,
    example_calls,
    insert_row,
    python_signature,
    read,
    section,
    table_after,
    worked_example,
)

import unravel_lang
from unravel_lang import generate, shaping
from unravel_lang.commands.generate import distribution_choices, generate_one
from unravel_lang.generate import GENERATORS
from unravel_lang.lang import LanguageError, Session
from unravel_lang.lang.functions import ARRAY, STATS, function_names, functions
from unravel_lang.repl.complete import candidates
from unravel_lang.repl.help import overview, topic
from unravel_lang.repl.syntax import Vocabulary
from unravel_lang.shaping import SHAPING_TOOLS
from unravel_lang.stats import Stats

SHAPING_TESTS = "tests/test_shaping.py"
GENERATOR_TESTS = "tests/test_generate.py"
SHAPING_PART = ("### Shaping\n", "### Mixing\n")
GENERATOR_PART = ("### Measuring and generating\n", "### Patterns\n")


def real_texts() -> dict[str, str]:
    return {path: read(path)
            for path in (LANGUAGE, PATTERNS_DOC, SHAPING_TESTS, GENERATOR_TESTS)}


def language_section_missing(name: str, lang: str, part: tuple[str, str]) -> list[str]:
    """Place 2 of both families: a section headed by the language's signature, with an
    example that calls it, between the headings `part`."""
    sig = functions()[name].signature()
    body = section(between(lang, *part), f"#### `{sig}`")
    under = part[0].strip()
    if body is None:
        return [f"{LANGUAGE}: no section `#### `{sig}`` under {under}"]
    if not example_calls(body, name):
        return [f"{LANGUAGE}: the section of {name} has no ```unravel example calling it"]
    return []


def tool_places_missing(name: str, texts: dict[str, str]) -> list[str]:
    """What of its five places shaping tool `name` (language name) lacks: one line each."""
    tool = SHAPING_TOOLS[name]
    py = tool.__name__
    missing = []
    if not re.search(r"Output (length|shape):", inspect.getdoc(tool) or ""):
        missing.append(f"unravel_lang/shaping.py: the docstring of {py} has no "
                       "`Output length:` line")
    missing += language_section_missing(name, texts[LANGUAGE], SHAPING_PART)
    doc = texts[PATTERNS_DOC]
    row = f"| `{python_signature(tool)}` |"
    if not any(line.startswith(row) for line in table_after(doc, "\n## Shaping").splitlines()):
        missing.append(f"{PATTERNS_DOC}: no row `{row} … |` in the table of ## Shaping")
    if not re.search(rf"^\| [^|]*`{py}[`(]", table_after(doc, LENGTH_TABLE), re.M):
        missing.append(f"{PATTERNS_DOC}: no row naming `{py}` in the table of output lengths")
    if py not in calls_in_tests(texts[SHAPING_TESTS], given_only=True):
        missing.append(f"{SHAPING_TESTS}: no property test (@given) that calls {py}")
    return missing


def generator_places_missing(name: str, texts: dict[str, str]) -> list[str]:
    """What of its four places generator `name` lacks: one line each."""
    params = list(inspect.signature(GENERATORS[name]).parameters)
    missing = []
    if params[:3] != ["s", "k", "seed"]:
        missing.append(f"unravel_lang/generate.py: {name} must take (s, k, seed=None) first, "
                       f"not ({', '.join(params)})")
    missing += language_section_missing(name, texts[LANGUAGE], GENERATOR_PART)
    if not re.search(rf"^\| `{name}` \|", table_after(texts[PATTERNS_DOC], "\n## Generators"),
                     re.M):
        missing.append(f"{PATTERNS_DOC}: no row `| `{name}` | … |` in the table of ## Generators")
    if name not in calls_in_tests(texts[GENERATOR_TESTS]):
        missing.append(f"{GENERATOR_TESTS}: no test that calls {name}")
    return missing


def check_known_everywhere(name: str, impl: object) -> None:
    """The language's table, help, completion and the package's names know `name`."""
    entry = functions()[name]
    assert getattr(entry.impl, "__wrapped__", entry.impl) is impl and entry.returns == ARRAY
    params = inspect.signature(impl).parameters
    named = tuple(p for p, v in params.items() if v.kind is not v.VAR_POSITIONAL)
    assert entry.param_names == named
    assert entry.seeded == ("seed" in params)
    assert name in function_names()
    assert entry.signature() in overview(width=1000)
    assert topic(name).startswith(entry.signature())
    assert (name, "function") in candidates(name, Vocabulary(functions=function_names))
    assert getattr(unravel_lang, impl.__name__) is impl
    assert impl.__name__ in dir(unravel_lang)
    if entry.variadic is None:
        session = Session()
        session.env["a"] = np.zeros((4, 2), dtype=np.float32)
        too_many = ", ".join(["a"] * (len(entry.params) + 1))
        with pytest.raises(LanguageError, match=name):
            session.run(f"x = {name}({too_many})")


def check_generator_front_ends(name: str) -> None:
    """Besides `check_known_everywhere`: the checker's kinds, a score and `unravel generate`."""
    fn = GENERATORS[name]
    check_known_everywhere(name, fn)
    assert functions()[name].kinds["s"] == STATS
    s = Stats.prior(2)
    session = Session()
    session.env["s"] = s
    session.run(f"x = {name}(s, 3, seed=0)")
    np.testing.assert_array_equal(session.env["x"], fn(s, 3, seed=0))
    with pytest.raises(LanguageError, match="stats"):
        session.run(f"y = {name}(x, 3)")  # refused by the checker: x is no Stats
    spelled = name.replace("_", "-")
    assert spelled in distribution_choices()
    np.testing.assert_array_equal(generate_one(s, 3, spelled, "repeat", 2, seed=1),
                                  np.tile(fn(s, 3, np.random.default_rng(1)), (2, 1)))


@pytest.mark.parametrize("name", list(SHAPING_TOOLS))
def test_every_shaping_tool_is_in_its_five_places(name):
    missing = tool_places_missing(name, real_texts())
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("name", list(SHAPING_TOOLS))
def test_every_shaping_tool_reaches_every_front_end(name):
    check_known_everywhere(name, SHAPING_TOOLS[name])
    assert SHAPING_TOOLS[name].__name__ in unravel_lang.__all__


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_is_in_its_four_places(name):
    missing = generator_places_missing(name, real_texts())
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_reaches_every_front_end(name):
    check_generator_front_ends(name)
    assert name in unravel_lang.__all__


def test_the_language_keeps_its_order_and_names():
    names = list(functions())
    assert names[:3] == ["encode", "load", "stats"] and names[-1] == "gain"
    assert names[3:-1] == [*GENERATORS, *unravel_lang.PATTERNS, *SHAPING_TOOLS]
    assert SHAPING_TOOLS["slice"] is shaping.slice_frames and "slice_frames" not in functions()


def test_a_parameter_from_the_grid_is_optional_in_a_score_and_the_current_one():
    assert functions()["fit_tempo"].signature() == 'fit_tempo(a, k=none, mode="trim")'
    session = Session()
    session.env["a"] = np.arange(20, dtype=np.float32).reshape(10, 2)
    session.run('k 4\nx = fit_tempo(a)\ny = fit_tempo(a, none, mode="loop")\nz = fit_tempo(a, 3)')
    assert [session.env[v].shape[0] for v in "xyz"] == [8, 12, 9]

    def turn(a, k):
        return a

    with pytest.raises(TypeError, match="turn has no parameter 'q'"):
        shaping.shaping_tool(from_grid=("q",))(turn)
    assert "turn" not in SHAPING_TOOLS
    assert "In a score, `k` left out or none is the current one." in topic("fit_tempo")


# ---- the worked examples --------------------------------------------------------------------


def register(module, table: dict, steps, names: tuple[str, ...], monkeypatch) -> None:
    """Run step 1 as if written in `module`; the mark puts it in `table` for one test only."""
    namespace = dict(vars(module))
    exec(steps[0][1], namespace)
    for name in names:
        monkeypatch.setitem(table, name, table.pop(name))
        monkeypatch.setattr(module, name, namespace[name], raising=False)
    assert table[names[0]] is namespace[names[0]]
    functions.cache_clear()


@pytest.fixture
def rotate(monkeypatch):
    """The worked example's `rotate`, marked as a shaping tool for one test."""
    steps = worked_example("A shaping tool")
    assert [path for path, _ in steps] == ["unravel_lang/shaping.py", LANGUAGE, PATTERNS_DOC,
                                           PATTERNS_DOC, SHAPING_TESTS]
    register(shaping, SHAPING_TOOLS, steps, ("rotate",), monkeypatch)
    yield steps
    functions.cache_clear()


@pytest.fixture
def laplace(monkeypatch):
    """The worked example's `laplace`, marked as a generator for one test."""
    steps = worked_example("A generator")
    assert [path for path, _ in steps] == ["unravel_lang/generate.py", LANGUAGE, PATTERNS_DOC,
                                           GENERATOR_TESTS]
    register(generate, GENERATORS, steps, ("laplace",), monkeypatch)
    yield steps
    functions.cache_clear()


def tool_texts(steps) -> dict[str, str]:
    """The real docs and tests with the shaping example's snippets put where it says."""
    texts = real_texts()
    (_, lang_section), (_, row), (_, length_row), (_, test_code) = steps[1:]
    lang = texts[LANGUAGE]
    at = lang.index(SHAPING_PART[1])
    texts[LANGUAGE] = lang[:at] + lang_section + "\n" + lang[at:]
    doc = insert_row(texts[PATTERNS_DOC], "\n## Shaping", row)
    texts[PATTERNS_DOC] = insert_row(doc, LENGTH_TABLE, length_row)
    texts[SHAPING_TESTS] += "\n\n" + test_code
    return texts


def generator_texts(steps) -> dict[str, str]:
    """The real docs and tests with the generator example's snippets put where it says."""
    texts = real_texts()
    (_, lang_section), (_, row), (_, test_code) = steps[1:]
    lang = texts[LANGUAGE]
    at = lang.index(GENERATOR_PART[1])
    texts[LANGUAGE] = lang[:at] + lang_section + "\n" + lang[at:]
    texts[PATTERNS_DOC] = insert_row(texts[PATTERNS_DOC], "\n## Generators", row)
    texts[GENERATOR_TESTS] += "\n\n" + test_code
    return texts


def run_example(steps, test_name: str, impl, session_env: dict, test_path: str) -> Session:
    """The language example of step 2 in a session; step 5's (or 4's) test, run."""
    example = re.search(r"```unravel\n(.*?)```", steps[1][1], re.S).group(1)
    session = Session()
    session.env.update(session_env)
    session.run(example)
    spec = importlib.util.spec_from_file_location("family_tests", REPO / test_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace = {**vars(module), impl.__name__: impl}
    exec(steps[-1][1], namespace)
    namespace[test_name]()
    return session


def test_the_shaping_example_misses_exactly_what_it_must_write(rotate):
    missing = tool_places_missing("rotate", real_texts())
    assert [line.split(":")[0] for line in missing] == [
        LANGUAGE, PATTERNS_DOC, PATTERNS_DOC, SHAPING_TESTS]
    assert tool_places_missing("rotate", tool_texts(rotate)) == []


def test_the_shaping_example_reaches_every_front_end_and_runs_as_documented(rotate):
    check_known_everywhere("rotate", SHAPING_TOOLS["rotate"])
    assert functions()["rotate"].signature() == "rotate(a, shift=1)"
    a = np.arange(16, dtype=np.float32).reshape(8, 2)
    session = run_example(rotate, "test_rotate_properties", SHAPING_TOOLS["rotate"], {"a": a},
                          SHAPING_TESTS)
    np.testing.assert_array_equal(session.env["ro"], np.concatenate([a[-2:], a[:-2]]))


def test_the_generator_example_misses_exactly_what_it_must_write(laplace):
    missing = generator_places_missing("laplace", real_texts())
    assert [line.split(":")[0] for line in missing] == [LANGUAGE, PATTERNS_DOC, GENERATOR_TESTS]
    assert generator_places_missing("laplace", generator_texts(laplace)) == []


def test_the_generator_example_reaches_every_front_end_and_runs_as_documented(laplace):
    check_generator_front_ends("laplace")
    assert functions()["laplace"].signature() == "laplace(s, k, seed=<session>)"
    a = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    session = run_example(laplace, "test_laplace_matches_mean_and_std", GENERATORS["laplace"],
                          {"a": a}, GENERATOR_TESTS)
    assert session.env["la"].shape == (8, 2)
