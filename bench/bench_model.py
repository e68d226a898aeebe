"""Model wrapper benchmark: real-time factors, wrapper overhead, memory of a long encode.

For the embedded default model and the genuine RAVE v2 exports found in
$UNRAVEL_RAVE_MODELS (default .cache/rave-models), prints:

- encode and decode real-time factors (audio seconds per wall second), whole and in
  4-frame stream chunks;
- our `decode` against calling the TorchScript `decode` directly on the same tensor, timed
  alternately in the same run (the fastest of 11 runs each, the least disturbed by other
  load; the goal is a ratio <= 1.05);
- the peak RSS of a fresh process that encodes a 30-minute file from disk with
  `encode_file`: the whole process, and the encode alone (the goal is < 1 GB).

Usage: .venv/bin/python bench/bench_model.py [--seconds 10] [--minutes 30] [MODEL.ts ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from unravel_lang.model import DEFAULT_MODEL, RaveModel, load_model

REPO = Path(__file__).resolve().parent.parent
CHUNK = 4

RSS_SCRIPT = """
import resource, sys, time
from pathlib import Path
from unravel_lang.model import load_model

def hwm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1

m = load_model(sys.argv[1])
try:  # reset the peak RSS (VmHWM), so the encode's own peak can be read afterwards
    Path("/proc/self/clear_refs").write_text("5")
    after_load = hwm_kb()
except OSError:
    after_load = -1
start = time.perf_counter()
frames = m.encode_file(sys.argv[2]).shape[0]
took = time.perf_counter() - start
encode_peak = hwm_kb() if after_load >= 0 else -1
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, encode_peak, after_load, frames, took)
"""


def test_signal(seconds: float, sr: int) -> np.ndarray:
    """Tones, a drum-like burst every half second and a little noise: `(1, n)` float32."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    hits = np.exp(-40 * (t % 0.5)) * rng.standard_normal(t.size)
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 331 * t) + 0.3 * hits
    return x[None].astype(np.float32)


def timed(fn, repeats: int) -> float:
    """Median wall time of `repeats` calls of `fn`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def overhead(model: RaveModel, latent: np.ndarray, repeats: int) -> tuple[float, float, float]:
    """Fastest times of our decode, the raw TorchScript decode with torch's default graph
    optimization, and the raw decode without it (as the wrapper runs), timed in turn."""
    raw = torch.jit.load(model.path)
    z = torch.from_numpy(np.ascontiguousarray(latent.T))[None]

    def raw_decode(optimize: bool) -> None:
        with torch.inference_mode(), torch.jit.optimized_execution(optimize):
            raw.decode(z)

    runs = {
        "ours": lambda: model.decode(latent, seed=0),
        "raw": lambda: raw_decode(True),
        "raw_plain": lambda: raw_decode(False),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():
        fn()
    for _ in range(repeats):
        for name, fn in runs.items():
            times[name].append(timed(fn, 1))
    return min(times["ours"]), min(times["raw"]), min(times["raw_plain"])


def write_long_file(path: Path, minutes: float, sr: int) -> None:
    """A `minutes`-long 16-bit mono WAV of the test signal, written block by block."""
    block = test_signal(10.0, sr)[0]
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        for _ in range(int(minutes * 6)):
            f.write(block)


def peak_rss(model_path: str, audio_path: str) -> tuple[float, float, float, int, float]:
    """A fresh process loads the model and encodes `audio_path` with `encode_file`.

    Returns MB: the process's peak RSS (getrusage), the peak RSS during the encode alone and
    the RSS it started from (VmHWM reset after loading; -1 where Linux can't), then the
    frames encoded and the seconds the encode took.
    """
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, model_path, audio_path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    mb = [int(v) / 1024 if int(v) >= 0 else -1.0 for v in out[:3]]
    return mb[0], mb[1], mb[2], int(out[3]), float(out[4])


def bench(path: str, seconds: float, long_file: Path | None, minutes: float) -> None:
    model = load_model(path)
    print(f"\n{model}")
    audio = test_signal(seconds, model.sr)
    model.encode(audio[:, : model.sr], model.sr)  # warm-up
    t_enc = timed(lambda: model.encode(audio, model.sr), 3)
    latent = model.encode(audio, model.sr)
    print(f"  encode            {seconds / t_enc:7.1f}x real time ({seconds:.0f} s of audio)")
    ours, raw, plain = overhead(model, latent, repeats=11)
    print(f"  decode (whole)    {seconds / ours:7.1f}x real time")
    print(
        f"  raw TorchScript   {seconds / raw:7.1f}x real time "
        f"(without graph optimization, as the wrapper runs: {seconds / plain:.1f}x)"
    )
    print(
        f"  decode / raw      {ours / raw:7.3f}   (goal <= 1.05; against raw without "
        f"graph optimization {ours / plain:.3f})"
    )

    def chunked() -> None:
        stream = model.stream(seed=0)
        for i in range(0, len(latent), CHUNK):
            stream.decode(latent[i : i + CHUNK])

    raw = torch.jit.load(model.path)
    chunks = [
        torch.from_numpy(latent[i : i + CHUNK].T.copy())[None] for i in range(0, len(latent), CHUNK)
    ]

    def raw_chunked() -> None:
        with torch.inference_mode():
            for z in chunks:
                raw.decode(z)

    t_stream, t_raw_stream = timed(chunked, 3), timed(raw_chunked, 3)
    print(
        f"  stream, {CHUNK}-frame chunks {seconds / t_stream:5.1f}x real time "
        f"(raw TorchScript on the same chunks {seconds / t_raw_stream:.1f}x; "
        f"ratio {t_stream / t_raw_stream:.2f})"
    )
    if long_file is not None:
        peak, encode_peak, loaded, frames, took = peak_rss(path, str(long_file))
        print(
            f"  encode_file {minutes:.0f} min: process peak RSS {peak:.0f} MB; during the "
            f"encode {encode_peak:.0f} MB (from {loaded:.0f} MB after loading); "
            f"{frames} frames at {minutes * 60 / took:.1f}x real time (goal < 1024 MB)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model files (default: embedded + genuine)")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per timing")
    parser.add_argument("--minutes", type=float, default=30.0, help="long file for peak RSS")
    parser.add_argument("--no-memory", action="store_true", help="skip the long-file encode")
    args = parser.parse_args()
    models = list(args.models)
    if not models:
        default = REPO / "unravel_lang" / "models" / DEFAULT_MODEL
        if default.is_file():
            models.append(str(default))
        folder = Path(os.environ.get("UNRAVEL_RAVE_MODELS", REPO / ".cache" / "rave-models"))
        models += [
            str(folder / n) for n in ("v2_streaming.ts", "v2_batch.ts") if (folder / n).is_file()
        ]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) before loading; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        long_file = None
        if not args.no_memory:
            long_file = Path(tmp) / "long.wav"
            write_long_file(long_file, args.minutes, 44100)
        for path in models:
            bench(path, args.seconds, long_file, args.minutes)
        print(f"\ntorch threads used: {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
