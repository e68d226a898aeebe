"""Error types. An `UnravelError` is a user mistake: printed as one message, no traceback."""

from __future__ import annotations


class UnravelError(Exception):
    """Base of every error caused by user input (bad file, bad argument, bad score)."""


class ModelError(UnravelError):
    """A model file is missing, not TorchScript, or not RAVE-like."""


class AudioError(UnravelError):
    """An audio file cannot be found, read or written."""


class LatentError(UnravelError):
    """A latent array or latent file is malformed (shape, dtype, NaN/inf, dims mismatch)."""


class PatternError(UnravelError, ValueError):
    """A pattern, generator or shaping tool got an argument outside what it allows."""


class PlaybackUnavailable(UnravelError):
    """No PortAudio library or no output device: playback cannot start."""
