"""Discrete exports take codebook indices: detected on load, and a float array played,
exported or decoded through one is noted once, with what the model does with it."""

from __future__ import annotations

import numpy as np
import pytest
from rave_testmodels import build_discrete_model

from unravel_lang.cli import main
from unravel_lang.lang import Session
from unravel_lang.model import load_model

N_CODES = 16


@pytest.fixture(scope="module")
def discrete_path(tmp_path_factory):
    return build_discrete_model(tmp_path_factory.mktemp("discrete") / "discrete.ts",
                                n_codes=N_CODES)


def test_a_discrete_export_is_detected(discrete_path, tiny):
    model = load_model(discrete_path)
    assert model.discrete and model.codebook_size == N_CODES and model.dims == 4
    assert not tiny.discrete and tiny.codebook_size is None
    assert tiny.discrete_note(np.full((3, 8), 0.5, np.float32)) is None


def test_what_the_model_does_with_floats_is_what_the_note_says(discrete_path):
    model = load_model(discrete_path)
    floats = np.random.default_rng(0).normal(7, 9, (12, 4)).astype(np.float32)
    indices = np.trunc(np.clip(floats, 0, N_CODES - 1))
    assert np.array_equal(model.decode(floats, seed=1), model.decode(indices, seed=1))
    note = model.discrete_note(floats)
    assert "takes whole codebook indices 0..15" in note
    assert "clips to 0..15 and then truncates toward 0" in note
    assert model.discrete_note(indices) is None
    codes = model.encode(np.random.default_rng(1).standard_normal(44100).astype(np.float32),
                         44100)
    assert model.discrete_note(codes) is None  # what it encodes is indices


def test_a_session_says_it_once(discrete_path):
    lines: list[str] = []
    session = Session(model=discrete_path, output=lines.append)
    session.env["codes"] = np.random.default_rng(3).integers(0, N_CODES, (8, 4)).astype(
        np.float32)
    session.run("play codes\ntrack t = codes", "s.unr")
    assert lines == []  # indices: nothing to say
    session.run("x = normal(stats(codes), k=8)\nplay x\ntrack u = x | codes\nplay -x", "s.unr")
    notes = [line for line in lines if "discrete model" in line]
    assert len(notes) == 1 and notes[0].startswith("s.unr:2:6: note: discrete.ts is a discrete")


def test_the_decode_command_notes_it_once(discrete_path, tmp_path, capsys):
    for name in ("a", "b"):
        np.save(tmp_path / f"{name}.npy", np.full((8, 4), 2.5, np.float32))
    assert main(["decode", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"),
                 "-m", str(discrete_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("is a discrete model") == 1 and "2.5 at frame 0, dim 0" in err


def test_info_says_a_model_is_discrete(discrete_path, capsys):
    assert main(["info", str(discrete_path)]) == 0
    assert "discrete     yes: latents are codebook indices 0..15" in capsys.readouterr().out
