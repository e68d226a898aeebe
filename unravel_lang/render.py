"""Offline rendering: a `Plan` decoded through one fresh model stream per voice, summed."""

from __future__ import annotations

import numpy as np

from unravel_lang.plan import Plan
from unravel_lang.seeds import voice_seed


def render(plan: Plan, model, seed: int = 0, chunk_frames: int | None = None) -> np.ndarray:
    """Decode every voice of `plan` with `model` and mix them, through the engine's master
    limiter (`engine.limiter.limit`: no change at or below −1 dBFS).

    Returns float32 audio `(model.out_channels, plan.frames * model.ratio)` at `model.sr`.
    Voice `i` is decoded by `model.stream(seed=voice_seed(seed, i))` in chunks of
    `chunk_frames` latent frames (default: the engine's `CHUNK_FRAMES`, 4) and placed at
    `voice.start * model.ratio` samples.
    """
    # the engine's package loads when a render runs, not with `import unravel_lang`
    from unravel_lang.engine.decoding import CHUNK_FRAMES
    from unravel_lang.engine.limiter import limit

    chunk_frames = CHUNK_FRAMES if chunk_frames is None else int(chunk_frames)

    out = np.zeros((model.out_channels, plan.frames * model.ratio), dtype=np.float32)
    for index, voice in enumerate(plan.voices):
        stream = model.stream(seed=voice_seed(seed, index))
        pos = voice.start * model.ratio
        for first in range(0, voice.latent.shape[0], chunk_frames):
            audio = stream.decode(voice.latent[first : first + chunk_frames])
            out[:, pos : pos + audio.shape[1]] += voice.gain * audio
            pos += audio.shape[1]
    return limit(out, model.sr)
