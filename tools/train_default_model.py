"""Train the embedded default model on audio this script synthesizes, and export it.

    .venv/bin/python tools/train_default_model.py --seed 0 --steps 4000 \
        -o unravel_lang/models/default.ts

The training audio is made here, from a seed: drum hits (kicks, snares, toms, claps,
closed and open hats), pitched notes (plucks, tones with harmonics and vibrato) and noise
textures, mixed into short clips. Nothing is downloaded. The same seed and number of
steps give the same model (with the same torch build and thread count).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from unravel_lang.tinyrave import (  # noqa: E402
    RATIO,
    SR,
    build_tiny_rave,
    export,
    fold_latent_pca,
    mrstft_distance,
    set_latent_bounds,
)

# --------------------------------------------------------------------- sounds


def _env(n: int, tau: float, attack: float = 0.001) -> np.ndarray:
    """Exponential decay with a short linear attack, ``n`` samples."""
    t = np.arange(n) / SR
    return np.minimum(t / attack, 1.0) * np.exp(-t / tau)


def _shaped_noise(rng: np.random.Generator, n: int, kind: str, fc: float,
                  width: float = 1.0) -> np.ndarray:
    """White noise filtered in the frequency domain: 'band', 'high' or 'low' around ``fc``."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 1.0)
    x = np.log2(f / fc)
    if kind == "band":
        gain = np.exp(-0.5 * (x / width) ** 2)
    elif kind == "high":
        gain = 1.0 / (1.0 + np.exp(-4.0 * x / width))
    else:
        gain = 1.0 / (1.0 + np.exp(4.0 * x / width))
    out = np.fft.irfft(spec * gain, n)
    return out / (np.abs(out).max() + 1e-9)


def kick(rng: np.random.Generator) -> np.ndarray:
    """A pitch-swept sine with a click."""
    n = int(SR * rng.uniform(0.25, 0.6))
    t = np.arange(n) / SR
    f0, f1 = rng.uniform(90, 250), rng.uniform(38, 70)
    freq = f1 + (f0 - f1) * np.exp(-t / rng.uniform(0.015, 0.06))
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * _env(n, rng.uniform(0.08, 0.35))
    click = _shaped_noise(rng, n, "band", rng.uniform(1500, 5000)) * _env(n, 0.003)
    return body + rng.uniform(0.05, 0.4) * click


def tom(rng: np.random.Generator) -> np.ndarray:
    """A short pitched drum."""
    n = int(SR * rng.uniform(0.2, 0.5))
    t = np.arange(n) / SR
    f1 = rng.uniform(80, 260)
    freq = f1 * (1 + 0.5 * np.exp(-t / 0.03))
    return np.sin(2 * np.pi * np.cumsum(freq) / SR) * _env(n, rng.uniform(0.08, 0.25))


def snare(rng: np.random.Generator) -> np.ndarray:
    """A decaying tone plus band-passed noise."""
    n = int(SR * rng.uniform(0.15, 0.4))
    t = np.arange(n) / SR
    tone = np.sin(2 * np.pi * rng.uniform(150, 260) * t) * _env(n, rng.uniform(0.03, 0.08))
    noise = _shaped_noise(rng, n, "band", rng.uniform(1500, 6000), rng.uniform(1.0, 2.5))
    return rng.uniform(0.2, 0.8) * tone + noise * _env(n, rng.uniform(0.05, 0.2))


def clap(rng: np.random.Generator) -> np.ndarray:
    """Three to four quick noise bursts and a tail."""
    n = int(SR * 0.3)
    noise = _shaped_noise(rng, n, "band", rng.uniform(900, 2500), 0.8)
    env = np.zeros(n)
    for i in range(int(rng.integers(3, 5))):
        start = int(SR * 0.009 * i)
        env[start:] += _env(n - start, 0.006 if i < 3 else rng.uniform(0.05, 0.12))
    return noise * env


