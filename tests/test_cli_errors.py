"""Bad options, broken models and unusable paths on the command line: one line each, exit
status 2 for an option, 1 otherwise, no traceback, nothing written."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from broken_models import build_broken_model
from numpy.lib import format as npformat

from unravel_lang.cli import main
from unravel_lang.paths import NAME_MAX

LONG = "x" * (NAME_MAX + 45)


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A folder holding a score, a latent array, an audio file and the odd files."""
    import soundfile as sf

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((6, 8)).astype(np.float32))
    (tmp_path / "audio").mkdir()
    sf.write(tmp_path / "audio" / "drums.wav", 0.1 * rng.standard_normal(4096), 44100)
    (tmp_path / "s.unr").write_text('a = load("a.npy")\nplay a\n')
    os.mkfifo(tmp_path / "fifo.npy")
    os.symlink(tmp_path / "loop2.npy", tmp_path / "loop1.npy")
    os.symlink(tmp_path / "loop1.npy", tmp_path / "loop2.npy")
    return tmp_path


def one_line_error(capsys, code: int, expected: int = 1) -> str:
    err = capsys.readouterr().err
    assert code == expected, err
    lines = [line for line in err.splitlines() if line.startswith("unravel")]
    assert "Traceback" not in err and lines, err
    return lines[-1]


def run_main(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as stop:  # argparse refuses an option
        return int(stop.code)


@pytest.mark.parametrize("args", [
    ["run", "--seed", "-1", "s.unr"],
    ["repl", "--seed", "-1"],
    ["watch", "--seed", "-1", "s.unr"],
    ["watch", "--interval", "-1", "s.unr"],
    ["watch", "--interval", "0", "s.unr"],
    ["watch", "--interval", "nan", "s.unr"],
    ["decode", "--max-frames", "0", "a.npy"],
])
def test_options_out_of_range_are_refused_at_the_option(place, capsys, args):
    code = run_main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1, err
    option = args[1]
    assert err.startswith(f"unravel {args[0]}: error: argument {option}: ")


def test_seeds_in_range_are_taken(place, capsys, tiny_model_path):
    assert run_main(["run", "s.unr", "--seed", str(2**64 - 1), "-m", str(tiny_model_path)]) == 0


@pytest.mark.parametrize(("fault", "said"), [
    ("decode raises", "decode failed (RuntimeError: the decoder is broken)"),
    ("decode shape", "decode returned shape (1, 3) for input (1, 8, 3)"),
    ("encode raises", "encode failed (RuntimeError: the encoder is broken)"),
    ("encode dims", "encode returned 3 latent dims, but the model reports 8"),
])
@pytest.mark.parametrize("command", ["info", "encode", "decode"])
def test_broken_models_name_themselves_in_one_line(place, capsys, command, fault, said):
    model = build_broken_model(place / f"{fault.replace(' ', '_')}.ts", fault)
    args = {"info": ["info", str(model)],
            "encode": ["encode", "audio/drums.wav", "-m", str(model), "-o", "out"],
            "decode": ["decode", "a.npy", "-m", str(model), "-o", "out"]}[command]
    line = one_line_error(capsys, run_main(args))
    assert line == f"unravel: error: {model.name}: {said}" or \
        line.startswith(f"unravel: error: {model.name}: {said}"), line
    assert not (place / "out").exists()


def test_an_encoder_that_misreports_its_dims_on_sound_skips_the_file(place, capsys):
    model = build_broken_model(place / "dims.ts", "loud encode dims")
    code = run_main(["encode", "audio/drums.wav", "-m", str(model), "-o", "out"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "skipped audio/drums.wav: dims.ts: encode returned 3 latent dims, but the model " \
           "reports 8" in err
    assert not list((place / "out").glob("*.npy"))


def test_a_model_with_an_absurd_sample_rate_is_refused(place, capsys):
    model = build_broken_model(place / "sr.ts", "none", sr=2_000_000_000)
    line = one_line_error(capsys, run_main(["encode", "audio/drums.wav", "-m", str(model)]))
    assert "sample rate of 2,000,000,000 Hz" in line


def test_a_npy_header_claiming_terabytes_is_refused_before_reading(place, capsys):
    with open(place / "huge.npy", "wb") as fh:
        npformat.write_array_header_1_0(
            fh, {"descr": "<f4", "fortran_order": False, "shape": (100_000_000_000, 8)})
        fh.write(b"\0" * 65)
    assert (place / "huge.npy").stat().st_size == 193
    code = run_main(["decode", "huge.npy"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "MemoryError" not in err
    assert ("the header says shape (100000000000, 8) (3.2 TB) but the file holds 65 bytes "
            "of data") in err
    (place / "s2.unr").write_text('a = load("huge.npy")\n')
    line = one_line_error(capsys, run_main(["check", "s2.unr"]))
    assert "s2.unr:1:5: load:" in line and "3.2 TB" in line


@pytest.mark.parametrize("args", [
    ["encode", f"{LONG}.wav"],
    ["decode", f"{LONG}.npy"],
    ["check", f"{LONG}.unr"],
    ["run", "s.unr", "-o", f"{LONG}.wav"],
])
def test_a_name_over_255_characters_is_one_line(place, capsys, args):
    line = one_line_error(capsys, run_main(args))
    assert f"file name too long ({len(LONG) + 4} characters in one name; at most 255)" in line


@pytest.mark.parametrize("call", ["load", "encode"])
def test_a_long_name_in_a_score_is_placed(place, capsys, call):
    (place / "long.unr").write_text(f'a = {call}("{LONG}.npy")\n')
    line = one_line_error(capsys, run_main(["check", "long.unr"]))
    assert line.startswith(f"unravel: error: long.unr:1:5: {call}: ")
    assert "file name too long" in line


def test_a_file_where_a_folder_should_be(place, capsys):
    (place / "exp.unr").write_text('a = load("a.npy")\nexport a "audio/drums.wav/x.npy"\n')
    line = one_line_error(capsys, run_main(["run", "exp.unr"]))
    assert line == ("unravel: error: exp.unr:2:1: audio/drums.wav/x.npy: audio/drums.wav is a "
                    "file, not a folder")
    line = one_line_error(capsys, run_main(["run", "s.unr", "-o", "audio/drums.wav/x.wav"]))
    assert line == "unravel: error: audio/drums.wav/x.wav: audio/drums.wav is a file, not a folder"
    assert (place / "audio" / "drums.wav").is_file()


@pytest.mark.parametrize(("name", "said"), [
    ("/dev/zero", "is a character device"),
    ("fifo.npy", "is a named pipe (FIFO)"),
    ("loop1.npy", "a symbolic link loop"),
])
@pytest.mark.parametrize("how", ["decode", "encode", "load"])
def test_special_files_are_said_to_be_what_they_are(place, capsys, name, said, how):
    if how == "load":
        (place / "sp.unr").write_text(f'a = load("{name}")\n')
        line = one_line_error(capsys, run_main(["check", "sp.unr"]))
    else:
        line = one_line_error(capsys, run_main([how, name]))
    assert said in line and "no such file" not in line, line


def test_a_stats_file_with_a_malformed_field(place, capsys):
    from unravel_lang.stats import stats

    data = stats(np.load(place / "a.npy")).to_dict()
    data["cov"] = "evil"
    (place / "st.json").write_text(json.dumps(data))
    for args in (["plot", "st.json", "--text"], ["plot", "st.json", "-o", "x.png"]):
        line = one_line_error(capsys, run_main(args))
        assert line == ("unravel: error: stats file has a malformed field 'cov': expected a "
                        'matrix of numbers, got "evil"')
    assert not (place / "x.png").exists()
