"""Batched decoding: every sounding voice of a model that batches is decoded in one call per
chunk, and each voice sounds as it would alone."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from rave_testmodels import random_latent as latent

from unravel_lang.engine import Engine, FileSink
from unravel_lang.engine.decoding import VoiceDecoder
from unravel_lang.engine.limiter import limit
from unravel_lang.engine.score import ScoreRender
from unravel_lang.engine.timeline import loop_iterations, render_track
from unravel_lang.model import BATCH_TOLERANCE, load_model
from unravel_lang.plan import Plan, Voice

SEED = 7


def max_diff_batched_vs_alone(model, voices: int = 5) -> float:
    """Streams with different histories decode a chunk batched and alone; the largest gap."""
    zs = [latent(24, 100 + v) for v in range(voices)]
    alone = [model.stream(seed=v) for v in range(voices)]
    batched = [model.stream(seed=v) for v in range(voices)]
    for v in range(voices):  # voice v has v chunks of history of its own
        for j in range(v):
            alone[v].decode(zs[v][4 * j : 4 * j + 4])
            batched[v].decode(zs[v][4 * j : 4 * j + 4])
    want = [s.decode(z[16:23]) for s, z in zip(alone, zs, strict=True)]
    got = model.decode_batch(batched, [z[16:23] for z in zs])
    return max(float(np.abs(a - b).max()) for a, b in zip(want, got, strict=True))


def test_a_batched_voice_equals_the_voice_decoded_alone(rows):
    support = rows.batch_support()
    assert support.rows == 16 and support.reason is None
    assert rows.noise_dims == 8  # variational: the noise is given, per voice
    assert max_diff_batched_vs_alone(rows) <= BATCH_TOLERANCE


@pytest.mark.genuine
def test_a_genuine_v2_export_batches_its_voices_within_tolerance(genuine_model_dir):
    model = load_model(genuine_model_dir / "v2_streaming.ts")
    assert model.batch_support().rows == 64
    diff = max_diff_batched_vs_alone(model)
    print(f"v2_streaming: batched vs alone, max |difference| = {diff:.3g}")
    assert diff <= BATCH_TOLERANCE


def session(model, parts: set[str]) -> tuple[np.ndarray, Engine]:
    """A file-rendered session of the tracks in `parts`, at the same frames whatever the
    subset: a (two voices) from 0; b from 5, replaced at 41; c from 20, stopped at 40; d
    from 50. Quiet gains keep the mix under the limiter's threshold."""
    k = 8
    plans = {
        "a": Plan.of(latent(13, 1), gain=0.2).layer(Plan((Voice(latent(6, 2), 3, 0.1),))),
        "b": Plan.of(latent(16, 3), gain=0.2), "b2": Plan.of(latent(11, 4), gain=0.2),
        "c": Plan.of(latent(9, 5), gain=0.2), "d": Plan.of(latent(21, 6), gain=0.2),
    }
    engine = Engine(model, seed=SEED, k=k, realtime=False)
    sink = FileSink(engine)
    # a silent track fixes the grid so that every subset starts its tracks on the same beats
    engine.track("grid", Plan.of(np.zeros((8, model.dims), np.float32), gain=0.0))
    for frame, op, name in [(0, "track", "a"), (5, "track", "b"), (20, "track", "c"),
                            (40, "stop", "c"), (41, "track", "b2"), (50, "track", "d")]:
        sink.until(frame)
        if name[0] in parts:
            if op == "stop":
                engine.stop(name)
            else:
                engine.track(name[0], plans[name])
    sink.until(96)
    engine.close()
    return sink.audio, engine


def test_a_voice_does_not_change_when_others_start_stop_or_are_replaced(rows):
    everyone, engine = session(rows, {"a", "b", "c", "d"})
    others, _ = session(rows, {"b", "c", "d"})
    alone, _ = session(rows, {"a"})
    assert engine.decoder.batched and engine.decoder.calls < engine.decoder.decoded
    assert np.abs(everyone).max() < 0.8  # below the limiter: the mix is the plain sum
    np.testing.assert_allclose(everyone - others, alone, rtol=0, atol=BATCH_TOLERANCE)
    assert np.abs(alone).max() > 0.01


