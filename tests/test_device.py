"""Where models run: `load_model(path, device=...)`, `--device`, `model "x.ts" on "cuda"`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unravel_lang.cli import main
from unravel_lang.errors import ModelError
from unravel_lang.lang import LanguageError, Session
from unravel_lang.model import load_model

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="torch sees a GPU here")


@no_gpu
def test_a_gpu_that_torch_does_not_see_is_one_clear_error(tiny_model_path):
    with pytest.raises(ModelError, match=r"device 'cuda': torch sees no GPU here"):
        load_model(tiny_model_path, device="cuda")


def test_an_unknown_device_is_refused(tiny_model_path):
    with pytest.raises(ModelError, match=r"unknown device 'gpu0': use \"cpu\" or \"cuda\""):
        load_model(tiny_model_path, device="gpu0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU: torch.cuda.is_available()")
def test_a_model_on_the_gpu_decodes_like_on_the_cpu(tiny_model_path):
    z = np.random.default_rng(0).standard_normal((12, 8)).astype(np.float32)
    cpu = load_model(tiny_model_path).decode(z, seed=1)
    gpu = load_model(tiny_model_path, device="cuda").decode(z, seed=1)
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-4)


def test_the_cpu_device_is_the_default_and_can_be_named(tiny_model_path):
    z = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    named = load_model(tiny_model_path, device="CPU")
    assert named.device == "cpu"
    np.testing.assert_array_equal(named.decode(z, seed=1), load_model(tiny_model_path).decode(z))


@no_gpu
def test_the_model_statement_names_the_device_and_the_place(tiny_model_path):
    session = Session(output=None)
    with pytest.raises(LanguageError) as err:
        session.run(f'model "{tiny_model_path}" on "cuda"\nx = 1', "s.unr")
    text = str(err.value)
    assert text.startswith(f"s.unr:1:{len(str(tiny_model_path)) + 13}: device 'cuda'")
    session.run(f'model "{tiny_model_path}" on "cpu"')
    assert session.model.device == "cpu"


def test_only_on_may_follow_a_model(tiny_model_path):
    with pytest.raises(LanguageError, match=r'after the model comes `on "DEVICE"`, got `at`'):
        Session(output=None).run('model default at "cpu"')


@no_gpu
def test_run_device_cuda_without_a_gpu_exits_1_with_one_clear_error(tmp_path, capsys):
    np.save(tmp_path / "z.npy", np.zeros((8, 8), np.float32))
    score = tmp_path / "s.unr"
    score.write_text('a = load("z.npy")\nplay a\n')
    code = main(["run", str(score), "--device", "cuda", "-o", str(tmp_path / "o.wav")])
    err = capsys.readouterr().err
    assert code == 1 and "device 'cuda': torch sees no GPU here" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o.wav").exists()
