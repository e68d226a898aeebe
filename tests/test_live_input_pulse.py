"""The live input in real time, through a private PulseAudio server with two null sinks.

A player process plays a known file into the sink `src` and reports when its first sample
is heard (PortAudio's DAC time, on the monotonic clock). The unravel process plays a track
into the default sink `out` (so the engine's grid moves), listens on `src.monitor` through
PortAudio, records one bar, then monitors the input for 20 s.

- `record x 1bar` captures the right bar: the recorded latents are matched against offline
  encodings of the known file at every sample offset that is a multiple of 256 (8 per latent
  frame); the best match must lie within one latent frame (2048 samples) of where the
  bar line was heard, as the two processes' clocks place it (the player reports, for each
  of its buffers, which file sample was heard when).
- monitoring runs 20 s without a dropout of the monitor, an engine underrun, an output
  underflow or an input overflow.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pulse_server import private_pulse, pulse_missing

SECONDS = 20.0
FILE_SECONDS = 30.0
SHIFTS = 8

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(pulse_missing() is not None, reason=str(pulse_missing()))]


def known_signal(seconds: float = FILE_SECONDS, sr: int = 44100) -> np.ndarray:
    """A tone whose pitch wanders and noise bursts at irregular places: no two bars alike."""
    rng = np.random.default_rng(11)
    t = np.arange(int(seconds * sr)) / sr
    pitch = 200 + 150 * np.sin(2 * np.pi * 0.13 * t) + 80 * np.sin(2 * np.pi * 0.71 * t)
    tone = 0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / sr)
    gates = np.repeat(rng.random(int(seconds * 8) + 1) > 0.6, sr // 8 + 1)[: t.size]
    return (tone + 0.25 * rng.standard_normal(t.size) * gates).astype(np.float32)[None]


@pytest.fixture
def pulse_env(tmp_path):
    with private_pulse(tmp_path / "pulse", sink="out", more_sinks=("src",),
                       sink_args="rate=44100 channels=1 format=float32le") as env:
        yield dict(os.environ, **env)


def test_record_lands_on_the_bar_and_monitoring_has_no_dropouts(pulse_env, tmp_path):
    from unravel_lang.audio import write_wav
    from unravel_lang.model import load_model

    x = known_signal()
    wav = tmp_path / "known.wav"
    write_wav(wav, x, 44100)
    done = subprocess.run(
        [sys.executable, __file__, "listen", str(SECONDS), str(wav)],
        env=dict(pulse_env, PULSE_SOURCE="src.monitor"), capture_output=True, text=True,
        timeout=FILE_SECONDS + 120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    played = report["player"]
    print(f"real-time input report: { {k: v for k, v in report.items() if k not in 'x player'} }"
          f"; player underflows at samples {played['underflows']}")

    model = load_model(None)
    got = np.asarray(report["x"], dtype=np.float32)
    assert got.shape == (44, model.dims)
    best = (np.inf, 0)
    for shift in range(SHIFTS):
        offset = shift * model.ratio // SHIFTS
        z = model.encode(x[:, offset:], 44100)
        windows = np.lib.stride_tricks.sliding_window_view(z, got.shape, axis=(0, 1))[:, 0]
        err_ = np.sqrt(((windows - got) ** 2).mean(axis=(1, 2)))
        lag = int(err_.argmin())
        best = min(best, (float(err_[lag]), lag * model.ratio + offset))
    match, found = best
    # the file sample heard when the bar line was: from the player's latest buffer before it
    at = report["bar_heard_at"]
    pos, heard = max((m for m in played["marks"] if m[1] <= at), key=lambda m: m[1])
    expected = pos + (at - heard) * 44100
    spread = float(np.sqrt((got ** 2).mean()))
    print(f"bar found at sample {found}, expected {expected:.0f} "
          f"({(found - expected) / model.ratio:+.2f} frames); rms error {match:.3f} "
          f"of rms {spread:.3f}")
    assert match < 0.35 * spread  # it is the file's encoding, not something else
    assert abs(found - expected) <= model.ratio  # within one latent frame
    assert report["messages"] == ["recorded x (1 bar)"], report["messages"]
    assert report["monitor_written"] > SECONDS * 0.9 * 44100  # the monitor really played
    assert report["monitor_underruns"] == 0, report
    assert report["engine_underruns"] == 0 and report["output_underflows"] == 0, report
    assert report["input_overflows"] == 0, report


def _pulse_server_pid(runtime: Path) -> int:
    """The pid of the `pulseaudio` this test started from `runtime` (its own script path)."""
    script = str(runtime / "default.pa")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        except OSError:
            continue
        if script in cmdline and "pulseaudio" in cmdline:
            return int(pid)
    raise AssertionError("the private pulseaudio is not running")


def test_an_input_that_vanishes_is_reported_and_its_recording_stops(tmp_path):
    """The sound server dies mid-recording (as an unplugged device): one report, the
    recording ends unbound, and the session goes on."""
    runtime = tmp_path / "pulse"
    with private_pulse(runtime, sink="out", more_sinks=("src",)) as env:
        child = subprocess.Popen(
            [sys.executable, __file__, "vanish"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, **env, PULSE_SOURCE="src.monitor"))
        try:
            assert child.stdout.readline().strip() == "recording", child.stderr.read()
            os.kill(_pulse_server_pid(runtime), signal.SIGKILL)
            child.stdin.write("killed\n")
            child.stdin.flush()
            out, err = child.communicate(timeout=60)
        finally:
            child.kill()
    assert child.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["news"][0] in ("input stopped: the input device stopped",
                                 "input stopped: no sound from default for 2 s"), report
    assert re.fullmatch(r"recording x stopped after \d\.\d of 2 bars; x is not bound",
                        report["news"][1]), report
    assert report["bound"] is False and report["after"] == [8, 8]


def vanish() -> dict:
    """Listen to the default input, book a 2-bar recording, wait for the input to vanish."""
    from unravel_lang.lang.session import Session
    from unravel_lang.live.host import LiveHost
    from unravel_lang.model import load_model

    session = Session(model=load_model(None), output=None)
    session.live = LiveHost(session, lambda: None)
    session.run("listen")
    while session.live.input.ring.end < 5:
        time.sleep(0.02)
    session.run("record x 2bars")
    print("recording", flush=True)
    sys.stdin.readline()
    deadline = time.monotonic() + 10
    while session.live.input.stopped is None and time.monotonic() < deadline:
        time.sleep(0.05)
    news = session.collect_live()
    session.run("k 8")
    after = [session.k, session.eval("2 * 4")]
    session.live.close()
    return {"news": news, "bound": "x" in session.env, "after": after}


def play(path: str) -> dict:
    """Play `path` into the default output; report when each buffer's first sample was heard
    (`marks`: [file sample, monotonic second]) and PortAudio's underflows."""
    import sounddevice as sd

    from unravel_lang.audio import read_audio

    audio, sr = read_audio(path)
    a = np.ascontiguousarray(audio.T)
    pos = 0
    marks: list[tuple[int, float]] = []
    underflows = []
    done = []

    def callback(outdata, frames, t, status):
        nonlocal pos
        if status.output_underflow:
            underflows.append(pos)
        marks.append((pos, time.monotonic() + (t.outputBufferDacTime - t.currentTime)))
        n = min(frames, a.shape[0] - pos)
        outdata[:n] = a[pos : pos + n]
        outdata[n:] = 0
        pos += n
        if n < frames:
            raise sd.CallbackStop

    with sd.OutputStream(samplerate=sr, channels=a.shape[1], dtype="float32",
                         callback=callback, latency=0.2,
                         finished_callback=lambda: done.append(1)):
        while not marks:
            time.sleep(0.01)
        print("playing", flush=True)
        while not done:
            time.sleep(0.05)
    return {"marks": marks, "underflows": underflows}


