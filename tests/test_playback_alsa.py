"""Playback through the real sounddevice/PortAudio/ALSA path, captured by ALSA's file plugin.

The playing runs in a child process (this file run as a script) because ALSA reads
ALSA_CONFIG_PATH when PortAudio starts. `alsa/asound.conf` makes the default device write
what it receives (float32, as PortAudio opens it) to $UNRAVEL_ALSA_CAPTURE.
Needs Debian's libportaudio2 (and libasound2, which it pulls in).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ALSA_CONF = HERE / "alsa" / "asound.conf"
SEED, K = 5, 8
BAR = 4 * K

pytestmark = pytest.mark.skipif(
    ctypes.util.find_library("portaudio") is None or ctypes.util.find_library("asound") is None,
    reason="PortAudio or ALSA is not installed (Debian: apt-get install libportaudio2)",
)


def session_latents(dims: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return (rng.standard_normal((BAR, dims)).astype(np.float32),
            rng.standard_normal((BAR, dims)).astype(np.float32))


def play_in_child(tmp_path: Path, *args: str) -> tuple[np.ndarray, dict]:
    """Run this file as a child with the capture config; the captured float32 samples and
    the child's JSON report."""
    capture = tmp_path / "capture.raw"
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CONF), UNRAVEL_ALSA_CAPTURE=str(capture))
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return np.fromfile(capture, dtype=np.float32), report


def trimmed(x: np.ndarray) -> np.ndarray:
    """`x` without its leading zeros."""
    nonzero = np.flatnonzero(x)
    return x[nonzero[0] :] if len(nonzero) else x[:0]


def assert_played(captured: np.ndarray, expected: np.ndarray) -> None:
    got, want = trimmed(captured), trimmed(expected)
    assert len(want) > 0 and len(got) >= len(want)
    np.testing.assert_array_equal(got[: len(want)], want)
    assert np.count_nonzero(got[len(want) :]) == 0


def test_an_engine_session_reaches_alsa_sample_for_sample(tmp_path, noisy_model_path):
    from unravel_lang.engine import track_seed
    from unravel_lang.engine.mixer import fade_ramp
    from unravel_lang.engine.timeline import fade_out
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.render import render

    model = load_model(noisy_model_path)
    captured, report = play_in_child(tmp_path, "session", str(noisy_model_path))
    assert report["status"][0] is True, report
    assert report["callbacks"] > 0
    a, b = session_latents(model.dims)
    expected = render(Plan.of(np.concatenate([a, a, a, b, b, b])), model,
                      seed=track_seed(SEED, "a"))
    fade_out(expected, 5 * BAR * model.ratio, fade_ramp(model.sr, 5.0))
    assert_played(captured, expected[0])


def test_play_array_reaches_alsa_sample_for_sample(tmp_path):
    captured, report = play_in_child(tmp_path, "array")
    assert report["status"][0] is True, report
    assert_played(captured, test_signal())


def test_signal() -> np.ndarray:
    """Half a second of seeded noise at 44.1 kHz, mono, no zero sample at the start."""
    x = np.random.default_rng(7).uniform(-0.9, 0.9, 22050).astype(np.float32)
    x[0] = 0.5
    return x


test_signal.__test__ = False  # a helper, not a test


def child_session(model_path: str) -> dict:
    from unravel_lang.engine import Engine
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput, playback_status

    model = load_model(model_path)
    a, b = session_latents(model.dims)
    engine = Engine(model, seed=SEED, k=K, realtime=False, ahead_frames=6 * BAR, max_voices=2)
    engine.track("a", Plan.of(a))
    engine.run_to(3 * BAR)
    engine.track("a", Plan.of(b))
    engine.run_to(5 * BAR)
    engine.stop("a")
    engine.run_to(6 * BAR)
    output = AudioOutput(engine)
    output.start()
    while engine.mixer.ring.filled > 0:
        time.sleep(0.01)
    time.sleep(0.3)
    output.close()
    engine.close()
    return {"status": list(playback_status()), "callbacks": output.callbacks,
            "underflows": output.underflows}


def child_array() -> dict:
    from unravel_lang.player import play_array, playback_status

    play_array(test_signal(), 44100)
    return {"status": list(playback_status())}


if __name__ == "__main__":
    mode = sys.argv[1]
    result = child_session(sys.argv[2]) if mode == "session" else child_array()
    print(json.dumps(result))
