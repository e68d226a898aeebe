"""The embedded default model (`default.ts` beside this file) and the geometry it reports,
known without loading torch; a test checks these against the loaded model."""

DEFAULT_MODEL = "default.ts"
DEFAULT_SR = 44100      # audio sample rate (Hz)
DEFAULT_RATIO = 2048    # audio samples per latent frame
DEFAULT_DIMS = 8        # latent dims
