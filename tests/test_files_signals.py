"""Writes under signals, with real signals sent to real `unravel` processes: SIGTERM and
Ctrl-C remove the temporary file of an unfinished write, a killed writer's temporary file
is removed by the next write into the folder, Ctrl-C during shutdown exits 130 quietly;
overwriting keeps the file's permission bits."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from unravel_lang.audio import TEMP_PATTERN, atomic_output, remove_stale_temps, write_wav
from unravel_lang.latent_io import save_npy
from unravel_lang.stats import stats

REPO = Path(__file__).resolve().parent.parent
FRAMES = 4000  # about 3 minutes of audio: the decode writes its temp file for a while


def unravel(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "unravel_lang", *args], cwd=cwd,
                            env=dict(os.environ, PYTHONPATH=str(REPO)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMP_PATTERN.match(p.name)]


def wait_for_temp(proc: subprocess.Popen, folder: Path, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = temps(folder)
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    raise AssertionError("no temporary file appeared")


@pytest.fixture
def long_npy(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    np.save(tmp_path / "long.npy", rng.standard_normal((FRAMES, 8)).astype(np.float32))
    (tmp_path / "out").mkdir()
    return tmp_path / "long.npy"


@pytest.mark.parametrize(("sig", "status", "said"), [
    (signal.SIGTERM, 128 + signal.SIGTERM, ""),
    (signal.SIGINT, 130, "unravel: interrupted\n"),
])
def test_a_signal_during_a_write_removes_the_temporary_file(long_npy, sig, status, said):
    out = long_npy.parent / "out"
    proc = unravel("decode", str(long_npy), "-o", str(out), cwd=long_npy.parent)
    try:
        tmp = wait_for_temp(proc, out)
        assert f".{os.getpid()}." not in tmp.name and f".{proc.pid}." in tmp.name
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.endswith(said)
    assert list(out.iterdir()) == []  # neither the temporary file nor a half output


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(long_npy, tmp_path):
    out = long_npy.parent / "out"
    proc = unravel("decode", str(long_npy), "-o", str(out), cwd=tmp_path)
    tmp = wait_for_temp(proc, out)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert tmp.exists()  # nothing runs on SIGKILL
    # a temporary file of a writer that is still alive stays
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = out / f".other.wav.{sleeper.pid}.0123abcd.tmp.wav"
        alive.write_bytes(b"busy")
        mine = out / "not-ours.1.tmp"  # a name that is not one of ours stays too
        mine.write_bytes(b"keep")
        save_npy(tmp_path / "short.npy", np.zeros((3, 8), np.float32))
        done = subprocess.run([sys.executable, "-m", "unravel_lang", "decode",
                               str(tmp_path / "short.npy"), "-o", str(out)],
                              env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert not tmp.exists()
        assert alive.exists() and mine.exists()
        assert (out / "short.decoded.wav").is_file()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temps(out) == [alive]  # its writer is gone now


def test_ctrl_c_while_python_shuts_down_exits_130_quietly(tmp_path, tiny_model_path):
    """Ctrl-C just after the work is done (an atexit callback sends it, as a user's key
    would land there): exit 130, no 'Exception ignored in atexit callback'."""
    script = (
        "import atexit, os, signal, sys, time\n"
        "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(10)))\n"
        "from unravel_lang.cli import main\n"
        f"sys.argv = ['unravel', 'info', {str(tiny_model_path)!r}]\n"
        "raise SystemExit(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)
    assert done.returncode == 130
    assert done.stderr == ""
    assert "sample rate  44100 Hz" in done.stdout  # the output came out whole


@pytest.mark.parametrize("write", [
    lambda p: write_wav(p.with_suffix(".wav"), np.zeros((1, 100), np.float32), 44100),
    lambda p: save_npy(p.with_suffix(".npy"), np.ones((2, 3), np.float32)),
    lambda p: stats(np.ones((4, 2), np.float32)).save(p.with_suffix(".json")),
])
def test_overwriting_keeps_the_permission_bits(tmp_path, write):
    first = write(tmp_path / "x")
    os.chmod(first, 0o600)
    write(tmp_path / "x")
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    os.chmod(first, 0o640)
    write(tmp_path / "x")
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o640


def test_a_new_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    with atomic_output(tmp_path / "new.bin") as tmp:
        tmp.write_bytes(b"x")
    assert stat.S_IMODE(os.stat(tmp_path / "new.bin").st_mode) == 0o666 & ~umask


def test_sigterm_while_run_writes_its_output_removes_the_temporary_file(tmp_path,
                                                                        tiny_model_path):
    """`unravel run -o`: the render is held in memory, then written; SIGTERM during that
    write (caught as soon as the temporary file shows) leaves neither it nor the output."""
    np.save(tmp_path / "a.npy", np.random.default_rng(2).standard_normal((50, 8)).astype("f4"))
    (tmp_path / "s.unr").write_text('a = load("a.npy")\nplay repeat(a, 300)\n')  # 15,000 frames
    out = tmp_path / "out"
    out.mkdir()
    proc = unravel("run", "s.unr", "-m", str(tiny_model_path), "-o", str(out / "take.wav"),
                   cwd=tmp_path)
    try:
        deadline = time.monotonic() + 300
        while not temps(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        assert temps(out), proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []
