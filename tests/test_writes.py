"""Writes stay in the output folder: `..`, absolute paths and symlinks out are refused at the
path, `--allow-write DIR` widens it, on run, check, watch, the REPL and from Python."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from unravel_lang.cli import main
from unravel_lang.lang import LanguageError, Session, evaluate
from unravel_lang.lang.recorder import Recorder
from unravel_lang.live.options import LiveOptions
from unravel_lang.live.stage import Stage
from unravel_lang.live.watch import ScoreWatcher
from unravel_lang.model import load_model
from unravel_lang.repl.app import run_repl
from unravel_lang.writes import WriteRefused, confine

A = np.random.default_rng(2).standard_normal((6, 8)).astype(np.float32)


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    """tmp/work (the output folder, also the cwd), tmp/other (outside), tmp/work/out-link ->
    tmp/other (a symlink out), tmp/work/in-link -> tmp/work/sub (a symlink that stays in)."""
    work, other = tmp_path / "work", tmp_path / "other"
    (work / "sub").mkdir(parents=True)
    other.mkdir()
    (work / "out-link").symlink_to(other)
    (work / "in-link").symlink_to(work / "sub")
    (work / "victim.npy").symlink_to(other / "victim.npy")
    monkeypatch.chdir(work)
    return work, other


def test_confine_judges_where_a_path_really_leads(tree):
    work, other = tree
    assert confine("a.npy", work) == work / "a.npy"
    assert confine("deep/er/a.npy", work) == work / "deep/er/a.npy"
    assert confine("sub/../a.npy", work) == work / "sub/../a.npy"
    assert confine("in-link/a.npy", work) == work / "in-link/a.npy"
    assert confine(str(work / "a.npy"), work) == work / "a.npy"
    for bad in ("../a.npy", "sub/../../a.npy", str(other / "a.npy"), "out-link/a.npy",
                "victim.npy", "~/created/deep/x.json", "/etc/x.json"):
        with pytest.raises(WriteRefused, match="outside the output folder"):
            confine(bad, work)
    assert confine("out-link/a.npy", work, [other]) == work / "out-link/a.npy"
    assert confine(str(other / "x" / "a.npy"), work, [str(other)]) == other / "x" / "a.npy"
    with pytest.raises(WriteRefused, match="NUL"):
        confine("a\0.npy", work)


@pytest.mark.parametrize("statement, col", [
    ('export a "../a.npy"', 10),
    ('export a "out-link/a.npy"', 10),
    ('export a "victim.npy"', 10),
    ('plot a "../a.png"', 8),
])
def test_a_write_out_of_the_folder_is_refused_at_the_path(tree, statement, col):
    work, other = tree
    for dry_run in (False, True):
        session = Session(output=None, dry_run=dry_run)
        session.env["a"] = A
        with pytest.raises(LanguageError, match="outside the output folder") as info:
            session.run(f"b = a\n{statement}\nc = a", "s.unr")
        assert (info.value.line, info.value.col) == (2, col)
        assert "b" in session.env and "c" not in session.env
    assert sorted(p.name for p in other.iterdir()) == []
    assert not (work.parent / "a.npy").exists() and not (work.parent / "a.png").exists()


def test_session_and_evaluate_take_the_folder_and_the_allowed_ones(tree):
    work, other = tree
    env = {"a": A}
    evaluate('export a "x.npy"', env=env, out_dir=other)
    assert (other / "x.npy").is_file()
    with pytest.raises(LanguageError, match="outside"):
        evaluate(f'export a "{work}/y.npy"', env=env, out_dir=other)
    evaluate(f'export a "{work}/y.npy"', env=env, out_dir=other, allow_write=[work])
    assert (work / "y.npy").is_file()
    assert np.array_equal(np.load(work / "y.npy"), A)


def test_run_writes_into_the_score_folder_or_out_dir(tree, capsys):
    work, other = tree
    scores = work / "scores"
    scores.mkdir()
    np.save(scores / "x.npy", A)
    score = scores / "s.unr"
    score.write_text('a = load("x.npy")\nexport a "out/a.npy"\n')
    assert main(["run", str(score)]) == 0
    assert (scores / "out" / "a.npy").is_file()
    assert main(["run", str(score), "--out-dir", str(other)]) == 0
    assert (other / "out" / "a.npy").is_file()
    score.write_text('a = load("x.npy")\nexport a "../a.npy"\n')
    for command in ("run", "check"):
        assert main([command, str(score)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"unravel: error: {score}:2:10: cannot write '../a.npy'")
        assert "--allow-write" in err and "Traceback" not in err
    assert not (work / "a.npy").exists()
    assert main(["run", str(score), "--allow-write", str(work)]) == 0
    assert (work / "a.npy").is_file()


def test_a_repl_line_that_writes_out_is_refused_and_the_session_goes_on(tree):
    work, other = tree
    out = io.StringIO()
    lines = ('a = normal(stats(encode("noise.wav")), k=4)\n'
             'export a "../a.npy"\nexport a "in/a.npy"\nshow a\n'
             f'export a "{other}/b.npy"\n')
    _noise(work / "noise.wav")
    code = run_repl(LiveOptions(allow_write=[str(other)]), stdin=io.StringIO(lines), stdout=out)
    text = out.getvalue()
    assert code == 1  # one line failed
    assert "<repl>:1:10: cannot write '../a.npy'" in text
    assert "wrote in/a.npy" in text and "(4, 8) latent array" in text
    assert (work / "in" / "a.npy").is_file() and (other / "b.npy").is_file()
    assert not (work.parent / "a.npy").exists()


def test_watch_confines_a_saved_score_to_its_folder(tree, tiny_model_path):
    work, other = tree
    model = load_model(tiny_model_path)
    lines: list[str] = []
    stage = Stage(Recorder(), k=11, model=model)
    np.save(work / "x.npy", A)
    watcher = ScoreWatcher(
        work / "s.unr",
        lambda rec, out: Session(model=model, performer=rec, output=out, base_dir=work,
                                 out_dir=work),
        stage, lines.append)
    assert not watcher.evaluate('a = load("x.npy")\ntrack t = a\nexport a "out-link/a.npy"\n')
    assert "cannot write 'out-link/a.npy'" in lines[0] and not list(other.iterdir())
    assert watcher.evaluate('a = load("x.npy")\ntrack t = a\nexport a "a.npy"\n')
    assert (work / "a.npy").is_file()


def test_the_options_are_on_every_command_that_runs_a_score():
    from unravel_lang.cli import build_parser

    parser = build_parser()
    for command in ("run", "check", "watch", "repl"):
        args = parser.parse_args([command, *(["s.unr"] if command != "repl" else []),
                                  "--out-dir", "o", "--allow-write", "a", "--allow-write", "b"])
        assert args.out_dir == "o" and args.allow_write == ["a", "b"]


def _noise(path: Path) -> None:
    import soundfile as sf

    rng = np.random.default_rng(0)
    sf.write(path, (0.3 * rng.standard_normal(22050)).astype(np.float32), 44100)



def test_a_line_received_by_watch_writes_only_in_the_score_folder(tree, tiny_model_path):
    """Code sent over OSC runs in the watch session (`ScoreWatcher.control`): its writes are
    confined like the score's; a deeply nested track line survives a `set` too."""
    work, other = tree
    model = load_model(tiny_model_path)
    np.save(work / "x.npy", A)
    watcher = ScoreWatcher(
        work / "s.unr",
        lambda rec, out: Session(model=model, performer=rec, output=out, base_dir=work,
                                 out_dir=work),
        Stage(Recorder(), k=11, model=model), lambda line: None)
    deep = "reverse(" * 2000 + "a" + ")" * 2000
    assert watcher.evaluate(f'a = load("x.npy")\ng = 1\ntrack t = gain({deep}, g)\n')
    control = watcher.control()
    ok, text = control.eval('export a "../a.npy"', "test ")
    assert not ok and "cannot write '../a.npy'" in text and "outside the output folder" in text
    ok, text = control.eval(f'export a "{other}/a.npy"', "test ")
    assert not ok and not (other / "a.npy").exists()
    assert control.eval('export a "sent.npy"', "test ")[0] and (work / "sent.npy").is_file()
    ok, text = control.set("g", 0.5, "test ")
    assert ok and "re-evaluated: t" in text
