"""The beat retimer: the live engine's beats placed on a session timeline, sample by sample.

These drive the real engine (real time off the clock: each buffer is read once the engine's
ring is full) through a `BeatRetimer` whose output sample o is heard at second o / sr, against
a given session timeline; `test_live_link.py` does the same against a real Link peer.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from linkpeer import onset_errors, onsets

from unravel_lang.engine import Engine
from unravel_lang.live.retime import LOCKED, BeatRetimer
from unravel_lang.live.timeline import Timeline, nearest_k
from unravel_lang.plan import Plan

SR, RATIO = 44100, 2048
HIT = np.full((1, 8), 3.0, np.float32)  # one loud frame: an onset after silence on every beat


def drive(retimer: BeatRetimer, seconds: float, timelines, block: int = 512) -> np.ndarray:
    """Read `seconds` more output; output sample o is heard at second o / sr, when the
    session's timeline is `timelines(o / sr)`."""
    engine = retimer.engine
    ring, ahead = engine.mixer.ring, engine.worker.ahead
    current = {"line": timelines(0.0)}
    retimer.timeline = lambda: current["line"]
    out = np.zeros((engine.channels, int(seconds * SR) // block * block), np.float32)
    for at in range(0, out.shape[1], block):
        deadline = time.monotonic() + 10
        while (ring.filled + RATIO <= ahead and engine.worker.active
               and time.monotonic() < deadline):
            time.sleep(0.0005)
        now = retimer.playhead / SR
        current["line"] = timelines(now)
        retimer.sample_clock.mark(retimer.playhead, now)
        retimer.read_into(out[:, at : at + block])
    return out


def beat_onset_errors(audio, line: Timeline, first: float, last: float) -> np.ndarray:
    """Signed errors in samples of the onsets heard at session beats [first, last)."""
    expected = np.array([line.time_at(b) * SR for b in np.arange(first, last)])
    return onset_errors(onsets(audio, 1500), expected, 0.03 * SR)


@pytest.mark.parametrize("tempo", [90.0, 123.0, 170.0])
def test_beats_land_on_the_session_beats(tiny, tempo):
    k = nearest_k(tempo, SR / RATIO)
    line = Timeline(0.0, 1.3, tempo)  # the session is at beat 1.3 when the output begins
    with Engine(tiny, k=k) as engine:
        retimer = BeatRetimer(engine, lambda: None)
        engine.track("hit", Plan.of(HIT))
        engine.settle()
        audio = drive(retimer, line.time_at(10.5), lambda t: line)  # to beat 10.5
        assert retimer.state == LOCKED and retimer.underruns == 0
    # silence until the session's next bar line (beat 4), then one onset per beat on the beat
    assert not np.any(audio[:, : int(line.time_at(4.0) * SR) - 1])
    errors = beat_onset_errors(audio, line, 4, 11)
    assert len(errors) == 7 and not np.any(np.isnan(errors))
    assert np.max(np.abs(errors)) <= 1.0  # to the sample
    assert len(onsets(audio, 1500)) == 7


def test_a_tempo_set_in_the_engine_lands_on_a_session_bar_line(tiny):
    # the session's first bar line comes just after the output begins (the master
    # limiter's look-ahead later: in time for it)
    line = Timeline(0.0, -0.1, 117.45)
    with Engine(tiny, k=11) as engine:
        retimer = BeatRetimer(engine, lambda: None)
        engine.track("hit", Plan.of(HIT))
        engine.settle()
        audio = drive(retimer, 2.5, lambda t: line)
        engine.set_tempo(8)  # the engine's next bar line; the session keeps its tempo
        audio = np.concatenate([audio, drive(retimer, 2.5, lambda t: line)], axis=1)
        segs = retimer.segs
    assert segs[0][2] == 11 and segs[-1][2] == 8
    assert segs[-1][0] % 4 == 0  # the new grid begins on a session bar line
    errors = beat_onset_errors(audio, line, 0, line.beat_at(5.0) - 1)
    assert not np.any(np.isnan(errors)) and np.max(np.abs(errors)) <= 1.0


def test_a_session_tempo_change_keeps_the_beats_and_never_clicks(tiny):
    """The session jumps from 123 to 150 BPM mid-bar; onsets follow at once, and a steady
    sound (noise latents, no silence) spliced at every beat has no step larger than the
    engine's own plus what a 5 ms crossfade between two full-scale signals allows."""
    before = Timeline(0.0, 0.0, 123.0)
    change = 2.2
    after = Timeline(change, before.beat_at(change), 150.0)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (11 * 4, 8)).astype(np.float32)
    with Engine(tiny, k=11) as engine:
        retimer = BeatRetimer(engine, lambda: None)
        engine.track("hit", Plan.of(HIT))
        engine.track("pad", Plan.of(noise))
        engine.settle()
        audio = drive(retimer, 4.5, lambda t: before if t < change else after)
    steps = np.abs(np.diff(audio[0]))
    with Engine(tiny, k=11, realtime=False) as plain:
        from unravel_lang.engine import FileSink

        plain.track("hit", Plan.of(HIT))
        plain.track("pad", Plan.of(noise))
        native = FileSink(plain).pull(80)
    native_steps = np.abs(np.diff(native[0]))
    bound = native_steps.max() + 2 * np.abs(native).max() / retimer.xfade
    assert steps.max() <= bound


def test_mute_fades_out_and_back_in(tiny):
    line = Timeline(0.0, 3.9, 120.0)
    noise = np.random.default_rng(1).normal(0, 1, (40, 8)).astype(np.float32)
    with Engine(tiny, k=11) as engine:
        retimer = BeatRetimer(engine, lambda: None)
        engine.track("pad", Plan.of(noise))
        engine.settle()
        loud = drive(retimer, 1.0, lambda t: line)
        retimer.mute(True)
        muted = drive(retimer, 0.5, lambda t: line)
        retimer.mute(False)
        back = drive(retimer, 0.5, lambda t: line)
    assert np.abs(loud[:, -SR // 4 :]).max() > 0.01
    late = engine.limiter.lookahead  # the master limiter gives the sound that much later
    assert not np.any(muted[:, 512 + late :]) and np.abs(muted[:, :512]).max() > 0
    assert np.abs(back[:, 512:]).max() > 0.01


def test_without_a_session_the_engine_plays_as_it_is(tiny):
    noise = np.random.default_rng(2).normal(0, 1, (22, 8)).astype(np.float32)
    with Engine(tiny, k=11) as engine:
        retimer = BeatRetimer(engine, lambda: None)
        engine.track("pad", Plan.of(noise))
        engine.settle()
        heard = drive(retimer, 1.0, lambda t: None)
    with Engine(tiny, k=11, realtime=False) as plain:
        from unravel_lang.engine import FileSink

        plain.track("pad", Plan.of(noise))
        native = FileSink(plain).pull(heard.shape[1] // RATIO + 1)
    late = plain.limiter.lookahead  # the master limiter gives the sound that much later
    assert not heard[:, :late].any()
    assert np.array_equal(heard[:, late:], native[:, : heard.shape[1] - late])


class Ramp:
    """An extra engine source (as the live input's monitor): a ramp, one step per sample."""

    def __init__(self) -> None:
        self.pos = 0

    def add_into(self, out: np.ndarray, when) -> None:
        n = out.shape[1]
        out += (np.arange(self.pos, self.pos + n) * 1e-6).astype(np.float32)
        self.pos += n


def test_extra_sources_are_heard_in_real_time_not_spliced(tiny):
    line = Timeline(0.0, 0.0, 123.0)  # every beat of the engine's grid is spliced
    ramp = Ramp()
    with Engine(tiny, k=11) as engine:
        engine.add_source(ramp)
        retimer = BeatRetimer(engine, lambda: None)
        heard = drive(retimer, 2.0, lambda t: line)
    expected = (np.arange(heard.shape[1]) * 1e-6).astype(np.float32)
    late = engine.limiter.lookahead  # the master limiter gives the sound that much later
    assert np.array_equal(heard[0, late:], expected[:-late]) and not heard[0, :late].any()
