"""The embedded default model: interface, size, streaming, onsets, reconstruction."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import unravel_lang
from unravel_lang.tinyrave import build_tiny_rave, mrstft_distance

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

SR = 44100
RATIO = 2048
DIMS = 8
PATH = Path(unravel_lang.__file__).parent / "models" / "default.ts"


@pytest.fixture(scope="module")
def model() -> torch.jit.ScriptModule:
    return torch.jit.load(str(PATH))


def fresh(model: torch.jit.ScriptModule) -> torch.jit.ScriptModule:
    """A copy with its own, fresh streaming state."""
    m = copy.deepcopy(model)
    m.reset()
    return m


def _decay(n: int, tau: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (SR * tau))


def snare_hit(rng: np.random.Generator) -> np.ndarray:
    n = 3000
    return rng.standard_normal(n) * _decay(n, 0.02) * 0.5


def kick_hit(rng: np.random.Generator) -> np.ndarray:
    n = 6000
    t = np.arange(n) / SR
    freq = 50 + 120 * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(freq) / SR) * _decay(n, 0.05) * 0.8


def hits_at(frames: list[int], total: int, hit, seed: int = 0) -> np.ndarray:
    """Audio of ``total`` frames with one hit starting 64 samples into each listed frame."""
    rng = np.random.default_rng(seed)
    out = np.zeros(total * RATIO)
    for f in frames:
        h = hit(rng)
        start = f * RATIO + 64
        out[start:start + len(h)] += h[: len(out) - start]
    return out.astype(np.float32)


def mixture(seed: int, frames: int = 16) -> np.ndarray:
    """Drums and a tone, as musicians feed the model."""
    rng = np.random.default_rng(seed)
    out = hits_at([0, 4, 8, 12], frames, kick_hit, seed) + hits_at([2, 6, 10, 14], frames,
                                                                     snare_hit, seed + 1)
    t = np.arange(frames * RATIO) / SR
    f0 = 220 * 2 ** (rng.integers(0, 12) / 12)
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    out = out + 0.15 * tone * (t > 0.2)
    return (0.8 * out / np.abs(out).max()).astype(np.float32)


def _roundtrip(model: torch.jit.ScriptModule, audio: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        m = fresh(model)
        return m.decode(m.encode(torch.from_numpy(audio)[None, None]))


def frame_rms(audio: np.ndarray) -> np.ndarray:
    return np.sqrt((audio.reshape(-1, RATIO) ** 2).mean(axis=1))


def onset_frames(audio: np.ndarray) -> list[int]:
    """Frames whose energy jumps above 4× the previous frame's and 5 % of the loudest."""
    e = frame_rms(audio) ** 2
    prev = np.concatenate([[0.0], e[:-1]])
    return [int(f) for f in np.flatnonzero((e > 4 * prev + 1e-12) & (e > 0.05 * e.max()))]


def test_file_is_small_and_committed_in_the_package():
    assert PATH.is_file()
    assert PATH.stat().st_size <= 5 * 1024 * 1024


def test_rave_export_interface(model):
    assert model.sr == SR
    assert model.encode_params.dtype == torch.int64
    assert model.encode_params.tolist() == [1, 1, DIMS, RATIO]
    assert model.decode_params.tolist() == [DIMS, RATIO, 1, 1]
    with torch.no_grad():
        m = fresh(model)
        z = m.encode(torch.zeros(2, 1, 5 * RATIO))
        assert z.shape == (2, DIMS, 5)
        assert m.decode(z).shape == (2, 1, 5 * RATIO)
        assert m.forward(torch.zeros(1, 1, 3 * RATIO)).shape == (1, 1, 3 * RATIO)


def test_chunked_streaming_decode_equals_whole_decode(model):
    z = _roundtrip_latent(model, mixture(1))
    with torch.no_grad():
        whole = fresh(model).decode(z)
        stream = fresh(model)
        parts = torch.cat([stream.decode(z[..., i:i + 4]) for i in range(0, z.shape[-1], 4)], -1)
    torch.testing.assert_close(parts, whole, atol=1e-5, rtol=1e-4)
    assert whole.abs().max() > 0.01


def _roundtrip_latent(model, audio: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return fresh(model).encode(torch.from_numpy(audio)[None, None])


def test_decode_is_deterministic(model):
    z = torch.randn(1, DIMS, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = fresh(model).decode(z)
        b = fresh(model).decode(z)
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_deepcopy_gives_an_independent_fresh_state(model):
    z = torch.randn(1, DIMS, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        pristine = fresh(model)
        a = copy.deepcopy(pristine)
        first = a.decode(z)
        a.decode(z)
        b = copy.deepcopy(pristine)
        torch.testing.assert_close(b.decode(z), first, atol=0, rtol=0)


@pytest.mark.parametrize("hit", [snare_hit, kick_hit], ids=["snare", "kick"])
def test_onsets_land_on_their_frames(model, hit):
    frames = [2, 6, 9, 13, 18, 22]
    audio = hits_at(frames, 26, hit)
    assert onset_frames(audio) == frames
    out = _roundtrip(model, audio)[0, 0].numpy()
    assert onset_frames(out) == frames


def test_reconstruction_beats_silence_and_the_untrained_model(model):
    audio = torch.from_numpy(np.stack([mixture(s) for s in (10, 11)]))[:, None]
    with torch.no_grad():
        m = fresh(model)
        trained = mrstft_distance(m.decode(m.encode(audio)), audio)
        u = build_tiny_rave(seed=0)
        untrained = mrstft_distance(u.decode(u.encode(audio)), audio)
        silence = mrstft_distance(torch.zeros_like(audio), audio)
    assert float(trained) < 0.7 * float(silence)
    assert float(trained) < 0.7 * float(untrained)


def test_reconstruction_keeps_the_loudness_envelope(model):
    audio = mixture(12)
    out = _roundtrip(model, audio)[0, 0].numpy()
    a, b = np.log(frame_rms(audio) + 1e-4), np.log(frame_rms(out) + 1e-4)
    assert np.corrcoef(a, b)[0, 1] > 0.8


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.01, 1e4))
def test_any_latent_decodes_to_bounded_audio(model, seed, scale):
    z = scale * torch.randn(1, DIMS, 4, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        y = fresh(model).decode(z)
    assert bool(torch.isfinite(y).all())
    assert float(y.abs().max()) <= 1.0


def test_load_model_none_is_the_default_model():
    model_mod = pytest.importorskip("unravel_lang.model",
                                    reason="the model wrapper is not in this checkout")
    m = model_mod.load_model(None)
    assert Path(m.path).resolve() == PATH.resolve()
    assert (m.sr, m.ratio, m.dims) == (SR, RATIO, DIMS)
    audio = mixture(13)
    latent = m.encode(audio, SR)
    assert latent.shape == (16, DIMS)
    out = m.decode(latent)
    assert out.shape == (1, 16 * RATIO)
    dist = mrstft_distance(torch.from_numpy(out[0]), torch.from_numpy(audio))
    silence = mrstft_distance(torch.zeros(len(audio)), torch.from_numpy(audio))
    assert float(dist) < 0.7 * float(silence)
