"""Ableton Link figures, measured side by side in one run against a real Link peer.

1. Phase error: a Link peer (another process, aalink alone) leads at 90, 123 and 170 BPM;
   unravel follows it (the nearest k, beats spliced onto the session's) with the embedded
   model, playing a one-frame hit on every beat into a sink paced at real time whose sample
   clock is the monotonic clock Link uses. Each hit's onset in the rendered audio is
   compared with the peer's own beat time: median, 95th percentile and largest error.
2. CPU cost of following: the process's CPU seconds per second of audio, playing a steady
   pattern (noise latents) straight from the engine and through the beat retimer while
   following a peer at 123 BPM (the grid is at 117.45: every beat is spliced), and the time
   spent in the retimer's own reads.
3. The alternative, re-timing in the latent domain: the same hits (one loud frame a beat, k
   frames a beat) interpolated onto the session's grid before decoding (k * grid/session
   frames a beat, linear interpolation per latent dim), decoded offline; each onset (the
   envelope's first crossing of half its peak) against the exact beat time, less the same
   detector's offset on the unstretched decode. Offline: no real time, no peer.

Usage: python bench/bench_link.py [--seconds S] [--cpu-seconds S]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from linkpeer import Peer, onset_errors, onsets  # noqa: E402

from unravel_lang.engine import Engine  # noqa: E402
from unravel_lang.live.link import LinkControl  # noqa: E402
from unravel_lang.live.paced import PacedOutput  # noqa: E402
from unravel_lang.model import load_model  # noqa: E402
from unravel_lang.plan import Plan  # noqa: E402


def phase_errors(model, tempo: float, seconds: float) -> dict:
    """Follow a peer at `tempo` for `seconds`; onset errors (ms) at its beats."""
    hit = np.full((1, model.dims), 3.0, np.float32)
    with Peer(tempo) as peer:
        engine = Engine(model, k=11)
        sink = PacedOutput(engine, lead=0.05, keep_seconds=seconds + 30)
        sink.start()
        control = LinkControl(engine, sink)
        engine.track("hit", Plan.of(hit))
        deadline = time.monotonic() + seconds + 20
        while not len(onsets(sink.audio, int(0.03 * model.sr))):  # the first hit heard
            if time.monotonic() > deadline:
                raise SystemExit(f"no sound at {tempo} BPM: {control.answer()}")
            time.sleep(0.05)
        line = peer.timeline()
        first = round(line.beat_at(sink.heard_at(onsets(sink.audio, int(0.03 * model.sr))[0])))
        end = first + seconds * tempo / 60
        while line.beat_at(sink.heard_at(sink.samples)) < end + 0.5:
            if time.monotonic() > deadline:
                raise SystemExit(f"the sink stopped at {tempo} BPM")
            time.sleep(0.1)
        line = peer.timeline()
        sink.stop()
        answer = control.answer()
        underruns, late = control.retimer.underruns, sink.late
        control.close()
        engine.close()
    sr = model.sr
    expected = np.array([(line.time_at(b) - sink.t0) * sr for b in np.arange(first, end)])
    errors = onset_errors(onsets(sink.audio, int(0.03 * sr)), expected, 0.03 * sr) / sr * 1000
    found = errors[~np.isnan(errors)]
    a = np.abs(found)
    quantiles = np.percentile(found, [0, 5, 25, 50, 75, 95, 100]) * 1000  # microseconds
    return dict(tempo=tempo, answer=answer, beats=len(errors), found=len(found),
                quantiles=quantiles,
                median=float(np.median(a)), p95=float(np.percentile(a, 95)), max=float(a.max()),
                mean=float(found.mean()), underruns=underruns, late=late)


def cpu_cost(model, seconds: float, follow: bool) -> dict:
    """CPU seconds per audio second playing a steady pattern, direct or following at 123."""
    noise = np.random.default_rng(0).normal(0, 1, (44, model.dims)).astype(np.float32)
    engine = Engine(model, k=11)
    sink = PacedOutput(engine, lead=0.05, keep_seconds=seconds + 10)
    peer = Peer(123) if follow else None
    control = LinkControl(engine, sink) if follow else None
    spent = [0.0]
    if control is not None:
        inner = control.retimer.read_into

        def timed(out):
            t = time.perf_counter()
            n = inner(out)
            spent[0] += time.perf_counter() - t
            return n

        control.retimer.read_into = timed
    engine.track("pad", Plan.of(noise))
    sink.start()
    time.sleep(1.0)  # past the wait for the bar line
    cpu0, at0 = time.process_time(), sink.samples
    time.sleep(seconds)
    cpu, audio = time.process_time() - cpu0, (sink.samples - at0) / model.sr
    sink.stop()
    if control is not None:
        control.close()
        peer.close()
    engine.close()
    return dict(cpu=cpu / audio, retimer=spent[0] / max(audio, 1e-9), audio=audio)


def half_peak_onsets(audio: np.ndarray, starts: np.ndarray, span: int) -> np.ndarray:
    """For each window [s - span/2, s + span/2): the first sample whose |audio| reaches half
    the window's peak."""
    env = np.abs(audio).max(axis=0)
    found = []
    for s in starts:
        lo = max(0, int(s) - span // 2)
        win = env[lo : lo + span]
        found.append(lo + int(np.argmax(win >= 0.5 * win.max())))
    return np.array(found, dtype=np.float64)


def latent_domain_errors(model, tempo: float, beats: int = 64) -> dict:
    """Onset errors (ms) of hits re-timed by interpolating latent frames before decoding."""
    from unravel_lang.live.timeline import nearest_k

    k = nearest_k(tempo, model.sr / model.ratio)
    src = np.zeros((k * beats, model.dims), np.float32)
    src[::k] = 3.0
    stretch = (60.0 * model.sr / model.ratio / k) / tempo  # output frames per source frame
    n_out = int(k * beats * stretch)
    pos = np.arange(n_out) / stretch
    grid = np.arange(k * beats)
    stretched = np.stack([np.interp(pos, grid, src[:, d]) for d in range(model.dims)], 1)
    beat_out = 60.0 * model.sr / tempo
    span = int(beat_out)
    native = model.decode(src, seed=0)
    bias = np.median(half_peak_onsets(native, np.arange(4, beats - 1) * k * model.ratio, span)
                     - np.arange(4, beats - 1) * k * model.ratio)
    audio = model.decode(stretched.astype(np.float32), seed=0)
    expected = np.arange(4, beats - 1) * beat_out
    errors = (half_peak_onsets(audio, expected, span) - bias - expected) / model.sr * 1000
    a = np.abs(errors)
    return dict(k=k, median=float(np.median(a)), max=float(a.max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per tempo (60)")
    parser.add_argument("--cpu-seconds", type=float, default=20.0, help="per CPU run (20)")
    args = parser.parse_args()
    model = load_model(None)
    print(f"model: embedded default (sr {model.sr}, ratio {model.ratio})")
    print(f"1. phase error of beat onsets, following a Link peer, {args.seconds:g} s each")
    print("   tempo   k   beats  median ms   p95 ms   max ms   mean ms  underruns  late")
    distribution = []
    for tempo in (90.0, 123.0, 170.0):
        r = phase_errors(model, tempo, args.seconds)
        k = r["answer"].rsplit("k=", 1)[1].rstrip(")")
        print(f"   {tempo:5.1f}  {k:>2}  {r['found']:3d}/{r['beats']:<3d} {r['median']:9.3f} "
              f"{r['p95']:8.3f} {r['max']:8.3f} {r['mean']:9.3f} {r['underruns']:9d} "
              f"{r['late']:5d}")
        distribution.append((tempo, r["quantiles"]))
    print("   signed errors (microseconds): min, 5 %, 25 %, median, 75 %, 95 %, max")
    for tempo, q in distribution:
        print(f"   {tempo:5.1f}  " + "  ".join(f"{v:+7.1f}" for v in q))
    print(f"2. CPU cost of following ({args.cpu_seconds:g} s each, one steady track)")
    direct = cpu_cost(model, args.cpu_seconds, follow=False)
    follow = cpu_cost(model, args.cpu_seconds, follow=True)
    print(f"   direct (engine -> sink):            {direct['cpu']:.3f} CPU s per audio s")
    print(f"   following 123 BPM (engine -> retimer -> sink): {follow['cpu']:.3f} CPU s per "
          f"audio s ({follow['cpu'] / direct['cpu']:.2f}x direct)")
    print(f"   in the retimer's reads:             {follow['retimer'] * 1000:.2f} ms per audio s "
          f"({follow['retimer'] * 100:.2f} % of one core)")
    print("3. the alternative: latent frames interpolated onto the session's grid (offline)")
    print("   tempo   k  median ms   max ms")
    for tempo in (90.0, 123.0, 170.0):
        r = latent_domain_errors(model, tempo)
        print(f"   {tempo:5.1f}  {r['k']:2d} {r['median']:9.3f} {r['max']:8.3f}")


if __name__ == "__main__":
    main()
