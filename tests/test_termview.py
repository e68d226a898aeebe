"""The unicode terminal view of latent arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.termview import BLOCKS, column_means, latent_view, ruler, sparkline


def _rows(text: str) -> list[str]:
    """The sparkline rows (those starting with a dim label)."""
    return [line for line in text.splitlines() if line.startswith("d") and line[1].isdigit()]


def _spark(row: str) -> str:
    return "".join(ch for ch in row.split(" ", 1)[1].lstrip() if ch in BLOCKS)


@settings(max_examples=60, deadline=None)
@given(
    frames=st.integers(1, 3000),
    dims=st.integers(1, 16),
    k=st.one_of(st.none(), st.integers(1, 40)),
    beats=st.integers(1, 7),
    width=st.integers(30, 140),
    seed=st.integers(0, 2**16),
)
def test_every_line_fits_the_width_and_every_dim_has_a_row(frames, dims, k, beats, width, seed):
    latent = np.random.default_rng(seed).normal(size=(frames, dims)) * 3
    text = latent_view(latent, k=k, beats_per_bar=beats, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    rows = _rows(text)
    assert [r.split()[0] for r in rows] == [f"d{d}" for d in range(dims)]
    lengths = {len(_spark(r)) for r in rows}
    assert len(lengths) == 1
    cols = lengths.pop()
    per_column = math.ceil(frames / cols)
    assert math.ceil(frames / per_column) == cols
    words = " ".join(text.split())
    if per_column > 1:
        assert f"{per_column} frames per column" in words
    else:
        assert "per column" not in words
    if k is not None:
        ruler_line = lines[len(lines) - dims - 1]
        assert ruler_line.lstrip().startswith("|")
        assert set(ruler_line) <= set(" |·0123456789")


def test_default_width_is_100_columns():
    latent = np.random.default_rng(1).normal(size=(5000, 16))
    text = latent_view(latent, k=11)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert max(len(line) for line in text.splitlines()) >= 90


def test_rows_are_scaled_per_dimension():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(40, 1))
    latent = np.hstack([base, base * 1000 + 7, -base])
    rows = [_spark(r) for r in _rows(latent_view(latent))]
    assert rows[0] == rows[1]
    assert rows[0] != rows[2]
    assert BLOCKS[0] in rows[0] and BLOCKS[-1] in rows[0]
    # the row of -x is the row of x upside down
    flipped = "".join(BLOCKS[len(BLOCKS) - 1 - BLOCKS.index(c)] for c in rows[0])
    assert rows[2] == flipped


def test_the_value_range_of_each_dim_follows_its_row():
    latent = np.array([[0.0, -5.0], [1.0, 2.5], [0.5, 0.0]])
    rows = _rows(latent_view(latent))
    assert rows[0].endswith("0.00..1.00")
    assert rows[1].endswith("-5.00..2.50")


def test_sparkline_levels():
    assert sparkline(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])) == BLOCKS
    assert sparkline(np.array([3.0, 3.0, 3.0])) == BLOCKS[3] * 3


@settings(max_examples=50, deadline=None)
@given(frames=st.integers(1, 200), per=st.integers(1, 30), seed=st.integers(0, 1000))
def test_column_means_average_runs_of_frames(frames, per, seed):
    latent = np.random.default_rng(seed).normal(size=(frames, 3))
    cols = column_means(latent, per)
    assert cols.shape == (math.ceil(frames / per), 3)
    for c in range(cols.shape[0]):
        np.testing.assert_allclose(cols[c], latent[c * per : (c + 1) * per].mean(axis=0))


def test_ruler_marks_beats_and_numbered_bars_when_not_downsampled():
    line = ruler(frames=88, per_column=1, k=11, beats_per_bar=4)
    assert len(line) == 88
    assert [i for i, ch in enumerate(line) if ch == "|"] == [0, 44]
    assert [i for i, ch in enumerate(line) if ch == "·"] == [11, 22, 33, 55, 66, 77]
    assert line[1] == "1" and line[45] == "2"


def test_ruler_keeps_bars_when_beats_are_closer_than_a_column():
    text = latent_view(np.zeros((1000, 2)) + np.arange(1000)[:, None], k=3, width=60)
    assert "ruler marks every" in " ".join(text.split())
    ruler_line = text.splitlines()[-3]
    assert "·" not in ruler_line
    assert ruler_line.count("|") >= 3


def test_a_one_dimensional_array_is_one_dim():
    text = latent_view(np.arange(10.0))
    assert len(_rows(text)) == 1
    assert _spark(_rows(text)[0])[0] == BLOCKS[0]
    assert _spark(_rows(text)[0])[-1] == BLOCKS[-1]


def test_empty_array_says_so():
    assert "empty" in latent_view(np.zeros((0, 4)))


@pytest.mark.parametrize(
    "bad, kwargs, error, words",
    [
        (np.zeros((2, 3, 4)), {}, LatentError, "shape"),
        (np.array([[np.nan, 1.0]]), {}, LatentError, "NaN"),
        (np.array([["a", "b"]]), {}, LatentError, "numbers"),
        (np.zeros((4, 2)), {"width": 10}, UnravelError, "width"),
        (np.zeros((4, 2)), {"k": 0}, UnravelError, "k"),
        (np.zeros((4, 2)), {"k": 2, "beats_per_bar": 0}, UnravelError, "beats per bar"),
    ],
)
def test_bad_input_is_refused_with_a_message(bad, kwargs, error, words):
    with pytest.raises(error, match=words):
        latent_view(bad, **kwargs)


def test_a_plan_shows_its_voices_on_one_timeline():
    from unravel_lang.plan import Plan

    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(22, 3)), rng.normal(size=(44, 2))
    plan = Plan.of(a).then(Plan.of(b)).layer(Plan.of(a))
    text = latent_view(plan, k=11)
    assert text.splitlines()[0].startswith("3 voices, 66 frames")
    rows = [line for line in text.splitlines()[2:]]
    assert len(rows) == 3 + 2 + 3
    assert rows[0].startswith("v1 d0") and rows[3].startswith("v2 d0") and rows[5].startswith(
        "v3 d0")
    # voice 2 starts at frame 22: its first 22 columns are blank (no downsampling at 66 frames)
    label_w = len("v1 d0") + 1
    assert rows[3][label_w : label_w + 22] == " " * 22
    assert all(ch in BLOCKS for ch in rows[3][label_w + 22 : label_w + 66])
    # voice 1 ends at frame 22: nothing drawn after it, the range follows the sparkline
    assert all(ch in BLOCKS for ch in rows[0][label_w : label_w + 22])
    assert rows[0][label_w + 22 :].strip() == rows[0].split()[-1]
    assert max(len(line) for line in text.splitlines()) <= 100


def test_sparkline_leaves_nan_blank():
    assert sparkline(np.array([np.nan, 0.0, 1.0, np.nan])) == f" {BLOCKS[0]}{BLOCKS[-1]} "
