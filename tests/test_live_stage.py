"""Recording what an evaluation asks for, and making the stage match a re-evaluated score."""

from __future__ import annotations

import numpy as np

from unravel_lang.lang.recorder import Recorder
from unravel_lang.live.stage import Stage, same_plan
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan


def plan(value: float, frames: int = 4) -> Plan:
    return Plan.of(np.full((frames, 2), value, dtype=np.float32))


def test_the_recorder_keeps_calls_in_order_and_take_empties_it():
    rec = Recorder()
    rec.set_tempo(11)
    rec.track("a", plan(1))
    rec.stop("a")
    rec.hush()
    assert [m for m, _ in rec.take()] == ["set_tempo", "track", "stop", "hush"]
    assert rec.take() == []


def test_same_plan_compares_values_starts_and_gains():
    assert same_plan(plan(1), plan(1))
    assert not same_plan(plan(1), plan(2))
    assert not same_plan(plan(1), plan(1, frames=5))
    assert not same_plan(plan(1), plan(1).layer(plan(1)))
    assert not same_plan(plan(1), Plan.of(plan(1).voices[0].latent, gain=0.5))


def test_the_stage_forwards_and_books():
    engine = Recorder()
    stage = Stage(engine, k=11)
    stage.apply([("track", ("a", plan(1))), ("track", ("b", plan(2))), ("stop", ("a",))])
    assert list(stage.tracks) == ["b"]
    stage.set_tempo(11)  # unchanged: not forwarded
    stage.set_tempo(8)
    stage.hush()
    assert stage.tracks == {}
    assert [m for m, _ in engine.take()] == ["track", "track", "stop", "set_tempo", "hush"]


def test_without_an_engine_the_stage_only_books():
    stage = Stage(None)
    stage.track("a", plan(1))
    stage.play(plan(2))
    assert not stage.sounding and list(stage.tracks) == ["a"] and stage.plays == 1


def test_sync_swaps_only_what_changed():
    engine = Recorder()
    stage = Stage(engine, k=11)
    assert stage.sync([("track", ("a", plan(1))), ("track", ("b", plan(2)))]) == ["+ a", "+ b"]
    engine.take()
    # b changes, a is the same, c is new
    report = stage.sync(
        [("track", ("a", plan(1))), ("track", ("b", plan(3))), ("track", ("c", plan(4)))]
    )
    assert report == ["~ b", "+ c"]
    assert [(m, a[0]) for m, a in engine.take()] == [("track", "b"), ("track", "c")]
    # the score no longer starts a; it is stopped
    report = stage.sync([("track", ("b", plan(3))), ("track", ("c", plan(4)))])
    assert report == ["- a"]
    assert engine.take() == [("stop", ("a",))]
    assert list(stage.tracks) == ["b", "c"]


def test_sync_follows_the_scores_own_stops_tempo_and_plays():
    engine = Recorder()
    stage = Stage(engine, k=11)
    stage.sync([("track", ("a", plan(1)))])
    engine.take()
    calls = [("set_tempo", (8,)), ("track", ("x", plan(5))), ("hush", ()), ("play", (plan(6),))]
    report = stage.sync(calls)
    assert report == ["k=8", "play", "- a"]
    assert stage.k == 8 and stage.tracks == {} and stage.plays == 1


def test_a_new_model_reopens_an_engine_bound_to_its_model(tmp_path):
    from types import SimpleNamespace

    class Fixed(Recorder):
        closed = False

        def close(self):
            self.closed = True

    first, second = SimpleNamespace(path=str(tmp_path / "a.ts")), SimpleNamespace(path="b.ts")
    old, new = Fixed(), Recorder()
    stage = Stage(old, model=first, reopen=lambda m: new if m is second else None)
    stage.track("t", plan(1))
    stage.set_model(SimpleNamespace(path=str(tmp_path / "x" / ".." / "a.ts")))  # same file
    assert stage.performer is old and not old.closed
    stage.set_model(second)
    assert old.closed and [m for m, _ in old.take()] == ["track", "hush"]
    assert stage.performer is new and stage.tracks == {}
    switching = Recorder()
    stage = Stage(switching, model=first)  # no reopen: the performer switches itself
    stage.set_model(second)
    assert switching.take() == [("set_model", (second,))]


def test_beats_per_bar_reach_the_engine_once_and_through_sync():
    engine = Recorder()
    stage = Stage(engine, k=11)
    stage.set_beats_per_bar(3)
    stage.set_beats_per_bar(3)  # unchanged: not forwarded again
    assert engine.take() == [("set_beats_per_bar", (3,))]
    report = stage.sync([("set_beats_per_bar", (5,)), ("track", ("a", plan(1)))])
    calls = engine.take()
    assert [m for m, _ in calls] == ["set_beats_per_bar", "track"]
    assert calls[0][1] == (5,) and calls[1][1][0] == "a"
    assert stage.beats == 5 and report == ["+ a"]


def test_a_stage_without_bars_ignores_beats():
    class NoBars(Performer):
        def set_tempo(self, k: int) -> None:
            raise AssertionError("not called")

    stage = Stage(NoBars(), k=11)
    stage.set_beats_per_bar(3)
    assert stage.beats == 3


def test_quantum_reaches_the_engine_when_it_changes_and_through_sync():
    engine = Recorder()
    stage = Stage(engine, k=11)
    assert stage.quantum == "beat"  # the engine's own default
    stage.set_quantum("beat")  # unchanged: not forwarded
    stage.set_quantum("bar")
    stage.set_quantum("bar")
    assert engine.take() == [("set_quantum", ("bar",))]
    report = stage.sync([("set_quantum", ("beat",)), ("track", ("a", plan(1)))])
    calls = engine.take()
    assert [m for m, _ in calls] == ["set_quantum", "track"]
    assert calls[0][1] == ("beat",) and stage.quantum == "beat"
    assert report == ["quantum beat", "+ a"]
    started = Stage(engine, k=11, quantum="bar")  # an engine opened with quantum="bar"
    started.set_quantum("bar")
    assert engine.take() == []


def test_a_stage_without_quantum_only_books_it():
    class NoQuantum(Performer):
        def set_tempo(self, k: int) -> None:
            raise AssertionError("not called")

    stage = Stage(NoQuantum(), k=11)
    stage.set_quantum("bar")
    assert stage.quantum == "bar"
