"""The `Performer` base class: the calls a program makes, the questions front ends ask, and
the performers that subclass it (every one with the base signatures)."""

from __future__ import annotations

import inspect
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import unravel_lang
from unravel_lang.engine import Engine
from unravel_lang.engine.score import ScoreRender
from unravel_lang.lang import Recorder, Session
from unravel_lang.live.stage import Live, Stage
from unravel_lang.live.view_feed import viewed_score
from unravel_lang.performer import CALLS, QUESTIONS, Performer, perform
from unravel_lang.plan import Plan

PLAN = Plan.of(np.zeros((3, 2), np.float32))

SAMPLE_ARGS = {
    "play": (PLAN,), "track": ("t", PLAN), "stop": ("t",), "hush": (), "wait": (5,),
    "set_tempo": (8,), "set_beats_per_bar": (3,), "set_quantum": ("bar",),
    "set_model": ("m.ts",), "set_osc": ("127.0.0.1:9000",), "set_osc_lead": (12.5,),
    "set_decode": ("t", "remote"), "link": (True,), "set_nudge": (-4.0,),
    "view": ("127.0.0.1:8080",), "track_source": ("t", "track t = x"),
}
"""One call of each kind, as a program makes it."""

ATTRIBUTES = ("engine", "output", "linked", "beats_per_bar")


def public_methods(cls: type) -> set[str]:
    return {name for name, value in vars(cls).items()
            if callable(value) and not name.startswith("_")}


def signature(function) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def performers() -> set[type]:
    """Every subclass of `Performer` the package defines (`viewed_score` makes its own)."""
    viewed_score(load=lambda: None)
    found, todo = set(), [Performer]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("unravel_lang.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_the_base_class_is_the_calls_the_questions_and_close():
    assert public_methods(Performer) == set(CALLS) | set(QUESTIONS) | {"close"}
    assert not set(CALLS) & set(QUESTIONS)
    for name in ATTRIBUTES:
        assert getattr(Performer, name) is None
    assert unravel_lang.Performer is Performer


def test_every_method_of_the_base_class_does_nothing_and_answers_nothing():
    bare = Performer()
    for name, args in SAMPLE_ARGS.items():
        assert getattr(bare, name)(*args) is None
    assert bare.take_errors() == [] and bare.take_notes() == []
    assert bare.status() is None and bare.bar_position() is None
    assert bare.link_status() is None and bare.close() is None
    assert vars(bare) == {}


def test_the_recorder_records_exactly_the_calls():
    assert set(SAMPLE_ARGS) == set(CALLS)
    assert public_methods(Recorder) & public_methods(Performer) == set(CALLS)
    for name in CALLS:
        r = Recorder()
        getattr(r, name)(*SAMPLE_ARGS[name])
        if name == "track_source":  # kept by track name, for the view
            assert r.calls == [] and r.sources == {"t": "track t = x"}
        else:
            assert r.calls == [(name, SAMPLE_ARGS[name])]


def test_every_performer_overrides_with_the_base_signatures():
    found = performers()
    assert {Recorder, Engine, ScoreRender, Stage, Live} <= found
    assert "ViewedScore" in {cls.__name__ for cls in found}
    base = public_methods(Performer)
    for cls in found:
        for name in base & set(vars(cls)):
            mine = vars(cls)[name]
            assert callable(mine), f"{cls.__name__}.{name} is not a method"
            assert signature(mine) == signature(getattr(Performer, name)), \
                f"{cls.__name__}.{name}{inspect.signature(mine)}"
        for name in set(ATTRIBUTES) & set(vars(cls)):
            assert isinstance(vars(cls)[name], property), f"{cls.__name__}.{name}"


def test_live_delegates_explicitly():
    assert "__getattr__" not in vars(Live)


def test_replay_and_perform_make_every_recorded_call():
    class Log(Performer):
        def __init__(self):
            self.got = []

    for name in CALLS:
        setattr(Log, name, lambda self, *args, _name=name: self.got.append((_name, args)))
    r = Recorder()
    for name in CALLS:
        getattr(r, name)(*SAMPLE_ARGS[name])
    log = Log()
    r.replay(log)
    assert log.got == r.calls
    with pytest.raises(ValueError, match="'read_into' is not a performer call"):
        perform([("read_into", ())], log)


SCORE = """\
k 8
beats 3
quantum bar
osc "127.0.0.1:9"
osc lead 20
osc a remote
link
nudge 5
view
track a = x
play reverse(x)
wait 2beats
track b = x | x
stop a
link off
osc off
hush
"""


def test_a_performer_that_implements_nothing_gets_through_a_whole_score_silently(
        tiny, tiny_model_path):
    """What the session says is the language's own (the same as with a `Recorder`): the bare
    performer adds nothing, refuses nothing and starts nothing."""

    def run(performer: Performer) -> tuple[list[str], Session]:
        lines: list[str] = []
        session = Session(model=tiny, performer=performer, output=lines.append)
        session.env["x"] = np.zeros((6, tiny.dims), np.float32)
        session.run(SCORE)
        session.run(f'model "{tiny_model_path}"')
        return lines, session

    threads = threading.active_count()
    bare = Performer()
    lines, session = run(bare)
    recorder = Recorder()
    assert lines == run(recorder)[0]
    assert {m for m, _ in recorder.calls} == set(CALLS) - {"track_source"}  # every call made
    assert session.tracks == [] and session.k == 8 and session.quantum == "bar"
    assert vars(bare) == {} and threading.active_count() == threads  # no engine, no server


def test_no_module_probes_a_performer():
    """Performers are called, never probed: no `getattr`/`hasattr` on a performer."""
    root = Path(unravel_lang.__file__).parent
    probe = re.compile(r"\b(?:getattr|hasattr)\(\s*[\w.]*performer\b")
    found = [f"{path.relative_to(root)}:{n}"
             for path in sorted(root.rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if probe.search(line)]
    assert found == []
