"""Jupyter: the `%%unravel` cell magic runs a cell in a notebook-wide `Session` and shows an
audio player for what the cell plays.

    %load_ext unravel_lang.magic

    %%unravel --seed 3
    a = normal(stats(encode("drums.wav")), k=2bars)
    play fibo(a)

The bindings of the session are copied into the notebook's namespace after each cell (arrays
as numpy arrays). IPython is optional: without it this module still imports, and `run_cell`
does the work.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from unravel_lang.engine.score import ScoreRender
from unravel_lang.errors import UnravelError
from unravel_lang.lang import Recorder, Session


@dataclass
class CellResult:
    """What a cell did: its printed lines, the audio it played `(channels, samples)` at `sr`
    (None when it played nothing) and the value of a final bare expression."""

    lines: list[str]
    audio: np.ndarray | None
    sr: int
    value: Any


def _options(line: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="%%unravel", add_help=False)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--model", default=None)
    try:
        return parser.parse_args(shlex.split(line))
    except SystemExit:
        raise UnravelError("usage: %%unravel [--seed N] [--model MODEL.ts]") from None


def run_cell(session: Session, line: str, cell: str) -> CellResult:
    """Run `cell` in `session` (options from the magic's `line`); render what it plays as the
    live engine plays it (`ScoreRender`, seeded with the session's seed when the cell begins)."""
    opts = _options(line)
    if opts.model is not None:
        session.set_model(opts.model)
    if opts.seed is not None:
        session.set_seed(opts.seed)
    lines: list[str] = []
    performer = ScoreRender(seed=session.seed, k=session.k, beats_per_bar=session.beats_per_bar,
                            quantum=session.quantum, load=lambda: session.model)
    session.performer, session.output = performer, lines.append
    try:
        with performer:
            value = session.run(cell, "<cell>")
            audio = performer.finish() if performer.played else None
    finally:
        session.performer = Recorder()
    return CellResult(lines, audio, int(session.model.sr), value)


_SESSIONS: dict[int, Session] = {}


def unravel(line: str, cell: str) -> Any:
    """The `%%unravel` cell magic."""
    from IPython import get_ipython
    from IPython.display import Audio, display

    shell = get_ipython()
    session = _SESSIONS.setdefault(id(shell), Session(output=None))
    try:
        result = run_cell(session, line, cell)
    except UnravelError as err:
        print(err, file=sys.stderr)
        return None
    finally:
        if shell is not None:
            shell.push(dict(session.env))
    for text in result.lines:
        print(text)
    if result.audio is not None:
        display(Audio(result.audio, rate=result.sr, normalize=False))
    return result.value


def load_ipython_extension(ipython) -> None:
    """`%load_ext unravel_lang.magic`: register `%%unravel`."""
    ipython.register_magic_function(unravel, magic_kind="cell", magic_name="unravel")
