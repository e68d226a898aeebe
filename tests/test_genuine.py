"""The model wrapper on genuine RAVE v2 exports (random weights; the interface is what counts).

Skipped, with the reason, when the exports are absent (see the `genuine_model_dir` fixture).
Each export is loaded once per module; tests decode a few seconds at most.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from unravel_lang.errors import LatentError
from unravel_lang.model import NOISE_INDEX, RaveModel, load_model
from unravel_lang.seeds import chunk_seed

pytestmark = pytest.mark.genuine

RATIO = 2048
CHUNK = 4
EXPORTS = {"v2_batch.ts": False, "v2_streaming.ts": True}  # file -> streaming


@pytest.fixture(scope="module", params=sorted(EXPORTS))
def genuine(request, genuine_model_dir) -> RaveModel:
    return load_model(genuine_model_dir / request.param)


def latent(frames: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, 8)).astype(np.float32)


def tones(seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 331 * t))[None].astype(
        np.float32
    )


def test_info(genuine):
    assert (genuine.sr, genuine.ratio, genuine.dims) == (44100, 2048, 8)
    assert (genuine.in_channels, genuine.out_channels) == (1, 1)
    assert genuine.streaming is EXPORTS[genuine.name]
    assert {"encode", "decode", "forward", "prior"} <= set(genuine.methods)
    assert genuine.latent_rate == pytest.approx(21.533, abs=1e-3)


def test_streaming_probe_agrees(genuine):
    assert genuine._probe_streaming() is EXPORTS[genuine.name]


def test_encode(genuine):
    audio = tones(2.0, 48000)
    z = genuine.encode(audio, 48000)
    assert z.shape == (-(-2 * 44100 // RATIO), 8) and z.dtype == np.float32
    assert np.isfinite(z).all() and z.std() > 0
    # v2 encoders sample their posterior: a seed makes encoding reproducible.
    np.testing.assert_array_equal(z, genuine.encode(audio, 48000))


def test_decode(genuine):
    audio = genuine.decode(latent(40), seed=0)
    assert audio.shape == (1, 40 * RATIO) and audio.dtype == np.float32
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0


def test_seeded_decode_is_reproducible(genuine):
    z = latent(20)
    a = genuine.decode(z, seed=11)
    np.testing.assert_array_equal(a, genuine.decode(z, seed=11))
    # The variational decoder fills its unused latent dims with noise: seeds matter.
    assert np.abs(a - genuine.decode(z, seed=12)).max() > 1e-4


def test_dims_mismatch(genuine):
    with pytest.raises(LatentError, match=rf"4 dims but model {genuine.name} takes 8"):
        genuine.decode(np.zeros((3, 4), dtype=np.float32))


DECODE_SCRIPT = """
import sys
import numpy as np
from unravel_lang.model import load_model
m = load_model(sys.argv[1])
z = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
sys.stdout.write(m.decode(z, seed=42).tobytes().hex())
"""


def test_seeded_decode_identical_in_a_fresh_process(genuine):
    out = subprocess.run(
        [sys.executable, "-c", DECODE_SCRIPT, genuine.path],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    here = genuine.decode(latent(8), seed=42)
    np.testing.assert_array_equal(np.frombuffer(bytes.fromhex(out), np.float32), here[0])


def chunked(model: RaveModel, z: np.ndarray, seed: int) -> np.ndarray:
    stream = model.stream(seed=seed)
    return np.concatenate([stream.decode(z[i : i + CHUNK]) for i in range(0, len(z), CHUNK)], 1)


def test_chunked_stream_is_continuous_and_reproducible(genuine):
    z = latent(24)
    audio = chunked(genuine, z, seed=3)
    assert audio.shape == (1, 24 * RATIO)
    steps = np.abs(np.diff(audio[0]))
    at = np.arange(CHUNK * RATIO, audio.shape[1], CHUNK * RATIO) - 1
    inside = np.ones(steps.size, dtype=bool)
    inside[at] = False
    assert steps[at].max() <= steps[inside].max()
    np.testing.assert_array_equal(audio, chunked(genuine, z, seed=3))


def test_interleaved_streams_keep_their_own_state(genuine):
    z, other = latent(12), latent(12, seed=1)
    a, b, c = genuine.stream(seed=5), genuine.stream(seed=5), genuine.stream(seed=6)
    out_a, out_b = [], []
    for i in range(0, 12, CHUNK):
        out_a.append(a.decode(z[i : i + CHUNK]))
        c.decode(other[i : i + CHUNK])
        out_b.append(b.decode(z[i : i + CHUNK]))
    np.testing.assert_array_equal(np.concatenate(out_a, 1), np.concatenate(out_b, 1))


def test_streaming_export_stream_equals_a_private_module_copy(genuine):
    if not genuine.streaming:
        pytest.skip("only streaming exports keep caches between calls")
    z = latent(12)
    stream, other = genuine.stream(seed=2), genuine.stream(seed=9)
    ours = []
    for i in range(0, 12, CHUNK):
        other.decode(z[::-1][i : i + CHUNK])
        ours.append(stream.decode(z[i : i + CHUNK]))
    module = torch.jit.load(genuine.path)
    # RAVE v2 takes the noise dims of its latent from the caller: frame after frame, from one
    # generator per stream (see DecoderStream)
    assert genuine.noise_dims == module.full_latent_size - genuine.dims > 0
    noise = torch.Generator().manual_seed(chunk_seed(2, NOISE_INDEX))
    raw = []
    with torch.inference_mode():
        for j, i in enumerate(range(0, 12, CHUNK)):
            torch.manual_seed(chunk_seed(2, j))
            x = torch.from_numpy(z[i : i + CHUNK].T.copy())[None]
            frames = [torch.randn(genuine.noise_dims, generator=noise) for _ in range(CHUNK)]
            raw.append(module.decode(torch.cat([x, torch.stack(frames, 1)[None]], 1))[0])
    np.testing.assert_array_equal(np.concatenate(ours, 1), torch.cat(raw, -1).numpy())