def hat(rng: np.random.Generator) -> np.ndarray:
    """High-passed noise, optionally metallic (inharmonic squares), closed or open."""
    is_open = rng.random() < 0.3
    n = int(SR * (0.5 if is_open else 0.12))
    tau = rng.uniform(0.12, 0.35) if is_open else rng.uniform(0.01, 0.04)
    src = _shaped_noise(rng, n, "high", rng.uniform(5000, 10000), 0.5)
    if rng.random() < 0.5:
        t = np.arange(n) / SR
        base = rng.uniform(300, 600)
        metal = sum(np.sign(np.sin(2 * np.pi * base * r * t)) for r in
                    (1.0, 1.48, 1.65, 2.23, 2.74, 3.35))
        spec = np.fft.rfft(metal)
        f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 1.0)
        metal = np.fft.irfft(spec / (1 + np.exp(-4 * np.log2(f / 7000))), n)
        src = 0.5 * src + metal / (np.abs(metal).max() + 1e-9)
    return src * _env(n, tau, 0.0005)


def note(rng: np.random.Generator, length: float) -> np.ndarray:
    """A pluck (decaying harmonics) or a held tone (ADSR, optional vibrato)."""
    n = int(SR * length)
    t = np.arange(n) / SR
    f0 = 440.0 * 2 ** ((rng.integers(33, 90) - 69) / 12)
    kind = rng.choice(["pluck", "saw", "square", "sine"])
    k_max = max(1, min(40, int(16000 / f0)))
    ks = np.arange(1, k_max + 1)
    if kind == "sine":
        amps = np.exp(-ks * 3.0)
    elif kind == "square":
        amps = np.where(ks % 2 == 1, 1.0 / ks, 0.0)
    else:
        amps = 1.0 / ks ** rng.uniform(0.8, 1.6)
    vib = 1 + rng.uniform(0, 0.006) * np.sin(2 * np.pi * rng.uniform(4, 7) * t)
    phase = 2 * np.pi * np.cumsum(f0 * vib) / SR
    out = np.zeros(n)
    tau = rng.uniform(0.15, 0.8)
    for k, a in zip(ks, amps, strict=True):
        if a < 1e-3:
            continue
        h = a * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
        if kind == "pluck":
            h *= _env(n, tau / (1 + 0.15 * k), 0.002)
        out += h
    if kind != "pluck":
        a, r = int(SR * rng.uniform(0.005, 0.08)), int(SR * rng.uniform(0.02, 0.2))
        env = np.ones(n)
        env[:a] = np.linspace(0, 1, a)
        r = min(r, n)
        env[n - r:] *= np.linspace(1, 0, r)
        out *= env * rng.uniform(0.5, 1.0)
    return out / (np.abs(out).max() + 1e-9)


