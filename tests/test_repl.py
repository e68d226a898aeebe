"""The real REPL driven in a pseudo-terminal: keys typed, the screen read back.

Each test starts `python -m unravel_lang repl` on a tiny model in a pseudo-terminal and
reads the screen through a VT100 emulator (pyte), which also answers prompt_toolkit's cursor
position queries the way a terminal does. Playback is made unavailable by an ALSA
configuration whose only device is a missing card, except in the test that routes the
sound card to a file.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pexpect
import pytest
import soundfile as sf
from pulse_server import private_pulse, pulse_missing

from unravel_lang.patterns import fibo
from unravel_lang.tempo import snap

pyte = pytest.importorskip("pyte", reason="pyte (dev dependency: a terminal emulator) is missing")

ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")
ROWS, COLS = 40, 120
NO_DEVICE_ALSA = "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n"
REPO = Path(__file__).resolve().parent.parent
PULSE_TOOLS = ("pulseaudio", "parec")


class Terminal:
    """A child process on a pseudo-terminal of ROWS x COLS, with a screen emulator."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            sys.executable, ["-m", "unravel_lang", *args], cwd=str(cwd), env=env,
            dimensions=(ROWS, COLS),
        )
        # The emulator answers device status queries (cursor position) through the pty.
        self.screen.write_process_input = lambda data: self.child.send(data)
        self.raw = bytearray()

    def pump(self, seconds: float = 0.1) -> None:
        """Read what the child wrote during `seconds` into the screen and the transcript."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                data = self.child.read_nonblocking(65536, timeout=min(left, 0.05))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                return
            self.raw.extend(data)
            self.stream.feed(data)

    def text(self, since: int = 0) -> str:
        """The transcript from byte `since` on, escape sequences removed."""
        return ANSI.sub(b"", bytes(self.raw[since:])).decode("utf-8", "replace").replace("\r", "")

    def lines(self) -> list[str]:
        """The screen, one string per row, trailing blanks removed."""
        return [line.rstrip() for line in self.screen.display]

    def wait_for(self, needle: str, since: int = 0, timeout: float = 60) -> str:
        """Pump until `needle` is in the transcript after `since`; the transcript from there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            got = self.text(since)
            if needle in got:
                return got
            if not self.child.isalive():
                self.pump(0.2)
                if needle in self.text(since):
                    return self.text(since)
                break
        screen = "\n".join(self.lines())
        raise AssertionError(f"{needle!r} never appeared; screen:\n{screen}")

    def run(self, line: str, echo: str | None = None, timeout: float = 60) -> str:
        """Type `line` and Enter; once the next empty prompt shows, the screen rows between
        the row showing the input (`echo`, by default `unravel> LINE`) and that prompt."""
        self.child.send(line + "\r")
        shown = (f"unravel> {line}" if echo is None else echo).rstrip()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            rows = self.lines()[:-1]  # the last row is the status line
            inputs = [i for i, row in enumerate(rows) if row == shown]
            if inputs:
                after = rows[inputs[-1] + 1 :]
                if "unravel>" in after:
                    return "\n".join(after[: after.index("unravel>")])
            if not self.child.isalive():
                break
        screen = "\n".join(self.lines())
        raise AssertionError(f"no prompt after {shown!r}; screen:\n{screen}")

    def quit(self) -> int:
        """Ctrl-D on an empty line; the exit status."""
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF, timeout=30)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding half a second of noise to encode, and an ALSA setup without device."""
    rng = np.random.default_rng(3)
    sf.write(tmp_path / "noise.wav", (0.3 * rng.standard_normal(22050)).astype(np.float32), 44100)
    (tmp_path / "nodevice.conf").write_text(NO_DEVICE_ALSA)
    return tmp_path


def repl_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERM="xterm",
        UNRAVEL_HISTORY=str(workdir / "history"),
        ALSA_CONFIG_PATH=str(workdir / "nodevice.conf"),
        PYTHONPATH=str(REPO),
    )
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def start(workdir: Path, model: Path, *args: str, **env: str) -> Terminal:
    term = Terminal(["repl", "--model", str(model), *args], workdir, repl_env(workdir, **env))
    term.wait_for("unravel>")
    return term


def test_statements_errors_tracks_and_hush(workdir, tiny_model_path):
    term = start(workdir, tiny_model_path)
    try:
        assert term.run("bpm 120") == str(snap(120, 44100, 2048))

        term.run('a = normal(stats(encode("noise.wav")), k=11)')
        shown = term.run("show a")
        assert shown.startswith("(11, 8) latent array")

        # an error: message with the place, the line, a caret under the place
        head, line, caret = term.run("b = fibo(aa)").splitlines()
        assert head.startswith("<repl>:1:10: unknown name `aa`")
        assert line == "b = fibo(aa)" and caret == " " * 9 + "^"
        # ... and nothing changed: `a` is bound as before, `b` is not
        assert term.run("show a") == shown
        assert term.run("show b").startswith("<repl>:1:6: unknown name `b`")

        term.run("track t = fibo(a)")
        listing = term.run("tracks").splitlines()
        assert listing[0].startswith(f"t: 1 voice, {fibo(np.zeros((11, 1))).shape[0]} frames")
        assert listing[1:] == ["(silent: playback unavailable)"]
        assert "▶ t" in term.lines()[-1]  # the status line names the running track

        term.run("hush")
        assert term.run("tracks") == "no tracks"
        status = term.lines()[-1]
        assert f"model {tiny_model_path.name}" in status and "k=11 117.45 BPM" in status
        assert "no tracks" in status
        assert term.quit() == 0
    finally:
        term.child.close(force=True)
    # said once, at start, that playback is unavailable, and why
    transcript = term.text()
    assert transcript.count("playback unavailable:") == 1
    assert "no audio output device" in transcript


def test_history_is_kept_across_sessions(workdir, tiny_model_path):
    term = start(workdir, tiny_model_path)
    term.run("k 9")
    assert term.quit() == 0
    history = (workdir / "history").read_text()
    assert "+k 9" in history

    term = start(workdir, tiny_model_path)
    try:
        mark = len(term.raw)
        term.child.send("\x1b[A")  # Up: the last input of the previous session
        term.wait_for("k 9", mark)
        assert term.run("", echo="unravel> k 9").startswith("k=9 → 143.55 BPM")
        assert term.quit() == 0
    finally:
        term.child.close(force=True)


def test_tab_completes_a_bound_name_and_input_continues_over_lines(workdir, tiny_model_path):
    term = start(workdir, tiny_model_path)
    try:
        term.run('drums = normal(stats(encode("noise.wav")), k=8)')
        mark = len(term.raw)
        term.child.send("show dr\t")
        term.wait_for("drums", mark)
        term.pump(0.3)
        # highlighted as typed: the statement word bold, the bound name in its own colour
        row = max(i for i, line in enumerate(term.lines()) if line.endswith("show drums"))
        chars = term.screen.buffer[row]
        col = term.lines()[row].index("show drums")
        show, name, space = chars[col], chars[col + 5], chars[col + 4]
        assert show.bold and not name.bold
        assert len({show.fg, name.fg, space.fg}) == 3
        assert term.run("", echo="unravel> show drums").startswith("(8, 8) latent array")
        fibo_len = fibo(np.zeros((8, 1))).shape[0]

        # an open bracket continues the input on the next line
        mark = len(term.raw)
        term.child.send("x = fibo(\r")
        term.wait_for("........", mark)
        assert term.run("drums)", echo="........ drums)") == ""
        rows = term.lines()
        assert rows[rows.index("........ drums)") - 1] == "unravel> x = fibo("
        assert term.run("show x").startswith(f"({fibo_len}, 8) latent array")
        assert term.quit() == 0
    finally:
        term.child.close(force=True)


def test_help_load_and_export_without_a_sound_card(workdir, tiny_model_path):
    (workdir / "score.unr").write_text(
        'n = normal(stats(encode("noise.wav")), k=4)\n'
        "track loop = fibo(n)\n"
        'export fibo(n) "out.wav"\n'
    )
    term = start(workdir, tiny_model_path)
    try:
        out = term.run("help fibo")
        assert out.startswith("fibo(a, start=1, stop=none, n=1)")
        assert "Fibonacci" in out and "\nexample:\n  f = fibo(a)" in out
        out = term.run("load score.unr").splitlines()
        assert out[0].startswith("wrote out.wav") and out[1:] == ["loaded score.unr"]
        audio, sr = sf.read(workdir / "out.wav")
        assert sr == 44100 and np.abs(audio).max() > 0
        assert audio.shape[0] == fibo(np.zeros((4, 1))).shape[0] * 2048
        assert term.run("tracks").startswith("loop: 1 voice")
        assert term.quit() == 0
    finally:
        term.child.close(force=True)


@pytest.fixture
def pulse(workdir):
    """A private PulseAudio server whose default sink is a float32 mono null sink, and a
    recorder of that sink's monitor writing raw float32 samples to `capture.raw`."""
    import subprocess

    with private_pulse(workdir / "pulse", sink_args="rate=44100 channels=1 format=float32le"
                       ) as env, open(workdir / "capture.raw", "wb") as capture:
        recorder = subprocess.Popen(
            ["parec", "-d", "null.monitor", "--format=float32le", "--rate=44100",
             "--channels=1", "--raw"],
            env=dict(os.environ, **env), stdout=capture,
        )
        try:
            yield env
        finally:
            recorder.terminate()
            recorder.wait(10)


