# SPDX-License-Identifier: Apache-2.0
"""Find the artifacts of a model anywhere in a tree, or take the one file given.

Real copies scatter them: ``config.json`` and the tokenizer in a package folder, the weight map
at the root, the weights as Git LFS pointers. The walk is bounded (folders, depth, files per
folder), follows no symlinks and skips hidden folders (``.git``); each kind of artifact is then
taken from the shallowest folder that has it, so one tree gives one model.
"""
from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .jsonbounds import JsonBoundError, loads_bounded, read_bounded

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                   "special_tokens_map.json")
INDEX_FILE = "model.safetensors.index.json"
INDEX_SUFFIX = ".safetensors.index.json"
TORCH_INDEX_SUFFIX = ".bin.index.json"  # pytorch_model.bin.index.json: the same weight_map
CHECKPOINT_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".gguf")  # read as data: checkpoints.py
CONFIG_FILES = ("config.json", "generation_config.json")
# Weight files a repository keeps in Git LFS; a pointer is a ~130-byte text file (git-lfs spec v1).
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".model", ".onnx",
                ".h5", ".msgpack", ".npz")
LFS_MAX_BYTES = 1024  # the spec: pointers are < 1024 bytes
LFS_HEAD = b"version https://git-lfs.github.com/spec/v1"
_LFS_LINE = re.compile(rb"^(oid sha256:(?P<oid>[0-9a-f]{64})|size (?P<size>[0-9]{1,20}))$")

MAX_DIRS = 2000        # folders walked; a model repository has a handful
MAX_DEPTH = 8
MAX_FILES_PER_DIR = 5000
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


@dataclass(frozen=True)
class LfsPointer:
    """A Git LFS pointer file: the sha256 and size of the real file it stands for."""

    path: str  # relative to the model root
    oid: str
    size: int


@dataclass(frozen=True)
class ModelFiles:
    """The artifact files of one model; ``tokenizer`` maps a file name to its path."""

    root: Path
    config: Path | None
    tokenizer: dict[str, Path]
    sentencepiece: tuple[Path, ...]
    weights: tuple[Path, ...]
    index: Path | None
    lfs: tuple[LfsPointer, ...] = ()
    generation_config: Path | None = None
    checkpoints: tuple[Path, ...] = ()  # PyTorch zip and GGUF files (not LFS pointers)
    folders: tuple[str, ...] = ()  # folders holding artifacts, relative to root ("." = root)
    problems: tuple[tuple[str, str], ...] = field(default=())

    @property
    def found(self) -> bool:
        return bool(self.config or self.tokenizer or self.sentencepiece or self.weights
                    or self.index or self.lfs or self.checkpoints)


def _kind(name: str) -> str | None:
    if name in CONFIG_FILES:
        return name
    if name in TOKENIZER_FILES or name.startswith("vocab."):
        return "tokenizer"
    if name.endswith((INDEX_SUFFIX, TORCH_INDEX_SUFFIX)):
        return "index"
    if name.endswith(".safetensors"):
        return "weights"
    if name.endswith(".model"):
        return "sentencepiece"
    if name.endswith(CHECKPOINT_SUFFIXES):
        return "checkpoint"
    if name.endswith(LFS_SUFFIXES):
        return "other-weights"
    return None


def read_lfs_pointer(path: Path, size: int) -> tuple[str, int] | None:
    """(oid, size) when ``path`` is a Git LFS pointer, else None (never reads more than 1 KB)."""
    if size >= LFS_MAX_BYTES:
        return None
    try:
        with open(path, "rb") as fh:
            raw = fh.read(LFS_MAX_BYTES)
    except OSError:
        return None
    if not raw.startswith(LFS_HEAD):
        return None
    oid, length = None, None
    for line in raw.splitlines()[1:]:
        if m := _LFS_LINE.match(line.strip()):
            oid = m["oid"].decode() if m["oid"] else oid
            length = int(m["size"]) if m["size"] else length
    return (oid, length) if oid and length is not None else None


def _walk(root: Path, problems: list) -> dict[str, list[os.DirEntry]]:
    """Artifact files by folder (relative path), bounded, no symlinks, no hidden folders."""
    found: dict[str, list[os.DirEntry]] = {}
    queue, seen = deque([(root, ".", 0)]), 0
    while queue:
        folder, rel, depth = queue.popleft()  # breadth first: the shallowest folders first
        seen += 1
        if seen > MAX_DIRS:
            problems.append((str(root), f"more than {MAX_DIRS} folders: the rest not searched "
                                        "for model files"))
            break
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)[:MAX_FILES_PER_DIR]
        except OSError as exc:
            problems.append((str(folder), f"unreadable: {exc.strerror or exc}"))
            continue
        for e in entries:
            try:
                if e.is_symlink():
                    continue
                if e.is_dir() and depth < MAX_DEPTH and not e.name.startswith(".") \
                        and e.name not in SKIP_DIRS:
                    queue.append((Path(e.path), e.name if rel == "." else f"{rel}/{e.name}",
                                  depth + 1))
                elif e.is_file() and _kind(e.name):
                    found.setdefault(rel, []).append(e)
            except OSError:
                continue
    return found


def locate(path: str | os.PathLike) -> ModelFiles:
    """The artifacts under ``path`` (a tree) or the one artifact ``path`` is."""
    root = Path(path)
    if not root.exists():
        raise SourceError(f"{root}: no such model directory or file")
    if root.is_file():
        return _single(root)
    problems: list = []
    by_folder = _walk(root, problems)
    lfs, real = [], {}
    for rel, entries in by_folder.items():
        for e in entries:
            pointer = _pointer(e) if e.name.endswith(LFS_SUFFIXES) else None
            if pointer:
                lfs.append(LfsPointer(e.name if rel == "." else f"{rel}/{e.name}", *pointer))
            else:
                real.setdefault(rel, []).append(Path(e.path))

    def first(kind: str) -> list[Path]:
        for rel in sorted(real, key=lambda r: (r != ".", r.count("/"), r)):
            if hits := [p for p in real[rel] if _kind(p.name) == kind]:
                return hits
        return []

    indexes = first("index")
    index = next((p for p in indexes if p.name == INDEX_FILE), indexes[0] if indexes else None)
    weights = [p for p in real.get(_rel(root, index), []) if _kind(p.name) == "weights"] \
        if index else first("weights")
    tok = first("tokenizer")
    return ModelFiles(
        root=root, config=next(iter(first("config.json")), None),
        tokenizer={p.name: p for p in tok}, sentencepiece=tuple(first("sentencepiece")),
        weights=tuple(weights), index=index, lfs=tuple(sorted(lfs, key=lambda x: x.path)),
        generation_config=next(iter(first("generation_config.json")), None),
        checkpoints=tuple(first("checkpoint")),
        folders=tuple(sorted(set(real) | {p.path.rsplit("/", 1)[0] if "/" in p.path else "."
                                          for p in lfs})),
        problems=tuple(problems))


def _pointer(entry: os.DirEntry) -> tuple[str, int] | None:
    try:
        return read_lfs_pointer(Path(entry.path), entry.stat(follow_symlinks=False).st_size)
    except OSError:  # gone since the walk
        return None


def _rel(root: Path, path: Path) -> str:
    rel = path.parent.relative_to(root).as_posix()
    return "." if rel in ("", ".") else rel


def _single(root: Path) -> ModelFiles:
    kind = _kind(root.name)
    config = root if kind == "config.json" or (
        root.suffix == ".json" and kind is None) else None
    pointer = read_lfs_pointer(root, root.stat().st_size) if root.name.endswith(LFS_SUFFIXES) \
        else None
    return ModelFiles(
        root=root, config=config,
        tokenizer={root.name: root} if kind == "tokenizer" else {},
        sentencepiece=(root,) if kind == "sentencepiece" and not pointer else (),
        checkpoints=(root,) if kind == "checkpoint" and not pointer else (),
        weights=(root,) if kind == "weights" and not pointer else (),
        index=root if kind == "index" else None,
        lfs=(LfsPointer(root.name, *pointer),) if pointer else (), folders=(".",))


def load_json(path: Path) -> tuple[object, str | None]:
    """Parsed JSON, or None and the one-line reason it could not be read (bounded: see
    :mod:`.jsonbounds`)."""
    try:
        return loads_bounded(read_bounded(path)), None
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    except JsonBoundError as exc:
        return None, str(exc)


def load_object(path: Path | None, problems: list) -> dict | None:
    """A JSON object from ``path``, or None with a (path, why) problem recorded."""
    if path is None:
        return None
    data, error = load_json(path)
    if error is None and not isinstance(data, dict):
        error = f"not a JSON object (a {type(data).__name__})"
    if error or not isinstance(data, dict):
        problems.append((str(path), error or "not a JSON object"))
        return None
    return data
