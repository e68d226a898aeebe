"""TorchScript RAVE exports: loading, encoding audio to latent arrays, decoding them back.

This is the only module that touches TorchScript. Latent arrays are `(frames, dims)` float32;
audio is `(channels, samples)` float32 at the model's `sr`.

Randomness: RAVE's variational decoder (and a v2 encoder, which samples its posterior) draws
from torch's global generator. Every call into the model therefore runs under one module-level
lock, with the generator seeded from the caller's seed and restored afterwards, so decodes on
a worker thread and on the main thread never disturb each other's noise.
"""

from __future__ import annotations

import copy
import importlib.resources
import os
import threading
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from unravel_lang.errors import AudioError, LatentError, ModelError
from unravel_lang.guards import check_latent
from unravel_lang.models import DEFAULT_MODEL
from unravel_lang.paths import regular_file
from unravel_lang.seeds import chunk_seed

"""File name of the embedded default model inside `unravel_lang/models/`."""

KNOWN_METHODS = ("encode", "decode", "forward", "prior")
"""Methods of a RAVE export that `RaveModel.methods` reports when the module has them."""

ENCODE_CHUNK_FRAMES = 256
"""Latent frames encoded per model call (about 12 s at 44.1 kHz / 2048): bounds memory."""

ENCODE_CONTEXT_FRAMES = 16
"""Frames of audio context on each side of an encode chunk, for non-streaming exports."""

DECODE_BLOCK_FRAMES = 256
"""`decode` calls the model on at most this many frames at a time (through one stream).
256 frames (12 s at 44.1 kHz / 2048) decode faster per frame than 1024 with the embedded
model (its activations stay in cache) and bound the memory of one call."""

DECODE_CONTEXT_FRAMES = 8
"""Frames of latent history a non-streaming export decodes before each stream chunk."""

READ_BLOCK_SAMPLES = 1 << 16

GRAPH_OPTIMIZE = False
"""Whether TorchScript may optimize graphs after a profiling run (see `_call`)."""
"""Samples per block when reading a file for `encode_file`."""

SR_RANGE = (1_000, 768_000)
"""Sample rates (Hz) a model may report; anything else is refused at load."""

RATIO_RANGE = (1, 1 << 16)
"""Audio samples per latent frame a model may report."""

DIMS_RANGE = (1, 4096)
"""Latent dimensions a model may report."""

CHANNELS_RANGE = (1, 64)
"""Audio channels (in and out) a model may report."""

PROBE_FRAMES = 4
"""Frames of silence encoded and decoded at load, to refuse a model whose encoder or decoder
fails or returns the wrong shape."""

_LOCK = threading.RLock()


THREADS_ENV = "UNRAVEL_TORCH_THREADS"
"""Environment variable: torch intra-op threads to use (default 1)."""

_threads_set = False


