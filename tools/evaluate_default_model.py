"""Measure the embedded default model on held-out synthesized audio.

    .venv/bin/python tools/evaluate_default_model.py \
        --png docs/img/default-model-spectrograms.png

Prints a Markdown table of multi-resolution STFT distances (lower is better) between
held-out clips and (a) their reconstruction by the model, (b) their reconstruction by
the same architecture untrained, (c) silence; per kind of sound and overall. The held-out
clips come from the training synthesizer with a seed the training never uses. Also prints
decoding speed (real-time factor, whole and in 4-frame chunks) and draws input vs
reconstruction spectrograms.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from train_default_model import DRUMS, LAYERS, synth_dataset  # noqa: E402

from unravel_lang.tinyrave import RATIO, SR, build_tiny_rave, mrstft_distance  # noqa: E402

HELD_OUT_SEED = 987_654


def roundtrip(model: torch.nn.Module, audio: torch.Tensor) -> torch.Tensor:
    """Encode and decode ``audio`` (batch, 1, samples) through a fresh copy of ``model``."""
    m = copy.deepcopy(model)
    m.reset()
    with torch.no_grad():
        return m.decode(m.encode(audio))


def distances(model: torch.nn.Module, untrained: torch.nn.Module,
              audio: torch.Tensor) -> tuple[float, float, float]:
    """Mean per-clip MR-STFT distance: (model, untrained, silence)."""
    rows = []
    for clip in audio.split(1):
        rows.append((float(mrstft_distance(roundtrip(model, clip), clip)),
                     float(mrstft_distance(roundtrip(untrained, clip), clip)),
                     float(mrstft_distance(torch.zeros_like(clip), clip))))
    return tuple(float(v) for v in np.mean(rows, axis=0))


def speed(model: torch.nn.Module, frames: int = 256) -> tuple[float, float]:
    """Real-time factors (audio seconds per wall second) decoding whole and in 4-frame chunks."""
    z = torch.randn(1, 8, frames, generator=torch.Generator().manual_seed(0))
    seconds = frames * RATIO / SR
    with torch.no_grad():
        m = copy.deepcopy(model)
        m.decode(z[..., :4])
        t = time.perf_counter()
        m.decode(z)
        whole = seconds / (time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(0, frames, 4):
            m.decode(z[..., i:i + 4])
        chunked = seconds / (time.perf_counter() - t)
    return whole, chunked


def click_track(frames: list[int], total: int, seed: int) -> np.ndarray:
    """``total`` frames of silence with a random drum hit 64 samples into each listed frame."""
    rng = np.random.default_rng(seed)
    out = np.zeros(total * RATIO)
    for f in frames:
        hit = DRUMS[int(rng.integers(0, len(DRUMS)))](rng)
        start = f * RATIO + 64
        out[start:start + len(hit)] += 0.7 * hit[: len(out) - start] / np.abs(hit).max()
    return out.astype(np.float32)


def frame_energy(audio: np.ndarray) -> np.ndarray:
    """Mean square per latent frame of a (samples,) array."""
    return (audio[: len(audio) // RATIO * RATIO].reshape(-1, RATIO) ** 2).mean(axis=1)


def onset_frames(audio: np.ndarray) -> list[int]:
    """Frames whose energy jumps above 4x the previous frame's and 5 % of the loudest."""
    e = frame_energy(audio)
    prev = np.concatenate([[0.0], e[:-1]])
    return [int(f) for f in np.flatnonzero((e > 4 * prev + 1e-12) & (e > 0.05 * e.max()))]


def onsets(model: torch.nn.Module, trials: int,
           seed: int) -> tuple[int, int, int, int, int]:
    """Click tracks of random drums at random frames, through encode + decode.

    Returns (hits placed, hits whose onset the detector finds in the input, those of them
    found on the same frame in the reconstruction, reconstruction onsets on frames where
    no hit starts, those of them next to a frame where one does).
    """
    rng = np.random.default_rng(seed)
    placed = visible = found = extra = near = 0
    for i in range(trials):
        frames = sorted(int(f) for f in rng.choice(np.arange(1, 30, 3), 6, replace=False))
        audio = click_track(frames, 32, seed + i)
        out = roundtrip(model, torch.from_numpy(audio)[None, None])[0, 0].numpy()
        seen = set(onset_frames(audio)) & set(frames)
        got = set(onset_frames(out))
        placed += len(frames)
        visible += len(seen)
        found += len(got & seen)
        extra += len(got - set(frames))
        near += len({f for f in got - set(frames) if f - 1 in frames or f + 1 in frames})
    return placed, visible, found, extra, near


