# SPDX-License-Identifier: Apache-2.0
"""Weight files other than safetensors: PyTorch zip checkpoints and GGUF, read as data.

Each gives the same two things a safetensors header gives: the tensor table (names, dtypes,
shapes) for the weight map, and memory-mappable references for the tensors whose values are
stored plainly (F32, F16, BF16, uncompressed, contiguous), so the weight comparison runs on
them as it runs on safetensors. A legacy (pre-1.6) torch pickle is refused, never loaded.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import gguf, torchzip
from .tensorfile import TensorFileError, TensorRef
from .torchzip import TensorInfo

SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".gguf")


def _magic(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(4)


def read_checkpoint(path: str | os.PathLike) -> tuple[list[TensorInfo], list[TensorRef],
                                                      list[str]]:
    """(tensor table, mappable tensors, per-tensor messages) of one checkpoint file.

    Raises TensorFileError (one line) for a file that is neither format, or damaged."""
    path = Path(path)
    magic = _magic(path)
    if magic == gguf.MAGIC:
        header, skipped = gguf.read_gguf(path)
        return header.tensors, gguf.tensor_refs(path, header), skipped
    if magic == b"PK\x03\x04":
        tensors, skipped = torchzip.read_torch_zip(path)
        return tensors, torchzip.tensor_refs(path, tensors), skipped
    if magic[:1] == b"\x80":
        raise TensorFileError("a legacy PyTorch pickle (before 1.6): attrib never unpickles; "
                              "save it again with torch.save or as safetensors")
    raise TensorFileError("neither a PyTorch zip checkpoint nor a GGUF file")
