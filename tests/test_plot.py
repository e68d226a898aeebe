"""PNG pictures of latent arrays, distributions, comparisons, plans and patterns."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib.image as mpimg  # noqa: E402

from unravel_lang.errors import LatentError, UnravelError  # noqa: E402
from unravel_lang.plan import Plan  # noqa: E402
from unravel_lang.plot import (  # noqa: E402
    MISSING_MATPLOTLIB,
    Picture,
    plot_auto,
    plot_compare,
    plot_latent,
    plot_pattern,
    plot_plan,
    plot_stats,
)
from unravel_lang.stats import Stats, stats  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(path, picture: Picture | None = None) -> np.ndarray:
    """Assert `path` is a PNG with a drawing on it; return its pixels (h, w, channels)."""
    data = open(path, "rb").read()
    assert data[:8] == PNG_SIGNATURE
    pixels = mpimg.imread(path)
    height, width = pixels.shape[:2]
    assert width >= 600 and height >= 250
    rgb = pixels[..., :3]
    not_white = (rgb < 0.95).any(axis=-1).mean()
    assert 0.05 < not_white < 0.95, f"{not_white:.2%} of the pixels are drawn on"
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50
    if picture is not None:
        assert picture.png == data
        assert (picture.width, picture.height) == (width, height)
        assert os.fspath(picture) == os.fspath(path)
    return pixels


@pytest.fixture
def latent():
    rng = np.random.default_rng(0)
    return (np.cumsum(rng.normal(size=(44, 8)), axis=0) * 0.3).astype(np.float32)


@pytest.fixture
def encodings():
    rng = np.random.default_rng(1)
    mix = rng.normal(size=(8, 8)) * 0.5
    return [rng.normal(size=(120, 8)) @ mix + np.arange(8), rng.normal(size=(80, 8)) @ mix]


# --- latent arrays ------------------------------------------------------------------------------


def test_latent_heatmap_is_written(tmp_path, latent):
    out = tmp_path / "latent.png"
    picture = plot_latent(latent, out)
    check_png(out, picture)
    assert picture.path == out


def _dark_columns(img: np.ndarray) -> np.ndarray:
    """x positions (0..1 of the width) of near-black vertical lines through the middle third."""
    rgb = img[..., :3]
    middle = rgb[rgb.shape[0] // 3 : rgb.shape[0] // 3 * 2]
    dark = (middle.max(axis=-1) < 0.35).mean(axis=0) > 0.9
    return np.flatnonzero(dark) / img.shape[1]


def test_the_tempo_grid_is_drawn_over_the_heatmap(tmp_path):
    smooth = np.tile(np.linspace(-1, 1, 8), (88, 1)).astype(np.float32)
    plain = mpimg.imread(plot_latent(smooth, tmp_path / "plain.png"))
    grid = mpimg.imread(plot_latent(smooth, tmp_path / "grid.png", k=11, latent_rate=21.5))
    assert plain.shape == grid.shape
    inner = lambda xs: xs[(xs > 0.3) & (xs < 0.7)]  # noqa: E731 (away from the frame edges)
    assert inner(_dark_columns(plain)).size == 0
    # one bar line inside: at frame 44 of 88 (two bars of 4 beats of 11 frames)
    lines = inner(_dark_columns(grid)) * grid.shape[1]
    assert lines.size > 0
    assert lines.max() - lines.min() <= 3  # one line, a few pixels wide


def test_decoded_audio_is_drawn_under_the_heatmap(tmp_path, latent, tiny_model_path):
    from unravel_lang.model import load_model

    model = load_model(tiny_model_path)
    short = latent[:22]
    alone = plot_latent(short, tmp_path / "alone.png", k=11)
    with_audio = plot_latent(short, tmp_path / "audio.png", k=11, model=model, seed=3)
    check_png(tmp_path / "audio.png", with_audio)
    assert with_audio.height > alone.height * 1.5
    again = plot_latent(short, None, k=11, model=model, seed=3)
    assert again.png == with_audio.png


def test_a_variational_decoder_draws_the_seeded_audio(latent, noisy_model_path):
    from unravel_lang.model import load_model

    model = load_model(noisy_model_path)
    first = plot_latent(latent[:11], None, model=model, seed=1).png
    assert plot_latent(latent[:11], None, model=model, seed=1).png == first
    assert plot_latent(latent[:11], None, model=model, seed=2).png != first


def test_picture_without_a_path_writes_nothing_and_shows_inline(tmp_path, latent):
    picture = plot_latent(latent)
    assert picture.path is None
    assert picture._repr_png_()[:8] == PNG_SIGNATURE
    with pytest.raises(TypeError):
        os.fspath(picture)
    saved = picture.save(tmp_path / "later.png")
    check_png(saved, picture)


def test_a_long_array_and_many_dims_still_render(tmp_path):
    big = np.random.default_rng(3).normal(size=(4000, 16)).astype(np.float32)
    check_png(tmp_path / "big.png", plot_latent(big, tmp_path / "big.png", k=7))


# --- distributions ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "list", "stats", "stats-without-percentiles"])
def test_stats_picture_from_data_or_summary(tmp_path, encodings, kind):
    if kind == "array":
        value = encodings[0]
    elif kind == "list":
        value = encodings
    else:
        value = stats(*encodings)
        if kind == "stats-without-percentiles":
            value = Stats(**{**value.__dict__, "percentiles": {}})
    out = tmp_path / "stats.png"
    check_png(out, plot_stats(value, out))


def test_stats_picture_survives_a_constant_dim(tmp_path):
    data = np.random.default_rng(4).normal(size=(50, 3))
    data[:, 1] = 2.0
    check_png(tmp_path / "c.png", plot_stats(data, tmp_path / "c.png"))


def test_compare_generated_with_encoded(tmp_path, encodings):
    from unravel_lang.generate import correlated, normal, uniform

    s = stats(*encodings)
    generated = {
        "normal": normal(s, 200, seed=1),
        "uniform": uniform(s, 200, seed=1),
        "correlated": correlated(s, 200, seed=1),
    }
    out = tmp_path / "compare.png"
    picture = plot_compare(encodings, generated, out)
    check_png(out, picture)
    single = plot_compare(encodings, generated["uniform"])
    assert single.png != picture.png


def test_compare_refuses_arrays_of_another_model(encodings):
    with pytest.raises(LatentError, match="4 dims but the encodings have 8"):
        plot_compare(encodings, np.zeros((10, 4)))
    with pytest.raises(LatentError, match="different numbers of dims"):
        plot_compare([np.zeros((3, 8)), np.zeros((3, 4))], np.zeros((10, 8)))


# --- plans and dispatch -------------------------------------------------------------------------


def test_plan_picture_places_voices_on_the_timeline(tmp_path, latent):
    plan = Plan.of(latent[:11]).layer(Plan.of(latent[11:33])).then(Plan.of(latent))
    out = tmp_path / "plan.png"
    check_png(out, plot_plan(plan, out, k=11))
    assert plot_auto(plan, None, k=11).png == plot_plan(plan, None, k=11).png


def test_plot_auto_dispatches_on_the_value(latent, encodings):
    assert plot_auto(latent, None, k=11, voice="x").png == plot_latent(latent, None, k=11).png
    assert plot_auto(Plan.of(latent), None).png == plot_latent(latent).png
    s = stats(*encodings)
    assert plot_auto(s, None, k=11).png == plot_stats(s).png
    with pytest.raises(UnravelError, match="got str"):
        plot_auto("a", None)


# --- patterns -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, two, kwargs",
    [
        ("fibo", False, {}),
        ("orale", False, {"ratio": "3:1", "depth": 2, "amount": 0.3}),
        ("blend", True, {"n": 2, "step": 2}),
        ("swap", True, {"n": 2}),
        ("swap_once", True, {"n": 3, "count": 5}),
    ],
)
def test_pattern_pictures(tmp_path, latent, name, two, kwargs):
    a = latent[:8, :4]
    b = np.random.default_rng(5).normal(size=a.shape).astype(np.float32)
    out = tmp_path / f"{name}.png"
    picture = plot_pattern(name, out, a, b if two else None, **kwargs)
    check_png(out, picture)


def test_pattern_arguments_are_checked(latent):
    with pytest.raises(UnravelError, match="unknown pattern"):
        plot_pattern("zigzag", None, latent)
    with pytest.raises(UnravelError, match="needs two arrays"):
        plot_pattern("blend", None, latent)
    with pytest.raises(UnravelError, match="takes one array"):
        plot_pattern("fibo", None, latent, latent)


# --- files and failures -------------------------------------------------------------------------


def test_only_png_files_are_written(tmp_path, latent):
    with pytest.raises(UnravelError, match=r"\*\.png"):
        plot_latent(latent, tmp_path / "latent.jpg")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_plot_leaves_no_file(tmp_path):
    out = tmp_path / "bad.png"
    with pytest.raises(LatentError, match="NaN"):
        plot_latent(np.array([[1.0, np.nan]]), out)
    with pytest.raises(LatentError, match="nothing to plot"):
        plot_latent(np.zeros((0, 4)), out)
    with pytest.raises(UnravelError, match="k"):
        plot_latent(np.zeros((4, 4)), out, k=0)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_picture_survives_a_failed_plot(tmp_path, latent):
    out = tmp_path / "keep.png"
    plot_latent(latent, out)
    before = out.read_bytes()
    with pytest.raises(LatentError):
        plot_latent(np.full((3, 3), np.inf), out)
    assert out.read_bytes() == before


def test_missing_matplotlib_gives_the_install_hint(monkeypatch, latent):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UnravelError) as err:
        plot_latent(latent)
    assert str(err.value) == MISSING_MATPLOTLIB
    assert "pip install 'unravel-lang[plot]'" in str(err.value)


@pytest.mark.slow
def test_the_doc_pictures_script_draws_every_picture(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "tools" / "make_doc_pictures.py"
    spec = importlib.util.spec_from_file_location("make_doc_pictures", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    names = {"stats-distribution.png", "generated-vs-encoded.png", "latent-heatmap.png",
             "pattern-fibo.png", "pattern-orale.png", "pattern-blend.png", "pattern-swap.png"}
    assert {p.name for p in tmp_path.iterdir()} == names
    for name in names:
        check_png(tmp_path / name)
    assert capsys.readouterr().out.count("wrote ") == len(names)


def test_a_model_of_another_size_is_named(tmp_path, tiny_model_path):
    from unravel_lang.model import load_model

    with pytest.raises(LatentError, match="4 dims but the model decodes 8"):
        plot_latent(np.zeros((4, 4)), tmp_path / "x.png", model=load_model(tiny_model_path))
    assert not (tmp_path / "x.png").exists()
