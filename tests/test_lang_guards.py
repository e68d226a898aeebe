"""Guards run before the work: huge lengths, deep nesting, the tempo range, BOM and CR line
endings, non-finite numbers, each refused (or accepted) with one positioned error."""

from __future__ import annotations

import numpy as np
import pytest
from watchdog import watchdog

from unravel_lang.cli import main
from unravel_lang.lang import LanguageError, Session, evaluate
from unravel_lang.lang.recorder import Recorder
from unravel_lang.live.stage import Stage
from unravel_lang.live.watch import ScoreWatcher
from unravel_lang.model import load_model

A = np.random.default_rng(1).standard_normal((8, 8)).astype(np.float32)


def refused(source: str, where: tuple[int, int], match: str, **env) -> LanguageError:
    """`source` fails with a `LanguageError` at (line, col) whose message matches `match`."""
    with watchdog(20, source[:40]), pytest.raises(LanguageError, match=match) as info:
        evaluate(source, env={"a": A, **env})
    assert (info.value.line, info.value.col) == where, str(info.value)
    return info.value


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", A)
    return tmp_path


# ---- work done before the guards run ---------------------------------------------------------


def test_a_huge_orale_depth_is_refused_at_once(folder, tiny_model_path, capsys):
    refused("play orale(a, 2:1, depth=100000000)", (1, 6),
            r"orale would be about 2\.4e\+47712126 frames, more than the frame limit")
    score = folder / "s.unr"
    score.write_text('a = load("x.npy")\nplay orale(a, 2:1, depth=100000000)\n')
    for command in (["check", str(score)], ["run", str(score), "-o", "o.wav"]):
        with watchdog(30, " ".join(command)):
            assert main([*command, "-m", str(tiny_model_path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"unravel: error: {score}:2:6: orale would be about")
        assert "Traceback" not in err
    assert not (folder / "o.wav").exists()


@pytest.mark.parametrize("source, where", [
    ("x = repeat(a, 9223372036854775807)", (1, 5)),
    ("x = blend(a, a, n=9223372036854775807)", (1, 5)),
    ("x = swap(a, a, n=9223372036854775807)", (1, 5)),
    ("x = normal(stats(a), k=9223372036854775807)", (1, 5)),
    ("x = stretch(a, 9223372036854775807)", (1, 5)),
    ("x = fit_tempo(a, 4096, mode=\"loop\")\nx = repeat(x, 100)", (2, 5)),
    ("wait 99999999999999999bars", (1, 6)),
    ("x = repeat(a, 10000)\ny = x >> x", (2, 7)),
])
def test_every_length_is_bounded_before_it_is_computed(source, where):
    refused(source, where, "more than the frame limit")


def watching(folder, model_path) -> tuple[ScoreWatcher, Stage, list[str]]:
    """A score watcher of `folder/s.unr` on a recording stage, and the lines it prints."""
    model = load_model(model_path)
    lines: list[str] = []
    stage = Stage(Recorder(), k=11, model=model)
    watcher = ScoreWatcher(
        folder / "s.unr",
        lambda rec, out: Session(model=model, performer=rec, output=out, base_dir=folder),
        stage, lines.append)
    return watcher, stage, lines


def test_a_huge_orale_in_watch_is_refused_and_later_saves_are_heard(folder, tiny_model_path):
    watcher, stage, lines = watching(folder, tiny_model_path)
    with watchdog(30, "watch evaluation"):
        assert not watcher.evaluate('a = load("x.npy")\ntrack t = orale(a, 2:1, depth=100000000)\n')
    assert "orale would be about" in lines[0] and lines[-1].endswith("still playing: nothing")
    assert watcher.evaluate('a = load("x.npy")\ntrack t = orale(a, 2:1)\n')
    assert list(stage.tracks) == ["t"]


# ---- deep nesting --------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "x = " + " >> ".join(["a"] * 3000),
    "x = " + " + ".join(["a"] * 3000),
    "x = " + "reverse(" * 2000 + "a" + ")" * 2000,
    "x = " + "-" * 3000 + "a",
    "x = " + "(" * 50000 + "a" + ")" * 50000,
    "x = " + "gain(" * 1000 + "a" + ", 1)" * 1000,
])
def test_deep_expressions_evaluate_without_recursion(source):
    env = {"a": A}
    with watchdog(60, source[:20]):
        evaluate(source, env=env)
    assert "x" in env


def test_deeply_nested_lists_are_refused_with_the_place():
    refused("x = " + "[" * 3000 + "1" + "]" * 3000, (1, 3004), "a list holds numbers")


