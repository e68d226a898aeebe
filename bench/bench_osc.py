"""OSC out figures, measured in one run.

1. Jitter against the grid: 4 tracks x 8 dims (the embedded model) play in real time (paced
   by the system clock); every frame and tick is sent to a UDP socket on loopback. For each
   message: send time minus due time (the moment its frame is heard here, minus the lead),
   and arrival time at the receiver minus due time; median, p99 and max in ms.
2. CPU saved by remote decoding: the same 4 tracks for the same wall time decoded here
   (`both`) and decoded remotely only (`remote`, frames sent, no model run); process CPU
   seconds per wall second of each, and their ratio.

Usage: python bench/bench_osc.py [--seconds S] [--cpu-seconds S] [--model M.ts]
(the default: 60 s of jitter, 20 s per CPU run; on a loaded machine pass less and say so).
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time

import numpy as np

from unravel_lang.engine import Engine
from unravel_lang.live.osc import OscOut
from unravel_lang.live.paced import PacedOutput
from unravel_lang.model import load_model
from unravel_lang.plan import Plan

TRACKS = 4


def latent(frames: int, dims: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, dims)).astype(np.float32)


class Sink:
    """A UDP receiver on loopback that stamps each datagram's arrival (monotonic s)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.arrivals: list[float] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                self.sock.recv(65536)
            except TimeoutError:
                continue
            self.arrivals.append(time.monotonic())

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def play(model, seconds: float, remote: bool, lead_ms: float = 0.0):
    """4 looping tracks for `seconds` of wall time; (OscOut log, sink arrivals, CPU s)."""
    sink = Sink()
    engine = Engine(model, seed=0, k=11)
    output = PacedOutput(engine)
    with engine:
        output.start()
        out = OscOut(engine, f"127.0.0.1:{sink.sock.getsockname()[1]}", lead_ms=lead_ms,
                     record=True)
        for t in range(TRACKS):
            name = f"t{t}"
            if remote:
                engine.set_decode(name, False)
            engine.track(name, Plan.of(latent(44, model.dims, t)))
        time.sleep(1.0)  # settle: first decodes, marks
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        engine.hush()
        out.drop()
        time.sleep(0.2)
        out.close()
        output.close()
        underruns = engine.underruns
    sink.close()
    return out.log, sink.arrivals, cpu / wall, underruns


def figures(values_s: list[float]) -> str:
    ms = np.asarray(values_s) * 1000.0
    return (f"median {np.median(ms):7.3f} ms   p99 {np.percentile(ms, 99):7.3f} ms   "
            f"max {ms.max():7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--model", default=None, help="a RAVE .ts (default: embedded)")
    parser.add_argument("--lead", type=float, default=0.0, help="osc lead in ms")
    args = parser.parse_args()
    model = load_model(args.model)
    load = os.getloadavg()[0]
    print(f"model {os.path.basename(getattr(model, 'path', 'default'))}: sr {model.sr}, "
          f"ratio {model.ratio}, {model.dims} dims; {TRACKS} tracks; "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at start")

    log, arrivals, _, underruns = play(model, args.seconds, remote=False, lead_ms=args.lead)
    timed = [s for s in log if s.due is not None]
    late = [s.at - s.due for s in timed]
    frames = sum(1 for s in timed if "/beat" not in s.address and "/bar" not in s.address)
    print(f"\n1. OSC send vs grid over {args.seconds:g} s ({len(timed)} messages, {frames} "
          f"frames of {TRACKS} tracks x {model.dims} dims, lead {args.lead:g} ms, "
          f"{underruns} engine underruns)")
    print(f"   send - due     {figures(late)}")
    if len(arrivals) == len(log):
        arrived = [a - s.due for a, s in zip(arrivals, log, strict=True) if s.due is not None]
        print(f"   arrival - due  {figures(arrived)}")
    else:
        print(f"   arrivals: {len(arrivals)} of {len(log)} messages (UDP dropped some)")

    _, _, cpu_local, u1 = play(model, args.cpu_seconds, remote=False)
    _, _, cpu_remote, u2 = play(model, args.cpu_seconds, remote=True)
    print(f"\n2. CPU over {args.cpu_seconds:g} s of {TRACKS} tracks (process CPU s per wall s)")
    print(f"   decoded here and sent (both): {cpu_local:.3f}   ({u1} underruns)")
    print(f"   sent only (remote):           {cpu_remote:.3f}   ({u2} underruns)")
    saved = 1.0 - cpu_remote / cpu_local if cpu_local > 0 else float("nan")
    print(f"   remote decoding uses {cpu_remote / cpu_local:.3f}x the CPU: "
          f"{100 * saved:.1f} % saved")


if __name__ == "__main__":
    main()
