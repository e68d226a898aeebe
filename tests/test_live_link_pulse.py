"""Following a Link peer through the real sound path: PortAudio → ALSA's pulse plugin → a
private PulseAudio server's null sink, captured from its monitor with `parec`.

The child process (this file run as a script) joins a peer at 123 BPM and plays a one-frame
hit on every beat through `AudioOutput`, so the retimer places the beats from PortAudio's own
timing reports. The capture cannot tell when it was heard, so this checks what it can: every
beat is there, and the beats are 60/123 s apart in the captured audio.
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
from pulse_server import private_pulse, pulse_missing

from unravel_lang.live.link import INSTALL, link_available

HERE = Path(__file__).resolve().parent
SECONDS = 8.0
TOOLS = ("pulseaudio", "parec")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pulse_missing(TOOLS) is not None, reason=str(pulse_missing(TOOLS))),
    pytest.mark.skipif(not link_available(), reason=f"Link support is not installed ({INSTALL})"),
]


def test_beats_through_the_sound_card_are_the_session_beats_apart(tmp_path):
    with private_pulse(tmp_path / "pulse", sink_args="rate=44100 channels=1 format=float32le"
                       ) as env, open(tmp_path / "capture.raw", "wb") as capture:
        env = dict(os.environ, **env, PYTHONPATH=os.pathsep.join(sys.path))
        recorder = subprocess.Popen(
            ["parec", "-d", "null.monitor", "--format=float32le", "--rate=44100",
             "--channels=1", "--raw"], env=env, stdout=capture)
        try:
            done = subprocess.run([sys.executable, __file__, str(SECONDS)], env=env,
                                  capture_output=True, text=True, timeout=SECONDS + 120)
            time.sleep(0.5)  # the last samples the server has mixed
        finally:
            recorder.terminate()
            recorder.wait(10)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["answer"] == "link: 1 peer · 123.00 BPM (following, k=11)"
    from linkpeer import onsets

    audio = np.fromfile(tmp_path / "capture.raw", dtype=np.float32)[None]
    found = onsets(audio, int(0.03 * 44100))
    intervals = np.diff(found) / 44100
    print(f"{len(found)} onsets; interval errors (ms): median "
          f"{np.median(np.abs(intervals - 60 / 123)) * 1000:.3f}, max "
          f"{np.max(np.abs(intervals - 60 / 123)) * 1000:.3f}; underflows {report['underflows']}")
    assert len(found) >= SECONDS * 123 / 60 - 6  # every beat after the first bar line
    errors_ms = np.round((intervals - 60 / 123) * 1000, 3)
    assert np.max(np.abs(errors_ms)) < 1.0, (errors_ms, report)


def _play(seconds: float) -> None:
    """The child: follow a peer at 123 BPM through the default output device."""
    sys.path.insert(0, str(HERE))
    from linkpeer import Peer

    from unravel_lang.engine import Engine
    from unravel_lang.live.link import LinkControl
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput

    model = load_model(None)
    with Peer(123) as _peer:
        engine = Engine(model, k=11)
        output = AudioOutput(engine)
        output.start()
        control = LinkControl(engine, output)
        answer = control.answer()
        engine.track("hit", Plan.of(np.full((1, model.dims), 3.0, np.float32)))
        time.sleep(seconds)
        control.close()
        output.close()
        engine.close()
    print(json.dumps({"answer": answer, "underflows": output.underflows,
                      "underruns": control.retimer.underruns}))


if __name__ == "__main__":
    _play(float(sys.argv[1]))
