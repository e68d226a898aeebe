"""`unravel info [MODEL]`: what a model is (rate, ratio, latent size, streaming) and its tempi."""

from __future__ import annotations

import argparse

from unravel_lang.tempo import format_tempo_table, tempo_table

TEMPO_KS = range(4, 17)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `info` subcommand to `sub`."""
    p = sub.add_parser(
        "info",
        help="show a model's sample rate, ratio, latent size and tempo table",
        description="Show what a RAVE model is and the tempi its latent grid allows "
        "(looping k frames = 60 * sr / ratio / k BPM).",
    )
    p.add_argument("model", nargs="?", metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model)")
    p.set_defaults(func=run)


def describe(model, embedded: bool = False) -> str:
    """The info text for a loaded `RaveModel` (`embedded`: it is the built-in default)."""
    methods = ", ".join(model.methods)
    lines = [
        f"model        {model.path}" + (" (embedded default)" if embedded else ""),
        f"sample rate  {model.sr} Hz",
        f"ratio        {model.ratio} samples per latent frame",
        f"latent size  {model.dims} dims",
        f"latent rate  {model.latent_rate:.3f} frames/s ({model.sr}/{model.ratio})",
        f"channels     {model.in_channels} in, {model.out_channels} out",
        f"streaming    {'yes' if model.streaming else 'no'}",
        f"methods      {methods}",
    ]
    codes = getattr(model, "codebook_size", None)
    if codes is not None:
        lines.append(f"discrete     yes: latents are codebook indices 0..{codes - 1}")
    lines += [
        "",
        "tempo (one beat = k latent frames; double time = 2 x BPM)",
        format_tempo_table(tempo_table(model.sr, model.ratio, TEMPO_KS)),
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the model description; user errors surface as `ModelError`."""
    from unravel_lang.model import load_model

    print(describe(load_model(args.model), embedded=args.model is None))
    return 0
