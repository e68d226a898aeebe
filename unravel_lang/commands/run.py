"""`unravel run SCORE.unr`: run a score; its exports happen, and with -o what it plays is
rendered to a WAV file, faster than real time, by the live engine (`ScoreRender`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from unravel_lang.commands import options
from unravel_lang.commands.options import add_cluster_options, add_view_arguments, view_address
from unravel_lang.commands.score import render_score, score_and_model, write_places
from unravel_lang.commands.seeds import parse_seeds, render_seeds
from unravel_lang.commands.write_options import add_write_options
from unravel_lang.errors import UnravelError
from unravel_lang.paths import writable_target


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
    p.add_argument("--seed", type=options.seed, default=0, metavar="N",
                   help="seed of all randomness and decoding (default 0; a `seed` statement "
                   "in the score overrides it)")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help='where the model runs: "cpu" (default) or "cuda" (a GPU torch sees)')
    p.add_argument("-o", "--output", default=None, metavar="OUT.wav",
                   help="render what the score plays (play, track) to this WAV file")
    p.add_argument("--play", action="store_true",
                   help="play the rendered audio on the sound card afterwards")
    p.add_argument("--seeds", type=parse_seeds, default=None, metavar="FIRST:LAST",
                   help="render once per seed FIRST..LAST (inclusive) to -o, whose name holds "
                   "{seed} (out/{seed}.wav); files that exist are kept; each file equals the "
                   "single render with --seed")
    add_cluster_options(p)
    add_view_arguments(p)
    add_write_options(p, "the score's folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the score of `args`; returns 0 (errors are raised as `UnravelError`)."""
    from unravel_lang.lang import Session

    if args.seeds is not None or args.workers is not None or args.scheduler is not None:
        return render_seeds(args)
    score, model = score_and_model(args)
    if args.output:
        writable_target(args.output)  # before the render: a bad target is known at once
    address = view_address(args)
    if address is not None and not args.play:
        raise UnravelError("--view shows a score as it plays: add --play")
    places = write_places(args, score)
    if not (args.output or args.play):
        Session(model=model, seed=args.seed, device=args.device, **places).run_file(score)
        return 0
    start = time.perf_counter()
    rendered: list = []

    def viewed(**options):  # the view is asked for by --view or by the score's `view`
        from unravel_lang.live.view_feed import viewed_score

        rendered.append(viewed_score(**options))
        return rendered[-1]

    audio, sr = render_score(score, model, args.seed, make=viewed if args.play else None,
                             device=args.device, **places)
    took = time.perf_counter() - start
    seconds = audio.shape[1] / sr
    if args.output:
        from unravel_lang.audio import write_wav

        out = Path(args.output)
        write_wav(out, audio, sr)
        speed = seconds / took if took > 0 else float("inf")
        print(f"rendered {seconds:.2f} s to {out} in {took:.2f} s ({speed:.0f}× real time)")
    if args.play:
        if address is None:
            address = rendered[-1].view_address
        if address is None:
            play(audio, sr)
        else:
            play_viewed(audio, sr, rendered[-1], address)
    return 0


def play_viewed(audio, sr: int, performer, address: str | int) -> None:
    """Play `audio` on the sound card in real time while the live view page shows the score's
    tracks as `performer` (a `viewed_score`) recorded them (or say in one line why playback
    is unavailable)."""
    from unravel_lang import player
    from unravel_lang.live.view_feed import play_score_with_view

    status = player.playback_status()
    if not status.available:
        print(f"playback unavailable: {status.reason}")
        return
    try:
        model = performer.model
        play_score_with_view(audio, sr, int(model.ratio), performer.recording, model, address,
                             lambda line: print(line, flush=True))
    except player.PlaybackUnavailable as err:
        print(f"playback unavailable: {err}")


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
