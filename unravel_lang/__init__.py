"""unravel: a live-coding language for composing inside the latent space of RAVE models."""

from unravel_lang.errors import (
    AudioError,
    LatentError,
    ModelError,
    PatternError,
    PlaybackUnavailable,
    UnravelError,
)

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "LatentError",
    "ModelError",
    "PatternError",
    "PlaybackUnavailable",
    "UnravelError",
    "__version__",
]
