"""`unravel watch`: a score re-evaluated on save; changed tracks swap, errors change nothing."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pexpect
import pytest
import soundfile as sf

from unravel_lang.errors import UnravelError
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.live.stage import Stage
from unravel_lang.live.watch import ScoreWatcher, digest, stamp
from unravel_lang.model import load_model
from unravel_lang.tempo import snap

REPO = Path(__file__).resolve().parent.parent
NO_DEVICE_ALSA = "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n"

SCORE = """\
bpm 120
a = normal(stats(encode("noise.wav")), k=11)
track beat = fibo(a)
track pad = reverse(a)
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where a score's exports go
    rng = np.random.default_rng(5)
    sf.write(tmp_path / "noise.wav", (0.3 * rng.standard_normal(22050)).astype(np.float32), 44100)
    (tmp_path / "nodevice.conf").write_text(NO_DEVICE_ALSA)
    return tmp_path


_clock = [1_700_000_000_000_000_000]


def save(path: Path, text: str) -> None:
    """Write `text` and give the file a new modification time (as a save does)."""
    path.write_text(text)
    _clock[0] += 1_000_000_000
    os.utime(path, ns=(_clock[0], _clock[0]))


def settle(watcher: ScoreWatcher) -> bool:
    """Poll until the watcher evaluates (a change is evaluated once its stamp held a poll)."""
    return any(watcher.poll() for _ in range(3))


@pytest.fixture
def watched(workdir, tiny_model_path):
    """A watcher on `score.unr` whose stage forwards to a `Recorder` standing for the engine."""
    model = load_model(tiny_model_path)
    lines: list[str] = []
    engine = Recorder()
    stage = Stage(engine, k=11, model=model)

    def open_session(recorder, output):
        return Session(model=model, performer=recorder, seed=3, output=output, base_dir=workdir)

    score = workdir / "score.unr"
    save(score, SCORE)
    watcher = ScoreWatcher(score, open_session, stage, lines.append)
    return watcher, stage, engine, lines


def test_stamps_and_digests(tmp_path):
    path = tmp_path / "s.unr"
    assert stamp(path) is None
    save(path, "hush\n")
    first = stamp(path)
    save(path, "hush\n")
    assert stamp(path) != first and first.size == 5
    assert digest(b"hush\n") == digest(b"hush\n") != digest(b"hush \n")


def test_the_first_evaluation_starts_every_track(watched):
    watcher, stage, engine, lines = watched
    assert not watcher.poll()  # the change must hold for one poll first
    assert watcher.poll()
    assert list(stage.tracks) == ["beat", "pad"]
    assert [(m, a[0]) for m, a in engine.take()] == [("track", "beat"), ("track", "pad")]
    assert str(snap(120, 44100, 2048)) in lines
    assert lines[-1] == "score.unr: evaluated (+ beat, + pad)"


