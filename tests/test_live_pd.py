"""Pure Data receives what OSC out sends: Debian's Pd runs headless with a patch built on
examples/pd/unravel-osc.pd (the receiver the shipped nn~ patch uses) and writes every packet
it got to a file; every frame arrives, in order, with equal values; arrival jitter is
reported."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from rave_testmodels import random_latent as latent

pytest.importorskip("pythonosc", reason="python-osc is missing: pip install 'unravel-lang[osc]'")

from unravel_lang.engine import Engine  # noqa: E402
from unravel_lang.live import oscmsg  # noqa: E402
from unravel_lang.live.osc import OscOut  # noqa: E402
from unravel_lang.live.paced import PacedOutput  # noqa: E402
from unravel_lang.plan import Plan  # noqa: E402

PD = shutil.which("pd")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pd"

# [unravel-osc PORT]: left outlet the parsed messages, right outlet each packet's bytes. Each
# packet writes `t MS` (Pd's realtime since load), `raw BYTES...`, `osc TRACK FLOATS...`;
# /unravel/done writes the file and quits.
RECORDER = """#N canvas 0 50 700 500 12;
#X obj 20 20 unravel-osc {port};
#X obj 20 60 t a b;
#X obj 300 60 t a b;
#X obj 20 100 list prepend add osc;
#X obj 20 130 list trim;
#X obj 300 100 list prepend add raw;
#X obj 300 130 list trim;
#X obj 20 300 textfile;
#X obj 500 60 realtime;
#X obj 500 100 list prepend add t;
#X obj 500 130 list trim;
#X obj 500 20 loadbang;
#X obj 20 170 route done;
#X msg 20 230 write received.txt;
#X msg 200 230 \\; pd quit;
#X obj 20 200 t b b;
#X obj 600 20 print ready;
#X connect 0 0 1 0;
#X connect 0 1 2 0;
#X connect 1 0 3 0;
#X connect 3 0 4 0;
#X connect 4 0 7 0;
#X connect 1 0 12 0;
#X connect 12 0 15 0;
#X connect 15 1 13 0;
#X connect 13 0 7 0;
#X connect 15 0 14 0;
#X connect 2 0 5 0;
#X connect 5 0 6 0;
#X connect 6 0 7 0;
#X connect 2 1 8 1;
#X connect 8 0 9 0;
#X connect 9 0 10 0;
#X connect 10 0 7 0;
#X connect 11 0 8 0;
#X connect 11 0 16 0;
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_records(path: Path) -> list[list[str]]:
    """Pd's text file as messages (Pd breaks long lines; `;` ends a message)."""
    text = path.read_text().replace("\n", " ")
    return [m.split() for m in text.split(";") if m.strip()]


@pytest.mark.skipif(PD is None, reason="Pure Data is not installed (Debian: apt-get install "
                    "puredata-core)")
