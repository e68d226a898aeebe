"""Live engine figures, measured side by side in one run.

1. First sound: wall time from `engine.track(...)` (pressing Enter) to the first non-silent
   sample reaching a sink, for a 60-second pattern, against decoding the whole pattern
   first and then playing it (the naive path).
2. Swap at the boundary: where a replaced pattern's first sample lands, in samples from the
   loop boundary (file sink, exact), and the same under a reader paced at real time.
3. Headroom: audio seconds the engine produces per wall second into a file sink, with the
   embedded model and with a genuine RAVE v2 export ($UNRAVEL_RAVE_MODELS/v2_streaming.ts),
   for 1, 2, 4, 8 and 12 looping voices, decoded one voice at a time in 4-frame chunks
   (before batching) and batched in the chunks the engine picks for the model (after), side
   by side in one run, next to the raw model's own streaming decode speed; and how many
   voices stay real time with headroom (>= 1.3x).

Usage: python bench/bench_live.py [--repeats N] [--seconds S] [--genuine-seconds S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from unravel_lang.engine import Engine, FileSink
from unravel_lang.engine.decoding import CHUNK_FRAMES, chunk_frames_for
from unravel_lang.model import load_model
from unravel_lang.plan import Plan

READ = 256  # samples per sink read, a small audio-callback buffer


def latent(frames: int, dims: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, dims)).astype(np.float32)


def first_sound_ours(model, z: np.ndarray) -> float:
    """Seconds from `track()` to the first non-silent sample read by an unpaced sink."""
    engine = Engine(model, seed=0, k=11)
    out = np.zeros((model.out_channels, READ), dtype=np.float32)
    heard = threading.Event()
    stamp = [0.0]

    def sink() -> None:
        while not heard.is_set():
            if engine.read_into(out) and np.any(out):
                stamp[0] = time.perf_counter()
                heard.set()
            else:
                time.sleep(0.0002)

    reader = threading.Thread(target=sink)
    reader.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    engine.track("a", Plan.of(z))
    heard.wait(60)
    reader.join()
    engine.close()
    return stamp[0] - t0


def first_sound_naive(model, z: np.ndarray) -> float:
    """Seconds to decode the whole pattern and find its first non-silent sample."""
    t0 = time.perf_counter()
    audio = model.decode(z, seed=0)
    np.flatnonzero(audio[0])[:1]
    return time.perf_counter() - t0


def swap_offset_file(model, k: int = 8) -> tuple[int, int]:
    """Replace a one-bar loop mid-bar in a file render; (first changed sample, boundary)."""
    bar = 4 * k
    a, b = latent(bar, model.dims, 1), latent(bar, model.dims, 2)
    runs = []
    for swap in (False, True):
        engine = Engine(model, seed=0, k=k, realtime=False)
        sink = FileSink(engine)
        engine.track("a", Plan.of(a))
        sink.until(bar + 5)
        if swap:
            engine.track("a", Plan.of(b))
        sink.until(3 * bar)
        engine.close()
        runs.append(sink.audio[0])
    changed = int(np.flatnonzero(runs[0] != runs[1])[0])
    return changed, 2 * bar * model.ratio


def model_response(model, k: int = 8) -> int:
    """Samples after a frame boundary at which the raw model's stream first reacts to a new
    latent frame (its own causal delay): decode A then A, and A then B, through fresh streams."""
    bar = 4 * k
    a, b = latent(bar, model.dims, 1), latent(bar, model.dims, 2)
    runs = []
    for second in (a, b):
        stream = model.stream(seed=0)
        runs.append(np.concatenate([stream.decode(a[i : i + CHUNK_FRAMES])[0]
                                    for i in range(0, bar, CHUNK_FRAMES)]
                                   + [stream.decode(second[:CHUNK_FRAMES])[0]]))
    return int(np.flatnonzero(runs[0] != runs[1])[0]) - bar * model.ratio


def swap_offset_live(model, k: int = 8, trials: int = 3) -> list[int]:
    """Under a reader paced at real time, replace a one-bar loop at arbitrary moments; the
    offset in samples of the first changed sample from the nearest loop boundary."""
    bar = 4 * k
    loop = bar * model.ratio
    a, b = latent(bar, model.dims, 1), latent(bar, model.dims, 2)
    reference = Engine(model, seed=0, k=k, realtime=False)
    sink = FileSink(reference)
    reference.track("a", Plan.of(a))
    plain = sink.until(8 * bar)[0]
    reference.close()
    offsets = []
    rng = np.random.default_rng(0)
    for _ in range(trials):
        engine = Engine(model, seed=0, k=k)
        heard = np.zeros(8 * loop, dtype=np.float32)
        out = np.zeros((1, 512), dtype=np.float32)
        engine.track("a", Plan.of(a))
        got = 0
        swap_at = int((1.2 + rng.uniform(0, 0.6)) * loop)
        t0 = time.perf_counter()
        while got < len(heard) - 512:
            if got >= swap_at and swap_at >= 0:
                engine.track("a", Plan.of(b))
                swap_at = -1
            n = engine.read_into(out)
            heard[got : got + n] = out[0, :n]
            got += n
            lag = got / model.sr - (time.perf_counter() - t0)
            if lag > 0:
                time.sleep(min(lag, 512 / model.sr))
        engine.close()
        late = engine.limiter.lookahead  # the reader gives the sound of `late` samples before
        changed = int(np.flatnonzero(heard[late:got] != plain[: got - late])[0])
        offsets.append(changed - round(changed / loop) * loop)
    return offsets


def headroom(model, voices: int, seconds: float, batch: bool | None = None) -> float:
    """Audio seconds per wall second rendering `voices` looping tracks into a file sink
    (`batch=False`: one voice at a time, 4-frame chunks, as before batching)."""
    frames = int(seconds * model.sr / model.ratio)
    engine = Engine(model, seed=0, k=11, realtime=False, ahead_frames=16, batch=batch,
                    chunk_frames=CHUNK_FRAMES if batch is False else None)
    sink = FileSink(engine)
    for v in range(voices):
        engine.track(f"v{v}", Plan.of(latent(44, model.dims, 10 + v)))
    t0 = time.perf_counter()
    sink.pull(frames)
    took = time.perf_counter() - t0
    engine.close()
    return frames * model.ratio / model.sr / took


def raw_speed(model, seconds: float) -> float:
    """Audio seconds per wall second of one raw `model.stream().decode` loop, same chunks."""
    frames = int(seconds * model.sr / model.ratio)
    z = latent(frames, model.dims, 9)
    stream = model.stream(seed=0)
    t0 = time.perf_counter()
    for i in range(0, frames, CHUNK_FRAMES):
        stream.decode(z[i : i + CHUNK_FRAMES])
    return frames * model.ratio / model.sr / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--genuine-seconds", type=float, default=4.0)
    args = parser.parse_args()

    model = load_model(None)
    print(f"embedded model: {model}")
    z = latent(round(60 * model.latent_rate), model.dims, 0)
    ours = [first_sound_ours(model, z) for _ in range(args.repeats)]
    naive = [first_sound_naive(model, z) for _ in range(args.repeats)]
    o, n = statistics.median(ours), statistics.median(naive)
    print(f"\n1. first sound of a 60 s pattern (median of {args.repeats})")
    print(f"   engine (decode ahead, chunks of {CHUNK_FRAMES} frames): {o * 1000:8.1f} ms")
    print(f"   decode everything, then play:                  {n * 1000:8.1f} ms")
    print(f"   engine is {n / o:.0f}x sooner   (goal: < 100 ms and >= 20x)")

    changed, boundary = swap_offset_file(model)
    delay = model_response(model)
    print("\n2. swap to sound (offsets from the loop boundary, less the model's own delay)")
    print(f"   the raw model's output first reacts to a new frame {delay} sample(s) into it")
    print(f"   file sink: first changed sample {changed}, loop boundary {boundary}: "
          f"offset {changed - boundary - delay} samples")
    offsets = [o - delay for o in swap_offset_live(model)]
    print(f"   real-time reader, swaps at random moments: offsets {offsets} samples")

    print("\n3. real-time headroom (audio seconds per wall second, file sink)")
    print(f"   machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the start")
    rows = [("embedded", model, args.seconds)]
    genuine = Path(os.environ.get("UNRAVEL_RAVE_MODELS", ".cache/rave-models"))
    if (genuine / "v2_streaming.ts").is_file():
        rows.append(("RAVE v2 streaming", load_model(genuine / "v2_streaming.ts"),
                     args.genuine_seconds))
    else:
        print(f"   (no genuine export in {genuine}: skipped)")
    counts = (1, 2, 4, 8, 12)
    for name, m, seconds in rows:
        raw = raw_speed(m, seconds)
        support = m.batch_support()
        chunk = chunk_frames_for(m)
        how = (f"batches up to {support.rows} voices (batched vs alone: max |diff| "
               f"{support.diff:.2g}), chunks of {chunk} frames" if support.rows
               else f"does not batch ({support.reason}), chunks of {chunk} frames")
        print(f"\n   {name}: raw stream {raw:.1f}x real time (4-frame chunks); {how}")
        print("   voices        " + "".join(f"{n:>9d}" for n in counts))
        table: dict[str, list[float]] = {"before": [], "after": []}
        for n in counts:  # before and after in turn, so that a change of load hits both
            table["before"].append(headroom(m, n, seconds, False))
            table["after"].append(headroom(m, n, seconds, None))
        for label in ("before", "after"):
            print(f"   {label:14s}" + "".join(f"{x:8.2f}x" for x in table[label]))
        for label in ("before", "after"):
            ok = [n for n, x in zip(counts, table[label], strict=True) if x >= 1.3]
            print(f"   {label}: {max(ok) if ok else 0} voices stay real time (>= 1.3x)")


if __name__ == "__main__":
    main()
