"""Where a score, a REPL line or a received line may write: its output folder, and the folders
the user allows with `--allow-write DIR`.

A path is judged by where it really leads: `~` expanded, taken relative to the output folder,
then `..` and every symlink resolved (`os.path.realpath`, also for the parts that do not
exist yet). It must lie inside the output folder or an allowed folder, resolved the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from unravel_lang.errors import UnravelError


class WriteRefused(UnravelError):
    """A path to write leads outside the output folder and every allowed folder."""


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def confine(
    path: str | os.PathLike, folder: str | os.PathLike, allowed: Iterable[str | os.PathLike] = ()
) -> Path:
    """`path` (`~` expanded; relative to `folder` when relative), or `WriteRefused` when it
    really leads (after `..` and symlinks) outside `folder` and every folder in `allowed`."""
    if "\0" in str(path):
        raise WriteRefused(f"cannot write {str(path)!r}: a file name cannot hold a NUL character")
    folder = Path(os.path.expanduser(str(folder)))
    p = Path(os.path.expanduser(str(path)))
    if not p.is_absolute():
        p = folder / p
    real = os.path.realpath(p)
    roots = [folder, *(Path(os.path.expanduser(str(d))) for d in allowed)]
    if any(_inside(real, os.path.realpath(root)) for root in roots):
        return p
    where = os.path.realpath(folder)
    extra = ", ".join(os.path.realpath(d) for d in roots[1:])
    also = f" or the allowed folders ({extra})" if extra else ""
    raise WriteRefused(
        f"cannot write {str(path)!r}: it leads to {real}, outside the output folder "
        f"{where}{also}; writes stay in the output folder (the score's folder, or "
        "--out-dir); allow another folder with --allow-write DIR"
    )
