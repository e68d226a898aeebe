"""The offline reference: loop iterations on the grid, voice slots, seeds, fades."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from unravel_lang.engine.timeline import fade_out, lanes, loop_iterations, slot_seed, track_seed
from unravel_lang.plan import Plan, Voice
from unravel_lang.seeds import voice_seed


def plan_of(frames: int) -> Plan:
    return Plan.of(np.zeros((frames, 2), np.float32))


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), min_size=1, max_size=4),
       st.integers(0, 50), st.integers(1, 16))
def test_iterations_start_on_the_grid_after_the_previous_one_ends(changes, start, k):
    plans = [(start, plan_of(changes[0][1]))]
    plans += [(start + at, plan_of(n)) for at, n in sorted(changes[1:])]
    iterations = loop_iterations(plans, start, start + 300, k)
    assert iterations[0][0] == start
    for (s0, p0), (s1, _) in zip(iterations, iterations[1:], strict=False):
        assert (s1 - start) % k == 0
        assert s0 + p0.frames <= s1 < s0 + p0.frames + k
    for s, p in iterations:
        newest = [q for at, q in plans if at <= s][-1]
        assert p is newest


def test_voice_slots_collect_the_same_voice_of_every_iteration():
    a, b = np.ones((3, 2), np.float32), np.full((2, 2), 2.0, np.float32)
    layered = Plan.of(a).layer(Plan((Voice(b, start=1, gain=0.5),)))
    slots = lanes([(0, layered), (4, Plan.of(b)), (8, layered)])
    assert [[s.start for s in slot] for slot in slots] == [[0, 4, 8], [1, 9]]
    assert slots[1][0].gain == 0.5


def test_one_seeding_rule_for_every_track_play_and_export():
    """Voice j of any track, play or export is decoded with `voice_seed(seed, j)`: the name
    does not change the sound, the seed and the voice do."""
    assert slot_seed(3, "a", 2) == voice_seed(track_seed(3, "a"), 2) == voice_seed(3, 2)
    assert slot_seed(3, "a", 2) == slot_seed(3, "play 7", 2)
    assert slot_seed(3, "a", 2) != slot_seed(4, "a", 2) != slot_seed(3, "a", 1)


def test_fade_out_scales_then_silences():
    audio = np.ones((1, 10), np.float32)
    fade_out(audio, 4, np.array([1.0, 0.5], np.float32))
    np.testing.assert_array_equal(audio[0], [1, 1, 1, 1, 1, 0.5, 0, 0, 0, 0])
