"""A Link peer of its own, for tests and benches: `python tests/link_peer.py 123`.

It uses aalink directly (not unravel), joins the session at the given tempo with a quantum of
4 beats and start/stop sync on, prints `ready`, then reads commands, one a line, on stdin:
`tempo BPM`, `play`, `stop`, `report` (one JSON line: `{"time": monotonic seconds, "beat":
Link beat then, "tempo", "peers", "playing"}`) and `quit`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

from aalink import Link


def main() -> int:
    tempo = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    ready = threading.Event()
    box: dict = {}

    async def serve() -> None:
        link = Link(tempo)
        link.quantum = 4
        link.enabled = True
        link.start_stop_sync_enabled = True
        box["link"], box["loop"] = link, asyncio.get_running_loop()
        box["done"] = asyncio.Event()
        ready.set()
        await box["done"].wait()
        link.enabled = False

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    ready.wait(10)
    link, loop = box["link"], box["loop"]

    def call(fn):
        """Run fn() on the Link thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(_coro(fn), loop).result(5)

    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "tempo":
            bpm = float(words[1])
            call(lambda bpm=bpm: setattr(link, "tempo", bpm))
            print("ok", flush=True)
        elif words[0] in ("play", "stop"):
            playing = words[0] == "play"
            call(lambda playing=playing: setattr(link, "playing", playing))
            print("ok", flush=True)
        elif words[0] == "report":
            def look():
                best = None
                for _ in range(3):
                    before = time.monotonic()
                    beat = link.beat
                    after = time.monotonic()
                    if best is None or after - before < best[0]:
                        best = (after - before, (before + after) / 2, beat)
                return {"time": best[1], "beat": best[2], "tempo": link.tempo,
                        "peers": link.num_peers, "playing": link.playing}
            print(json.dumps(call(look)), flush=True)
        elif words[0] == "quit":
            break
    loop.call_soon_threadsafe(box["done"].set)
    thread.join(5)
    return 0


async def _coro(fn):
    return fn()


if __name__ == "__main__":
    sys.exit(main())
