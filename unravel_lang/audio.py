"""Reading, finding, resampling and atomically writing audio files (soundfile + soxr).

Audio arrays are `(channels, samples)` float32. Every format the installed libsndfile reads
(wav, flac, ogg/vorbis, opus, mp3, aiff, ...) is read directly; nothing calls ffmpeg.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from unravel_lang.errors import AudioError, UnravelError
from unravel_lang.paths import (
    describe_os_error,
    kind_of,
    os_error_reason,
    regular_file,
    short_path,
    writable_target,
)

AUDIO_EXTS: tuple[str, ...] = (
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".w64", ".caf",
)
"""Extensions `find_audio` picks up in folders and globs when no filter is given."""

RESAMPLE_QUALITY = "HQ"
"""soxr quality used by `resample` and `Resampler` (high quality, linear phase)."""

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file holds, read from its header."""

    sr: int
    channels: int
    frames: int  # samples per channel

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sr


def existing_file(path: str | os.PathLike, error: type[UnravelError] = AudioError,
                  kind: str = "an audio file") -> Path:
    """`path` as a Path when it is a regular file; else `error` saying what it is instead
    (missing, a folder, a named pipe, a device, a symbolic link loop, a name too long)."""
    return regular_file(path, error, kind)


def _unreadable(p: Path, err: Exception) -> AudioError:
    reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    # soundfile prefixes messages with "Error opening '<path>': "; the path is named once below.
    reason = reason.split("': ", 1)[-1]
    return AudioError(f"{p}: cannot read audio ({reason})")


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Sample rate, channel count and length (samples per channel) of an audio file."""
    p = existing_file(path)
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise _unreadable(p, err) from None
    return AudioInfo(sr=int(info.samplerate), channels=int(info.channels), frames=int(info.frames))


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read a whole audio file: `(channels, samples)` float32 and its sample rate in Hz."""
    p = existing_file(path)
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise _unreadable(p, err) from None
    return np.ascontiguousarray(data.T), int(sr)


def read_blocks(path: str | os.PathLike, block_samples: int) -> Iterator[np.ndarray]:
    """Yield `(channels, n)` float32 blocks of `block_samples` samples (the last may be shorter).

    Only one block is held in memory at a time. The file is checked before the first block.
    """
    if int(block_samples) <= 0:
        raise ValueError(f"block_samples must be positive, got {block_samples}")
    p = existing_file(path)
    try:
        f = sf.SoundFile(str(p))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise _unreadable(p, err) from None
    return _blocks(f, p, int(block_samples))


def _read_next(f: sf.SoundFile, n: int) -> np.ndarray:
    """Read the next `n` frames as `(frames, channels)` float32, without seeking.

    `SoundFile.read` seeks back to its own position after every read; with libsndfile's MP3
    decoder that seek lands in the wrong place and later blocks come out garbled, so the C
    reader is called directly when soundfile exposes it.
    """
    snd, ffi = getattr(sf, "_snd", None), getattr(sf, "_ffi", None)
    handle = getattr(f, "_file", None)
    if snd is None or ffi is None or handle is None:
        return f.read(n, dtype="float32", always_2d=True)
    out = np.empty((n, f.channels), dtype=np.float32)
    got = snd.sf_readf_float(handle, ffi.cast("float *", out.ctypes.data), n)
    code = snd.sf_error(handle)
    if code:
        raise RuntimeError(ffi.string(snd.sf_error_number(code)).decode("utf-8", "replace"))
    return out[:got]


def _blocks(f: sf.SoundFile, p: Path, block_samples: int) -> Iterator[np.ndarray]:
    with f:
        while True:
            try:
                block = _read_next(f, block_samples)
            except (sf.LibsndfileError, RuntimeError, OSError) as err:
                raise _unreadable(p, err) from None
            if len(block) == 0:
                return
            yield np.ascontiguousarray(block.T)


def _as_2d(audio: np.ndarray, what: str = "audio") -> np.ndarray:
    a = np.asarray(audio)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise AudioError(f"{what} must be (channels, samples) or (samples,), got shape {a.shape}")
    return a


def resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Resample `(channels, samples)` (or `(samples,)`) float audio from `sr_from` to `sr_to` Hz.

    soxr high quality; returns float32 of the same rank, `round(samples * sr_to / sr_from)` long.
    """
    a = np.asarray(audio)
    x = _as_2d(a).astype(np.float32, copy=False)
    if int(sr_from) <= 0 or int(sr_to) <= 0:
        raise AudioError(f"sample rates must be positive, got {sr_from} -> {sr_to}")
    if int(sr_from) == int(sr_to):
        out = np.array(x, dtype=np.float32, copy=True)
    else:
        y = soxr.resample(np.ascontiguousarray(x.T), int(sr_from), int(sr_to),
                          quality=RESAMPLE_QUALITY)
        out = np.ascontiguousarray(np.asarray(y, dtype=np.float32).reshape(len(y), -1).T)
    return out[0] if a.ndim == 1 else out


class Resampler:
    """Streaming resampler for `(channels, n)` blocks; concatenated outputs equal one long resample.

    Feed blocks in order with `process(block)`; pass `last=True` with the final block (it may be
    empty) to flush what the filter holds back.
    """

    def __init__(self, sr_from: int, sr_to: int, channels: int) -> None:
        if int(sr_from) <= 0 or int(sr_to) <= 0:
            raise AudioError(f"sample rates must be positive, got {sr_from} -> {sr_to}")
        if int(channels) <= 0:
            raise AudioError(f"channels must be positive, got {channels}")
        self.sr_from = int(sr_from)
        self.sr_to = int(sr_to)
        self.channels = int(channels)
        self._stream = (
            None
            if self.sr_from == self.sr_to
            else soxr.ResampleStream(self.sr_from, self.sr_to, self.channels,
                                     dtype="float32", quality=RESAMPLE_QUALITY)
        )

    def process(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        """Resample the next `(channels, n)` block; returns `(channels, m)` float32."""
        x = _as_2d(block, "block").astype(np.float32, copy=False)
        if x.shape[0] != self.channels:
            raise AudioError(f"block has {x.shape[0]} channels, the resampler {self.channels}")
        if self._stream is None:
            return np.array(x, dtype=np.float32, copy=True)
        y = self._stream.resample_chunk(np.ascontiguousarray(x.T), last=last)
        return np.ascontiguousarray(np.asarray(y, dtype=np.float32).reshape(-1, self.channels).T)


def _norm_exts(exts: Iterable[str] | None) -> tuple[str, ...]:
    if exts is None:
        return AUDIO_EXTS
    if isinstance(exts, str):
        exts = exts.split(",")
    out = []
    for e in exts:
        e = e.strip().lower()
        if e:
            out.append(e if e.startswith(".") else "." + e)
    if not out:
        raise AudioError("the extension filter is empty")
    return tuple(out)


LATENT_WAV = ".latent.wav"


def _matches(p: Path, exts: tuple[str, ...]) -> bool:
    name = p.name.lower()
    if name.endswith(LATENT_WAV) and LATENT_WAV not in exts:
        return False  # a latent audio file is not audio to encode
    return p.is_file() and not name.startswith(".") and name.endswith(exts)


def _walk(folder: Path, exts: tuple[str, ...]) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / f for f in files)
    return sorted(p for p in found if _matches(p, exts))


def find_audio(
    inputs: Iterable[str | os.PathLike], exts: Iterable[str] | None = None
) -> list[Path]:
    """Expand files, folders (recursively) and glob patterns into a list of audio files.

    A file named explicitly is taken whatever its extension; files inside folders and glob
    matches are kept when their extension is in `exts` (default `AUDIO_EXTS`, case-insensitive;
    hidden files and folders, and latent audio files `*.latent.wav` unless `exts` names that
    ending, are skipped). Each input's files come sorted, in input order,
    without duplicates. An input that matches nothing raises `AudioError` naming it.
    """
    wanted = _norm_exts(exts)
    out: list[Path] = []
    seen: set[Path] = set()
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not items:
        raise AudioError("no input files given")
    for item in items:
        text = os.fspath(item)
        p = Path(text).expanduser()
        kind = _kind(p)
        if kind == "file":
            found = [p]
        elif kind == "folder":
            found = _walk(p, wanted)
            if not found:
                raise AudioError(f"{text}: no {', '.join(wanted)} files in this folder")
        elif _GLOB_CHARS & set(text):
            found = []
            for m in sorted(glob.glob(os.path.expanduser(text), recursive=True)):
                mp = Path(m)
                found.extend(_walk(mp, wanted) if mp.is_dir() else [mp] if _matches(mp, wanted)
                             else [])
            if not found:
                raise AudioError(f"{text}: matches no {', '.join(wanted)} files")
        elif kind == "missing":
            raise AudioError(f"{text}: no such file or folder")
        elif kind.startswith("is "):
            raise AudioError(f"{text}: {kind}, not an audio file or folder")
        else:
            raise AudioError(f"{short_path(text)}: {kind}")
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def _kind(p: Path) -> str:
    """"file", "folder", "missing", or what else `p` is (a sentence: "is a named pipe ...")."""
    try:
        st = os.stat(p)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR) and not os.path.islink(p):
            return "missing"
        return os_error_reason(p, err)
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    return "is " + kind_of(st.st_mode)


TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp(?:\.[^./]*)?$")
"""Names of `atomic_output`'s temporary files: `.<target name>.<pid>.<8 hex>.tmp<suffix>`."""


