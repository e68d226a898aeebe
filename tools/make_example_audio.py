"""Write the small WAV files the example scores encode (examples/audio/), synthesized here.

    .venv/bin/python tools/make_example_audio.py

Deterministic: the same files every run. Each is about a second of 16-bit mono at 22.05 kHz.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050
OUT = Path(__file__).resolve().parent.parent / "examples" / "audio"


def _env(n: int, decay: float) -> np.ndarray:
    return np.exp(-np.arange(n) / SR * decay)


def drums(seconds: float = 1.2, bpm: float = 117.45) -> np.ndarray:
    """A kick on every beat and a noise hat on the off-beats."""
    rng = np.random.default_rng(7)
    out = np.zeros(int(seconds * SR))
    beat = int(SR * 60 / bpm)
    n = int(0.25 * SR)
    t = np.arange(n) / SR
    kick = np.sin(2 * np.pi * (50 + 110 * np.exp(-t * 30)) * t) * _env(n, 12)
    hat = rng.standard_normal(n // 4) * _env(n // 4, 60) * 0.3
    for start in range(0, out.size, beat):
        seg = kick[: out.size - start]
        out[start : start + seg.size] += seg
        off = start + beat // 2
        if off < out.size:
            seg = hat[: out.size - off]
            out[off : off + seg.size] += seg
    return out


def tones(seconds: float = 1.2) -> np.ndarray:
    """Three plucked tones (A3, C4, E4) one after another."""
    out = np.zeros(int(seconds * SR))
    step = out.size // 3
    t = np.arange(step) / SR
    for i, f in enumerate((220.0, 261.63, 329.63)):
        note = (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * _env(step, 4)
        out[i * step : (i + 1) * step] = 0.4 * note
    return out


def texture(seconds: float = 1.2) -> np.ndarray:
    """Band-limited noise swelling in and out."""
    rng = np.random.default_rng(11)
    noise = rng.standard_normal(int(seconds * SR))
    smooth = np.convolve(noise, np.ones(16) / 16, mode="same")
    swell = np.sin(np.linspace(0, np.pi, noise.size)) ** 2
    return 0.5 * smooth * swell


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, audio in (("drums", drums()), ("tones", tones()), ("texture", texture())):
        peak = np.max(np.abs(audio))
        sf.write(OUT / f"{name}.wav", (0.8 * audio / peak).astype(np.float32), SR,
                 subtype="PCM_16")
        print(f"wrote {OUT / name}.wav")


if __name__ == "__main__":
    main()
