"""`unravel run SCORE.unr`: run a score; its exports happen, and with -o what it plays is
rendered to a WAV file (faster than real time, through the offline renderer)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from unravel_lang.errors import UnravelError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand to `sub`."""
    p = sub.add_parser(
        "run",
        help="run a score (.unr): exports happen; -o renders what it plays to a WAV file",
        description="Run an unravel score. The whole score is checked first (nothing runs "
        "if it has an error), then it runs statement by statement. Relative paths in the "
        "score are taken from the score's folder.",
    )
    p.add_argument("score", metavar="SCORE", help="the score file (.unr)")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model; a `model` "
                   "statement in the score overrides it)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="seed of all randomness and decoding (default 0; a `seed` statement "
                   "in the score overrides it)")
    p.add_argument("-o", "--output", default=None, metavar="OUT.wav",
                   help="render what the score plays (play, track) to this WAV file")
    p.add_argument("--play", action="store_true",
                   help="play the rendered audio on the sound card afterwards")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the score of `args`; returns 0 (errors are raised as `UnravelError`)."""
    from unravel_lang.lang import Recorder, Session

    score = Path(args.score)
    if not score.is_file():
        raise UnravelError(f"no score file {score}")
    model = str(Path(args.model).expanduser().resolve()) if args.model else None
    recorder = Recorder()
    session = Session(model=model, performer=recorder, seed=args.seed)
    session.run_file(score)
    if not (args.output or args.play):
        return 0
    timeline = recorder.timeline()
    if timeline.frames == 0:
        raise UnravelError(f"{score} plays nothing (no `play` or `track`), so there is "
                           "nothing to render")
    from unravel_lang.render import render

    m = session.model
    start = time.perf_counter()
    audio = render(timeline, m, seed=session.seed)
    took = time.perf_counter() - start
    seconds = audio.shape[1] / m.sr
    if args.output:
        from unravel_lang.audio import write_wav

        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_wav(out, audio, m.sr)
        speed = seconds / took if took > 0 else float("inf")
        print(f"rendered {seconds:.2f} s to {out} in {took:.2f} s ({speed:.0f}× real time)")
    if args.play:
        play(audio, m.sr)
    return 0


def play(audio, sr: int) -> None:
    """Play `audio` `(channels, samples)` through `unravel_lang.player`, or say in one line why
    playback is unavailable."""
    try:
        from unravel_lang import player
    except ImportError:
        print("playback unavailable: this installation has no player")
        return
    try:
        status = player.playback_status()
        if not status.available:
            print(f"playback unavailable: {status.reason}")
            return
        print(f"playing {audio.shape[1] / sr:.2f} s")
        player.play_array(audio, sr)
    except UnravelError as err:
        print(f"playback unavailable: {err}")
