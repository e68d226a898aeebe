"""The engine's tempo grid: beats, bars, booked tempo changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unravel_lang.engine.clock import Clock, ceil_to
from unravel_lang.errors import PatternError
from unravel_lang.tempo import check_quantum

frames = st.integers(min_value=0, max_value=100_000)
ks = st.integers(min_value=1, max_value=64)


@given(frames, frames, ks)
def test_ceil_to_is_the_first_grid_point_at_or_after(frame, origin, step):
    at = ceil_to(frame, origin, step)
    assert at >= frame and at >= origin
    assert (at - origin) % step == 0
    assert at == origin or at - step < frame


@given(frames, ks, st.integers(min_value=1, max_value=8), frames)
def test_beats_and_bars_lie_on_the_grid(origin, k, beats, frame):
    clock = Clock(k, beats, origin)
    beat, bar = clock.beat_ceil(frame), clock.bar_ceil(frame)
    assert (beat - origin) % k == 0 and (bar - origin) % (k * beats) == 0
    assert frame <= beat <= bar or bar == origin
    assert clock.quantum_ceil(frame, "beat") == beat
    assert clock.quantum_ceil(frame, "bar") == bar


@given(ks, ks, frames, frames)
def test_a_booked_tempo_takes_over_at_the_next_bar_line(k, new_k, now, probe):
    clock = Clock(k, 4)
    at = clock.schedule(new_k, now)
    assert at >= now and at % (4 * k) == 0 and at - 4 * k < max(now, 1)
    if probe >= at:
        assert (clock.beat_ceil(probe) - at) % new_k == 0
    else:
        assert clock.beat_ceil(probe) <= at
        assert clock.beat_ceil(probe) % k == 0
    clock.advance(at - 1)
    assert clock.k == k or at == 0
    clock.advance(at)
    assert (clock.k, clock.origin, clock.pending) == (new_k, at, None)


def test_restart_moves_the_downbeat_and_keeps_a_booked_tempo():
    clock = Clock(8)
    clock.schedule(6, 5)
    clock.restart(13)
    assert (clock.origin, clock.k, clock.pending) == (13, 6, None)
    assert clock.bars(13 + 12) == 0.5


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_tempo_must_be_a_whole_number_in_range(bad):
    with pytest.raises(PatternError, match="k .frames per beat. must be (a whole number|from 1)"):
        Clock(bad)


def test_quantum_is_beat_or_bar():
    assert check_quantum("bar") == "bar"
    with pytest.raises(PatternError, match="'beat' or 'bar'"):
        check_quantum("half")
