"""`unravel stats INPUTS... -o corpus.stats.json`: the latent statistics of a corpus, measured
file by file (in one process or on a Dask cluster) and pooled."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from unravel_lang.cluster import Where, run_jobs, worker_model
from unravel_lang.commands.options import add_cluster_options
from unravel_lang.errors import UnravelError
from unravel_lang.progress import Progress

LATENT_ENDINGS = (".npy", ".latent.wav")
STATS_ENDING = ".json"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `stats` subcommand to `sub`."""
    p = sub.add_parser(
        "stats",
        help="measure the latent statistics of a corpus (audio or latent files) into a "
        ".stats.json file",
        description="Encode audio files, folders (searched recursively) and globs with the "
        "model, or read latent files (.npy, .latent.wav) and earlier .stats.json results, and "
        "pool their statistics: per-dim mean, std, min, max, percentiles and lag-1 "
        "autocorrelation, covariance and correlation. One file is in memory at a time per "
        "process. A file that cannot be read is reported and skipped; the exit code is 1 if "
        "any was. The output is read by the language: s = stats(\"corpus.stats.json\").",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="audio or latent file, folder, glob, or a .stats.json to pool")
    p.add_argument("-o", "--output", default=None, metavar="OUT.stats.json",
                   help="write the statistics here (default: print the table)")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export for audio inputs (default: the embedded model)")
    p.add_argument("--ext", default=None, metavar="EXTS",
                   help="extensions to pick up in folders and globs, comma-separated "
                   "(default: the audio formats, .npy and .latent.wav)")
    add_cluster_options(p)
    p.set_defaults(func=run)


def measure(task: tuple[str, str | None]):
    """The `StatsPart` of one file: a latent file read, an audio file encoded with the model
    (loaded once per process), or the pooled part saved in a `.stats.json`."""
    from unravel_lang.stats_part import StatsPart

    path, model = task
    name = path.lower()
    if name.endswith(STATS_ENDING):
        return read_part(Path(path))
    if name.endswith(LATENT_ENDINGS):
        from unravel_lang.latent_io import load_latent

        latent = load_latent(path)
    else:
        latent = worker_model(model).encode_file(path)
    return StatsPart.of(latent, path)


def read_part(path: Path):
    """The mergeable part stored in a `.stats.json` written by `unravel stats`."""
    from unravel_lang.stats_part import StatsPart

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnravelError(f"{path}: cannot read statistics: {exc}") from None
    if not isinstance(data, dict) or "part" not in data:
        raise UnravelError(f"{path}: holds no mergeable statistics (write it with "
                           "`unravel stats -o`)")
    return StatsPart.from_dict(data["part"])


def write(path: Path, part) -> None:
    """Write the statistics of `part`, with the part itself (to pool it again), atomically."""
    from unravel_lang.audio import atomic_output

    fields = {**part.stats().to_dict(), "part": part.to_dict()}
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        Path(tmp).write_text("{\n" + body + "\n}\n", encoding="utf-8")


def find_inputs(inputs: list[str], exts: list[str] | None) -> tuple[list[Path], list[str]]:
    """The files of each input, in order, and one message per input that matched nothing."""
    from unravel_lang.audio import AUDIO_EXTS, find_audio

    wanted = exts or [*AUDIO_EXTS, *LATENT_ENDINGS]
    files: list[Path] = []
    missing: list[str] = []
    for item in inputs:
        try:
            found = find_audio([item], exts=wanted)
        except UnravelError as err:
            missing.append(f"unravel: skipped {err}")
            continue
        files.extend(f for f in found if f not in files)
    return files, missing


def run(args: argparse.Namespace) -> int:
    """Measure and pool every input; returns 0 when all were measured, 1 when any was skipped."""
    from unravel_lang.stats_part import Pooler

    files, skipped = find_inputs(args.inputs, args.ext.split(",") if args.ext else None)
    for line in skipped:
        print(line, file=sys.stderr)
    if not files:
        raise UnravelError("no input files to measure")
    where = Where(args.workers, args.scheduler)
    model = str(Path(args.model).expanduser().resolve()) if args.model else None
    progress = Progress(len(files), verb="measured")
    parts: dict[int, object] = {}
    errors: dict[int, str] = {}
    # absolute paths: a worker of a cluster runs in a folder of its own
    order = {str(f.resolve()): i for i, f in enumerate(files)}
    for outcome in run_jobs(measure, [(path, model) for path in order], where):
        i = order[outcome.item[0]]
        progress.start(files[i].name)
        if outcome.error is not None:
            errors[i] = outcome.error
            message = outcome.error.removeprefix(f"{outcome.item[0]}: ")
            progress.message(f"unravel: skipped {files[i]}: {message}")
        else:
            parts[i] = outcome.value
        progress.advance()
    progress.close()

    # pooled in input order, so the result does not depend on which job finished first
    pooler, dims, frames = Pooler(), None, 0
    for i in sorted(parts):
        part = parts[i]
        if dims is None:
            dims = part.dims
        if part.dims != dims:
            errors[i] = f"has {part.dims} latent dims, the files before it {dims}"
            print(f"unravel: skipped {files[i]}: {errors[i]}", file=sys.stderr)
            continue
        pooler.add(part)
        frames += part.frames
    if dims is None:
        raise UnravelError("no input could be measured")
    pooled = pooler.result()
    if args.output:
        write(Path(args.output), pooled)
        print(args.output)
    else:
        print(pooled.stats().table())
    bad = len(errors) + len(skipped)
    measured = len(files) - len(errors)
    print(f"measured {measured} of {len(files)} file{'s' if len(files) != 1 else ''} "
          f"({frames} frames x {dims} dims) {where.describe()}"
          + (f"; {bad} skipped" if bad else ""), file=sys.stderr)
    if not where.distributed and len(files) > 1:
        print("  (to measure on several cores or machines: --workers N or --scheduler "
              "ADDRESS, with pip install 'unravel-lang[cluster]')", file=sys.stderr)
    return 1 if bad else 0
