"""`unravel decode LATENTS...`: latent arrays (.npy, .latent.wav) back to audio .wav files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from unravel_lang.commands import options
from unravel_lang.commands.batch import SKIPPABLE, output_names, skip_message
from unravel_lang.errors import AudioError, LatentError
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
    p.add_argument("--seed", type=options.seed, default=None, metavar="N",
                   help="seed for the decoder's noise: the same seed gives the same samples "
                   "(default: fresh noise each run)")
    p.add_argument("--max-frames", type=options.positive_int, default=None, metavar="N",
                   help="refuse inputs longer than N latent frames (default: the frame limit, "
                   "80,000 frames, about an hour at 44.1 kHz / 2048)")
    p.set_defaults(func=run)


WAV_MAX_BYTES = 0xFFFFFFFF - (1 << 16)
"""Most sample bytes a WAV file holds (its sizes are 32-bit), less room for the header."""


def decode_file(model, source: Path, out: Path, seed: int | None, max_frames: int,
                warn=None) -> float:
    """Decode the latent file `source` into the float WAV `out`, block by block; returns
    the seconds written.

    The header is read and checked first (dims, frame limit `max_frames`, WAV size); then
    `model.DECODE_BLOCK_FRAMES` frames at a time are read, decoded through one stream
    (the same samples as `model.decode`) and appended to a temporary file renamed onto
    `out` at the end. Memory holds one block of latent and audio, whatever the length.
    """
    import numpy as np

    from unravel_lang.audio import atomic_output, open_wav_writer
    from unravel_lang.latent_io import LatentReader
    from unravel_lang.model import DECODE_BLOCK_FRAMES

    reader = LatentReader(source)
    if reader.dims != model.dims:
        raise LatentError(f"{source}: {reader.dims} latent dims, but the model "
                          f"takes {model.dims}")
    if reader.frames > max_frames:
        raise LatentError(f"{source}: {reader.frames:,} frames, more than the limit of "
                          f"{max_frames:,} (raise it with --max-frames)")
    nbytes = reader.frames * model.ratio * model.out_channels * 4
    if nbytes > WAV_MAX_BYTES:
        raise LatentError(f"{source}: {reader.frames:,} frames decode to {nbytes / 1e9:.1f} GB "
                          "of audio, more than a WAV file holds (4 GB)")
    rate = reader.rate
    if rate is not None and abs(rate - model.latent_rate) > 1e-6 * model.latent_rate and warn:
        warn(f"unravel: warning: {source}: latent rate {rate:.3f} differs from "
             f"the model's {model.latent_rate:.3f}; decoding anyway")
    stream = model.stream(seed)
    samples = 0
    with atomic_output(out) as tmp, open_wav_writer(tmp, model.sr, model.out_channels) as wav:
        for block in reader.blocks(DECODE_BLOCK_FRAMES):
            audio = stream.decode(block)
            if not np.isfinite(audio).all():
                raise AudioError(f"{model.name}: decoding {source} gave NaN or infinite "
                                 f"samples (near frame {samples // model.ratio})")
            wav.write(np.ascontiguousarray(audio.T))
            samples += audio.shape[1]
    return samples / model.sr


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
    from unravel_lang.audio import find_audio
    from unravel_lang.guards import get_frame_limit
    from unravel_lang.model import load_model

    files = find_audio(args.latents, exts=LATENT_EXTS)
    outs = output_paths(files, Path(args.output) if args.output else None)
    max_frames = get_frame_limit() if args.max_frames is None else args.max_frames
    model = load_model(args.model)

    progress = Progress(len(files), verb="decoding")
    failed = 0
    seconds = 0.0
    for f, out in zip(files, outs, strict=True):
        progress.start(f.name)
        try:
            seconds += decode_file(model, f, out, args.seed, max_frames, progress.message)
        except SKIPPABLE as err:
            failed += 1
            progress.message(skip_message(f, err))
        else:
            print(out, flush=True)
        progress.advance()
    progress.close()

    ok = len(files) - failed
    print(f"decoded {ok} of {len(files)} file{'s' if len(files) != 1 else ''} "
          f"({seconds:.1f} s of audio at {model.sr} Hz)"
          + (f"; {failed} skipped" if failed else ""), file=sys.stderr)
    return 1 if failed else 0