@pytest.mark.slow
@pytest.mark.skipif(pulse_missing(PULSE_TOOLS) is not None,
                    reason=str(pulse_missing(PULSE_TOOLS)))
def test_a_track_started_in_the_repl_reaches_the_sound_card(workdir, tiny_model_path, pulse):
    from unravel_lang.model import load_model

    term = start(workdir, tiny_model_path, **pulse)
    try:
        term.run('a = normal(stats(encode("noise.wav")), k=11)')
        term.run('export a "a.npy"')
        term.run("track t = fibo(a)")
        # the status line follows the engine's playhead; wait for it to pass bar 3
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            term.pump(0.2)
            bar = re.search(r"bar (\d+)\.\d", term.lines()[-1])
            if bar and int(bar.group(1)) >= 3:
                break
        assert bar and int(bar.group(1)) >= 3, term.lines()[-1]
        assert "▶ t" in term.lines()[-1]
        term.run("hush")
        assert term.quit() == 0
    finally:
        term.child.close(force=True)
    assert "playback unavailable" not in term.text()
    time.sleep(0.5)  # let the recorder take the last samples the server has mixed

    model = load_model(tiny_model_path)
    loop = fibo(np.load(workdir / "a.npy"))
    expected = model.stream().decode(np.concatenate([loop] * 8))[0]
    captured = np.fromfile(workdir / "capture.raw", dtype=np.float32)
    # the sink and short reads may add silence; the sounding samples are the track's, in
    # order: two whole loops at least (before hush's fade), equal to decoding the loop in one
    # piece up to float rounding of chunked convolutions. The null sink's monitor only starts
    # delivering once the sink wakes up for the first sound, so the capture may begin a few
    # milliseconds into the track: the head it missed is found, and bounded, first.
    got, want = captured[captured != 0], expected[expected != 0]
    n = 2 * loop.shape[0] * model.ratio
    head = int(0.1 * model.sr)
    assert len(got) >= n
    windows = np.lib.stride_tricks.sliding_window_view(want[: head + 256], 256)
    missed = int(np.abs(windows - got[:256]).max(axis=1).argmin())
    np.testing.assert_allclose(got[: n - missed], want[missed:n], rtol=0, atol=1e-5)