def test_every_batched_voice_equals_its_offline_decode(rows):
    """The batched engine against each track decoded alone, offline, in 4-frame chunks."""
    k = 8
    a = Plan.of(latent(16, 10)).layer(Plan.of(latent(12, 11), gain=0.5))
    b = Plan.of(latent(8, 12))
    engine = Engine(rows, seed=SEED, k=k, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.track("a", a)
        sink.until(3)
        engine.track("b", b)
        sink.until(64)
    n = 64 * rows.ratio
    expected = render_track(rows, SEED, "a", loop_iterations([(0, a)], 0, 64, k), n)
    expected += render_track(rows, SEED, "b", loop_iterations([(0, b)], 8, 64, k), n)
    np.testing.assert_allclose(sink.audio, limit(expected), rtol=0, atol=BATCH_TOLERANCE)


def test_the_same_score_renders_the_same_bytes_every_time(rows):
    def once() -> bytes:
        with ScoreRender(rows, seed=3, k=8) as score:
            score.track("a", Plan.of(latent(20, 20)).layer(Plan.of(latent(9, 21))))
            score.wait(6)
            score.track("b", Plan.of(latent(12, 22)))
            score.wait(30)
            score.play(Plan.of(latent(7, 23)))
            score.stop("a")
            return score.finish().tobytes()

    assert once() == once()


def test_a_model_that_cannot_batch_decodes_one_voice_at_a_time_and_says_so_once(tiny):
    engine = Engine(tiny, seed=SEED, k=8)
    assert not engine.decoder.batched and engine.decoder.chunk_frames == 4
    out = np.zeros((1, 512), np.float32)
    try:
        engine.track("a", Plan.of(latent(8, 30)).layer(Plan.of(latent(8, 31))))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            engine.read_into(out)
            time.sleep(0.005)
        notes = engine.take_notes()
    finally:
        engine.close()
    assert notes == ["tiny.ts decodes its voices one at a time: its caches hold one voice"]
    assert engine.take_errors() == []


def test_a_non_streaming_export_is_not_batched(batch_model_path):
    decoder = VoiceDecoder(load_model(batch_model_path))
    assert not decoder.batched and not decoder.aligned
    assert decoder.note == "batch.ts decodes its voices one at a time: it is not a streaming export"


class Slowed:
    """A real model whose streams take `factor` times the duration of what they decode (the
    machine busier than the voices allow)."""

    def __init__(self, model, factor: float) -> None:
        self.model, self.factor = model, factor

    def __getattr__(self, name):
        return getattr(self.model, name)

    def stream(self, seed=None):
        return SlowedStream(self, self.model.stream(seed))


class SlowedStream:
    def __init__(self, owner: Slowed, stream) -> None:
        self.owner, self.stream = owner, stream

    def decode(self, chunk: np.ndarray) -> np.ndarray:
        m = self.owner.model
        time.sleep(self.owner.factor * chunk.shape[0] * m.ratio / m.sr)
        return self.stream.decode(chunk)


def test_falling_behind_is_said_before_the_ring_runs_dry(tiny):
    """Playing at real time, the decoder gets slower than the sound: the status says so and a
    note comes while the ring still holds audio (no underrun yet)."""
    model = Slowed(tiny, 0.3)
    engine = Engine(model, seed=SEED, k=8)
    out = np.zeros((1, 256), np.float32)
    seen: dict[str, object] = {}
    stop = threading.Event()

    def reader() -> None:  # an audio callback: one buffer every buffer's duration
        period, due = out.shape[1] / model.sr, time.perf_counter()
        while not stop.is_set():
            engine.read_into(out)
            if "note" not in seen:
                notes = [n for n in engine.take_notes() if n.startswith("falling behind")]
                if notes:
                    seen.update(note=notes[0], underruns=engine.underruns,
                                status=engine.status(), filled=engine.mixer.ring.filled)
            due += period
            time.sleep(max(0.0, due - time.perf_counter()))

    thread = threading.Thread(target=reader)
    try:
        engine.track("a", Plan.of(latent(16, 40)))
        thread.start()
        time.sleep(1.0)
        assert "note" not in seen and not engine.status().behind  # it keeps up at 0.3
        assert engine.underruns == 0
        model.factor = 1.6
        deadline = time.monotonic() + 4.0
        while "note" not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()
        engine.close()
    assert "note" in seen, "no falling-behind note"
    assert seen["underruns"] == 0 and seen["filled"] > 0
    assert seen["status"].behind
    assert "voice of tiny.ts take" in seen["note"]


def test_chunk_lines_lie_on_the_tempo_grid(rows):
    from unravel_lang.engine.clock import Clock

    decoder = VoiceDecoder(rows, chunk_frames=16)
    assert [decoder.next_line(f) for f in (0, 15, 16)] == [16, 16, 32]  # no clock: every 16
    decoder.clock = Clock(11, origin=3)
    assert [decoder.next_line(f) for f in (3, 13, 14, 25)] == [14, 14, 25, 36]  # every beat
    decoder.clock = Clock(4)
    assert [decoder.next_line(f) for f in (0, 5, 16)] == [16, 16, 32]  # every 4 beats
    decoder.clock = Clock(20)
    assert [decoder.next_line(f) for f in (0, 16, 20, 39)] == [16, 20, 36, 40]
    decoder.clock = Clock(4)
    decoder.clock.schedule(11, 1)  # from the bar line at 16, k = 11
    assert [decoder.next_line(f) for f in (0, 16, 26)] == [16, 27, 27]
