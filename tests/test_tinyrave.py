"""The TinyRave architecture: RAVE export interface, streaming decode, latent rotation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.tinyrave import (
    DIMS,
    NOISE_BINS,
    RATIO,
    SR,
    TinyRave,
    build_tiny_rave,
    export,
    fold_latent_pca,
    mel_bands,
    mrstft_distance,
    noise_rows,
    phase_table,
    set_latent_bounds,
    soft_limit,
)

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


@pytest.fixture(scope="module")
def model() -> TinyRave:
    return build_tiny_rave(seed=3)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory, model) -> torch.jit.ScriptModule:
    path = tmp_path_factory.mktemp("tiny") / "tiny.ts"
    export(model, str(path))
    return torch.jit.load(str(path))


def _audio(frames: int, seed: int = 0, batch: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.3 * torch.randn(batch, 1, frames * RATIO, generator=g)


def _latent(frames: int, seed: int = 0, batch: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, DIMS, frames, generator=g)


def test_export_interface(scripted):
    assert scripted.sr == SR
    assert scripted.encode_params.dtype == torch.int64
    assert scripted.encode_params.tolist() == [1, 1, DIMS, RATIO]
    assert scripted.decode_params.tolist() == [DIMS, RATIO, 1, 1]
    assert scripted.forward_params.tolist() == [1, 1, 1, 1]
    for name in ("encode", "decode", "forward", "reset"):
        assert hasattr(scripted, name)


def test_shapes(scripted):
    with torch.no_grad():
        z = scripted.encode(_audio(5, batch=2))
        assert z.shape == (2, DIMS, 5)
        scripted.reset()
        y = scripted.decode(z)
        assert y.shape == (2, 1, 5 * RATIO)
        scripted.reset()
        assert scripted.forward(_audio(3)).shape == (1, 1, 3 * RATIO)
        scripted.reset()


def test_encode_pads_a_partial_frame(model):
    x = _audio(4)
    with torch.no_grad():
        whole = model.encode(x)
        cut = model.encode(x[..., : 3 * RATIO + 100])
    assert cut.shape == (1, DIMS, 4)
    torch.testing.assert_close(cut[..., :3], whole[..., :3])


def test_encode_in_blocks_equals_whole(model):
    x = _audio(9, seed=1)
    with torch.no_grad():
        whole = model.encode(x)
        blocks = torch.cat([model.encode(x[..., i * RATIO:(i + 4) * RATIO])
                            for i in range(0, 9, 4)], dim=-1)
    torch.testing.assert_close(blocks, whole)


@pytest.mark.parametrize("chunk", [1, 3, 4])
def test_chunked_decode_equals_whole(scripted, chunk):
    z = _latent(13, seed=2)
    fresh = copy.deepcopy(scripted)
    with torch.no_grad():
        whole = copy.deepcopy(fresh).decode(z)
        stream = copy.deepcopy(fresh)
        parts = torch.cat([stream.decode(z[..., i:i + chunk]) for i in range(0, 13, chunk)], -1)
    torch.testing.assert_close(parts, whole, atol=1e-6, rtol=1e-5)
    assert whole.abs().max() > 0


def test_decode_is_deterministic_and_reset_restarts(scripted):
    z = _latent(6, seed=4)
    with torch.no_grad():
        scripted.reset()
        a = scripted.decode(z)
        b = scripted.decode(z)  # continues the voice: other phases, other output
        scripted.reset()
        c = scripted.decode(z)
    torch.testing.assert_close(a, c, atol=0, rtol=0)
    assert not torch.allclose(a, b)


def test_deepcopy_has_its_own_state(scripted):
    scripted.reset()
    z = _latent(4, seed=5)
    with torch.no_grad():
        first = copy.deepcopy(scripted)
        a = first.decode(z)
        first.decode(z)
        second = copy.deepcopy(scripted)  # the original was never advanced
        b = second.decode(z)
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_batch_size_change_starts_fresh(model):
    z = _latent(3, seed=6, batch=2)
    with torch.no_grad():
        model.reset()
        model.decode(z[:1])
        model.reset()
        ref = model.decode(z)
        model.reset()
        model.decode(z[:1])
        model.hop_index.zero_()
        other = model.decode(z)
        model.reset()
    torch.testing.assert_close(other, ref, atol=0, rtol=0)


def test_decoder_is_causal(model):
    z = _latent(10, seed=7)
    z2 = z.clone()
    z2[..., 6:] += 3.0
    with torch.no_grad():
        model.reset()
        a = model.decode(z)
        model.reset()
        b = model.decode(z2)
        model.reset()
    torch.testing.assert_close(a[..., : 6 * RATIO], b[..., : 6 * RATIO], atol=0, rtol=0)
    assert not torch.allclose(a[..., 6 * RATIO:], b[..., 6 * RATIO:])


def test_fold_latent_pca_keeps_the_output_and_orders_the_axes():
    model = build_tiny_rave(seed=8)
    x = _audio(12, seed=8, batch=3)
    with torch.no_grad():
        model.reset()
        before = model(x)
        lat = model.encode(x).transpose(1, 2).reshape(-1, DIMS)
        var = fold_latent_pca(model, lat)
        model.reset()
        after = model(x)
        rotated = model.encode(x).transpose(1, 2).reshape(-1, DIMS)
    assert bool(torch.all(var[:-1] >= var[1:]))
    cov = torch.cov(rotated.T)
    off = cov - torch.diag(torch.diag(cov))
    assert off.abs().max() < 1e-3 * cov.diag().max()
    torch.testing.assert_close(rotated.mean(0), torch.zeros(DIMS), atol=1e-4, rtol=0)
    # Beyond the receptive field of the zero-padded start the output is unchanged.
    torch.testing.assert_close(after[..., 8 * RATIO:], before[..., 8 * RATIO:],
                               atol=1e-5, rtol=1e-4)


def test_mel_bands_are_normalised():
    m = mel_bands(2048, 96)
    assert m.shape == (1025, 96)
    torch.testing.assert_close(m.sum(0), torch.ones(96))
    assert bool(torch.all(m >= 0))


def test_noise_rows_and_phase_table_are_fixed_and_spread():
    t = torch.arange(100, 4196)
    rows = noise_rows(t, 128)
    torch.testing.assert_close(rows, noise_rows(t, 128), atol=0, rtol=0)
    torch.testing.assert_close(noise_rows(t[7:9], 128), rows[7:9], atol=0, rtol=0)
    counts = torch.bincount(rows, minlength=128)
    assert counts.min() > 10 and counts.max() < 60  # 32 expected per row
    assert float((rows[1:] == rows[:-1]).float().mean()) < 0.05
    table = phase_table(128, NOISE_BINS)
    torch.testing.assert_close(table, phase_table(128, NOISE_BINS), atol=0, rtol=0)
    assert table.min() >= 0 and table.max() < 2 * np.pi
    assert abs(float(torch.cos(table).mean())) < 0.02


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.01, 2.0))
def test_mrstft_distance_properties(seed, scale):
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(2, 4096, generator=g)
    y = scale * torch.randn(2, 4096, generator=g)
    assert float(mrstft_distance(x, x)) == pytest.approx(0.0, abs=1e-6)
    assert float(mrstft_distance(x, y)) > 0.1
    assert float(mrstft_distance(torch.zeros_like(y), y)) > float(mrstft_distance(0.9 * y, y))


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_soft_limit_is_bounded_monotonic_and_identity_below_the_knee(values):
    x = torch.tensor(sorted(values), dtype=torch.float64)
    y = soft_limit(x)
    assert bool(torch.all(y.abs() <= 1.0))
    assert bool(torch.all(y[1:] >= y[:-1]))
    small = x.abs() <= 0.5
    torch.testing.assert_close(y[small], x[small], atol=0, rtol=0)
    torch.testing.assert_close(soft_limit(-x), -y)


def test_latent_bounds_clamp_the_decoder_input():
    model = build_tiny_rave(seed=9)
    lat = torch.tensor([[1.0, -2.0] + [0.5] * (DIMS - 2), [-0.5, 1.0] + [0.1] * (DIMS - 2)])
    bound = set_latent_bounds(model, lat, margin=2.0)
    torch.testing.assert_close(bound, torch.tensor([2.0, 4.0] + [1.0] * (DIMS - 2)))
    z = _latent(5, seed=9)
    z_far = z.clone()
    z_far[:, 0] = 50.0 * torch.sign(z[:, 0])
    z_edge = z.clone()
    z_edge[:, 0] = 2.0 * torch.sign(z[:, 0])
    z_in = z.clamp(-0.9, 0.9)
    with torch.no_grad():
        outs = []
        for zz in (z_far, z_edge, z_in):
            model.reset()
            outs.append(model.decode(zz))
    torch.testing.assert_close(outs[0], outs[1], atol=0, rtol=0)
    model.reset()
    model.latent_bound.fill_(1e4)
    with torch.no_grad():
        torch.testing.assert_close(model.decode(z_in), outs[2], atol=0, rtol=0)
