"""Models that misbehave are refused with one line naming the model: at load for what they
report (sample rate, ratio, dims, channels) and for a decoder that fails on silence, at the
call for what encode and decode return."""

from __future__ import annotations

import resource

import numpy as np
import pytest
from broken_models import build_broken_model
from rave_testmodels import build_test_model

from unravel_lang.errors import ModelError
from unravel_lang.model import load_model


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")

    def build(fault: str, **kwargs) -> str:
        name = fault.replace(" ", "_") + "".join(f"_{k}{v}" for k, v in kwargs.items())
        return str(build_broken_model(folder / f"{name}.ts", fault, **kwargs))

    return build


def test_a_decoder_that_raises_is_refused_at_load(broken):
    path = broken("decode raises")
    with pytest.raises(ModelError) as info:
        load_model(path)
    said = str(info.value)
    assert said == ("decode_raises.ts: decode failed (RuntimeError: the decoder is broken)")


def test_a_decoder_that_returns_the_wrong_shape_is_refused_at_load(broken):
    # the first decode at load (a probe of a few frames) finds it
    with pytest.raises(ModelError, match=r"^decode_shape\.ts: decode returned shape \(1, (\d)\) "
                                         r"for input \(1, 8, \1\)"):
        load_model(broken("decode shape"))


def test_an_encoder_that_raises_or_misreports_its_dims_is_refused_at_load(broken):
    with pytest.raises(ModelError, match=r"^encode_raises\.ts: encode failed \(RuntimeError: "
                                         r"the encoder is broken\)$"):
        load_model(broken("encode raises"))
    with pytest.raises(ModelError, match=r"^encode_dims\.ts: encode returned 3 latent dims, "
                                         r"but the model reports 8 \(encode_params\)$"):
        load_model(broken("encode dims"))


def test_what_encode_returns_is_checked_at_every_call(broken, tiny):
    model = load_model(broken("loud encode dims"))  # silence, as at load, passes
    audio = np.random.default_rng(0).standard_normal((1, 44100)).astype(np.float32)
    with pytest.raises(ModelError, match=r"^loud_encode_dims\.ts: encode returned 3 latent "
                                         r"dims, but the model reports 8 \(encode_params\)$"):
        model.encode(audio, 44100)
    assert tiny.encode(audio, 44100).shape[1] == 8  # a sound model passes the same checks


@pytest.mark.parametrize(("kwargs", "said"), [
    ({"sr": 2_000_000_000}, "a sample rate of 2,000,000,000 Hz; a RAVE model's is between "
                            "1,000 and 768,000"),
    ({"sr": 10}, "a sample rate of 10 Hz"),
    ({"ratio": 1 << 20}, "a ratio of 1,048,576 samples per latent frame"),
    ({"dims": 100_000}, "a latent size of 100,000 dims"),
])
def test_absurd_geometry_is_refused_before_any_work(broken, kwargs, said):
    path = broken("none", **kwargs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert said in str(info.value) and str(info.value).startswith(path)
    # refused before anything the size of its sample rate was allocated
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 200_000  # kB


def test_absurd_sample_rate_of_a_rave_shaped_model(tmp_path):
    path = build_test_model(tmp_path / "huge_sr.ts", sr=2_000_000_000)
    with pytest.raises(ModelError, match="sample rate of 2,000,000,000 Hz"):
        load_model(path)


def test_a_working_broken_model_stand_in_loads(broken):
    m = load_model(broken("none"))
    assert (m.sr, m.ratio, m.dims) == (44100, 2048, 8)
    assert m.decode(np.ones((3, 8), np.float32)).shape == (1, 3 * 2048)
