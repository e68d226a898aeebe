"""The `osc` statement: its syntax and check errors with place, the calls a session makes,
the stage passing them to the engine, and the REPL's status line."""

from __future__ import annotations

import pytest

from unravel_lang.lang import ast
from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.parser import parse
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.live.stage import Stage


def test_the_four_forms_parse():
    program = parse('osc "127.0.0.1:9000"\nosc off\nosc lead 20\nosc drums remote')
    target, off, lead, mode = program.statements
    assert isinstance(target, ast.Osc) and target.target.value == "127.0.0.1:9000"
    assert off.word.id == "off" and off.mode is None and off.number is None
    assert lead.word.id == "lead" and lead.number.value == 20
    assert (mode.word.id, mode.mode.id) == ("drums", "remote")


def test_a_session_tells_its_performer():
    recorder = Recorder()
    lines: list[str] = []
    session = Session(performer=recorder, output=lines.append)
    session.run('osc ":9000"; osc lead 12.5; osc drums remote; osc bass local; osc off')
    assert recorder.calls == [("set_osc", (":9000",)), ("set_osc_lead", (12.5,)),
                              ("set_decode", ("drums", "remote")),
                              ("set_decode", ("bass", "local")), ("set_osc", (None,))]
    assert lines[0].startswith("osc → :9000") and "not decoded here" in lines[2]


@pytest.mark.parametrize("source, message, col", [
    ("osc drums remot", "got `remot` (did you mean `remote`?)", 11),
    ("osc drums", "`osc drums` needs `local`, `remote` or `both`", 5),
    ("osc lead", "needs milliseconds", 1),
    ("osc lead 900", "0 to 250 ms", 10),
    ('osc "nowhere"', '"host:port"', 5),
    ('osc "127.0.0.1:99999"', "1 to 65535", 5),
    ("osc", "expected `\"host:port\"`, `off`, `lead MS` or a track name", 4),
    ("osc = 3", "`osc` is a statement word", 5),
])
def test_mistakes_name_their_place(source, message, col):
    with pytest.raises(LanguageError) as info:
        Session(performer=Recorder(), output=None).run(source)
    assert message in info.value.message
    assert info.value.col == col




def test_the_stage_passes_decode_modes_to_the_engine_and_the_status_shows_them(tiny):
    from unravel_lang.engine import Engine
    from unravel_lang.lang.recorder import Recorder as Rec
    from unravel_lang.plan import Plan
    from unravel_lang.repl.app import Repl

    engine = Engine(tiny, k=4, realtime=False)
    with engine:
        stage = Stage(engine, k=4, model=tiny)
        session = Session(model=tiny, performer=Rec(), output=None)
        repl = Repl(session, session.performer, stage, lambda line: None)
        stage.set_decode("a", "remote")
        stage.set_decode("b", "local")
        import numpy as np

        stage.track("a", Plan.of(np.zeros((4, tiny.dims), np.float32)))
        stage.track("b", Plan.of(np.zeros((4, tiny.dims), np.float32)))
        engine.settle()
        assert engine.worker.remote == {"a"}
        assert not engine.worker.named["a"].decoding and engine.worker.named["b"].decoding
        assert "▶ a [remote], b │" in repl.status()
        assert stage.sends("a") and not stage.sends("b")
        stage.set_decode("a", "both")
        engine.settle()
        assert engine.worker.named["a"].decoding and engine.worker.remote == set()


def test_watch_sync_reports_osc_changes(tiny):
    stage = Stage(None, k=4, model=tiny)
    report = stage.sync([("set_decode", ("a", "remote")), ("set_decode", ("b", "both"))])
    assert report == ["osc a remote"]
    assert stage.sync([("set_decode", ("a", "remote"))]) == []
