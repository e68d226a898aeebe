"""A minimal Link peer to play against: `python -m unravel_lang.live.peer 123`.

It joins the session at the given tempo (4 beats a bar) and reads commands, one a line, on
stdin: `tempo BPM`, `play`, `stop` (start/stop sync), `report` (prints one JSON line:
`{"time": monotonic seconds, "beat": Link beat then, "tempo", "peers", "playing"}`), `quit`.
It prints `ready` once it has joined.
"""

from __future__ import annotations

import json
import sys
import time

from unravel_lang.live.link import LinkSession


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    tempo = float(args[0]) if args else 120.0
    session = LinkSession(tempo, quantum=4)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "tempo":
            session.set_tempo(float(words[1]))
            time.sleep(0.02)
            print("ok", flush=True)
        elif words[0] in ("play", "stop"):
            session.set_playing(words[0] == "play")
            time.sleep(0.02)
            print("ok", flush=True)
        elif words[0] == "report":
            line_ = session.timeline
            print(json.dumps({"time": line_.time, "beat": line_.beat, "tempo": line_.tempo,
                              "peers": session.peers, "playing": session.playing}), flush=True)
        elif words[0] == "quit":
            break
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
