"""Tests for unravel_lang.latent_io: .npy and latent audio files."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from unravel_lang.errors import LatentError
from unravel_lang.latent_io import (
    is_latent_wav,
    load_latent,
    load_latent_with_rate,
    load_npy,
    read_latent_wav,
    save_latent,
    save_npy,
    validate_latent,
    wav_rate,
    write_latent_wav,
)

finite32 = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)
finite64 = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
shapes = st.tuples(st.integers(1, 40), st.integers(1, 16))
latents32 = arrays(np.float32, shapes, elements=finite32)
latents64 = arrays(np.float64, shapes, elements=finite64)
rates = st.one_of(
    st.sampled_from([44100 / 2048, 48000 / 2048, 44100 / 1024, 44100 / 512, 16000 / 2048]),
    st.floats(0.6, 900.0, allow_nan=False, allow_infinity=False),
)


def _fmt_chunk(path) -> tuple[int, int, int, int]:
    """(format tag, channels, sample rate, bits per sample) read from the WAV header itself."""
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    pos = 12
    while pos < len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            tag, ch, sr = struct.unpack("<HHI", raw[pos + 8:pos + 16])
            bits = struct.unpack("<H", raw[pos + 22:pos + 24])[0]
            return tag, ch, sr, bits
        pos += 8 + size + (size & 1)
    raise AssertionError("no fmt chunk")


# --- .npy ------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(latent=st.one_of(latents32, latents64))
def test_npy_round_trip_exact(tmp_path_factory, latent):
    path = tmp_path_factory.mktemp("npy") / "a.npy"
    assert save_npy(path, latent) == path
    back = load_npy(path)
    assert back.dtype == latent.dtype
    np.testing.assert_array_equal(back, latent)
    assert load_latent(path).dtype == np.float32


def test_npy_refuses_pickles_and_names_the_file(tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LatentError, match=r"evil\.npy: holds pickled objects"):
        load_npy(path)


@pytest.mark.parametrize(
    "array,message",
    [
        (np.zeros(5, np.float32), r"must have shape \(frames, dims\), got shape \(5,\)"),
        (np.zeros((1, 8, 5), np.float32),
         r"must have shape \(frames, dims\), got shape \(1, 8, 5\)"),
        (np.zeros((0, 4), np.float32),
         r"must have at least one frame and one dim, got shape \(0, 4\)"),
        (np.array([["a", "b"]]), "must hold real numbers, got dtype <U1"),
        (np.zeros((2, 2), complex), "must hold real numbers, got dtype complex128"),
    ],
)
def test_npy_shape_and_dtype_errors(tmp_path, array, message):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(LatentError, match=r"bad\.npy " + message):
        load_npy(path)


def test_nan_is_located():
    x = np.zeros((6, 4), np.float32)
    x[3, 2] = np.inf
    with pytest.raises(LatentError, match=r"here holds a value that is not finite \(NaN or "
                                          r"infinite\): inf at frame 3, dim 2"):
        validate_latent(x, "here")


def test_npy_errors_missing_corrupt_archive(tmp_path):
    with pytest.raises(LatentError, match=r"gone\.npy: no such file"):
        load_npy(tmp_path / "gone.npy")
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy at all")
    with pytest.raises(LatentError, match=r"junk\.npy: "):
        load_npy(junk)
    arch = tmp_path / "arch.npy"
    with open(arch, "wb") as fh:
        np.savez(fh, a=np.zeros((2, 2)))
    with pytest.raises(LatentError, match=r"arch\.npy: "):
        load_npy(arch)


def test_save_npy_refuses_nan_and_writes_nothing(tmp_path):
    x = np.ones((3, 3), np.float32)
    x[1, 1] = np.nan
    with pytest.raises(LatentError, match="frame 1, dim 1"):
        save_npy(tmp_path / "x.npy", x)
    assert list(tmp_path.iterdir()) == []


def test_ints_become_float32():
    assert validate_latent(np.ones((2, 3), np.int64)).dtype == np.float32


# --- latent audio files ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(latent=latents32, rate=rates)
def test_latent_wav_round_trip_float32_bit_exact(tmp_path_factory, latent, rate):
    path = tmp_path_factory.mktemp("lw") / "a.latent.wav"
    write_latent_wav(path, latent, rate)
    back, back_rate = read_latent_wav(path)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, latent)
    assert back_rate == rate  # exact, not the rounded WAV rate
    info = sf.info(str(path))
    assert info.samplerate == max(1, round(rate))
    assert info.channels == latent.shape[1] and info.frames == latent.shape[0]
    assert info.subtype == "FLOAT"


@settings(max_examples=30, deadline=None)
@given(latent=latents64, rate=rates)
def test_latent_wav_round_trip_double_exact(tmp_path_factory, latent, rate):
    path = tmp_path_factory.mktemp("lw") / "a.latent.wav"
    write_latent_wav(path, latent, rate, double=True)
    back, back_rate = read_latent_wav(path)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, latent)
    assert back_rate == rate
    assert sf.info(str(path)).subtype == "DOUBLE"


def test_values_beyond_unit_range_survive_both_precisions(tmp_path):
    x = np.array([[-7.5, 0.25, 3.0, -1.0001], [12.0, -0.5, 1.5, 100.0]], np.float32)
    for double in (False, True):
        path = tmp_path / f"big{int(double)}.latent.wav"
        write_latent_wav(path, x, 21.533203125, double=double)
        np.testing.assert_array_equal(read_latent_wav(path)[0], x)


def _pd_style_read(path) -> np.ndarray:
    """Read a WAV the way Pure Data's soundfiler does: walk the chunks to "data", skipping
    the others (LIST/INFO, fact), accept only 16/24-bit PCM or 32-bit float, then take the
    data chunk as interleaved little-endian samples."""
    raw = path.read_bytes()
    pos, tag, channels, bits = 12, None, None, None
    while True:
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            tag, channels = struct.unpack("<HH", raw[pos + 8:pos + 12])
            bits = struct.unpack("<H", raw[pos + 22:pos + 24])[0]
        elif cid == b"data":
            body = raw[pos + 8:pos + 8 + size]
            break
        pos += 8 + size + (size & 1)
    assert tag == 3 and bits == 32, "Pure Data reads 32-bit float only as format 3, 32 bits"
    return np.frombuffer(body, "<f4").reshape(-1, channels)


def test_pure_data_reads_the_samples_of_a_latent_file(tmp_path):
    x = (np.random.default_rng(3).standard_normal((37, 8)) * 2).astype(np.float32)
    path = write_latent_wav(tmp_path / "pd.latent.wav", x, 44100 / 2048)
    np.testing.assert_array_equal(_pd_style_read(path), x)


def test_latent_wav_header_is_plain_float_wav(tmp_path):
    """What Pure Data checks: WAVE_FORMAT_IEEE_FLOAT (3), one channel per dim, 32 bits."""
    path = write_latent_wav(tmp_path / "pd.latent.wav", np.zeros((10, 8)), 44100 / 2048)
    assert _fmt_chunk(path) == (3, 8, 22, 32)
    path = write_latent_wav(tmp_path / "pd64.latent.wav", np.zeros((10, 4)), 44100 / 2048,
                            double=True)
    assert _fmt_chunk(path) == (3, 4, 22, 64)


def test_foreign_latent_wav_without_tag_uses_header_rate(tmp_path):
    """A latent WAV written elsewhere (e.g. by Pure Data) has no exact rate: use the header."""
    x = np.random.default_rng(1).standard_normal((30, 4)).astype(np.float32)
    path = tmp_path / "from_pd.wav"
    sf.write(str(path), x, 21, subtype="FLOAT")
    assert is_latent_wav(path)
    np.testing.assert_array_equal(load_latent(path), x)
    lat, rate = load_latent_with_rate(path)
    assert rate == 21.0 and lat.shape == (30, 4)


def test_tag_ignored_when_file_was_resampled(tmp_path):
    path = write_latent_wav(tmp_path / "a.latent.wav", np.zeros((4, 2)), 21.533203125)
    data, sr = sf.read(str(path), dtype="float32")
    with sf.SoundFile(str(path), "w", samplerate=43, channels=2, subtype="FLOAT") as f:
        f.comment = "unravel latent_rate=21.533203125"
        f.write(data)
    assert read_latent_wav(path)[1] == 43.0


def test_audio_wav_is_not_a_latent(tmp_path):
    path = tmp_path / "song.wav"
    sf.write(str(path), np.zeros((4410, 2), np.float32), 44100)
    assert not is_latent_wav(path)
    with pytest.raises(LatentError, match=r"song\.wav: looks like audio \(44100 Hz, 2 channels\)"):
        load_latent(path)


def test_load_and_save_latent_by_extension(tmp_path):
    x = np.random.default_rng(2).standard_normal((12, 8)).astype(np.float32)
    for name in ("a.npy", "a.latent.wav", "A.LATENT.WAV"):
        p = save_latent(tmp_path / name, x, 21.533203125)
        np.testing.assert_array_equal(load_latent(p), x)
    assert load_latent_with_rate(tmp_path / "a.latent.wav")[1] == 21.533203125
    assert load_latent_with_rate(tmp_path / "a.npy")[1] is None
    p = save_latent(tmp_path / "d.latent.wav", x, 21.5, double=True)
    assert sf.info(str(p)).subtype == "DOUBLE"
    with pytest.raises(LatentError, match=r"b\.wav: a plain \.wav is decoded audio"):
        save_latent(tmp_path / "b.wav", x, 21.5)
    with pytest.raises(LatentError, match=r"c\.txt: unknown latent file type"):
        save_latent(tmp_path / "c.txt", x, 21.5)
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(LatentError, match=r"c\.txt: unknown latent file type"):
        load_latent(tmp_path / "c.txt")


def test_latent_wav_errors(tmp_path):
    with pytest.raises(LatentError, match=r"none\.latent\.wav: no such file"):
        read_latent_wav(tmp_path / "none.latent.wav")
    bad = tmp_path / "bad.latent.wav"
    bad.write_text("garbage" * 10)
    with pytest.raises(LatentError, match=r"bad\.latent\.wav: cannot read latent audio file"):
        load_latent(bad)
    with pytest.raises(LatentError, match="latent rate must be a positive number"):
        write_latent_wav(tmp_path / "r.latent.wav", np.zeros((2, 2)), 0.0)
    with pytest.raises(LatentError, match=r"n\.latent\.wav holds .*: nan at frame 0, dim 1"):
        write_latent_wav(tmp_path / "n.latent.wav", np.array([[0.0, np.nan]]), 21.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.latent.wav"]


@given(rate=st.floats(0.01, 1e5, allow_nan=False))
def test_wav_rate_is_rounded_positive_int(rate):
    r = wav_rate(rate)
    assert isinstance(r, int) and r >= 1 and abs(r - rate) <= max(0.5, 1 - rate)


def test_latent_wav_bytes_are_reproducible(tmp_path):
    x = np.random.default_rng(5).standard_normal((9, 4)).astype(np.float32)
    for double in (False, True):
        a = write_latent_wav(tmp_path / "a.latent.wav", x, 21.5, double=double).read_bytes()
        assert b"PEAK" not in a
        assert write_latent_wav(tmp_path / "b.latent.wav", x, 21.5, double=double).read_bytes() == a
