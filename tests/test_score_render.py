"""A score rendered to a file is the live engine playing it: `ScoreRender`, `run -o`, `check`."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile as sf
from rave_testmodels import random_latent as latent

from unravel_lang.cli import main
from unravel_lang.engine import Engine, FileSink
from unravel_lang.engine.limiter import limit
from unravel_lang.engine.mixer import fade_ramp
from unravel_lang.engine.score import ScoreRender, render_calls
from unravel_lang.engine.timeline import loop_iterations, render_track
from unravel_lang.errors import UnravelError
from unravel_lang.lang import Recorder, Session
from unravel_lang.plan import Plan


def engine_threads() -> set[threading.Thread]:
    """The engine worker threads alive now (other tests' engines may still be closing)."""
    return {t for t in threading.enumerate() if t.name == "unravel-engine"}


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", latent(6, 1))
    np.save(tmp_path / "y.npy", latent(5, 2))
    return tmp_path


SCORE = """k 4
x = load("x.npy")
y = load("y.npy")
track t = x
wait 5frames
track t = y
wait 12frames
play x
stop t
"""


def test_run_o_equals_the_engines_offline_reference(folder, noisy_model_path, noisy):
    """track at 0; replaced at its next boundary (frame 8, the 6-frame loop padded to the
    beat); the play starts on the next beat after frame 17 (20); stop fades at the cursor
    (26, where the play ends)."""
    before = engine_threads()
    (folder / "s.unr").write_text(SCORE)
    assert main(["run", "s.unr", "-m", str(noisy_model_path), "--seed", "3", "-o",
                 "out.wav"]) == 0
    audio, sr = sf.read(folder / "out.wav", dtype="float32", always_2d=True)
    x, y = Plan.of(np.load(folder / "x.npy")), Plan.of(np.load(folder / "y.npy"))
    ramp = fade_ramp(noisy.sr, 5.0)
    at = 26 * noisy.ratio
    n = at + len(ramp)
    iterations = loop_iterations([(0, x), (5, y)], 0, 26, 4)
    assert [start for start, _ in iterations] == [0, 8, 16, 24]
    expected = render_track(noisy, 3, "t", iterations, n, at, ramp)
    expected += render_track(noisy, 3, "play 1", [(20, x)], n)
    assert sr == noisy.sr and audio.shape == (n, 1)
    np.testing.assert_array_equal(audio.T, limit(expected))
    assert np.count_nonzero(expected[:, 20 * noisy.ratio : at]) > 0
    assert engine_threads() <= before


def test_check_prints_the_length_run_renders(folder, tiny_model_path, capsys):
    (folder / "s.unr").write_text(SCORE + "track u = y\nwait 3frames\n")
    assert main(["check", "s.unr", "-m", str(tiny_model_path)]) == 0
    plays = capsys.readouterr().out.splitlines()[-1]
    assert main(["run", "s.unr", "-m", str(tiny_model_path), "-o", "out.wav"]) == 0
    frames = sf.info(folder / "out.wav").frames
    # u starts on the beat after 26 (28) and plays one pass of 5 frames: to 33
    assert frames == 33 * 2048
    assert plays == f"plays: {frames / 44100:.2f} s · {33 / 16:.4g} bars at k=4"
    assert not (folder / "x.wav").exists()


def test_three_overlapping_tracks_render_the_same_bytes_twice(folder, noisy_model_path):
    (folder / "s.unr").write_text(
        'k 3\nx = load("x.npy")\ny = load("y.npy")\ntrack a = x\ntrack b = y | x\n'
        "wait 4frames\nplay y\ntrack c = reverse(x)\nwait 10frames\nstop a\nwait 2frames\n"
        "track a = y\nwait 7frames\nhush\nplay x\n")
    for name in ("one.wav", "two.wav"):
        assert main(["run", "s.unr", "-m", str(noisy_model_path), "-o", name]) == 0
    assert (folder / "one.wav").read_bytes() == (folder / "two.wav").read_bytes()


def test_a_runtime_error_writes_nothing_and_leaves_no_thread(folder, tiny_model_path, capsys):
    before = engine_threads()
    (folder / "s.unr").write_text('x = load("x.npy")\ntrack t = x\nwait 2frames\n'
                                  'z = load("missing.npy")\nplay z\n')
    assert main(["run", "s.unr", "-m", str(tiny_model_path), "-o", "out.wav"]) == 1
    assert "missing.npy" in capsys.readouterr().err
    assert not (folder / "out.wav").exists()
    assert engine_threads() <= before


def test_plays_follow_one_another_and_wait_for_the_beat_while_a_track_runs(tiny):
    a, b = Plan.of(latent(5, 3)), Plan.of(latent(7, 4))
    score = ScoreRender(tiny, seed=1, k=4)
    score.play(a)
    assert score.cursor == 5
    score.play(b)  # nothing sounds at 5: b starts there
    assert score.cursor == 12
    score.track("t", a)  # nothing sounds: at once, the downbeat moves to 12
    score.wait(1)
    score.play(b)  # on the next beat of the grid from 12: 16
    assert score.cursor == 23
    audio = score.finish()
    # t's pass in progress at 23 (20..25) finishes: the piece ends at 25
    assert audio.shape == (1, 25 * tiny.ratio)
    n = audio.shape[1]
    expected = render_track(tiny, 1, "play 1", [(0, a)], n)
    expected += render_track(tiny, 1, "play 2", [(5, b)], n)
    expected += render_track(tiny, 1, "t", loop_iterations([(12, a)], 12, 25, 4), n)
    expected += render_track(tiny, 1, "play 3", [(16, b)], n)
    np.testing.assert_array_equal(audio, limit(expected))


def test_a_ring_smaller_than_every_step_does_not_block(tiny):
    before = engine_threads()
    score = ScoreRender(tiny, seed=0, k=3, ahead_frames=1)
    score.track("long", Plan.of(latent(40, 5)))
    score.wait(50)
    score.play(Plan.of(latent(30, 6)))
    audio = score.finish()
    assert score.engine is None and engine_threads() <= before
    # the play starts on the beat at 51 and ends at 81; the track's pass from 42 ends at 82
    assert audio.shape[1] == 82 * tiny.ratio


def test_a_final_wait_is_rendered_and_a_last_track_plays_one_pass(tiny):
    score = ScoreRender(tiny, k=4)
    score.play(Plan.of(latent(3, 7)))
    score.wait(10)
    assert score.finish().shape[1] == 13 * tiny.ratio
    score = ScoreRender(tiny, k=4)
    score.track("t", Plan.of(latent(6, 8)))
    assert score.finish().shape[1] == 6 * tiny.ratio


def test_without_decoding_the_timing_is_the_same_and_the_audio_silent(tiny):
    def perform(score: ScoreRender) -> np.ndarray:
        score.track("t", Plan.of(latent(6, 9)))
        score.wait(3)
        score.play(Plan.of(latent(9, 10)))
        score.hush()
        return score.finish()

    real, silent = perform(ScoreRender(tiny, k=4)), perform(ScoreRender(tiny, k=4, decode=False))
    assert real.shape == silent.shape == (1, 13 * tiny.ratio + len(fade_ramp(tiny.sr, 5.0)))
    assert np.count_nonzero(real) > 0 and np.count_nonzero(silent) == 0


def test_the_session_recorder_replays_into_a_score_render(tiny):
    session = Session(model=tiny, seed=2, output=None)
    session.env["a"] = latent(6, 11)
    session.run("k 4\nbeats 3\ntrack t = a\nwait 2beats\nplay reverse(a)\nhush")
    recorder = session.performer
    assert isinstance(recorder, Recorder) and recorder.plays
    assert [m for m, _ in recorder.calls] == ["set_tempo", "set_beats_per_bar", "track", "wait",
                                              "play", "hush"]
    direct = ScoreRender(tiny, seed=5)
    recorder.replay(direct)
    np.testing.assert_array_equal(render_calls(recorder.calls, tiny, seed=5), direct.finish())


def test_beats_reach_the_engine_at_the_next_bar_line(noisy):
    """Bars of 4 beats of 4 frames: `beats 3` takes over at the bar line at 16, so a tempo
    change asked for at 17 lands on the next 3-beat bar line, 28; loops pad to that grid."""
    plan = Plan.of(latent(10, 12))
    engine = Engine(noisy, seed=4, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.track("a", plan)
        sink.until(1)
        engine.set_beats_per_bar(3)
        sink.until(17)
        assert engine.clock.beats_per_bar == 3 and engine.clock.origin == 16
        engine.set_tempo(2)
        sink.until(40)
        assert (engine.clock.k, engine.clock.origin) == (2, 28)
    starts = [0, 12, 24, 34]
    expected = render_track(noisy, 4, "a", [(s, plan) for s in starts], 40 * noisy.ratio)
    np.testing.assert_array_equal(sink.audio, limit(expected))


def test_a_score_render_passes_beats_on(tiny):
    score = ScoreRender(tiny, k=4)
    score.set_beats_per_bar(3)  # before anything plays: the engine starts with it
    score.track("t", Plan.of(latent(4, 13)))
    assert score.engine.clock.beats_per_bar == 3
    score.set_beats_per_bar(2)
    score.wait(13)
    score.play(Plan.of(latent(2, 14)))
    assert score.engine.clock.beats_per_bar == 2
    score.close()


def test_the_model_changes_only_before_anything_plays(tiny, noisy):
    before = engine_threads()
    score = ScoreRender(tiny)
    score.set_tempo(5)
    score.set_model(noisy)
    assert score.model is noisy
    score.play(Plan.of(latent(2, 15)))
    with pytest.raises(UnravelError, match="before it plays"):
        score.set_model(tiny)
    score.close()
    assert engine_threads() <= before


def test_a_score_longer_than_the_frame_limit_is_refused(tiny):
    from unravel_lang.errors import PatternError
    from unravel_lang.guards import frame_limit

    score = ScoreRender(tiny, decode=False)
    with frame_limit(100), score:
        score.wait(60)
        with pytest.raises(PatternError, match="the score would be 120 frames"):
            score.wait(60)
        with pytest.raises(PatternError, match="the score would be 160 frames"):
            score.play(Plan.of(latent(100, 16)))
    assert score.cursor == 60


def test_timing_without_decoding_keeps_no_audio(tiny):
    from unravel_lang.engine.score import SILENT_PULL_FRAMES

    score = ScoreRender(tiny, k=4, decode=False)
    score.track("t", Plan.of(latent(6, 17)))
    score.wait(3 * SILENT_PULL_FRAMES + 5)
    sink = score.sink
    audio = score.finish()
    # the pass in progress at 3077 (3072..3078) finishes
    assert audio.shape == (1, (3 * SILENT_PULL_FRAMES + 6) * tiny.ratio)
    assert sink._buffer.shape[1] <= SILENT_PULL_FRAMES * tiny.ratio + sink.late  # + look-ahead


def test_quantum_bar_starts_a_second_track_on_the_next_bar_line(tiny):
    """k 4, 4 beats a bar: `a` (one bar long) starts at once at 0; at the cursor 5, `b` starts
    on the next beat (8) by default, on the next bar line (16) after `quantum bar`. At the end
    `a` finishes its pass (to 16) and `b` plays one pass."""
    x, y = latent(16, 15), latent(4, 16)

    def perform(quantum: str) -> tuple[np.ndarray, Recorder]:
        session = Session(model=tiny, seed=6, output=None)
        session.env.update(x=x, y=y)
        session.run(f"k 4\nquantum {quantum}\ntrack a = x\nwait 5frames\ntrack b = y")
        return render_calls(session.performer.calls, tiny, seed=6), session.performer

    bar, recorder = perform("bar")
    assert ("set_quantum", ("bar",)) in recorder.calls
    beat, _ = perform("beat")
    for audio, b_start in ((bar, 16), (beat, 8)):
        n = max(16, b_start + 4) * tiny.ratio
        expected = render_track(tiny, 6, "a", [(0, Plan.of(x))], n)
        expected += render_track(tiny, 6, "b", [(b_start, Plan.of(y))], n)
        assert audio.shape == (1, n)
        np.testing.assert_array_equal(audio, limit(expected))
    alone = render_track(tiny, 6, "a", [(0, Plan.of(x))], bar.shape[1])
    b_sound = np.flatnonzero(bar[0] - alone[0])
    assert b_sound.size > 0 and b_sound[0] >= 16 * tiny.ratio  # nothing of b before the bar


def test_a_score_render_passes_the_quantum_on(tiny):
    score = ScoreRender(tiny, k=4, quantum="bar")  # the engine starts with it
    score.track("a", Plan.of(latent(16, 17)))
    assert score.engine.worker.quantum == "bar"
    score.wait(5)
    score.track("b", Plan.of(latent(4, 18)))
    score.engine.settle()
    assert score.engine.last_start == 16  # the next bar line after the cursor 5
    score.set_quantum("beat")
    score.wait(1)
    score.play(Plan.of(latent(2, 19)))
    assert score.engine.worker.quantum == "beat"
    assert score.engine.last_start == 8  # the play, on the next beat after the cursor 6
    assert score.cursor == 10
    score.close()
    with pytest.raises(UnravelError, match="quantum is 'beat' or 'bar'"):
        ScoreRender(tiny, quantum="bars")
