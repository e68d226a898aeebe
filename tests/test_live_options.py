"""The options of a live session (`live/options.py`), built once from the command line."""

from __future__ import annotations

import dataclasses

import pytest

from unravel_lang.cli import build_parser
from unravel_lang.commands.options import live_options
from unravel_lang.errors import UnravelError
from unravel_lang.live.options import LiveOptions


def options(*argv: str) -> LiveOptions:
    return live_options(build_parser().parse_args(list(argv)))


@pytest.mark.parametrize("command", [["repl"], ["watch", "s.unr"]])
def test_repl_and_watch_build_the_same_options_from_the_same_arguments(command):
    argv = ["--model", "m.ts", "--seed", "7", "--device", "cuda", "--listen-host", "0.0.0.0",
            "--view-address", "8123", "--link", "--out-dir", "out", "--allow-write", "a",
            "--allow-write", "b"]
    assert options(*command, *argv) == LiveOptions(
        model="m.ts", seed=7, device="cuda", listen=9001, listen_host="0.0.0.0", view="8123",
        link=True, out_dir="out", allow_write=("a", "b"))
    assert options(*command) == LiveOptions()  # the defaults are the same as the commands'


def test_the_options_are_frozen_and_keep_no_list():
    allowed = ["a"]
    made = LiveOptions(allow_write=allowed)
    allowed.append("b")
    assert made.allow_write == ("a",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.link = True  # type: ignore[misc]


@pytest.mark.parametrize("argv, why", [
    (["repl", "--listen", "70000"], "--listen: a port is 0 to 65535, got 70000"),
    (["watch", "s.unr", "--view-address", "nowhere:x"], "nowhere:x"),
])
def test_bad_options_are_one_line_errors(argv, why):
    with pytest.raises(UnravelError, match=why):
        options(*argv)
