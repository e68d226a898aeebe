"""Frame listeners see exactly the latent frames each voice sounds; the sample clock maps
engine samples to the time they are heard."""

from __future__ import annotations

import numpy as np
import pytest
from rave_testmodels import random_latent as latent

from unravel_lang.engine import Engine, FileSink, FrameBlock, SampleClock
from unravel_lang.plan import Plan, Voice


def frames_heard(blocks: list[FrameBlock], track: str, voice: int, frames: int, dims: int):
    """The listener's rows of one voice laid on the engine's timeline (NaN where none came)."""
    out = np.full((frames, dims), np.nan, np.float32)
    for b in blocks:
        if b.track == track and b.voice == voice and b.first < frames:
            n = min(len(b.latent), frames - b.first)
            out[b.first : b.first + n] = b.latent[:n]
    return out


@pytest.mark.parametrize("which", ["tiny", "rows"])
def test_listener_sees_each_voice_frame_by_frame(which, request):
    """Two layered voices of different lengths loop on a beat grid of k=4: the listener gets
    voice 0's frames, voice 1's frames (NaN after it ends in each pass), in order, and a
    replaced plan from the loop boundary on; voice by voice or batched (`rows`)."""
    tiny = request.getfixturevalue(which)
    a, b, c = latent(8, 1), latent(3, 2), latent(8, 3)
    blocks: list[FrameBlock] = []
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.add_listener(blocks.append)
        engine.track("t", Plan([Voice(a, 0), Voice(b, 0)]))
        sink.until(12)
        engine.track("t", Plan.of(c))  # takes over at the next pass, frame 16
        sink.until(32)
        assert engine.take_errors() == []
        assert engine.decoder.batched is (which == "rows")
    firsts = [b.first for b in blocks if b.voice == 0]
    assert firsts == sorted(firsts)
    v0 = frames_heard(blocks, "t", 0, 32, tiny.dims)
    np.testing.assert_array_equal(v0, np.concatenate([a, a, c, c]))
    v1 = frames_heard(blocks, "t", 1, 16, tiny.dims)
    assert np.isnan(v1[3:8]).all() and np.isnan(v1[11:16]).all()
    np.testing.assert_array_equal(v1[0:3], b)
    np.testing.assert_array_equal(v1[8:11], b)


def test_a_failing_listener_is_removed_and_the_sound_is_unchanged(tiny):
    a = latent(8, 4)

    def broken(block: FrameBlock) -> None:
        raise RuntimeError("listener broke")

    def render(with_listener: bool) -> tuple[np.ndarray, list[str]]:
        engine = Engine(tiny, seed=1, k=4, realtime=False)
        sink = FileSink(engine)
        with engine:
            if with_listener:
                engine.add_listener(broken)
            engine.track("t", Plan.of(a))
            sink.until(24)
            errors = engine.take_errors()
            assert broken not in engine.worker.listeners
        return sink.audio, errors

    heard, errors = render(True)
    clean, none = render(False)
    assert none == [] and len(errors) == 1 and "listener broke" in errors[0]
    np.testing.assert_array_equal(heard, clean)


def test_sample_clock_extrapolates_from_the_latest_mark():
    clock = SampleClock(48000)
    assert clock.time_of(0) is None and clock.sample_at(1.0) is None
    clock.mark(96000, when=10.0)
    assert clock.time_of(96000 + 24000) == 10.5
    assert clock.sample_at(9.0) == 48000


def test_mix_listeners_see_the_mixed_output_ahead_of_the_reader(tiny):
    """Two tracks, no stop: the mix blocks, in order, are exactly what the sink reads; the
    last ones wait for the master limiter's look-ahead."""
    blocks: list[tuple[int, np.ndarray]] = []
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.add_mix_listener(lambda sample, audio: blocks.append((sample, audio.copy())))
        engine.track("a", Plan.of(latent(8, 5)))
        engine.track("b", Plan.of(latent(6, 6)))
        sink.until(20)
        engine.remove_mix_listener(engine.worker.mix_listeners[0])
        sink.until(24)
        assert engine.take_errors() == []
    assert [s for s, _ in blocks] == sorted(s for s, _ in blocks) and blocks[0][0] == 0
    mixed = np.concatenate([a for _, a in blocks], axis=1)
    assert mixed.shape[1] == 20 * tiny.ratio - engine.limiter.lookahead
    np.testing.assert_array_equal(mixed, sink.audio[:, : mixed.shape[1]])


def test_a_stopped_track_tells_no_more_frames(tiny):
    blocks: list[FrameBlock] = []
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.add_listener(blocks.append)
        engine.track("t", Plan.of(latent(8, 7)))
        sink.until(10)
        engine.stop("t")
        sink.until(20)
    assert max(b.first + len(b.latent) for b in blocks) == 10