_CLEANED: set[str] = set()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by another user
    return True


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Remove temporary files of `atomic_output` in `folder` whose owner process (the pid in
    the name) is no longer alive, e.g. after a SIGKILL; returns the paths removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = TEMP_PATTERN.match(entry.name)
        if m is None or int(m["pid"]) == os.getpid() or _pid_alive(int(m["pid"])):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is fsynced and renamed onto `path`.

    If the body raises (or the process gets SIGTERM, see `cli.main`), the temporary file is
    removed and `path` is left as it was, so a failed write never leaves a half-written file.
    The temporary name holds the writer's pid (`TEMP_PATTERN`); temporary files in the folder
    whose writer is gone (killed) are removed first (on the process's first write there).
    The temporary name keeps `path`'s last extension (writers that pick the format from it
    keep working). Missing parent folders are created. Overwriting keeps the existing file's
    permission bits.
    """
    target = writable_target(path, AudioError)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AudioError(f"{target}: cannot create folder ({describe_os_error(folder, err)})"
                         ) from None
    key = os.path.realpath(folder)
    if key not in _CLEANED:  # once per folder and process: a batch writes many files there
        _CLEANED.add(key)
        remove_stale_temps(folder)
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{target.suffix}"
    try:
        yield tmp
        if not tmp.exists():
            raise AudioError(f"{target}: nothing was written")
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


_SFC_SET_ADD_PEAK_CHUNK = 0x1050  # libsndfile's sf_command for the PEAK chunk


def open_wav_writer(
    path: str | os.PathLike, sr: int, channels: int, double: bool = False
) -> sf.SoundFile:
    """Open a float WAV for writing (32-bit, or 64-bit with `double`) whose bytes depend only
    on the samples written: libsndfile's PEAK chunk, which holds the time of writing, is off.

    Write to it with `.write(frames_by_channels)` and close it (or use it in `with`).
    """
    f = sf.SoundFile(str(path), "w", samplerate=int(sr), channels=int(channels),
                     subtype="DOUBLE" if double else "FLOAT", format="WAV")
    snd, ffi = getattr(sf, "_snd", None), getattr(sf, "_ffi", None)
    handle = getattr(f, "_file", None)
    if snd is not None and ffi is not None and handle is not None:
        snd.sf_command(handle, _SFC_SET_ADD_PEAK_CHUNK, ffi.NULL, 0)
    return f


def write_wav(path: str | os.PathLike, audio: np.ndarray, sr: int) -> Path:
    """Write `(channels, samples)` (or `(samples,)`) audio as a 32-bit float WAV, atomically.

    Values outside -1..+1 are kept (float WAV). NaN/inf are refused. The same samples give the
    same bytes (no time stamp inside). Returns the path written.
    """
    target = Path(path)
    x = _as_2d(audio).astype(np.float32, copy=False)
    if x.shape[0] < 1:
        raise AudioError(f"{target}: audio has no channels")
    if not np.all(np.isfinite(x)):
        raise AudioError(f"{target}: audio contains NaN or infinite samples")
    if int(sr) <= 0:
        raise AudioError(f"{target}: sample rate must be positive, got {sr}")
    try:
        with atomic_output(target) as tmp:
            with open_wav_writer(tmp, int(sr), x.shape[0]) as f:
                f.write(np.ascontiguousarray(x.T))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise AudioError(f"{target}: cannot write ({err})") from None
    return target
