"""Real time through a private PulseAudio server with a null sink: no underruns.

The test starts its own `pulseaudio` (Debian package pulseaudio) with a null sink and a
private socket, and plays 20 s of a looping track with a swap through PortAudio, ALSA's
pulse plugin (Debian package libasound2-plugins) and that server, which consumes samples
at the real rate. It counts PortAudio's output underflows and the engine's short reads.
"""

from __future__ import annotations

import ctypes.util
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PULSE_CONF = HERE / "alsa" / "pulse.conf"
SECONDS = 20.0


def missing() -> str | None:
    if shutil.which("pulseaudio") is None:
        return "pulseaudio is not installed (Debian: apt-get install pulseaudio)"
    if ctypes.util.find_library("portaudio") is None:
        return "PortAudio is not installed (Debian: apt-get install libportaudio2)"
    if not glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so") + glob.glob(
        "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so"
    ):
        return "ALSA's pulse plugin is not installed (Debian: apt-get install libasound2-plugins)"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing() is not None, reason=str(missing()))]


@pytest.fixture
def pulse_env(tmp_path):
    """A private PulseAudio server with one null sink; the environment that reaches it."""
    runtime = tmp_path / "pulse"
    runtime.mkdir()
    socket = runtime / "native"
    script = runtime / "default.pa"
    script.write_text(
        "load-module module-null-sink sink_name=unravel_null rate=44100\n"
        "set-default-sink unravel_null\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
    )
    env = dict(os.environ, HOME=str(runtime), XDG_RUNTIME_DIR=str(runtime),
               PULSE_RUNTIME_PATH=str(runtime), PULSE_SERVER=f"unix:{socket}",
               ALSA_CONFIG_PATH=str(PULSE_CONF))
    log = open(runtime / "log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--disallow-exit", "--disable-shm", "-F", str(script)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            if socket.exists() or server.poll() is not None:
                break
            time.sleep(0.05)
        if not socket.exists():
            pytest.fail(f"pulseaudio did not start: {(runtime / 'log').read_text()}")
        yield env
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


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
    print(json.dumps(child(float(sys.argv[1]))))
