"""The stem ring and the reader's mix: what goes in comes out, summed, faded, on time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.engine.mixer import DONE, LIVE, StemMixer, fade_ramp
from unravel_lang.engine.ringbuffer import StemRing
from unravel_lang.engine.timeline import fade_out

BLOCK = 16


def fill(mixer: StemMixer, audio: np.ndarray, pos: int) -> int:
    """Write `audio` `(stems, channels, n)` from sample `pos` in blocks while there is room."""
    ring = mixer.ring
    while pos < audio.shape[2] and ring.free >= BLOCK:
        ring.block(BLOCK)[...] = audio[:, :, pos : pos + BLOCK]
        ring.commit(BLOCK)
        pos += BLOCK
    return pos


def drain(mixer: StemMixer, audio: np.ndarray, reads: list[int], on_read=None) -> np.ndarray:
    """Write all of `audio` and read it back in reads of the given sizes, cycling."""
    total = audio.shape[2]
    out = np.zeros((audio.shape[1], total), dtype=np.float32)
    written = got = i = 0
    while got < total:
        written = fill(mixer, audio, written)
        n = min(reads[i % len(reads)], total - got, mixer.ring.filled)
        if on_read is not None:
            on_read(mixer, got)
        got += mixer.read_into(out[:, got : got + n])
        i += 1
    return out


stems_audio = st.integers(1, 4).flatmap(
    lambda s: st.integers(1, 12).map(
        lambda blocks: np.random.default_rng(s * 100 + blocks)
        .standard_normal((s, 2, blocks * BLOCK)).astype(np.float32)
    )
)


@settings(max_examples=60, deadline=None)
@given(stems_audio, st.lists(st.integers(1, 40), min_size=1, max_size=5),
       st.integers(2, 6), st.data())
def test_the_mix_is_the_sum_of_live_stems_from_their_first_sample(audio, reads, cap, data):
    stems = audio.shape[0]
    froms = [data.draw(st.integers(0, audio.shape[2])) for _ in range(stems)]
    mixer = StemMixer(stems, 2, cap * BLOCK, fade_ramp(1000, 5))
    for s, start in enumerate(froms):
        mixer.assign(s, start)
    out = drain(mixer, audio, reads)
    expected = np.zeros_like(out)
    for s, start in enumerate(froms):
        expected[:, start:] += audio[s, :, start:]
    # the mixer only mixes: the engine's reader adds sources and limits the sum
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5)
    if stems == 1:
        np.testing.assert_array_equal(out, expected)
    assert mixer.underruns == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 150), st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_a_fade_at_a_sample_is_the_reference_fade(at, reads):
    audio = np.random.default_rng(at).standard_normal((1, 1, 10 * BLOCK)).astype(np.float32)
    ramp = fade_ramp(4000, 5)  # 20 samples
    mixer = StemMixer(1, 1, 4 * BLOCK, ramp)
    mixer.assign(0, 0)
    mixer.fade_at[0] = at
    out = drain(mixer, audio, reads)
    np.testing.assert_array_equal(out, fade_out(audio[0].copy(), at, ramp))
    assert mixer.state[0] == (DONE if at + len(ramp) <= audio.shape[2] else LIVE)


def test_a_stop_request_fades_from_the_next_read():
    audio = np.full((1, 1, 8 * BLOCK), 0.5, dtype=np.float32)
    ramp = fade_ramp(4000, 5)
    mixer = StemMixer(1, 1, 8 * BLOCK, ramp)
    mixer.assign(0, 0)

    def stop_at_40(m, got):
        if got == 40:
            m.stop_req[0] = True

    out = drain(mixer, audio, [20], stop_at_40)
    np.testing.assert_array_equal(out[0, :40], 0.5)
    np.testing.assert_array_equal(out[0, 40:60], 0.5 * ramp)
    assert np.count_nonzero(out[0, 60:]) == 0
    assert mixer.state[0] == DONE


def test_a_voice_stopped_before_it_sounds_is_never_heard():
    mixer = StemMixer(1, 1, 4 * BLOCK, fade_ramp(4000, 5))
    mixer.assign(0, 2 * BLOCK)
    mixer.stop_req[0] = True
    out = drain(mixer, np.ones((1, 1, 4 * BLOCK), np.float32), [BLOCK])
    assert np.count_nonzero(out) == 0 and mixer.state[0] == DONE


def test_short_reads_of_a_sounding_voice_count_as_underruns():
    mixer = StemMixer(2, 1, 4 * BLOCK, fade_ramp(4000, 5))
    out = np.ones((1, 8), np.float32)
    assert mixer.read_into(out) == 0 and np.count_nonzero(out) == 0
    assert mixer.underruns == 0
    mixer.assign(1, 0)
    fill(mixer, np.ones((2, 1, BLOCK), np.float32), 0)
    wide = np.ones((1, 2 * BLOCK), np.float32)
    assert mixer.read_into(wide) == 0  # the voice begins here: no partial read, no gap
    assert mixer.underruns == 0 and np.count_nonzero(wide) == 0
    assert mixer.read_into(out) == 8
    assert mixer.read_into(wide) == BLOCK - 8  # the voice sounds: a short read is an underrun
    assert mixer.underruns == 1 and np.count_nonzero(wide) == BLOCK - 8
    assert mixer.free_stem() == 0 and mixer.busy


def test_ring_blocks_never_wrap_and_never_overwrite_unread_samples():
    ring = StemRing(1, 1, 4 * BLOCK)
    for _ in range(4):
        ring.block(BLOCK)[...] = 1.0
        ring.commit(BLOCK)
    with pytest.raises(ValueError):
        ring.block(BLOCK)
    ring.read_pos += BLOCK
    assert ring.block(BLOCK).shape == (1, 1, BLOCK)
    assert ring.split(ring.read_pos + 2 * BLOCK, 3 * BLOCK) == (3 * BLOCK, BLOCK, 2 * BLOCK)


def test_fade_ramp_falls_from_one_towards_zero():
    ramp = fade_ramp(44100, 5)
    assert len(ramp) == 220 and ramp[0] == 1.0 and 0 < ramp[-1] < 0.01
    assert np.all(np.diff(ramp) < 0)


def test_a_read_wider_than_half_the_ring_does_not_wait_for_a_beginning_voice():
    mixer = StemMixer(1, 1, 4 * BLOCK, fade_ramp(4000, 5))
    mixer.assign(0, 0)
    fill(mixer, np.ones((1, 1, 4 * BLOCK), np.float32), 0)
    wide = np.zeros((1, 5 * BLOCK), np.float32)
    assert mixer.read_into(wide) == 4 * BLOCK
    assert np.count_nonzero(wide) == 4 * BLOCK
