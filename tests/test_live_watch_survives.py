"""`unravel watch` survives every error: a save that fails (the language, a model, torch,
the file system, numpy) changes nothing, and the real engine, heard through its file sink,
plays on exactly as if the save had not happened."""

from __future__ import annotations

import numpy as np
import pytest
from broken_models import LONG_NAME, make_error_files
from test_live_watch import save, settle, workdir  # noqa: F401 - fixture

from unravel_lang.lang.session import Session
from unravel_lang.live.stage import Stage
from unravel_lang.live.watch import ScoreWatcher
from unravel_lang.model import load_model

SOURCE = 'a = load("a.npy")\ntrack beat = fibo(a)\n'

ERRORS = {
    "language": [("track beat = fibo(aa)", "unknown name `aa`")],
    "model": [('model "nope.ts"', "nope.ts: model file not found"),
              ('model "sr.ts"', "sample rate of 2,000,000,000 Hz")],
    "torch": [('model "decode_raises.ts"', "decode failed (RuntimeError: the decoder is broken)"),
              ('model "decode_shape.ts"', "decode_shape.ts: decode returned shape (1, 3)")],
    "file system": [('export a "noise.wav/x.npy"', "noise.wav is a file, not a folder"),
                    (f'b = load("{LONG_NAME}.npy")', "file name too long"),
                    ('b = load("fifo.npy")', "is a named pipe (FIFO)")],
    "numpy": [('b = load("huge.npy")', "(100000000000, 8) (3.2 TB) but the file holds"),
              ('b = load("garbage.npy")', "not a valid .npy file")],
}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_a_failing_save_changes_nothing_and_the_music_plays_on(workdir, tiny_model_path,  # noqa: F811
                                                               kind):
    from unravel_lang.engine import Engine, FileSink
    from unravel_lang.engine.timeline import loop_iterations, render_track
    from unravel_lang.patterns import fibo
    from unravel_lang.plan import Plan

    make_error_files(workdir)
    model = load_model(tiny_model_path)
    engine = Engine(model, seed=3, k=11, realtime=False)
    sink = FileSink(engine)
    lines: list[str] = []

    def open_session(recorder, output):
        return Session(model=model, performer=recorder, seed=3, output=output, base_dir=workdir)

    score = workdir / "score.unr"
    save(score, SOURCE)
    try:
        stage = Stage(engine, k=11, model=model)
        watcher = ScoreWatcher(score, open_session, stage, lines.append)
        assert settle(watcher)
        for line, said in ERRORS[kind]:
            sink.pull(15)
            lines.clear()
            save(score, SOURCE + line + "\n")
            assert settle(watcher)
            text = "\n".join(lines)
            assert said in text and "internal error" not in text, text
            assert lines[-1] == "score.unr: not changed; still playing: beat"
            assert list(stage.tracks) == ["beat"] and stage.model is model
        sink.pull(15)
        assert engine.take_errors() == []
        frames = 15 * (len(ERRORS[kind]) + 1)
    finally:
        engine.close()
    loop = fibo(np.load(workdir / "a.npy"))
    iterations = loop_iterations([(0, Plan.of(loop))], 0, frames, 11)
    expected = render_track(model, 3, "beat", iterations, frames * model.ratio)
    np.testing.assert_allclose(sink.audio, expected, rtol=0, atol=1e-6)
