"""`unravel plot`: pictures and text views from latent files and stats files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib.image as mpimg  # noqa: E402

from unravel_lang.cli import main  # noqa: E402
from unravel_lang.latent_io import save_npy, write_latent_wav  # noqa: E402
from unravel_lang.stats import stats  # noqa: E402


@pytest.fixture
def latent():
    rng = np.random.default_rng(0)
    return (np.cumsum(rng.normal(size=(44, 8)), axis=0) * 0.3).astype(np.float32)


@pytest.fixture
def npy(tmp_path, latent):
    return save_npy(tmp_path / "a.npy", latent)


def _png_size(path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(path)
    assert (pixels[..., :3] < 0.95).any(axis=-1).mean() > 0.05
    return pixels.shape[1], pixels.shape[0]


def test_plot_npy_to_png(tmp_path, npy, capsys):
    out = tmp_path / "pics" / "a.png"
    assert main(["plot", str(npy), "-o", str(out), "--k", "11"]) == 0
    width, height = _png_size(out)
    assert f"wrote {out} ({width}×{height} px)" in capsys.readouterr().out


def test_plot_latent_wav_with_a_model(tmp_path, latent, tiny_model_path):
    src = write_latent_wav(tmp_path / "a.latent.wav", latent[:22], 44100 / 2048)
    plain, decoded = tmp_path / "plain.png", tmp_path / "decoded.png"
    assert main(["plot", str(src), "-o", str(plain)]) == 0
    assert main(["plot", str(src), "-o", str(decoded), "-m", str(tiny_model_path)]) == 0
    assert _png_size(decoded)[1] > 1.5 * _png_size(plain)[1]


def test_plot_stats_json(tmp_path, latent, capsys):
    src = stats(latent, latent[::-1] * 2).save(tmp_path / "enc.json")
    out = tmp_path / "enc.png"
    assert main(["plot", str(src), "-o", str(out)]) == 0
    _png_size(out)
    assert main(["plot", str(src), "--text"]) == 0
    table = capsys.readouterr().out
    assert "mean" in table and "std" in table


def test_text_view_fits_the_width(npy, capsys):
    assert main(["plot", str(npy), "--text", "--k", "11", "--width", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "a.npy"
    assert max(len(line) for line in lines) <= 60
    assert sum(line.startswith("d") for line in lines) == 8
    assert any(line.lstrip().startswith("|1") for line in lines)


@pytest.mark.parametrize(
    "args, words",
    [
        (["{npy}"], "-o OUT.png"),
        (["{tmp}/missing.npy", "-o", "{tmp}/x.png"], "missing.npy"),
        (["{npy}", "-o", "{tmp}/x.jpg"], "*.png"),
        (["{npy}", "-o", "{tmp}/x.png", "--k", "0"], "k (frames per beat)"),
        (["{json}", "-o", "{tmp}/x.png", "-m", "default"], "not stats files"),
        (["{bad_json}", "-o", "{tmp}/x.png"], "JSON"),
        (["{small}", "-o", "{tmp}/x.png", "-m", "{model}"], "4 dims but"),
    ],
)
def test_errors_exit_1_with_a_message_and_no_file(
    tmp_path, npy, latent, tiny_model_path, capsys, args, words
):
    names = {
        "npy": npy,
        "tmp": tmp_path,
        "json": stats(latent).save(tmp_path / "s.json"),
        "bad_json": tmp_path / "bad.json",
        "small": save_npy(tmp_path / "small.npy", latent[:, :4]),
        "model": tiny_model_path,
    }
    names["bad_json"].write_text("{not json")
    before = set(tmp_path.iterdir())
    assert main(["plot"] + [a.format(**names) for a in args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ")
    assert words in err
    assert set(tmp_path.iterdir()) == before


def test_real_process_exit_codes(tmp_path, npy):
    out = tmp_path / "a.png"
    ok = subprocess.run([sys.executable, "-m", "unravel_lang", "plot", str(npy), "-o", str(out)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    _png_size(out)
    bad = subprocess.run([sys.executable, "-m", "unravel_lang", "plot", str(tmp_path / "no.npy"),
                          "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("unravel: error: ")
