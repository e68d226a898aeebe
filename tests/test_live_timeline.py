"""The pure maths of playing on a Link session's beat."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unravel_lang.live.timeline import Timeline, nearest_k, next_bar, splice

RATE = 44100 / 2048


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(20, 400), st.floats(-50, 50))
def test_beat_at_and_time_at_are_inverse(time, beat, tempo, dt):
    line = Timeline(time, beat, tempo)
    b = line.beat_at(time + dt)
    assert b == pytest.approx(beat + dt * tempo / 60, abs=1e-6)
    assert line.time_at(b) == pytest.approx(time + dt, abs=1e-6)


def test_nearest_k_at_the_usual_tempi():
    assert nearest_k(123, RATE) == 11  # 117.45 is nearer than 129.20
    assert nearest_k(117.45, RATE) == 11
    assert nearest_k(170, RATE) == 8  # 161.49 is nearer than 184.57
    assert nearest_k(90, RATE) == 14
    with pytest.raises(ValueError):
        nearest_k(0, RATE)


@given(st.floats(10, 1000))
def test_nearest_k_is_nearest(tempo):
    k = nearest_k(tempo, RATE)
    error = abs(60 * RATE / k - tempo)
    for other in (k - 1, k + 1):
        if other >= 1:
            assert error <= abs(60 * RATE / other - tempo) + 1e-9


@given(st.floats(-1e4, 1e4), st.integers(1, 16))
def test_next_bar_is_the_first_bar_line_at_or_after(beat, quantum):
    bar = next_bar(beat, quantum)
    assert bar % quantum == 0
    assert bar >= beat - 1e-6
    assert bar - beat < quantum


@given(st.integers(4096, 60000), st.integers(4096, 60000), st.integers(1, 2000))
def test_splice_keeps_the_onset_and_leads_into_the_next(beat_in, extra, xfade):
    beat_out = float(beat_in + (extra - 32000) / 8)  # up to about +-3500 samples either way
    u = np.arange(0, np.ceil(beat_out), dtype=np.float64)  # the offsets of one output beat
    a, b, w = splice(u, beat_out, beat_in, xfade)
    assert a[0] == 0 and w[0] == 0  # the beat begins with the source's onset
    assert np.all((w >= 0) & (w <= 1)) and np.all(np.diff(w) >= 0)
    heard_a = w < 1
    assert np.all(a[heard_a] < beat_in)  # the head never reads into the next beat
    heard_b = w > 0
    assert np.all(b[heard_b] >= 0) or beat_out - beat_in > beat_in - xfade
    assert np.all(b[heard_b] < beat_in)  # ...nor does the tail
    assert b[-1] == pytest.approx(beat_in - (beat_out - u[-1]))  # it ends where the next begins
    assert w[-1] == 1


def test_splice_of_equal_beats_reads_straight_through():
    u = np.arange(1000, dtype=np.float64)
    a, b, _ = splice(u, 1000.0, 1000, 100)
    assert np.array_equal(a, u) and np.array_equal(b, u)
