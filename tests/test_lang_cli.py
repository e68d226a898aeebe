"""`unravel run` and `unravel check` on score files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main


@pytest.fixture()
def score(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "s.unr"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_run_renders_what_the_score_plays(score, tmp_path, tiny_model_path, capsys):
    path = score('k 4\nseed 1\nx = load("x.npy")\nplay fibo(x)\nexport x "x.latent.wav"\n')
    np.save(tmp_path / "x.npy", np.linspace(-1, 1, 5 * 8, dtype=np.float32).reshape(5, 8))
    assert main(["run", str(path), "-m", str(tiny_model_path), "-o", "o/mix.wav"]) == 0
    audio, sr = sf.read(tmp_path / "o" / "mix.wav", always_2d=True)
    assert audio.shape[0] == 11 * 2048 and sr == 44100  # fibo of 5 rows: 1 + 2 + 3 + 5
    assert (tmp_path / "x.latent.wav").is_file()
    out = capsys.readouterr().out
    assert "wrote x.latent.wav" in out and "rendered 0.51 s to o/mix.wav" in out


def test_an_error_prints_place_and_caret_and_runs_nothing(score, tmp_path, capsys):
    path = score('x = load("x.npy")\nexport x "early.npy"\ny = fibo(x, strat=2)\n')
    np.save(tmp_path / "x.npy", np.zeros((3, 8), np.float32))
    assert main(["run", str(path), "-o", "mix.wav"]) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith(f"unravel: error: {path}:3:13: fibo has no keyword `strat` "
                               "(did you mean `start`?)")
    assert lines[1] == "y = fibo(x, strat=2)"
    assert lines[2] == " " * 12 + "^"
    assert "Traceback" not in err
    assert not (tmp_path / "early.npy").exists() and not (tmp_path / "mix.wav").exists()


def test_a_score_that_plays_nothing_cannot_render(score, capsys):
    path = score("k 4\n")
    assert main(["run", str(path), "-o", "mix.wav"]) == 1
    assert "plays nothing" in capsys.readouterr().err


def test_missing_score(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.unr")]) == 1
    assert "no score file" in capsys.readouterr().err


def test_check_prints_every_binding_and_writes_nothing(score, tmp_path, tiny_model_path,
                                                       capsys):
    np.save(tmp_path / "x.npy", np.zeros((22, 8), np.float32))
    path = score('k 11\nx = load("x.npy")\ns = stats(x)\nexport x "no.wav"\nplay x >> x\n')
    assert main(["check", str(path), "-m", str(tiny_model_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: ok"
    assert out[1].split() == ["x", "(22,", "8)", "latent", "array", "·", "1.02", "s", "·",
                              "0.5", "bars", "at", "k=11"]
    assert out[2].split()[:2] == ["s", "stats"]
    assert out[3] == "plays: 2.04 s · 1 bars at k=11"
    assert not (tmp_path / "no.wav").exists()


def test_check_reports_errors(score, capsys):
    path = score("a = normal(s)\n")
    assert main(["check", str(path)]) == 1
    assert ":1:12: unknown name `s`" in capsys.readouterr().err


def test_play_without_a_player_says_why_and_continues(score, tmp_path, tiny_model_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((4, 8), np.float32))
    path = score('x = load("x.npy")\nplay x\n')
    assert main(["run", str(path), "-m", str(tiny_model_path), "-o", "m.wav", "--play"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "m.wav").is_file()
    assert "rendered" in out
    assert ("playback unavailable: " in out) != ("playing 0.19 s" in out)
