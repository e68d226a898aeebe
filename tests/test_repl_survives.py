"""The REPL survives every error with a track playing: driven in a pseudo-terminal, playing
into a private PulseAudio server, one test per class of error (the language, a model, torch,
the file system, numpy, the sound card). After each error the bindings, the track, the model
and the tempo are what they were, and the sound card keeps receiving the track."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from broken_models import make_error_files
from pulse_server import pulse_missing
from test_repl import PULSE_TOOLS, pulse, start, workdir  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pulse_missing(PULSE_TOOLS) is not None,
                       reason=str(pulse_missing(PULSE_TOOLS))),
]


ERRORS = {
    "language": [("b = fibo(aa)", "<repl>:1:10: unknown name `aa`")],
    "model": [('model "nope.ts"', "nope.ts: model file not found"),
              ('model "sr.ts"', "sample rate of 2,000,000,000 Hz")],
    "torch": [('model "decode_raises.ts"',
               "decode_raises.ts: decode failed (RuntimeError: the decoder is broken)"),
              ('model "decode_shape.ts"', "decode_shape.ts: decode returned shape (1, 3)")],
    "file system": [('export a "noise.wav/x.npy"', "noise.wav is a file, not a folder"),
                    ("load longname.unr", "file name too long"),
                    ('b = load("fifo.npy")', "is a named pipe (FIFO)")],
    "numpy": [('b = load("huge.npy")', "(100000000000, 8) (3.2 TB) but the file holds"),
              ('b = load("garbage.npy")', "not a valid .npy file")],
}


def status(term, timeout: float = 30) -> str:
    """The status line (the bottom row), once drawn."""
    deadline = time.monotonic() + timeout
    while "model " not in term.lines()[-1] and time.monotonic() < deadline:
        term.pump(0.1)
    return term.lines()[-1]


def bar(term) -> int:
    found = re.search(r"bar (\d+)\.\d", term.lines()[-1])
    return int(found.group(1)) if found else 0


def wait_bars(term, bars: int, timeout: float = 90) -> None:
    """Pump until the status line's playhead is `bars` bars further on."""
    target = bar(term) + bars
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and bar(term) < target:
        term.pump(0.2)
    assert bar(term) >= target, term.lines()[-1]


def sounding_seconds(capture, since_bytes: int, sr: int = 44100) -> float:
    """Seconds of non-silent samples the sink received after byte `since_bytes`."""
    samples = np.fromfile(capture, dtype=np.float32)[since_bytes // 4 :]
    return float(np.count_nonzero(np.abs(samples) > 1e-4)) / sr


def playing_repl(workdir, tiny_model_path, pulse):  # noqa: F811 - fixtures
    make_error_files(workdir)
    term = start(workdir, tiny_model_path, **pulse)
    term.run('a = load("a.npy")')
    term.run("k 8")
    term.run("track t = fibo(a)")
    wait_bars(term, 1)
    return term


@pytest.mark.parametrize("kind", list(ERRORS))
def test_an_error_ends_nothing(workdir, tiny_model_path, pulse, kind):  # noqa: F811
    term = playing_repl(workdir, tiny_model_path, pulse)
    try:
        shown = term.run("show a")
        before = status(term)
        capture = workdir / "capture.raw"
        mark = capture.stat().st_size
        for line, said in ERRORS[kind]:
            out = term.run(line)
            assert said in out.replace("\n", ""), out  # long lines wrap on screen
            assert "Traceback" not in out and "internal error" not in out
            assert term.child.isalive()
        # the state: bindings, track, model, tempo
        assert term.run("show a") == shown
        assert term.run("show b").startswith("<repl>:1:6: unknown name `b`")
        assert term.run("tracks").startswith("t: 1 voice")
        for part in ("model tiny.ts", "k=8", "▶ t"):
            assert part in status(term) and part in before
        # the sound: the track keeps reaching the sound card
        wait_bars(term, 2)
        assert sounding_seconds(capture, mark) > 2.0
        assert "playback:" not in term.text()  # the engine stopped nothing
        assert term.quit() == 0
    finally:
        term.child.close(force=True)


def server_pid(pulse_env: dict[str, str]) -> int:
    """The pid of the private PulseAudio server this test started (found by its own
    runtime folder in its command line)."""
    from pathlib import Path

    script = str(Path(pulse_env["PULSE_RUNTIME_PATH"]) / "default.pa")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"pulseaudio") and script.encode() in cmdline:
                return int(entry.name)
    raise AssertionError("the private PulseAudio server is not running")


def test_the_sound_card_going_away_ends_nothing(workdir, tiny_model_path, pulse):  # noqa: F811
    import os
    import signal

    term = playing_repl(workdir, tiny_model_path, pulse)
    try:
        shown = term.run("show a")
        os.kill(server_pid(pulse), signal.SIGKILL)  # the sound card is gone
        term.pump(2.0)
        assert term.child.isalive()
        assert term.run("show a") == shown
        assert term.run("track u = reverse(a)") == ""
        listing = term.run("tracks")
        assert listing.startswith("t: 1 voice") and "\nu: 1 voice" in listing
        assert "model tiny.ts" in status(term) and "▶ t, u" in status(term)
        assert "Traceback" not in term.text()
        assert term.quit() == 0
    finally:
        term.child.close(force=True)
