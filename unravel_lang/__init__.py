"""unravel: a live-coding language for composing inside the latent space of RAVE models.

Everything a Python user needs is importable from here: the model wrapper, audio and latent
files, statistics and generators, the tempo grid, the patterns and shaping tools, plans and
rendering, and the language (`evaluate`, `Session`). Each name loads its module on first use,
so `import unravel_lang` is quick and loads neither torch (the model layer), PortAudio
(playback) nor matplotlib (plots) until they are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Pure numpy: loaded with the package (these also win over their modules' names, as
# `unravel_lang.stats` and `unravel_lang.render` are functions).
from unravel_lang.errors import (
    AudioError,
    LatentError,
    ModelError,
    PatternError,
    PlaybackUnavailable,
    UnravelError,
)
from unravel_lang.generate import (
    GENERATORS,
    correlated,
    iqr_uniform,
    normal,
    smooth,
    uniform,
)
from unravel_lang.guards import check_frames, frame_limit, get_frame_limit, set_frame_limit
from unravel_lang.patterns import PATTERNS, swap_pair, swap_states
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan, Voice
from unravel_lang.render import render
from unravel_lang.shaping import (
    bias,
    concat,
    fit_tempo,
    interpolate,
    jitter,
    repeat,
    reverse,
    scale,
    select,
    slice_frames,
    stretch,
)
from unravel_lang.stats import Stats, stats
from unravel_lang.tempo import Snap, TempoRow, bpm_for, frames_for, snap, tempo_table
from unravel_lang.trace import PatternTrace, pattern_trace

# Heavier (torch, soundfile, lark, PortAudio, matplotlib): loaded on first use.
_LAZY: dict[str, tuple[str, ...]] = {
    "audio": ("atomic_output", "audio_info", "AudioInfo", "find_audio", "read_audio",
              "read_blocks", "resample", "Resampler", "write_wav"),
    "engine": ("Engine", "FileSink", "ScoreRender"),
    "lang": ("evaluate", "LanguageError", "parse", "Recorder", "Session"),
    "latent_io": ("load_latent", "load_npy", "read_latent_wav", "save_latent", "save_npy",
                  "write_latent_wav"),
    "model": ("DecoderStream", "load_model", "RaveModel"),
    "player": ("AudioOutput", "playback_status"),
    "plot": ("Picture", "plot_auto", "plot_compare", "plot_generated", "plot_latent",
             "plot_pattern", "plot_plan", "plot_stats"),
    "termview": ("latent_view", "plan_view"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "AudioError",
    "AudioInfo",
    "AudioOutput",
    "DecoderStream",
    "Engine",
    "FileSink",
    "GENERATORS",
    "LanguageError",
    "LatentError",
    "ModelError",
    "PATTERNS",
    "PatternError",
    "PatternTrace",
    "Performer",
    "Picture",
    "Plan",
    "PlaybackUnavailable",
    "RaveModel",
    "Recorder",
    "Resampler",
    "ScoreRender",
    "Session",
    "Snap",
    "Stats",
    "TempoRow",
    "UnravelError",
    "Voice",
    "__version__",
    "atomic_output",
    "audio_info",
    "bias",
    "bpm_for",
    "check_frames",
    "concat",
    "correlated",
    "evaluate",
    "find_audio",
    "fit_tempo",
    "frame_limit",
    "frames_for",
    "get_frame_limit",
    "interpolate",
    "iqr_uniform",
    "jitter",
    "latent_view",
    "load_latent",
    "load_model",
    "load_npy",
    "normal",
    "parse",
    "pattern_trace",
    "plan_view",
    "playback_status",
    "plot_auto",
    "plot_compare",
    "plot_generated",
    "plot_latent",
    "plot_pattern",
    "plot_plan",
    "plot_stats",
    "read_audio",
    "read_blocks",
    "read_latent_wav",
    "render",
    "repeat",
    "resample",
    "reverse",
    "save_latent",
    "save_npy",
    "scale",
    "select",
    "set_frame_limit",
    "slice_frames",
    "smooth",
    "snap",
    "stats",
    "stretch",
    "swap_pair",
    "swap_states",
    "tempo_table",
    "uniform",
    "write_latent_wav",
    "write_wav",
    *PATTERNS,  # every pattern function by its name: fibo, orale, blend, ...
]


def __getattr__(name: str) -> Any:
    if name in PATTERNS:
        return PATTERNS[name]
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'unravel_lang' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"unravel_lang.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME) | set(PATTERNS))
