"""The output paced by the system clock (`live/paced.py`), reading the real engine."""

from __future__ import annotations

import time

import numpy as np

from unravel_lang.engine import Engine
from unravel_lang.live.paced import STALL, PacedOutput
from unravel_lang.plan import Plan


class Clock:
    """A sample clock that records each mark `(sample, when, made)` and passes it on."""

    def __init__(self, inner) -> None:
        self.inner, self.marks = inner, []

    def mark(self, sample: int, when: float) -> None:
        self.marks.append((sample, when, time.monotonic()))
        self.inner.mark(sample, when)


class Reader:
    """The engine as a reader with a recording clock; its `stall_at`-th read blocks the
    thread for `seconds` (a machine that stops for a while)."""

    def __init__(self, engine, stall_at: int = 0, seconds: float = 0.0) -> None:
        self.engine, self.stall_at, self.seconds = engine, stall_at, seconds
        self.sr, self.channels = engine.sr, engine.channels
        self.sample_clock = Clock(engine.sample_clock)
        self.reads = 0

    @property
    def playhead(self) -> int:
        return self.engine.playhead

    def read_into(self, out: np.ndarray) -> int:
        self.reads += 1
        if self.reads == self.stall_at:
            time.sleep(self.seconds)
        return self.engine.read_into(out)


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the output stopped reading"
        time.sleep(0.02)


def heard(out: PacedOutput, marks) -> np.ndarray:
    """The output sample each mark says is heard (whole blocks on an exact clock)."""
    return np.array([(when - out.t0) * out.sr for _, when, _ in marks])


def test_reads_in_real_time_on_the_exact_clock(tiny):
    engine = Engine(tiny, k=4)
    reader = Reader(engine)
    out = PacedOutput(reader, lead=0.05, keep_seconds=2)
    assert out.latency == 0.05
    with engine:
        engine.track("a", Plan.of(np.full((4, tiny.dims), 2.0, np.float32)))
        with out:
            wait_for(lambda: out.samples >= tiny.sr // 2)
    marks = reader.sample_clock.marks
    assert len(marks) == reader.reads == out.samples // out.block and out.underflows == 0
    np.testing.assert_allclose(heard(out, marks), np.arange(len(marks)) * out.block, atol=1e-3)
    assert all(made >= when - out.lead - 1e-3 for _, when, made in marks)  # never early
    assert [sample for sample, _, _ in marks] == sorted(sample for sample, _, _ in marks)
    assert out.audio.shape == (engine.channels, out.samples)
    assert np.abs(out.audio).max() > 0  # keeps what it read


def test_keeps_only_the_first_seconds_and_reads_on(tiny):
    engine = Engine(tiny, k=4)
    out = PacedOutput(engine, block=256, keep_seconds=0.1)
    with engine, out:
        wait_for(lambda: out.samples >= tiny.sr // 5)
    kept = int(0.1 * tiny.sr) // 256 * 256
    assert out.audio.shape == (engine.channels, kept) and out.samples > kept


def test_after_a_stall_it_skips_ahead_as_silence_and_the_clock_stays_exact(tiny):
    engine = Engine(tiny, k=4)
    reader = Reader(engine, stall_at=20, seconds=STALL + 0.4)
    out = PacedOutput(reader, keep_seconds=5)
    with engine:
        engine.track("a", Plan.of(np.full((4, tiny.dims), 2.0, np.float32)))
        with out:
            wait_for(lambda: reader.reads > 40)
    assert out.underflows == 1
    at = heard(out, reader.sample_clock.marks)
    np.testing.assert_allclose(at, np.round(at / out.block) * out.block, atol=1e-3)
    steps = np.round(np.diff(at) / out.block).astype(int)
    assert set(steps[:19]) == {1} and set(steps[20:]) == {1}
    skipped = (steps[19] - 1) * out.block  # heard as silence, never read from the engine
    assert STALL * tiny.sr - out.block <= skipped <= (STALL + 0.5) * tiny.sr
    gap = out.audio[:, 20 * out.block : 20 * out.block + skipped]
    assert not np.any(gap) and np.any(out.audio[:, 20 * out.block + skipped :])
    assert out.samples == (len(at) + steps[19] - 1) * out.block


def test_the_reader_can_be_replaced_while_it_runs(tiny):
    engine = Engine(tiny, k=4)
    first, second = Reader(engine), Reader(engine)
    out = PacedOutput(first)
    with engine, out:
        wait_for(lambda: first.reads > 0)
        out.engine = second
        wait_for(lambda: second.reads > 0)
        before = first.reads
        time.sleep(0.1)
        assert first.reads == before and second.reads > 1
