"""Live input figures, measured side by side in one run.

1. Input to latent: ms from a sample entering to the latent frame holding it being in the
   input's ring, with an audio file played in real time as the input (`FileSource`, 10 ms
   blocks), for the embedded model and a genuine RAVE v2 streaming export: the last sample
   of a frame (block + encode) and the first (plus the frame's own length, ratio / sr).
2. Monitor round trip: ms from a sample entering a PortAudio input to its decoded sound
   leaving the output, through a private PulseAudio server (the real-time test's child:
   measured by the engine's and the input's clocks), against nn~'s default buffer of 4096
   samples at 44.1 kHz (93 ms).
3. CPU share of continuous encoding: CPU seconds per second of input, 10 ms blocks through
   one `EncoderStream`, for both models (1 torch thread).

Usage: python bench/bench_live_input.py [--seconds S] [--monitor-seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from unravel_lang.audio import write_wav
from unravel_lang.live.input import FileSource, LiveInput
from unravel_lang.model import load_model

REPO = Path(__file__).resolve().parent.parent
NN_TILDE_MS = 4096 / 44100 * 1000


def models() -> list[tuple[str, object]]:
    out = [("embedded", load_model(None))]
    folder = Path(os.environ.get("UNRAVEL_RAVE_MODELS", REPO / ".cache" / "rave-models"))
    genuine = folder / "v2_streaming.ts"
    if genuine.is_file():
        out.append(("v2_streaming", load_model(genuine)))
    else:
        print(f"(genuine export missing: {genuine}; only the embedded model is measured)")
    return out


def signal(seconds: float, sr: int = 44100) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * rng.standard_normal(t.size)
            ).astype(np.float32)[None]


def input_to_latent(model, wav: Path, seconds: float) -> tuple[float, float, float]:
    """(median ms last sample -> frame, 95th percentile, ms of one frame of audio)."""
    live = LiveInput(model, bars=16, grid=lambda: (0, 44))
    live.start(FileSource(str(wav)))
    time.sleep(seconds)
    live.close()
    lat = np.array(live.frame_latency) * 1000
    return float(np.median(lat)), float(np.percentile(lat, 95)), model.ratio / model.sr * 1000


def cpu_share(model, seconds: float) -> float:
    """CPU seconds spent encoding per second of input (10 ms blocks, one stream)."""
    x = signal(seconds)
    stream = model.encoder(44100, 1)
    block = 441
    stream.push(x[:, :block])  # first call out of the measure
    t0 = time.process_time()
    for i in range(block, x.shape[1], block):
        stream.push(x[:, i : i + block])
    return (time.process_time() - t0) / (seconds - block / 44100)


def monitor_round_trip(seconds: float) -> dict | None:
    sys.path.insert(0, str(REPO / "tests"))
    from pulse_server import private_pulse, pulse_missing

    why = pulse_missing()
    if why:
        print(f"(monitor round trip not measured: {why})")
        return None
    sys.path.insert(0, str(REPO / "tests"))
    from test_live_input_pulse import known_signal

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "known.wav"
        write_wav(wav, known_signal(seconds + 10), 44100)
        with private_pulse(Path(tmp) / "pulse", sink="out", more_sinks=("src",),
                           sink_args="rate=44100 channels=1 format=float32le") as env:
            done = subprocess.run(
                [sys.executable, str(REPO / "tests" / "test_live_input_pulse.py"), "listen",
                 str(seconds), str(wav)],
                env=dict(os.environ, **env, PULSE_SOURCE="src.monitor",
                         PYTHONPATH=os.environ.get("PYTHONPATH", str(REPO))),
                capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        print(f"(monitor run failed: {done.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--monitor-seconds", type=float, default=8.0)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    loaded = models()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "in.wav"
        write_wav(wav, signal(args.seconds + 2), 44100)
        print("\n1. input to latent (file played in real time, 10 ms blocks)")
        for name, model in loaded:
            med, p95, frame = input_to_latent(model, wav, args.seconds)
            print(f"  {name:13s} last sample of a frame: {med:6.1f} ms median, {p95:6.1f} ms "
                  f"p95; first sample: {med + frame:6.1f} ms (+ one frame, {frame:.1f} ms)")
    print("\n2. monitor round trip (PulseAudio, embedded model)")
    report = monitor_round_trip(args.monitor_seconds)
    if report is not None:
        ms = report["monitor_latency_ms"]
        pre = (2048 + 44100 // 20) / 44100 * 1000  # MonitorMix's default for the model
        print(f"  measured {ms:.0f} ms (estimate {report['monitor_estimate_ms']:.0f} ms: input "
              f"{report['input_latency_ms']:.0f} + frame 46 + encode/decode + prebuffer "
              f"{pre:.0f} + output {report['output_latency_ms']:.0f}); nn~ default "
              f"{NN_TILDE_MS:.0f} ms: {ms / NN_TILDE_MS:.2f}x; dropouts "
              f"{report['monitor_underruns']}")
    print("\n3. CPU share of continuous encoding (1 torch thread)")
    shares = {name: cpu_share(model, args.seconds) for name, model in loaded}
    for name, share in shares.items():
        print(f"  {name:13s} {share * 100:5.1f} % of one core")
    if len(shares) == 2:
        print(f"  v2_streaming / embedded: {shares['v2_streaming'] / shares['embedded']:.1f}x")


if __name__ == "__main__":
    main()