def _set_threads() -> None:
    """Set torch's intra-op threads once per process: `$UNRAVEL_TORCH_THREADS`, else 1.

    One thread by default: decoding runs in small chunks beside the audio callback and the
    prompt, and with more threads than free cores torch's thread barriers stall every op
    (measured on 2 shared cores: 4-frame decodes 10x slower with 2 threads than with 1).
    """
    global _threads_set
    if _threads_set:
        return
    wanted = os.environ.get(THREADS_ENV, "").strip()
    try:
        threads = int(wanted) if wanted else 1
    except ValueError:
        raise ModelError(f"{THREADS_ENV} must be a whole number, got {wanted!r}") from None
    if threads < 1:
        raise ModelError(f"{THREADS_ENV} must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    _threads_set = True


def _default_model_path() -> Path:
    path = Path(str(importlib.resources.files("unravel_lang") / "models" / DEFAULT_MODEL))
    if not path.is_file():
        raise ModelError(
            f"the embedded default model is missing ({path}); "
            "reinstall unravel-lang or pass a RAVE .ts model file"
        )
    return path


def load_model(path: str | os.PathLike | None = None, device: str = "cpu") -> RaveModel:
    """Load a TorchScript RAVE export (`torch.jit.load` only); `None` = the embedded default.

    Raises `ModelError` when the file is missing, is not TorchScript, or is a TorchScript
    module without `encode` / `decode`.
    """
    device = check_device(device)
    p = _default_model_path() if path is None else Path(path)
    regular_file(p, ModelError, "a model file", missing=f"{p}: model file not found")
    try:
        with warnings.catch_warnings():
            # torch marks TorchScript deprecated; RAVE exports are TorchScript files.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            module = torch.jit.load(str(p), map_location=device)
    except (RuntimeError, ValueError, OSError, zipfile.BadZipFile) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(
            f"{p}: not a TorchScript model (expected a RAVE export .ts file; {reason[:120]})"
        ) from None
    _set_threads()
    return RaveModel(module, p, device)


def check_device(device: str) -> str:
    """`device` ("cpu", "cuda", "cuda:1", "mps") if torch can run on it, else `ModelError`."""
    name = str(device).strip().lower()
    try:
        kind = torch.device(name).type
    except (RuntimeError, ValueError):
        raise ModelError(f"unknown device {device!r}: use \"cpu\" or \"cuda\" "
                         "(\"cuda:1\" for the second GPU)") from None
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ModelError(f"device {device!r}: torch sees no GPU here "
                             "(torch.cuda.is_available() is False); use \"cpu\"")
        index = torch.device(name).index
        if index is not None and index >= torch.cuda.device_count():
            raise ModelError(f"device {device!r}: torch sees {torch.cuda.device_count()} GPU(s)")
    elif kind == "mps":
        if not torch.backends.mps.is_available():
            raise ModelError(f"device {device!r}: torch sees no Apple GPU here; use \"cpu\"")
    elif kind != "cpu":
        raise ModelError(f"device {device!r}: unravel runs models on \"cpu\" or \"cuda\"")
    return name


def _check_range(path: Path, what: str, value: int, allowed: tuple[int, int],
                 unit: str = "") -> None:
    low, high = allowed
    if not low <= value <= high:
        raise ModelError(f"{path}: the model reports a {what} of {value:,}{unit}; a RAVE model's "
                         f"is between {low:,} and {high:,}")


def _last_line(err: BaseException) -> str:
    """The message of an error raised inside TorchScript: its last non-empty line (the
    TorchScript traceback above it is left out), at most 200 characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else type(err).__name__
    text = text.removeprefix("builtins.")
    return text if len(text) <= 200 else text[:197] + "..."


def _method_names(module: torch.jit.ScriptModule) -> tuple[str, ...]:
    return tuple(name for name in KNOWN_METHODS if module._c._has_method(name))


def _int_attr(module: torch.jit.ScriptModule, name: str) -> int | None:
    try:
        value = getattr(module, name)
    except (AttributeError, RuntimeError):
        return None
    if isinstance(value, torch.Tensor):
        return int(value.item()) if value.numel() == 1 else None
    return int(value) if isinstance(value, (int, float)) else None


def _codebook_size(module: torch.jit.ScriptModule) -> int | None:
    """Codes per codebook of a discrete export (RAVE's `quantizer.n_codes`, else the rows of
    its `quantizer.embed` buffer), or None for a continuous model."""
    try:
        quantizer = module.quantizer
    except (AttributeError, RuntimeError):
        return None
    n = _int_attr(quantizer, "n_codes")
    if n is None:
        embed = getattr(quantizer, "embed", None)
        n = int(embed.shape[1]) if isinstance(embed, torch.Tensor) and embed.dim() == 3 else None
    return n if n is not None and n > 0 else None


def _params(module: torch.jit.ScriptModule, name: str) -> list[int] | None:
    try:
        value = getattr(module, name)
    except (AttributeError, RuntimeError):
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 4:
        return [int(v) for v in value.flatten().tolist()]
    return None


def _buffer_slots(module: torch.jit.ScriptModule) -> list[tuple[torch._C.ScriptModule, str]]:
    """(owning submodule, attribute name) of every buffer of `module`."""
    slots = []
    for name, _ in module.named_buffers():
        owner = module
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        slots.append((owner._c, attr))
    return slots


def _row_buffers(module: torch.jit.ScriptModule) -> tuple[frozenset[int], int]:
    """Indices (in `named_buffers` order) of the 3-D buffers and the batch rows they hold.

    cached_conv keeps each convolution cache as `(rows, channels, time)`, one row per batch
    entry, and uses the first `batch` rows of a call. Returns (indices, rows), or
    (empty, 0) when there are none or their first dimensions disagree.
    """
    rows = {i: int(t.shape[0]) for i, (_, t) in enumerate(module.named_buffers()) if t.dim() == 3}
    if not rows or len(set(rows.values())) != 1:
        return frozenset(), 0
    return frozenset(rows), next(iter(rows.values()))


BATCH_TOLERANCE = 1e-5
"""A model batches only if every voice of a batched decode is within this of its own decode."""


@dataclass(frozen=True)
class BatchSupport:
    """Whether a model decodes several voices in one call: `rows` voices at most (0: no),
    `reason` why not, `diff` the largest difference between a batched voice and the same
    voice decoded alone, measured on a probe of three voices."""

    rows: int
    reason: str | None = None
    diff: float | None = None


def _has_cache_buffers(module: torch.jit.ScriptModule) -> bool:
    """Whether the module keeps convolution caches: a buffer path with a `cache` part
    (cached_conv names them `*.cache.pad`; the embedded model `*.cache`)."""
    return any("cache" in name.split(".") for name, _ in module.named_buffers())


class RaveModel:
    """A loaded RAVE export: its geometry, and encode / decode between audio and latents."""

    def __init__(self, module: torch.jit.ScriptModule, path: Path, device: str = "cpu") -> None:
        methods = _method_names(module)
        missing = [m for m in ("encode", "decode") if m not in methods]
        if missing:
            raise ModelError(
                f"{path}: TorchScript module is not a RAVE export: it has no "
                f"{' or '.join(missing)} method"
            )
        self._module = module.eval()
        self.path = str(path)
        self.device = device
        self.methods: tuple[str, ...] = methods
        sr = _int_attr(module, "sr")
        if sr is None and module._c._has_method("get_sample_rate"):
            sr = int(module.get_sample_rate())
        if sr is None or sr <= 0:
            raise ModelError(f"{path}: RAVE export has no sample rate attribute `sr`")
        _check_range(path, "sample rate", sr, SR_RANGE, " Hz")
        self.sr: int = sr
        enc, dec = _params(module, "encode_params"), _params(module, "decode_params")
        if enc is not None and dec is not None:
            self.in_channels, self.ratio, self.dims = enc[0], enc[3], enc[2]
            self.out_channels = dec[2]
            if dec[0] != self.dims or dec[1] != self.ratio:
                raise ModelError(
                    f"{path}: encode_params {enc} and decode_params {dec} disagree "
                    "on latent size or ratio"
                )
        else:
            self.in_channels, self.ratio, self.dims, self.out_channels = self._probe_geometry()
        geometry = (self.in_channels, self.ratio, self.dims, self.out_channels)
        if min(geometry) <= 0:
            raise ModelError(
                f"{path}: impossible geometry (in_channels, ratio, dims, out_channels) = {geometry}"
            )
        _check_range(path, "ratio", self.ratio, RATIO_RANGE, " samples per latent frame")
        _check_range(path, "latent size", self.dims, DIMS_RANGE, " dims")
        _check_range(path, "input channels", self.in_channels, CHANNELS_RANGE)
        _check_range(path, "output channels", self.out_channels, CHANNELS_RANGE)
        # a discrete export's latents are codebook indices 0 .. codebook_size - 1
        self.codebook_size: int | None = _codebook_size(module)
        self._discrete_noted = False
        self.streaming: bool = _has_cache_buffers(module) or self._probe_streaming()
        self._slots = _buffer_slots(module) if self.streaming else []
        self._clean = [owner.getattr(attr) for owner, attr in self._slots]
        self._rows, self._row_count = _row_buffers(module) if self.streaming else (frozenset(), 0)
        self.noise_dims: int | None = self._probe_noise() if self.streaming else None
        self._batch: BatchSupport | None = None
        self._probe_calls()

    def _probe_calls(self) -> None:
        """Encode and decode `PROBE_FRAMES` frames of silence: a model whose encoder or
        decoder fails or returns the wrong shape is refused at load, before anything plays
        through it (`ModelError` naming the model)."""
        silence = np.zeros((self.in_channels, PROBE_FRAMES * self.ratio), dtype=np.float32)
        z = self._call("encode", torch.from_numpy(silence)[None], 0, self._new_state())
        if z.shape[1] != self.dims:
            raise ModelError(f"{self.name}: encode returned {z.shape[1]} latent dims, but the "
                             f"model reports {self.dims} (encode_params)")
        DecoderStream(self, 0).decode(np.zeros((PROBE_FRAMES, self.dims), dtype=np.float32))

    @property
    def latent_rate(self) -> float:
        """Latent frames per second: `sr / ratio`."""
        return self.sr / self.ratio

    @property
    def discrete(self) -> bool:
        """Whether the export is discrete: `decode` takes whole codebook indices."""
        return self.codebook_size is not None

    def discrete_note(self, latent: np.ndarray) -> str | None:
        """For a discrete model, a line saying what it does with `latent` `(frames, dims)`
        when the array holds values that are not codebook indices; else None."""
        if self.codebook_size is None or latent.size == 0:
            return None
        top = self.codebook_size - 1
        a = np.asarray(latent)
        fractional = a != np.trunc(a)
        outside = (a < 0) | (a > top)
        bad = fractional | outside
        if not bad.any():
            return None
        frame, dim = (int(i) for i in np.argwhere(bad)[0])
        return (
            f"note: {self.name} is a discrete model: it takes whole codebook indices 0..{top}; "
            f"this array holds other values ({a[frame, dim]:g} at frame {frame}, dim {dim}), "
            f"which the model clips to 0..{top} and then truncates toward 0 (see docs/models.md)"
        )

    def take_discrete_note(self, latent: np.ndarray) -> str | None:
        """`discrete_note(latent)` the first time it has something to say for this loaded
        model, None after that: the note is said once."""
        if self._discrete_noted:
            return None
        note = self.discrete_note(latent)
        self._discrete_noted = note is not None
        return note

    @property
    def name(self) -> str:
        """The model file's name."""
        return Path(self.path).name

    def __repr__(self) -> str:
        return (
            f"RaveModel({self.name!r}, sr={self.sr}, ratio={self.ratio}, dims={self.dims}, "
            f"channels={self.in_channels}->{self.out_channels}, "
            f"latent_rate={self.latent_rate:.2f}, streaming={self.streaming}, "
            f"methods={self.methods})"
        )

    # -- calling the TorchScript module ---------------------------------------------------

    def _new_state(self, one_row: bool = False) -> list[torch.Tensor] | None:
        """A clean copy of a streaming export's buffers (its caches); `None` if not streaming.

        With `one_row`, batch-row caches keep only their first row (what one voice uses)."""
        if not self.streaming:
            return None
        with _LOCK, torch.inference_mode():
            if one_row and self._row_count > 1:
                return [t[:1].clone() if i in self._rows else t.clone()
                        for i, t in enumerate(self._clean)]
            return [t.clone() for t in self._clean]

    def _call(
        self,
        method: str,
        x: torch.Tensor,
        seed: int | None,
        state: list[torch.Tensor] | None = None,
        module: torch.jit.ScriptModule | None = None,
    ) -> torch.Tensor:
        """Run `<method>(x)` under the lock, with torch's generator seeded by `seed`.

        `state` (from `_new_state`) is put into the module's buffers before the call and read
        back after it, so each stream keeps its own caches while all share one module.
        Graph optimization is off so that every call runs the same kernels: the first call
        after loading gives the same samples as later ones.
        """
        module = self._module if module is None else module
        with _LOCK, torch.inference_mode(), torch.jit.optimized_execution(GRAPH_OPTIMIZE):
            if state is not None:
                for (owner, attr), tensor in zip(self._slots, state, strict=True):
                    owner.setattr(attr, tensor)
            fn = getattr(module, method)
            try:
                if seed is None:
                    out = fn(x.to(self.device)).cpu()
                elif self.device == "cpu":
                    generator = torch.default_generator
                    saved = generator.get_state()
                    generator.manual_seed(seed)
                    try:
                        out = fn(x).cpu()
                    finally:
                        generator.set_state(saved)
                else:
                    with torch.random.fork_rng(device_type=torch.device(self.device).type):
                        torch.manual_seed(seed)
                        out = fn(x.to(self.device)).cpu()
            except Exception as err:  # noqa: BLE001 - torch.jit.Error, RuntimeError, ...: the model's fault
                raise ModelError(f"{self.name}: {method} failed ({_last_line(err)})") from None
            if not isinstance(out, torch.Tensor) or out.dim() != 3 or out.shape[0] != x.shape[0]:
                shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ModelError(f"{self.name}: {method} returned shape {shape} for input "
                                 f"{tuple(x.shape)}; expected (batch, channels, time)")
            if state is not None:
                state[:] = [owner.getattr(attr) for owner, attr in self._slots]
            return out

    def _probe_geometry(self) -> tuple[int, int, int, int]:
        """Find channels, ratio and dims by running the model once on silence."""
        module = copy.deepcopy(self._module)
        n = 1 << 16
        for channels in (1, 2):
            try:
                z = self._call("encode", torch.zeros(1, channels, n), 0, module=module)
            except ModelError:
                continue
            if z.dim() != 3 or z.shape[-1] == 0 or n % z.shape[-1]:
                break
            ratio, dims = n // z.shape[-1], z.shape[1]
            y = self._call("decode", z, 0, module=module)
            return channels, ratio, dims, int(y.shape[1])
        raise ModelError(f"{self.path}: cannot find the model's ratio and latent size")

    def _probe_noise(self) -> int | None:
        """How many latent dims of noise a caller gives the decoder (0: it draws none).

        A variational RAVE decoder appends `full_latent_size - dims` dims of `torch.randn`
        noise to the latent; given a latent with all of them it draws nothing. Returns that
        number when decoding `[z, noise]` equals decoding `z` with the same noise drawn
        inside, 0 when decoding does not depend on the seed, None when the decoder draws
        noise it cannot be given.
        """
        z = torch.randn(1, self.dims, 3, generator=torch.Generator().manual_seed(0))
        try:
            a = self._call("decode", z, 11, self._new_state())
            b = self._call("decode", z, 12, self._new_state())
            if torch.equal(a, b):
                return 0
            full = _int_attr(self._module, "full_latent_size")
            if full is None or full <= self.dims:
                return None
            noise = torch.randn(1, full - self.dims, 3, generator=torch.Generator().manual_seed(11))
            c = self._call("decode", torch.cat([z, noise], 1), 13, self._new_state())
        except RuntimeError:
            return None
        return full - self.dims if c.shape == a.shape and torch.equal(a, c) else None

    def batch_support(self) -> BatchSupport:
        """Whether (and how many) voices decode in one batched call; probed once."""
        if self._batch is None:
            self._batch = self._probe_batch()
        return self._batch

    def _probe_batch(self) -> BatchSupport:
        if not self.streaming:
            return BatchSupport(0, "it is not a streaming export")
        if self._row_count < 2:
            return BatchSupport(0, "its caches hold one voice")
        if self.noise_dims is None:
            return BatchSupport(0, "its decoder draws noise that cannot be given to it")
        rng = np.random.default_rng(0)
        z = [rng.standard_normal((12, self.dims)).astype(np.float32) for _ in range(3)]
        alone = [self.stream(seed=s) for s in (1, 2, 3)]
        batched = [self.stream(seed=s) for s in (1, 2, 3)]
        try:
            # voice 0 has a history; 1 and 2 join it; then 0 leaves
            want = [alone[0].decode(z[0][:4])]
            got = [batched[0].decode(z[0][:4])]
            want += [alone[i].decode(z[i][4:7]) for i in range(3)]
            got += self._decode_rows(batched, [z[i][4:7] for i in range(3)])
            want += [alone[i].decode(z[i][7:12]) for i in (1, 2)]
            got += self._decode_rows(batched[1:], [z[i][7:12] for i in (1, 2)])
        except (RuntimeError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else "error"
            return BatchSupport(0, f"it refuses a batch ({reason})")
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(want, got, strict=True))
        if not diff <= BATCH_TOLERANCE:
            return BatchSupport(0, f"a batched voice differs from the voice alone by {diff:.2g}",
                                diff)
        return BatchSupport(self._row_count, None, diff)

    def _probe_streaming(self) -> bool:
        """Decode the same latent twice on a copy, seeded alike: a streaming export differs."""
        module = copy.deepcopy(self._module)
        z = torch.randn(1, self.dims, 4, generator=torch.Generator().manual_seed(0))
        first = self._call("decode", z, 0, module=module)
        second = self._call("decode", z, 0, module=module)
        return not torch.allclose(first, second, atol=1e-5, rtol=0)

    # -- latent checks ---------------------------------------------------------------------

    def check_latent(self, latent: np.ndarray, what: str = "latent") -> np.ndarray:
        """Return `latent` as float32 `(frames, dims)` with this model's dims (no frame is
        allowed); `LatentError` otherwise (`guards.check_latent`)."""
        return check_latent(latent, what, dims=self.dims, dims_of=f"model {self.name}",
                            allow_empty=True, error=LatentError)

    # -- decode ----------------------------------------------------------------------------

    def stream(self, seed: int | None = None) -> DecoderStream:
        """A fresh decoder state: consecutive `decode` calls on it make one continuous voice."""
        return DecoderStream(self, seed)

    def encoder(self, sr: int, channels: int, seed: int | None = 0) -> EncoderStream:
        """A fresh encoder state for one live signal of `channels` channels at `sr` Hz."""
        return EncoderStream(self, sr, channels, seed)

    def decode(self, latent: np.ndarray, seed: int | None = None) -> np.ndarray:
        """Decode `(frames, dims)` to float32 audio `(out_channels, frames * ratio)` at `sr`.

        Same as `stream(seed).decode(latent)`: arrays longer than `DECODE_BLOCK_FRAMES` go
        through the stream in blocks of that size. With a seed the samples are reproducible.
        """
        a = self.check_latent(latent)
        stream = self.stream(seed)
        if a.shape[0] <= DECODE_BLOCK_FRAMES:
            return stream.decode(a)
        blocks = [
            stream.decode(a[i : i + DECODE_BLOCK_FRAMES])
            for i in range(0, a.shape[0], DECODE_BLOCK_FRAMES)
        ]
        return np.concatenate(blocks, axis=1)

    def _decode_tensor(
        self, a: np.ndarray, seed: int | None, state: list[torch.Tensor] | None
    ) -> np.ndarray:
        """Decode checked `(frames, dims)` from `state`; exactly `frames * ratio` samples."""
        z = torch.from_numpy(np.ascontiguousarray(a.T))[None]
        y = self._call("decode", z, seed, state)
        if y.shape[1] != self.out_channels:
            raise ModelError(f"{self.name}: decode returned {y.shape[1]} channels, but the model "
                             f"reports {self.out_channels} (decode_params)")
        return self._fit(y[0].numpy(), a.shape[0])

    def _fit(self, y: np.ndarray, frames: int) -> np.ndarray:
        """Audio `(channels, m)` cut or zero-padded to `frames * ratio` samples, float32."""
        n = frames * self.ratio
        if y.shape[-1] != n:
            y = y[:, :n] if y.shape[-1] > n else np.pad(y, ((0, 0), (0, n - y.shape[-1])))
        return np.ascontiguousarray(y, dtype=np.float32)

    def decode_batch(self, streams: Sequence[DecoderStream],
                     chunks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Decode `chunks[i]` `(frames, dims)` through `streams[i]` (all the same `frames`), in
        batched model calls of at most `batch_support().rows` voices; each voice continues
        its own stream exactly as `streams[i].decode(chunks[i])` would, up to float rounding
        (`BatchSupport.diff`). `ModelError` for a model that does not batch."""
        support = self.batch_support()
        if not support.rows:
            raise ModelError(f"{self.name} does not decode voices in a batch: {support.reason}")
        if len(streams) != len(chunks):
            raise ValueError("one chunk per stream")
        out: list[np.ndarray] = []
        for first in range(0, len(streams), support.rows):
            out += self._decode_rows(streams[first : first + support.rows],
                                     chunks[first : first + support.rows])
        return out

    def _decode_rows(self, streams: Sequence[DecoderStream],
                     chunks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One batched call: row b is `streams[b]`'s next chunk, its caches row b."""
        checked = [self.check_latent(c, "latent chunk") for c in chunks]
        frames = {c.shape[0] for c in checked}
        if len(frames) != 1:
            raise ValueError(f"batched chunks must have equal frames, got {sorted(frames)}")
        (n,) = frames
        if n == 0:
            return [np.zeros((self.out_channels, 0), dtype=np.float32) for _ in streams]
        z = torch.cat([s._input(c) for s, c in zip(streams, checked, strict=True)])
        first = streams[0].state
        state = [torch.cat([s.state[i] for s in streams]) if i in self._rows else t
                 for i, t in enumerate(first)]
        y = self._call("decode", z, None, state).numpy()
        for b, s in enumerate(streams):
            for i in self._rows:
                s.state[i] = state[i][b : b + 1]
        return [self._fit(y[b], n) for b in range(len(streams))]

    # -- encode ----------------------------------------------------------------------------

    def encode(self, audio: np.ndarray, sr: int, seed: int | None = 0) -> np.ndarray:
        """Encode audio `(channels, samples)` or `(samples,)` at `sr` Hz to `(frames, dims)`.

        Channels are mapped to the model's, audio is resampled to `self.sr`, zero-padded to
        whole frames (`frames = ceil(samples_at_model_rate / ratio)`) and encoded in chunks
        of `ENCODE_CHUNK_FRAMES` (see `encode_blocks`).
        """
        a = np.asarray(audio)
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2:
            raise AudioError(
                f"audio must be (channels, samples) or (samples,), got shape {np.shape(audio)}"
            )
        step = READ_BLOCK_SAMPLES
        return self.encode_blocks(
            (a[:, i : i + step] for i in range(0, a.shape[1], step)), sr, seed=seed
        )

    def encode_blocks(
        self, blocks: Iterable[np.ndarray], sr: int, seed: int | None = 0
    ) -> np.ndarray:
        """Encode consecutive `(channels, n)` blocks of one signal at `sr` Hz; bounded memory.

        Streaming exports run chunk after chunk through one encoder state (equal to a
        whole-signal encode up to float rounding); non-streaming exports encode each chunk
        with `ENCODE_CONTEXT_FRAMES` of audio on both sides and keep the middle. Chunk `k`
        runs under torch seed `chunk_seed(seed, k)` (a v2 encoder samples its posterior), so
        encoding is reproducible; `seed=None` leaves torch's generator unseeded.
        """
        encoder = _ChunkEncoder(self, int(sr), seed)
        for block in blocks:
            encoder.push(block)
        return encoder.finish()

    def encode_file(self, path: str | os.PathLike, seed: int | None = 0) -> np.ndarray:
        """Encode an audio file, read block by block, to `(frames, dims)` float32."""
        from unravel_lang.audio import audio_info, read_blocks

        info = audio_info(path)
        if info.frames == 0:
            raise AudioError(f"{path}: audio file is empty")
        return self.encode_blocks(read_blocks(path, READ_BLOCK_SAMPLES), info.sr, seed=seed)


def _map_channels(block: np.ndarray, channels: int) -> np.ndarray:
    """Map `(c, n)` audio to `channels`: model channel k = mean of audio channels k, k+C, ...

    Mono goes to every model channel; fewer channels than the model are repeated in turn.
    """
    c = block.shape[0]
    if c == channels:
        return block
    if channels == 1:
        return block.mean(axis=0, keepdims=True)
    if c < channels:
        return block[np.arange(channels) % c]
    return np.stack([block[k::channels].mean(axis=0) for k in range(channels)])


class _ChunkEncoder:
    """Accumulates resampled audio and encodes it chunk by chunk (see `encode_blocks`)."""

    def __init__(self, model: RaveModel, sr: int, seed: int | None) -> None:
        from unravel_lang.audio import Resampler

        if sr <= 0:
            raise AudioError(f"sample rate must be positive, got {sr}")
        self.model = model
        self.seed = seed
        self.resampler = Resampler(sr, model.sr, model.in_channels)
        self.context = 0 if model.streaming else ENCODE_CONTEXT_FRAMES
        self.state = model._new_state()
        self.pending: list[np.ndarray] = []
        self.pending_samples = 0
        self.buffer = np.zeros((model.in_channels, 0), dtype=np.float32)
        self.buffer_frame = 0  # frame index of buffer[:, 0]
        self.done = 0  # frames encoded so far
        self.chunks = 0
        self.out: list[np.ndarray] = []
        self.channels_seen: int | None = None
        self.samples_seen = 0  # input samples per channel pushed so far

    def push(self, block: np.ndarray) -> None:
        a = np.asarray(block, dtype=np.float32)
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2:
            raise AudioError(f"audio blocks must be (channels, n), got shape {np.shape(block)}")
        if self.channels_seen is None:
            self.channels_seen = a.shape[0]
        elif a.shape[0] != self.channels_seen:
            raise AudioError(
                f"audio block has {a.shape[0]} channels, earlier blocks {self.channels_seen}"
            )
        if not np.isfinite(a).all():
            channel, sample = (int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise AudioError(
                f"audio has NaN or inf at sample {self.samples_seen + sample}, channel {channel}"
            )
        self.samples_seen += a.shape[1]
        self._add(self.resampler.process(_map_channels(a, self.model.in_channels)))
        self._encode_ready(final=False)

    def finish(self) -> np.ndarray:
        self._add(
            self.resampler.process(
                np.zeros((self.model.in_channels, 0), dtype=np.float32), last=True
            )
        )
        self._flush_pending()
        total = self.buffer_frame * self.model.ratio + self.buffer.shape[1]
        if total == 0:
            raise AudioError("audio is empty: nothing to encode")
        frames = -(-total // self.model.ratio)
        pad = frames * self.model.ratio - total
        self.buffer = np.pad(self.buffer, ((0, 0), (0, pad)))
        self._encode_ready(final=True)
        return (
            np.concatenate(self.out, axis=0)
            if self.out
            else np.zeros((0, self.model.dims), dtype=np.float32)
        )

    def _add(self, audio: np.ndarray) -> None:
        if audio.shape[1]:
            self.pending.append(audio)
            self.pending_samples += audio.shape[1]

    def _flush_pending(self) -> None:
        if self.pending:
            self.buffer = np.concatenate([self.buffer, *self.pending], axis=1)
            self.pending, self.pending_samples = [], 0

    def _encode_ready(self, final: bool) -> None:
        ratio, chunk = self.model.ratio, ENCODE_CHUNK_FRAMES
        buffered = (self.buffer.shape[1] + self.pending_samples) // ratio + self.buffer_frame
        while True:
            available = buffered - self.done
            if available <= 0 or (not final and available < chunk + self.context):
                return
            self._flush_pending()
            n = min(chunk, available)
            first = max(self.buffer_frame, self.done - self.context)
            last = min(buffered, self.done + n + self.context)
            start = first - self.buffer_frame
            x = self.buffer[:, start * ratio : (last - self.buffer_frame) * ratio]
            seed = None if self.seed is None else chunk_seed(self.seed, self.chunks)
            z = self.model._call("encode", torch.from_numpy(x)[None], seed, self.state)[0]
            if z.shape[0] != self.model.dims:
                raise ModelError(
                    f"{self.model.name}: encode returned {z.shape[0]} latent dims, but the "
                    f"model reports {self.model.dims} (encode_params)"
                )
            if z.shape[-1] != last - first:
                raise ModelError(
                    f"{self.model.path}: encode returned {z.shape[-1]} frames "
                    f"for {last - first} frames of audio"
                )
            z = z.numpy().T[self.done - first : self.done - first + n]
            self.out.append(np.ascontiguousarray(z, dtype=np.float32))
            self.done += n
            self.chunks += 1
            keep = max(self.buffer_frame, self.done - self.context)
            self.buffer = self.buffer[:, (keep - self.buffer_frame) * ratio :]
            self.buffer_frame = keep


NOISE_INDEX = 1 << 40
"""`chunk_seed(seed, NOISE_INDEX)` seeds the noise generator of a stream seeded `seed`."""


class DecoderStream:
    """One continuous voice: consecutive `decode` calls continue the same signal.

    A streaming variational export that takes its noise (`model.noise_dims` > 0) is given
    it frame by frame from one generator per stream, seeded `chunk_seed(seed, NOISE_INDEX)`:
    latent frame i of the voice always gets the same noise, however the voice is cut into
    chunks and whichever voices it is decoded beside (`RaveModel.decode_batch`). Otherwise
    chunk `j` is decoded under torch seed `chunk_seed(seed, j)`. Streaming exports keep their
    convolution caches in a private copy of the module. Non-streaming exports have no caches:
    each chunk is decoded after the previous `DECODE_CONTEXT_FRAMES` frames of the voice
    (whose audio is dropped), so the decoder sees the same left context as in a whole decode.
    """

    def __init__(self, model: RaveModel, seed: int | None = None) -> None:
        self.model = model
        self.seed = None if seed is None else int(seed)
        self.state = model._new_state(one_row=True)
        self.index = 0
        self.history = np.zeros((0, model.dims), dtype=np.float32)
        self.noise: torch.Generator | None = None
        if model.noise_dims:
            self.noise = torch.Generator()
            if self.seed is None:
                self.noise.seed()
            else:
                self.noise.manual_seed(chunk_seed(self.seed, NOISE_INDEX))

    def _input(self, a: np.ndarray) -> torch.Tensor:
        """The model's input `(1, dims [+ noise dims], frames)` for checked `a` (streaming)."""
        self.index += 1
        z = torch.from_numpy(np.ascontiguousarray(a.T))[None]
        if self.noise is None:
            return z
        dims = self.model.noise_dims
        noise = [torch.randn(dims, generator=self.noise) for _ in range(a.shape[0])]
        return torch.cat([z, torch.stack(noise, 1)[None]], 1)

    def decode(self, chunk: np.ndarray) -> np.ndarray:
        """Decode `(frames, dims)` to `(out_channels, frames * ratio)` float32, continuing."""
        m = self.model
        a = m.check_latent(chunk, "latent chunk")
        if a.shape[0] == 0:
            return np.zeros((m.out_channels, 0), dtype=np.float32)
        seed = None if self.seed is None else chunk_seed(self.seed, self.index)
        if m.streaming and self.noise is not None:
            return m._fit(m._call("decode", self._input(a), None, self.state)[0].numpy(),
                          a.shape[0])
        self.index += 1
        if m.streaming:
            return m._decode_tensor(a, seed, self.state)
        context = self.history
        y = m._decode_tensor(np.concatenate([context, a]), seed, None)
        self.history = np.concatenate([context, a])[-DECODE_CONTEXT_FRAMES:]
        return np.ascontiguousarray(y[:, context.shape[0] * m.ratio :])


class EncoderStream:
    """One live signal encoded as it arrives: `push` audio blocks, get each whole latent frame
    as soon as its `ratio` samples (at the model rate) are in.

    Audio is mapped to the model's channels and resampled (streaming soxr) like `encode`, so
    frame i covers resampled samples `[i * ratio, (i + 1) * ratio)` of the same signal that
    `encode` would see. Streaming exports keep their encoder caches in this stream's own copy
    of the module's buffers: the frames equal a whole-signal `encode` up to float rounding
    (a v2 encoder samples its posterior: call `j` runs under `chunk_seed(seed, j)`, so the
    sampled noise differs from an offline encode's). Non-streaming exports encode each new
    frame with `ENCODE_CONTEXT_FRAMES` frames of past audio and no future audio.
    """

    def __init__(self, model: RaveModel, sr: int, channels: int, seed: int | None = 0) -> None:
        from unravel_lang.audio import Resampler

        if int(sr) <= 0:
            raise AudioError(f"sample rate must be positive, got {sr}")
        self.model = model
        self.sr = int(sr)
        self.channels = int(channels)
        self.seed = None if seed is None else int(seed)
        self.resampler = Resampler(self.sr, model.sr, model.in_channels)
        self.state = model._new_state()
        self.context = 0 if model.streaming else ENCODE_CONTEXT_FRAMES
        # non-streaming: `context` frames of silence stand for the past before the first sample
        self.buffer = np.zeros((model.in_channels, self.context * model.ratio), dtype=np.float32)
        self.index = 0
        self.frames = 0  # latent frames given out so far

    def push(self, block: np.ndarray) -> np.ndarray:
        """Take the next `(channels, n)` float block; return the frames it completes
        `(m, dims)` float32 (m may be 0). NaN or inf in the audio is replaced by 0."""
        a = np.asarray(block, dtype=np.float32)
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2 or a.shape[0] != self.channels:
            raise AudioError(
                f"audio blocks must be ({self.channels}, n), got shape {np.shape(block)}")
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        y = self.resampler.process(_map_channels(a, self.model.in_channels))
        if y.shape[1]:
            self.buffer = np.concatenate([self.buffer, y], axis=1)
        ratio = self.model.ratio
        ready = self.buffer.shape[1] // ratio - self.context
        if ready <= 0:
            return np.zeros((0, self.model.dims), dtype=np.float32)
        if self.model.streaming:
            x, drop = self.buffer[:, : ready * ratio], 0
            self.buffer = self.buffer[:, ready * ratio :]
        else:
            x, drop = self.buffer[:, : (ready + self.context) * ratio], self.context
            self.buffer = self.buffer[:, ready * ratio :]
        seed = None if self.seed is None else chunk_seed(self.seed, self.index)
        self.index += 1
        z = self.model._call("encode", torch.from_numpy(np.ascontiguousarray(x))[None],
                             seed, self.state)[0]
        out = np.ascontiguousarray(z.numpy().T[drop : drop + ready], dtype=np.float32)
        if out.shape[0] != ready:
            raise ModelError(f"{self.model.path}: encode returned {z.shape[-1]} frames for "
                             f"{ready + drop} frames of audio")
        self.frames += ready
        return out
