# SPDX-License-Identifier: Apache-2.0
"""Find the artifacts of a model: a Hugging Face style directory, or one file."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceError
from .jsonbounds import JsonBoundError, loads_bounded, read_bounded

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                   "special_tokens_map.json")
INDEX_FILE = "model.safetensors.index.json"


@dataclass(frozen=True)
class ModelFiles:
    """The artifact files of one model; ``tokenizer`` maps a file name to its path."""

    root: Path
    config: Path | None
    tokenizer: dict[str, Path]
    sentencepiece: tuple[Path, ...]
    weights: tuple[Path, ...]
    index: Path | None


def locate(path: str | Path) -> ModelFiles:
    """The artifacts under ``path`` (a directory) or the one artifact ``path`` is."""
    root = Path(path)
    if not root.exists():
        raise SourceError(f"{root}: no such model directory or file")
    files = [root] if root.is_file() else sorted(p for p in root.iterdir() if p.is_file())
    named = {p.name: p for p in files}
    config = named.get("config.json")
    if root.is_file() and root.suffix == ".json" and root.name not in TOKENIZER_FILES:
        config = config or (root if root.name != INDEX_FILE else None)
    index = named.get(INDEX_FILE)
    return ModelFiles(
        root=root, config=config,
        tokenizer={n: named[n] for n in TOKENIZER_FILES if n in named},
        sentencepiece=tuple(p for p in files if p.suffix == ".model"),
        weights=tuple(p for p in files if p.suffix == ".safetensors"),
        index=index)


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