def texture(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise whose filter and level drift over ``n`` samples."""
    a = _shaped_noise(rng, n, str(rng.choice(["band", "high", "low"])),
                      rng.uniform(200, 8000), rng.uniform(0.5, 2.5))
    b = _shaped_noise(rng, n, str(rng.choice(["band", "high", "low"])),
                      rng.uniform(200, 8000), rng.uniform(0.5, 2.5))
    x = np.linspace(0, 1, n) ** rng.uniform(0.5, 2)
    t = np.arange(n) / SR
    lfo = 1 + rng.uniform(0, 0.8) * np.sin(2 * np.pi * rng.uniform(0.2, 6) * t)
    return ((1 - x) * a + x * b) * lfo


DRUMS = (kick, snare, hat, hat, clap, tom)


def _place(out: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    end = min(len(out), start + len(sound))
    if end > start:
        out[start:end] += gain * sound[:end - start]


LAYERS = ("drums", "notes", "textures")


def synth_clip(rng: np.random.Generator, n: int,
               only: str | None = None) -> np.ndarray:
    """One clip of ``n`` samples (float32, peak 0.2..0.95) mixing drums, notes and noise.

    ``only`` (one of `LAYERS`) restricts the clip to that kind of sound.
    """
    out = np.zeros(n)
    layers = [rng.random() < 0.65, rng.random() < 0.5, rng.random() < 0.25]
    if only is not None:
        layers = [name == only for name in LAYERS]
    if not any(layers):
        layers[int(rng.integers(0, 3))] = True
    if layers[0]:
        step = int(SR * 60 / rng.uniform(80, 180) / rng.choice([2, 4]))
        starts = np.arange(int(rng.integers(0, step)), n, step)
        hits = starts[rng.random(len(starts)) < 0.6]
        if len(hits) == 0:
            hits = rng.choice(starts, 1)
        for t in hits:
            drum = DRUMS[int(rng.integers(0, len(DRUMS)))]
            _place(out, drum(rng), int(t), rng.uniform(0.3, 1.0))
    if layers[1]:
        t = int(rng.integers(0, n // 2))
        while t < n:
            length = rng.uniform(0.08, 0.9)
            _place(out, note(rng, length), t, rng.uniform(0.2, 0.8))
            t += int(SR * length * rng.uniform(0.5, 1.5))
    if layers[2]:
        out += rng.uniform(0.05, 0.5) * texture(rng, n)
    out = out / (np.abs(out).max() + 1e-9) * rng.uniform(0.2, 0.95)
    return out.astype(np.float32)


def synth_dataset(seed: int, clips: int, frames: int, only: str | None = None) -> np.ndarray:
    """``clips`` synthesized clips of ``frames * RATIO`` samples: (clips, samples) float32."""
    rng = np.random.default_rng(seed)
    return np.stack([synth_clip(rng, frames * RATIO, only) for _ in range(clips)])


# ------------------------------------------------------------------- training


def train(seed: int, minutes: float, max_steps: int, clips: int, frames: int, batch: int,
          lr: float, log_every: int) -> torch.nn.Module:
    """Train a `TinyRave` (seeded) for ``max_steps`` steps; ``minutes`` is a safety limit."""
    t0 = time.time()
    data = torch.from_numpy(synth_dataset(seed, clips, frames))
    print(f"synthesized {clips} clips of {frames} frames in {time.time() - t0:.1f} s", flush=True)
    torch.manual_seed(seed)
    model = build_tiny_rave(seed)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    step = 0
    smooth = None
    while step < max_steps:
        if time.time() - t0 > minutes * 60:
            print(f"stopped by the {minutes} minute limit (not reproducible)", flush=True)
            break
        for g in opt.param_groups:  # cosine decay to 5 %
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / max_steps)))
        idx = torch.randint(0, data.shape[0], (batch,), generator=gen)
        x = data[idx].unsqueeze(1)
        gains = torch.exp(torch.empty(batch, 1, 1).uniform_(-2.0, 0.3, generator=gen))
        x = x * gains
        z = model.encode(x)
        z_noisy = z + 0.1 * torch.randn(z.shape, generator=gen)
        model.reset()
        model.hop_index = torch.randint(0, 1 << 30, (1,), generator=gen)
        y = model.decode(z_noisy)
        rec = mrstft_distance(y, x)
        loss = rec + 1e-2 * (z ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        smooth = rec.item() if smooth is None else 0.98 * smooth + 0.02 * rec.item()
        step += 1
        if step % log_every == 0:
            print(f"step {step:6d}  {time.time() - t0:7.1f} s  mrstft {smooth:.4f}  "
                  f"z std {z.std().item():.3f}", flush=True)
    print(f"trained {step} steps in {time.time() - t0:.1f} s", flush=True)
    model.eval()
    model.reset()
    with torch.no_grad():
        lat = model.encode(data[: min(256, clips)].unsqueeze(1)).transpose(1, 2).reshape(-1, 8)
        var = fold_latent_pca(model, lat)
        lat = model.encode(data[: min(256, clips)].unsqueeze(1)).transpose(1, 2).reshape(-1, 8)
        bound = set_latent_bounds(model, lat)
    print("latent variances (principal axes):", " ".join(f"{v:.3f}" for v in var.tolist()))
    print("latent bounds:", " ".join(f"{v:.2f}" for v in bound.tolist()))
    return model


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=4000, help="optimizer steps")
    p.add_argument("--minutes", type=float, default=60.0,
                   help="stop early after this many minutes (the result then depends on speed)")
    p.add_argument("--clips", type=int, default=1500)
    p.add_argument("--frames", type=int, default=12, help="latent frames per clip")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--checkpoint", default=None,
                   help="also save the trained weights (state dict) here before exporting")
    p.add_argument("-o", "--output", default=str(ROOT / "unravel_lang" / "models" / "default.ts"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = train(args.seed, args.minutes, args.steps, args.clips, args.frames, args.batch,
                  args.lr, args.log_every)
    if args.checkpoint:
        torch.save(model.state_dict(), args.checkpoint)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    export(model, str(tmp))
    tmp.replace(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
