# SPDX-License-Identifier: Apache-2.0
"""Load the tensor table of a model and pair its tensors with another model's.

Pairing goes by exact name, then by a renamed module prefix (``vpm.* -> vision.*``, or a
dropped ``model.``), then by shape. The prefix map is chosen by how many tensor names it
explains, and reported, since a renamed module is itself a sign of disguise.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from .files import ModelFiles, load_json
from .model import Problem
from .tensorfile import MAX_TENSORS, TensorFileError, TensorRef, read_header

MAX_SHARDS = 4096  # the largest published checkpoints have a few hundred
MAX_PREFIX_MAPS = 64  # renamed module prefixes tried, most votes first (a copy renames a few)


def _shards(files: ModelFiles, problems: list[Problem]) -> list[Path]:
    if files.index is None:
        return list(files.weights)
    data, error = load_json(files.index)
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if error or not isinstance(weight_map, dict):
        problems.append((str(files.index), error or "no weight_map object"))
        return list(files.weights)
    names = sorted(set(map(str, weight_map.values())))
    if len(names) > MAX_SHARDS:
        problems.append((str(files.index), f"{len(names)} shards listed; attrib reads the "
                                           f"first {MAX_SHARDS}"))
    shards = []
    pointers = {files.root / p.path for p in files.lfs}  # not fetched: compared as pointers
    for name in names[:MAX_SHARDS]:
        path = files.index.parent / name
        if path in pointers:
            continue
        if _is_file(path) and path.parent == files.index.parent:
            shards.append(path)
        else:
            problems.append((str(files.index), f"shard {name[:200]!r} listed but missing"))
    return shards


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a NUL byte or a name too long for the filesystem
        return False


def read_refs(path: Path) -> tuple[list[TensorRef], list[str]]:
    """The mappable tensors of one weight file: safetensors, PyTorch zip or GGUF."""
    if path.name.endswith(".safetensors"):
        return read_header(path)
    from .checkpoints import read_checkpoint

    _, refs, skipped = read_checkpoint(path)
    return refs, skipped


def load_tensors(files: ModelFiles, problems: list[Problem]) -> dict[str, TensorRef]:
    """Every readable tensor of a model by name; each unreadable file or tensor is a problem."""
    tensors: dict[str, TensorRef] = {}
    shards = _shards(files, problems)
    for path in shards + [c for c in files.checkpoints if c not in shards]:
        try:
            refs, skipped = read_refs(path)
        except (OSError, TensorFileError) as exc:
            problems.append((str(path), str(exc)))
            continue
        problems.extend((str(path), message) for message in skipped)
        if len(tensors) + len(refs) > MAX_TENSORS:
            problems.append((str(path), f"more than {MAX_TENSORS} tensors in the model: "
                                        "this file and the rest are not read"))
            break
        for ref in refs:
            if ref.name in tensors:
                problems.append((str(path), f"tensor {ref.name!r} also in {tensors[ref.name].path}"))
            else:
                tensors[ref.name] = ref
    return tensors


def _splits(name: str):
    parts = name.split(".")
    for i in range(max(1, len(parts) - 1)):  # a suffix of one part ("weight") says nothing
        yield ".".join(parts[:i]), ".".join(parts[i:])


def _rename(name: str, old: str, new: str) -> str | None:
    if old == "":
        return f"{new}.{name}" if new else name
    if name.startswith(old + "."):
        rest = name[len(old) + 1:]
        return f"{new}.{rest}" if new else rest
    return None


def _prefix_votes(a: dict[str, TensorRef], b: dict[str, TensorRef]) -> Counter:
    by_suffix = defaultdict(list)
    for name, ref in b.items():
        for prefix, suffix in _splits(name):
            by_suffix[suffix, ref.shape].append(prefix)
    votes: Counter = Counter()
    for name, ref in a.items():
        for prefix, suffix in _splits(name):
            others = by_suffix.get((suffix, ref.shape), ())
            for other in others if len(others) <= 64 else ():
                if prefix != other:
                    votes[prefix, other] += 1
    return votes


def pair_tensors(a: dict[str, TensorRef], b: dict[str, TensorRef]):
    """Return (pairs of (ref_a, ref_b, how), key map {"old.*": "new.*"}, unpaired a, unpaired b)."""
    pairs = [(a[n], b[n], "name") for n in sorted(set(a) & set(b)) if a[n].shape == b[n].shape]
    left_a = {n: r for n, r in a.items() if n not in b or b[n].shape != r.shape}
    left_b = {n: r for n, r in b.items() if n not in a or a[n].shape != r.shape}
    key_map = {}
    votes = sorted(_prefix_votes(left_a, left_b).items(), key=lambda kv: (-kv[1], kv[0]))
    for (old, new), _ in votes[:MAX_PREFIX_MAPS]:  # each try is a pass over the names
        moved = []
        for n in sorted(left_a):
            m = _rename(n, old, new)
            if m is not None and m in left_b and left_b[m].shape == left_a[n].shape:
                moved.append((n, m))
        if moved:
            key_map[f"{old}.*" if old else "*"] = f"{new}.*" if new else "*"
            pairs += [(left_a.pop(n), left_b.pop(m), "renamed") for n, m in moved]
    by_shape: defaultdict[tuple[int, ...], tuple[list[str], list[str]]] = defaultdict(
        lambda: ([], []))
    for side, left in enumerate((left_a, left_b)):
        for name in sorted(left):
            by_shape[left[name].shape][side].append(name)
    for names_a, names_b in by_shape.values():
        for n, m in zip(names_a, names_b):
            pairs.append((left_a.pop(n), left_b.pop(m), "shape"))
    return pairs, key_map, sorted(left_a), sorted(left_b)
