"""The player: a status that never raises, and clear refusals when playback cannot work."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from unravel_lang.errors import PlaybackUnavailable
from unravel_lang.player import AudioOutput, PlaybackStatus, playback_status


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def test_without_portaudio_the_package_imports_and_says_why():
    code = (
        "import sys; sys.modules['sounddevice'] = None\n"
        "import unravel_lang, unravel_lang.engine\n"
        "from unravel_lang.player import playback_status, AudioOutput\n"
        "ok, reason = playback_status(); print(ok, reason)\n"
        "from unravel_lang.errors import PlaybackUnavailable\n"
        "try:\n    AudioOutput(None)\nexcept PlaybackUnavailable as e:\n    print('refused', e)\n"
    )
    first, second = run_python(code).stdout.splitlines()
    assert first.startswith("False ") and "sounddevice" in first
    assert second.startswith("refused ") and "sounddevice" in second


def test_without_an_output_device_the_status_says_so(tmp_path):
    conf = tmp_path / "nodevice.conf"
    conf.write_text("pcm.!default { type hw card 99 }\n")
    code = "from unravel_lang.player import playback_status; print(tuple(playback_status()))"
    out = run_python(code, ALSA_CONFIG_PATH=str(conf)).stdout
    assert out.startswith("(False, 'no audio output device")


def test_status_is_a_pair_with_names():
    status = playback_status()
    assert isinstance(status, PlaybackStatus)
    ok, reason = status
    assert ok is status.available and isinstance(reason, str) and reason


def test_a_device_that_does_not_exist_is_refused_clearly():
    class Shape:
        sr, channels = 44100, 1

    with pytest.raises(PlaybackUnavailable):
        AudioOutput(Shape(), device=9999)
