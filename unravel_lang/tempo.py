"""The tempo grid: looping k latent frames gives 60 * (sr / ratio) / k BPM (quarter notes).

One beat lasts k frames; double time (eighth notes) is twice that tempo. With sr 44100 and
ratio 2048, k = 11 gives 117.45 BPM and k = 8 gives 161.49 (322.98 double time).

Shown tempi are cut (not rounded) to hundredths, the way the original tempo table lists them
(60 * 44100 / 2048 / 8 = 161.4990… shows as 161.49), and double time is shown as twice the
shown tempo (322.98). The numbers themselves (`TempoRow.bpm`, `Snap.bpm`) stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from unravel_lang.errors import PatternError
from unravel_lang.guards import check_float, check_int

DEFAULT_K = 11
"""Frames per beat until a score, a command or a caller sets the tempo: the default grid
(117.45 BPM at 44.1 kHz / 2048)."""

MAX_K = 4096
"""The longest beat, in latent frames (about 3 minutes at 44100 Hz / 2048). The tempo range
is one rule: k is a whole number from 1 to MAX_K, and a tempo in BPM is accepted when it lies
between the tempi of k = MAX_K and k = 1 (as shown, cut to hundredths), so it snaps to such
a k. At 44100 Hz / 2048 that is 0.31 … 1291.99 BPM."""


DEFAULT_BEATS = 4
"""Beats in a bar until a score (`beats N`), a command or a caller says otherwise."""

MAX_BEATS = 64
"""The most beats in a bar (`beats N`: N from 1 to MAX_BEATS)."""

QUANTA = ("beat", "bar")
"""Where new tracks and plays start (`quantum beat|bar`): on the next beat or the next bar line."""


def check_beats(beats: object) -> int:
    """`beats` as an int; refuses anything but a whole number from 1 to `MAX_BEATS`."""
    beats = check_int(beats, "beats per bar")
    if not 1 <= beats <= MAX_BEATS:
        raise PatternError(f"beats per bar must be from 1 to {MAX_BEATS}, got {beats}")
    return beats


def check_quantum(quantum: object) -> str:
    """`quantum` if it is one of `QUANTA` ("beat", "bar"), else a `PatternError`."""
    if quantum not in QUANTA:
        choices = " or ".join(repr(q) for q in QUANTA)
        raise PatternError(f"quantum is {choices}, got {quantum!r}")
    return str(quantum)


def check_k(k: object, what: str = "k (frames per beat)") -> int:
    """`k` as an int; refuses anything but a whole number from 1 to `MAX_K`."""
    k = check_int(k, what)
    if not 1 <= k <= MAX_K:
        raise PatternError(f"{what} must be from 1 to {MAX_K}, got {k}")
    return k


def bpm_range(sr: int, ratio: int) -> tuple[float, float]:
    """The tempi a model allows, in BPM: (that of k = MAX_K cut to hundredths, that of k = 1)."""
    slowest = bpm_for(MAX_K, sr, ratio)
    return math.floor(slowest * 100) / 100, bpm_for(1, sr, ratio)


def check_bpm(bpm: object, sr: int, ratio: int, what: str = "tempo") -> float:
    """`bpm` as a float; refuses anything but a finite number within `bpm_range(sr, ratio)`."""
    if isinstance(bpm, bool) or not isinstance(bpm, (int, float)):
        raise PatternError(f"{what} must be a number of BPM, got {bpm!r}")
    low, high = bpm_range(sr, ratio)
    if not (math.isfinite(bpm) and low <= bpm <= high):
        raise PatternError(
            f"{what} {bpm:g} BPM is outside the tempo range {bpm_text(low)} … "
            f"{bpm_text(high)} BPM (a beat of {MAX_K} down to 1 latent frame at "
            f"{sr} Hz / {ratio})"
        )
    return float(bpm)


def bpm_text(bpm: float) -> str:
    """`bpm` cut (not rounded) to hundredths, as text: 161.4990… -> "161.49"."""
    return f"{math.floor(bpm * 100 + 1e-7) / 100:.2f}"


def _check_model(sr: object, ratio: object) -> tuple[int, int]:
    return check_int(sr, "sample rate", minimum=1), check_int(ratio, "compression ratio", minimum=1)


def latent_rate(sr: int, ratio: int) -> float:
    """Latent frames per second: sr / ratio."""
    sr, ratio = _check_model(sr, ratio)
    return sr / ratio


def bpm_for(k: int, sr: int, ratio: int) -> float:
    """Tempo in BPM when one beat is `k` latent frames: 60 * (sr / ratio) / k."""
    k = check_int(k, "k (frames per beat)", minimum=1)
    return 60.0 * latent_rate(sr, ratio) / k


@dataclass(frozen=True)
class TempoRow:
    """One row of the tempo table: `k` frames per beat, its `bpm` and `double` (= 2 * bpm)."""

    k: int
    bpm: float
    double: float

    @property
    def bpm_shown(self) -> str:
        """The tempo as the table shows it (cut to hundredths)."""
        return bpm_text(self.bpm)

    @property
    def double_shown(self) -> str:
        """Double time as the table shows it: twice the shown tempo."""
        return f"{2 * float(self.bpm_shown):.2f}"

    def __str__(self) -> str:
        return f"k={self.k}: {self.bpm_shown} BPM, {self.double_shown} double time"


def tempo_table(sr: int, ratio: int, ks: Iterable[int] = range(4, 17)) -> list[TempoRow]:
    """The achievable tempi: one `TempoRow(k, bpm, double)` per k in `ks`, in that order."""
    rows = []
    for k in ks:
        bpm = bpm_for(k, sr, ratio)
        rows.append(TempoRow(int(k), bpm, 2.0 * bpm))
    return rows


def format_tempo_table(rows: list[TempoRow]) -> str:
    """The tempo table as aligned text: columns k, BPM and double time (cut to hundredths)."""
    lines = ["  k      BPM   double"]
    lines += [f"{r.k:3d} {r.bpm_shown:>8} {r.double_shown:>8}" for r in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Snap:
    """A tempo snapped to the grid: `k` frames per beat, the exact `bpm` it gives, and
    `error_pct` = 100 * (bpm - asked) / asked, i.e. positive when the snapped tempo is faster
    than the one asked for."""

    k: int
    bpm: float
    error_pct: float
    asked: float | None = None

    def __str__(self) -> str:
        # cut to hundredths like the tempo itself: 0.388 % shows as 0.38 %
        err = math.floor(abs(self.error_pct) * 100 + 1e-7) / 100
        sign = "-" if self.error_pct < 0 and err > 0 else "+"
        return f"k={self.k} → {bpm_text(self.bpm)} BPM ({sign}{err:.2f} %)"


def snap(bpm: float, sr: int, ratio: int) -> Snap:
    """Snap `bpm` to the nearest achievable tempo (smallest |achieved - asked| in BPM, k >= 1).

    `Snap.error_pct` is 100 * (achieved - asked) / asked: "+" means the grid tempo is faster.
    """
    asked = check_float(bpm, "tempo (BPM)")
    if asked <= 0:
        raise PatternError(f"tempo (BPM) must be > 0, got {bpm}")
    asked = check_bpm(asked, sr, ratio)
    rate = latent_rate(sr, ratio)
    exact_k = 60.0 * rate / asked
    candidates = {min(MAX_K, max(1, math.floor(exact_k))), min(MAX_K, max(1, math.ceil(exact_k)))}
    k = min(candidates, key=lambda c: (abs(60.0 * rate / c - asked), c))
    achieved = 60.0 * rate / k
    return Snap(k=k, bpm=achieved, error_pct=100.0 * (achieved - asked) / asked, asked=asked)


def frames_for(k: int, bars: float = 0, beats: float = 0,
               beats_per_bar: int = DEFAULT_BEATS) -> int:
    """Frames in `bars` bars plus `beats` beats at `k` frames per beat:
    k * (bars * beats_per_bar + beats). The result must be a whole number of frames."""
    k = check_int(k, "k (frames per beat)", minimum=1)
    beats_per_bar = check_int(beats_per_bar, "beats per bar", minimum=1)
    bars = check_float(bars, "bars", minimum=0)
    beats = check_float(beats, "beats", minimum=0)
    total = k * (bars * beats_per_bar + beats)
    if not float(total).is_integer():
        raise PatternError(
            f"{bars:g} bars + {beats:g} beats at k={k} is {total:g} frames, not a whole number"
        )
    return int(total)
