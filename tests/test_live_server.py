"""OSC in: code, numbers, hush and stop sent to a REPL whose track plays in real time (paced by
the system clock), over real UDP sockets on loopback; what it changes lands on the beat, as
the frames it sends over OSC out show; malformed packets are answered and change nothing."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from osc_helpers import Receiver
from rave_testmodels import random_latent as latent

pytest.importorskip("pythonosc", reason="python-osc is missing: pip install 'unravel-lang[osc]'")

from unravel_lang.engine import Engine  # noqa: E402
from unravel_lang.lang.recorder import Recorder  # noqa: E402
from unravel_lang.lang.session import Session  # noqa: E402
from unravel_lang.live import oscmsg  # noqa: E402
from unravel_lang.live.paced import PacedOutput  # noqa: E402
from unravel_lang.live.stage import Live, Stage  # noqa: E402
from unravel_lang.repl.app import Repl, start_listening  # noqa: E402

A, B = latent(8, 11), latent(8, 12)


class Client:
    """Sends OSC requests from a socket of its own and reads the answers sent back to it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.to = ("127.0.0.1", port)

    def raw(self, data: bytes) -> tuple[str, str]:
        self.sock.sendto(data, self.to)
        reply, sender = self.sock.recvfrom(65536)
        assert sender == self.to
        address, args, tags = oscmsg.decode(reply)
        assert tags == "s"
        return address, args[0]

    def send(self, address: str, *args: tuple[str, object]) -> tuple[str, str]:
        return self.raw(oscmsg.encode(address, list(args)))


@pytest.fixture
def live(tiny):
    """A REPL on a live engine (k=4) with a system-clock reader, serving OSC on a free port;
    A and B bound; yields (client, receiver of OSC out, printed lines, repl)."""
    engine = Engine(tiny, k=4)
    output = PacedOutput(engine)
    output.start()
    lines: list[str] = []
    recorder = Recorder()
    session = Session(model=tiny, performer=recorder, k=4, output=lines.append)
    session.env.update(A=A, B=B)
    stage = Stage(Live(engine, output), k=4, model=tiny)
    repl = Repl(session, recorder, stage, lines.append)
    server = start_listening(repl, "127.0.0.1", 0)
    rx = Receiver()
    client = Client(server.port)
    yield client, rx, lines, repl
    server.close()
    stage.set_osc(None)
    stage.performer.close()
    rx.close()


def t_rows(rx: Receiver) -> list[tuple[int, np.ndarray]]:
    """(index in rx.got, row) of every frame of track t."""
    return [(i, np.asarray(args, np.float32)) for i, (a, args, _) in enumerate(rx.got)
            if a == "/unravel/t"]


def first_of(rx: Receiver, pattern: np.ndarray) -> int:
    """Position among t's rows where `pattern`'s first row first arrives (-1: not yet)."""
    for n, (_, row) in enumerate(t_rows(rx)):
        if np.array_equal(row, pattern[0]):
            return n
    return -1


