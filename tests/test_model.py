"""The model wrapper on tiny RAVE-shaped TorchScript models built by the tests."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rave_testmodels import build_not_rave, build_test_model

from unravel_lang import model as model_mod
from unravel_lang.errors import AudioError, LatentError, ModelError, UnravelError
from unravel_lang.model import (
    DECODE_BLOCK_FRAMES,
    ENCODE_CHUNK_FRAMES,
    RaveModel,
    _map_channels,
    load_model,
)
from unravel_lang.seeds import chunk_seed

RATIO = 2048
CHUNK = 4


@pytest.fixture(scope="module")
def batch(batch_model_path) -> RaveModel:
    return load_model(batch_model_path)


@pytest.fixture(scope="module")
def stereo(tmp_path_factory) -> RaveModel:
    path = tmp_path_factory.mktemp("stereo") / "stereo.ts"
    return load_model(build_test_model(path, channels=2, seed=3))


def latent(frames: int, dims: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, dims)).astype(np.float32)


def signal(seconds: float, sr: int = 44100, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A mix of tones and noise, `(channels, samples)` float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    tones = [0.4 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)]
    return (np.stack(tones) + 0.05 * rng.standard_normal((channels, t.size))).astype(np.float32)


def raw_call(m: RaveModel, method: str, x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Call the TorchScript method directly on a fresh state: `(b, c, n)` in, numpy out."""
    module = torch.jit.load(m.path)
    with torch.inference_mode():
        torch.manual_seed(seed)
        return getattr(module, method)(torch.from_numpy(np.ascontiguousarray(x))).numpy()


def raw_decode(m: RaveModel, z: np.ndarray) -> np.ndarray:
    return raw_call(m, "decode", z.T[None])[0]


def raw_encode(m: RaveModel, audio: np.ndarray) -> np.ndarray:
    """Whole-signal encode of `(channels, samples)` at the model rate, padded to whole frames."""
    pad = -audio.shape[1] % m.ratio
    return raw_call(m, "encode", np.pad(audio, ((0, 0), (0, pad)))[None])[0].T


def boundary_jumps(audio: np.ndarray, chunk_samples: int) -> tuple[float, float]:
    """Largest sample step across chunk boundaries, and largest step inside chunks."""
    steps = np.abs(np.diff(audio[0]))
    at = np.arange(chunk_samples, audio.shape[1], chunk_samples) - 1
    inside = np.ones(steps.size, dtype=bool)
    inside[at] = False
    return float(steps[at].max()), float(steps[inside].max())


# -- loading and geometry -------------------------------------------------------------------


def test_geometry_from_params(tiny):
    assert (tiny.sr, tiny.ratio, tiny.dims) == (44100, 2048, 8)
    assert (tiny.in_channels, tiny.out_channels) == (1, 1)
    assert tiny.latent_rate == pytest.approx(44100 / 2048)
    assert tiny.streaming is True
    assert tiny.methods == ("encode", "decode", "forward")
    assert Path(tiny.path).name == "tiny.ts"


def test_repr_names_geometry(tiny):
    text = repr(tiny)
    for part in ("tiny.ts", "sr=44100", "ratio=2048", "dims=8", "streaming=True", "21.53"):
        assert part in text


def test_streaming_is_told_apart(noisy, batch):
    assert noisy.streaming is True
    assert batch.streaming is False


def test_streaming_probe_agrees_with_cache_buffers(tiny, batch):
    assert tiny._probe_streaming() is True
    assert batch._probe_streaming() is False


def test_cache_buffers_tell_streaming_without_a_probe(monkeypatch):
    def no_probe(self):
        raise AssertionError("the cache buffers should have answered")

    monkeypatch.setattr(model_mod.RaveModel, "_probe_streaming", no_probe)
    assert model_mod.load_model(None).streaming  # the embedded model names its caches `*.cache`


def test_geometry_probed_without_params(tmp_path):
    path = build_test_model(tmp_path / "old.ts", ratio=1024, dims=4, params=False)
    m = load_model(path)
    assert (m.sr, m.ratio, m.dims, m.in_channels, m.out_channels) == (44100, 1024, 4, 1, 1)


