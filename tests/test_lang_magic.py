"""The `%%unravel` cell magic and the function behind it."""

from __future__ import annotations

import numpy as np
import pytest

from unravel_lang.engine import track_seed
from unravel_lang.lang import Session
from unravel_lang.magic import run_cell
from unravel_lang.model import load_model
from unravel_lang.plan import Plan
from unravel_lang.render import render


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return load_model(tiny_model_path)


def test_run_cell_renders_what_the_cell_plays(model):
    session = Session(model=model, output=None)
    session.env["a"] = np.linspace(-1, 1, 32, dtype=np.float32).reshape(4, 8)
    result = run_cell(session, "--seed 4", "k 8\nplay a >> reverse(a)\nshow a\nfibo(a)")
    # the cell's first play is the engine's one-shot "play 1", starting at once
    plan = Plan.of(session["a"]).then(Plan.of(session["a"][::-1]))
    expected = render(plan, model, seed=track_seed(4, "play 1"))
    np.testing.assert_array_equal(result.audio, expected)
    assert result.sr == 44100
    assert result.lines[0] == "k=8 → 161.49 BPM"
    assert result.lines[1].startswith("(4, 8) latent array")
    assert result.value.shape == (6, 8)  # fibo of 4 rows: 1 + 2 + 3
    quiet = run_cell(session, "", "b = reverse(a)")
    assert quiet.audio is None and "b" in session.env


def test_bad_magic_options_are_a_user_error(model):
    from unravel_lang.errors import UnravelError

    with pytest.raises(UnravelError, match="usage"):
        run_cell(Session(model=model, output=None), "--nope", "k 8")


def test_the_cell_magic_in_ipython(tiny_model_path, tmp_path, capsys, monkeypatch):
    pytest.importorskip("IPython")
    import IPython.display
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or IPython.get_ipython()
    shell.run_line_magic("load_ext", "unravel_lang.magic")
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    shell.run_cell_magic("unravel", f"--model {tiny_model_path} --seed 1",
                         'x = load("nothing.npy")')
    err = capsys.readouterr().err
    assert "<cell>:1:5: " in err and "nothing.npy" in err and "Traceback" not in err
    assert shown == []
    np.save(tmp_path / "a.npy", np.zeros((3, 8), np.float32))
    shell.run_cell_magic("unravel", "", f'k 4\nb = 2beats\na = load("{tmp_path}/a.npy")\n'
                         "play a")
    assert shell.user_ns["b"] == 8
    assert shell.user_ns["a"].shape == (3, 8)
    (audio,) = shown
    assert isinstance(audio, IPython.display.Audio)
    assert b"RIFF" in audio.data[:4]
