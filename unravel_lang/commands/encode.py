"""`unravel encode INPUTS...`: one latent `.npy` (and optionally a `.latent.wav`) per audio file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from unravel_lang.commands.batch import SKIPPABLE, output_names, skip_message
from unravel_lang.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `encode` subcommand to `sub`."""
    p = sub.add_parser(
        "encode",
        help="encode audio files into latent arrays (.npy, optionally .latent.wav)",
        description="Encode audio files, folders (searched recursively) and glob patterns into "
        "latent arrays of shape (frames, dims): one .npy per input, written beside it or into "
        "DIR. A file that cannot be read is reported and skipped; the exit code is 1 if any was.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio file, folder or glob")
    p.add_argument("--ext", default=None, metavar="EXTS",
                   help="extensions to pick up in folders and globs, comma-separated "
                   "(default: .wav,.flac,.ogg,.oga,.opus,.mp3,.aif,.aiff,.w64,.caf)")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model)")
    p.add_argument("-o", "--output", default=None, metavar="DIR",
                   help="folder for the outputs (default: beside each input)")
    p.add_argument("--latent-wav", action="store_true",
                   help="also write a latent audio file (.latent.wav) per input, for Pure Data")
    p.add_argument("--double", action="store_true",
                   help="write latent audio files as 64-bit float (default 32-bit)")
    p.set_defaults(func=run)


def output_stems(files: list[Path], out_dir: Path | None) -> list[Path]:
    """Output path without extension for each input: `DIR/stem` or `input's folder/stem`.

    Inputs whose stems would clash (`a.wav` and `a.flac`) keep their extension in the name
    (`a.wav`, `a.flac`); a clash that remains raises `UnravelError` naming both inputs.
    """
    npys = output_names(files, out_dir, lambda f: f.stem, ".npy", "encode")
    return [p.with_name(p.name.removesuffix(".npy")) for p in npys]


def run(args: argparse.Namespace) -> int:
    """Encode every input; returns 0 when all succeeded, 1 when any was skipped."""
    from unravel_lang.audio import find_audio
    from unravel_lang.latent_io import save_npy, write_latent_wav
    from unravel_lang.model import load_model

    files = find_audio(args.inputs, exts=args.ext.split(",") if args.ext else None)
    out_dir = Path(args.output) if args.output else None
    stems = output_stems(files, out_dir)
    model = load_model(args.model)

    progress = Progress(len(files), verb="encoding")
    failed: list[tuple[Path, str]] = []
    frames = 0
    for f, stem in zip(files, stems, strict=True):
        progress.start(f.name)
        try:
            latent = model.encode_file(f)
            written = [save_npy(stem.with_name(stem.name + ".npy"), latent)]
            if args.latent_wav:
                written.append(write_latent_wav(stem.with_name(stem.name + ".latent.wav"),
                                                latent, model.latent_rate, double=args.double))
        except SKIPPABLE as err:
            failed.append((f, str(err)))
            progress.message(skip_message(f, err))
        else:
            frames += latent.shape[0]
            for w in written:
                print(w, flush=True)
        progress.advance()
    progress.close()

    ok = len(files) - len(failed)
    seconds = frames / model.latent_rate
    print(f"encoded {ok} of {len(files)} file{'s' if len(files) != 1 else ''} "
          f"({frames} frames x {model.dims} dims, {seconds:.1f} s of audio)"
          + (f"; {len(failed)} skipped" if failed else ""), file=sys.stderr)
    return 1 if failed else 0
