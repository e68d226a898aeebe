"""Tiny random-weight TorchScript models with the interface of a RAVE export.

They mirror what `rave export` produces, as far as the wrapper can see it:

- methods `encode(x)` `(batch, channels, samples) -> (batch, dims, frames)`,
  `decode(z)` `(batch, dims, frames) -> (batch, channels, samples)` and `forward`;
- buffers `encode_params = [in_channels, 1, dims, ratio]`,
  `decode_params = [dims, ratio, out_channels, 1]`, `forward_params`;
- attributes `sr`, `latent_size`, `full_latent_size`;
- streaming builds keep causal convolution caches in buffers named `*.cache.pad` (as
  cached_conv does), so consecutive calls continue one signal; non-streaming builds pad
  with zeros on every call; with `rows > 1` each cache holds `rows` batch rows and a call
  of batch b uses the first b (as cached_conv's `MAX_BATCH_SIZE` caches do);
- a variational build (`noise_dims > 0`) returns only the first `dims` latent dims from
  `encode` and fills the others with `torch.randn` noise in `decode`.

The decoder is: 1x1 conv -> causal conv over 3 frames -> tanh -> `ratio / HOLD` control
values per frame, each held for `HOLD` samples -> causal moving average over `HOLD` samples.
The audio is therefore piecewise linear and continuous (sample steps <= 2 / HOLD): a
missing cache at a chunk boundary shows as a jump. The decoder's receptive field is 3
frames. Building one takes well under a second.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HOLD = 128
HIDDEN = 32


class CachePad(nn.Module):
    """Holds the left context of a causal convolution between calls (streaming builds)."""

    def __init__(self, channels: int, size: int, rows: int = 1) -> None:
        super().__init__()
        self.size = size
        self.rows = rows
        self.register_buffer("pad", torch.zeros(rows, channels, size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rows > 1:
            x = torch.cat([self.pad[: x.shape[0]], x], -1)
            self.pad[: x.shape[0]].copy_(x[..., x.shape[-1] - self.size :])
            return x
        if self.pad.shape[0] != x.shape[0]:
            self.pad = torch.zeros(x.shape[0], x.shape[1], self.size, dtype=x.dtype)
        x = torch.cat([self.pad, x], -1)
        self.pad = x[..., x.shape[-1] - self.size :].clone()
        return x


class ZeroPad(nn.Module):
    """Left zero padding on every call (non-streaming builds): no state."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (self.size, 0))


class CachedConv1d(nn.Module):
    """A causal Conv1d: `(b, cin, t) -> (b, cout, t)`, cached across calls when streaming."""

    def __init__(self, cin: int, cout: int, kernel: int, streaming: bool, rows: int = 1) -> None:
        super().__init__()
        self.cache = CachePad(cin, kernel - 1, rows) if streaming else ZeroPad(kernel - 1)
        self.conv = nn.Conv1d(cin, cout, kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.cache(x))


