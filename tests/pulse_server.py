"""A private PulseAudio server with a null sink, for the tests that play in real time.

The server listens on a socket of its own in a temporary folder, so it neither needs nor
disturbs a user's sound setup; PortAudio reaches it through ALSA's pulse plugin
(`tests/alsa/pulse.conf`).
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PULSE_CONF = Path(__file__).resolve().parent / "alsa" / "pulse.conf"


def pulse_missing(tools: tuple[str, ...] = ("pulseaudio",)) -> str | None:
    """Why real-time playback through PulseAudio cannot be tested here, or None."""
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install pulseaudio pulseaudio-utils)"
    if ctypes.util.find_library("portaudio") is None:
        return "PortAudio is not installed (Debian: apt-get install libportaudio2)"
    if not glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so") + glob.glob(
        "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so"
    ):
        return "ALSA's pulse plugin is not installed (Debian: apt-get install libasound2-plugins)"
    return None


@contextmanager
def private_pulse(runtime: Path, sink: str = "null", sink_args: str = "rate=44100",
                  more_sinks: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """Run `pulseaudio` with one null sink named `sink` (the default sink) from `runtime`,
    and a null sink for each name in `more_sinks` (same arguments); yields the environment
    variables that make a child process play into it."""
    runtime.mkdir()
    socket = runtime / "native"
    script = runtime / "default.pa"
    script.write_text(
        "".join(f"load-module module-null-sink sink_name={name} {sink_args}\n"
                for name in more_sinks)
        + f"load-module module-null-sink sink_name={sink} {sink_args}\n"
        f"set-default-sink {sink}\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
    )
    env = dict(HOME=str(runtime), XDG_RUNTIME_DIR=str(runtime), PULSE_RUNTIME_PATH=str(runtime),
               PULSE_SERVER=f"unix:{socket}", ALSA_CONFIG_PATH=str(PULSE_CONF))
    log = open(runtime / "log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--disallow-exit", "--disable-shm", "-F", str(script)],
        env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(400):
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
