"""Real time through a private PulseAudio server with a null sink: no underruns.

The test starts its own `pulseaudio` (Debian package pulseaudio) with a null sink and a
private socket, and plays 20 s of a looping track with a swap through PortAudio, ALSA's
pulse plugin (Debian package libasound2-plugins) and that server, which consumes samples
at the real rate. It counts PortAudio's output underflows and the engine's short reads.
With genuine RAVE exports, it also plays twelve looping voices of RAVE v2 for 20 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pulse_server import private_pulse, pulse_missing

HERE = Path(__file__).resolve().parent
SECONDS = 20.0


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(pulse_missing() is not None, reason=str(pulse_missing()))]


@pytest.fixture
def pulse_env(tmp_path):
    """A private PulseAudio server with one null sink; the environment that reaches it."""
    with private_pulse(tmp_path / "pulse", sink="unravel_null") as env:
        yield dict(os.environ, **env)


def test_twenty_seconds_with_a_swap_have_no_underruns(pulse_env):
    done = subprocess.run([sys.executable, __file__, str(SECONDS)], env=pulse_env,
                          capture_output=True, text=True, timeout=SECONDS + 120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"real-time report: {report}")
    assert report["status"][0] is True, report
    assert report["heard"] > 1.0 and report["callbacks"] > 0  # sound went through
    assert report["errors"] == []
    assert report["underflows"] == 0, report
    assert report["underruns"] == 0, report


@pytest.mark.genuine
def test_twelve_voices_of_a_genuine_export_for_twenty_seconds_have_no_underruns(
        pulse_env, genuine_model_dir):
    """Twelve looping tracks of RAVE v2, batched, on two cores: nothing breaks up."""
    model = genuine_model_dir / "v2_streaming.ts"
    done = subprocess.run([sys.executable, __file__, str(SECONDS), str(model), "12"],
                          env=pulse_env, capture_output=True, text=True, timeout=SECONDS + 180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"real-time report, load average {os.getloadavg()}: {report}")
    assert report["status"][0] is True and report["batched"], report
    assert report["heard"] > SECONDS / 2 and report["errors"] == []
    assert report["underflows"] == 0, report
    assert report["underruns"] == 0, report


def child_voices(seconds: float, model_path: str, voices: int) -> dict:
    """Play `voices` looping one-bar tracks of a model for `seconds`; report the counters."""
    import numpy as np

    from unravel_lang.engine import Engine
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput, playback_status

    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    model = load_model(model_path)
    rng = np.random.default_rng(3)
    engine = Engine(model, seed=1, k=11)
    output = AudioOutput(engine)
    with output:
        for v in range(voices):
            engine.track(f"v{v}", Plan.of(rng.standard_normal((44, model.dims))
                                          .astype(np.float32)))
        time.sleep(seconds)
        engine.hush()
        time.sleep(0.5)
    heard = engine.playhead / model.sr
    engine.close()
    return {"status": list(playback_status()), "batched": engine.decoder.batched,
            "heard": heard, "underflows": output.underflows, "underruns": engine.underruns,
            "notes": engine.take_notes(), "errors": engine.take_errors()}


def child(seconds: float) -> dict:
    """Play a looping track for `seconds`, swap it halfway, stop it; report the counters."""
    import numpy as np

    from unravel_lang.engine import Engine
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput, playback_status

    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    model = load_model(None)
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal((44, model.dims)).astype(np.float32) for _ in range(2))
    engine = Engine(model, seed=1, k=11)
    output = AudioOutput(engine)
    with output:
        engine.track("a", Plan.of(a))
        time.sleep(seconds / 2)
        engine.track("a", Plan.of(b))
        time.sleep(seconds / 2)
        engine.stop("a")
        time.sleep(0.5)
    heard = engine.playhead / model.sr
    engine.close()
    return {"status": list(playback_status()), "played": seconds, "heard": heard,
            "underflows": output.underflows, "underruns": engine.underruns,
            "callbacks": output.callbacks, "latency": output.latency,
            "errors": engine.take_errors()}


if __name__ == "__main__":
    if len(sys.argv) > 2:
        print(json.dumps(child_voices(float(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
    else:
        print(json.dumps(child(float(sys.argv[1]))))
