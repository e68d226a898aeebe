"""What a path is and why it cannot be used, in one line each (no traceback).

`describe_os_error` turns an `OSError` into a sentence naming the path; `regular_file` checks
that a path to read is a plain file (not missing, a folder, a named pipe, a device, a socket
or a symbolic link loop); `writable_target` checks where a file is about to be written.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from unravel_lang.errors import UnravelError

NAME_MAX = 255
"""Longest file or folder name (bytes) on the usual file systems (ext4, APFS, NTFS)."""

_REASONS = {
    errno.ENAMETOOLONG: f"file name too long (a name in the path is over {NAME_MAX} characters)",
    errno.ELOOP: "a symbolic link loop (the links point at each other)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "is a folder",
    errno.ENOENT: "no such file",
    errno.EDQUOT: "disk quota exceeded",
}


def _long_name(path: Path) -> str | None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            return part
    return None


def _file_in_the_way(path: Path) -> Path | None:
    """The first ancestor of `path` that exists and is not a folder, if any."""
    for parent in reversed(path.parents):
        try:
            st = os.stat(parent)
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return parent
    return None


def describe_os_error(path: str | os.PathLike, err: OSError) -> str:
    """`path: <what is wrong>` for an `OSError` raised while using `path`."""
    return f"{short_path(Path(path))}: {os_error_reason(path, err)}"


def os_error_reason(path: str | os.PathLike, err: OSError) -> str:
    """What is wrong with `path`, given the `OSError` using it raised (no path in front)."""
    p = Path(path)
    code = err.errno
    part = _long_name(p)
    if part is not None:
        return f"file name too long ({len(os.fsencode(part))} characters in one name; " \
               f"at most {NAME_MAX})"
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = _file_in_the_way(p)
        if blocker is not None:
            return f"{blocker} is a file, not a folder"
    return _REASONS.get(code) or (err.strerror or str(err)).lower()


def short_path(p: str | os.PathLike) -> str:
    """`p` as text, its middle left out when it is over 80 characters."""
    text = str(p)
    return text if len(text) <= 80 else text[:60] + "…" + text[-16:]


def kind_of(mode: int) -> str:
    """What a file of stat mode `mode` is: "a file", "a folder", "a named pipe (FIFO)", ..."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: str | os.PathLike, error: type[UnravelError] = UnravelError,
                 kind: str = "a file", missing: str | None = None) -> Path:
    """`path` as a Path when it is a regular file (symbolic links followed); else `error`
    saying what it is instead: missing (`missing`, default `<path>: no such file`), a broken
    link, a link loop, a folder, a named pipe, a device, a name too long, ... `kind` names
    what was expected ("an audio file")."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as err:
        if err.errno == errno.ENOENT and os.path.islink(p):
            raise error(f"{p}: a broken symbolic link (to {os.readlink(p)})") from None
        if err.errno == errno.ENOENT and missing is not None:
            raise error(missing) from None
        raise error(describe_os_error(p, err)) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a folder, not {kind}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: is {kind_of(st.st_mode)}, not {kind}")
    return p


def writable_target(path: str | os.PathLike, error: type[UnravelError] = UnravelError) -> Path:
    """Check, before any work, that a file can be created at `path`: no name over
    `NAME_MAX`, no file where a folder is needed, not a folder or special file itself."""
    p = Path(path)
    if _long_name(p) is not None:
        raise error(describe_os_error(p, OSError(errno.ENAMETOOLONG, "File name too long")))
    blocker = _file_in_the_way(p)
    if blocker is not None:
        raise error(f"{p}: {blocker} is a file, not a folder")
    try:
        st = os.stat(p)
    except OSError:
        return p
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a folder; name a file to write")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: is {kind_of(st.st_mode)}, not a file to overwrite")
    return p


def make_parent(path: str | os.PathLike, error: type[UnravelError] = UnravelError) -> Path:
    """Check `path` with `writable_target` and create its missing parent folders."""
    p = writable_target(path, error)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise error(f"{p}: cannot create its folder ({os_error_reason(p.parent, err)})"
                    ) from None
    return p


def describe_error(err: BaseException) -> str:
    """One line for an error of the system under a user's action: an `OSError` names its
    file and what is wrong with it, a `MemoryError` says how much was asked."""
    if isinstance(err, OSError):
        if err.filename is not None:
            return describe_os_error(os.fsdecode(err.filename), err)
        return (err.strerror or str(err)).lower() or type(err).__name__
    if isinstance(err, MemoryError):
        detail = str(err).strip()
        return f"not enough memory ({detail})" if detail else "not enough memory"
    return f"{type(err).__name__}: {err}"