def lands_on_a_pass_boundary(rx: Receiver, old: np.ndarray, new: np.ndarray) -> None:
    """t's rows from `old`'s first are whole passes of `old`, then `new` from its start; a
    beat tick comes right before `new`'s first frame."""
    rows = t_rows(rx)
    start, switch = first_of(rx, old), first_of(rx, new)
    assert 0 <= start < switch, (start, switch)
    played = np.stack([r for _, r in rows[start:switch]])
    assert len(played) % len(old) == 0
    np.testing.assert_array_equal(played, np.tile(old, (len(played) // len(old), 1)))
    after = np.stack([r for _, r in rows[switch : switch + len(new)]])
    np.testing.assert_array_equal(after, new[: len(after)])
    index = rows[switch][0]
    assert rx.got[index - 1][0] == "/unravel/beat"


def test_eval_set_hush_round_trip_lands_on_the_beat(live):
    client, rx, lines, repl = live
    address, text = client.send("/unravel/eval", ("s", f'osc "{rx.target}"\ntrack t = A'))
    assert address == "/unravel/ok", text
    assert "osc →" in text
    assert rx.until(lambda got: len(t_rows(rx)) >= 10)

    assert client.send("/unravel/eval", ("s", "track t = B"))[0] == "/unravel/ok"
    assert rx.until(lambda got: first_of(rx, B) >= 0 and len(t_rows(rx)) >= first_of(rx, B) + 8)
    lands_on_a_pass_boundary(rx, A, B)

    # a knob: bind g, use it, turn it; the track is re-evaluated and changes at its boundary
    assert client.send("/unravel/set", ("s", "g"), ("f", 0.5)) == ("/unravel/ok", "g = 0.5")
    assert client.send("/unravel/eval", ("s", "track t = B * g"))[0] == "/unravel/ok"
    half, quarter = B * np.float32(0.5), B * np.float32(0.25)
    assert rx.until(lambda got: first_of(rx, half) >= 0)
    address, text = client.send("/unravel/set", ("s", "g"), ("f", 0.25))
    assert (address, text) == ("/unravel/ok", "g = 0.25 (re-evaluated: t)")
    assert rx.until(lambda got: first_of(rx, quarter) >= 0
                    and len(t_rows(rx)) >= first_of(rx, quarter) + 8)
    lands_on_a_pass_boundary(rx, half, quarter)

    # an error is answered with its caret, printed, and changes nothing
    address, text = client.send("/unravel/eval", ("s", "track t = nope(A)"))
    assert address == "/unravel/error" and "unknown function" in text and "^" in text
    assert text in "\n".join(lines)
    assert repl.session.env["g"] == 0.25 and list(repl.stage.tracks) == ["t"]

    assert client.send("/unravel/hush")[0] == "/unravel/ok"
    hushed = len(t_rows(rx))
    rx.pump(0.6)
    assert len(t_rows(rx)) <= hushed + 1  # at most a frame already on its way
    assert repl.stage.tracks == {}


def test_stop_and_malformed_packets_never_stop_the_music(live):
    client, rx, lines, repl = live
    assert client.send("/unravel/eval", ("s", f'osc "{rx.target}"; track t = A; '
                                              "track u = B"))[0] == "/unravel/ok"
    assert rx.until(lambda got: len(t_rows(rx)) >= 4)
    bad = {
        "garbage": b"\x00\x01garbage",
        "bundle": b"#bundle\x00" + bytes(8),
        "truncated": oscmsg.text("/unravel/eval", "track t = B")[:-6],
        "wrong type": oscmsg.encode("/unravel/eval", [("i", 3)]),
        "set wrong": oscmsg.encode("/unravel/set", [("f", 1.0), ("s", "g")]),
        "set nan": oscmsg.encode("/unravel/set", [("s", "g"), ("f", float("nan"))]),
        "unknown": oscmsg.encode("/unravel/play", [("s", "A")]),
        "huge blob": oscmsg.encode("/unravel/eval", [("b", bytes(60_000))]),
        "not utf-8": oscmsg.text("/unravel/eval", "track t = Bé").replace("é".encode(),
                                                                          b"\xff\xfe"),
        "stop what": oscmsg.encode("/unravel/stop", [("s", "t; hush")]),
    }
    answers = {name: client.raw(data) for name, data in bad.items()}
    for name, (address, text) in answers.items():
        assert address == "/unravel/error", (name, text)
    assert "UTF-8" in answers["not utf-8"][1]
    assert "bundles" in answers["bundle"][1]
    assert "unknown address /unravel/play" in answers["unknown"][1]
    assert "one string" in answers["wrong type"][1] and "one string" in answers["huge blob"][1]
    assert "finite" in answers["set nan"][1]
    printed = "\n".join(lines)
    assert "osc in from 127.0.0.1:" in printed and "not valid UTF-8" in printed
    # the music went on: frames of both tracks keep coming, nothing was stopped
    count = len(t_rows(rx))
    assert rx.until(lambda got: len(t_rows(rx)) >= count + 8)
    assert set(repl.stage.tracks) == {"t", "u"}
    assert repl.stage.take_errors() == []

    assert client.send("/unravel/stop", ("s", "u"))[0] == "/unravel/ok"
    assert list(repl.stage.tracks) == ["t"]
    address, text = client.send("/unravel/stop", ("s", "u"))
    assert address == "/unravel/error" and "no track named `u`" in text


def test_code_sent_to_a_watch_session_runs_on_top_of_the_score(tiny, tmp_path):
    from unravel_lang.live.watch import ScoreWatcher, serve_watcher

    score = tmp_path / "s.unr"
    score.write_text("x = 2\n")
    lines: list[str] = []
    watcher = ScoreWatcher(
        score, lambda rec, out: Session(model=tiny, performer=rec, output=out, k=4),
        Stage(None, k=4, model=tiny), lines.append)
    assert watcher.evaluate(score.read_text())
    server = serve_watcher(watcher, "127.0.0.1", 0)
    try:
        client = Client(server.port)
        assert client.send("/unravel/eval", ("s", "show x * 3")) == ("/unravel/ok", "6")
        assert client.send("/unravel/set", ("s", "y"), ("i", 4)) == ("/unravel/ok", "y = 4")
        assert client.send("/unravel/eval", ("s", "show x + y")) == ("/unravel/ok", "6")
        address, text = client.send("/unravel/eval", ("s", "show z"))
        assert address == "/unravel/error" and "unknown name `z`" in text
        assert "← 127.0.0.1:" in "\n".join(lines)
    finally:
        server.close()
