"""`unravel generate`: encodings (or audio) in, synthetic latent files named by seed,
distribution, pattern and k out; the tempo line; same seed, same bytes; bad arguments exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main
from unravel_lang.commands.generate import generate_one
from unravel_lang.latent_io import load_npy, read_latent_wav
from unravel_lang.patterns import blend_length, fibo_length, orale_length
from unravel_lang.stats import stats


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "unravel_lang", "generate", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=240)


@pytest.fixture
def encodings(tmp_path) -> Path:
    """A fresh folder as `unravel encode` leaves it: two .npy encodings of 8 dims."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "enc"
    folder.mkdir()
    np.save(folder / "a.npy", (rng.normal(size=(60, 8)) * np.arange(1, 9)).astype(np.float32))
    np.save(folder / "b.npy", rng.normal(size=(40, 8)).astype(np.float32))
    return folder


def test_generate_end_to_end(tmp_path, encodings, tiny_model_path):
    args = ["enc", "--model", str(tiny_model_path), "--distribution", "iqr-uniform",
            "--pattern", "blend", "--bpm", "120", "--seed", "7", "--files", "2", "--npy",
            "--audio", "--plot", "-o", "out"]
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    # 120 BPM snaps to k = 11 on the model's own grid (44100 Hz / 2048)
    assert lines[0] == ("tempo: asked 120 BPM, k=11 → 117.45 BPM (-2.12 %), 234.90 double "
                        "time (44100 Hz / 2048 = 21.53 frames/s)")
    names = [f"seed{s}_iqr-uniform_blend_k11{ext}" for s in (7, 8)
             for ext in (".latent.wav", ".npy", ".wav", ".png")]
    assert lines[1:] == [str(Path("out") / n) for n in names]
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(names)

    s = stats(load_npy(encodings / "a.npy"), load_npy(encodings / "b.npy"))
    for seed in (7, 8):
        stem = out / f"seed{seed}_iqr-uniform_blend_k11"
        latent, rate = read_latent_wav(stem.with_name(stem.name + ".latent.wav"))
        assert latent.shape == (blend_length(11, 8), 8) and rate == 44100 / 2048
        np.testing.assert_array_equal(latent, load_npy(stem.with_name(stem.name + ".npy")))
        np.testing.assert_array_equal(latent, generate_one(s, 11, "iqr-uniform", "blend", 1,
                                                           seed))
        audio, sr = sf.read(stem.with_name(stem.name + ".wav"))
        assert sr == 44100 and audio.shape[0] == latent.shape[0] * 2048
        assert stem.with_name(stem.name + ".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "generated 2 files of 979 frames x 8 dims" in first.stderr

    again = run_cli(*args[:-1], "again", cwd=tmp_path)  # same seed, another folder
    assert again.returncode == 0, again.stderr
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_generate_from_audio_encoded_on_the_fly(tmp_path, tiny_model_path, tiny, capsys):
    t = np.arange(44100) / 44100
    sf.write(tmp_path / "tone.wav", (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
             44100)
    code = main(["generate", str(tmp_path / "tone.wav"), "--model", str(tiny_model_path),
                 "--pattern", "orale", "--k", "4", "--loops", "2", "--seed", "3",
                 "-o", str(tmp_path / "out")])
    io = capsys.readouterr()
    assert code == 0, io.err
    assert io.out.splitlines()[0].startswith("tempo: k=4 → 322.99 BPM, 645.98 double time")
    latent, _ = read_latent_wav(tmp_path / "out" / "seed3_normal_orale_k4_n2.latent.wav")
    s = stats(tiny.encode_file(tmp_path / "tone.wav"))
    assert latent.shape == (orale_length(4, n=2), 8) == (2 * 64 * 4, 8)
    np.testing.assert_array_equal(latent, generate_one(s, 4, "normal", "orale", 2, 3))


def test_every_distribution_and_pattern(tmp_path, encodings, tiny_model_path, capsys):
    for dist in ("normal", "uniform", "correlated", "smooth"):
        for pattern, length in (("fibo", fibo_length(5)), ("swap", 25), ("repeat", 5)):
            code = main(["generate", str(encodings), "--model", str(tiny_model_path),
                         "--distribution", dist, "--pattern", pattern, "--k", "5",
                         "--seed", "1", "-o", str(tmp_path / "out")])
            assert code == 0, capsys.readouterr().err
            latent, _ = read_latent_wav(tmp_path / "out" / f"seed1_{dist}_{pattern}_k5.latent.wav")
            assert latent.shape == (length, 8)
    # without --seed a random seed is drawn and stated in the name
    assert main(["generate", str(encodings), "--model", str(tiny_model_path),
                 "-o", str(tmp_path / "free")]) == 0
    (written,) = (tmp_path / "free").iterdir()
    assert written.name.startswith("seed") and written.name.endswith("_normal_fibo_k11.latent.wav")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--k", "0"], "--k must be >= 1, got 0"),
        (["--loops", "0"], "--loops must be >= 1, got 0"),
        (["--files", "0"], "--files must be >= 1, got 0"),
        (["--bpm", "-3"], "--bpm must be a tempo > 0"),
        (["--distribution", "gauss"], "argument --distribution: invalid choice: 'gauss'"),
        (["--pattern", "zigzag"], "argument --pattern: invalid choice: 'zigzag'"),
        (["--k", "4", "--bpm", "120"], "argument --bpm: not allowed with argument --k"),
        (["--k", "300", "--pattern", "blend"], "one blend file would be 720,300 frames"),
        (["--seed", "-1"], "argument --seed: a seed is a whole number from 0 to 2**64-1"),
        (["--seed", str(2**64 - 2), "--files", "3"], "goes past the largest seed"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, encodings, tiny_model_path, capsys, args,
                                            message):
    try:
        code = main(["generate", str(encodings), "--model", str(tiny_model_path), *args,
                     "-o", str(tmp_path / "out")])
    except SystemExit as stop:  # argparse's own checks
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("unravel generate: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_bad_inputs_exit_2(tmp_path, encodings, tiny_model_path, capsys):
    (tmp_path / "empty").mkdir()
    done = run_cli("empty", "--model", str(tiny_model_path), cwd=tmp_path)  # a real process
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("unravel generate: error: empty: no .npy, .latent.wav or audio files "
                           "in this folder\n")
    np.save(tmp_path / "four.npy", np.zeros((10, 4), dtype=np.float32))
    np.save(encodings / "four.npy", np.zeros((10, 4), dtype=np.float32))
    cases = [
        (tmp_path / "missing", "missing: no such file or folder"),
        (encodings, "the inputs have different numbers of dims (a.npy 8, b.npy 8, four.npy 4)"),
        (tmp_path / "four.npy", "the inputs have 4 dims but the model takes 8; give the model"),
    ]
    for path, message in cases:
        assert main(["generate", str(path), "--model", str(tiny_model_path)]) == 2
        io = capsys.readouterr()
        assert io.err.count("\n") == 1 and message in io.err and io.out == ""
