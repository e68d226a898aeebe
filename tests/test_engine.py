"""The live engine rendered to a file sink equals the offline render of the same timeline."""

from __future__ import annotations

import numpy as np
import pytest
from rave_testmodels import random_latent as latent

from unravel_lang.engine import Engine, FileSink, track_seed
from unravel_lang.engine.limiter import limit
from unravel_lang.engine.mixer import FREE
from unravel_lang.engine.timeline import fade_out, loop_iterations, render_track
from unravel_lang.errors import LatentError, PatternError, UnravelError
from unravel_lang.model import BATCH_TOLERANCE, load_model
from unravel_lang.plan import Plan, Voice
from unravel_lang.render import render

SEED = 5


@pytest.fixture(scope="module")
def stereo_model_path(tmp_path_factory):
    """A streaming, variational-like test model with two audio channels."""
    from rave_testmodels import build_test_model

    path = tmp_path_factory.mktemp("stereo") / "stereo.ts"
    return build_test_model(path, channels=2, noise_dims=4, seed=3)


@pytest.fixture(
    scope="module",
    params=["tiny_model_path", "noisy_model_path", "batch_model_path", "stereo_model_path"],
)
def any_model(request):
    return load_model(request.getfixturevalue(request.param))


def offline_engine(model, **kw) -> tuple[Engine, FileSink]:
    engine = Engine(model, seed=SEED, realtime=False, **kw)
    return engine, FileSink(engine)


def test_session_script_equals_plan_render(any_model):
    """Start a one-bar track, replace it at bar 3, stop it at bar 5: the file sink's audio is
    the offline render of the track's timeline (one voice = one stream) faded at bar 5."""
    k = 8
    bar = 4 * k
    a, b = latent(bar, 1), latent(bar, 2)
    engine, sink = offline_engine(any_model, k=k)
    with engine:
        engine.track("a", Plan.of(a))
        sink.until(engine.frames_for(bars=3))
        engine.track("a", Plan.of(b))
        sink.until(engine.frames_for(bars=5))
        engine.stop("a")
        sink.until(engine.frames_for(bars=6))
        assert engine.take_errors() == []
    timeline = Plan.of(np.concatenate([a, a, a, b, b, b]))
    expected = render(timeline, any_model, seed=track_seed(SEED, "a"))
    fade_out(expected, 5 * bar * any_model.ratio, engine.ramp)
    np.testing.assert_array_equal(sink.audio, limit(expected))
    assert np.count_nonzero(sink.audio[:, : 5 * bar * any_model.ratio]) > 0
    assert np.count_nonzero(sink.audio[:, 5 * bar * any_model.ratio + len(engine.ramp) :]) == 0


def test_uneven_loops_two_voices_match_the_timeline(noisy):
    """Loops shorter than a whole number of beats are padded with silence up to the grid; a
    layered plan keeps one stream per voice slot across loops and replacements."""
    k = 11
    p1 = Plan.of(latent(19, 3)).layer(Plan((Voice(latent(6, 4), start=5, gain=0.5),)))
    p2 = Plan.of(latent(9, 5))
    p3 = Plan.of(latent(12, 6)).layer(Plan.of(latent(12, 7), gain=0.25))
    engine, sink = offline_engine(noisy, k=k)
    with engine:
        engine.track("drone", p1)
        sink.until(30)
        engine.track("drone", p2)
        sink.until(50)
        engine.track("drone", p3)
        sink.until(100)
    iterations = loop_iterations([(0, p1), (30, p2), (50, p3)], 0, 100, k)
    assert [start for start, _ in iterations] == [0, 22, 44, 55, 77, 99]
    samples = 100 * noisy.ratio
    expected = render_track(noisy, SEED, "drone", iterations, samples)
    np.testing.assert_array_equal(sink.audio, limit(expected))
    gap = slice(19 * noisy.ratio, 22 * noisy.ratio)
    assert np.count_nonzero(sink.audio[:, gap]) == 0


def test_play_once_is_the_offline_render_then_silence(noisy):
    plan = Plan.of(latent(13, 8)).then(Plan.of(latent(5, 9), gain=0.7))
    engine, sink = offline_engine(noisy, k=8)
    with engine:
        engine.play(plan)
        sink.until(30)
        assert all(state == FREE for state in engine.mixer.state)
    expected = render(plan, noisy, seed=track_seed(SEED, "play 1"))
    np.testing.assert_array_equal(sink.audio[:, : expected.shape[1]], expected)
    assert np.count_nonzero(sink.audio[:, expected.shape[1] :]) == 0


@pytest.mark.parametrize("quantum, start", [("beat", 8), ("bar", 32)])
def test_a_second_track_starts_on_the_next_beat_or_bar(noisy, quantum, start):
    k = 8
    a, b = Plan.of(latent(16, 10)), Plan.of(latent(8, 11))
    engine, sink = offline_engine(noisy, k=k, quantum=quantum)
    with engine:
        engine.track("a", a)
        sink.until(3)
        engine.track("b", b)
        sink.until(48)
        assert engine.tracks == ("a", "b")
    n = 48 * noisy.ratio
    expected = render_track(noisy, SEED, "a", loop_iterations([(0, a)], 0, 48, k), n)
    expected += render_track(noisy, SEED, "b", loop_iterations([(0, b)], start, 48, k), n)
    np.testing.assert_array_equal(sink.audio, limit(expected))


