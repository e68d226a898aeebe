"""Speed of the language: parse + check time of a 50-line score, and the share of a one-minute
render spent outside the model's decode, on the embedded model.

    .venv/bin/python bench/bench_language.py

Goals: the whole 50-line score parses and checks in under 50 ms; less than 5 % of the time to
render a one-minute piece (through the live engine, as `unravel run -o` does) is spent outside
the model's decode calls.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from unravel_lang.engine.score import ScoreRender
from unravel_lang.lang import Session
from unravel_lang.lang.checker import check_program
from unravel_lang.lang.parser import _lark, parse
from unravel_lang.model import load_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SCORE_50 = "\n".join(
    [
        "bpm 117",
        "seed 3",
        'drums = encode("audio/drums.wav")',
        'tones = encode("audio/tones.wav")',
        "s = stats(drums, tones)",
    ]
    + [
        line
        for i in range(9)
        for line in (
            f"a{i} = normal(s, k=2beats)",
            f"b{i} = smooth(s, k=2beats, seed={i})",
            f"c{i} = fibo(a{i}) | orale(b{i}, 3:1, depth=1) >> blend(a{i}, b{i}, n=2, step=8)",
            f"d{i} = jitter(interpolate(a{i}, b{i}, t=0.25), amount=0.1)  # a comment",
            f"play c{i} >> reverse(d{i})",
        )
    ]
)

# One minute at k=11 (117.45 BPM): 1292 frames of latent audio, through layered voices,
# a looping track and sequences.
MINUTE = """
bpm 117
seed 1
drums = encode("audio/drums.wav")
tones = encode("audio/tones.wav")
s = stats(drums, tones)
groove = fit_tempo(drums)
melody = smooth(s, k=1bars)
track drums = groove
play fibo(melody) | orale(slice(melody, 0, 4), 3:1)
play blend(slice(melody, 0, 4), slice(tones, 0, 4), n=2, step=4) | gain(repeat(groove, 8), 0.5)
wait 8bars
track drums = reverse(groove)
play repeat(melody, 4) | interpolate(repeat(groove, 8), repeat(melody, 4), t=0.5)
wait 501frames                # to 1292 frames: one minute
hush
"""


class TimedModel:
    """The model, with the time spent in its streams' `decode` added up in `decode_s` and in
    `encode_file` in `encode_s`."""

    def __init__(self, model) -> None:
        self.model = model
        self.decode_s = 0.0
        self.encode_s = 0.0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def encode_file(self, path):
        start = time.perf_counter()
        out = self.model.encode_file(path)
        self.encode_s += time.perf_counter() - start
        return out

    def stream(self, seed=None):
        inner = self.model.stream(seed=seed)
        timer = self

        class Stream:
            def decode(self, chunk):
                start = time.perf_counter()
                out = inner.decode(chunk)
                timer.decode_s += time.perf_counter() - start
                return out

        return Stream()


def bench_parse(session: Session, build: float) -> None:
    lines = SCORE_50.count("\n") + 1
    times = []
    for _ in range(30):
        start = time.perf_counter()
        program = parse(SCORE_50, "bench.unr")
        check_program(program, session.scope())
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"grammar load (once per process): {build * 1000:.1f} ms")
    print(f"parse + check of a {lines}-line score: median {median * 1000:.2f} ms, best "
          f"{best * 1000:.2f} ms -> {median * 1000 / lines:.3f} ms per line "
          f"(goal: whole score < 50 ms: {'met' if median < 0.05 else 'NOT met'})")


def render_minute(model) -> dict[str, float]:
    """Evaluate the piece with the recording performer (no decoding), then render its calls
    through `ScoreRender` (the engine, as `run -o` does); the times of each part in seconds."""
    timed = TimedModel(model)
    session = Session(model=timed, output=None, base_dir=EXAMPLES)
    start = time.perf_counter()
    session.run(MINUTE, "minute.unr")
    evaluated = time.perf_counter() - start
    recorder = session.performer
    score = ScoreRender(timed, seed=session.seed)  # what `unravel run -o` does
    recorder.replay(score)
    audio = score.finish()
    total = time.perf_counter() - start
    return {"evaluate": evaluated, "render": total - evaluated, "total": total,
            "decode": timed.decode_s, "encode": timed.encode_s,
            "seconds": audio.shape[1] / model.sr, "frames": audio.shape[1] / model.ratio,
            "calls": len(recorder.calls)}


def bench_minute(model, runs: int = 7) -> None:
    """Render the piece `runs` times and print the median shares (the spread in brackets):
    one run is at the mercy of thread wake-ups on a busy machine."""
    results = [render_minute(model) for _ in range(runs)]
    render_shares = [(r["render"] - r["decode"]) / r["render"] for r in results]
    whole_shares = [(r["total"] - r["decode"] - r["encode"]) / r["total"] for r in results]
    mid = sorted(results, key=lambda r: r["render"])[runs // 2]
    share = statistics.median(render_shares)
    print(f"one-minute piece: {mid['seconds']:.1f} s of audio, {mid['frames']:.0f} frames, "
          f"{mid['calls']} performer calls; median of {runs} runs")
    print(f"  evaluate {mid['evaluate'] * 1000:.1f} ms (of which encode "
          f"{mid['encode'] * 1000:.1f} ms), render through the engine {mid['render']:.2f} s "
          f"(model decode {mid['decode']:.2f} s), {mid['seconds'] / mid['total']:.0f}x real time")
    print(f"  share of the render outside the model's decode: {100 * share:.2f} % "
          f"[{100 * min(render_shares):.2f} .. {100 * max(render_shares):.2f}] "
          f"(goal < 5 %: {'met' if share < 0.05 else 'NOT met'})")
    print(f"  share of evaluate + render outside the model's encode and decode: "
          f"{100 * statistics.median(whole_shares):.2f} %")


def main() -> None:
    start = time.perf_counter()
    _lark()
    build = time.perf_counter() - start
    model = load_model(None)
    print(f"model: {model!r}")
    bench_parse(Session(model=model, output=None), build)
    model.decode(model.encode_file(EXAMPLES / "audio" / "drums.wav"))  # warm up TorchScript
    bench_minute(model)


if __name__ == "__main__":
    main()
