"""`unravel generate INPUT...`: synthetic latent arrays drawn from the statistics of encodings
and arranged with a pattern — the command-line workflow of the UnRAVEl generator script."""

from __future__ import annotations

import argparse
import glob
import inspect
import secrets
import sys
from pathlib import Path
from typing import Any

import numpy as np

from unravel_lang import patterns
from unravel_lang.commands import options
from unravel_lang.errors import AudioError, PatternError, UnravelError
from unravel_lang.generate import GENERATORS
from unravel_lang.tempo import DEFAULT_K

LATENT_EXTS = (".npy", ".latent.wav")

DESCRIPTION = """\
Measure the value distribution of encodings (.npy or .latent.wav files, e.g. written by
`unravel encode`, or audio files, encoded on the fly with the model), draw synthetic arrays of
k frames from it and arrange them with a pattern. Per output file: a latent audio file
(.latent.wav, for Pure Data), and on request the .npy, the decoded audio (.wav) and a PNG of
the distribution and the time series. Names state seed, distribution, pattern and k:
seed7_normal_fibo_k11.latent.wav. File i (from 0) uses seed S + i; the same seed writes the
same bytes. Folders are searched recursively: for latent files when they hold any, else for
audio files."""


def pattern_choices() -> tuple[str, ...]:
    """Every pattern with a loop count `n`, then "repeat" (the drawn array looped, no pattern)."""
    return (*(name for name, fn in patterns.PATTERNS.items()
              if "n" in inspect.signature(fn).parameters), "repeat")


def distribution_choices() -> tuple[str, ...]:
    """Every generator, as the command line spells it (`iqr-uniform` for `iqr_uniform`)."""
    return tuple(name.replace("_", "-") for name in GENERATORS)


class _BadArgs(Exception):
    """An argument that makes the command impossible: one line, exit status 2."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `generate` subcommand to `sub`."""
    p = sub.add_parser(
        "generate",
        help="generate synthetic latent arrays from encodings and arrange them with a pattern",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=".npy / .latent.wav file, audio file, folder or glob")
    p.add_argument("--distribution", default="normal", choices=distribution_choices(),
                   help="how values are drawn (default normal; uniform = mean ± 3 std; "
                        "iqr-uniform = Q1 - 1.5 IQR .. Q3 + 1.5 IQR)")
    p.add_argument("--pattern", default="fibo", choices=pattern_choices(),
                   help="how the drawn arrays are arranged (default fibo)")
    tempo = p.add_mutually_exclusive_group()
    tempo.add_argument("--k", type=int, default=None, metavar="K",
                       help=f"frames per beat = frames drawn per array (default {DEFAULT_K})")
    tempo.add_argument("--bpm", type=float, default=None, metavar="B",
                       help="a tempo, snapped to the nearest k of the model's grid")
    p.add_argument("--loops", type=int, default=1, metavar="N",
                   help="the pattern's loop count n (default 1)")
    p.add_argument("--files", type=int, default=1, metavar="N",
                   help="how many files to generate (default 1)")
    p.add_argument("--seed", type=options.seed, default=None, metavar="S",
                   help="seed of the first file (default: a random one, stated in the names)")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model)")
    p.add_argument("-o", "--output", default=".", metavar="DIR",
                   help="folder for the outputs (default: the current folder)")
    p.add_argument("--npy", action="store_true", help="also write the array as .npy")
    p.add_argument("--audio", action="store_true", help="also write the decoded audio (.wav)")
    p.add_argument("--plot", action="store_true",
                   help="also write a PNG of the distribution and the time series")
    p.add_argument("--double", action="store_true",
                   help="write latent audio files as 64-bit float (default 32-bit)")
    p.set_defaults(func=run)


# ---- inputs ---------------------------------------------------------------------------------


def _is_latent(p: Path) -> bool:
    return p.name.lower().endswith(LATENT_EXTS)


def _latents_in(folder: Path) -> list[Path]:
    """Latent files under `folder` (recursive, hidden skipped); a .latent.wav beside a .npy of
    the same stem is left out (the same array twice)."""
    found = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and _is_latent(p)
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    npys = {p.with_suffix("") for p in found if p.name.lower().endswith(".npy")}
    return [p for p in found
            if p.name.lower().endswith(".npy")
            or p.with_name(p.name[: -len(".latent.wav")]) not in npys]


