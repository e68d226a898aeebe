"""The master limiter: true peak <= 1.0 whatever comes in, bit-transparent while the true
peak stays at or below −1 dBFS, the same output however the stream is cut, the same on
every pass of a steady loop, one gain for both channels; live equals the render."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from rave_testmodels import random_latent as latent

from unravel_lang.audio import resample
from unravel_lang.cli import main
from unravel_lang.engine import Engine, FileSink
from unravel_lang.engine.limiter import (
    CEILING,
    LOOKAHEAD,
    THRESHOLD,
    MasterLimiter,
    limit,
    true_peak,
)
from unravel_lang.engine.score import ScoreRender
from unravel_lang.engine.timeline import loop_iterations, render_track
from unravel_lang.plan import Plan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SR = 44100


def oversampled_peak(x: np.ndarray) -> float:
    """The true peak as ITU-R BS.1770 measures it, independently of the limiter's own
    detector: the largest magnitude of `x` `(channels, n)` upsampled 4x by a polyphase FIR
    (81-tap Kaiser-windowed sinc, beta 5: the design of scipy's `resample_poly(x, 4, 1)`)."""
    up, half = 4, 40
    t = np.arange(-half, half + 1)
    h = np.sinc(t / up) * np.kaiser(2 * half + 1, 5.0)
    peak = 0.0
    for channel in np.atleast_2d(x).astype(np.float64):
        stuffed = np.zeros(channel.size * up)
        stuffed[::up] = channel
        peak = max(peak, float(np.abs(np.convolve(stuffed, h)).max()))
    return peak


def soxr_peak(x: np.ndarray) -> float:
    """The peak of `x` upsampled 4x by soxr (a near brick-wall filter), silence around it."""
    padded = np.pad(np.atleast_2d(x), ((0, 0), (1000, 1000)))
    return float(np.abs(resample(padded, SR, 4 * SR)).max())


def sine(hz: float, amplitude: float, seconds: float = 0.25) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.stack([amplitude * np.sin(2 * np.pi * hz * t + 0.3),
                     amplitude * np.sin(2 * np.pi * hz * t + 1.1)]).astype(np.float32)


def pathological() -> dict[str, np.ndarray]:
    n = SR // 4
    square = np.where((np.arange(n) // 50) % 2 == 0, 3.0, -3.0).astype(np.float32)
    clicks = np.zeros((2, n), np.float32)
    clicks[:, 1000::3000] = 4.0
    clicks[1, 2500] = -5.0
    cases = {f"sine {hz} Hz at 2x full scale": sine(hz, 2.0)
             for hz in (1000, 11025, 15000, 19000, 20000, 21000, 22000)}
    cases["square at 3x"] = np.stack([square, square])
    cases["clicks at 4-5x"] = clicks
    cases["white noise at 3 rms"] = (3 * np.random.default_rng(0).standard_normal((2, n))
                                     ).astype(np.float32)
    cases["alternating full scale (fs/4 square)"] = np.tile(
        np.array([1, 1, -1, -1], np.float32), (2, n // 4))
    return cases


@pytest.mark.parametrize("name", list(pathological()))
def test_the_true_peak_stays_under_full_scale_whatever_comes_in(name):
    x = pathological()[name]
    y = limit(x)
    assert y.shape == x.shape and y.dtype == np.float32
    assert oversampled_peak(x) > 1.0 and true_peak(x) > 1.0  # it needs limiting
    assert oversampled_peak(y) <= 1.0
    assert true_peak(y) <= CEILING * 1.01  # the gain moves a little across a peak's span


def test_a_near_brick_wall_measure_agrees_up_to_20_khz():
    """soxr's steep filter rings where a tone near Nyquist starts abruptly (it measures a
    21 kHz sine of amplitude 2 at 2.34) and on full-band noise: those are left to the
    BS.1770 measure above."""
    for name, x in pathological().items():
        if not any(word in name for word in ("21000", "22000", "noise")):
            assert soxr_peak(limit(x)) <= 1.0, name


floats = st.floats(-1.0, 1.0, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(st.lists(floats, min_size=1, max_size=400), st.integers(1, 2))
def test_below_the_threshold_nothing_changes_bit_for_bit(values, channels):
    x = np.array(values, np.float32)
    x = np.stack([x, x[::-1] * np.float32(0.5)])[:channels]
    peak = true_peak(x)
    if peak > THRESHOLD:
        x *= np.float32(THRESHOLD / peak * 0.999)
    assert true_peak(x) <= THRESHOLD
    np.testing.assert_array_equal(limit(x), x)


def chunked(x: np.ndarray, cuts: list[int]) -> np.ndarray:
    """`x` through one streaming limiter in blocks cut at `cuts`, then as many samples of
    silence as the look-ahead, put back in place."""
    stream = np.concatenate([x, np.zeros((x.shape[0], LOOKAHEAD), np.float32)], axis=1)
    limiter = MasterLimiter(SR)
    edges = [0, *sorted({c % stream.shape[1] for c in cuts}), stream.shape[1]]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        limiter.process(stream[:, a:b])
    return stream[:, LOOKAHEAD:]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.5, 8.0),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_the_output_does_not_depend_on_how_the_stream_is_cut(seed, level, cuts):
    rng = np.random.default_rng(seed)
    n = 4000
    x = (level * rng.standard_normal((2, n)) * np.sin(np.arange(n) / 300.0) ** 2
         ).astype(np.float32)  # loud and quiet stretches, so the gain moves both ways
    np.testing.assert_array_equal(chunked(x, cuts), limit(x))


def test_both_channels_get_the_same_gain():
    loud = sine(440, 3.0)[0]
    quiet = (0.1 * np.random.default_rng(1).standard_normal(loud.size)).astype(np.float32)
    x = np.stack([loud, quiet])
    y = limit(x)
    gain = y / np.where(x == 0, 1, x)
    on = (np.abs(x[0]) > 1e-3) & (np.abs(x[1]) > 1e-3)
    np.testing.assert_allclose(gain[0, on], gain[1, on], rtol=1e-5)
    assert gain[1, on].min() < 0.4  # the quiet channel comes down with the loud one


def test_a_short_burst_comes_back_to_unity_gain():
    x = (0.5 * np.sin(np.arange(SR) / 20.0)).astype(np.float32)[None]
    x[:, 1000:1100] *= 4
    y = limit(x)
    assert oversampled_peak(y) <= 1.0
    np.testing.assert_array_equal(y[:, :1000 - LOOKAHEAD], x[:, :1000 - LOOKAHEAD])
    np.testing.assert_array_equal(y[:, SR // 2 :], x[:, SR // 2 :])  # released within 0.5 s


def test_the_streaming_limiter_is_late_by_its_look_ahead():
    x = (0.2 * np.random.default_rng(2).standard_normal((2, 1000))).astype(np.float32)
    y = x.copy()
    MasterLimiter(SR).process(y)
    assert LOOKAHEAD == 63
    assert not y[:, :LOOKAHEAD].any()
    np.testing.assert_array_equal(y[:, LOOKAHEAD:], x[:, :-LOOKAHEAD])


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


def test_twelve_loud_voices_are_limited_under_full_scale(tiny):
    audio, unlimited = loud_session(tiny, voices=12, passes=3)
    assert oversampled_peak(unlimited) > 3.0  # twelve loud voices: far over full scale
    assert oversampled_peak(audio) <= 1.0 and soxr_peak(audio) <= 1.0
    np.testing.assert_array_equal(audio, limit(unlimited))


def test_a_render_pulled_in_pieces_is_the_render_pulled_at_once(tiny):
    """The file sink gives the last look-ahead of a pull as if silence followed, and
    replaces it by its final values on the next pull."""
    plans = [Plan.of(latent(16, 70 + v) * 2.0, gain=1.5) for v in range(6)]
    renders = []
    for stops in ([40], [3, 4, 9, 17, 18, 30, 40]):
        engine = Engine(tiny, seed=1, k=4, realtime=False)
        sink = FileSink(engine)
        with engine:
            for v, plan in enumerate(plans):
                engine.track(f"v{v}", plan)
            last = 0
            for stop in stops:
                assert sink.until(stop).shape == (1, (stop - last) * tiny.ratio)
                last = stop
        renders.append(sink.audio.copy())
    assert oversampled_peak(renders[0]) <= 1.0 and np.abs(renders[0]).max() > THRESHOLD
    np.testing.assert_array_equal(renders[0], renders[1])


def test_live_reads_of_any_size_give_the_render(tiny):
    """A real-time reader taking blocks of varying size (never short of samples) hears
    the render's samples, the look-ahead later."""
    plans = [Plan.of(latent(16, 80 + v) * 2.0, gain=1.5) for v in range(6)]
    total = 48 * tiny.ratio
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        for v, plan in enumerate(plans):
            engine.track(f"v{v}", plan)
        sink.until(48)
    rendered = sink.audio
    sizes = np.random.default_rng(3).integers(1, 900, size=4000)
    given: list[np.ndarray] = []
    got = 0
    with Engine(tiny, seed=1, k=4, ahead_frames=8) as live:
        for v, plan in enumerate(plans):
            live.track(f"v{v}", plan)
        live.settle()
        for size in sizes:
            if got >= total + LOOKAHEAD:
                break
            deadline = time.monotonic() + 10.0
            while live.mixer.ring.filled < size and time.monotonic() < deadline:
                time.sleep(0.001)  # an output that never runs dry
            out = np.zeros((1, int(size)), np.float32)
            assert live.read_into(out) == size
            given.append(out)
            got += int(size)
        assert live.underruns == 0
    heard = np.concatenate(given, axis=1)[:, LOOKAHEAD : LOOKAHEAD + total]
    assert np.abs(rendered).max() > THRESHOLD  # the limiter works here
    np.testing.assert_array_equal(heard[:, : total - LOOKAHEAD], rendered[:, : total - LOOKAHEAD])


def test_a_steady_loop_is_limited_the_same_on_every_pass(tiny):
    """No pumping: once the loop repeats exactly before the master, it repeats exactly
    after it (the release has no memory longer than a pass of loud audio)."""
    k = 8
    audio, unlimited = loud_session(tiny, voices=4, passes=5, k=k)
    n = 4 * k * tiny.ratio
    passes = [audio[:, i * n : (i + 1) * n] for i in range(5)]
    raw = [unlimited[:, i * n : (i + 1) * n] for i in range(5)]
    np.testing.assert_array_equal(raw[2], raw[3])  # the model's loop is steady by pass 3
    np.testing.assert_array_equal(raw[3], raw[4])
    assert np.abs(raw[2]).max() > 1.0
    np.testing.assert_array_equal(passes[2], passes[3])


def test_the_demo_no_longer_clips_even_between_samples(tmp_path):
    """The demo's mix peaks at 1.01 (true peak 1.02) before the master; after it, under 1.0
    at the samples and between them."""
    out = tmp_path / "demo.wav"
    assert main(["run", str(EXAMPLES / "demo.unr"), "-o", str(out)]) == 0
    audio, sr = sf.read(out, dtype="float32", always_2d=True)
    audio = audio.T
    assert THRESHOLD < np.abs(audio).max() <= CEILING
    assert np.abs(resample(audio, sr, 4 * sr)).max() <= 1.0
    assert oversampled_peak(audio) <= 1.0


def test_every_render_passes_the_limiter(tiny):
    plan = Plan.of(latent(16, 60) * 3.0, gain=2.0).layer(Plan.of(latent(16, 61) * 3.0))
    with ScoreRender(tiny, seed=0) as score:
        score.play(plan)
        rendered = score.finish()
    assert oversampled_peak(rendered) <= 1.0 and np.abs(rendered).max() > THRESHOLD


def test_settings_are_checked():
    with pytest.raises(ValueError, match="threshold < ceiling"):
        MasterLimiter(SR, threshold=0.95, ceiling=0.9)
    with pytest.raises(ValueError, match="channels, n"):
        MasterLimiter(SR).process(np.zeros(8, np.float32))
