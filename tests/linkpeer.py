"""Helpers for tests and benches that play against a Link peer in another process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from unravel_lang.live.timeline import Timeline


class Peer:
    """`link_peer.py TEMPO` (aalink alone) in a child process, driven over its stdin."""

    def __init__(self, tempo: float, head_start: float = 1.5) -> None:
        """Start the peer; return `head_start` seconds after it is up: when two Link sessions
        meet, the older one wins for sure only when it is clearly older (measured here: a
        0.8 s head start was not always enough, 1.5 s always was)."""
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("link_peer.py")), str(tempo)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        time.sleep(head_start)

    def _say(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def report(self) -> dict:
        return json.loads(self._say("report"))

    def timeline(self) -> Timeline:
        r = self.report()
        return Timeline(r["time"], r["beat"], r["tempo"])

    def set_tempo(self, bpm: float) -> None:
        self._say(f"tempo {bpm}")

    def set_playing(self, playing: bool) -> None:
        self._say("play" if playing else "stop")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def onsets(audio: np.ndarray, min_gap: int) -> np.ndarray:
    """Sample indices where sound begins after at least `min_gap` samples of exact silence."""
    loud = np.abs(audio).max(axis=0) > 1e-7
    idx = np.flatnonzero(loud)
    if idx.size == 0:
        return idx
    gaps = np.diff(idx, prepend=-min_gap - 1)
    return idx[gaps > min_gap]


def onset_errors(found: np.ndarray, expected: np.ndarray, tolerance: float) -> np.ndarray:
    """For each expected onset (samples, float) the signed distance to the nearest found one
    within `tolerance` samples (NaN where there is none)."""
    out = np.full(expected.shape, np.nan)
    if found.size == 0:
        return out
    pos = np.searchsorted(found, expected)
    for i, (e, p) in enumerate(zip(expected, pos, strict=True)):
        near = [found[j] for j in (p - 1, p) if 0 <= j < found.size]
        best = min(near, key=lambda f: abs(f - e))
        if abs(best - e) <= tolerance:
            out[i] = best - e
    return out