def test_a_save_swaps_only_the_changed_track(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    beat_before = stage.tracks["beat"]
    save(watcher.path, SCORE.replace("reverse(a)", "repeat(a, 2)"))
    assert settle(watcher)
    assert lines[-1] == "score.unr: evaluated (~ pad)"
    calls = engine.take()
    assert [(m, a[0]) for m, a in calls] == [("track", "pad")]
    assert calls[0][1][1].frames == 2 * 11
    assert stage.tracks["beat"] is beat_before


def test_a_tempo_change_reaches_the_engine(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    save(watcher.path, SCORE.replace("bpm 120", "bpm 160"))
    assert settle(watcher)
    assert str(snap(160, 44100, 2048)) in lines
    # the tracks' arrays were drawn with k=11 frames, unchanged: only the tempo moves
    assert lines[-1] == "score.unr: evaluated (k=8)"
    assert engine.take() == [("set_tempo", (8,))] and stage.k == 8


def test_a_quantum_reaches_the_engine_and_leaving_it_out_goes_back_to_the_beat(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    save(watcher.path, "quantum bar\n" + SCORE + "track lead = fibo(reverse(a))\n")
    assert settle(watcher)
    assert lines[-1] == "score.unr: evaluated (quantum bar, + lead)"
    assert [(m, a[0]) for m, a in engine.take()] == [("set_quantum", "bar"), ("track", "lead")]
    assert stage.quantum == "bar"
    save(watcher.path, SCORE)
    assert settle(watcher)
    assert lines[-1] == "score.unr: evaluated (quantum beat, - lead)"
    assert [(m, a[0]) for m, a in engine.take()] == [("set_quantum", "beat"), ("stop", "lead")]


def test_a_save_without_change_does_nothing(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    count = watcher.evaluations
    save(watcher.path, SCORE)  # new time, same content
    assert not settle(watcher)
    assert watcher.evaluations == count and engine.take() == []


def test_removed_tracks_stop_and_new_ones_start(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    save(watcher.path, SCORE.replace("track pad = reverse(a)", "track lead = fibo(reverse(a))"))
    assert settle(watcher)
    assert lines[-1] == "score.unr: evaluated (- pad, + lead)"
    assert [(m, a[0]) for m, a in engine.take()] == [("stop", "pad"), ("track", "lead")]


def test_an_error_is_printed_with_its_caret_and_changes_nothing(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    before = dict(stage.tracks)
    save(watcher.path, SCORE.replace("fibo(a)", "fibo(aa)"))
    lines.clear()
    assert settle(watcher)
    message = lines[0]
    assert message.startswith(f"{watcher.path}:3:19: unknown name `aa`")
    assert message.splitlines()[1:] == ["track beat = fibo(aa)", " " * 18 + "^"]
    assert lines[-1] == "score.unr: not changed; still playing: beat, pad"
    assert engine.take() == [] and stage.tracks == before
    # fixing the score picks up from there
    save(watcher.path, SCORE)
    assert settle(watcher)
    assert lines[-1] == "score.unr: evaluated (nothing changed)"


def test_a_score_that_fails_while_running_changes_nothing(watched):
    watcher, stage, engine, lines = watched
    settle(watcher)
    engine.take()
    save(watcher.path, SCORE + 'export a "a.npy"\ntrack bad = fibo(encode("missing.wav"))\n')
    lines.clear()
    assert settle(watcher)
    assert lines[-3].startswith("wrote a.npy")  # what ran before the error says so
    assert (watcher.path.parent / "a.npy").is_file()
    assert "missing.wav" in lines[-2]
    assert engine.take() == [] and list(stage.tracks) == ["beat", "pad"]


def test_watch_command_reevaluates_on_save_and_stops_on_ctrl_c(workdir, tiny_model_path):
    score = workdir / "score.unr"
    save(score, SCORE)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(workdir / "nodevice.conf"), PYTHONPATH=str(REPO))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "unravel_lang", "watch", str(score), "--model", str(tiny_model_path),
         "--interval", "0.05"],
        cwd=str(workdir), env=env, encoding="utf-8", timeout=90,
    )
    try:
        child.expect("playback unavailable: no audio output device")
        child.expect(r"score\.unr: evaluated \(\+ beat, \+ pad\)")
        save(score, SCORE.replace("fibo(a)", "fibo(a, stop=5)"))
        child.expect(r"score\.unr: evaluated \(~ beat\)")
        save(score, SCORE.replace("reverse(a)", "reverse(aa)"))
        child.expect(r"score\.unr:4:21: unknown name `aa`[^\n]*\r?\n")
        child.expect(r"track pad = reverse\(aa\)\r?\n")
        assert child.readline().rstrip("\r\n") == " " * 20 + "^"
        child.expect(r"score\.unr: not changed; still playing: beat, pad")
        assert child.isalive()
        child.kill(signal.SIGINT)
        child.expect("stopped")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_watch_refuses_a_missing_score(tmp_path):
    from unravel_lang.live.watch import watch

    with pytest.raises(UnravelError, match="no such score file"):
        watch(tmp_path / "nope.unr")


def test_a_saved_change_is_heard_from_the_tracks_next_loop(workdir, tiny_model_path):
    """Watch driving the real engine, heard through its file sink: the changed track swaps
    at its next loop boundary, as the engine's offline reference renders it."""
    from unravel_lang.engine import Engine, FileSink
    from unravel_lang.engine.timeline import loop_iterations, render_track
    from unravel_lang.patterns import fibo
    from unravel_lang.plan import Plan

    model = load_model(tiny_model_path)
    engine = Engine(model, seed=3, k=11, realtime=False)
    sink = FileSink(engine)
    lines: list[str] = []

    def open_session(recorder, output):
        return Session(model=model, performer=recorder, seed=3, output=output, base_dir=workdir)

    score = workdir / "score.unr"
    source = 'a = normal(stats(encode("noise.wav")), k=11)\ntrack beat = fibo(a)\n'
    save(score, source)
    try:
        watcher = ScoreWatcher(score, open_session, Stage(engine, k=11, model=model),
                               lines.append)
        assert settle(watcher)
        sink.pull(30)  # into the second pass of the 19-frame loop
        save(score, source.replace("fibo(a)", "reverse(fibo(a))"))
        assert settle(watcher) and lines[-1] == "score.unr: evaluated (~ beat)"
        sink.pull(60 - 30)
    finally:
        engine.close()
    a = Session(model=model, seed=3, output=None, base_dir=workdir)
    a.run('a = normal(stats(encode("noise.wav")), k=11)')
    loop = fibo(a["a"])
    before, after = Plan.of(loop), Plan.of(loop[::-1].copy())
    # the engine's own offline reference: iterations on the beat grid, the new plan from
    # the first iteration that starts after frame 30
    iterations = loop_iterations([(0, before), (30, after)], 0, 60, 11)
    assert [start for start, _ in iterations] == [0, 22, 44]
    expected = render_track(model, 3, "beat", iterations, 60 * model.ratio)
    np.testing.assert_allclose(sink.audio, expected, rtol=0, atol=1e-6)
