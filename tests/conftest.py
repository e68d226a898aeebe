"""Shared fixtures: tiny RAVE-shaped TorchScript models built on the fly, genuine exports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rave_testmodels import build_test_model

REPO = Path(__file__).resolve().parent.parent
GENUINE_FILES = ("v2_batch.ts", "v2_streaming.ts")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """Streaming, deterministic decoder: sr 44100, ratio 2048, 8 dims, mono."""
    return build_test_model(tmp_path_factory.mktemp("models") / "tiny.ts")


@pytest.fixture(scope="session")
def noisy_model_path(tmp_path_factory) -> Path:
    """Streaming, variational-like: 8 dims in and out, decode adds 8 dims of torch.randn noise."""
    return build_test_model(tmp_path_factory.mktemp("models") / "noisy.ts", noise_dims=8, seed=1)


@pytest.fixture(scope="session")
def batch_model_path(tmp_path_factory) -> Path:
    """Non-streaming (zero padding on every call), deterministic: sr 44100, ratio 2048, 8 dims."""
    return build_test_model(tmp_path_factory.mktemp("models") / "batch.ts", streaming=False, seed=2)


@pytest.fixture(scope="session")
def rows_model_path(tmp_path_factory) -> Path:
    """Streaming, variational-like, with 16 batch rows in its caches (batches voices)."""
    return build_test_model(tmp_path_factory.mktemp("models") / "rows.ts", noise_dims=8,
                            seed=3, rows=16)


@pytest.fixture(scope="module")
def rows(rows_model_path):
    """The batching variational model, loaded (one per test module)."""
    from unravel_lang.model import load_model

    return load_model(rows_model_path)


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    """The tiny streaming model, loaded (one per test module)."""
    from unravel_lang.model import load_model

    return load_model(tiny_model_path)


@pytest.fixture(scope="module")
def noisy(noisy_model_path):
    """The variational-like model, loaded (one per test module)."""
    from unravel_lang.model import load_model

    return load_model(noisy_model_path)


@pytest.fixture(scope="session")
def genuine_model_dir() -> Path:
    """Folder of genuine RAVE v2 exports ($UNRAVEL_RAVE_MODELS, default .cache/rave-models)."""
    folder = Path(os.environ.get("UNRAVEL_RAVE_MODELS", REPO / ".cache" / "rave-models"))
    missing = [name for name in GENUINE_FILES if not (folder / name).is_file()]
    if missing:
        pytest.skip(
            f"genuine RAVE exports missing in {folder}: {', '.join(missing)} "
            "(build them with make-rave-models, or set UNRAVEL_RAVE_MODELS)"
        )
    return folder