def listen(seconds: float, wav: str) -> dict:
    """Play a track, listen to the default input, start the player of `wav` (into the sink
    `src`), record a bar 3 s later, monitor for `seconds`."""
    from unravel_lang.engine import Engine
    from unravel_lang.lang.session import Session
    from unravel_lang.live.host import LiveHost
    from unravel_lang.live.stage import Live
    from unravel_lang.model import load_model
    from unravel_lang.plan import Plan
    from unravel_lang.player import AudioOutput

    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    model = load_model(None)
    engine = Engine(model, seed=1, k=11)
    output = AudioOutput(engine)
    output.start()
    live = Live(engine, output)
    engine.track("t", Plan.of(np.zeros((44, model.dims), np.float32)))
    session = Session(model=model, output=None)
    host = LiveHost(session, lambda: live)
    session.live = host
    host.listen(None)
    inp = host.input
    player = subprocess.Popen([sys.executable, __file__, "play", wav],
                              env=dict(os.environ, PULSE_SINK="src"), stdout=subprocess.PIPE,
                              text=True)
    assert player.stdout.readline().strip() == "playing"
    time.sleep(3.0)
    rec = inp.record("x", 44)
    while not inp.completed:
        assert inp.stopped is None, inp.stopped
        time.sleep(0.02)
    bar_heard_at = engine.time_of(rec.at * model.ratio)
    messages = session.collect_live()
    mix = inp.start_monitor()
    engine.add_source(mix)
    time.sleep(seconds)
    report = {
        "x": session.env["x"].tolist(), "bar_heard_at": bar_heard_at, "messages": messages,
        "monitor_underruns": mix.underruns, "monitor_written": mix.write_pos,
        "monitor_latency_ms": None if mix.latency is None else mix.latency * 1000,
        "monitor_estimate_ms": inp.monitor_latency_estimate(output.latency) * 1000,
        "engine_underruns": engine.underruns, "output_underflows": output.underflows,
        "input_overflows": inp.source.overflows, "input_latency_ms": inp.source.latency * 1000,
        "frame_latency_ms": float(np.median(inp.frame_latency)) * 1000,
        "output_latency_ms": output.latency * 1000, "stopped": inp.stopped,
    }
    host.close()
    live.close()
    out, _ = player.communicate(timeout=FILE_SECONDS + 30)
    report["player"] = json.loads(out.strip().splitlines()[-1])
    return report


if __name__ == "__main__":
    if sys.argv[1] == "play":
        print(json.dumps(play(sys.argv[2])))
    elif sys.argv[1] == "vanish":
        print(json.dumps(vanish()))
    else:
        print(json.dumps(listen(float(sys.argv[2]), sys.argv[3])))
