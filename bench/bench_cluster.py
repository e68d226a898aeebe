"""Cluster benchmark: corpus statistics and seeded renders in one process against a local Dask
cluster of worker processes, side by side in one run, with the embedded default model.

Synthesizes a corpus (default 40 files of 30 s: 20 minutes of tones, chords and noise
bursts) and a score with a generated melody, then prints, for each job:

- the wall time in one process (`unravel stats DIR`, `unravel run --seeds`), as a fresh
  subprocess, and its peak RSS;
- the wall time of the same command with `--workers N` (cluster start included) and on an
  already running cluster (`--scheduler`), the speedup of each, and the peak RSS of each
  worker process;
- that the outputs are byte-identical.

Usage: .venv/bin/python bench/bench_cluster.py [--files 40] [--seconds 30] [--seeds 40]
       [--workers 2] [--model MODEL.ts]   (default: the embedded model)
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 44100

SCORE = """bpm 117
s = stats("corpus.stats.json")
a = smooth(s, k=2beats)
b = normal(s, k=11)
play fibo(a) >> orale(slice(b, 0, 4), 3:1) >> blend(slice(a, 0, 4), slice(b, 0, 4), n=2)
"""


def synthesize(folder: Path, files: int, seconds: float) -> None:
    """`files` mono WAVs of `seconds`: decaying tones, chords and noise bursts."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SR)) / SR
    for i in range(files):
        x = np.zeros_like(t)
        for _ in range(3):
            f0 = rng.uniform(80, 800)
            beat = rng.uniform(0.2, 1.0)
            env = np.exp(-4 * ((t % beat) / beat))
            x += 0.2 * np.sin(2 * np.pi * f0 * t) * env
        x += 0.05 * rng.standard_normal(len(t)) * (rng.random(len(t)) < 0.01).cumsum() % 2
        sf.write(str(folder / f"f{i:03d}.wav"), (0.8 * x / np.abs(x).max()).astype(np.float32),
                 SR)


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Run `cmd` in a fresh process: (wall seconds, its peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(after, before) / 1024


def on_cluster(args, cwd: Path, workers: int) -> tuple[float, float, list[float]]:
    """Run `unravel args(tag)` on `workers` processes two ways, tag "w" with --workers and
    tag "s" with --scheduler on a running cluster: (wall of each, peak RSS in MB of each
    worker of the running cluster)."""
    from dask.distributed import Client

    from unravel_lang.cluster import local_cluster

    unravel = [sys.executable, "-m", "unravel_lang"]
    with_start, _ = timed([*unravel, *args("w"), "--workers", str(workers)], cwd)
    with local_cluster(workers) as cluster, Client(cluster) as client:
        running, _ = timed([*unravel, *args("s"), "--scheduler", cluster.scheduler_address],
                           cwd)
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return with_start, running, sorted(rss.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default=None, help="a RAVE .ts export (default: embedded)")
    opts = parser.parse_args()
    model = ["-m", str(Path(opts.model).resolve())] if opts.model else []
    unravel = [sys.executable, "-m", "unravel_lang"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        synthesize(corpus, opts.files, opts.seconds)
        minutes = opts.files * opts.seconds / 60
        print(f"corpus: {opts.files} files, {minutes:.1f} min of audio; "
              f"{os.cpu_count()} cores; model {opts.model or 'embedded'}")

        one, rss_one = timed([*unravel, "stats", "corpus", *model, "-o", "one.stats.json"],
                             root)
        w, s, rss = on_cluster(lambda tag: ["stats", "corpus", *model, "-o",
                                            f"{tag}.stats.json"], root, opts.workers)
        same = all(filecmp.cmp(root / "one.stats.json", root / f"{tag}.stats.json",
                               shallow=False) for tag in "ws")
        print("\nstatistics of the corpus")
        print(f"  one process:               {one:7.1f} s   peak RSS {rss_one:6.0f} MB")
        print(f"  --workers {opts.workers} (start incl.):  {w:7.1f} s   speedup {one / w:4.2f}×")
        print(f"  running cluster:           {s:7.1f} s   speedup {one / s:4.2f}×   "
              f"peak RSS per worker {', '.join(f'{r:.0f}' for r in rss)} MB")
        print(f"  same bytes: {same}")

        (root / "corpus.stats.json").write_bytes((root / "one.stats.json").read_bytes())
        (root / "var.unr").write_text(SCORE)
        seeds = f"1:{opts.seeds}"
        one, rss_one = timed([*unravel, "run", "var.unr", *model, "--seeds", seeds,
                              "-o", "one/{seed}.wav"], root)
        w, s, rss = on_cluster(lambda tag: ["run", "var.unr", *model, "--seeds", seeds,
                                            "-o", tag + "/{seed}.wav"], root, opts.workers)
        names = sorted(p.name for p in (root / "one").iterdir())
        same = all(filecmp.cmp(root / "one" / n, root / tag / n, shallow=False)
                   for n in names for tag in "ws")
        print(f"\n{opts.seeds} seeded renders")
        print(f"  one process:               {one:7.1f} s   peak RSS {rss_one:6.0f} MB")
        print(f"  --workers {opts.workers} (start incl.):  {w:7.1f} s   speedup {one / w:4.2f}×")
        print(f"  running cluster:           {s:7.1f} s   speedup {one / s:4.2f}×   "
              f"peak RSS per worker {', '.join(f'{r:.0f}' for r in rss)} MB")
        print(f"  same bytes: {same} ({len(names)} files)")


if __name__ == "__main__":
    main()