def test_deep_scores_check_and_run_from_the_command_line(folder, tiny_model_path, capsys):
    score = folder / "s.unr"
    score.write_text('a = load("x.npy")\nplay ' + " >> ".join(["-a"] * 1000) + "\n"
                     "y = " + "reverse(" * 1000 + "a" + ")" * 1000 + "\n")
    assert main(["check", str(score), "-m", str(tiny_model_path)]) == 0
    assert "plays: " in capsys.readouterr().out


# ---- the tempo range -------------------------------------------------------------------------


@pytest.mark.parametrize("source, col, match", [
    ("bpm 1e308", 5, r"tempo 1e\+308 BPM is outside the tempo range 0\.31 … 1291\.99 BPM"),
    ("bpm 1e-9", 5, "outside the tempo range"),
    ("bpm 1300", 5, "outside the tempo range"),
    ("k 99999999999999999999999999", 3, "too large: whole numbers go up to"),
    ("k 1e9", 3, "k must be a whole number from 1 to 4096"),
    ("k 4097", 3, "k must be a whole number from 1 to 4096"),
    ("bpm 1e999", 5, "too large"),
    ("beats 65", 7, "beats must be a whole number from 1 to 64"),
    ("beats 9223372036854775807", 7, "from 1 to 64"),
])
def test_one_tempo_range(source, col, match):
    refused(source, (1, col), match)


def test_the_ends_of_the_tempo_range_are_accepted():
    lines: list[str] = []
    session = Session(output=lines.append)
    session.run("k 4096\nk 1\nbpm 0.31\nbpm 1291.99")
    assert session.k == 1 and lines[2].startswith("k=4096 → 0.31 BPM")


def test_the_bpm_option_is_refused_outside_the_range(tiny_model_path, capsys):
    for bpm in ("1e308", "1e-9"):
        assert main(["repl", "-m", str(tiny_model_path), "--bpm", bpm]) == 1
        err = capsys.readouterr().err
        assert err.startswith("unravel: error: --bpm ") and "outside the tempo range" in err
    with pytest.raises(Exception, match="from 1 to 4096"):
        Session(k=5000)


# ---- one rule for line endings -------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_bom_and_line_endings_are_one_rule(newline, bom, folder, tiny_model_path, capsys):
    source = bom + newline.join(["b = reverse(a)", "", "c = fibo(b)", "c"])
    env = {"a": A}
    assert evaluate(source, env=env).shape == (19, 8)
    bad = bom + newline.join(["b = reverse(a)", "", "c = fibo(bb)"])
    err = refused(bad, (3, 10), "unknown name `bb`")
    assert str(err).splitlines()[1:] == ["c = fibo(bb)", " " * 9 + "^"]
    score = folder / "s.unr"
    score.write_bytes((bom + newline.join(['a = load("x.npy")', "play fibo(a)", ""]))
                      .encode("utf-8"))
    assert main(["check", str(score), "-m", str(tiny_model_path)]) == 0
    assert capsys.readouterr().out.startswith(f"{score}: ok")


def test_a_form_feed_does_not_shift_line_numbers():
    err = refused("b = a \f # c\nd = zz", (2, 5), "unknown name `zz`")
    assert str(err).splitlines()[1] == "d = zz"


def test_bom_and_cr_in_watch_and_the_repl(folder, tiny_model_path):
    watcher, stage, lines = watching(folder, tiny_model_path)
    assert watcher.evaluate('\ufeffa = load("x.npy")\rtrack t = fibo(a)\r')
    assert list(stage.tracks) == ["t"]


# ---- non-finite values are caught where they are made ----------------------------------------


@pytest.mark.parametrize("source, where, match", [
    ("play gain(a, 1e308)", (1, 6), r"gain: g must lie within ±1000"),
    ("play gain(gain(a, 100), 100)", (1, 6), "the voice's gain must lie within"),
    ("x = 1e308 * 10", (1, 11), "`\\*` gives a number that is not finite"),
    ("x = a * 1e308", (1, 7), "`\\*` gives values that are not finite"),
    ("x = 1e999", (1, 5), "too large"),
    ("wait 1e308 * 10", (1, 12), "not finite"),
    ("x = 9223372036854775807 * 2", (1, 25), "beyond 64 bits"),
    ("x = scale(a, 1e300)", (1, 5), "not finite"),
    ("x = interpolate(a, a, t=1e308)", (1, 5), "not finite"),
    ("x = " + "9" * 5000, (1, 5), "too large"),
])
def test_non_finite_values_are_refused_where_they_are_made(source, where, match):
    refused(source, where, match)
