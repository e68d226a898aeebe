"""`unravel info`: model facts and the tempo table, in-process and as a real process."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from unravel_lang.cli import main


def _bpm_cut(sr: int, ratio: int, k: int) -> str:
    return f"{math.floor(60 * sr / ratio / k * 100 + 1e-7) / 100:.2f}"


def _rows(out: str) -> dict[int, tuple[str, str]]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            rows[int(parts[0])] = (parts[1], parts[2])
    return rows


def test_info_streaming_model(tiny_model_path, capsys):
    assert main(["info", str(tiny_model_path)]) == 0
    out = capsys.readouterr().out
    assert f"model        {tiny_model_path}" in out
    assert "sample rate  44100 Hz" in out
    assert "ratio        2048 samples per latent frame" in out
    assert "latent size  8 dims" in out
    assert "latent rate  21.533 frames/s" in out
    assert "streaming    yes" in out
    methods = next(line for line in out.splitlines() if line.startswith("methods"))
    assert "encode" in methods and "decode" in methods
    rows = _rows(out)
    assert sorted(rows) == list(range(4, 17))
    for k, (bpm, double) in rows.items():
        assert bpm == _bpm_cut(44100, 2048, k)
        assert double == f"{2 * float(bpm):.2f}"
    # the tempi the design names
    assert rows[11][0] == "117.45" and rows[7][0] == "184.57"
    assert rows[8] == ("161.49", "322.98")


def test_info_batch_model_is_not_streaming(batch_model_path, capsys):
    assert main(["info", str(batch_model_path)]) == 0
    assert "streaming    no" in capsys.readouterr().out


def test_info_default_model(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "default.ts (embedded default)" in out
    sr = int(next(line for line in out.splitlines() if line.startswith("sample rate")).split()[2])
    ratio = int(next(line for line in out.splitlines() if line.startswith("ratio")).split()[1])
    assert _rows(out)[11][0] == _bpm_cut(sr, ratio, 11)


def test_info_missing_model(tmp_path, capsys):
    missing = tmp_path / "nowhere.ts"
    assert main(["info", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and "nowhere.ts" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"not a torchscript file\n", b"PK\x03\x04" + bytes(64)])
def test_info_bad_model_file(tmp_path, capsys, content):
    bad = tmp_path / "bad.ts"
    bad.write_bytes(content)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and "bad.ts" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_info_as_a_process(tiny_model_path, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "unravel_lang", "info", str(tiny_model_path)],
                        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "latent size  8 dims" in ok.stdout and "117.45" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "unravel_lang", "info", "missing.ts"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.startswith("unravel: error: ") and "missing.ts" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_info_torchscript_that_is_not_rave(tmp_path, capsys):
    import torch

    path = tmp_path / "linear.ts"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and "linear.ts" in err
    assert "encode" in err and len(err.strip().splitlines()) == 1
