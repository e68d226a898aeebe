"""`listen`, `record`, `input` and `monitor` in the real REPL, in a pseudo-terminal: with an
audio file as the input and no sound card, and with a private PulseAudio server as the
sound card (see test_repl.py for the terminal)."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import soundfile as sf
from pulse_server import private_pulse, pulse_missing
from test_repl import start, workdir  # noqa: F401 - workdir is a fixture

BAR = 44


def status(term, pattern: str, timeout: float = 10.0) -> str:
    """The status line once it matches `pattern` (it is redrawn twice a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        term.pump(0.1)
        if re.search(pattern, term.lines()[-1]):
            return term.lines()[-1]
    raise AssertionError(f"status line never matched {pattern!r}: {term.lines()[-1]!r}")


def test_listen_record_monitor_and_errors(workdir, tiny_model_path):  # noqa: F811
    rng = np.random.default_rng(5)
    sf.write(workdir / "in.wav", (0.3 * rng.standard_normal(44100 * 10)).astype(np.float32),
             44100)
    term = start(workdir, tiny_model_path, "--input-bars", "3")
    try:
        # no such device: one line, the REPL goes on
        out = term.run("listen 7")
        assert out.startswith("<repl>:1:1: live input unavailable: no input device 7")
        assert term.run("x = take(input, 1bar)").startswith(
            "<repl>:1:10: `input` is the live input: type `listen` first")

        out = term.run('listen "in.wav"')
        assert out.startswith("listening to in.wav (44100 Hz, 1 ch): the last 3 bars are kept")
        status(term, "│ input in.wav")
        assert term.run("record x 1bar") == (
            "recording x: 1 bar from the next bar line (bound when done)")
        status(term, r"● rec x \d\.\d/1 bars")
        assert term.run("y = fibo(x)").startswith("<repl>:1:10: `x` is still recording")
        term.wait_for("recorded x (1 bar)", timeout=30)
        assert term.run("show x").startswith(f"({BAR}, 8) latent array")
        assert term.run("t = orale(x, 3:1)") == ""
        assert term.run("monitor") == (
            "monitor: playback is unavailable, so the input cannot be heard")
        assert term.run("record input 1bar").startswith(
            "<repl>:1:1: `input` is the live input; choose another name")
        term.wait_for("input stopped: the file", timeout=30)  # 10 s of file, then it ends
        status(term, r"│ input stopped$")
        assert term.run("take(input, 1bar)").startswith(f"({BAR}, 8) latent array")
        assert term.run("listen off") == "input closed"
        assert "input" not in status(term, "no tracks")
        assert term.quit() == 0
    finally:
        term.child.close(force=True)


@pytest.mark.slow
@pytest.mark.skipif(pulse_missing() is not None, reason=str(pulse_missing()))
def test_monitor_through_a_sound_server(workdir, tiny_model_path):  # noqa: F811
    """With a (private PulseAudio) sound card: `listen` on a null sink's monitor source,
    `monitor` states its latency and the status line shows the measured one."""
    with private_pulse(workdir / "pulse", sink="out", more_sinks=("src",)) as env:
        term = start(workdir, tiny_model_path, **env, PULSE_SOURCE="src.monitor")
        try:
            assert "playback unavailable" not in term.text()
            out = term.run("listen")
            assert out.startswith("listening to default"), out
            out = term.run("monitor")
            assert re.fullmatch(r"monitoring the input through the model \(about \d+ ms late\)",
                                out), out
            line = status(term, r"│ monitor \d+ ms", timeout=20)
            assert "│ input default" in line and "dropouts" not in line
            assert term.run("monitor off") == "monitor off"
            assert term.run("listen off") == "input closed"
            assert term.quit() == 0
        finally:
            term.child.close(force=True)
