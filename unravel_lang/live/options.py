"""The options a live session starts with, shared by the REPL and `unravel watch`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from unravel_lang.addresses import DEFAULT_HOST


@dataclass(frozen=True)
class LiveOptions:
    """What `repl.app.run_repl` and `live.watch.watch` both start with; the commands build it
    once from their options (`commands.options.live_options`).

    `model`: a RAVE .ts export (None: the embedded default), run on `device`; `seed`: the
    seed of every random draw (None: 0); `listen`: a port to take code and controls on over
    OSC (`unravel send`), on `listen_host`; `view`: an address to serve the live view page at
    from the start ("" for 127.0.0.1 and a free port; None: only when a `view` statement
    asks); `link`: join the Ableton Link session first; `out_dir`: where the session writes
    (None: the REPL's current directory, the score's folder), also inside the `allow_write`
    folders.
    """

    model: str | None = None
    seed: int | None = None
    device: str = "cpu"
    listen: int | None = None
    listen_host: str = DEFAULT_HOST
    view: str | None = None
    link: bool = False
    out_dir: str | os.PathLike | None = None
    allow_write: tuple[str | os.PathLike, ...] = field(default=())

    def __post_init__(self) -> None:
        allow: Iterable[str | os.PathLike] = self.allow_write
        object.__setattr__(self, "allow_write", tuple(allow))