class RaveShaped(nn.Module):
    """A RAVE-shaped autoencoder with random weights (see the module docstring)."""

    def __init__(
        self,
        sr: int = 44100,
        ratio: int = 2048,
        dims: int = 8,
        noise_dims: int = 0,
        channels: int = 1,
        streaming: bool = True,
        params: bool = True,
        rows: int = 1,
    ) -> None:
        super().__init__()
        full = dims + noise_dims
        self.sr = sr
        self.ratio = ratio
        self.channels = channels
        self.latent_size = dims
        self.full_latent_size = full
        if params:
            self.register_buffer("encode_params", torch.tensor([channels, 1, dims, ratio]))
            self.register_buffer("decode_params", torch.tensor([dims, ratio, channels, 1]))
            self.register_buffer("forward_params", torch.tensor([channels, 1, channels, 1]))
        self.enc_in = nn.Conv1d(channels * ratio, HIDDEN, 1)
        self.enc_ctx = CachedConv1d(HIDDEN, HIDDEN, 3, streaming, rows)
        self.enc_out = nn.Conv1d(HIDDEN, full, 1)
        self.dec_in = nn.Conv1d(full, HIDDEN, 1)
        self.dec_ctx = CachedConv1d(HIDDEN, HIDDEN, 3, streaming, rows)
        self.hold = HOLD if ratio % HOLD == 0 else ratio
        self.steps = ratio // self.hold
        self.dec_out = nn.Conv1d(HIDDEN, channels * self.steps, 1)
        self.smooth = CachedConv1d(channels, channels, self.hold, streaming, rows)
        with torch.no_grad():
            self.smooth.conv.weight.copy_(torch.eye(channels)[:, :, None] / self.hold)
            self.smooth.conv.bias.zero_()

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        b, c, n = x.shape
        frames = n // self.ratio
        x = x[..., : frames * self.ratio].reshape(b, c, frames, self.ratio)
        x = x.permute(0, 1, 3, 2).reshape(b, c * self.ratio, frames)
        h = torch.tanh(self.enc_in(x * 4.0))
        h = torch.tanh(self.enc_ctx(h))
        z = self.enc_out(h) * 2.0
        return z[:, : self.latent_size]

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[1] < self.full_latent_size:
            noise = torch.randn(z.shape[0], self.full_latent_size - z.shape[1], z.shape[-1])
            z = torch.cat([z, noise], 1)
        h = torch.tanh(self.dec_in(z))
        h = torch.tanh(self.dec_ctx(h))
        w = torch.tanh(self.dec_out(h) * 2.0)
        b, _, frames = w.shape
        w = w.reshape(b, self.channels, self.steps, frames).permute(0, 1, 3, 2)
        w = w.reshape(b, self.channels, frames * self.steps)
        return self.smooth(torch.repeat_interleave(w, self.hold, dim=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def build_test_model(
    path: str | Path,
    *,
    sr: int = 44100,
    ratio: int = 2048,
    dims: int = 8,
    noise_dims: int = 0,
    channels: int = 1,
    streaming: bool = True,
    params: bool = True,
    seed: int = 0,
    rows: int = 1,
) -> Path:
    """Script a `RaveShaped` with weights drawn from `seed` and save it as TorchScript at `path`.

    `params=False` leaves out the `*_params` buffers (as some older exports do); `rows > 1`
    gives batch-row caches (see the module docstring).
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = RaveShaped(sr, ratio, dims, noise_dims, channels, streaming, params,
                            rows).eval()
    return save_scripted(module, path)


def save_scripted(module: nn.Module, path: str | Path) -> Path:
    """Script `module` and save it as TorchScript at `path`; returns the path."""
    path = Path(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # TorchScript's notice
        torch.jit.script(module).save(str(path))
    return path


class NotRave(nn.Module):
    """A valid TorchScript module without `encode` / `decode`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2.0


def build_not_rave(path: str | Path) -> Path:
    """Save a TorchScript module that is not RAVE-like at `path`."""
    return save_scripted(NotRave(), path)


def random_latent(frames: int, seed: int = 0, dims: int = 8) -> np.ndarray:
    """A standard-normal latent array `(frames, dims)` float32, seeded."""
    return np.random.default_rng(seed).standard_normal((frames, dims)).astype(np.float32)


def _closest_code(x: torch.Tensor, embed: torch.Tensor) -> torch.Tensor:
    """Index of the nearest code in `embed` (n_codes, dim) for each frame of x (b, dim, t)."""
    b = x.shape[0]
    flat = x.permute(0, 2, 1).reshape(-1, x.shape[1])
    distance = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ embed.transpose(0, 1)
                + embed.pow(2).sum(1).unsqueeze(0))
    return torch.argmin(distance, -1).reshape(b, -1)


class Quantizer(nn.Module):
    """Residual vector quantizer as a discrete RAVE export holds it: buffer `embed`
    (quantizers, n_codes, dim) and attribute `n_codes`."""

    def __init__(self, embed: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("embed", embed)
        self.n_codes = int(embed.shape[1])

    def residual_quantize(self, x: torch.Tensor) -> torch.Tensor:
        index = []
        for embed in self.embed:
            idx = _closest_code(x, embed)
            x = x - F.embedding(idx, embed).permute(0, 2, 1)
            index.append(idx)
        return torch.stack(index, 1)

    def residual_dequantize(self, index: torch.Tensor) -> torch.Tensor:
        y = torch.zeros(index.shape[0], self.embed.shape[2], index.shape[2])
        for q in range(self.embed.shape[0]):
            y = y + F.embedding(index[:, q], self.embed[q]).permute(0, 2, 1)
        return y


class DiscreteRaveShaped(nn.Module):
    """A discrete RAVE-shaped export: `encode` gives codebook indices (as floats), one per
    quantizer; `decode` clamps its input to 0 .. n_codes - 1, truncates it to whole numbers
    (`.long()`), looks the codes up and decodes their sum, as RAVE's discrete export does."""

    def __init__(self, sr: int = 44100, ratio: int = 1024, quantizers: int = 4,
                 n_codes: int = 16, hidden: int = 8, streaming: bool = True) -> None:
        super().__init__()
        self.sr = sr
        self.inner = RaveShaped(sr, ratio, hidden, 0, 1, streaming, params=False)
        self.register_buffer("encode_params", torch.tensor([1, 1, quantizers, ratio]))
        self.register_buffer("decode_params", torch.tensor([quantizers, ratio, 1, 1]))
        self.quantizer = Quantizer(torch.randn(quantizers, n_codes, hidden))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.quantizer.residual_quantize(self.inner.encode(x)).float()

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        index = torch.clamp(z, 0, self.quantizer.n_codes - 1).long()
        return self.inner.decode(self.quantizer.residual_dequantize(index))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def build_discrete_model(path: str | Path, *, n_codes: int = 16, quantizers: int = 4,
                         seed: int = 0) -> Path:
    """Script a `DiscreteRaveShaped` (ratio 1024, `quantizers` latent dims of indices
    0 .. n_codes - 1) with weights drawn from `seed` and save it at `path`."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = DiscreteRaveShaped(quantizers=quantizers, n_codes=n_codes).eval()
    return save_scripted(module, path)
