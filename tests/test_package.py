"""The package as a whole: public names, the two entry points, import without PortAudio."""

from __future__ import annotations

import subprocess
import sys

import unravel_lang


def test_every_public_name_resolves():
    missing = [name for name in unravel_lang.__all__ if not hasattr(unravel_lang, name)]
    assert missing == []


def test_python_dash_m_is_the_unravel_command():
    out = subprocess.run(
        [sys.executable, "-m", "unravel_lang", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("info", "encode", "decode", "run", "check"):
        assert command in out.stdout


def test_import_works_without_portaudio():
    # sounddevice raises OSError at import when libportaudio is missing; simulate exactly that
    code = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name == 'sounddevice':\n"
        "        raise OSError('PortAudio library not found')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "import unravel_lang\n"
        "from unravel_lang.player import playback_status\n"
        "ok, reason = playback_status()\n"
        "print(ok, reason)\n"
        "print(unravel_lang.fibo(unravel_lang.normal(unravel_lang.Stats.prior(4), k=8)).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, shape = out.stdout.strip().splitlines()
    assert first.startswith("False") and "PortAudio" in first
    assert shape == "(19, 4)"
