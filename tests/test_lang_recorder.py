"""The session's default performer: it records calls, decodes nothing, and replays them."""

from __future__ import annotations

import threading

import numpy as np

from unravel_lang.lang import Recorder
from unravel_lang.model import load_model
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan


def arr(n: int, value: float, dims: int = 8) -> np.ndarray:
    return (value + np.arange(n, dtype=np.float32))[:, None].repeat(dims, 1) / 10


def test_calls_are_kept_in_order_and_nothing_starts():
    threads = threading.active_count()
    r = Recorder()
    assert not r.plays
    p = Plan.of(arr(3, 0))
    r.set_tempo(8)
    r.set_beats_per_bar(3)
    r.track("t", p)
    r.wait(5)
    r.play(p)
    r.stop("t")
    r.hush()
    r.set_model("m.ts")
    r.set_quantum("bar")
    assert r.calls == [("set_tempo", (8,)), ("set_beats_per_bar", (3,)), ("track", ("t", p)),
                       ("wait", (5,)), ("play", (p,)), ("stop", ("t",)), ("hush", ()),
                       ("set_model", ("m.ts",)), ("set_quantum", ("bar",))]
    assert r.plays and threading.active_count() == threads


def test_replay_reaches_what_a_performer_overrides_and_the_rest_is_a_no_op():
    class Live(Performer):
        def __init__(self):
            self.got = []

        def play(self, plan):
            self.got.append("play")

        def set_tempo(self, k):
            self.got.append(k)

    r = Recorder()
    r.set_tempo(4)
    r.wait(10)
    r.set_beats_per_bar(3)
    r.play(Plan.of(arr(2, 0)))
    live = Live()
    r.replay(live)
    assert live.got == [4, "play"]


def test_render_calls_is_the_engine_playing_the_calls(tiny_model_path):
    from unravel_lang.engine.score import ScoreRender, render_calls

    model = load_model(tiny_model_path)
    r = Recorder()
    r.set_tempo(4)
    r.track("t", Plan.of(arr(6, 0)))
    r.wait(7)
    r.play(Plan.of(arr(3, 5)))
    audio = render_calls(r.calls, model, seed=9)
    score = ScoreRender(model, seed=9)
    score.set_tempo(4)
    score.track("t", Plan.of(arr(6, 0)))
    score.wait(7)
    score.play(Plan.of(arr(3, 5)))
    np.testing.assert_array_equal(audio, score.finish())
    assert audio.shape[1] == 14 * model.ratio  # the play on the beat at 8; t's pass 8..14