def onset_figure(model: torch.nn.Module, path: Path, seed: int) -> None:
    """Frame energies of a click track and of its reconstruction, hit frames marked, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [2, 5, 8, 12, 14, 19, 23, 27]
    audio = click_track(frames, 32, seed)
    out = roundtrip(model, torch.from_numpy(audio)[None, None])[0, 0].numpy()
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True)
    x = np.arange(32)
    for e, label in ((frame_energy(audio), "input"), (frame_energy(out), "reconstruction")):
        db = 10 * np.log10(e + 1e-10)
        ax.step(x, db, where="post", label=label)
        rise = np.diff(db, prepend=-100.0)
        ax2.bar(x + (0.3 if label == "input" else 0.6), np.clip(rise, -20, 40), width=0.3,
                label=label)
    for a in (ax, ax2):
        for f in frames:
            a.axvline(f, color="0.6", lw=0.8, ls=":")
    ax2.axhline(10 * np.log10(4), color="k", lw=0.8)
    ax.set_ylabel("energy (dB)")
    ax.set_ylim(-80, 0)
    ax.legend(loc="lower right")
    ax2.set_ylabel("rise over the previous frame (dB)")
    ax2.set_ylim(-20, 40)
    ax2.set_xlabel("latent frame (2048 samples); dotted: frames where a hit starts; "
                   "line: onset threshold (6 dB)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def spectrogram_figure(model: torch.nn.Module, path: Path, seed: int) -> None:
    """Input vs reconstruction log spectrograms, one column per kind of sound, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(LAYERS), figsize=(4.2 * len(LAYERS), 6.0), sharey=True)
    win = torch.hann_window(1024)
    for col, kind in enumerate(LAYERS):
        x = torch.from_numpy(synth_dataset(seed + col, 1, 32, only=kind))[:, None]
        y = roundtrip(model, x)
        for row, (sig, label) in enumerate(((x, "input"), (y, "reconstruction"))):
            spec = torch.stft(sig[0, 0], 1024, 256, window=win, return_complex=True).abs()
            db = 20 * torch.log10(spec + 1e-5).numpy()
            ax = axes[row, col]
            ax.imshow(db, origin="lower", aspect="auto", vmin=db.max() - 80, vmax=db.max(),
                      extent=(0, sig.shape[-1] / SR, 0, SR / 2000), cmap="magma")
            ax.set_title(f"{kind}: {label}")
            ax.set_xlabel("time (s)")
            if col == 0:
                ax.set_ylabel("frequency (kHz)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT.parent / "unravel_lang" / "models" / "default.ts"))
    p.add_argument("--clips", type=int, default=24, help="held-out clips per kind of sound")
    p.add_argument("--frames", type=int, default=16, help="latent frames per clip")
    p.add_argument("--png", default=None, help="write the spectrogram picture here")
    p.add_argument("--onsets-png", default=None, help="write the click-track picture here")
    p.add_argument("--onset-trials", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = torch.jit.load(args.model)
    untrained = build_tiny_rave(seed=0)
    print(f"model: {args.model} ({Path(args.model).stat().st_size / 1e6:.2f} MB)")
    print(f"held-out clips: {args.clips} per kind x {args.frames} frames "
          f"({args.frames * RATIO / SR:.2f} s), seed {HELD_OUT_SEED}\n")
    print("| audio | default model | untrained | silence |")
    print("|---|---:|---:|---:|")
    sets = [(kind, synth_dataset(HELD_OUT_SEED + i, args.clips, args.frames, only=kind))
            for i, kind in enumerate(LAYERS)]
    sets.append(("mixed", synth_dataset(HELD_OUT_SEED + 10, args.clips, args.frames)))
    for name, data in sets:
        d = distances(model, untrained, torch.from_numpy(data)[:, None])
        print(f"| {name} | {d[0]:.3f} | {d[1]:.3f} | {d[2]:.3f} |")
    placed, visible, found, extra, near = onsets(model, args.onset_trials, HELD_OUT_SEED + 200)
    print(f"\nonsets: {placed} drum hits placed, {visible} detectable in the input; "
          f"after encode + decode {found} of these found on their frame, "
          f"{extra} onsets on frames without a hit ({near} of them next to a hit's frame)")
    whole, chunked = speed(model)
    print(f"\ndecode speed ({torch.get_num_threads()} thread): {whole:.0f}x real time whole, "
          f"{chunked:.0f}x in 4-frame chunks")
    if args.png:
        spectrogram_figure(model, Path(args.png), HELD_OUT_SEED + 100)
        print(f"wrote {args.png}")
    if args.onsets_png:
        onset_figure(model, Path(args.onsets_png), HELD_OUT_SEED + 300)
        print(f"wrote {args.onsets_png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
