"""TorchScript models that look like RAVE exports but misbehave, for the error tests.

Each has the attributes and `*_params` buffers of a RAVE export (so it loads without
probing) and breaks in one way: `decode` raises, `decode` returns the wrong shape, `encode`
returns fewer dims than it reports (always, or only for sound: silence passes the check at
load), or it reports an absurd sample rate.
"""

from __future__ import annotations

from pathlib import Path

import torch
from rave_testmodels import save_scripted
from torch import nn


class Broken(nn.Module):
    """sr 44100, ratio 2048, 8 dims, mono; `fault` picks what goes wrong."""

    def __init__(self, fault: str, sr: int = 44100, ratio: int = 2048, dims: int = 8) -> None:
        super().__init__()
        self.fault = fault
        self.sr = sr
        self.ratio = ratio
        self.dims = dims
        self.register_buffer("encode_params", torch.tensor([1, 1, dims, ratio]))
        self.register_buffer("decode_params", torch.tensor([dims, ratio, 1, 1]))
        # a cache buffer: the wrapper takes it for a streaming export and does not probe
        self.register_buffer("cache", torch.zeros(1))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.fault == "encode raises":
            raise RuntimeError("the encoder is broken")
        frames = x.shape[-1] // self.ratio
        dims = self.dims
        if self.fault == "encode dims" or (self.fault == "loud encode dims"
                                           and bool(x.abs().max() > 0)):
            dims = 3
        return torch.zeros(x.shape[0], dims, frames)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if self.fault == "decode raises":
            raise RuntimeError("the decoder is broken")
        if self.fault == "decode shape":
            return torch.zeros(z.shape[0], z.shape[-1])
        return torch.zeros(z.shape[0], 1, z.shape[-1] * self.ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


FAULTS = ("decode raises", "decode shape", "encode raises", "encode dims", "loud encode dims")


def build_broken_model(path: str | Path, fault: str, sr: int = 44100, ratio: int = 2048,
                       dims: int = 8) -> Path:
    """Script a `Broken(fault)` and save it at `path` (fault "" or "none": it works)."""
    return save_scripted(Broken(fault, sr, ratio, dims).eval(), path)


LONG_NAME = "x" * 300
"""A file name longer than any file system allows (NAME_MAX is 255)."""


def make_error_files(folder) -> None:
    """What the survival tests of the REPL and `watch` trip over, in `folder`: a good latent
    `a.npy` (11 × 8), models that report an absurd rate (`sr.ts`), raise on decode
    (`decode_raises.ts`) or decode to the wrong shape (`decode_shape.ts`), a FIFO posing as
    `fifo.npy`, a `.npy` whose header claims 3.2 TB (`huge.npy`), a broken `.npy`
    (`garbage.npy`), and `longname.unr`, a score that loads a file of too long a name."""
    import os

    import numpy as np
    from numpy.lib import format as npformat

    np.save(folder / "a.npy", np.random.default_rng(7).standard_normal((11, 8)).astype("f4"))
    build_broken_model(folder / "sr.ts", "none", sr=2_000_000_000)
    build_broken_model(folder / "decode_raises.ts", "decode raises")
    build_broken_model(folder / "decode_shape.ts", "decode shape")
    os.mkfifo(folder / "fifo.npy")
    (folder / "longname.unr").write_text(f'b = load("{LONG_NAME}.npy")\n')
    with open(folder / "huge.npy", "wb") as fh:
        npformat.write_array_header_1_0(
            fh, {"descr": "<f4", "fortran_order": False, "shape": (100_000_000_000, 8)})
    (folder / "garbage.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
