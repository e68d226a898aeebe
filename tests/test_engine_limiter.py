"""The master limiter: transparent below −1 dBFS, never at full scale, the same on every pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from rave_testmodels import random_latent as latent

from unravel_lang.audio import resample
from unravel_lang.cli import main
from unravel_lang.engine import Engine, FileSink
from unravel_lang.engine.limiter import CEILING, THRESHOLD, MasterLimiter, limit
from unravel_lang.engine.score import ScoreRender
from unravel_lang.engine.timeline import loop_iterations, render_track
from unravel_lang.plan import Plan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
floats = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, min_size=1, max_size=64))
def test_the_curve_is_odd_monotonic_bounded_and_the_identity_below_threshold(values):
    x = np.sort(np.array(values, dtype=np.float32))
    y = limit(x)
    quiet = np.abs(x) <= THRESHOLD
    np.testing.assert_array_equal(y[quiet], x[quiet])
    assert np.all(np.abs(y) <= CEILING)
    assert np.all(np.diff(y) >= 0)
    np.testing.assert_array_equal(limit(-x), -y)


def test_the_knee_is_smooth_where_it_begins():
    x = np.float32(THRESHOLD) + np.array([-1e-4, 0.0, 1e-4], dtype=np.float32)
    slope = np.diff(limit(x)) / np.diff(x)
    np.testing.assert_allclose(slope, 1.0, atol=2e-3)


def test_limiting_in_place_in_reads_of_any_size_is_limiting_the_whole():
    x = (3 * np.random.default_rng(0).standard_normal((2, 5000))).astype(np.float32)
    limiter, y = MasterLimiter(), x.copy()
    for a, b in [(0, 1), (1, 700), (700, 701), (701, 5000)]:
        limiter.process(y[:, a:b])
    np.testing.assert_array_equal(y, limit(x))
    assert limiter.limited == np.count_nonzero(np.abs(x) > THRESHOLD)


def loud_session(model, voices: int, passes: int, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """`voices` looping tracks of one bar each, rendered to a file for `passes` bars: the
    engine's audio and the sum of the tracks' own offline decodes (before the master)."""
    bar = 4 * k
    plans = [Plan.of(latent(bar, 50 + v) * 2.0, gain=1.5) for v in range(voices)]
    engine = Engine(model, seed=1, k=k, realtime=False)
    sink = FileSink(engine)
    with engine:
        for v, plan in enumerate(plans):
            engine.track(f"v{v}", plan)
        sink.until(passes * bar)
    n = passes * bar * model.ratio
    unlimited = sum(render_track(model, 1, f"v{v}", loop_iterations([(0, p)], 0, passes * bar, k),
                                 n) for v, p in enumerate(plans))
    return sink.audio, unlimited


def test_a_loud_mix_is_limited_and_only_where_it_is_loud(tiny):
    audio, unlimited = loud_session(tiny, voices=12, passes=3)
    assert np.abs(unlimited).max() > 2.0  # twelve loud voices: far over full scale
    assert np.abs(audio).max() <= CEILING
    quiet = np.abs(unlimited) <= THRESHOLD
    assert 0.05 < quiet.mean() < 0.95
    np.testing.assert_array_equal(audio[quiet], unlimited[quiet])
    np.testing.assert_array_equal(audio, limit(unlimited))


def test_the_demo_no_longer_clips_even_between_samples(tmp_path):
    """The demo's mix peaks at 1.01 (true peak 1.02) before the master; after it, under 1.0
    at the samples and between them (4x oversampled)."""
    out = tmp_path / "demo.wav"
    assert main(["run", str(EXAMPLES / "demo.unr"), "-o", str(out)]) == 0
    audio, sr = sf.read(out, dtype="float32", always_2d=True)
    audio = audio.T
    assert THRESHOLD < np.abs(audio).max() <= CEILING
    assert np.abs(resample(audio, sr, 4 * sr)).max() <= 1.0


def test_a_steady_loop_is_limited_the_same_on_every_pass(tiny):
    """No pumping: the limiter has no memory, so a loop that repeats exactly before the
    master repeats exactly after it."""
    k = 8
    audio, unlimited = loud_session(tiny, voices=4, passes=4, k=k)
    n = 4 * k * tiny.ratio
    passes = [audio[:, i * n : (i + 1) * n] for i in range(4)]
    raw = [unlimited[:, i * n : (i + 1) * n] for i in range(4)]
    np.testing.assert_array_equal(raw[2], raw[3])  # the model's loop is steady by pass 3
    assert np.abs(raw[2]).max() > 1.0
    np.testing.assert_array_equal(passes[2], passes[3])


def test_every_render_passes_the_limiter(tiny):
    plan = Plan.of(latent(16, 60) * 3.0, gain=2.0).layer(Plan.of(latent(16, 61) * 3.0))
    with ScoreRender(tiny, seed=0) as score:
        score.play(plan)
        rendered = score.finish()
    assert 1.0 > np.abs(rendered).max() > THRESHOLD
