"""The score timeline: plays in sequence, tracks looping, replaced on their boundary, stopped."""

from __future__ import annotations

import numpy as np
import pytest

from unravel_lang.lang import Recorder
from unravel_lang.plan import Plan, Voice


def arr(n: int, value: float, dims: int = 2) -> np.ndarray:
    """`n` frames whose rows are value, value + 1, ... (so positions are visible)."""
    return (value + np.arange(n, dtype=np.float32))[:, None].repeat(dims, 1)


def spans(plan: Plan) -> list[tuple[int, int]]:
    return [(v.start, v.end) for v in plan.voices]


def test_plays_follow_one_another():
    r = Recorder()
    r.play(Plan.of(arr(3, 0)))
    r.play(Plan.of(arr(2, 10)).layer(Plan.of(arr(4, 20))))
    r.wait(5)
    r.play(Plan.of(arr(1, 30)))
    assert spans(r.timeline()) == [(0, 3), (3, 5), (3, 7), (12, 13)]


def test_track_is_replaced_at_its_next_loop_boundary():
    a, b = arr(4, 0), arr(3, 100)
    r = Recorder()
    r.track("t", Plan.of(a))
    r.wait(6)
    r.track("t", Plan.of(b))  # the pass of `a` that started at 4 ends at 8
    r.wait(10)
    r.stop("t")
    (voice,) = r.timeline().voices
    assert (voice.start, voice.end) == (0, 16)
    expected = np.concatenate([a, a, b, b, b[:2]])
    np.testing.assert_array_equal(voice.latent, expected)


def test_replacing_on_a_boundary_or_at_once():
    a, b = arr(4, 0), arr(2, 50)
    r = Recorder()
    r.track("t", Plan.of(a))
    r.track("t", Plan.of(b))  # same moment: `a` never sounds
    r.wait(4)
    r.track("t", Plan.of(a))  # exactly on b's boundary (4 = 2 passes)
    r.wait(4)
    r.hush()
    (voice,) = r.timeline().voices
    np.testing.assert_array_equal(voice.latent, np.concatenate([b, b, a]))


def test_tracks_still_running_finish_their_pass():
    r = Recorder()
    r.track("x", Plan.of(arr(4, 0)))
    assert spans(r.timeline()) == [(0, 4)]  # started with no time after it: one pass
    r.wait(5)
    assert spans(r.timeline()) == [(0, 8)]
    r.play(Plan.of(arr(3, 9)))  # cursor 8: exactly on a boundary
    assert spans(r.timeline()) == [(0, 8), (5, 8)]
    assert r.tracks == ["x"]


def test_stop_cuts_mid_pass_and_restarts_as_a_new_voice():
    r = Recorder()
    r.play(Plan.of(arr(2, 0)))
    r.track("x", Plan.of(arr(4, 0)))
    r.wait(3)
    r.stop("x")
    r.track("x", Plan.of(arr(4, 0)))
    r.wait(4)
    r.hush()
    assert spans(r.timeline()) == [(0, 2), (2, 5), (5, 9)]
    assert r.tracks == []


def test_a_layered_pattern_on_a_track_repeats_its_voices_each_pass():
    r = Recorder()
    r.track("x", Plan.of(arr(4, 0)).layer(Plan.of(arr(2, 10))))
    r.wait(6)
    r.stop("x")
    assert spans(r.timeline()) == [(0, 4), (0, 2), (4, 6), (4, 6)]


def test_gains_are_kept_and_set_tempo_is_remembered():
    r = Recorder()
    r.set_tempo(8)
    r.track("x", Plan((Voice(arr(2, 0), 0, 0.5),)))
    assert r.k == 8
    assert r.timeline().voices[0].gain == 0.5


def test_a_score_longer_than_the_frame_limit_is_refused():
    from unravel_lang.errors import PatternError
    from unravel_lang.guards import frame_limit

    r = Recorder()
    with frame_limit(100):
        r.wait(60)
        with pytest.raises(PatternError, match="the score would be 120 frames"):
            r.wait(60)
        with pytest.raises(PatternError, match="the score would be 160 frames"):
            r.play(Plan.of(arr(100, 0)))
    assert r.cursor == 60