def test_pd_receives_every_frame_in_order_with_equal_values(tiny, tmp_path, capsys):
    port = free_port()
    shutil.copy(EXAMPLES / "unravel-osc.pd", tmp_path)
    (tmp_path / "recorder.pd").write_text(RECORDER.format(port=port))
    pd = subprocess.Popen([PD, "-nogui", "-nosound", "-noprefs", "-stderr", "recorder.pd"],
                          cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        for line in pd.stderr:
            if "ready: bang" in line or time.monotonic() > deadline:
                break
        a, b = latent(8, 21), latent(4, 22)
        engine = Engine(tiny, k=4)
        with engine, PacedOutput(engine):
            out = OscOut(engine, f"127.0.0.1:{port}", record=True)
            engine.track("a", Plan.of(a))
            engine.track("b", Plan.of(b))
            time.sleep(2.5)
            engine.hush()
            out.drop()
            assert out.flush()
            out.close()
            sent = list(out.log)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(oscmsg.encode("/unravel/done", []), ("127.0.0.1", port))
        assert pd.wait(timeout=20) == 0
    finally:
        if pd.poll() is None:
            pd.kill()
            pd.wait()
    records = read_records(tmp_path / "received.txt")
    times = [float(r[1]) for r in records if r[0] == "t"]
    raws = [bytes(int(x) for x in r[1:]) for r in records if r[0] == "raw"]
    parsed = [r[1:] for r in records if r[0] == "osc"]
    assert len(times) == len(raws) == len(parsed) == len(sent) + 1  # + /unravel/done
    # every message, in order, bytes decoding to exactly the float32 values sent
    got = [oscmsg.decode(raw)[:2] for raw in raws[:-1]]
    assert [g[0] for g in got] == [s.address for s in sent]
    for (address, values), s in zip(got, sent, strict=True):
        assert tuple(values) == s.values, address
    frames_a = [s.values for s in sent if s.address == "/unravel/a"]
    assert len(frames_a) >= 24
    np.testing.assert_array_equal(np.asarray(frames_a[:24], np.float32), np.tile(a, (3, 1)))
    # Pd's own parse ([oscparse] in unravel-osc.pd) gives the same values, as Pd prints them
    for words, s in zip(parsed, sent, strict=False):
        assert words[0] == s.address.split("/")[2]
        assert words[1:] == [f"{v:g}" for v in s.values]
    # arrival jitter: Pd's arrival times against the times the frames were due
    offsets = np.array([t / 1000.0 - s.due for t, s in zip(times, sent, strict=False)])
    jitter = np.abs(offsets - np.median(offsets)) * 1000.0
    with capsys.disabled():
        print(f"\nPd arrival jitter over {len(sent)} messages: median "
              f"{np.median(jitter):.2f} ms, p99 {np.percentile(jitter, 99):.2f} ms, max "
              f"{jitter.max():.2f} ms")


def pd_objects(path: Path) -> tuple[list[str], set[tuple[int, int, int, int]]]:
    """The object texts of a Pd patch's top canvas (in index order) and its connections."""
    text = path.read_text().replace("\\;", "").replace("\n", " ")
    objects, wires = [], set()
    for record in (r.strip() for r in text.split(";")):
        words = record.split()
        if words[:2] in (["#X", "obj"], ["#X", "msg"], ["#X", "text"]):
            objects.append(" ".join(words[4:]))
        elif words[:2] == ["#X", "connect"]:
            wires.add(tuple(int(w) for w in words[2:6]))
    return objects, wires


def test_the_nn_patch_feeds_one_signal_inlet_per_dimension():
    """examples/pd/unravel-nn.pd: [unravel-osc 9000] -> [route drums ...] -> [unpack] of 8
    -> 8 [sig~] -> inlets 0..7 of [nn~ model.ts decode] -> [dac~] (both channels); the Max
    patch wires the same chain."""
    import json

    objects, wires = pd_objects(EXAMPLES / "unravel-nn.pd")
    index = {text: i for i, text in enumerate(objects)}
    osc, route = index["unravel-osc 9000"], index["route drums beat bar"]
    unpack, nn = index["unpack f f f f f f f f"], index["nn~ model.ts decode"]
    sigs = [i for i, text in enumerate(objects) if text == "sig~"]
    assert (osc, 0, route, 0) in wires and (route, 0, unpack, 0) in wires
    assert len(sigs) == 8
    assert {(unpack, j, sigs[j], 0) for j in range(8)} <= wires
    assert {(sigs[j], 0, nn, j) for j in range(8)} <= wires
    patch = json.loads((EXAMPLES.parent / "max" / "unravel-nn.maxpat").read_text())["patcher"]
    text = {b["box"]["id"]: b["box"].get("text", b["box"]["maxclass"]) for b in patch["boxes"]}
    lines = {(text[p["patchline"]["source"][0]], p["patchline"]["source"][1],
              text[p["patchline"]["destination"][0]], p["patchline"]["destination"][1])
             for p in patch["lines"]}
    assert ("udpreceive 9000", 0, "route /unravel/drums /unravel/beat /unravel/bar", 0) in lines
    assert {("sig~", 0, "nn~ model.ts decode", j) for j in range(8)} <= lines
    assert ("*~ 0.5", 0, "ezdac~", 1) in lines


@pytest.mark.skipif(PD is None, reason="Pure Data is not installed (Debian: apt-get install "
                    "puredata-core)")
def test_pd_opens_the_nn_patch_and_only_nn_tilde_is_missing():
    """Headless Pd loads examples/pd/unravel-nn.pd: every object is created except nn~
    itself, which is not installed here."""
    done = subprocess.run([PD, "-nogui", "-nosound", "-noprefs", "-stderr", "-send", "pd quit",
                           "unravel-nn.pd"], cwd=EXAMPLES, capture_output=True, text=True,
                          timeout=30)
    log = done.stderr
    failed = [line.split(":", 1)[1].strip() for line, nxt in zip(log.splitlines(),
              log.splitlines()[1:], strict=False) if "couldn't create" in nxt]
    assert failed == ["nn~ model.ts decode"], log
