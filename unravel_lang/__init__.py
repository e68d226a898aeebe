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
from unravel_lang.generate import GENERATORS
from unravel_lang.guards import check_frames, frame_limit, get_frame_limit, set_frame_limit
from unravel_lang.patterns import PATTERNS, swap_pair, swap_states
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan, Voice
from unravel_lang.render import render
from unravel_lang.shaping import SHAPING_TOOLS
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



def _marked() -> dict[str, Any]:
    """The marked functions by their Python names (`slice_frames` is `slice` in the language):
    every generator, pattern and shaping tool."""
    return {**GENERATORS, **PATTERNS, **{tool.__name__: tool for tool in SHAPING_TOOLS.values()}}


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
    "SHAPING_TOOLS",
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
    "bpm_for",
    "check_frames",
    "evaluate",
    "find_audio",
    "frame_limit",
    "frames_for",
    "get_frame_limit",
    "latent_view",
    "load_latent",
    "load_model",
    "load_npy",
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
    "resample",
    "save_latent",
    "save_npy",
    "set_frame_limit",
    "snap",
    "stats",
    "swap_pair",
    "swap_states",
    "tempo_table",
    "write_latent_wav",
    "write_wav",
    *_marked(),  # every generator, pattern and shaping tool by its name: normal, fibo, repeat, ...
]


def __getattr__(name: str) -> Any:
    marked = _marked()
    if name in marked:
        return marked[name]
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'unravel_lang' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"unravel_lang.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME) | set(_marked()))
