"""`unravel encode`: audio files, folders and globs to .npy / .latent.wav, skipping bad files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main
from unravel_lang.latent_io import load_npy, read_latent_wav


def _tone(path: Path, seconds: float, sr: int = 44100, channels: int = 1, f0: float = 220.0):
    t = np.arange(int(seconds * sr)) / sr
    x = 0.5 * np.sin(2 * np.pi * f0 * t) * np.exp(-3 * t)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.stack([x] * channels, 1).astype(np.float32), sr)
    return path


@pytest.fixture(scope="module")
def model(tiny_model_path):
    from unravel_lang.model import load_model

    return load_model(tiny_model_path)


@pytest.fixture
def corpus(tmp_path) -> Path:
    src = tmp_path / "src"
    _tone(src / "a.wav", 0.5)
    _tone(src / "sub" / "b.flac", 0.3, f0=330.0)
    _tone(src / "c.wav", 0.4, sr=48000, channels=2, f0=440.0)
    (src / "notes.txt").write_text("not audio")
    return src


def test_encode_folder_into_dir(corpus, tmp_path, tiny_model_path, model, capsys):
    out = tmp_path / "out"
    code = main(["encode", str(corpus), "--model", str(tiny_model_path), "-o", str(out)])
    io = capsys.readouterr()
    assert code == 0, io.err
    assert sorted(p.name for p in out.iterdir()) == ["a.npy", "b.npy", "c.npy"]
    for name, src in [("a", corpus / "a.wav"), ("b", corpus / "sub" / "b.flac"),
                      ("c", corpus / "c.wav")]:
        latent = load_npy(out / f"{name}.npy")
        assert latent.dtype == np.float32 and latent.shape[1] == 8
        np.testing.assert_array_equal(latent, model.encode_file(src))
    assert io.out.split() == [str(out / "a.npy"), str(out / "c.npy"), str(out / "b.npy")]
    assert "encoded 3 of 3 files" in io.err
    assert "[1/3] encoding a.wav" in io.err and "[3/3] encoding b.flac" in io.err


def test_unreadable_file_is_skipped_and_reported(corpus, tmp_path, tiny_model_path, capsys):
    (corpus / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(40))
    out = tmp_path / "out"
    code = main(["encode", str(corpus), "-m", str(tiny_model_path), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"unravel: skipped {corpus / 'broken.wav'}: cannot read audio" in err
    assert "encoded 3 of 4 files" in err and "1 skipped" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.npy", "b.npy", "c.npy"]


def test_latent_wav_and_ext_filter(corpus, tmp_path, tiny_model_path, model, capsys):
    out = tmp_path / "out"
    code = main(["encode", str(corpus), "--ext", "flac", "-m", str(tiny_model_path),
                 "-o", str(out), "--latent-wav"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["b.latent.wav", "b.npy"]
    latent, rate = read_latent_wav(out / "b.latent.wav")
    np.testing.assert_array_equal(latent, load_npy(out / "b.npy"))
    assert rate == model.latent_rate
    assert sf.info(str(out / "b.latent.wav")).subtype == "FLOAT"


def test_double_latent_wav(corpus, tmp_path, tiny_model_path, capsys):
    out = tmp_path / "out"
    assert main(["encode", str(corpus / "a.wav"), "-m", str(tiny_model_path), "-o", str(out),
                 "--latent-wav", "--double"]) == 0
    assert sf.info(str(out / "a.latent.wav")).subtype == "DOUBLE"


def test_beside_input_glob_and_clashing_names(tmp_path, tiny_model_path, capsys):
    _tone(tmp_path / "x.wav", 0.2)
    _tone(tmp_path / "x.flac", 0.2)
    _tone(tmp_path / "y.wav", 0.2)
    code = main(["encode", str(tmp_path / "x.*"), str(tmp_path / "y.wav"),
                 "-m", str(tiny_model_path)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "x.flac.npy").is_file() and (tmp_path / "x.wav.npy").is_file()
    assert (tmp_path / "y.npy").is_file()


def test_same_names_from_two_folders_into_one_dir(tmp_path, tiny_model_path, capsys):
    _tone(tmp_path / "one" / "k.wav", 0.2)
    _tone(tmp_path / "two" / "k.wav", 0.2)
    code = main(["encode", str(tmp_path / "one"), str(tmp_path / "two"),
                 "-m", str(tiny_model_path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "would both be written to" in err
    assert not (tmp_path / "out").exists()


def test_missing_input_and_bad_model(tmp_path, tiny_model_path, capsys):
    assert main(["encode", str(tmp_path / "gone.wav"), "-m", str(tiny_model_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"unravel: error: {tmp_path / 'gone.wav'}: no such file or folder\n"
    _tone(tmp_path / "a.wav", 0.2)
    bad = tmp_path / "bad.ts"
    bad.write_text("nope")
    assert main(["encode", str(tmp_path / "a.wav"), "-m", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and "bad.ts" in err
    assert not (tmp_path / "a.npy").exists()


def test_encode_as_a_process(tmp_path, tiny_model_path):
    _tone(tmp_path / "p.wav", 0.3)
    proc = subprocess.run([sys.executable, "-m", "unravel_lang", "encode", "p.wav", "-m",
                           str(tiny_model_path), "-o", "lat"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(Path("lat") / "p.npy")
    assert load_npy(tmp_path / "lat" / "p.npy").shape[1] == 8
    assert "encoded 1 of 1 file" in proc.stderr


def test_empty_audio_file_is_skipped(tmp_path, tiny_model_path, capsys):
    sf.write(str(tmp_path / "empty.wav"), np.zeros((0, 1), np.float32), 44100)
    _tone(tmp_path / "fine.wav", 0.2)
    assert main(["encode", str(tmp_path), "-m", str(tiny_model_path)]) == 1
    err = capsys.readouterr().err
    assert f"unravel: skipped {tmp_path / 'empty.wav'}: audio file is empty" in err
    assert "encoded 1 of 2 files" in err
    assert (tmp_path / "fine.npy").is_file() and not (tmp_path / "empty.npy").exists()