def test_tempo_change_takes_over_at_the_next_bar_line(noisy):
    plan = Plan.of(latent(10, 12))
    engine, sink = offline_engine(noisy, k=8)
    with engine:
        engine.track("a", plan)
        sink.until(3)
        engine.set_tempo(5)
        sink.until(20)
        assert engine.k == 8  # booked for the bar line at frame 32
        sink.until(60)
        assert engine.k == 5
    starts = [0, 16, 32, 42, 52]
    expected = render_track(noisy, SEED, "a", [(s, plan) for s in starts], 60 * noisy.ratio)
    np.testing.assert_array_equal(sink.audio, limit(expected))


def test_hush_fades_every_voice_out_at_once(noisy):
    a, b = Plan.of(latent(8, 13)), Plan.of(latent(4, 14))
    engine, sink = offline_engine(noisy, k=4)
    with engine:
        engine.track("a", a)
        engine.track("b", b)
        sink.until(10)
        engine.hush()
        sink.until(16)
        assert engine.tracks == ()
    n, at = 16 * noisy.ratio, 10 * noisy.ratio
    expected = render_track(noisy, SEED, "a", loop_iterations([(0, a)], 0, 16, 4), n, at,
                            engine.ramp)
    expected += render_track(noisy, SEED, "b", loop_iterations([(0, b)], 0, 16, 4), n, at,
                             engine.ramp)
    np.testing.assert_array_equal(sink.audio, limit(expected))
    assert np.count_nonzero(sink.audio[:, at + len(engine.ramp) :]) == 0


def test_a_replaced_track_continues_its_signal_across_the_boundary(tiny):
    """The test model's audio moves by at most 2/128 per sample while its stream is continuous:
    a fresh stream at the swap would jump."""
    k = 8
    a, b = latent(2 * k, 15) * 3, latent(2 * k, 16) * 3
    engine, sink = offline_engine(tiny, k=k)
    with engine:
        engine.track("a", Plan.of(a))
        sink.until(4)
        engine.track("a", Plan.of(b))
        sink.until(4 * k)
    audio = sink.audio[0]
    boundary = 2 * k * tiny.ratio
    around = audio[boundary - 256 : boundary + 256]
    assert np.abs(np.diff(around)).max() <= 2 / 128 + 1e-6
    assert np.abs(audio[boundary:]).max() > 0


def test_first_audio_needs_one_chunk_not_the_whole_pattern(noisy):
    long = Plan.of(latent(60 * 22, 17))  # about 60 seconds
    engine, sink = offline_engine(noisy, k=11)
    with engine:
        engine.track("a", long)
        first = sink.pull(1)
        slot = engine.worker.named["a"].slots[0]
        assert slot.stream.index == 1  # one chunk decoded
    assert np.count_nonzero(first) > 0


def test_stop_in_real_time_fades_within_one_read(noisy):
    """A reader (the audio callback's code) reads 512 samples at a time: after `stop`, at most
    one fade's worth of samples is non-zero (and the master limiter's look-ahead before it)."""
    engine = Engine(noisy, seed=SEED, k=8, ahead_frames=4)
    out = np.zeros((1, 512), dtype=np.float32)
    with engine:
        engine.track("a", Plan.of(latent(8, 18)))
        heard = 0
        for _ in range(100000):
            engine.read_into(out)
            heard += np.count_nonzero(out)
            if heard > 4096:
                break
        assert heard > 4096
        engine.stop("a")
        after = 0
        for _ in range(20):
            engine.read_into(out)
            after += np.count_nonzero(out)
        assert after <= len(engine.ramp) + engine.limiter.lookahead
        assert engine.tracks == ()


def test_bad_input_names_the_track(noisy):
    with Engine(noisy, realtime=False) as engine:
        with pytest.raises(LatentError, match="track 'lead': the pattern has 3 dims but the model"):
            engine.track("lead", Plan.of(np.zeros((4, 3), np.float32)))
        with pytest.raises(LatentError, match="empty"):
            engine.track("lead", Plan.of(np.zeros((0, 8), np.float32)))
        with pytest.raises(LatentError, match="NaN"):
            engine.play(Plan.of(np.full((4, 8), np.nan, np.float32)))
        with pytest.raises(UnravelError, match="no track named 'x'"):
            engine.stop("x")
        with pytest.raises(PatternError, match="must be from 1 to 4096, got 0"):
            engine.set_tempo(0)
        with pytest.raises(PatternError, match="quantum"):
            engine.set_quantum("phrase")
        with pytest.raises(UnravelError, match="realtime=False"):
            FileSink(Engine(noisy))


