"""`unravel stats`: a corpus of audio and latent files measured file by file and pooled equals
the statistics of all its encodings at once; bad inputs are reported and the rest measured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main
from unravel_lang.lang import evaluate
from unravel_lang.stats import Stats, stats

EXACT = ("mean", "std", "min", "max", "autocorr", "cov", "corr")


def tone(path: Path, seconds: float, f0: float, sr: int = 44100) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), (0.4 * np.sin(2 * np.pi * f0 * t) * np.exp(-2 * t)).astype(np.float32), sr)
    return path


def assert_close(got: Stats, want: Stats) -> None:
    assert (got.frames, got.dims) == (want.frames, want.dims)
    for name in EXACT:
        a, b = getattr(got, name), getattr(want, name)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * float(np.abs(b).max()),
                                   err_msg=name)


@pytest.fixture
def corpus(tmp_path, tiny):
    src = tmp_path / "corpus"
    files = [tone(src / "a.wav", 0.6, 220.0), tone(src / "sub" / "b.flac", 0.4, 330.0),
             tone(src / "c.wav", 0.5, 440.0)]
    latent = np.random.default_rng(1).normal(size=(30, 8)).astype(np.float32)
    np.save(src / "z.npy", latent)
    encodings = [tiny.encode_file(f) for f in (files[0], files[2], files[1])] + [latent]
    return src, encodings  # folder order: a.wav, c.wav, sub/b.flac, z.npy


def test_a_corpus_pooled_file_by_file_equals_its_encodings_at_once(corpus, tmp_path,
                                                                   tiny_model_path, capsys):
    src, encodings = corpus
    out = tmp_path / "c.stats.json"
    assert main(["stats", str(src), "-m", str(tiny_model_path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "measured 4 of 4 files" in err and "--workers N" in err
    got = Stats.load(out)
    assert_close(got, stats(*encodings))
    # the language reads it
    env: dict = {}
    evaluate(f's = stats("{out}")', env=env)
    assert env["s"] == got


def test_results_pool_again_and_a_rerun_writes_the_same_bytes(corpus, tmp_path, tiny_model_path):
    src, encodings = corpus
    first, again = tmp_path / "1.stats.json", tmp_path / "2.stats.json"
    for out in (first, again):
        assert main(["stats", str(src / "a.wav"), str(src / "c.wav"), "-m",
                     str(tiny_model_path), "-o", str(out)]) == 0
    assert first.read_bytes() == again.read_bytes()
    both = tmp_path / "both.stats.json"
    assert main(["stats", str(first), str(src / "sub"), str(src / "z.npy"), "-m",
                 str(tiny_model_path), "-o", str(both)]) == 0
    assert_close(Stats.load(both), stats(*encodings))


def test_bad_inputs_are_reported_and_the_rest_measured(corpus, tmp_path, tiny_model_path,
                                                       capsys):
    src, encodings = corpus
    (src / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(40))
    np.save(src / "y4.npy", np.zeros((5, 4), np.float32))
    out = tmp_path / "c.stats.json"
    code = main(["stats", str(src), str(tmp_path / "missing"), "-m", str(tiny_model_path),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"skipped {tmp_path / 'missing'}: no such file or folder" in err
    assert f"skipped {src / 'broken.wav'}: " in err
    assert f"skipped {src / 'y4.npy'}: has 4 latent dims, the files before it 8" in err
    assert "measured 4 of 6 files" in err and "3 skipped" in err
    assert "Traceback" not in err
    assert_close(Stats.load(out), stats(*encodings))


def test_nothing_to_measure_is_one_line(tmp_path, capsys):
    assert main(["stats", str(tmp_path / "nothing")]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "unravel: error: no input files to measure")


def test_a_stats_file_without_a_part_is_not_pooled(tmp_path, capsys):
    plain = tmp_path / "plain.json"
    plain.write_text(Stats.prior(8).to_json())
    assert main(["stats", str(plain)]) == 1
    assert "holds no mergeable statistics" in capsys.readouterr().err
    assert json.loads(plain.read_text())["format"] == "unravel-stats"
