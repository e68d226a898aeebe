"""What the batch commands (`encode`, `decode`) share: where each output goes, without
clashes, and how a skipped input is reported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from unravel_lang.errors import UnravelError


def output_names(files: list[Path], out_dir: Path | None, stem: Callable[[Path], str],
                 suffix: str, verb: str) -> list[Path]:
    """`<stem><suffix>` for each input, in `out_dir` or beside the input.

    Inputs whose stems would clash (`a.wav` and `a.flac`) keep their whole file name as the
    stem (`a.wav<suffix>`, `a.flac<suffix>`); a clash that remains (the same name from two
    folders into one `out_dir`) raises `UnravelError` naming both inputs, before any work.
    """
    def place(f: Path, name: str) -> Path:
        return (out_dir if out_dir is not None else f.parent) / (name + suffix)

    outs = [place(f, stem(f)) for f in files]
    counts = Counter(outs)
    outs = [place(f, f.name) if counts[o] > 1 else o for f, o in zip(files, outs, strict=True)]
    seen: dict[Path, Path] = {}
    for f, o in zip(files, outs, strict=True):
        if o in seen:
            raise UnravelError(f"{seen[o]} and {f} would both be written to {o}; "
                               f"{verb} them into different folders")
        seen[o] = f
    return outs


SKIPPABLE = (UnravelError, RuntimeError, ValueError, OSError)
"""Errors that skip one input of a batch while the others go on."""


def skip_message(f: Path, err: BaseException) -> str:
    """The one line that reports input `f` skipped because of `err` (one of `SKIPPABLE`):
    a user error's own message without the path it already names, else the error's type."""
    if isinstance(err, UnravelError):
        message, prefix = str(err), f"{f}: "
        return f"unravel: skipped {f}: {message.removeprefix(prefix)}"
    return f"unravel: skipped {f}: {type(err).__name__}: {err}"
