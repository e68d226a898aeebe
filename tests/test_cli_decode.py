"""`unravel decode`: .npy and latent audio files back to audio WAVs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.audio import read_audio
from unravel_lang.cli import main
from unravel_lang.latent_io import save_npy, write_latent_wav


def _latent(frames: int, dims: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, dims)).astype(np.float32)


@pytest.fixture(scope="module")
def model(tiny_model_path):
    from unravel_lang.model import load_model

    return load_model(tiny_model_path)


def test_decode_npy_and_latent_wav(tmp_path, tiny_model_path, model, capsys):
    a, b = _latent(12, seed=1), _latent(7, seed=2)
    save_npy(tmp_path / "a.npy", a)
    write_latent_wav(tmp_path / "b.latent.wav", b, model.latent_rate)
    out = tmp_path / "out"
    code = main(["decode", str(tmp_path / "a.npy"), str(tmp_path / "b.latent.wav"),
                 "--model", str(tiny_model_path), "-o", str(out), "--seed", "3"])
    io = capsys.readouterr()
    assert code == 0, io.err
    assert io.out.split() == [str(out / "a.decoded.wav"), str(out / "b.decoded.wav")]
    for name, lat in (("a", a), ("b", b)):
        audio, sr = read_audio(out / f"{name}.decoded.wav")
        assert sr == model.sr
        assert audio.shape == (model.out_channels, lat.shape[0] * model.ratio)
        np.testing.assert_array_equal(audio, model.decode(lat, seed=3))
        assert sf.info(str(out / f"{name}.decoded.wav")).subtype == "FLOAT"
    assert "decoded 2 of 2 files" in io.err


def test_seeded_decode_is_reproducible(tmp_path, noisy_model_path, capsys):
    save_npy(tmp_path / "z.npy", _latent(6))
    runs = []
    for seed, folder in (("5", "r1"), ("5", "r2"), ("6", "r3")):
        assert main(["decode", str(tmp_path / "z.npy"), "-m", str(noisy_model_path),
                     "-o", str(tmp_path / folder), "--seed", seed]) == 0
        runs.append((tmp_path / folder / "z.decoded.wav").read_bytes())
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_decode_beside_input_from_folder(tmp_path, tiny_model_path, capsys):
    save_npy(tmp_path / "lat" / "q.npy", _latent(4))
    (tmp_path / "lat" / "readme.txt").write_text("x")
    assert main(["decode", str(tmp_path / "lat"), "-m", str(tiny_model_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "lat").iterdir()) == [
        "q.decoded.wav", "q.npy", "readme.txt"]


def test_dims_mismatch_is_reported(tmp_path, tiny_model_path, capsys):
    save_npy(tmp_path / "four.npy", _latent(5, dims=4))
    save_npy(tmp_path / "ok.npy", _latent(5))
    code = main(["decode", str(tmp_path / "four.npy"), str(tmp_path / "ok.npy"),
                 "-m", str(tiny_model_path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"unravel: skipped {tmp_path / 'four.npy'}: 4 latent dims, but the model takes 8" in err
    assert "decoded 1 of 2 files" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok.decoded.wav"]


def test_audio_is_not_a_latent(tmp_path, tiny_model_path, capsys):
    sf.write(str(tmp_path / "song.wav"), np.zeros(4410, np.float32), 44100)
    assert main(["decode", str(tmp_path / "song.wav"), "-m", str(tiny_model_path)]) == 1
    assert "looks like audio (44100 Hz, 1 channel)" in capsys.readouterr().err


def test_rate_mismatch_warns(tmp_path, tiny_model_path, capsys):
    write_latent_wav(tmp_path / "w.latent.wav", _latent(3), 48000 / 2048)
    assert main(["decode", str(tmp_path / "w.latent.wav"), "-m", str(tiny_model_path)]) == 0
    assert "latent rate 23.438 differs from the model's 21.533" in capsys.readouterr().err


def test_missing_latent_and_bad_model(tmp_path, tiny_model_path, capsys):
    assert main(["decode", str(tmp_path / "none.npy"), "-m", str(tiny_model_path)]) == 1
    assert capsys.readouterr().err == (
        f"unravel: error: {tmp_path / 'none.npy'}: no such file or folder\n")
    save_npy(tmp_path / "z.npy", _latent(3))
    assert main(["decode", str(tmp_path / "z.npy"), "-m", str(tmp_path / "none.ts")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and "none.ts" in err


def test_decode_as_a_process(tmp_path, tiny_model_path):
    save_npy(tmp_path / "p.npy", _latent(4))
    proc = subprocess.run([sys.executable, "-m", "unravel_lang", "decode", "p.npy", "-m",
                           str(tiny_model_path), "--seed", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "p.decoded.wav"
    assert sf.info(str(tmp_path / "p.decoded.wav")).frames == 4 * 2048
    bad = subprocess.run([sys.executable, "-m", "unravel_lang", "decode", "p.npy", "-m",
                          "missing.ts"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("unravel: error: ")
    assert "missing.ts" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.genuine
def test_genuine_export_round_trip(genuine_model_dir, tmp_path, capsys):
    """info, encode and seeded decode through the command line with a genuine RAVE v2 export."""
    model = str(genuine_model_dir / "v2_streaming.ts")
    assert main(["info", model]) == 0
    info = capsys.readouterr().out
    assert "streaming    yes" in info and "prior" in info
    t = np.arange(44100) / 44100
    sf.write(str(tmp_path / "tone.wav"), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
             44100)
    assert main(["encode", str(tmp_path / "tone.wav"), "-m", model, "--latent-wav"]) == 0
    capsys.readouterr()
    for folder in ("r1", "r2"):
        assert main(["decode", str(tmp_path / "tone.latent.wav"), "-m", model, "--seed", "7",
                     "-o", str(tmp_path / folder)]) == 0
    first = (tmp_path / "r1" / "tone.decoded.wav").read_bytes()
    assert first == (tmp_path / "r2" / "tone.decoded.wav").read_bytes()
    audio, sr = read_audio(tmp_path / "r1" / "tone.decoded.wav")
    assert sr == 44100 and audio.shape == (1, 22 * 2048)
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 0
