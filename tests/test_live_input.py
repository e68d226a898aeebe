"""The live input: streaming encoder, rolling latent ring, recordings cut at bar lines, the
language's `listen` / `input` / `record` / `monitor`, with the file input as the source.

Tolerance: a streaming export encoded frame by frame as audio arrives equals its offline
`encode` of the same signal up to float rounding of chunked convolutions: 1e-5 absolute on
the embedded model (measured 1.2e-6; its latents reach about 7).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.audio import write_wav
from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.session import Session
from unravel_lang.live.host import LiveHost
from unravel_lang.live.input import FileSource, LatentRing, LiveInput, MonitorMix
from unravel_lang.model import load_model

TOL = 1e-5
BAR = 44  # frames per bar at k=11, 4 beats


@pytest.fixture(scope="module")
def model():
    return load_model(None)


def _signal(seconds: float, sr: int = 44100, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Noise bursts over a gliding tone: every bar sounds different to the model."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.3 * np.sin(2 * np.pi * (110 + 60 * t) * t)
    bursts = rng.standard_normal(t.shape) * (np.sin(2 * np.pi * 1.7 * t) > 0.6) * 0.2
    x = (tone + bursts).astype(np.float32)
    return np.stack([x * (1 - 0.3 * c) for c in range(channels)])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.lists(st.integers(0, 30), min_size=1, max_size=12))
def test_ring_keeps_the_latest_frames_in_order(capacity, sizes):
    ring = LatentRing(capacity, 3)
    rows = np.arange(sum(sizes) * 3, dtype=np.float32).reshape(-1, 3)
    at = 0
    for n in sizes:
        ring.append(rows[at : at + n])
        at += n
    assert ring.end == at and ring.start == max(0, at - capacity)
    np.testing.assert_array_equal(ring.get(ring.start, ring.end), rows[ring.start : at])
    ring.grow(capacity + 5)
    np.testing.assert_array_equal(ring.get(ring.start, ring.end), rows[ring.start : at])


@pytest.mark.parametrize("sr,channels,block", [(44100, 1, 441), (48000, 2, 1000)])
def test_encoder_stream_equals_offline_encode(model, sr, channels, block):
    x = _signal(3.0, sr, channels)
    offline = model.encode(x, sr)
    stream = model.encoder(sr, channels)
    live = np.concatenate([stream.push(x[:, i : i + block]) for i in range(0, x.shape[1], block)])
    assert live.shape[0] >= offline.shape[0] - 2  # whole frames only: the tail waits
    np.testing.assert_allclose(live, offline[: live.shape[0]], rtol=0, atol=TOL)


def test_recorded_bar_equals_offline_encoding_of_its_span(model):
    x = _signal(9.0)
    offline = model.encode(x, 44100)
    live = LiveInput(model, bars=4, grid=lambda: (0, BAR))
    blocks = (x[:, i : i + 441] for i in range(0, x.shape[1], 441))
    while live.ring.end < 100:  # bar 3 (frames 88..131) has begun
        live.feed(next(blocks), sr=44100)
    rec = live.record("x", BAR)
    assert rec.at == 3 * BAR  # the next bar line after the latest frame
    for block in blocks:
        live.feed(block, sr=44100)
    assert live.take_messages() == ["recorded x (1 bar)"]
    (name, got), = live.take_completed()
    assert name == "x"
    np.testing.assert_allclose(got, offline[3 * BAR : 4 * BAR], rtol=0, atol=TOL)
    # input: the whole bars held (4 bars kept), cut at bar lines, newest last
    held = live.whole_bars()
    end = (live.ring.end // BAR) * BAR
    assert held.shape == (end - -(-live.ring.start // BAR) * BAR, model.dims)
    np.testing.assert_allclose(held, offline[end - held.shape[0] : end], rtol=0, atol=TOL)
    assert held.shape[0] % BAR == 0 and held.shape[0] <= 4 * BAR


def test_an_engine_grid_moves_the_bar_lines(model):
    """The input's frame 0 is heard at engine frame 10.5: bar lines fall at input frames
    33.5 → 34 (rounded), 77.5 → 78 ... on a grid with origin 0 and 44-frame bars."""
    x = _signal(5.0)
    offline = model.encode(x, 44100)
    live = LiveInput(model, bars=4, grid=lambda: (0, BAR),
                     anchor=lambda entered: (10.5 + entered, True))
    for i in range(0, x.shape[1], 441):  # `entered` = the block's input frame: a steady clock
        live.feed(x[:, i : i + 441], entered=i / 2048, sr=44100)
    assert live.offset == pytest.approx(10.5)
    held = live.whole_bars()
    last = 44 * ((live.ring.end + 10) // 44) - 10  # bar line 44n at input frame 44n - 10.5
    np.testing.assert_allclose(held[-BAR:], offline[last - BAR : last], rtol=0, atol=TOL)


def test_monitor_mix_prebuffers_measures_latency_and_counts_dropouts():
    mix = MonitorMix(1, 1000, prebuffer=60, capacity=1000)
    out = np.zeros((1, 50), dtype=np.float32)
    mix.write(np.ones((1, 60), np.float32), entered=10.0)
    mix.add_into(out, when=10.2)
    assert not out.any() and mix.underruns == 0  # waits until 60 would be left after the read
    mix.write(np.full((1, 60), 2.0, np.float32), entered=10.06)
    out[:] = 0.5
    mix.add_into(out, when=10.25)
    np.testing.assert_array_equal(out[0], np.full(50, 1.5))
    assert mix.latency == pytest.approx(0.25)
    for _ in range(2):
        mix.add_into(np.zeros((1, 50), np.float32), when=10.3)
    assert mix.underruns == 1 and not mix.playing  # 70 left for 2 × 50: one short read


# ---- the language, with an audio file as the input ---------------------------------------


@pytest.fixture
def session(model, tmp_path):
    lines: list[str] = []
    s = Session(model=model, output=lines.append, base_dir=tmp_path)
    s.live = LiveHost(s, lambda: None, bars=4)
    s.lines = lines
    yield s
    s.live.close()


def _wait_for(cond, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_listen_record_input_and_stats_from_a_file(session, model, tmp_path):
    x = _signal(5.0)
    write_wav(tmp_path / "in.wav", x, 44100)
    offline = model.encode(x, 44100)
    session.run('listen "in.wav"')
    assert "listening to" in session.lines[-1] and "last 4 bars" in session.lines[-1]
    _wait_for(lambda: session.live.input.ring.end >= 10)
    session.run("record x 1bar")
    assert session.lines[-1].startswith("recording x: 1 bar from the next bar line")
    with pytest.raises(LanguageError, match="`x` is still recording"):
        session.run("y = fibo(x)")
    _wait_for(lambda: "x" in session.env or session.collect_live() and "x" in session.env)
    rec_first = 44 * (-(-10 // 44))  # booked after frame 10 at least: bar line 44 or later
    got = session.env["x"]
    errors = [np.abs(offline[i : i + BAR] - got).max() for i in range(len(offline) - BAR + 1)]
    start = int(np.argmin(errors))
    assert start % BAR == 0 and start >= rec_first
    np.testing.assert_allclose(got, offline[start : start + BAR], rtol=0, atol=TOL)
    _wait_for(lambda: session.live.input.ring.end >= 2 * BAR)
    two = session.eval("take(input, 1bar)")
    assert two.shape == (BAR, model.dims)
    s = session.eval("stats(input, 1bar)")
    assert s.frames == BAR
    assert session.eval("stats(input)").frames == session.eval("input").shape[0] >= 2 * BAR
    session.run("t = orale(take(input, 1bar), 3:1)")
    assert session.env["t"].shape[0] % BAR == 0
    with pytest.raises(LanguageError, match="take: asked for the last 440 frames"):
        session.eval("take(input, 10bars)")


def test_a_file_that_ends_stops_the_input_and_drops_the_recording(session, tmp_path):
    write_wav(tmp_path / "short.wav", _signal(1.2), 44100)
    session.run('listen "short.wav"')
    _wait_for(lambda: session.live.input.ring.end >= 1)
    session.run("record x 2bars")
    _wait_for(lambda: session.live.input.stopped is not None)
    news = session.collect_live()
    assert news[0] == "input stopped: the file short.wav has ended".replace(
        "short.wav", str(tmp_path / "short.wav"))
    assert news[1].startswith("recording x stopped after") and "x is not bound" in news[1]
    assert "x" not in session.env
    assert "input stopped" in session.live.status()
    with pytest.raises(LanguageError, match="the input has stopped"):
        session.run("record y 1bar")
    session.run("listen off")
    assert session.lines[-1] == "input closed"
    session.run("a = fibo(normal(stats(encode(\"short.wav\")), k=8))")  # the rest works


@pytest.mark.parametrize("line,message", [
    ("y = take(input, 1bar)", "`input` is the live input: type `listen` first"),
    ("record x 1bar", "not listening: type `listen` first"),
    ("monitor", "not listening: type `listen` first"),
    ('listen "missing.wav"', "live input unavailable: missing.wav: file not found"),
    ("input = 3", "`input` is the live input; choose another name"),
    ("record x fibo", "`fibo` is a function"),
    ("listen loud", "listen takes `off`, a device or file name in quotes, or a device number"),
    ("monitor on", "monitor takes nothing or `off`, got `on`"),
    ("listen 1.5", "an input device number is whole and >= 0, got 1.5"),
])
def test_errors_are_one_line_with_their_place(session, line, message):
    with pytest.raises(LanguageError) as err:
        session.run(line)
    assert message in str(err.value)
    assert str(err.value).startswith("<input>:1:")


def test_without_a_live_session_listen_says_where_it_works(model):
    s = Session(model=model, output=None)
    with pytest.raises(LanguageError, match="work in the REPL"):
        s.run("listen")
    with pytest.raises(LanguageError, match="type `listen` first"):
        s.eval("input")


def test_monitor_without_playback_says_so(session, tmp_path):
    write_wav(tmp_path / "in.wav", _signal(1.0), 44100)
    session.run('listen "in.wav"')
    session.run("monitor")
    assert session.lines[-1] == "monitor: playback is unavailable, so the input cannot be heard"
    assert session.run("monitor off") is None and session.lines[-1] == "not monitoring"


def test_file_source_delivers_in_real_time(tmp_path):
    write_wav(tmp_path / "in.wav", _signal(0.5), 44100)
    source = FileSource(str(tmp_path / "in.wav"))
    got: list[tuple[int, float]] = []
    ended: list[str] = []
    t0 = time.monotonic()
    source.start(lambda block, entered: got.append((block.shape[1], entered)), ended.append)
    _wait_for(lambda: ended, 10)
    took = time.monotonic() - t0
    assert sum(n for n, _ in got) == 22050
    assert took >= 0.5  # not faster than real time
    starts = np.array([e for _, e in got]) - got[0][1]
    np.testing.assert_allclose(starts, np.arange(len(got)) * 441 / 44100, atol=1e-9)


def test_a_monitor_that_fell_behind_skips_back_to_its_prebuffer():
    mix = MonitorMix(1, 1000, prebuffer=20, capacity=1000, slack=10)
    mix.write(np.arange(100, dtype=np.float32)[None], entered=0.0)
    out = np.zeros((1, 10), np.float32)
    mix.add_into(out, when=1.0)  # 90 would be left: more than 2 * 20 + 10
    assert mix.skips == 1 and mix.write_pos - mix.read_pos == 20
    np.testing.assert_array_equal(out[0], np.arange(70, 80))  # the newest 30, minus 20 kept


def test_a_non_streaming_export_encodes_each_frame_with_past_context(batch_model_path):
    from unravel_lang.model import ENCODE_CONTEXT_FRAMES

    model = load_model(batch_model_path)
    x = _signal(1.5)
    stream = model.encoder(44100, 1)
    live = np.concatenate([stream.push(x[:, i : i + 1000]) for i in range(0, x.shape[1], 1000)])
    r, c = model.ratio, ENCODE_CONTEXT_FRAMES
    padded = np.concatenate([np.zeros((1, c * r), np.float32), x], axis=1)
    for i in (0, 5, live.shape[0] - 1):  # frame i = the last of an encode of frames i-c .. i
        alone = model.encode(padded[:, i * r : (i + c + 1) * r], 44100)[-1]
        np.testing.assert_allclose(live[i], alone, rtol=0, atol=TOL)


def test_listening_follows_a_change_of_model(session, tmp_path, tiny_model_path):
    write_wav(tmp_path / "in.wav", _signal(3.0), 44100)
    session.run('listen "in.wav"')
    first = session.live.input
    session.run(f'model "{tiny_model_path}"')
    news = session.collect_live()
    assert news and news[-1].startswith("the model changed: listening to")
    assert session.live.input is not first and session.live.input.model is session.model


def test_help_explains_input():
    from unravel_lang.repl.help import topic

    text = topic("input")
    assert text.startswith("input\n") and "take(input, 2bars)" in text


def test_the_engine_mixes_a_monitor_into_its_output(model):
    from unravel_lang.engine import Engine

    engine = Engine(model, realtime=False)
    try:
        mix = MonitorMix(1, model.sr, prebuffer=300, capacity=4096)
        audio = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)[None]
        mix.write(audio, entered=None)
        engine.add_source(mix)
        out = np.ones((1, 600), np.float32)
        engine.read_into(out)  # nothing plays: the tracks give silence, the monitor its audio
        late = engine.limiter.lookahead  # through the master limiter's look-ahead
        np.testing.assert_array_equal(out[:, late:], audio[:, : 600 - late])
        assert not out[:, :late].any()
        engine.remove_source(mix)
        engine.read_into(out)
        np.testing.assert_array_equal(out[:, :late], audio[:, 600 - late : 600])
        assert not out[:, late:].any() and mix.read_pos == 600
    finally:
        engine.close()
