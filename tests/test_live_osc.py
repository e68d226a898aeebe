"""OSC out: every latent frame of every sent track, in order, exact float32, with beat and bar
ticks, over a real UDP socket on loopback; remote tracks are not decoded; a refused target
never stops the music."""

from __future__ import annotations

import time

import numpy as np
import pytest
from osc_helpers import Receiver
from rave_testmodels import random_latent as latent

from unravel_lang.engine import Engine, FileSink
from unravel_lang.errors import UnravelError
from unravel_lang.plan import Plan, Voice

pytest.importorskip("pythonosc", reason="python-osc is missing: pip install 'unravel-lang[osc]'")

from unravel_lang.addresses import parse_target  # noqa: E402
from unravel_lang.live.osc import OscOut  # noqa: E402


@pytest.fixture
def rx():
    receiver = Receiver()
    yield receiver
    receiver.close()


def drain(out: OscOut, rx: Receiver, count: int) -> None:
    assert rx.until(lambda got: len(got) >= count, 10), (len(rx.got), count)
    rx.pump(0.1)


def test_every_frame_in_order_exact_with_ticks(tiny, rx):
    """Two tracks, one of two layered voices, on a grid of k=4, 4 beats a bar: 32 frames of
    each voice arrive in frame order with the exact float32 values of their loops, each beat
    tick before the frames of its beat, bar ticks every 16 frames."""
    a, b, c = latent(8, 1), latent(4, 2), latent(2, 3)
    engine = Engine(tiny, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        out = OscOut(engine, rx.target, record=True)
        engine.track("a", Plan.of(a))
        engine.track("b", Plan([Voice(b, 0), Voice(c, 1)]))
        sink.until(32)
        assert out.flush()
        drain(out, rx, len(out.log))
        out.close()
        assert engine.take_errors() == [] and out.take_errors() == []
    np.testing.assert_array_equal(rx.frames("/unravel/a"), np.tile(a, (4, 1)))
    np.testing.assert_array_equal(rx.frames("/unravel/b"), np.tile(b, (8, 1)))
    # voice 1 sounds frames 1-2 of every 4-frame pass, silent (not sent) otherwise
    np.testing.assert_array_equal(rx.frames("/unravel/b/1"), np.tile(c, (8, 1)))
    addresses = [a for a, _, _ in rx.got]
    assert addresses[:3] == ["/unravel/bar", "/unravel/beat", "/unravel/a"]
    beats = [args[0] for a, args, _ in rx.got if a == "/unravel/beat"]
    bars = [args[0] for a, args, _ in rx.got if a == "/unravel/bar"]
    assert beats == [1, 2, 3, 4] * 2 and bars == [1, 2]
    frames = [s.frame for s in out.log]
    assert frames == sorted(frames)  # sent in time order across tracks
    # between two beat ticks come the 4 frames of a and of b of that beat
    ticks = [i for i, name in enumerate(addresses) if name == "/unravel/beat"]
    for i, j in zip(ticks, ticks[1:], strict=False):
        between = addresses[i + 1 : j]
        assert between.count("/unravel/a") == 4 and between.count("/unravel/b") == 4


def test_remote_tracks_are_sent_but_not_decoded(tiny, rx):
    """A track decoded remotely adds no audio here (the mix equals the local track alone) and
    its frames are still sent; local-only tracks are decoded and not sent."""
    a, b = latent(8, 4), latent(8, 5)

    def render(remote: bool):
        engine = Engine(tiny, k=4, realtime=False)
        sink = FileSink(engine)
        with engine:
            out = OscOut(engine, rx.target, record=True,
                         wanted=lambda name: name == "b")  # a is local only
            if remote:
                engine.set_decode("b", "remote")
            engine.track("a", Plan.of(a))
            engine.track("b", Plan.of(b))
            sink.until(16)
            assert out.flush()
            out.close()
            return sink.audio, [s.address for s in out.log], [s.values for s in out.log
                                                             if s.address == "/unravel/b"]

    mixed, _, _ = render(remote=False)
    heard, addresses, values = render(remote=True)
    engine = Engine(tiny, k=4, realtime=False)
    sink = FileSink(engine)
    with engine:
        engine.track("a", Plan.of(a))
        sink.until(16)
    alone = sink.audio
    np.testing.assert_array_equal(heard, alone)
    assert not np.array_equal(mixed, alone)
    assert "/unravel/a" not in addresses
    np.testing.assert_array_equal(np.asarray(values, np.float32), np.tile(b, (2, 1)))


def test_a_refused_target_is_reported_and_the_music_goes_on(tiny):
    """Nothing listens on the port: sends are refused, reported once, and the engine renders
    exactly what it renders without OSC."""
    probe = Receiver()
    port = probe.port
    probe.close()  # now nothing listens there
    a = latent(8, 6)

    def render(with_osc: bool):
        engine = Engine(tiny, k=4, realtime=False)
        sink = FileSink(engine)
        with engine:
            out = OscOut(engine, f"127.0.0.1:{port}") if with_osc else None
            engine.track("a", Plan.of(a))
            for stop in range(4, 33, 4):
                sink.until(stop)
                time.sleep(0.02)
            errors = []
            if out is not None:
                time.sleep(0.2)
                errors = out.take_errors()
                assert out.refused > 0
                out.close()
            return sink.audio, errors, engine.take_errors()

    heard, errors, engine_errors = render(True)
    clean, _, _ = render(False)
    np.testing.assert_array_equal(heard, clean)
    assert engine_errors == []
    assert len(errors) == 1 and "refused" in errors[0] and f"127.0.0.1:{port}" in errors[0]


def test_due_times_follow_the_sample_clock_minus_the_lead(tiny, rx):
    """With a real-time reader (the system-clock one), each message's due time is when its
    frame's first sample is heard minus the lead, and nothing leaves before it is due."""
    from unravel_lang.live.silent import SilentOutput

    a = latent(4, 7)
    engine = Engine(tiny, k=4)
    with engine, SilentOutput(engine):
        out = OscOut(engine, rx.target, lead_ms=30, record=True)
        engine.track("a", Plan.of(a))
        assert rx.until(lambda got: len(got) >= 12, 10)
        before = engine.time_of(100 * engine.ratio)
        due = out.due(100)
        after = engine.time_of(100 * engine.ratio)  # the reader may mark in between
        assert due + 0.030 == pytest.approx(before, abs=1e-9) or \
            due + 0.030 == pytest.approx(after, abs=1e-9)
        out.close()
        log = list(out.log)
    assert log and all(s.due is not None and s.at >= s.due for s in log)
    frames = [s.frame for s in log if s.address == "/unravel/a"]
    assert frames == sorted(frames)


@pytest.mark.parametrize("text, why", [
    ("9000", "host:port"), ("127.0.0.1:0", "1 to 65535"), ("127.0.0.1:x", "1 to 65535"),
    ("bad host!:9000", "not a host name"),
])
def test_targets_are_checked(text, why):
    with pytest.raises(ValueError, match=why):
        parse_target(text)
    assert parse_target(":9000") == ("127.0.0.1", 9000)


def test_a_bad_target_is_an_unravel_error(tiny):
    engine = Engine(tiny, k=4, realtime=False)
    with engine, pytest.raises(UnravelError, match="host:port"):
        OscOut(engine, "nowhere")


def test_without_a_sound_card_osc_starts_an_engine_paced_by_the_clock(tiny, rx):
    """A stage without playback: `osc` starts the engine on the system clock, replays the
    booked tracks and decode modes, and the frames of the remote track arrive."""
    from unravel_lang.live.stage import Stage

    a = latent(4, 8)
    stage = Stage(None, k=4, model=tiny)
    stage.set_decode("a", "remote")
    stage.track("a", Plan.of(a))
    stage.set_osc(rx.target)
    try:
        assert stage.sounding and stage.osc.target == rx.target
        assert rx.until(lambda got: len(rx.frames("/unravel/a")) >= 8)
        np.testing.assert_array_equal(rx.frames("/unravel/a")[:8], np.tile(a, (2, 1)))
        assert stage.performer.engine.worker.remote == {"a"}
    finally:
        stage.set_osc(None)
        stage.performer.close()
