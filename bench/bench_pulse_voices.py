"""Many voices in real time through PulseAudio: underruns of N looping voices for S seconds.

Starts a private PulseAudio server with a null sink (as tests/test_realtime_pulse.py does;
Debian packages pulseaudio, libportaudio2, libasound2-plugins) and, in a child process
limited to two cores, plays N looping one-bar tracks of a model through the real-time
engine, PortAudio and ALSA's pulse plugin for S seconds, batched (the engine's default) and,
with --compare, one voice at a time. Prints PortAudio's output underflows, the engine's
short reads (underruns), its falling-behind notices and its decoding load.

Usage: python bench/bench_pulse_voices.py [--model PATH] [--voices 12] [--seconds 20]
       [--compare]     (default model: $UNRAVEL_RAVE_MODELS/v2_streaming.ts)
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def child(model_path: str, voices: int, seconds: float, batch: bool) -> dict:
    import numpy as np

    from unravel_lang.engine import Engine
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput, playback_status

    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    model = load_model(model_path)
    engine = Engine(model, seed=1, k=11, batch=None if batch else False,
                    chunk_frames=None if batch else 4)
    rng = np.random.default_rng(3)
    output = AudioOutput(engine)
    loads = []
    with output:
        for v in range(voices):
            engine.track(f"v{v}", Plan.of(rng.standard_normal((44, model.dims))
                                          .astype(np.float32)))
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            time.sleep(0.5)
            loads.append(engine.status().load)
        engine.hush()
        time.sleep(0.5)
    heard = engine.playhead / model.sr
    engine.close()
    return {"status": list(playback_status()), "voices": voices, "batched": batch,
            "chunk": engine.decoder.chunk_frames, "played": seconds, "heard": round(heard, 2),
            "underflows": output.underflows, "underruns": engine.underruns,
            "callbacks": output.callbacks, "latency": output.latency,
            "max_load": round(max(loads, default=0.0), 3),
            "notes": engine.take_notes(), "errors": engine.take_errors()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("UNRAVEL_RAVE_MODELS", ".cache/rave-models"))
    parser.add_argument("--model", default=str(default / "v2_streaming.ts"))
    parser.add_argument("--voices", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--compare", action="store_true",
                        help="also play the voices one at a time (before batching)")
    args = parser.parse_args()
    from pulse_server import private_pulse, pulse_missing

    missing = pulse_missing()
    if missing:
        print(f"cannot play through PulseAudio here: {missing}")
        return
    print(f"machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp, \
            private_pulse(Path(tmp) / "pulse", sink="unravel_null") as env:
        for batch in (True, False) if args.compare else (True,):
            done = subprocess.run(
                [sys.executable, __file__, "--child", args.model, str(args.voices),
                 str(args.seconds), "1" if batch else "0"],
                env=dict(os.environ, **env), capture_output=True, text=True,
                timeout=args.seconds + 300)
            if done.returncode:
                print(done.stderr)
                continue
            print(json.dumps(json.loads(done.stdout.strip().splitlines()[-1])))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, path, n, s, b = sys.argv
        print(json.dumps(child(path, int(n), float(s), b == "1")))
    else:
        main()
