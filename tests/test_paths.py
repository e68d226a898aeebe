"""What a path is and why it cannot be used, said in one line (`unravel_lang.paths`)."""

from __future__ import annotations

import errno
import os

import pytest

from unravel_lang.errors import UnravelError
from unravel_lang.paths import (
    NAME_MAX,
    describe_error,
    describe_os_error,
    make_parent,
    regular_file,
    writable_target,
)

LONG = "x" * (NAME_MAX + 45)


def test_a_regular_file_passes(tmp_path):
    (tmp_path / "a.npy").write_bytes(b"1")
    assert regular_file(tmp_path / "a.npy") == tmp_path / "a.npy"


@pytest.mark.parametrize(("make", "said"), [
    (lambda d: d / "gone.npy", "gone.npy: no such file"),
    (lambda d: d / f"{LONG}.npy", f"file name too long ({len(LONG) + 4} characters in one name; "
                                  f"at most {NAME_MAX})"),
    (lambda d: (d / "sub").mkdir() or d / "sub", "sub: is a folder, not a file"),
    (lambda d: os.mkfifo(d / "pipe") or d / "pipe", "pipe: is a named pipe (FIFO), not a file"),
    (lambda d: (os.symlink(d / "l2", d / "l1"), os.symlink(d / "l1", d / "l2")) and d / "l1",
     "l1: a symbolic link loop (the links point at each other)"),
    (lambda d: os.symlink(d / "none", d / "dangling") or d / "dangling",
     "dangling: a broken symbolic link (to "),
    (lambda d: (d / "f.wav").touch() or d / "f.wav" / "x.npy",
     "f.wav is a file, not a folder"),
])
def test_what_a_path_is_instead_of_a_file(tmp_path, make, said):
    path = make(tmp_path)
    with pytest.raises(UnravelError) as info:
        regular_file(path)
    assert said in str(info.value) and "\n" not in str(info.value)


def test_a_device_is_named_as_such():
    with pytest.raises(UnravelError, match="/dev/zero: is a character device, not a file"):
        regular_file("/dev/zero")


def test_a_missing_file_can_have_its_own_words(tmp_path):
    with pytest.raises(UnravelError, match="^no score file x.unr$"):
        regular_file(tmp_path / "x.unr", missing="no score file x.unr")


def test_writable_targets(tmp_path):
    (tmp_path / "drums.wav").write_bytes(b"")
    assert writable_target(tmp_path / "new" / "deep" / "x.wav") == tmp_path / "new/deep/x.wav"
    assert writable_target(tmp_path / "drums.wav") == tmp_path / "drums.wav"  # overwrite
    for target, said in [
        (tmp_path / "drums.wav" / "x.npy", f"{tmp_path / 'drums.wav'} is a file, not a folder"),
        (tmp_path / "drums.wav" / "deeper" / "x.npy", "drums.wav is a file, not a folder"),
        (tmp_path / f"{LONG}.wav", "file name too long"),
        (tmp_path, "is a folder; name a file to write"),
        ("/dev/null", "/dev/null: is a character device, not a file to overwrite"),
    ]:
        with pytest.raises(UnravelError) as info:
            writable_target(target)
        assert said in str(info.value), str(info.value)
    make_parent(tmp_path / "made" / "x.wav")
    assert (tmp_path / "made").is_dir()


def test_os_errors_in_one_line(tmp_path):
    err = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.wav"))
    assert describe_error(err) == f"{tmp_path / 'x.wav'}: no space left on the device"
    long_path = tmp_path / f"{LONG}.wav"
    said = describe_os_error(long_path, OSError(errno.ENAMETOOLONG, "File name too long"))
    assert len(said) < 160 and "file name too long" in said  # the long name is shortened
    assert describe_error(MemoryError("Unable to allocate 2.9 TiB")) == \
        "not enough memory (Unable to allocate 2.9 TiB)"
