"""`unravel plot`: draw a latent array or a stats file as a PNG picture, or as text."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from unravel_lang.commands import options
from unravel_lang.errors import UnravelError
from unravel_lang.paths import regular_file
from unravel_lang.tempo import DEFAULT_BEATS

DESCRIPTION = """\
Draw a latent array (.npy, .latent.wav) as a heatmap with the tempo grid, or a stats file
(.json, written by the language's stats) as its distribution per dimension and correlation
matrix. With --model the array is also decoded and its waveform and spectrogram drawn.
With --text a latent array is printed as one sparkline row per dimension instead."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `plot` subcommand to `sub`."""
    p = sub.add_parser(
        "plot",
        help="draw a latent array or stats file as a PNG picture",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="a latent array (.npy, .latent.wav) or a stats file (.json)")
    p.add_argument("-o", "--output", metavar="OUT.png", help="the PNG file to write")
    p.add_argument("--k", type=int, metavar="K", help="frames per beat: draw beats and bars")
    p.add_argument("--beats-per-bar", type=int, default=DEFAULT_BEATS, metavar="N",
                   help="beats per bar of the grid (default 4)")
    p.add_argument("-m", "--model", metavar="MODEL.ts",
                   help="decode with this model and draw the waveform and spectrogram "
                        "('default' = the embedded model)")
    p.add_argument("--seed", type=options.seed, default=0, help="decoder seed (default 0)")
    p.add_argument("--text", action="store_true",
                   help="print the unicode view (latent arrays) or the table (stats) instead")
    p.add_argument("--width", type=int, metavar="COLS",
                   help="columns of the text view (default: the terminal's, at most 100)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Write the picture (or print the text view); 0 on success."""
    if not args.output and not args.text:
        raise UnravelError("name the picture to write with -o OUT.png, or print it with --text")
    source = Path(args.input)
    if source.suffix.lower() == ".json":
        return _plot_stats(source, args)
    return _plot_latent(source, args)


def _plot_stats(source: Path, args: argparse.Namespace) -> int:
    from unravel_lang.stats import Stats

    if args.model:
        raise UnravelError(f"{source}: --model draws decoded latent arrays, not stats files")

    regular_file(source, UnravelError, "a stats file", missing=f"{source}: no such stats file")
    stats = Stats.load(source)
    if args.text:
        print(stats.table())
        return 0
    from unravel_lang.plot import plot_stats

    picture = plot_stats(stats, args.output, title=f"{source.name}: {stats.frames} frames × "
                         f"{stats.dims} dims (summary statistics)")
    print(f"wrote {picture.path} ({picture.width}×{picture.height} px)")
    return 0


def _plot_latent(source: Path, args: argparse.Namespace) -> int:
    from unravel_lang.latent_io import load_latent_with_rate

    latent, rate = load_latent_with_rate(source)
    if args.text:
        from unravel_lang.termview import latent_view

        width = args.width or min(100, shutil.get_terminal_size((100, 24)).columns)
        print(source.name)
        print(latent_view(latent, args.k, args.beats_per_bar, width))
        return 0
    model = None
    if args.model:
        from unravel_lang.model import load_model

        model = load_model(None if args.model == "default" else args.model)
        if model.dims != latent.shape[1]:
            raise UnravelError(
                f"{source}: the array has {latent.shape[1]} dims but {args.model} decodes "
                f"{model.dims}"
            )
    from unravel_lang.plot import plot_latent

    picture = plot_latent(latent, args.output, k=args.k, beats_per_bar=args.beats_per_bar,
                          model=model, seed=args.seed, latent_rate=rate)
    print(f"wrote {picture.path} ({picture.width}×{picture.height} px)")
    return 0
