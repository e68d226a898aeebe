import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from unravel_lang.errors import PatternError
from unravel_lang.tempo import (
    MAX_K,
    Snap,
    bpm_for,
    bpm_range,
    bpm_text,
    check_k,
    format_tempo_table,
    frames_for,
    snap,
    tempo_table,
)

# The tempo table of the proof of concept (sr 44100, ratio 2048): k -> (BPM, double time).
ORIGINAL = {
    7: ("184.57", None),
    8: ("161.49", "322.98"),
    9: ("143.55", None),
    10: ("129.19", "258.38"),
    11: ("117.45", None),
    12: ("107.66", "215.32"),
}


def test_bpm_formula():
    assert bpm_for(11, 44100, 2048) == pytest.approx(60 * (44100 / 2048) / 11, rel=1e-15)
    assert bpm_for(1, 48000, 1024) == pytest.approx(60 * 48000 / 1024)


def test_table_reproduces_the_original():
    rows = {r.k: r for r in tempo_table(44100, 2048)}
    assert sorted(rows) == list(range(4, 17))
    for k, (bpm, double) in ORIGINAL.items():
        assert rows[k].bpm_shown == bpm
        if double is not None:
            assert rows[k].double_shown == double
        assert rows[k].double == pytest.approx(2 * rows[k].bpm)
    text = format_tempo_table(tempo_table(44100, 2048, range(7, 13)))
    assert "  8   161.49   322.98" in text
    assert "107.66" in text and "215.32" in text
    assert str(rows[8]) == "k=8: 161.49 BPM, 322.98 double time"


def test_table_custom_ks_in_order():
    assert [r.k for r in tempo_table(44100, 2048, [12, 7])] == [12, 7]


def test_bpm_text_cuts_rather_than_rounds():
    assert bpm_text(161.4990234375) == "161.49"
    assert bpm_text(117.45) == "117.45"
    assert bpm_text(100.0) == "100.00"


def test_snap_string_and_sign():
    s = snap(117, 44100, 2048)
    assert isinstance(s, Snap)
    assert s.k == 11
    assert s.bpm == bpm_for(11, 44100, 2048)
    assert str(s) == "k=11 → 117.45 BPM (+0.38 %)"
    assert str(snap(117.01, 44100, 2048)) == "k=11 → 117.45 BPM (+0.37 %)"  # cut, not rounded
    slower = snap(118.0, 44100, 2048)
    assert slower.k == 11 and slower.error_pct < 0
    assert str(slower) == "k=11 → 117.45 BPM (-0.46 %)"
    exact = snap(bpm_for(9, 44100, 2048), 44100, 2048)
    assert exact.k == 9 and str(exact).endswith("(+0.00 %)")


def test_snap_extremes():
    assert snap(1291.99, 44100, 2048).k == 1
    assert snap(1.0, 44100, 2048).k == 1292
    assert snap(0.31, 44100, 2048).k == MAX_K


def test_one_tempo_range_rule():
    low, high = bpm_range(44100, 2048)
    assert bpm_text(low) == "0.31" and high == bpm_for(1, 44100, 2048)
    assert bpm_text(bpm_for(MAX_K, 44100, 2048)) == "0.31"
    for bad in (1e308, 1292.0, 1e-9, 0.30):
        with pytest.raises(PatternError, match=r"outside the tempo range 0\.31 … 1291\.99 BPM"):
            snap(bad, 44100, 2048)
    assert check_k(1) == 1 and check_k(MAX_K) == MAX_K
    for bad in (0, MAX_K + 1, 99999999999999999999999999, 1e9):
        with pytest.raises(PatternError, match=f"from 1 to {MAX_K}|whole number"):
            check_k(bad)


@settings(deadline=None)
@given(st.floats(min_value=5.0, max_value=2000.0),
       st.sampled_from([(44100, 2048), (48000, 1024), (44100, 512)]))
def test_snap_is_nearest(bpm, model):
    sr, ratio = model
    assume(bpm <= bpm_range(sr, ratio)[1])
    s = snap(bpm, sr, ratio)
    assert s.error_pct == pytest.approx(100 * (s.bpm - bpm) / bpm)
    for k in (s.k - 1, s.k + 1):
        if k >= 1:
            assert abs(bpm_for(k, sr, ratio) - bpm) >= abs(s.bpm - bpm)


def test_frames_for():
    assert frames_for(11) == 0
    assert frames_for(11, beats=1) == 11
    assert frames_for(11, bars=2) == 88
    assert frames_for(8, bars=1, beats=2, beats_per_bar=3) == 40
    assert frames_for(8, beats=0.5) == 4
    with pytest.raises(PatternError, match="not a whole number"):
        frames_for(11, beats=0.5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bpm_for(0, 44100, 2048), "k .*>= 1"),
        (lambda: bpm_for(2.5, 44100, 2048), "whole number"),
        (lambda: snap(0, 44100, 2048), "must be > 0"),
        (lambda: snap(math.nan, 44100, 2048), "finite"),
        (lambda: snap(120, 44100, 0), "compression ratio"),
        (lambda: frames_for(4, bars=-1), "bars must be >= 0"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(PatternError, match=match):
        call()
