"""The README's commands and code are true: its Python tour runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_python_tour_runs_and_writes_audio(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README shows Python code"
    shutil.copytree(REPO / "examples" / "audio", tmp_path / "examples" / "audio")
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})  # the README's own code, as a user runs it
    for name in ("fibo.wav", "piece.wav"):
        audio, sr = sf.read(tmp_path / "out" / name)
        assert sr == 44100 and audio.size > 0 and abs(audio).max() > 1e-3


def test_the_two_commands_are_make_targets():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_the_repl_tour_runs_as_typed():
    block = re.search(r"```\n\$ \.venv/bin/unravel.*?\n(.*?)```", README, flags=re.S)
    assert block, "the README shows a REPL session"
    lines = [ln.removeprefix("unravel> ") for ln in block.group(1).splitlines()
             if ln.startswith("unravel> ")]
    shown = [ln for ln in block.group(1).splitlines() if ln and not ln.startswith("unravel> ")]
    out = subprocess.run([sys.executable, "-m", "unravel_lang"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr  # piped input: 1 when any line failed
    for line in shown:
        assert line in out.stdout
