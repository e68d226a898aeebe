"""`unravel decode LATENTS...`: latent arrays (.npy, .latent.wav) back to audio .wav files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from unravel_lang.commands.batch import SKIPPABLE, output_names, skip_message
from unravel_lang.errors import LatentError
from unravel_lang.progress import Progress

LATENT_EXTS = (".npy", ".latent.wav")
OUTPUT_SUFFIX = ".decoded.wav"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `decode` subcommand to `sub`."""
    p = sub.add_parser(
        "decode",
        help="decode latent arrays (.npy, .latent.wav) into audio .wav files",
        description="Decode latent arrays with a model into 32-bit float WAV files named "
        f"<name>{OUTPUT_SUFFIX}, beside each input or in DIR. Folders and globs pick up "
        ".npy and .latent.wav files; a plain .wav named explicitly is read as latent when "
        "its sample rate is a latent rate (at most 1000 Hz).",
    )
    p.add_argument("latents", nargs="+", metavar="LATENT", help=".npy or .latent.wav file, "
                   "folder or glob")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model)")
    p.add_argument("-o", "--output", default=None, metavar="DIR",
                   help="folder for the audio files (default: beside each input)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="seed for the decoder's noise: the same seed gives the same samples "
                   "(default: fresh noise each run)")
    p.set_defaults(func=run)


def latent_stem(path: Path) -> str:
    """The file name without its latent extension: `a.latent.wav` -> `a`, `a.npy` -> `a`."""
    name = path.name
    for ext in (*LATENT_EXTS, ".wav"):
        if name.lower().endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return path.stem


def output_paths(files: list[Path], out_dir: Path | None) -> list[Path]:
    """`<stem>.decoded.wav` for each input, in `out_dir` or beside it; clashes keep the ext."""
    return output_names(files, out_dir, latent_stem, OUTPUT_SUFFIX, "decode")


def run(args: argparse.Namespace) -> int:
    """Decode every input; returns 0 when all succeeded, 1 when any was skipped."""
    from unravel_lang.audio import find_audio, write_wav
    from unravel_lang.latent_io import load_latent_with_rate
    from unravel_lang.model import load_model

    files = find_audio(args.latents, exts=LATENT_EXTS)
    outs = output_paths(files, Path(args.output) if args.output else None)
    model = load_model(args.model)

    progress = Progress(len(files), verb="decoding")
    failed = 0
    seconds = 0.0
    for f, out in zip(files, outs, strict=True):
        progress.start(f.name)
        try:
            latent, rate = load_latent_with_rate(f)
            if latent.shape[1] != model.dims:
                raise LatentError(f"{f}: {latent.shape[1]} latent dims, but the model "
                                  f"takes {model.dims}")
            if rate is not None and abs(rate - model.latent_rate) > 1e-6 * model.latent_rate:
                progress.message(f"unravel: warning: {f}: latent rate {rate:.3f} differs from "
                                 f"the model's {model.latent_rate:.3f}; decoding anyway")
            note = model.take_discrete_note(latent)
            if note:
                progress.message(f"unravel: {f}: {note}")
            audio = model.decode(latent, seed=args.seed)
            write_wav(out, audio, model.sr)
        except SKIPPABLE as err:
            failed += 1
            progress.message(skip_message(f, err))
        else:
            seconds += audio.shape[1] / model.sr
            print(out, flush=True)
        progress.advance()
    progress.close()

    ok = len(files) - failed
    print(f"decoded {ok} of {len(files)} file{'s' if len(files) != 1 else ''} "
          f"({seconds:.1f} s of audio at {model.sr} Hz)"
          + (f"; {failed} skipped" if failed else ""), file=sys.stderr)
    return 1 if failed else 0
