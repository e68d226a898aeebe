"""Every example score runs on the embedded model; the same seed writes the same bytes, and
the bytes recorded in `data/example_renders.json` (a change to them is deliberate and noted)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCORES = sorted(EXAMPLES.glob("*.unr"))
RECORDED = json.loads((Path(__file__).parent / "data" / "example_renders.json").read_text())


def test_there_are_enough_examples():
    names = {p.stem for p in SCORES}
    assert {"poc", "fibo", "orale", "blend", "swap", "piece", "demo"} <= names


@pytest.mark.parametrize("score", SCORES, ids=lambda p: p.stem)
def test_example_renders_sound_and_the_recorded_bytes(score, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(score), "-o", "mix.wav", "--out-dir", str(tmp_path)]) == 0
    audio, sr = sf.read(tmp_path / "mix.wav", dtype="float32", always_2d=True)
    assert sr == 44100
    assert 1.0 < audio.shape[0] / sr < 20.0
    assert np.isfinite(audio).all() and np.abs(audio).max() > 1e-3
    assert "rendered" in capsys.readouterr().out
    written = {str(p.relative_to(tmp_path)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert written == RECORDED["renders"][score.stem]


def test_same_seed_same_bytes_and_exports(tmp_path, monkeypatch):
    score = EXAMPLES / "poc.unr"
    outputs = []
    for run in ("one", "two"):
        folder = tmp_path / run
        folder.mkdir()
        monkeypatch.chdir(folder)
        assert main(["run", str(score), "-o", "mix.wav", "--seed", "3",
                     "--out-dir", str(folder)]) == 0
        outputs.append({p.relative_to(folder): p.read_bytes()
                        for p in sorted(folder.rglob("*")) if p.is_file()})
    one, two = outputs
    assert set(one) == {Path("mix.wav"), Path("out/poc.wav"), Path("out/poc-normal.npy"),
                        Path("out/poc-normal.latent.wav"), Path("out/poc-stats.json")}
    assert one == two


def test_another_seed_changes_the_piece(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    score = EXAMPLES / "orale.unr"
    text = score.read_text().replace("seed 3", "seed 4")
    (tmp_path / "audio").symlink_to(EXAMPLES / "audio")
    (tmp_path / "other.unr").write_text(text)
    assert main(["run", str(score), "-o", "a.wav"]) == 0
    assert main(["run", "other.unr", "-o", "b.wav"]) == 0
    assert (tmp_path / "a.wav").read_bytes() != (tmp_path / "b.wav").read_bytes()


def test_tracks_and_layers_render_the_same_bytes_twice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    score = EXAMPLES / "piece.unr"
    assert main(["run", str(score), "-o", "a.wav"]) == 0
    assert main(["run", str(score), "-o", "b.wav"]) == 0
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


@pytest.mark.parametrize("score", SCORES, ids=lambda p: p.stem)
def test_example_checks_clean_and_writes_nothing(score, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(score)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{score}: ok") and "\nplays: " in out
    assert list(tmp_path.iterdir()) == []