def test_stereo_geometry(stereo):
    assert (stereo.in_channels, stereo.out_channels) == (2, 2)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match=r"nope\.ts: model file not found"):
        load_model(tmp_path / "nope.ts")


def test_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="is a folder"):
        load_model(tmp_path)


@pytest.mark.parametrize("content", [b"not a model at all\n", b"PK\x03\x04garbage"])
def test_not_torchscript(tmp_path, content):
    path = tmp_path / "junk.ts"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=r"junk\.ts: not a TorchScript model"):
        load_model(path)


def test_torchscript_but_not_rave(tmp_path):
    path = build_not_rave(tmp_path / "double.ts")
    with pytest.raises(ModelError, match=r"double\.ts: .*not a RAVE export.*encode or decode"):
        load_model(path)


def test_model_errors_are_user_errors(tmp_path):
    with pytest.raises(UnravelError):
        load_model(tmp_path / "missing.ts")


def test_missing_default_model_is_explained(monkeypatch):
    monkeypatch.setattr(model_mod, "DEFAULT_MODEL", "absent-model.ts")
    with pytest.raises(ModelError, match="embedded default model is missing"):
        load_model(None)


def test_default_model_loads_when_shipped():
    shipped = Path(model_mod.__file__).parent / "models" / model_mod.DEFAULT_MODEL
    if not shipped.is_file():
        pytest.skip("the embedded default model is not built yet")
    m = load_model()
    assert (m.sr, m.ratio) == (44100, 2048)
    audio = m.decode(np.zeros((4, m.dims), dtype=np.float32), seed=0)
    assert audio.shape == (m.out_channels, 4 * 2048)


# -- latent checks ---------------------------------------------------------------------------


def test_dims_mismatch_names_both(tiny):
    with pytest.raises(LatentError, match=r"latent has 4 dims but model tiny\.ts takes 8"):
        tiny.decode(latent(10, dims=4))


def test_nan_named_by_frame_and_dim(tiny):
    z = latent(10)
    z[7, 3] = np.nan
    with pytest.raises(LatentError, match=r"nan at frame 7, dim 3"):
        tiny.decode(z)


def test_inf_in_stream_chunk(tiny):
    z = latent(4)
    z[2, 5] = -np.inf
    with pytest.raises(LatentError, match=r"latent chunk holds .*: -inf at frame 2, dim 5"):
        tiny.stream(seed=0).decode(z)


def test_latent_must_be_2d(tiny):
    with pytest.raises(LatentError, match=r"latent must have shape \(frames, dims\), got "
                                          r"shape \(8,\)"):
        tiny.decode(np.zeros(8, dtype=np.float32))


def test_latent_must_be_numeric(tiny):
    with pytest.raises(LatentError, match="real numbers"):
        tiny.decode(np.full((2, 8), "x"))


# -- decode -----------------------------------------------------------------------------------


def test_decode_shape_and_matches_torchscript(tiny):
    z = latent(12)
    audio = tiny.decode(z, seed=0)
    assert audio.shape == (1, 12 * RATIO) and audio.dtype == np.float32
    np.testing.assert_allclose(audio, raw_decode(tiny, z), atol=1e-6)


def test_decode_empty_latent(tiny):
    assert tiny.decode(np.zeros((0, 8), dtype=np.float32)).shape == (1, 0)


def test_streaming_decode_starts_fresh_every_call(tiny):
    z = latent(8)
    np.testing.assert_array_equal(tiny.decode(z), tiny.decode(z))


def test_seeded_decode_is_reproducible(noisy):
    z = latent(12)
    a, b = noisy.decode(z, seed=7), noisy.decode(z, seed=7)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - noisy.decode(z, seed=8)).max() > 1e-3


def test_unseeded_decode_draws_fresh_noise(noisy):
    z = latent(12)
    assert np.abs(noisy.decode(z) - noisy.decode(z)).max() > 1e-3


