"""What each statement does when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from unravel_lang.errors import ModelError
from unravel_lang.guards import check_frames
from unravel_lang.lang import ast
from unravel_lang.lang.context import Runtime
from unravel_lang.lang.describe import describe
from unravel_lang.lang.evaluator import Evaluator, _what
from unravel_lang.paths import make_parent, writable_target
from unravel_lang.plan import Plan
from unravel_lang.plot import plot_auto
from unravel_lang.stats import Stats
from unravel_lang.tempo import bpm_text, snap


def execute(session: Runtime, ev: Evaluator, stmt: ast.Statement) -> Any:
    """Run one statement; returns the value of a bare expression, else None."""
    handler = _HANDLERS[type(stmt)]
    return ev.guard(stmt, lambda: handler(session, ev, stmt))


def _assign(session: Runtime, ev: Evaluator, stmt: ast.Assign) -> None:
    session.env[stmt.name] = ev.expr(stmt.value)


def _sounding(session: Runtime, ev: Evaluator, value: Any, node: ast.Expr, what: str) -> Plan:
    """`value` (from `node`) as a plan the model can decode."""
    plan = ev.plan(value, node, what)
    model = session.model
    dims = model.dims
    for v in plan.voices:
        if v.latent.shape[1] != dims:
            raise ev.error(
                f"the model takes {dims} latent dims, this array has {v.latent.shape[1]}", node)
    take_note = getattr(model, "take_discrete_note", None)
    for v in plan.voices if take_note is not None else ():
        note = take_note(v.latent)
        if note:
            session.output(f"{ev.program.file}:{node.line}:{node.col}: {note}")
            break
    return plan


def _track(session: Runtime, ev: Evaluator, stmt: ast.Track) -> None:
    plan = _sounding(session, ev, ev.expr(stmt.value), stmt.value, "track")
    if plan.frames == 0:
        raise ev.error("a track needs at least one frame", stmt.value)
    session.performer.track(stmt.name, plan)
    # the line of code that made the track (for the live view)
    session.performer.track_source(stmt.name,
                                   ev.program.source.splitlines()[stmt.line - 1].strip())
    session.definitions[stmt.name] = (ev.program, stmt)
    if stmt.name not in session.tracks:
        session.tracks.append(stmt.name)


def _play(session: Runtime, ev: Evaluator, stmt: ast.Play) -> None:
    plan = _sounding(session, ev, ev.expr(stmt.value), stmt.value, "play")
    session.performer.play(plan)


def _stop(session: Runtime, ev: Evaluator, stmt: ast.Stop) -> None:
    session.performer.stop(stmt.name)
    if stmt.name in session.tracks:
        session.tracks.remove(stmt.name)


def _hush(session: Runtime, ev: Evaluator, stmt: ast.Hush) -> None:
    session.performer.hush()
    session.tracks.clear()


def _wait(session: Runtime, ev: Evaluator, stmt: ast.Wait) -> None:
    frames = ev.expr(stmt.value)
    if isinstance(frames, bool) or not isinstance(frames, (int, float)) or not frames >= 0:
        raise ev.error(f"wait needs a length >= 0, got {_what(frames)}", stmt.value)
    ev.guard(stmt.value, lambda: check_frames(frames, "wait"))
    session.performer.wait(int(frames))


def _export(session: Runtime, ev: Evaluator, stmt: ast.Export) -> None:
    value = ev.expr(stmt.value)
    path = ev.guard(stmt.path, lambda: session.output_path(stmt.path.value))
    name = path.name.lower()
    if name.endswith(".json"):
        what, write = _stats_export(ev, stmt, value, path)
    elif name.endswith(".npy") or name.endswith(".latent.wav"):
        what, write = _latent_export(session, ev, stmt, value, path)
    else:
        what, write = _audio_export(session, ev, stmt, value, path)
    ev.guard(stmt.path, lambda: writable_target(path))
    if session.dry_run:
        session.output(f"would write {stmt.path.value} ({what})")
        return
    make_parent(path)
    write()
    session.written.append(path)
    session.output(f"wrote {stmt.path.value} ({what})")


def _stats_export(ev: Evaluator, stmt: ast.Export, value: Any, path: Path):
    if not isinstance(value, Stats):
        raise ev.error(f"only stats export to .json, got {_what(value)}", stmt.value)
    return f"stats of {value.dims} dims", lambda: value.save(path)


def _latent_export(session: Runtime, ev: Evaluator, stmt: ast.Export, value: Any, path: Path):
    from unravel_lang.latent_io import save_npy, write_latent_wav

    if not (isinstance(value, np.ndarray) and value.ndim == 2):
        kind = ".npy" if path.name.lower().endswith(".npy") else ".latent.wav"
        raise ev.error(f"{kind} holds one latent array, got {_what(value)}", stmt.value)
    what = f"latent array {value.shape}"
    if path.name.lower().endswith(".npy"):
        return what, lambda: save_npy(path, value)
    rate = session.latent_rate
    return what, lambda: write_latent_wav(path, value, rate)


def _audio_export(session: Runtime, ev: Evaluator, stmt: ast.Export, value: Any, path: Path):
    plan = _sounding(session, ev, value, stmt.value, "export")

    def write() -> Path:
        from unravel_lang.audio import write_wav
        from unravel_lang.engine.score import bounce

        audio = bounce(plan, session.model, seed=session.run_seed)
        return write_wav(path, audio, session.model.sr)

    return f"{plan.frames / session.latent_rate:.2f} s of audio", write


def _show(session: Runtime, ev: Evaluator, stmt: ast.Show) -> None:
    session.output(describe(session.grid, ev.expr(stmt.value)))


def _plot(session: Runtime, ev: Evaluator, stmt: ast.Plot) -> None:
    value = ev.expr(stmt.value)
    path = ev.guard(stmt.path, lambda: session.output_path(stmt.path.value))
    ev.guard(stmt.path, lambda: writable_target(path))
    if session.dry_run:
        session.output(f"would write {stmt.path.value} (picture)")
        return
    make_parent(path)
    plot_auto(value, path, k=session.k, beats_per_bar=session.beats_per_bar)
    session.written.append(path)
    session.output(f"wrote {stmt.path.value} (picture)")


def _model(session: Runtime, ev: Evaluator, stmt: ast.Model) -> None:
    try:
        session.set_model(None if stmt.path is None else stmt.path.value,
                          device=None if stmt.device is None else stmt.device.value)
    except ModelError as err:
        node = stmt.device if stmt.device is not None and "device" in str(err) else stmt
        raise ev.error(str(err), node) from None
    m = session.model
    session.output(f"model {Path(str(getattr(m, 'path', 'default'))).name}: sr {m.sr} Hz, "
                   f"ratio {m.ratio}, {m.dims} dims")


def _bpm(session: Runtime, ev: Evaluator, stmt: ast.Bpm) -> None:
    s = ev.guard(stmt.value, lambda: snap(stmt.value.value, session.model.sr, session.model.ratio))
    session.set_k(s.k)
    session.output(str(s))


def _set_k(session: Runtime, ev: Evaluator, stmt: ast.SetK) -> None:
    ev.guard(stmt.value, lambda: session.set_k(stmt.value.value))
    session.output(f"k={session.k} → {bpm_text(session.bpm)} BPM")


def _beats(session: Runtime, ev: Evaluator, stmt: ast.Beats) -> None:
    session.set_beats_per_bar(stmt.value.value)


def _quantum(session: Runtime, ev: Evaluator, stmt: ast.Quantum) -> None:
    session.set_quantum(stmt.value.id)


def _osc(session: Runtime, ev: Evaluator, stmt: ast.Osc) -> None:
    if stmt.target is not None:
        session.set_osc(stmt.target.value)
        session.output(f"osc → {stmt.target.value}: the frames of every track not marked "
                       "local, with beat and bar ticks")
    elif stmt.word.id == "off" and stmt.mode is None:
        session.set_osc(None)
        session.output("osc off")
    elif stmt.word.id == "lead" and stmt.number is not None:
        session.set_osc_lead(float(stmt.number.value))
        session.output(f"osc frames leave {stmt.number.value:g} ms before they are due")
    else:
        session.set_decode(stmt.word.id, stmt.mode.id)
        session.output(f"track {stmt.word.id}: " + _MODES[stmt.mode.id])


_MODES = {"local": "decoded here only, not sent", "both": "decoded here and sent over OSC",
          "remote": "sent over OSC only, not decoded here"}


def _seed(session: Runtime, ev: Evaluator, stmt: ast.Seed) -> None:
    session.set_seed(stmt.value.value)


def _link(session: Runtime, ev: Evaluator, stmt: ast.Link) -> None:
    """`link` / `link off`: a performer that plays live joins or leaves the Link session (it
    answers with one line); scores rendered to a file play on their own grid."""
    session.performer.link(stmt.word is None or stmt.word.id == "on")


def _nudge(session: Runtime, ev: Evaluator, stmt: ast.Nudge) -> None:
    session.performer.set_nudge(float(stmt.value.value))


def _listen(session: Runtime, ev: Evaluator, stmt: ast.Listen) -> None:
    live = session.live_input_host()
    if stmt.off:
        session.output(live.listen_off())
        return
    source = None if stmt.source is None else stmt.source.value
    if isinstance(source, str) and session.resolve(source).is_file():
        source = str(session.resolve(source))  # an audio file played as the input
    session.output(live.listen(source))


def _record(session: Runtime, ev: Evaluator, stmt: ast.Record) -> None:
    frames = ev.expr(stmt.length)
    if isinstance(frames, bool) or not isinstance(frames, (int, float)) or frames < 1:
        raise ev.error(f"record needs a length of at least one frame, got {_what(frames)}",
                       stmt.length)
    session.output(session.live_input_host().record(stmt.name, int(frames)))


def _monitor(session: Runtime, ev: Evaluator, stmt: ast.Monitor) -> None:
    live = session.live_input_host()
    session.output(live.monitor() if stmt.on else live.monitor_off())


def _view(session: Runtime, ev: Evaluator, stmt: ast.View) -> None:
    # a performer that plays in real time serves the view page
    session.performer.view(None if stmt.address is None else stmt.address.value)


def _expr_stmt(session: Runtime, ev: Evaluator, stmt: ast.ExprStmt) -> Any:
    return ev.expr(stmt.value)


_HANDLERS = {
    ast.Assign: _assign, ast.Track: _track, ast.Play: _play, ast.Stop: _stop,
    ast.Hush: _hush, ast.Wait: _wait, ast.Export: _export, ast.Show: _show, ast.Plot: _plot,
    ast.Model: _model, ast.Bpm: _bpm, ast.SetK: _set_k, ast.Beats: _beats, ast.Quantum: _quantum,
    ast.Osc: _osc,
    ast.Seed: _seed, ast.Link: _link, ast.Nudge: _nudge,
    ast.View: _view, ast.Listen: _listen, ast.Record: _record, ast.Monitor: _monitor,
    ast.ExprStmt: _expr_stmt,
}

