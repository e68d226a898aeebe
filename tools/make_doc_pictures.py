"""Regenerate the pictures in docs/img from seeded synthetic audio and the embedded model.

    .venv/bin/python tools/make_doc_pictures.py [--out docs/img] [--seed 7]

Two short clips are synthesized (a plucked bass line with hi-hats, and a slow pad with noise
swells, both at 117.45 BPM), encoded with the embedded default model, and drawn with the
functions of `unravel_lang.plot`. Nothing is downloaded; the same seed writes the same pictures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from unravel_lang.generate import correlated, iqr_uniform, normal, uniform
from unravel_lang.model import RaveModel, load_model
from unravel_lang.plot import plot_compare, plot_latent, plot_pattern, plot_stats
from unravel_lang.stats import stats
from unravel_lang.tempo import bpm_for

SR = 44100
K = 11  # frames per beat: 117.45 BPM at 44100 Hz / 2048


def pluck_clip(model: RaveModel, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A plucked bass line on the beat grid with hi-hats on the off-beats: `(samples,)`."""
    n = int(seconds * SR)
    beat = K * model.ratio / SR
    out = np.zeros(n)
    notes = [55.0, 65.41, 73.42, 49.0]
    for i, start in enumerate(np.arange(0, seconds, beat / 2)):
        s = int(start * SR)
        span = np.arange(n - s) / SR
        if i % 2 == 0:
            f = notes[(i // 8) % len(notes)] * (2 if i % 8 == 6 else 1)
            tone = np.sin(2 * np.pi * f * span) + 0.4 * np.sin(4 * np.pi * f * span)
            out[s:] += 0.5 * tone * np.exp(-span * 6)
        else:
            out[s:] += 0.15 * rng.standard_normal(n - s) * np.exp(-span * 40)
    return (out / np.max(np.abs(out)) * 0.8).astype(np.float32)


def pad_clip(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A slow detuned pad with noise swells: `(samples,)`."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros(n)
    for f in (220.0, 277.18, 329.63, 440.0):
        out += np.sin(2 * np.pi * f * t * (1 + 0.003 * rng.standard_normal()))
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * t / seconds * 2)
    out = out / 4 * (0.3 + 0.7 * swell) + 0.2 * swell * rng.standard_normal(n)
    return (out / np.max(np.abs(out)) * 0.7).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=Path(__file__).resolve().parents[1] / "docs" / "img",
                        type=Path, help="folder to write the pictures to (default docs/img)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic audio")
    args = parser.parse_args(argv)
    out: Path = args.out
    rng = np.random.default_rng(args.seed)
    model = load_model(None)
    encodings = [
        model.encode(pluck_clip(model, 8.0, rng), SR),
        model.encode(pad_clip(8.0, rng), SR),
    ]
    s = stats(*encodings)
    frames = sum(e.shape[0] for e in encodings)
    written = []

    written.append(plot_stats(encodings, out / "stats-distribution.png",
                              title=f"two encodings with the default model: {frames} frames × "
                                    f"{s.dims} dims"))
    generated = {
        "normal": normal(s, frames, seed=1),
        "uniform": uniform(s, frames, seed=1),
        "iqr_uniform": iqr_uniform(s, frames, seed=1),
        "correlated": correlated(s, frames, seed=1),
    }
    written.append(plot_compare(encodings, generated, out / "generated-vs-encoded.png",
                                title="generated vs encoded: normal, uniform, iqr_uniform and "
                                      "correlated draws from the stats of two encodings"))
    bars = encodings[0][: 2 * 4 * K]
    written.append(plot_latent(bars, out / "latent-heatmap.png", k=K, model=model, seed=0,
                               title=f"two bars of an encoding at k = {K} "
                                     f"({bpm_for(K, model.sr, model.ratio):.2f} BPM), "
                                     "decoded with the default model"))

    a = encodings[0][::K][:8, :4]
    b = encodings[1][::K][:8, :4]
    written.append(plot_pattern("fibo", out / "pattern-fibo.png", a))
    s4 = stats(*(e[:, :4] for e in encodings))  # the stats of the 4 dims drawn
    written.append(plot_pattern("orale", out / "pattern-orale.png", a[:2], seed=1, stats=s4))
    written.append(plot_pattern("blend", out / "pattern-blend.png", a[:3, :3], b[:3, :3], n=2))
    written.append(plot_pattern("swap", out / "pattern-swap.png", a[:6], b[:6], n=2, seed=1))
    for picture in written:
        print(f"wrote {picture.path} ({picture.width}×{picture.height} px)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
