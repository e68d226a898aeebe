"""Bounce equals live, on a genuine variational RAVE export: what a score's `export` writes,
what `unravel run -o` renders and what the same score sounds through the real-time path
are the same samples.

The live side runs in a child process: a real-time `Engine` read by `AudioOutput` (PortAudio
→ ALSA's pulse plugin → a private PulseAudio server with a float32 null sink); `parec`
records the sink's monitor. RAVE v2 decodes with seeded noise, so any difference in seeding
between the three paths would show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pulse_server import private_pulse, pulse_missing

from unravel_lang.cli import main

SEED = 5

pytestmark = [pytest.mark.genuine, pytest.mark.slow,
              pytest.mark.skipif(pulse_missing(("pulseaudio", "parec")) is not None,
                                 reason=str(pulse_missing(("pulseaudio", "parec"))))]


def trimmed(x: np.ndarray) -> np.ndarray:
    nonzero = np.flatnonzero(x)
    return x[nonzero[0] :] if len(nonzero) else x[:0]


def test_export_run_o_and_live_playback_are_the_same_samples(tmp_path, genuine_model_dir):
    model = genuine_model_dir / "v2_streaming.ts"
    rng = np.random.default_rng(1)
    np.save(tmp_path / "a.npy", rng.standard_normal((40, 8)).astype(np.float32))
    np.save(tmp_path / "b.npy", rng.standard_normal((24, 8)).astype(np.float32))
    body = f'model "{model}"\na = load("a.npy")\nb = load("b.npy")\n'
    (tmp_path / "bounce.unr").write_text(
        body + f'export a | gain(b, 0.5) "{tmp_path / "bounce.wav"}"\n')
    (tmp_path / "live.unr").write_text(body + "play a | gain(b, 0.5)\n")

    assert main(["run", str(tmp_path / "bounce.unr"), "--seed", str(SEED)]) == 0
    assert main(["run", str(tmp_path / "live.unr"), "--seed", str(SEED),
                 "-o", str(tmp_path / "run.wav")]) == 0
    assert main(["run", str(tmp_path / "live.unr"), "--seed", str(SEED),
                 "-o", str(tmp_path / "again.wav")]) == 0
    assert (tmp_path / "again.wav").read_bytes() == (tmp_path / "run.wav").read_bytes()
    bounce, _ = sf.read(tmp_path / "bounce.wav", dtype="float32")
    rendered, _ = sf.read(tmp_path / "run.wav", dtype="float32")
    np.testing.assert_array_equal(bounce, rendered)

    with private_pulse(tmp_path / "pulse", sink="unravel_null",
                       sink_args="rate=44100 format=float32le channels=1") as pulse:
        env = dict(os.environ, **pulse)
        with open(tmp_path / "capture.raw", "wb") as capture:
            recorder = subprocess.Popen(
                ["parec", "-d", "unravel_null.monitor", "--format=float32le", "--rate=44100",
                 "--channels=1", "--raw", "--latency-msec=20"], env=env, stdout=capture)
            try:
                time.sleep(0.5)
                done = subprocess.run([sys.executable, __file__, str(tmp_path / "live.unr"),
                                       str(model)], env=env, capture_output=True, text=True,
                                      timeout=180)
                time.sleep(0.5)
            finally:
                recorder.terminate()
                recorder.wait(10)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"live report: {report}")
    assert report["status"][0] is True and report["errors"] == []
    heard = trimmed(np.fromfile(tmp_path / "capture.raw", dtype=np.float32))
    want = trimmed(rendered)
    assert len(want) > 39 * 2048 and len(heard) >= len(want)
    np.testing.assert_array_equal(heard[: len(want)], want)
    assert np.count_nonzero(heard[len(want) :]) == 0


def child(score: str, model_path: str) -> dict:
    """Play `score` live (real-time engine, sound card) until it has sounded; report."""
    from unravel_lang.engine import Engine
    from unravel_lang.lang import Session
    from unravel_lang.model import load_model
    from unravel_lang.player import AudioOutput, playback_status

    model = load_model(model_path)
    engine = Engine(model, seed=SEED)
    output = AudioOutput(engine)
    with output:
        time.sleep(0.3)
        session = Session(model=model, performer=engine, seed=SEED, output=None,
                          base_dir=Path(score).parent)
        session.run(Path(score).read_text(), score)
        time.sleep(0.2)
        while engine.worker.active or engine.mixer.ring.filled:
            time.sleep(0.05)
        time.sleep(0.5)
    engine.close()
    return {"status": list(playback_status()), "underruns": engine.underruns,
            "underflows": output.underflows, "errors": engine.take_errors()}


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2])))