@pytest.mark.genuine
@pytest.mark.parametrize("batch", [False, None])
def test_a_genuine_rave_export_plays_the_session_like_the_offline_render(genuine_model_dir,
                                                                          batch):
    """One voice at a time, the engine decodes the offline render's chunks: the same samples.
    Batched, it decodes 16-frame chunks on its grid: the same up to float rounding."""
    model = load_model(genuine_model_dir / "v2_streaming.ts")
    k = 4
    bar = 4 * k
    a, b = latent(bar, 1, model.dims), latent(bar, 2, model.dims)
    engine, sink = offline_engine(model, k=k, batch=batch)
    assert engine.decoder.batched is (batch is None)
    with engine:
        engine.track("a", Plan.of(a))
        sink.until(bar)
        engine.track("a", Plan.of(b))
        sink.until(2 * bar)
        engine.stop("a")
        sink.until(2 * bar + 4)
    expected = render(Plan.of(np.concatenate([a, b, b[:4]])), model, seed=track_seed(SEED, "a"))
    fade_out(expected, 2 * bar * model.ratio, engine.ramp)
    if batch is False:
        np.testing.assert_array_equal(sink.audio, limit(expected))
    else:
        assert engine.decoder.chunk_frames > 4  # a genuine export is worth bigger chunks
        np.testing.assert_allclose(sink.audio, expected, rtol=0, atol=BATCH_TOLERANCE)


class FailingAfter:
    """A real model whose streams raise after `chunks` decoded chunks (a model failing live)."""

    def __init__(self, model, chunks: int) -> None:
        self.model, self.chunks = model, chunks

    def __getattr__(self, name):
        return getattr(self.model, name)

    def stream(self, seed=None):
        inner, left = self.model.stream(seed), [self.chunks]

        class Stream:
            def decode(self, chunk):
                left[0] -= 1
                if left[0] < 0:
                    raise RuntimeError("decoder blew up")
                return inner.decode(chunk)

        return Stream()


def test_a_voice_whose_model_fails_is_stopped_and_reported(noisy):
    engine, sink = offline_engine(FailingAfter(noisy, 2), k=4)
    with engine:
        engine.track("a", Plan.of(latent(16, 19)))
        sink.until(16)
        errors = engine.take_errors()
        assert len(errors) == 1 and "track 'a' stopped: decoder blew up" in errors[0]
        engine.track("b", Plan.of(latent(4, 20)))
        later = sink.until(20)
    assert np.count_nonzero(sink.audio[:, : 8 * noisy.ratio]) > 0
    assert np.count_nonzero(sink.audio[:, 8 * noisy.ratio : 16 * noisy.ratio]) == 0
    assert np.count_nonzero(later) > 0


def test_more_tracks_than_stems_are_refused_with_a_message(noisy):
    engine, sink = offline_engine(noisy, k=4, max_voices=2)
    with engine:
        for name in "abc":
            engine.track(name, Plan.of(latent(4, 21)))
        sink.until(4)
        assert engine.take_errors() == ["track 'c' not started: more than 2 tracks and plays "
                                        "at once"]


def test_in_real_time_a_replacement_lands_exactly_on_a_loop_boundary(noisy):
    """A reader takes whatever the worker has made; the pattern is replaced while it plays.
    What the reader got is the offline render of the track with the swap on one of the
    loop boundaries, with no sample lost or added."""
    k, loop = 4, 8
    a, b = Plan.of(latent(loop, 22)), Plan.of(latent(loop, 23))
    total = 6 * loop * noisy.ratio
    out = np.zeros((1, 700), dtype=np.float32)
    given: list[np.ndarray] = []  # every buffer the reader filled
    at: list[int] = []  # where each engine sample went in, in the buffers' stream
    got, sent, stream = 0, False, 0
    with Engine(noisy, seed=SEED, k=k, ahead_frames=4) as engine:
        engine.track("a", a)
        while got < total:
            if not sent and got >= int(1.5 * loop * noisy.ratio):
                engine.track("a", b)
                sent = True
            width = min(700, total - got)
            n = engine.read_into(out[:, :width])  # a short read: silence after its n samples
            given.append(out[:, :width].copy())
            at.extend(range(stream, stream + n))
            stream, got = stream + width, got + n
        late = engine.limiter.lookahead  # the buffers give the sound of `late` samples before
        given.append(np.zeros((1, late), dtype=np.float32))
        engine.read_into(given[-1])
    heard = np.concatenate(given, axis=1)[:, np.array(at) + late]
    matches = []
    for swap in range(loop, 6 * loop, loop):
        iterations = loop_iterations([(0, a), (swap, b)], 0, 6 * loop, k)
        if np.array_equal(heard, render_track(noisy, SEED, "a", iterations, total)):
            matches.append(swap)
    assert len(matches) == 1 and matches[0] >= 2 * loop


def test_frames_for_is_the_language_s_rule(tiny):
    """Bars and beats on the engine's grid count as in a score: a fraction of a frame is
    refused, never rounded."""
    from unravel_lang.tempo import frames_for

    with Engine(tiny, seed=SEED, realtime=False, k=11, beats_per_bar=3) as engine:
        assert engine.frames_for(bars=2, beats=1) == frames_for(11, 2, 1, 3) == 77
        with pytest.raises(PatternError, match="not a whole number"):
            engine.frames_for(beats=0.5)
