"""Seed derivation: one formula and its three paths (`tests/test_rules.py`: no second copy)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from unravel_lang.seeds import CHUNK_DOMAIN, call_seed, chunk_seed, derive, voice_seed


def documented(*entropy: int) -> int:
    s0, s1 = np.random.SeedSequence(list(entropy)).generate_state(2)
    return ((int(s0) << 31) ^ int(s1)) & (2**63 - 1)


def test_derive_is_the_documented_formula():
    assert derive(4, 2) == documented(4, 2)
    assert derive(2**64 + 4, 2) == derive(4, 2) == derive(4 - 2**64, 2)  # seeds mod 2**64
    assert derive(-1, 7) == documented(2**64 - 1, 7)


@given(st.integers(0, 2**64 - 1), st.integers(0, 10**6))
def test_paths(seed, n):
    assert call_seed(seed, n) == documented(seed, n)
    assert voice_seed(seed, n) == documented(seed, n)
    assert chunk_seed(seed, n) == documented(seed, n, CHUNK_DOMAIN)


@given(st.integers(-(2**63), 2**64 - 1), st.integers(0, 10**6))
def test_chunk_seed_is_a_deterministic_63_bit_seed(seed, index):
    value = chunk_seed(seed, index)
    assert 0 <= value < 2**63
    assert value == chunk_seed(seed, index)
    assert value != chunk_seed(seed, index + 1)