def gather_inputs(items: list[str]) -> list[tuple[Path, bool]]:
    """Each input file with True when it holds a latent array, False when it is audio."""
    from unravel_lang.audio import find_audio
    from unravel_lang.latent_io import is_latent_wav

    out: list[tuple[Path, bool]] = []
    for item in items:
        p = Path(item).expanduser()
        if p.is_dir():
            latents = _latents_in(p)
            if latents:
                out += [(f, True) for f in latents]
                continue
            try:
                out += [(f, False) for f in find_audio([p])]
            except AudioError:
                raise _BadArgs(f"{item}: no .npy, .latent.wav or audio files in this folder"
                               ) from None
        elif p.is_file():
            latent = _is_latent(p) or (p.suffix.lower() == ".wav" and is_latent_wav(p))
            out.append((p, latent))
        elif set("*?[") & set(item):
            matches = [Path(m) for m in sorted(glob.glob(str(p), recursive=True))]
            files = [m for m in matches if m.is_file()]
            if not files:
                raise _BadArgs(f"{item}: matches no files")
            out += gather_inputs([str(m) for m in files])
        else:
            raise _BadArgs(f"{item}: no such file or folder")
    seen: set[Path] = set()
    unique = []
    for f, latent in out:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append((f, latent))
    return unique


def load_inputs(files: list[tuple[Path, bool]], model: Any) -> list[np.ndarray]:
    """The latent arrays of the inputs (audio encoded with `model`); refuses dims that differ
    between inputs or from the model's."""
    from unravel_lang.latent_io import load_latent

    arrays = [load_latent(f) if latent else model.encode_file(f) for f, latent in files]
    dims = {a.shape[1] for a in arrays}
    if len(dims) > 1:
        listing = ", ".join(f"{f.name} {a.shape[1]}" for (f, _), a in zip(files, arrays,
                                                                           strict=True))
        raise _BadArgs(f"the inputs have different numbers of dims ({listing}); "
                       "generate from encodings of one model")
    if arrays[0].shape[1] != model.dims:
        raise _BadArgs(f"the inputs have {arrays[0].shape[1]} dims but the model takes "
                       f"{model.dims}; give the model they were encoded with (--model)")
    return arrays


# ---- generation ------------------------------------------------------------------------------


def output_length(pattern: str, k: int, dims: int, loops: int) -> int:
    """Frames of one output file, checked against the frame limit (PatternError above it).

    A pattern whose output is longer than loops * k has a `<pattern>_length` function beside
    it in `unravel_lang.patterns`, called here with the arguments it takes of `frames`, `dims`
    and `n`."""
    from unravel_lang.guards import check_frames, check_product, frame_limit

    check_product((loops, k), f"one {pattern} file")  # every pattern is at least loops * k
    length = getattr(patterns, f"{pattern}_length", None)
    if length is None:
        return check_frames(loops * k, f"one {pattern} file")
    given = {"frames": k, "dims": dims, "n": loops}
    takes = inspect.signature(length).parameters
    # the lengths in full (products and powers are judged in log space first, so any --loops
    # is cheap), refused below in this command's words
    with frame_limit(sys.maxsize):
        total = length(**{name: value for name, value in given.items() if name in takes})
    return check_frames(total, f"one {pattern} file")


def generate_one(s: Any, k: int, distribution: str, pattern: str, loops: int, seed: int
                 ) -> np.ndarray:
    """One output array: draws of k frames from `s` (two for a pattern that takes `b`)
    arranged with `pattern` and loop count `loops` (with `seed` and `stats` too, when the
    pattern takes them); every random number comes from `seed`."""
    from unravel_lang import shaping

    gen = GENERATORS[distribution.replace("-", "_")]
    rng = np.random.default_rng(seed)
    a = gen(s, k, rng)
    if pattern == "repeat":
        return shaping.repeat(a, loops)
    fn = patterns.PATTERNS[pattern]
    takes = inspect.signature(fn).parameters
    inputs = [a, gen(s, k, rng)] if "b" in takes else [a]
    extra = {name: value for name, value in (("seed", rng), ("stats", s)) if name in takes}
    return fn(*inputs, n=loops, **extra)


def file_stem(seed: int, distribution: str, pattern: str, k: int, loops: int) -> str:
    """`seed7_normal_fibo_k11` (plus `_n3` for a loop count of 3)."""
    stem = f"seed{seed}_{distribution}_{pattern}_k{k}"
    return stem + (f"_n{loops}" if loops != 1 else "")