def test_first_call_after_load_equals_later_calls(noisy_model_path):
    m = load_model(noisy_model_path)
    z = latent(6)
    first = m.decode(z, seed=1)
    m.decode(latent(9, seed=2), seed=2)
    np.testing.assert_array_equal(first, m.decode(z, seed=1))


def test_seeded_decode_leaves_torch_generator_alone(noisy):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    noisy.decode(latent(4), seed=5)
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


DECODE_SCRIPT = """
import sys
import numpy as np
from unravel_lang.model import load_model
m = load_model(sys.argv[1])
z = np.random.default_rng(0).standard_normal((12, 8)).astype(np.float32)
sys.stdout.write(m.decode(z, seed=42).tobytes().hex())
"""


def test_seeded_decode_identical_in_fresh_processes(noisy, noisy_model_path):
    runs = [
        subprocess.run(
            [sys.executable, "-c", DECODE_SCRIPT, str(noisy_model_path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    here = noisy.decode(latent(12), seed=42)
    np.testing.assert_array_equal(np.frombuffer(bytes.fromhex(runs[0]), np.float32), here[0])


def test_decode_equals_one_stream_chunk(noisy):
    z = latent(10)
    np.testing.assert_array_equal(noisy.decode(z, seed=3), noisy.stream(seed=3).decode(z))


def test_long_decode_goes_in_blocks_and_stays_continuous(tiny):
    z = latent(DECODE_BLOCK_FRAMES + 40)
    np.testing.assert_allclose(tiny.decode(z), raw_decode(tiny, z), atol=1e-5)


def test_threads_decode_as_if_alone(noisy):
    z = latent(8)
    expected = {s: noisy.decode(z, seed=s) for s in range(4)}
    got: dict[int, np.ndarray] = {}

    def work(s: int) -> None:
        for _ in range(3):
            got[s] = noisy.decode(z, seed=s)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in range(4):
        np.testing.assert_array_equal(got[s], expected[s])


# -- streams ---------------------------------------------------------------------------------


def test_chunked_stream_equals_whole_decode(tiny):
    z = latent(40)
    stream = tiny.stream(seed=0)
    chunks = np.concatenate([stream.decode(z[i : i + CHUNK]) for i in range(0, 40, CHUNK)], 1)
    np.testing.assert_allclose(chunks, tiny.decode(z), atol=1e-5)


def test_uneven_chunks_equal_whole_decode(tiny):
    z = latent(23)
    stream = tiny.stream()
    edges = [0, 1, 4, 11, 12, 20, 23]
    chunks = np.concatenate(
        [stream.decode(z[a:b]) for a, b in zip(edges, edges[1:], strict=False)], 1
    )
    np.testing.assert_allclose(chunks, tiny.decode(z), atol=1e-5)


def test_noisy_stream_is_continuous_at_chunk_boundaries(noisy):
    z = latent(40)
    stream = noisy.stream(seed=9)
    audio = np.concatenate([stream.decode(z[i : i + CHUNK]) for i in range(0, 40, CHUNK)], 1)
    across, inside = boundary_jumps(audio, CHUNK * RATIO)
    assert across <= 1.5 * inside
    # The same check catches a stream that forgets its state between chunks.
    broken = np.concatenate(
        [noisy.stream(seed=9).decode(z[i : i + CHUNK]) for i in range(0, 40, CHUNK)], 1
    )
    assert boundary_jumps(broken, CHUNK * RATIO)[0] > 1.5 * boundary_jumps(broken, CHUNK * RATIO)[1]


def test_stream_chunk_seeds(noisy):
    z = latent(8)
    a = noisy.stream(seed=5)
    b = noisy.stream(seed=5)
    for i in (0, 4):
        np.testing.assert_array_equal(a.decode(z[i : i + 4]), b.decode(z[i : i + 4]))
    c = noisy.stream(seed=6)
    assert np.abs(c.decode(z[:4]) - noisy.stream(seed=5).decode(z[:4])).max() > 1e-3


def test_interleaved_streams_are_independent(tiny):
    za, zb = latent(16, seed=1), latent(16, seed=2)
    a, b = tiny.stream(), tiny.stream()
    out_a, out_b = [], []
    for i in range(0, 16, CHUNK):
        out_a.append(a.decode(za[i : i + CHUNK]))
        out_b.append(b.decode(zb[i : i + CHUNK]))
    np.testing.assert_allclose(np.concatenate(out_a, 1), tiny.decode(za), atol=1e-5)
    np.testing.assert_allclose(np.concatenate(out_b, 1), tiny.decode(zb), atol=1e-5)


def test_batch_stream_uses_left_context(batch):
    z = latent(40)
    stream = batch.stream(seed=0)
    chunks = np.concatenate([stream.decode(z[i : i + CHUNK]) for i in range(0, 40, CHUNK)], 1)
    np.testing.assert_allclose(chunks, batch.decode(z), atol=1e-5)


def test_stream_empty_chunk(tiny):
    assert tiny.stream().decode(np.zeros((0, 8), dtype=np.float32)).shape == (1, 0)


# -- encode ----------------------------------------------------------------------------------


def test_encode_shape_pads_to_whole_frames(tiny):
    audio = signal(1.0)
    z = tiny.encode(audio, 44100)
    assert z.shape == (-(-44100 // RATIO), 8) and z.dtype == np.float32
    np.testing.assert_allclose(z, raw_encode(tiny, audio), atol=1e-5)


def test_encode_accepts_1d(tiny):
    audio = signal(0.5)
    np.testing.assert_array_equal(tiny.encode(audio[0], 44100), tiny.encode(audio, 44100))


def test_encode_mixes_stereo_to_mono_model(tiny):
    audio = signal(0.5, channels=2)
    mono = audio.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(tiny.encode(audio, 44100), tiny.encode(mono, 44100), atol=1e-6)


def test_encode_mono_into_stereo_model(stereo):
    audio = signal(0.5)
    both = np.concatenate([audio, audio])
    np.testing.assert_allclose(stereo.encode(audio, 44100), stereo.encode(both, 44100), atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(1, 50))
def test_map_channels(channels_in, channels_model, n):
    block = np.random.default_rng(n).standard_normal((channels_in, n)).astype(np.float32)
    out = _map_channels(block, channels_model)
    assert out.shape == (channels_model, n)
    if channels_in == channels_model:
        np.testing.assert_array_equal(out, block)
    elif channels_model == 1:
        np.testing.assert_allclose(out[0], block.mean(axis=0), atol=1e-6)
    elif channels_in == 1:
        for row in out:
            np.testing.assert_array_equal(row, block[0])


def test_encode_resamples_to_model_rate(tiny):
    def tone(freq: float, sr: int) -> np.ndarray:
        return (0.5 * np.sin(2 * np.pi * freq * np.arange(2 * sr) / sr))[None].astype(np.float32)

    at_model_rate = tiny.encode(tone(330, 44100), 44100)
    at_22k = tiny.encode(tone(330, 22050), 22050)
    assert at_22k.shape == at_model_rate.shape
    other_tone = tiny.encode(tone(1000, 44100), 44100)
    inner = slice(2, -2)  # the resampler's filter edges
    error = np.abs(at_22k - at_model_rate)[inner].mean()
    assert error < 0.1 * np.abs(other_tone - at_model_rate)[inner].mean()


@pytest.mark.parametrize("which", ["tiny", "batch"])
def test_chunked_encode_matches_whole_encode(which, request):
    m = request.getfixturevalue(which)
    audio = signal((2 * ENCODE_CHUNK_FRAMES + 37) * RATIO / 44100 + 0.01)
    z = m.encode(audio, 44100)
    assert z.shape[0] > 2 * ENCODE_CHUNK_FRAMES
    np.testing.assert_allclose(z, raw_encode(m, audio), atol=1e-5)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 30000), min_size=1, max_size=6))
def test_block_boundaries_do_not_matter(tiny, sizes):
    audio = signal(0.8, sr=48000)
    edges = np.cumsum([0, *sizes])
    edges = edges[edges < audio.shape[1]].tolist() + [audio.shape[1]]
    blocks = [audio[:, a:b] for a, b in zip(edges, edges[1:], strict=False)]
    np.testing.assert_allclose(
        tiny.encode_blocks(blocks, 48000), tiny.encode(audio, 48000), atol=1e-5
    )


def test_encode_file_equals_encode(tiny, tmp_path):
    audio = signal(3.0, sr=48000, channels=2)
    path = tmp_path / "tones.wav"
    sf.write(path, audio.T, 48000, subtype="FLOAT")
    np.testing.assert_allclose(tiny.encode_file(path), tiny.encode(audio, 48000), atol=1e-6)


def test_encode_file_missing(tiny, tmp_path):
    with pytest.raises(AudioError, match=r"absent\.wav"):
        tiny.encode_file(tmp_path / "absent.wav")


def test_encode_empty_audio(tiny):
    with pytest.raises(AudioError, match="audio is empty"):
        tiny.encode(np.zeros((1, 0), dtype=np.float32), 44100)


def test_encode_nan_audio(tiny):
    audio = signal(0.2)
    audio[0, 100] = np.nan
    with pytest.raises(AudioError, match="NaN or inf at sample 100, channel 0"):
        tiny.encode(audio, 44100)


def test_encode_inf_audio_named_by_absolute_sample(tiny):
    audio = signal(3.0, channels=2)
    audio[1, 100_000] = np.inf
    with pytest.raises(AudioError, match="NaN or inf at sample 100000, channel 1"):
        tiny.encode(audio, 44100)


def test_encode_bad_shape(tiny):
    with pytest.raises(AudioError, match=r"got shape \(1, 1, 10\)"):
        tiny.encode(np.zeros((1, 1, 10), dtype=np.float32), 44100)


def raw_stream(m: RaveModel, z: np.ndarray, seed: int) -> np.ndarray:
    """Chunks decoded by one private copy of the TorchScript module under the chunk seeds; a
    model that takes its noise is given it, frame after frame, from one generator seeded
    `chunk_seed(seed, NOISE_INDEX)`."""
    module = torch.jit.load(m.path)
    noise = torch.Generator().manual_seed(chunk_seed(seed, model_mod.NOISE_INDEX))
    out = []
    with torch.inference_mode():
        for j, i in enumerate(range(0, len(z), CHUNK)):
            torch.manual_seed(chunk_seed(seed, j))
            x = torch.from_numpy(z[i : i + CHUNK].T.copy())[None]
            if m.noise_dims:
                frames = [torch.randn(m.noise_dims, generator=noise) for _ in range(x.shape[-1])]
                x = torch.cat([x, torch.stack(frames, 1)[None]], 1)
            out.append(module.decode(x)[0])
    return torch.cat(out, -1).numpy()


@pytest.mark.parametrize("which", ["tiny", "noisy"])
def test_stream_equals_a_private_module_copy(which, request):
    m = request.getfixturevalue(which)
    z = latent(16)
    other = m.stream(seed=1)
    stream = m.stream(seed=4)
    chunks = []
    for i in range(0, 16, CHUNK):
        other.decode(z[::-1][i : i + CHUNK])
        chunks.append(stream.decode(z[i : i + CHUNK]))
    np.testing.assert_array_equal(np.concatenate(chunks, 1), raw_stream(m, z, seed=4))


def test_bad_thread_count_is_refused(monkeypatch, tiny_model_path):
    monkeypatch.setattr(model_mod, "_threads_set", False)
    monkeypatch.setenv(model_mod.THREADS_ENV, "two")
    with pytest.raises(ModelError, match="UNRAVEL_TORCH_THREADS must be a whole number"):
        load_model(tiny_model_path)
    monkeypatch.setenv(model_mod.THREADS_ENV, "1")
    load_model(tiny_model_path)
    assert torch.get_num_threads() == 1
