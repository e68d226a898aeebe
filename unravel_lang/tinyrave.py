"""The small RAVE-shaped architecture of the embedded default model.

`TinyRave` has the interface of a RAVE TorchScript export: ``encode(x)`` maps audio
``(batch, 1, samples)`` to a latent ``(batch, dims, samples // ratio)``, ``decode(z)``
maps it back to ``(batch, 1, frames * ratio)``, ``forward`` does both, the buffers
``encode_params`` / ``decode_params`` / ``forward_params`` and the attribute ``sr`` are
laid out as ``rave export`` lays them out.

Encoder: frame-local. Each 2048-sample frame is analysed by a 2048-point spectrum pooled
into mel-spaced bands and eight 256-sample sub-block spectra (the envelope inside the
frame), then an MLP maps the log band energies to ``dims`` values. No state: encoding
blocks of whole frames one after another equals encoding all at once.

Decoder: streaming. Causal convolutions over latent frames (their input history is
cached in the module), an upsampling layer to eight hops per frame, a causal convolution
over hops, then per hop two magnitude spectra: a *noise* part (512-point frames) with
pseudo-random phases and a *tonal* part (1024-point frames) with phases that advance
coherently from hop to hop. Both phases are pure functions of the absolute hop index,
which the module counts, so decoding is deterministic and decoding a latent in chunks
through one instance equals decoding it whole. Hops are windowed and overlap-added; the
overlapping part is cached for the next call. ``reset()`` clears every cache and the hop
counter. Latents are clamped per dim to a range set from typical encodings, and the
output passes a soft limiter (identity up to ±0.5, never beyond ±1), so unusual latents
cannot blow up.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812

SR = 44100
RATIO = 2048
DIMS = 8
HOP = 256
NOISE_FFT = 2 * HOP
NOISE_BINS = NOISE_FFT // 2 + 1
TONE_FFT = 4 * HOP
TONE_BINS = TONE_FFT // 2 + 1
HOPS_PER_FRAME = RATIO // HOP
PHASE_PERIOD = 1 << 16
NOISE_ROWS = 128


def mel_bands(n_fft: int, n_bands: int, sr: int = SR, fmin: float = 20.0) -> Tensor:
    """Triangular mel-spaced pooling matrix ``(n_fft // 2 + 1, n_bands)``; columns sum to 1."""
    n_bins = n_fft // 2 + 1
    freqs = torch.linspace(0.0, sr / 2, n_bins, dtype=torch.float64)

    def mel(f: Tensor) -> Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    edges_mel = torch.linspace(float(mel(torch.tensor(fmin))), float(mel(torch.tensor(sr / 2))),
                               n_bands + 2, dtype=torch.float64)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    bin_width = sr / n_fft
    mat = torch.zeros(n_bins, n_bands, dtype=torch.float64)
    for b in range(n_bands):
        lo, mid, hi = float(edges[b]), float(edges[b + 1]), float(edges[b + 2])
        # Never narrower than one bin, so low bands are not empty.
        lo, hi = min(lo, mid - bin_width), max(hi, mid + bin_width)
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        mat[:, b] = torch.clamp(torch.minimum(up, down), min=0.0)
    mat = mat / mat.sum(dim=0, keepdim=True)
    return mat.float()


def _hash32(h: Tensor) -> Tensor:
    """A 32-bit integer mixing hash on int64 tensors (values stay below 2**32)."""
    h = h & 0xFFFFFFFF
    h = ((h ^ (h >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    h = ((h ^ (h >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    return h ^ (h >> 16)


def noise_rows(hops: Tensor, rows: int) -> Tensor:
    """Pseudo-random row indices in [0, rows) for absolute hop indices ``hops`` (int64)."""
    return _hash32(hops * 0x3C6EF35F + 0x5BD1E995) % rows


def phase_table(rows: int, bins: int, seed: int = 0x1F123BB5) -> Tensor:
    """``rows`` fixed rows of pseudo-random phases in [0, 2π): (rows, bins) float32."""
    i = torch.arange(rows * bins, dtype=torch.int64) + seed
    return (_hash32(_hash32(i)).to(torch.float64) * (2.0 * math.pi / 4294967296.0)) \
        .reshape(rows, bins).float()


class CachedConv1d(nn.Module):
    """A causal 1-d convolution that keeps the last ``kernel_size - 1`` input steps.

    Called with the cache empty (or of another batch size) it pads with zeros, so a fresh
    module decodes a whole array exactly as consecutive chunks are decoded.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size)
        self.pad = kernel_size - 1
        self.register_buffer("cache", torch.zeros(0), persistent=False)

    def reset(self) -> None:
        """Forget the input history."""
        self.cache = torch.zeros(0)

    def forward(self, x: Tensor) -> Tensor:
        """(batch, in_ch, steps) -> (batch, out_ch, steps)."""
        cache = self.cache
        if cache.dim() != 3 or cache.shape[0] != x.shape[0]:
            cache = torch.zeros(x.shape[0], x.shape[1], self.pad, dtype=x.dtype, device=x.device)
        xx = torch.cat([cache, x], dim=-1)
        self.cache = xx[..., xx.shape[-1] - self.pad:].detach()
        return self.conv(xx)


class TinyRave(nn.Module):
    """A small autoencoder with the RAVE export interface (see the module docstring)."""

    def __init__(self, dims: int = DIMS, hidden: int = 192, hop_channels: int = 96,
                 coarse_bands: int = 96, fine_bands: int = 32) -> None:
        super().__init__()
        self.sr = SR
        self.ratio = RATIO
        self.dims = dims
        self.hop = HOP
        self.noise_fft = NOISE_FFT
        self.noise_bins = NOISE_BINS
        self.tone_fft = TONE_FFT
        self.tone_bins = TONE_BINS
        self.hops_per_frame = HOPS_PER_FRAME
        self.phase_period = PHASE_PERIOD
        self.register_buffer("encode_params", torch.tensor([1, 1, dims, RATIO]))
        self.register_buffer("decode_params", torch.tensor([dims, RATIO, 1, 1]))
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        # analysis
        self.register_buffer("coarse_window", torch.hann_window(RATIO))
        self.register_buffer("fine_window", torch.hann_window(HOP))
        self.register_buffer("coarse_bands", mel_bands(RATIO, coarse_bands))
        self.register_buffer("fine_bands", mel_bands(HOP, fine_bands))
        n_feat = coarse_bands + HOPS_PER_FRAME * fine_bands
        self.encoder = nn.Sequential(
            nn.Linear(n_feat, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, dims),
        )
        # synthesis
        self.hop_channels = hop_channels
        self.frame_net = nn.ModuleList([
            CachedConv1d(dims, hidden, 3),
            CachedConv1d(hidden, hidden, 3),
            CachedConv1d(hidden, hidden, 3),
        ])
        self.upsample = nn.Linear(hidden, HOPS_PER_FRAME * hop_channels)
        self.hop_net = CachedConv1d(hop_channels, hop_channels, 3)
        self.to_mags = nn.Linear(hop_channels, NOISE_BINS + TONE_BINS)
        with torch.no_grad():
            self.to_mags.bias.fill_(-4.0)
        self.register_buffer("noise_window", F.pad(torch.hann_window(NOISE_FFT),
                                                   [0, TONE_FFT - NOISE_FFT]))
        self.register_buffer("tone_window", torch.hann_window(TONE_FFT))
        k = torch.arange(TONE_BINS, dtype=torch.int64)
        # Per bin: a start phase and a frequency offset of up to ±1/4 bin (exact integers
        # modulo PHASE_PERIOD), so the tonal part is not periodic in the window length.
        per_bin = PHASE_PERIOD * HOP // TONE_FFT
        h = _hash32(k * 0x2545F491 + 0x68E31DA4)
        offset = (h % (per_bin // 2)) - per_bin // 4
        self.register_buffer("tone_step", (k * per_bin + offset) % PHASE_PERIOD)
        self.register_buffer("tone_phase0", _hash32(h).to(torch.float32)
                             * (2.0 * math.pi / 4294967296.0))
        noise = phase_table(NOISE_ROWS, NOISE_BINS)
        self.register_buffer("noise_cos", torch.cos(noise))
        self.register_buffer("noise_sin", torch.sin(noise))
        self.register_buffer("hop_index", torch.zeros(1, dtype=torch.int64), persistent=False)
        self.register_buffer("tail", torch.zeros(0), persistent=False)
        # Per-dim limits the decoder clamps latents to (set from typical encodings).
        self.register_buffer("latent_bound", torch.full((dims,), 1e4))

    # ----------------------------------------------------------------- state
    @torch.jit.export
    def reset(self) -> None:
        """Clear the streaming state: convolution caches, overlap tail and hop counter."""
        for layer in self.frame_net:
            layer.reset()
        self.hop_net.reset()
        self.hop_index = torch.zeros(1, dtype=torch.int64)
        self.tail = torch.zeros(0)

    # ---------------------------------------------------------------- encode
    def features(self, x: Tensor) -> Tensor:
        """Audio (batch, 1, samples) -> log band energies (batch, frames, n_feat)."""
        b = x.shape[0]
        n = x.shape[-1]
        frames = (n + self.ratio - 1) // self.ratio
        x = F.pad(x.reshape(b, n), [0, frames * self.ratio - n])
        fr = x.reshape(b, frames, self.ratio)
        coarse = torch.fft.rfft(fr * self.coarse_window).abs() @ self.coarse_bands
        sub = fr.reshape(b, frames, self.hops_per_frame, self.hop)
        fine = torch.fft.rfft(sub * self.fine_window).abs() @ self.fine_bands
        fine = fine.reshape(b, frames, -1)
        return torch.cat([torch.log(coarse + 1e-4), torch.log(fine + 1e-4)], dim=-1)

    @torch.jit.export
    def encode(self, x: Tensor) -> Tensor:
        """Audio (batch, 1, samples) -> latent (batch, dims, ceil(samples / ratio)).

        A last partial frame is zero-padded.
        """
        return self.encoder(self.features(x)).transpose(1, 2)

    # ---------------------------------------------------------------- decode
    def magnitudes(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Latent (batch, dims, frames) -> noise and tone magnitudes; streams.

        Shapes (batch, frames * 8, NOISE_BINS) and (batch, frames * 8, TONE_BINS), in units
        that make a full-scale sinusoid after the overlap-add.
        """
        h = torch.maximum(torch.minimum(z, self.latent_bound[:, None]),
                          -self.latent_bound[:, None])
        for layer in self.frame_net:
            h = F.leaky_relu(layer(h), 0.2)
        b, _, frames = h.shape
        u = self.upsample(h.transpose(1, 2))
        u = u.reshape(b, frames * self.hops_per_frame, self.hop_channels).transpose(1, 2)
        u = F.leaky_relu(u, 0.2)
        u = F.leaky_relu(self.hop_net(u), 0.2).transpose(1, 2)
        # DDSP's scaled sigmoid
        m = 2.0 * torch.exp(math.log(10.0) * F.logsigmoid(self.to_mags(u))) + 1e-7
        # Hann windows overlap-added at hop n/2 sum to 1, at hop n/4 to 2.
        noise = m[..., :self.noise_bins] * (self.noise_fft / 2)
        tone = m[..., self.noise_bins:] * (self.tone_fft / 4)
        return noise, tone

    def synthesize(self, noise: Tensor, tone: Tensor) -> Tensor:
        """Magnitudes from `magnitudes` -> audio (batch, hops * self.hop); streams."""
        b, hops = noise.shape[0], noise.shape[1]
        t = self.hop_index + torch.arange(hops, dtype=torch.int64, device=noise.device)
        self.hop_index = self.hop_index + hops
        rows = noise_rows(t, self.noise_cos.shape[0])
        period = self.phase_period
        steps = ((t % period).unsqueeze(1) * self.tone_step.unsqueeze(0)) % period
        tone_ph = self.tone_phase0 + steps.to(torch.float32) * (2.0 * math.pi / period)
        # Noise: each hop takes one of a fixed set of random-phase rows, picked by its index.
        spec = torch.complex(noise * self.noise_cos[rows], noise * self.noise_sin[rows])
        frames = torch.fft.irfft(spec, n=self.noise_fft)
        frames = F.pad(frames, [0, self.tone_fft - self.noise_fft]) * self.noise_window
        spec = torch.complex(tone * torch.cos(tone_ph), tone * torch.sin(tone_ph))
        frames = frames + torch.fft.irfft(spec, n=self.tone_fft) * self.tone_window
        # Overlap-add: frame j starts at sample j * hop; the part past this call's end is
        # kept and added to the next call's start.
        n, overlap = self.tone_fft, self.tone_fft - self.hop
        out = F.fold(frames.transpose(1, 2), output_size=(1, (hops - 1) * self.hop + n),
                     kernel_size=(1, n), stride=(1, self.hop)).reshape(b, -1)
        tail = self.tail
        if tail.dim() != 2 or tail.shape[0] != b:
            tail = torch.zeros(b, overlap, dtype=noise.dtype, device=noise.device)
        out = torch.cat([out[:, :overlap] + tail, out[:, overlap:]], dim=1)
        self.tail = out[:, hops * self.hop:].detach()
        return out[:, :hops * self.hop]

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        """Latent (batch, dims, frames) -> audio (batch, 1, frames * ratio).

        Streaming: consecutive calls continue one voice; ``reset()`` starts a new one.
        """
        noise, tone = self.magnitudes(z)
        return soft_limit(self.synthesize(noise, tone)).unsqueeze(1)

    def forward(self, x: Tensor) -> Tensor:
        """Audio (batch, 1, samples) -> reconstructed audio (batch, 1, frames * ratio)."""
        return self.decode(self.encode(x))


def build_tiny_rave(seed: int = 0, dims: int = DIMS) -> TinyRave:
    """A `TinyRave` with weights initialised from ``seed`` (untrained)."""
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = TinyRave(dims=dims)
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()


def soft_limit(y: Tensor, knee: float = 0.5) -> Tensor:
    """Identity for |y| <= knee, then a smooth (C1) tanh curve towards ±1: |output| < 1."""
    a = y.abs()
    over = knee + (1.0 - knee) * torch.tanh((a - knee) / (1.0 - knee))
    return torch.where(a > knee, torch.sign(y) * over, y)


def set_latent_bounds(model: TinyRave, latents: Tensor, margin: float = 1.5) -> Tensor:
    """Make the decoder clamp dim d to ±``margin`` × max |latents[:, d]|; returns the bounds.

    ``latents`` (n, dims) are encodings of typical audio. Values far outside what the
    decoder was trained on would otherwise make it blow up.
    """
    with torch.no_grad():
        bound = latents.abs().amax(dim=0) * margin
        model.latent_bound.copy_(bound)
    return bound


def fold_latent_pca(model: TinyRave, latents: Tensor) -> Tensor:
    """Rotate the latent space to its principal axes, in place; returns the variances.

    ``latents`` (n, dims) are encodings of typical audio. The encoder's last layer is
    changed to output ``Rᵀ (z - mean)`` and the decoder's first layer to take it, so the
    model's output for a given audio input is unchanged while latent dim 0 carries the
    most variance, dim 1 the next, and so on (as RAVE exports order their latents).
    """
    with torch.no_grad():
        mean = latents.mean(dim=0)
        cov = torch.cov((latents - mean).T.double())
        var, vec = torch.linalg.eigh(cov)
        order = torch.argsort(var, descending=True)
        rot = vec[:, order].float()
        var = var[order].float()
        # Fix signs so that the largest component of each axis is positive.
        signs = torch.sign(rot[rot.abs().argmax(dim=0), torch.arange(rot.shape[1])])
        rot = rot * signs
        last = model.encoder[-1]
        last.weight.copy_(rot.T @ last.weight)
        last.bias.copy_(rot.T @ (last.bias - mean))
        first = model.frame_net[0].conv
        bias_shift = torch.einsum("ock,c->o", first.weight, mean)
        first.weight.copy_(torch.einsum("ock,ce->oek", first.weight, rot))
        first.bias.copy_(first.bias + bias_shift)
    return var


def mrstft_distance(x: Tensor, y: Tensor,
                    ffts: tuple[int, ...] = (2048, 1024, 512, 256, 128)) -> Tensor:
    """Multi-resolution STFT distance between audio batches ``x`` and ``y`` (..., samples).

    Mean over resolutions of spectral convergence plus mean absolute log-magnitude
    difference (Hann windows, hop = n_fft / 4). 0 for identical signals.
    """
    x = x.reshape(-1, x.shape[-1])
    y = y.reshape(-1, y.shape[-1])
    total = x.new_zeros(())
    for n in ffts:
        win = torch.hann_window(n, device=x.device, dtype=x.dtype)
        sx = torch.stft(x, n, n // 4, window=win, return_complex=True).abs()
        sy = torch.stft(y, n, n // 4, window=win, return_complex=True).abs()
        sc = torch.linalg.norm(sx - sy) / (torch.linalg.norm(sy) + 1e-7)
        lm = (torch.log(sx + 1e-5) - torch.log(sy + 1e-5)).abs().mean()
        total = total + sc + lm
    return total / len(ffts)


def export(model: TinyRave, path: str) -> None:
    """Script ``model`` (state reset) and save it as a TorchScript file at ``path``."""
    model = model.eval()
    model.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(model).save(path)
