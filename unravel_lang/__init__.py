"""unravel: a live-coding language for composing inside the latent space of RAVE models.

Everything a Python user needs is importable from here: the model wrapper, audio and latent
files, statistics and generators, the tempo grid, the patterns and shaping tools, plans and
rendering, and the language (`evaluate`, `Session`). Playback (`unravel_lang.player`) and
plots (`unravel_lang.plot`) load on use, so a machine without PortAudio or matplotlib can
import this package.
"""

from unravel_lang.audio import (
    AudioInfo,
    Resampler,
    atomic_output,
    audio_info,
    find_audio,
    read_audio,
    read_blocks,
    resample,
    write_wav,
)
from unravel_lang.engine import Engine, FileSink, ScoreRender
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
from unravel_lang.lang import LanguageError, Recorder, Session, evaluate, parse
from unravel_lang.latent_io import (
    load_latent,
    load_npy,
    read_latent_wav,
    save_latent,
    save_npy,
    write_latent_wav,
)
from unravel_lang.model import DecoderStream, RaveModel, load_model
from unravel_lang.patterns import blend, fibo, orale, swap, swap_once, swap_pair, swap_states
from unravel_lang.plan import Plan, Voice
from unravel_lang.player import AudioOutput, playback_status
from unravel_lang.plot import (
    Picture,
    pattern_trace,
    plot_auto,
    plot_compare,
    plot_latent,
    plot_pattern,
    plot_plan,
    plot_stats,
)
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
from unravel_lang.termview import latent_view, plan_view

__version__ = "0.1.0"

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
    "PatternError",
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
    "blend",
    "bpm_for",
    "check_frames",
    "concat",
    "correlated",
    "evaluate",
    "fibo",
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
    "orale",
    "parse",
    "pattern_trace",
    "plan_view",
    "playback_status",
    "plot_auto",
    "plot_compare",
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
    "swap",
    "swap_once",
    "swap_pair",
    "swap_states",
    "tempo_table",
    "uniform",
    "write_latent_wav",
    "write_wav",
]
