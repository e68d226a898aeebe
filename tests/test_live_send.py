"""Code from editors: `unravel send` to a REPL running in a pseudo-terminal, the Neovim set-up
of docs/editors.md in a headless Neovim, and `unravel repl --plain` fed blocks from a pipe."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from unravel_lang.live.send import paragraph, read_block

pytest.importorskip("pythonosc", reason="python-osc is missing: pip install 'unravel-lang[osc]'")

from test_repl import repl_env, start, workdir  # noqa: E402,F401  (workdir: a fixture)

REPO = Path(__file__).resolve().parent.parent
SCORE = """a = normal(stats(encode("noise.wav")), 8)
a

b = fibo(a)
show b

track t = nope(a)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "unravel_lang", "send", *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_paragraphs_and_line_ranges(tmp_path):
    lines = ["a", "b", "", "c", "  ", "d", "e"]
    assert paragraph(lines, 1) == (1, 2) and paragraph(lines, 2) == (1, 2)
    assert paragraph(lines, 4) == (4, 4) and paragraph(lines, 7) == (6, 7)
    assert paragraph(lines, 3) == (3, 2)  # a blank line: nothing
    score = tmp_path / "s.unr"
    score.write_text("\n".join(lines) + "\n")
    assert read_block(f"{score}:7") == "d\ne"
    assert read_block(f"{score}:2-4") == "b\n\nc"
    assert read_block(str(score)) == score.read_text()
    with pytest.raises(Exception, match="has 7 lines"):
        read_block(f"{score}:9")
    with pytest.raises(Exception, match="no such file"):
        read_block(f"{tmp_path / 'none.unr'}:1")


def test_unravel_send_to_a_repl_in_a_terminal(workdir, tiny_model_path):  # noqa: F811
    port = free_port()
    (workdir / "s.unr").write_text(SCORE)
    term = start(workdir, tiny_model_path, "--listen", str(port))
    try:
        term.wait_for(f"listening for OSC and `unravel send` on 127.0.0.1:{port}")
        env = repl_env(workdir, UNRAVEL_PORT=str(port))
        first = send([f"{workdir / 's.unr'}:1"], env)
        assert first.returncode == 0, first.stderr
        assert "(8, 8) latent array" in first.stdout
        shown = send([f"{workdir / 's.unr'}:5"], env)  # the paragraph of lines 4-5
        assert shown.returncode == 0, shown.stderr
        assert "(19, 8) latent array" in shown.stdout and "dim    mean" in shown.stdout
        failed = send([f"{workdir / 's.unr'}:7"], env)
        assert failed.returncode == 1
        assert "unknown function" in failed.stderr and "^" in failed.stderr
        from_stdin = send([], env, stdin="c = reverse(b)\n")
        assert (from_stdin.returncode, from_stdin.stdout) == (0, "ok\n")
        # the REPL printed what came and its answers, and its state holds what was sent
        screen = term.wait_for("unknown function", timeout=20)
        assert "← 127.0.0.1:" in screen and "unknown function" in screen
        assert "(19, 8) latent array" in term.run("c")
        assert "listening 127.0.0.1:" in "\n".join(term.lines())  # the status line
    finally:
        assert term.quit() == 0


def test_unravel_send_without_a_session_says_how_to_start_one(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = send(["--port", str(free_port()), "--timeout", "3"], env, stdin="show 1\n")
    assert done.returncode == 1
    assert "no unravel session listens at 127.0.0.1:" in done.stderr
    assert "unravel repl --listen" in done.stderr and "Traceback" not in done.stderr
    empty = send(["--port", str(free_port())], env, stdin="\n\n")
    assert empty.returncode == 1 and "nothing to send" in empty.stderr


def test_repl_plain_reads_blocks_separated_by_blank_lines(workdir, tiny_model_path):  # noqa: F811
    """Each block is one input: a failing block changes nothing (its first line's binding
    too); no terminal control codes are printed."""
    blocks = "x = 3\ny = x * 2\n\nz = 5\nz = nope(1)\n\nshow y\n\n\nshow z\n"
    done = subprocess.run(
        [sys.executable, "-m", "unravel_lang", "repl", "--plain", "--model",
         str(tiny_model_path)],
        input=blocks, capture_output=True, text=True, timeout=120, cwd=workdir,
        env=repl_env(workdir))
    assert done.returncode == 1  # one block failed
    assert "\x1b" not in done.stdout
    out = done.stdout
    assert "unknown function" in out and re.search(r"^6$", out, re.M)
    assert "`z`" in out  # show z: z was never bound, the failing block changed nothing


NVIM = shutil.which("nvim")


def editors_lua() -> str:
    """The Neovim set-up, as docs/editors.md gives it."""
    text = (REPO / "docs" / "editors.md").read_text()
    return re.search(r"## Neovim.*?```lua\n(.*?)```", text, re.S).group(1)


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (Debian: apt-get install neovim)")
def test_the_documented_neovim_keymap_sends_the_paragraph(workdir, tiny_model_path):  # noqa: F811
    port = free_port()
    (workdir / "s.unr").write_text(SCORE)
    (workdir / "init.lua").write_text(editors_lua())
    term = start(workdir, tiny_model_path, "--listen", str(port))
    env = repl_env(workdir, UNRAVEL_PORT=str(port))
    # `unravel` on PATH runs this checkout's package with this interpreter
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    (bin_dir / "unravel").write_text(f"#!/bin/sh\nexec {sys.executable} -m unravel_lang \"$@\"\n")
    (bin_dir / "unravel").chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    try:
        term.wait_for("listening for OSC")
        done = subprocess.run(
            [NVIM, "--headless", "-n", "-i", "NONE", "-u", str(workdir / "init.lua"),
             str(workdir / "s.unr"),
             "-c", "normal 1G", "-c", "normal \\e",
             "-c", "normal 5G", "-c", "normal \\e",
             "-c", "normal 7G", "-c", "normal \\e",
             "-c", "call writefile(split(execute('messages'), \"\\n\"), 'messages.txt')",
             "-c", "qa!"],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        messages = (workdir / "messages.txt").read_text()
        assert "(8, 8) latent array" in messages  # the answer to line 1's paragraph
        assert "(19, 8) latent array" in messages  # line 5's: `show b`
        assert "unknown function" in messages  # line 7's, an error
        assert "(19, 8) latent array" in term.run("b")  # line 5's paragraph bound b
        term.wait_for("unknown function", timeout=20)
        assert term.text().count("← 127.0.0.1:") == 3
    finally:
        assert term.quit() == 0