def _check_numbers(args: argparse.Namespace) -> None:
    for name, value in (("--k", args.k), ("--loops", args.loops), ("--files", args.files)):
        if value is not None and value < 1:
            raise _BadArgs(f"{name} must be >= 1, got {value}")
    if args.bpm is not None and not (args.bpm > 0 and np.isfinite(args.bpm)):
        raise _BadArgs(f"--bpm must be a tempo > 0, got {args.bpm:g}")
    if args.seed is not None and args.seed + args.files - 1 > options.SEED_MAX:
        raise _BadArgs(f"--seed {args.seed} with --files {args.files} goes past the largest "
                       "seed, 2**64-1")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise _BadArgs(f"-o {args.output}: is a file, not a folder")


def tempo_line(model: Any, k: int, bpm: float | None) -> str:
    """The quantized tempo with the model's own rate, e.g.
    `tempo: k=11 → 117.45 BPM, 234.90 double time (44100 Hz / 2048 = 21.53 frames/s)`."""
    from unravel_lang.tempo import TempoRow, bpm_for, snap

    row = TempoRow(k, bpm_for(k, model.sr, model.ratio), 2 * bpm_for(k, model.sr, model.ratio))
    grid = f"({model.sr} Hz / {model.ratio} = {model.latent_rate:.2f} frames/s)"
    if bpm is None:
        return f"tempo: k={k} → {row.bpm_shown} BPM, {row.double_shown} double time {grid}"
    snapped = snap(bpm, model.sr, model.ratio)
    return (f"tempo: asked {bpm:g} BPM, {snapped}, {row.double_shown} double time {grid}")


def run(args: argparse.Namespace) -> int:
    """Generate the files; 0 on success, 2 for arguments that make it impossible."""
    try:
        return _run(args)
    except _BadArgs as err:
        print(f"unravel generate: error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from unravel_lang.audio import write_wav
    from unravel_lang.latent_io import save_npy, write_latent_wav
    from unravel_lang.model import load_model
    from unravel_lang.stats import stats
    from unravel_lang.tempo import snap

    _check_numbers(args)
    files = gather_inputs(args.inputs)
    if args.plot:
        from unravel_lang.plot import load_matplotlib

        load_matplotlib()  # say which extra to install before any work
    model = load_model(args.model)
    k = args.k if args.k is not None else DEFAULT_K
    if args.bpm is not None:
        k = snap(args.bpm, model.sr, model.ratio).k
    try:
        output_length(args.pattern, k, model.dims, args.loops)
    except PatternError as err:
        raise _BadArgs(str(err)) from None
    arrays = load_inputs(files, model)
    s = stats(*arrays)
    print(tempo_line(model, k, args.bpm), flush=True)

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    out_dir = Path(args.output)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UnravelError(f"{out_dir}: cannot make the folder ({err.strerror or err})"
                           ) from None
    frames = 0
    for i in range(args.files):
        seed_i = seed + i
        latent = generate_one(s, k, args.distribution, args.pattern, args.loops, seed_i)
        frames = latent.shape[0]
        stem = out_dir / file_stem(seed_i, args.distribution, args.pattern, k, args.loops)
        written = [write_latent_wav(stem.with_name(stem.name + ".latent.wav"), latent,
                                    model.latent_rate, double=args.double)]
        if args.npy:
            written.append(save_npy(stem.with_name(stem.name + ".npy"), latent))
        if args.audio:
            audio = model.decode(latent, seed=seed_i)
            written.append(write_wav(stem.with_name(stem.name + ".wav"), audio, model.sr))
        if args.plot:
            from unravel_lang.plot import plot_generated

            picture = plot_generated(arrays, latent, stem.with_name(stem.name + ".png"), k=k,
                                     latent_rate=model.latent_rate,
                                     title=f"{stem.name}: {frames} frames × {model.dims} dims")
            written.append(picture.path)
        for w in written:
            print(w, flush=True)
    measured = sum(a.shape[0] for a in arrays)
    n = args.files
    print(f"generated {n} file{'s' if n != 1 else ''} of {frames} frames x {model.dims} dims "
          f"({frames / model.latent_rate:.1f} s each) from {len(files)} input"
          f"{'s' if len(files) != 1 else ''} ({measured} frames measured)", file=sys.stderr)
    return 0
