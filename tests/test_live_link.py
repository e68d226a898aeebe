"""Ableton Link with real parts: a second Link peer in another process on this machine, the
real-time engine, and a sink whose sample clock is mapped to the monotonic clock Link uses.

Beat errors are measured on the rendered audio: a one-frame hit on every beat after silence
gives an onset to the sample, compared with the peer's own beat times.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from linkpeer import Peer, onset_errors, onsets

from unravel_lang.live.link import INSTALL, link_available

needs_link = pytest.mark.skipif(not link_available(),
                                reason=f"Link support is not installed ({INSTALL})")

HIT = np.full((1, 8), 3.0, np.float32)


@pytest.fixture
def linked(tiny):
    """A real-time engine at k=11 read by a paced sink; `join()` links it (LinkControl)."""
    from unravel_lang.engine import Engine
    from unravel_lang.live.link import LinkControl
    from unravel_lang.live.paced import PacedOutput

    engine = Engine(tiny, k=11)
    sink = PacedOutput(engine, lead=0.05, keep_seconds=120)
    sink.start()
    made = []

    def join():
        made.append(LinkControl(engine, sink))
        return made[0]

    yield engine, sink, join
    sink.stop()
    for control in made:
        control.close()
    engine.close()


def errors_ms(sink, line, first: float, last: float) -> np.ndarray:
    """Onset errors (ms) of the sink's audio at the peer's beats [first, last)."""
    sr = sink.sr
    expected = np.array([(line.time_at(b) - sink.t0) * sr for b in np.arange(first, last)])
    return onset_errors(onsets(sink.audio, 1500), expected, 0.03 * sr) / sr * 1000


@needs_link
def test_the_repl_links_follows_then_leads_at_its_grid_tempo(tiny):
    """`link`, then `k 11` in the REPL: the statements reach a live engine through the stage."""
    from unravel_lang.engine import Engine
    from unravel_lang.lang.recorder import Recorder
    from unravel_lang.lang.session import Session
    from unravel_lang.live.paced import PacedOutput
    from unravel_lang.live.stage import Live, Stage
    from unravel_lang.repl.app import Repl

    lines: list[str] = []
    engine = Engine(tiny, k=11)
    sink = PacedOutput(engine, lead=0.05, keep_seconds=120)
    sink.start()
    recorder = Recorder()
    session = Session(model=tiny, performer=recorder, output=lines.append)
    stage = Stage(Live(engine, sink), k=11, model=tiny)
    repl = Repl(session, recorder, stage, lines.append)
    try:
        with Peer(100) as peer:
            assert repl.handle("link")
            assert lines[-1] == "link: 1 peer · 100.00 BPM (following, k=13)"
            assert "k=13 99.38 BPM" in repl.status()
            assert "link: 1 peer · 100.00 BPM" in repl.status()
            assert repl.handle("k 11")  # unravel leads: the session takes the grid's tempo
            deadline = time.monotonic() + 3
            while abs(peer.report()["tempo"] - 117.45) > 0.01 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert peer.report()["tempo"] == pytest.approx(117.45, abs=0.005)
            assert repl.handle("link")
            assert lines[-1] == "link: 1 peer · 117.45 BPM (leading, k=11)"
            assert "link: 1 peer · 117.45 BPM" in repl.status()
            assert repl.handle("link off") and lines[-1] == "link: off"
            assert "link:" not in repl.status() and sink.engine is engine
    finally:
        stage.performer.close()


@needs_link
def test_unravel_follows_a_peer_at_123_bpm_on_its_beats(linked):
    from unravel_lang.plan import Plan

    engine, sink, join = linked
    with Peer(123) as peer:
        control = join()
        assert control.answer() == "link: 1 peer · 123.00 BPM (following, k=11)"
        assert control.status() == "link: 1 peer · 123.00 BPM"
        engine.track("hit", Plan.of(HIT))
        start = peer.timeline().beat_at(time.monotonic())
        first = np.ceil(start / 4) * 4 + 4  # from the bar after the one it waits for
        line = peer.timeline()
        deadline = time.monotonic() + 60
        while line.beat_at(sink.heard_at(sink.samples)) < first + 64 + 0.5:  # sixteen bars
            assert time.monotonic() < deadline, "the sink stopped"
            time.sleep(0.05)
        line = peer.timeline()
    errors = errors_ms(sink, line, first, first + 64)
    print(f"onset errors over 16 bars (ms): median {np.nanmedian(np.abs(errors)):.3f}, "
          f"p95 {np.nanpercentile(np.abs(errors), 95):.3f}, max {np.nanmax(np.abs(errors)):.3f}")
    assert not np.any(np.isnan(errors))
    assert np.max(np.abs(errors)) < 5.0


@needs_link
def test_a_peer_tempo_change_lands_on_the_next_bar_line(linked):
    from unravel_lang.live.timeline import next_bar
    from unravel_lang.plan import Plan

    engine, sink, join = linked
    with Peer(123) as peer:
        control = join()
        engine.track("hit", Plan.of(HIT))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # into the first bar heard, at its middle
            beat = peer.timeline().beat_at(time.monotonic())
            if control.retimer.segs and beat >= control.retimer.segs[0][0] + 1.5:
                break
            time.sleep(0.01)
        peer.set_tempo(170)
        changed = peer.timeline()
        at = changed.beat_at(changed.time)
        while peer.timeline().beat_at(sink.heard_at(sink.samples)) < next_bar(at, 4) + 6.5:
            assert time.monotonic() < deadline + 30, "the sink stopped"
            time.sleep(0.05)
        line = peer.timeline()
        assert control.answer() == "link: 1 peer · 170.00 BPM (following, k=8)"
    segs = control.retimer.segs
    assert [seg[2] for seg in segs] == [11, 8]
    assert segs[1][0] == next_bar(at, 4)  # k=8 from the session's next bar line
    errors = errors_ms(sink, line, np.ceil(at) + 1, next_bar(at, 4) + 6)
    assert not np.any(np.isnan(errors)) and np.max(np.abs(errors)) < 5.0


@needs_link
def test_start_stop_sync_and_hush_does_not_stop_the_session(linked):
    from unravel_lang.plan import Plan

    engine, sink, join = linked
    noise = np.random.default_rng(0).normal(0, 1, (44, 8)).astype(np.float32)
    with Peer(120) as peer:
        control = join()
        peer.set_playing(True)  # (Link shares the play state when it changes)
        engine.track("pad", Plan.of(noise))
        time.sleep(2.5)
        assert control.session.playing is True
        peer.set_playing(False)  # the session stops: unravel fades out, its beat runs on
        time.sleep(0.3)
        stopped_at = sink.samples
        time.sleep(0.5)
        assert not np.any(sink.audio[:, stopped_at:])
        peer.set_playing(True)
        time.sleep(0.5)
        assert np.abs(sink.audio[:, -sink.sr // 4 :]).max() > 0.01
        engine.hush()  # unravel's hush stops its own sound only
        time.sleep(0.2)
        assert peer.report()["playing"] is True
        assert control.session.playing is True


def test_without_the_extra_link_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['aalink'] = None; "
            "from unravel_lang.cli import main; sys.exit(main(sys.argv[1:]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code, "repl", "--link"], input="",
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    lines = [line for line in done.stdout.splitlines() + done.stderr.splitlines()
             if "Link" in line or "aalink" in line]
    assert lines == [f"Ableton Link needs the optional aalink package (GPL): {INSTALL}"]
    assert "Traceback" not in done.stderr and done.returncode == 1


def test_watch_link_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch):
    from unravel_lang.live.link import LinkUnavailable
    from unravel_lang.live.options import LiveOptions
    from unravel_lang.live.watch import watch

    monkeypatch.setitem(sys.modules, "aalink", None)
    score = tmp_path / "score.unr"
    score.write_text("bpm 120\n")
    with pytest.raises(LinkUnavailable, match=r"pip install 'unravel-lang\[link\]'$"):
        watch(score, LiveOptions(link=True), write=lambda line: None)


@needs_link
def test_without_a_sound_card_link_joins_with_an_engine_on_the_system_clock(tiny):
    """No playback here: `link` starts the engine paced by the system clock (as `osc` does),
    and `k 11` at the same k still leads the session that moved away."""
    from unravel_lang.live.stage import Stage, close_playback

    stage = Stage(None, k=11, model=tiny)
    try:
        with Peer(123) as peer:
            stage.link(True)
            assert stage.take_notes() == ["link: 1 peer · 123.00 BPM (following, k=11)"]
            assert stage.sounding
            stage.set_tempo(11)
            deadline = time.monotonic() + 3
            while abs(peer.report()["tempo"] - 117.45) > 0.01 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert peer.report()["tempo"] == pytest.approx(117.45, abs=0.005)
            stage.link(False)
            assert stage.take_notes() == ["link: off"]
    finally:
        close_playback(stage.performer)
