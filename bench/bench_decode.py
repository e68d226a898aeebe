"""`unravel decode` of a long `.npy`: the whole-array path against the streamed one.

Writes a seeded standard-normal `(frames, 8)` array (default 200,000 frames, 2.6 hours at
44.1 kHz / 2048), then decodes it with the embedded default model in two fresh processes,
one after the other:

- whole: `load_latent_with_rate` + `RaveModel.decode` in blocks of 1024 frames +
  `write_wav`: what the command did before it streamed (the whole latent, the whole audio
  and its copies in memory);
- streamed: `commands.decode.decode_file` (header first, blocks of `DECODE_BLOCK_FRAMES`
  frames decoded through one stream and appended to the output file).

Prints each one's wall and CPU time and peak RSS, their ratios, and the largest difference
between the two WAV files' samples (float rounding of differently sized blocks).

Usage: .venv/bin/python bench/bench_decode.py [--frames 200000] [--skip-whole]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

WHOLE = """
import json, resource, sys, time
from pathlib import Path
from unravel_lang.audio import write_wav
from unravel_lang.latent_io import load_latent_with_rate
import unravel_lang.model
from unravel_lang.model import load_model
unravel_lang.model.DECODE_BLOCK_FRAMES = 1024
model = load_model()
start, cpu = time.perf_counter(), time.process_time()
latent, _ = load_latent_with_rate(sys.argv[1])
write_wav(sys.argv[2], model.decode(latent, seed=0), model.sr)
took, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"s": took, "cpu": cpu,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

STREAMED = """
import json, resource, sys, time
from pathlib import Path
from unravel_lang.commands.decode import decode_file
from unravel_lang.model import load_model
model = load_model()
start, cpu = time.perf_counter(), time.process_time()
decode_file(model, Path(sys.argv[1]), Path(sys.argv[2]), 0, max_frames=10**9)
took, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"s": took, "cpu": cpu,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

BASELINE = """
import json, resource
from unravel_lang.model import load_model
load_model()
print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def show(name: str, m: dict) -> None:
    print(f"{name:9s} wall {m['s']:7.2f} s  CPU {m['cpu']:7.2f} s  "
          f"peak RSS {m['rss'] / 1024:7.0f} MB")


def measure(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--skip-whole", action="store_true",
                        help="measure only the streamed path (the whole one needs ~5 GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "long.npy"
        rng = np.random.default_rng(0)
        np.save(src, rng.standard_normal((args.frames, 8)).astype(np.float32))
        base = measure(BASELINE)
        print(f"{args.frames:,} frames ({src.stat().st_size / 1e6:.1f} MB .npy); "
              f"a process that only loads the model peaks at {base['rss'] / 1024:.0f} MB")
        streamed = measure(STREAMED, str(src), str(Path(tmp) / "streamed.wav"))
        show("streamed", streamed)
        if args.skip_whole:
            return
        whole = measure(WHOLE, str(src), str(Path(tmp) / "whole.wav"))
        show("whole", whole)
        print(f"whole / streamed: wall {whole['s'] / streamed['s']:.2f}x, "
              f"CPU {whole['cpu'] / streamed['cpu']:.2f}x, "
              f"peak RSS {whole['rss'] / streamed['rss']:.2f}x")
        a, _ = sf.read(Path(tmp) / "whole.wav", dtype="float32")
        b, _ = sf.read(Path(tmp) / "streamed.wav", dtype="float32")
        diff = float(np.abs(a - b).max()) if a.shape == b.shape else float("nan")
        print(f"same length: {a.shape == b.shape}; largest sample difference {diff:.2e}")


if __name__ == "__main__":
    main()
