"""The live view's server, feeds and maths over real sockets (no browser: see
test_live_view_browser.py): what viewers receive, when it sounds, and that a stalled or closed
viewer only loses its own messages."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from rave_testmodels import random_latent as latent
from view_client import stalled_viewer

from unravel_lang.addresses import parse_address
from unravel_lang.engine import Engine, FileSink
from unravel_lang.errors import UnravelError
from unravel_lang.live.view_meter import FLOOR_DB, latent_rows, level_db, spectrum_db
from unravel_lang.plan import Plan

websockets = pytest.importorskip("websockets", reason="pip install 'unravel-lang[view]'")
from websockets.sync.client import connect  # noqa: E402

from unravel_lang.live.view import ViewServer, websockets_module  # noqa: E402
from unravel_lang.live.view_feed import (  # noqa: E402
    ArrayReader,
    EngineFeed,
    ScoreFeed,
    viewed_score,
)

PAGE = Path(__file__).resolve().parent.parent / "unravel_lang" / "live" / "view_page"


# ---- addresses and maths --------------------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    (None, ("127.0.0.1", 0)), ("", ("127.0.0.1", 0)), (8000, ("127.0.0.1", 8000)),
    ("8000", ("127.0.0.1", 8000)), ("0.0.0.0:9000", ("0.0.0.0", 9000)),
    ("localhost", ("localhost", 0)), ("[::1]:7000", ("::1", 7000)),
])
def test_addresses(given, expected):
    assert parse_address(given) == expected


@pytest.mark.parametrize("bad", [70000, 1.5, -1, "a b:1", "host:port", ":80"])
def test_bad_addresses_are_refused(bad):
    with pytest.raises(UnravelError):
        parse_address(bad)


def test_level_and_spectrum_of_a_sine():
    sr, n = 44100, 2048
    t = np.arange(n) / sr
    freq = 40 * sr / n  # on a bin: no scalloping
    rms, peak = level_db(0.5 * np.sin(2 * np.pi * freq * t))
    assert peak == pytest.approx(-6.02, abs=0.05) and rms == pytest.approx(-9.03, abs=0.05)
    spec = spectrum_db(0.5 * np.sin(2 * np.pi * freq * t), sr)
    hz = np.geomspace(30.0, sr / 2, len(spec) + 1)
    band = int(np.argmax(spec))
    assert hz[band] <= freq < hz[band + 1]
    assert spec[band] == pytest.approx(-6.02, abs=0.1)
    assert (spectrum_db(np.zeros(n), sr) == FLOOR_DB).all()
    assert level_db(np.zeros(n)) == (FLOOR_DB, FLOOR_DB)


def test_latent_rows_are_json_with_null_for_silence():
    rows = latent_rows(np.array([[0.12345, np.nan], [-1.0, 2.0]], np.float32))
    assert rows == [[0.123, None], [-1.0, 2.0]]
    assert json.loads(json.dumps(rows)) == rows


def test_the_page_colours_are_the_plots_colour_scale():
    matplotlib = pytest.importorskip("matplotlib")
    text = (PAGE / "colormap.js").read_text()
    values = [int(v) for v in re.search(r"\[([\d,]+)\]", text).group(1).split(",")]
    cmap = matplotlib.colormaps["RdBu_r"]
    want = (np.array([cmap(i / 255)[:3] for i in range(256)]) * 255).round().astype(int)
    np.testing.assert_array_equal(np.array(values).reshape(256, 3), want)
    heatmap = Path(__file__).parent.parent / "unravel_lang" / "plot" / "axes.py"
    assert "RdBu_r" in heatmap.read_text()


def test_the_page_needs_nothing_from_the_network():
    for name in ("index.html", "view.js", "view.css"):
        text = (PAGE / name).read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), name
        assert "@import" not in text and "@font-face" not in text


# ---- the server -----------------------------------------------------------------------------


@pytest.fixture
def server():
    srv = ViewServer(tick=0.01)
    srv.start()
    yield srv
    srv.close()


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as err:
        return err.code, "", b""


def test_the_page_and_only_the_page_is_served(server):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url) and server.port > 0
    status, kind, body = get(server.url)
    assert status == 200 and kind.startswith("text/html") and b'src="view.js"' in body
    for name in ("view.js", "view.css", "colormap.js"):
        status, _, body = get(server.url + name)
        assert status == 200 and body == (PAGE / name).read_bytes()
    for path in ("../pyproject.toml", "view_page/view.js", "%2e%2e/view.py", "favicon.ico"):
        assert get(server.url + path)[0] == 404


def test_only_the_views_own_page_may_connect(server):
    ws_url = server.url.replace("http", "ws") + "ws"
    with pytest.raises(websockets.exceptions.InvalidStatus, match="403"):
        connect(ws_url, origin="http://evil.example").close()
    own = "http://" + server.url.split("/")[2]
    with connect(ws_url, origin=own) as ws:
        assert json.loads(ws.recv(timeout=10))["t"] == "tick"


def test_a_used_port_is_a_clear_error(server):
    other = ViewServer(port=server.port)
    with pytest.raises(UnravelError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        other.start()


def test_without_websockets_the_extra_is_named(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "websockets", None)
    with pytest.raises(UnravelError, match=r"unravel-lang\[view\]"):
        websockets_module()


def receive(ws, until, timeout: float = 10.0) -> list[dict]:
    """Tick messages from `ws` until `until(messages)` holds."""
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while not until(messages):
        assert time.monotonic() < deadline, f"gave up after {len(messages)} messages"
        try:
            message = json.loads(ws.recv(timeout=0.5))
        except TimeoutError:
            continue
        if message["t"] == "tick":
            messages.append(message)
    return messages


def frames_of(messages: list[dict], track: str) -> dict[int, tuple[float, list]]:
    """Engine frame -> (due, row) of voice 0 of `track`, from tick messages."""
    out = {}
    for m in messages:
        for name, voice, first, due, rows, _grid in m["frames"]:
            if name == track and voice == 0:
                for i, row in enumerate(rows):
                    out[first + i] = (due + i * m["period"], row)
    return out


def test_viewers_get_each_frame_with_the_time_it_sounds(server, tiny):
    a = latent(12, 1, dims=tiny.dims)
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    heard_at = 1000.0
    engine.sample_clock.mark_heard(0, heard_at)  # sample 0 is heard at 1000 s
    feed = EngineFeed(server, engine, sources={"t": "track t = a"})
    with engine, connect(server.url.replace("http", "ws") + "ws") as ws:
        feed.attach()
        receive(ws, lambda m: len(m) >= 1)  # connected: what is drained now reaches us
        engine.track("t", Plan.of(a))
        sink.until(30)
        messages = receive(ws, lambda m: len(frames_of(m, "t")) >= 30)
        feed.detach()
    frames = frames_of(messages, "t")
    assert sorted(frames) == list(range(30))
    for f, (due, row) in frames.items():
        assert due == pytest.approx(heard_at + f * tiny.ratio / tiny.sr, abs=1e-4)
        np.testing.assert_allclose(row, a[f % 12], atol=5e-4)
    state = messages[-1]["state"]
    assert state["tracks"] == {"t": "track t = a"} and state["viewers"] == 1
    grid = messages[-1]["frames"][-1][5]
    assert grid == [0, 4, 4]  # origin, k, beats per bar
    mixes = [m for msg in messages for m in msg["mix"]]
    assert mixes and all(m[2] > FLOOR_DB for m in mixes[:8])  # the track is heard: a level


def test_a_stopped_track_ends_where_the_reader_is(tiny):
    server = ViewServer()  # not started: only these polls run
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    sink = FileSink(engine)
    feed = EngineFeed(server, engine)
    with engine:
        feed.attach()
        engine.track("a", Plan.of(latent(8, 2, dims=tiny.dims)))
        engine.track("b", Plan.of(latent(8, 3, dims=tiny.dims)))
        sink.until(10)
        feed.poll()
        assert set(server.state["tracks"]) == {"a", "b"} and server.state["ends"] == {}
        engine.stop("a")
        feed.poll()
        assert set(server.state["tracks"]) == {"b"}
        assert server.state["ends"] == {"a": 10}
        engine.hush()
        sink.until(14)
        feed.poll()
        assert server.state["tracks"] == {} and server.state["ends"] == {"a": 10, "b": 14}
        engine.track("a", Plan.of(latent(8, 2, dims=tiny.dims)))
        sink.until(16)
        feed.poll()
        assert server.state["tracks"] == {"a": ""} and server.state["ends"] == {"b": 14}
        feed.detach()
    assert engine.worker.listeners == [] and engine.worker.mix_listeners == []


def test_a_stalled_viewer_misses_messages_and_the_others_get_all():
    srv = ViewServer(tick=0.01, max_buffer=4096)
    srv.set_timing(44100, 2048, lambda sample: 5.0 + sample / 44100)
    srv.start()
    try:
        stalled = stalled_viewer(srv.url, rcvbuf=1024)
        closed = stalled_viewer(srv.url, rcvbuf=1024)
        with connect(srv.url.replace("http", "ws") + "ws") as ws:
            receive(ws, lambda m: m and m[-1]["state"]["viewers"] == 3)
            closed.close()  # a viewer that goes away
            # 6 MB of frames: more than the kernel's socket buffers hold for a stalled reader
            rows = np.random.default_rng(0).standard_normal((16, 256)).astype(np.float32)
            calls = []
            for block in range(240):
                t0 = time.perf_counter()
                srv.feed_frames("t", 0, 16 * block, rows, (0, 8, 4))
                calls.append(time.perf_counter() - t0)
                if block % 8 == 7:
                    time.sleep(0.02)
            got = frames_of(receive(ws, lambda m: len(frames_of(m, "t")) >= 16 * 240, 30), "t")
            assert sorted(got) == list(range(16 * 240))
            stats = srv.stats()["viewers"]
            assert len(stats) == 2  # the closed one is gone
            slow = [v for v in stats.values() if v["dropped"] > 0]
            fast = [v for v in stats.values() if v["dropped"] == 0]
            assert len(slow) == 1 and len(fast) == 1
        stalled.close()
    finally:
        srv.close()
    print(f"feed_frames: median {np.median(calls) * 1e6:.1f} µs, max {max(calls) * 1e6:.1f} µs")


def test_what_a_page_sends_wrong_is_ignored(server):
    with connect(server.url.replace("http", "ws") + "ws") as ws:
        for junk in ("not json", "[]", '{"t": "lag", "v": "x"}', '{"t": "ping"}', b"\x00\xff"):
            ws.send(junk)
        ws.send(json.dumps({"t": "lag", "v": [3.5, 4.5]}))
        ws.send(json.dumps({"t": "ping", "c": 12.5}))
        deadline = time.monotonic() + 10
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message["t"] == "pong":
                break
            assert time.monotonic() < deadline
        assert message["c"] == 12.5 and abs(message["s"] - time.monotonic()) < 5
    assert server.stats()["lags"] == [3.5, 4.5]


# ---- a score played with the view ---------------------------------------------------------


def test_a_score_is_recorded_and_fed_in_time(tiny):
    from unravel_lang.lang import Session

    score = viewed_score(model=tiny, seed=1, k=4)
    session = Session(model=tiny, performer=score, output=None, k=4)
    session.env.update(x=latent(8, 1, dims=tiny.dims), y=latent(8, 2, dims=tiny.dims))
    session.run("view 0\ntrack a = x\nwait 16frames\nstop a\nwait 4frames\ntrack a = y\n"
                "wait 8frames")
    audio = score.finish()
    assert score.view_address == 0
    rec = score.recording
    assert rec.sources == {"a": "track a = y"}
    assert [e for e in rec.ends() if e[1] == "a"][0] == (16, "a")
    reader = ArrayReader(audio, tiny.sr)
    reader.sample_clock.mark(0, when=50.0)
    server = ViewServer()  # not started: what the feed pushes stays in its inbox
    feed = ScoreFeed(server, rec, reader, tiny.ratio, tiny, ahead=0.1)
    seen = []
    for frame in range(0, audio.shape[1] // tiny.ratio, 2):
        reader.pos = frame * tiny.ratio
        feed.push()
        seen.append((frame, sorted(server.state["tracks"]), dict(server.state["ends"])))
    assert any(t == ["a"] for _, t, _ in seen[:4])                       # plays from the start
    assert any(t == [] and e.get("a") == 16 for f, t, e in seen if f < 20)  # the stop
    assert seen[-1][1] == ["a"] or seen[-1][2].get("a", 0) > 16          # then again
    sent = list(server._inbox) + list(server._waiting)
    firsts = [item[3] for item in sent if item[0] == "f"]
    assert firsts == sorted(firsts) and firsts[0] == 0


# ---- the view in the REPL, watch and the command line -------------------------------------


def test_the_view_statement_serves_the_page_once_and_follows_the_engine(tiny):
    from unravel_lang.lang.recorder import Recorder
    from unravel_lang.lang.session import Session
    from unravel_lang.live.stage import Stage
    from unravel_lang.repl.app import Repl

    out: list[str] = []
    engine = Engine(tiny, seed=1, k=4, realtime=False)
    recorder = Recorder()
    session = Session(model=tiny, performer=recorder, output=out.append)
    stage = Stage(engine, k=session.k, model=tiny, write=out.append)
    repl = Repl(session, recorder, stage, out.append)
    try:
        session.env["x"] = latent(8, 1, dims=tiny.dims)
        assert repl.handle("track lead = x   # the lead")
        assert stage.sources == {"lead": "track lead = x   # the lead"}
        assert not repl.handle('view "a b"')  # a bad address changes nothing
        assert stage.viewer is None and "view: an address is" in out[-1]
        assert repl.handle("view")
        url = re.fullmatch(r"view: (http://127\.0\.0\.1:\d+/)", out[-1]).group(1)
        assert get(url)[0] == 200
        assert engine.worker.listeners and engine.worker.mix_listeners
        assert repl.handle("view") and out[-1] == f"view: {url}"  # again: the same page
        stage.viewer.feed.poll()
        assert stage.viewer.server.state["peers"] == []
        if __import__("importlib.util").util.find_spec("pythonosc") is not None:
            assert repl.handle('osc "127.0.0.1:9"')  # the page names the peers
            stage.viewer.feed.poll()
            assert stage.viewer.server.state["peers"] == ["osc → 127.0.0.1:9"]
            stage.set_osc(None)
        stage.close_view()
        assert engine.worker.listeners == [] and engine.worker.mix_listeners == []
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)
    finally:
        stage.close_view()
        engine.close()


def test_without_playback_the_view_says_it_is_silent():
    from unravel_lang.live.stage import Stage

    out: list[str] = []
    stage = Stage(None, write=out.append)
    try:
        stage.view(0)
        assert re.fullmatch(r"view: http://127\.0\.0\.1:\d+/ \(silent: playback unavailable\)",
                            out[-1])
    finally:
        stage.close_view()


def test_watch_serves_the_view_of_a_score_once(tmp_path, tiny):
    from unravel_lang.lang.session import Session
    from unravel_lang.live.stage import Stage
    from unravel_lang.live.watch import ScoreWatcher

    out: list[str] = []
    np.save(tmp_path / "x.npy", latent(8, 1, dims=tiny.dims))
    stage = Stage(None, write=out.append)
    watcher = ScoreWatcher(
        tmp_path / "s.unr",
        lambda rec, write: Session(model=tiny, performer=rec, output=write, base_dir=tmp_path),
        stage, out.append)
    try:
        assert watcher.evaluate('view\ntrack t = load("x.npy")')
        assert watcher.evaluate('view\ntrack t = reverse(load("x.npy"))')
        assert sum(line.startswith("view: ") for line in out) == 1
        assert stage.sources == {"t": 'track t = reverse(load("x.npy"))'}
    finally:
        stage.close_view()


@pytest.mark.parametrize("argv, message", [
    (["run", "SCORE", "--view"], "--view shows a score as it plays: add --play"),
    (["run", "SCORE", "--play", "--view-address", "x:y"], "an address is HOST:PORT"),
    (["repl", "--view-address", "99999"], "a port is a whole number"),
])
def test_view_options_are_checked(tmp_path, capsys, argv, message):
    from unravel_lang.cli import main

    (tmp_path / "s.unr").write_text("x = 1\n")
    argv = [str(tmp_path / "s.unr") if a == "SCORE" else a for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("unravel: error: ") and message in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(__import__("pulse_server").pulse_missing() is not None,
                    reason=str(__import__("pulse_server").pulse_missing()))
def test_a_score_plays_in_real_time_with_the_view_following_it(tmp_path, tiny_model_path):
    """`unravel run score.unr --play --view` on a private PulseAudio server: the score starts
    when a viewer connects, its frames come before they sound, in order, with due times one
    frame apart; the track ends where the score stops it."""
    import subprocess
    import sys

    from pulse_server import private_pulse

    np.save(tmp_path / "x.npy", latent(16, 1))
    (tmp_path / "s.unr").write_text('k 8\ntrack a = load("x.npy")\nwait 32frames\nstop a\n'
                                    'wait 8frames\n')
    with private_pulse(tmp_path / "pulse") as pulse:
        child = subprocess.Popen(
            [sys.executable, "-m", "unravel_lang", "run", str(tmp_path / "s.unr"), "-m",
             str(tiny_model_path), "--play", "--view"],
            env=dict(os.environ, **pulse), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        try:
            head = [child.stdout.readline() for _ in range(3)]
            assert head[0] == "k=8 → 161.49 BPM\n", head
            url = re.match(r"view: (\S+)", head[1]).group(1)
            assert head[2].startswith("open it to start"), head
            messages = []
            with connect(url.replace("http", "ws") + "ws") as ws:
                arrived = {}
                while True:
                    try:
                        message = json.loads(ws.recv(timeout=15))
                    except websockets.exceptions.ConnectionClosed:
                        break
                    now = time.monotonic()
                    for _, _, first, due, rows, _ in message.get("frames", []):
                        for i in range(len(rows)):
                            arrived[first + i] = (now, due + i * message["period"])
                    messages.append(message)
            out = child.stdout.read()
            assert child.wait(30) == 0, out
        finally:
            child.kill()
    assert "playing 1.86 s" in out and "played" in out, out  # 40 frames
    frames = sorted(arrived)
    assert frames == list(range(32))  # the track's frames, and none after its stop
    dues = [arrived[f][1] for f in frames]
    assert np.allclose(np.diff(dues), 2048 / 44100, atol=2e-3)
    early = [arrived[f][1] - arrived[f][0] for f in frames]
    assert min(early) > 0  # every frame came before it sounds (monotonic clocks of one host)
    tracks = [m["state"].get("tracks") for m in messages if "state" in m]
    assert {"a": 'track a = load("x.npy")'} in tracks
    ended = [m["state"] for m in messages if m["state"].get("ends", {}).get("a") == 32]
    assert ended and ended[-1]["tracks"] == {}


def test_unravel_watch_with_view_serves_the_page_until_ctrl_c(tmp_path, tiny_model_path):
    import signal
    import subprocess
    import sys

    (tmp_path / "nodevice.conf").write_text("pcm.!default { type hw card 99 }\n"
                                            "ctl.!default { type hw card 99 }\n")
    (tmp_path / "s.unr").write_text("k 8\n")
    env = dict(os.environ, ALSA_CONFIG_PATH=str(tmp_path / "nodevice.conf"))
    child = subprocess.Popen(
        [sys.executable, "-m", "unravel_lang", "watch", str(tmp_path / "s.unr"), "-m",
         str(tiny_model_path), "--view-address", "127.0.0.1:0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [child.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("playback unavailable"), lines
        url = re.match(r"view: (http://127\.0\.0\.1:\d+/) \(silent", lines[1]).group(1)
        assert lines[2].startswith("watching ")
        assert get(url)[0] == 200
        child.send_signal(signal.SIGINT)
        assert child.wait(30) == 0
        assert "stopped" in child.stdout.read()
    finally:
        child.kill()
