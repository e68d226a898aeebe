"""`unravel run SCORE --seeds FIRST:LAST -o out/{seed}.wav`: one render per seed, in this
process or on a Dask cluster; each file equals the single render of its seed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from unravel_lang.cluster import Where, run_jobs, worker_model
from unravel_lang.commands.score import render_score, score_and_model
from unravel_lang.errors import UnravelError
from unravel_lang.progress import Progress

MAX_SEEDS = 1_000_000


def parse_seeds(text: str) -> range:
    """`FIRST:LAST` (inclusive, 0 <= FIRST <= LAST) or one seed `N` as a range (an argparse
    type: a bad value is refused at the option)."""
    first, sep, last = text.partition(":")
    try:
        a, b = int(first), int(last) if sep else int(first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes FIRST:LAST (e.g. 1:100), got {text!r}") from None
    if a < 0 or b < a:
        raise argparse.ArgumentTypeError(f"takes FIRST:LAST with 0 <= FIRST <= LAST, got {text!r}")
    if b - a + 1 > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEEDS} seeds at once, got {b - a + 1}")
    return range(a, b + 1)


def output_for(pattern: str, seed: int) -> Path:
    """The output path of `seed`: `{seed}` in `pattern` replaced by the seed."""
    return Path(pattern.replace("{seed}", str(seed)))


def render_one(task: tuple) -> float:
    """Render score `task[0]` with model `task[1]` (loaded once per process) and seed `task[2]`
    to the WAV file `task[3]`; the score writes into `task[4]` (its output folder, None: its
    own folder) and the folders `task[5]`. Returns the seconds of audio written."""
    from unravel_lang.audio import write_wav

    score, model, seed, out, *places = task
    out_dir, allow_write = places if places else (None, ())
    audio, sr = render_score(Path(score), worker_model(model), seed, output=None,
                             out_dir=out_dir, allow_write=allow_write)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, audio, sr)
    return audio.shape[1] / sr


def render_seeds(args: argparse.Namespace) -> int:
    """Render every seed of `args.seeds` not rendered yet; returns 1 when any failed."""
    if args.seeds is None:
        raise UnravelError("--workers and --scheduler render several seeds: add --seeds "
                           "FIRST:LAST")
    if not args.output or "{seed}" not in args.output:
        raise UnravelError("--seeds needs -o with {seed} in the file name, e.g. "
                           "-o 'out/{seed}.wav'")
    if args.play:
        raise UnravelError("--seeds renders files; play one of them afterwards")
    seeds = args.seeds
    score, model = score_and_model(args)
    todo = [s for s in seeds if not output_for(args.output, s).is_file()]
    if len(todo) < len(seeds):
        print(f"{len(seeds) - len(todo)} of {len(seeds)} files exist already: kept",
              file=sys.stderr)
    where = Where(args.workers, args.scheduler)
    # absolute paths: a worker of a cluster runs in a folder of its own
    out_dir = str(Path(args.out_dir).expanduser().resolve()) if args.out_dir else None
    allowed = tuple(str(Path(d).expanduser().resolve()) for d in args.allow_write)
    tasks = [(str(score.resolve()), model, s, str(output_for(args.output, s).resolve()),
              out_dir, allowed) for s in todo]
    progress = Progress(len(tasks), verb="rendered seed")
    failed = 0
    start = time.perf_counter()
    for outcome in run_jobs(render_one, tasks, where):
        _, _, seed, out, *_ = outcome.item
        progress.start(str(seed))
        if outcome.error is not None:
            failed += 1
            progress.message(f"unravel: seed {seed} failed: {outcome.error}")
        else:
            progress.message(str(output_for(args.output, seed)))
        progress.advance()
    progress.close()
    took = time.perf_counter() - start
    print(f"rendered {len(tasks) - failed} of {len(tasks)} seeds {where.describe()} in "
          f"{took:.1f} s" + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0
