"""The live view of a REPL or `watch` session: a `ViewServer` that follows the session's
engine (also after a change of model opens a new one)."""

from __future__ import annotations

from collections.abc import Callable

from unravel_lang.addresses import parse_address
from unravel_lang.live.view import ViewServer
from unravel_lang.live.view_feed import EngineFeed
from unravel_lang.performer import Performer


class LiveView:
    """Serves the view page at `address` (see `parse_address`) at once; `follow(performer)`
    shows what the engine of `performer` plays (a `live.stage.Live`, an `Engine`; nothing
    for None or a performer without an engine).
    `sources` maps track names to the line of code that made them; `peers()` names what else
    the session plays with."""

    def __init__(self, address: str | int | None, sources: dict[str, str],
                 peers: Callable[[], list[str]] | None = None) -> None:
        host, port = parse_address(address)
        self.sources = sources
        self.peers = peers
        self.server = ViewServer(host, port)
        self.url = self.server.start()
        self.feed: EngineFeed | None = None

    def follow(self, performer: Performer | None) -> None:
        if self.feed is not None:
            self.feed.detach()
            self.feed = None
        engine = None if performer is None else performer.engine
        if engine is None:
            return
        self.feed = EngineFeed(self.server, engine, performer.output, self.sources, self.peers)
        self.feed.attach()

    def close(self) -> None:
        if self.feed is not None:
            self.feed.detach()
            self.feed = None
        self.server.close()
