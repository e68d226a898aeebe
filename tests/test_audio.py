"""Tests for unravel_lang.audio: every format, blocks, resampling, finding, atomic writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.audio import (
    AudioInfo,
    Resampler,
    atomic_output,
    audio_info,
    find_audio,
    read_audio,
    read_blocks,
    resample,
    write_wav,
)
from unravel_lang.errors import AudioError


def _stereo(n: int, sr: int, f0: float = 440.0) -> np.ndarray:
    t = np.arange(n) / sr
    left = 0.4 * np.sin(2 * np.pi * f0 * t)
    right = 0.3 * np.sin(2 * np.pi * 2 * f0 * t + 0.5)
    return np.stack([left, right]).astype(np.float32)


# (extension, soundfile format, subtype, sample rate, lossless)
FORMATS = [
    ("wav", "WAV", "FLOAT", 44100, True),
    ("flac", "FLAC", "PCM_24", 44100, True),
    ("ogg", "OGG", "VORBIS", 44100, False),
    ("opus", "OGG", "OPUS", 48000, False),
    ("mp3", "MP3", "MPEG_LAYER_III", 44100, False),
]


def test_this_libsndfile_reads_every_format_we_claim():
    fmts = sf.available_formats()
    for key in ("WAV", "FLAC", "OGG", "MP3"):
        assert key in fmts
    assert "OPUS" in sf.available_subtypes("OGG")


@pytest.mark.parametrize("ext,fmt,subtype,sr,lossless", FORMATS)
def test_read_audio_every_format(tmp_path, ext, fmt, subtype, sr, lossless):
    n = sr  # one second
    src = _stereo(n, sr)
    path = tmp_path / f"tone.{ext}"
    sf.write(str(path), src.T, sr, format=fmt, subtype=subtype)

    audio, got_sr = read_audio(path)
    assert got_sr == sr
    assert audio.dtype == np.float32
    assert audio.shape[0] == 2
    info = audio_info(path)
    assert info == AudioInfo(sr=sr, channels=2, frames=audio.shape[1])
    assert info.duration == pytest.approx(audio.shape[1] / sr)
    if lossless:
        assert audio.shape[1] == n
        np.testing.assert_allclose(audio, src, atol=2**-22)
    else:
        # lossy codecs: same length within a codec frame, same loudness per channel
        assert abs(audio.shape[1] - n) <= 2048
        rms_in = np.sqrt(np.mean(src**2, axis=1))
        rms_out = np.sqrt(np.mean(audio[:, : min(n, audio.shape[1])] ** 2, axis=1))
        np.testing.assert_allclose(rms_out, rms_in, rtol=0.15)
        # and the same pitch: the strongest bin of the left channel stays at 440 Hz
        spec = np.abs(np.fft.rfft(audio[0, sr // 4: sr // 4 + sr // 2]))
        peak_hz = np.argmax(spec) * sr / (sr // 2)
        assert abs(peak_hz - 440.0) <= 4.0


@pytest.mark.parametrize("ext,fmt,subtype,sr,lossless", FORMATS)
def test_read_blocks_every_format_equals_whole_read(tmp_path, ext, fmt, subtype, sr, lossless):
    path = tmp_path / f"tone.{ext}"
    sf.write(str(path), _stereo(sr // 2, sr).T, sr, format=fmt, subtype=subtype)
    whole, _ = read_audio(path)
    blocks = list(read_blocks(path, 1000))
    assert all(b.shape[0] == 2 and b.shape[1] <= 1000 for b in blocks)
    assert all(b.shape[1] == 1000 for b in blocks[:-1])
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5000), block=st.integers(1, 3000))
def test_read_blocks_any_block_size(tmp_path_factory, n, block):
    path = tmp_path_factory.mktemp("blocks") / "x.wav"
    data = np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)
    sf.write(str(path), data, 8000, subtype="FLOAT")
    blocks = list(read_blocks(path, block))
    assert len(blocks) == -(-n // block)
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), data.T)


def test_read_blocks_rejects_bad_block_size(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(str(path), np.zeros(10, np.float32), 8000)
    with pytest.raises(ValueError, match="positive"):
        read_blocks(path, 0)


def test_mono_file_reads_as_one_channel(tmp_path):
    path = tmp_path / "mono.wav"
    sf.write(str(path), np.linspace(-1, 1, 100, dtype=np.float32), 22050, subtype="FLOAT")
    audio, sr = read_audio(path)
    assert audio.shape == (1, 100) and sr == 22050


# --- errors ----------------------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.wav"
    for fn in (read_audio, audio_info, lambda p: read_blocks(p, 10)):
        with pytest.raises(AudioError, match="nope.wav: no such file"):
            fn(missing)


def test_folder_is_not_an_audio_file(tmp_path):
    with pytest.raises(AudioError, match="is a folder"):
        read_audio(tmp_path)


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio at all\n" * 20)
    for fn in (read_audio, audio_info, lambda p: read_blocks(p, 10)):
        with pytest.raises(AudioError, match=r"notes\.wav: cannot read audio"):
            fn(bad)


def test_unsupported_format_names_the_file(tmp_path):
    bad = tmp_path / "clip.m4a"
    bad.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(200))
    with pytest.raises(AudioError, match=r"clip\.m4a: cannot read audio"):
        read_audio(bad)


# --- resampling ------------------------------------------------------------------------------


def test_resample_keeps_pitch_and_length():
    x = _stereo(48000, 48000, f0=1000.0)
    y = resample(x, 48000, 44100)
    assert y.dtype == np.float32 and y.shape == (2, 44100)
    spec = np.abs(np.fft.rfft(y[0, 10000:10000 + 22050]))
    assert abs(np.argmax(spec) * 44100 / 22050 - 1000.0) <= 2.0
    # the level survives (a real resampler, not a decimator that aliases or drops energy)
    assert np.sqrt(np.mean(y[0, 1000:-1000] ** 2)) == pytest.approx(0.4 / np.sqrt(2), rel=0.01)


def test_resample_rank_and_identity():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    assert resample(x, 22050, 44100).shape == (2000,)
    same = resample(x, 44100, 44100)
    np.testing.assert_array_equal(same, x)
    assert same is not x


def test_resample_removes_content_above_the_new_nyquist():
    sr = 48000
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * 15000 * t).astype(np.float32)  # above 8 kHz Nyquist of 16 kHz
    y = resample(x, sr, 16000)
    assert np.sqrt(np.mean(y[1000:-1000] ** 2)) < 1e-3


@settings(max_examples=20, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 4000), min_size=1, max_size=6),
    rates=st.sampled_from([(48000, 44100), (22050, 44100), (44100, 16000), (8000, 8000)]),
)
def test_streaming_resampler_equals_whole(cuts, rates):
    sr_from, sr_to = rates
    n = sum(cuts)
    x = np.random.default_rng(n).standard_normal((2, n)).astype(np.float32) * 0.3
    r = Resampler(sr_from, sr_to, 2)
    parts, pos = [], 0
    for c in cuts:
        parts.append(r.process(x[:, pos:pos + c]))
        pos += c
    parts.append(r.process(np.zeros((2, 0), np.float32), last=True))
    streamed = np.concatenate(parts, axis=1)
    whole = resample(x, sr_from, sr_to)
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


def test_resampler_checks_channels():
    with pytest.raises(AudioError, match="channels"):
        Resampler(44100, 48000, 2).process(np.zeros((1, 10), np.float32))


# --- finding files ---------------------------------------------------------------------------


def _touch_wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.zeros(10, np.float32), 8000)
    return path


def test_find_audio_folders_recursive_with_filter(tmp_path):
    a = _touch_wav(tmp_path / "b.wav")
    b = _touch_wav(tmp_path / "sub" / "a.WAV")
    (tmp_path / "sub" / "c.flac").write_bytes(b"x")
    (tmp_path / "readme.txt").write_text("x")
    _touch_wav(tmp_path / ".hidden.wav")
    _touch_wav(tmp_path / ".cache" / "d.wav")
    lw = _touch_wav(tmp_path / "e.latent.wav")
    assert find_audio([tmp_path], exts=[".wav"]) == [a, b]
    assert find_audio([str(tmp_path)], exts="wav,flac") == [a, b, tmp_path / "sub" / "c.flac"]
    assert find_audio([tmp_path]) == [a, b, tmp_path / "sub" / "c.flac"]
    assert find_audio([tmp_path], exts=[".latent.wav"]) == [lw]
    assert find_audio([lw]) == [lw]  # named explicitly


def test_find_audio_globs_files_and_dedupes(tmp_path):
    a = _touch_wav(tmp_path / "x1.wav")
    b = _touch_wav(tmp_path / "x2.wav")
    _touch_wav(tmp_path / "y.wav")
    (tmp_path / "x3.txt").write_text("x")
    got = find_audio([str(tmp_path / "x*"), str(a), str(tmp_path / "**" / "y.wav")])
    assert got == [a, b, tmp_path / "y.wav"]
    # an explicit file is taken whatever its extension
    txt = tmp_path / "x3.txt"
    assert find_audio([txt]) == [txt]


def test_find_audio_errors_name_the_input(tmp_path):
    with pytest.raises(AudioError, match="missing.wav: no such file or folder"):
        find_audio([str(tmp_path / "missing.wav")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioError, match=r"empty: no \.wav, \.flac, .* files in this folder"):
        find_audio([tmp_path / "empty"])
    with pytest.raises(AudioError, match=r"\*\.flac: matches no \.wav"):
        find_audio([str(tmp_path / "*.flac")])
    with pytest.raises(AudioError, match="no input files"):
        find_audio([])


# --- writing ---------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    channels=st.integers(1, 4),
    n=st.integers(1, 500),
    scale=st.floats(0.01, 100.0),
)
def test_write_wav_round_trip_is_exact_float32(tmp_path_factory, channels, n, scale):
    x = (np.random.default_rng(n).standard_normal((channels, n)) * scale).astype(np.float32)
    path = tmp_path_factory.mktemp("w") / "out.wav"
    assert write_wav(path, x, 44100) == path
    y, sr = read_audio(path)
    assert sr == 44100
    np.testing.assert_array_equal(y, x)  # values beyond +-1 survive
    assert sf.info(str(path)).subtype == "FLOAT"


def test_write_wav_mono_vector_and_creates_folder(tmp_path):
    path = write_wav(tmp_path / "new" / "dir" / "m.wav", np.ones(50, np.float32) * 0.5, 16000)
    y, sr = read_audio(path)
    assert y.shape == (1, 50) and sr == 16000


def test_write_wav_refuses_nan(tmp_path):
    x = np.zeros((1, 10), np.float32)
    x[0, 3] = np.nan
    with pytest.raises(AudioError, match="bad.wav: audio contains NaN"):
        write_wav(tmp_path / "bad.wav", x, 44100)
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_failure_leaves_nothing(tmp_path):
    target = tmp_path / "a.wav"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            assert tmp.parent == tmp_path and tmp.suffix == ".wav" and tmp != target
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "a.wav"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"new but broken")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_output_requires_a_write(tmp_path):
    with pytest.raises(AudioError, match="nothing was written"):
        with atomic_output(tmp_path / "x.npy"):
            pass


def test_write_wav_failing_mid_write_leaves_no_half_file(tmp_path):
    # A real write failure: the file size limit (RLIMIT_FSIZE) cuts the write off part way.
    target = tmp_path / "big.wav"
    target.write_bytes(b"previous")
    script = textwrap.dedent(
        f"""
        import resource, sys
        import numpy as np
        from unravel_lang.audio import write_wav
        from unravel_lang.errors import AudioError
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, hard))
        try:
            write_wav({str(target)!r}, np.zeros((2, 100_000), np.float32), 44100)
        except AudioError as err:
            print("AudioError:", err)
            sys.exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert "big.wav: cannot write" in proc.stdout
    assert target.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [target]


def test_same_samples_give_the_same_bytes(tmp_path):
    """No time stamp in the file (libsndfile's PEAK chunk is off): renders are byte-for-byte."""
    x = np.random.default_rng(4).standard_normal((2, 300)).astype(np.float32)
    a = write_wav(tmp_path / "a.wav", x, 44100).read_bytes()
    assert b"PEAK" not in a  # the chunk that would carry the time of writing
    assert write_wav(tmp_path / "b.wav", x, 44100).read_bytes() == a
