"""The REPL's handling of inputs, away from the terminal: what runs, what an error undoes,
what reaches the engine; and the REPL reading a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.errors import UnravelError
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.live.stage import Stage
from unravel_lang.model import load_model
from unravel_lang.patterns import fibo
from unravel_lang.repl.app import Repl, history_path
from unravel_lang.tempo import snap

REPO = Path(__file__).resolve().parent.parent
NO_DEVICE_ALSA = "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    rng = np.random.default_rng(9)
    sf.write(tmp_path / "noise.wav", (0.3 * rng.standard_normal(22050)).astype(np.float32), 44100)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def repl(workdir, tiny_model_path):
    """A REPL whose stage forwards to a `Recorder` standing for the engine; output in `.out`."""
    model = load_model(tiny_model_path)
    out: list[str] = []
    recorder = Recorder()
    session = Session(model=model, performer=recorder, seed=1, output=out.append)
    engine = Recorder()
    r = Repl(session, recorder, Stage(engine, k=session.k, model=model), out.append)
    r.out, r.engine = out, engine
    r.handle('a = normal(stats(encode("noise.wav")), k=11)')
    return r


def test_statements_reach_the_engine_after_they_ran(repl):
    assert repl.handle("bpm 160")
    assert repl.out[-1] == str(snap(160, 44100, 2048))
    assert repl.handle("track t = fibo(a)\nplay reverse(a)")
    calls = repl.engine.take()
    assert [m for m, _ in calls] == ["set_tempo", "track", "play"]
    assert calls[0][1] == (8,) and calls[1][1][1].frames == fibo(np.zeros((11, 1))).shape[0]
    assert list(repl.stage.tracks) == ["t"] and repl.stage.plays == 1
    assert repl.handle("stop t") and repl.engine.take() == [("stop", ("t",))]


def test_an_error_changes_nothing(repl):
    repl.handle("track t = fibo(a)")
    repl.engine.take()
    a = repl.session["a"]
    # runs `bpm`, binds `b`, replaces the track ... then fails: all of it is undone
    ok = repl.handle('bpm 160\nb = fibo(a)\ntrack t = reverse(a)\nc = encode("missing.wav")')
    assert not ok and repl.errors == 1
    assert "missing.wav" in repl.out[-1]
    assert repl.engine.take() == []
    assert repl.session.names() == ["a"] and repl.session["a"] is a
    assert repl.session.k == 11 and repl.session.tracks == ["t"]
    assert list(repl.stage.tracks) == ["t"] and repl.stage.tracks["t"].frames == 19


def test_quantum_reaches_the_engine_and_a_failed_input_puts_it_back(repl):
    assert repl.handle("quantum bar")
    assert repl.engine.take() == [("set_quantum", ("bar",))]
    assert repl.session.quantum == "bar" and repl.stage.quantum == "bar"
    assert not repl.handle('quantum beat\nc = encode("missing.wav")')
    assert repl.session.quantum == "bar" and repl.engine.take() == []
    assert not repl.handle("quantum bars")
    assert repl.out[-1] == ("<repl>:1:9: quantum is `beat` or `bar`, got `bars` (did you mean "
                            "`bar`?)\nquantum bars\n" + " " * 8 + "^")
    assert repl.handle("quantum bar") and repl.engine.take() == []  # the engine has it already


def test_quantum_is_a_keyword_of_the_repl(repl):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from unravel_lang.repl.complete import UnravelCompleter

    got = [c.text for c in UnravelCompleter(repl.vocab).get_completions(
        Document("quan"), CompleteEvent(completion_requested=True))]
    assert got == ["quantum"] and repl.vocab.kind("quantum") == "keyword"
    assert "quantum" in repl.help(None)
    assert "new tracks and plays wait for the next bar line" in repl.help("quantum")


def test_the_repl_command_takes_a_quantum():
    from unravel_lang.cli import build_parser, main

    assert build_parser().parse_args(["repl", "--quantum", "bar"]).quantum == "bar"
    assert build_parser().parse_args(["repl"]).quantum == "beat"
    with pytest.raises(SystemExit) as info:
        main(["repl", "--quantum", "bars"])
    assert info.value.code == 2


def test_a_failed_model_change_is_undone_and_a_good_one_reaches_the_engine(repl, workdir,
                                                                         tiny_model_path):
    import shutil

    other = shutil.copy(tiny_model_path, workdir / "other.ts")
    model = repl.session.model
    assert not repl.handle('model "other.ts"\nc = encode("missing.wav")')
    assert repl.session.model is model and repl.engine.take() == []
    assert repl.handle('model "other.ts"')
    assert repl.session.model is not model
    assert [(m, Path(a[0].path).resolve()) for m, a in repl.engine.take()] == [
        ("set_model", Path(other).resolve())]
    assert "other.ts" in repl.status()


def test_a_plan_the_engine_refuses_is_not_booked(repl):
    class Refusing(Recorder):
        def track(self, name, plan):
            raise UnravelError(f"track {name!r}: refused")

    repl.stage.performer = Refusing()
    assert not repl.handle("track t = fibo(a)")
    assert repl.out[-1] == "track 't': refused" and repl.stage.tracks == {}


def test_a_syntax_error_shows_the_caret(repl):
    assert not repl.handle("x = fibo(a,, 2)")
    head, line, caret = repl.out[-1].splitlines()
    assert head.startswith("<repl>:1:12: ") and line == "x = fibo(a,, 2)"
    assert caret == " " * 11 + "^"


def test_a_bare_expression_prints_its_summary(repl):
    assert repl.handle("fibo(a)")
    assert repl.out[-1].startswith("(19, 8) latent array")


def test_tracks_help_and_load(repl, workdir):
    assert repl.handle("tracks") and repl.out[-1] == "no tracks"
    (workdir / "part.unr").write_text("p = reverse(a)\ntrack p1 = p\n")
    assert repl.handle("load part.unr") and repl.out[-1] == "loaded part.unr"
    assert "p" in repl.session.names() and list(repl.stage.tracks) == ["p1"]
    assert repl.handle("tracks")
    assert repl.out[-1] == "p1: 1 voice, 11 frames, 0.25 bars at k=11"
    assert repl.handle("help") and "commands: tracks, help, load" in repl.out[-1]
    assert repl.handle("help p") and repl.out[-1].startswith("p: (11, 8) latent array")
    assert not repl.handle("load nothing.unr") and "nothing.unr" in repl.out[-1]


def test_the_status_line(repl):
    assert repl.status() == f"model {repl.session.model.path.split('/')[-1]} │ k=11 117.45 BPM" \
        " │ quantum beat │ no tracks"
    repl.handle("track t = a")
    assert "▶ t" in repl.status()
    repl.handle("quantum bar")
    assert "│ k=11 117.45 BPM │ quantum bar │ ▶ t" in repl.status()
    silent = Repl(repl.session, repl.recorder, Stage(None), repl.write)
    assert silent.status().endswith("playback unavailable")


def test_completion_sees_new_bindings(repl):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from unravel_lang.repl.complete import UnravelCompleter

    repl.handle("drums = fibo(a)")
    completer = UnravelCompleter(repl.vocab)
    got = [c.text for c in completer.get_completions(Document("play dr"), CompleteEvent())]
    assert got == ["drums"]
    assert repl.vocab.kind("hush") == "keyword" and repl.vocab.kind("tracks") == "keyword"


def test_completion_and_highlighting_use_the_language_s_words(repl):
    from unravel_lang.lang.functions import function_names
    from unravel_lang.lang.words import CONSTANTS, KEYWORDS
    from unravel_lang.repl.app import COMMANDS
    from unravel_lang.repl.complete import candidates

    assert set(repl.vocab.keywords()) == {*KEYWORDS, *CONSTANTS}
    assert set(repl.vocab.functions()) == set(function_names())
    offered = {word for word, kind in candidates("", repl.vocab) if kind == "keyword"}
    assert offered == {*KEYWORDS, *CONSTANTS} - set(repl.session.names())
    assert set(repl.vocab.commands()) == set(COMMANDS)


def test_the_history_file_location(monkeypatch, tmp_path):
    monkeypatch.setenv("UNRAVEL_HISTORY", str(tmp_path / "h"))
    assert history_path() == tmp_path / "h"
    monkeypatch.delenv("UNRAVEL_HISTORY")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert history_path() == tmp_path / "state" / "unravel" / "history"


def test_unravel_reads_a_pipe_plainly(workdir):
    """`unravel` without arguments opens the REPL; piped, it reads lines without a prompt."""
    (workdir / "nodevice.conf").write_text(NO_DEVICE_ALSA)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(workdir / "nodevice.conf"),
               PYTHONPATH=str(REPO), UNRAVEL_HISTORY=str(workdir / "history"))
    script = "bpm 120\nx = [1,\n  2]\nshow 3 +\n 4\nb = fibo(zz)\nk 9\n"
    done = subprocess.run([sys.executable, "-m", "unravel_lang"], input=script, env=env,
                          capture_output=True, text=True, timeout=120, cwd=workdir)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("playback unavailable: no audio output device")
    assert lines[1] == str(snap(120, 44100, 2048))
    assert lines[2] == "7"
    assert lines[3].startswith("<repl>:1:10: unknown name `zz`")
    assert lines[4:6] == ["b = fibo(zz)", " " * 9 + "^"]
    assert lines[6].startswith("k=9 → ")
    assert "unravel>" not in done.stdout and done.stderr == ""
    assert done.returncode == 1  # one input failed
    assert not (workdir / "history").exists()  # plain mode keeps no history


def test_without_portaudio_the_repl_says_so_once_and_everything_else_works(
        monkeypatch, workdir, tiny_model_path):
    import io

    from unravel_lang.repl.app import run_repl

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if it could not be imported
    script = ('a = normal(stats(encode("noise.wav")), k=11)\ntrack t = fibo(a)\nplay a\n'
              'export fibo(a) "out/a.wav"\nexport a "out/a.npy"\nshow a\ntracks\n')
    out = io.StringIO()
    code = run_repl(model=str(tiny_model_path), bpm=120, stdin=io.StringIO(script), stdout=out)
    text = out.getvalue()
    assert code == 0, text
    assert text.startswith("playback unavailable: the sounddevice package is missing")
    assert text.count("playback unavailable") == 2  # the note, and `tracks` marking silence
    assert "(silent: playback unavailable)" in text
    assert str(snap(120, 44100, 2048)) in text
    assert "wrote out/a.wav" in text and "wrote out/a.npy" in text
    audio, sr = sf.read(workdir / "out" / "a.wav")
    assert audio.shape[0] == fibo(np.zeros((11, 1))).shape[0] * 2048 and np.abs(audio).max() > 0
    assert np.load(workdir / "out" / "a.npy").shape == (11, 8)


def test_the_status_line_follows_the_engines_playhead_in_bars_and_beats(repl):
    from unravel_lang.engine import Engine, FileSink

    engine = Engine(repl.session.model, k=11, realtime=False)
    try:
        repl.stage.performer = engine
        sink = FileSink(engine)
        assert repl.handle("track t = fit_tempo(repeat(a, 4))")
        assert repl.playhead() == (1, 1)
        sink.pull(44 + 22)  # one bar and a half at k=11, 4 beats to the bar
        assert repl.playhead() == (2, 3)
        assert repl.status().endswith("│ ▶ t │ bar 2.3")
        sink.pull(21)
        assert repl.playhead() == (2, 4)
    finally:
        engine.close()


def test_an_unwritable_history_is_kept_in_memory_and_said_once(monkeypatch, tmp_path):
    from prompt_toolkit.history import InMemoryHistory

    from unravel_lang.repl.app import open_history

    (tmp_path / "file").write_text("")
    monkeypatch.setenv("UNRAVEL_HISTORY", str(tmp_path / "file" / "history"))  # under a file
    said: list[str] = []
    assert isinstance(open_history(said.append), InMemoryHistory)
    assert len(said) == 1 and said[0].startswith("history is not saved: cannot write")
    monkeypatch.setenv("UNRAVEL_HISTORY", str(tmp_path / "deep" / "history"))
    history = open_history(said.append)
    history.store_string("bpm 120")
    assert "+bpm 120" in (tmp_path / "deep" / "history").read_text() and len(said) == 1


def test_a_missing_model_is_refused_before_the_prompt(workdir):
    import io

    from unravel_lang.errors import ModelError
    from unravel_lang.repl.app import run_repl

    out = io.StringIO()
    with pytest.raises(ModelError, match="missing.ts"):
        run_repl(model="missing.ts", stdin=io.StringIO("show 1\n"), stdout=out)
    assert out.getvalue() == ""


@pytest.mark.parametrize(("file", "said"), [
    ("nope.ts", "nope.ts: model file not found"),
    ("broken.ts", "broken.ts: decode failed (RuntimeError: the decoder is broken)"),
])
def test_a_model_that_fails_to_load_is_reported_once_and_changes_nothing(repl, workdir,
                                                                        file, said):
    from broken_models import build_broken_model

    build_broken_model(workdir / "broken.ts", "decode raises")
    model = repl.session.model
    repl.handle("track t = fibo(a)")
    repl.engine.take()
    assert not repl.handle(f'model "{file}"')
    assert said in repl.out[-1] and "internal error" not in repl.out[-1]
    assert repl.session.model is model and repl.engine.take() == []
    assert list(repl.stage.tracks) == ["t"]
    assert repl.handle("show a")  # the session goes on with its bindings


def test_a_piped_repl_goes_on_after_a_missing_model(workdir, tiny_model_path):
    (workdir / "none.conf").write_text(NO_DEVICE_ALSA)
    done = subprocess.run(
        [sys.executable, "-m", "unravel_lang", "repl", "--model", str(tiny_model_path)],
        input='a = 1\nmodel "nope.ts"\nshow a\n', capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO), ALSA_CONFIG_PATH=str(workdir / "none.conf")),
    )
    assert "nope.ts: model file not found" in done.stdout
    assert done.stdout.rstrip().endswith("1")  # `show a` ran after the error
    assert done.returncode == 1 and "unravel: error" not in done.stderr  # 1: an input failed
