"""The check before running: names, functions, keywords and kinds, with place and suggestion."""

from __future__ import annotations

import numpy as np
import pytest

from unravel_lang.lang import LanguageError, Session
from unravel_lang.lang.functions import functions
from unravel_lang.stats import stats


@pytest.fixture()
def session() -> Session:
    s = Session(output=None)
    rng = np.random.default_rng(0)
    s.env["a"] = rng.standard_normal((8, 4)).astype(np.float32)
    s.env["b"] = rng.standard_normal((8, 4)).astype(np.float32)
    s.env["s"] = stats(s.env["a"])
    return s


def error_of(session: Session, source: str) -> LanguageError:
    with pytest.raises(LanguageError) as info:
        session.check(source, "t.unr")
    return info.value


@pytest.mark.parametrize(
    "source, line, col, message",
    [
        ("x = fibbo(a)", 1, 5, "unknown function `fibbo` (did you mean `fibo`?)"),
        ("x = fibo(aa)", 1, 10, "unknown name `aa` (did you mean `a`?)"),
        ("x = fibo(zzz)", 1, 10, "unknown name `zzz`"),
        ("x = blend(a, b, m=4)", 1, 17, "blend has no keyword `m`"),
        ("x = blend(a, b, nn=4)", 1, 17, "(did you mean `n`?)"),
        ("x = orale(a, 3:1, deepth=2)", 1, 19, "(did you mean `depth`?)"),
        ("x = fibo(a, 1, 8, 9, 2)", 1, 22, "fibo takes at most 4 values in order"),
        ("x = blend(a)", 1, 5, "blend needs `b`"),
        ("x = blend(a, b, n=1, n=2)", 1, 22, "blend: `n` is given twice"),
        ("x = fibo(3)", 1, 10, "fibo: `a` must be a latent array, got a number"),
        ("x = normal(a, k=4)", 1, 12, "normal: `s` must be a stats, got a latent array"),
        ("x = fibo(a | b)", 1, 12, "fibo: `a` must be a latent array, got a plan"),
        ("x = fibo", 1, 5, "`fibo` is a function: call it, e.g. `fibo(a, start=1"),
        ("x = a(3)", 1, 5, "`a` is a value, not a function"),
        ("fibo = a", 1, 1, "`fibo` is the name of a function"),
        ("play 3", 1, 6, "play needs a latent array or a plan, got a number"),
        ("x = a | 2", 1, 9, "`|` layers latent arrays or plans, got a number"),
        ('x = a + "s"', 1, 9, "`+` works on numbers and latent arrays, got a string"),
        ("x = orale(a, 3:0)", 1, 16, "a ratio is two whole numbers >= 1"),
        ("x = orale(a, 1.5:1)", 1, 14, "a ratio is two whole numbers >= 1"),
        ("x = 2.5frames", 1, 5, "a length in frames must be whole"),
        ("k 2.5", 1, 3, "k must be a whole number"),
        ("bpm 0", 1, 5, "bpm must be greater than 0"),
        ("beats 0", 1, 7, "beats must be a whole number from 1 to 64"),
        ("seed 1.5", 1, 6, "seed must be a whole number"),
        ("quantum bars", 1, 9, "quantum is `beat` or `bar`, got `bars` (did you mean `bar`?)"),
        ("k 4\nquantum   beats", 2, 11, "quantum is `beat` or `bar`, got `beats` (did you mean"),
        ("quantum loop", 1, 9, "quantum is `beat` or `bar`, got `loop`"),
        ("stop drums", 1, 1, "no track named `drums`"),
        ("track drums = a\nstop drum", 2, 1, "no track named `drum` (did you mean `drums`?)"),
        ("track drums = a\nhush\nstop drums", 3, 1, "no track named `drums`"),
        ('export a "a.mp3"', 1, 10, "export chooses the format by the file name"),
        ('export s "s.npy"', 1, 8, ".npy holds one latent array, got a stats"),
        ('export a "a.json"', 1, 8, "only stats export to .json"),
        ('export s "s.wav"', 1, 8, "a .wav export decodes a latent array or a plan"),
        ('plot a "a.jpg"', 1, 8, "plot writes a PNG picture"),
        ("wait a", 1, 6, "wait needs a length"),
        ("x = [1, a]", 1, 9, "a list holds numbers"),
        ("x = true + 1", 1, 5, "`+` works on numbers and latent arrays, got a true/false"),
        ("true = 1", 1, 1, "`true` is a constant"),
    ],
)
def test_check_errors_name_the_place(session, source, line, col, message):
    err = error_of(session, source)
    assert message in err.message
    assert (err.line, err.col) == (line, col)
    assert str(err).startswith(f"t.unr:{line}:{col}: ")


def test_names_bound_earlier_in_the_same_source_are_known(session):
    program = session.check("x = fibo(a)\ny = blend(x, x, n=2)\nplay y")
    assert len(program.statements) == 3


def test_name_used_before_binding_is_refused(session):
    err = error_of(session, "y = fibo(x)\nx = a")
    assert (err.line, err.col) == (1, 10)


def test_an_error_anywhere_runs_nothing(session):
    before = dict(session.env)
    with pytest.raises(LanguageError) as info:
        session.run("c = fibo(a)\nbpm 120\nd = fibo(nope)")
    assert info.value.line == 3
    assert session.env.keys() == before.keys()
    assert session.k == 11


def test_every_function_has_a_signature_and_summary():
    for name, fn in functions().items():
        assert fn.signature().startswith(f"{name}(")
        assert fn.summary, name


def test_the_library_functions_are_all_reachable():
    names = set(functions())
    assert {"encode", "load", "stats", "normal", "uniform", "correlated", "smooth", "fibo",
            "orale", "blend", "swap", "repeat", "reverse", "slice", "concat", "select", "scale",
            "bias", "jitter", "interpolate", "stretch", "fit_tempo", "gain"} <= names


def test_a_bad_quantum_is_reported_with_file_line_col_and_caret(session):
    err = error_of(session, "bpm 120\nquantum bars\n")
    assert str(err) == (
        "t.unr:2:9: quantum is `beat` or `bar`, got `bars` (did you mean `bar`?)\n"
        "quantum bars\n"
        "        ^"
    )


def test_quantum_takes_beat_and_bar(session):
    recorder = session.performer
    session.run("quantum bar\nquantum beat")
    assert [call for call in recorder.calls if call[0] == "set_quantum"] == [
        ("set_quantum", ("bar",)), ("set_quantum", ("beat",))]
