"""The grid that evaluation and `describe` take instead of the session: lengths, tempo, text."""

from __future__ import annotations

import numpy as np
import pytest

from unravel_lang.errors import PatternError
from unravel_lang.lang import Session
from unravel_lang.lang.context import Grid
from unravel_lang.lang.describe import describe, summary
from unravel_lang.models import DEFAULT_RATIO, DEFAULT_SR
from unravel_lang.tempo import frames_for

RATE = DEFAULT_SR / DEFAULT_RATIO


def test_bars_and_beats_follow_k_and_the_bar_and_refuse_a_fraction_of_a_frame():
    grid = Grid(k=8, beats_per_bar=3, rate=RATE)
    assert grid.frames(2, "bars") == frames_for(8, bars=2, beats_per_bar=3) == 48
    assert grid.frames(0.5, "beats") == 4
    with pytest.raises(PatternError, match="not a whole number"):
        Grid(k=11, beats_per_bar=4, rate=RATE).frames(0.5, "beats")


def test_seconds_are_rounded_to_frames_and_the_tempo_is_exact():
    grid = Grid(k=11, beats_per_bar=4, rate=RATE)
    assert grid.frames(1, "s") == round(RATE)
    assert grid.bpm == pytest.approx(60 * RATE / 11)


def test_a_rate_given_as_a_function_is_asked_only_for_seconds():
    def unknown() -> float:
        raise AssertionError("the rate was asked for")

    grid = Grid(k=11, beats_per_bar=4, rate=unknown)
    assert grid.frames(1, "bars") == 44 and grid.frames(3, "frames") == 3
    with pytest.raises(AssertionError):
        grid.frames(1, "s")


def test_describe_needs_only_the_grid():
    latent = np.zeros((19, 8), np.float32)
    grid = Grid(k=11, beats_per_bar=4, rate=RATE)
    assert summary(grid, latent) == "(19, 8) latent array · 0.88 s · 0.4318 bars at k=11"
    assert describe(grid, latent).splitlines()[0] == summary(grid, latent)


def test_the_session_grid_follows_its_statements():
    session = Session(output=None)
    session.run("k 8\nbeats 3\nx = 1bars")
    assert (session.grid.k, session.grid.beats_per_bar, session["x"]) == (8, 3, 24)
    assert session.grid.latent_rate == session.latent_rate == RATE
    assert session.summary(np.zeros((24, 8), np.float32)).endswith("1 bars at k=8")
