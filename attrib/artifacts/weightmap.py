# SPDX-License-Identifier: Apache-2.0
"""Compare two models' parameter-name structures, and their Git LFS pointers, with no tensor data.

A clone of a model repository holds ``*.safetensors.index.json`` (every parameter name and its
shard) and LFS pointers (each weight file's sha256 and size), not the weights. That is enough to
see a disguise: the upstream's parameter set under a renamed module prefix (``vpm.* ->
vison.*``), whole modules with identical parameter sets, and weight files of exactly the
upstream's sizes with other bytes, the signature of a copy with noise added.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from .files import LfsPointer, ModelFiles, load_json
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, SAME_LAYOUT, Problem, Section
from .checkpoints import read_checkpoint
from .tensorfile import MAX_TENSORS, TensorFileError, read_header

Shape = tuple[int, ...] | None  # None: named in an index file, shape unknown
DERIVED_SCORE = 0.9       # share of parameters explained by exact names and renamed prefixes
MAX_CANDIDATES = 64       # prefixes of one suffix tried (repeated blocks make many)
MAX_RENAMES = 64
MAX_LISTED = 20


def read_structure(files: ModelFiles, problems: list[Problem]) -> dict[str, Shape]:
    """Parameter names (and shapes where a safetensors header gives them) of one model."""
    names: dict[str, Shape] = {}
    if files.index is not None:
        data, error = load_json(files.index)
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if error or not isinstance(weight_map, dict):
            problems.append((str(files.index), error or "no weight_map object"))
        else:
            if len(weight_map) > MAX_TENSORS:
                problems.append((str(files.index), f"{len(weight_map)} names: attrib reads the "
                                                   f"first {MAX_TENSORS}"))
            for name in list(weight_map)[:MAX_TENSORS]:
                names[str(name)[:1000]] = None
    for path in files.weights:
        try:
            refs, _ = read_header(path)
        except (OSError, TensorFileError):
            continue  # the weights section records why
        for ref in refs[:max(0, MAX_TENSORS - len(names))]:
            names[ref.name] = ref.shape
    for path in files.checkpoints:  # every tensor counts here, quantised ones too
        try:
            infos, _, _ = read_checkpoint(path)
        except (OSError, TensorFileError):
            continue  # the weights section records why
        for info in infos[:max(0, MAX_TENSORS - len(names))]:
            names[info.name] = info.shape
    return names


def _splits(name: str):
    parts = name.split(".")
    for i in range(1, max(1, len(parts) - 1)):  # a prefix of one part at least, a suffix of two
        yield ".".join(parts[:i]), ".".join(parts[i:])


def _fits(x: Shape, y: Shape) -> bool:
    return x is None or y is None or x == y


def find_renames(left_a: dict[str, Shape], left_b: dict[str, Shape]):
    """Prefix renames explaining the most names, and the (name_a, name_b) pairs they explain."""
    by_suffix = defaultdict(list)
    for name in left_b:
        for prefix, suffix in _splits(name):
            by_suffix[suffix].append(prefix)
    votes: Counter = Counter()
    for name in left_a:
        for prefix, suffix in _splits(name):
            others = by_suffix.get(suffix, ())
            for other in others if len(others) <= MAX_CANDIDATES else ():
                if other != prefix:
                    votes[prefix, other] += 1
    renames, pairs = {}, []
    for (old, new), _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_RENAMES]:
        moved = [(n, new + n[len(old):]) for n in left_a if n.startswith(old + ".")]
        moved = [(n, m) for n, m in moved if m in left_b and _fits(left_a[n], left_b[m])]
        if len(moved) >= 2 or (moved and len(left_a) == 1):
            key = f"{old}.*"  # a module split in two keeps both targets
            renames[key] = f"{renames[key]} | {new}.*" if key in renames else f"{new}.*"
            for n, m in moved:
                pairs.append((n, m))
                del left_a[n], left_b[m]
    return renames, pairs


def _modules(names: dict[str, Shape]) -> dict[str, frozenset]:
    """Each module prefix -> its whole parameter set (suffix, shape)."""
    members = defaultdict(set)
    for name, shape in names.items():
        for prefix, suffix in _splits(name):
            members[prefix].add((suffix, shape))
    return {m: frozenset(s) for m, s in members.items() if len(s) >= 2}


def identical_subtrees(a: dict[str, Shape], b: dict[str, Shape], renames: dict[str, str]):
    """Modules of A whose whole parameter set B has under the same or the renamed name."""
    mods_a, mods_b = _modules(a), _modules(b)
    rename = [(k[:-2], v.split(" | ")[0][:-2]) for k, v in renames.items()]
    matched = {}
    for mod, sig in mods_a.items():
        target = next((new + mod[len(old):] for old, new in rename
                       if mod == old or mod.startswith(old + ".")), mod)
        if mods_b.get(target) == sig:
            matched[mod] = target
    top = [m for m in sorted(matched) if not any(m.startswith(p + ".") for p in matched if p != m)]
    return [{"a": m, "b": matched[m], "parameters": len(mods_a[m])} for m in top]


def compare_structures(a: dict[str, Shape], b: dict[str, Shape]) -> dict:
    common = set(a) & set(b)
    left_a = {n: s for n, s in a.items() if n not in common}
    left_b = {n: s for n, s in b.items() if n not in common}
    renames, renamed = find_renames(left_a, left_b)
    pairs = [(n, n) for n in sorted(common)] + renamed
    shapes = [(a[x], b[y]) for x, y in pairs if a[x] is not None and b[y] is not None]
    differ = [f"{x}: {list(a[x])} vs {list(b[y])}" for x, y in pairs
              if a[x] is not None and b[y] is not None and a[x] != b[y]]
    total = len(pairs) + len(left_a) + len(left_b)
    return {"parameters": [len(a), len(b)], "same_name": len(common), "renamed": len(renamed),
            "key_map": renames, "score": round(len(pairs) / total, 4) if total else 0.0,
            "shapes_compared": len(shapes), "shapes_differ": differ[:MAX_LISTED],
            "shapes_differ_count": len(differ),
            "missing_in_b": sorted(left_a)[:MAX_LISTED], "missing_count": len(left_a),
            "extra_in_b": sorted(left_b)[:MAX_LISTED], "extra_count": len(left_b),
            "identical_subtrees": identical_subtrees(a, b, renames)[:MAX_LISTED]}


def compare_weight_maps(files_a: ModelFiles, files_b: ModelFiles) -> Section:
    problems: list[Problem] = []
    a, b = read_structure(files_a, problems), read_structure(files_b, problems)
    if not a or not b:
        return Section("weight_map", ABSENT if not (a or b) else INDEPENDENT,
                       "" if not (a or b) else "one side has no parameter names", {},
                       tuple(problems))
    return weight_map_section(compare_structures(a, b), problems)


def weight_map_section(figures: dict, problems: list[Problem] | tuple = ()) -> Section:
    """The verdict on two parameter-name structures (:func:`compare_structures` figures)."""
    clean = not figures["shapes_differ_count"]
    exact = figures["score"] == 1.0 and clean
    if exact and not figures["key_map"]:
        verdict, detail = IDENTICAL, ("same parameter names" + (" and shapes" if
                                      figures["shapes_compared"] else "")
                                      + ": the same architecture, weak evidence alone")
    elif figures["key_map"] and figures["score"] >= DERIVED_SCORE and clean:
        renames = ", ".join(f"{k} -> {v}" for k, v in figures["key_map"].items())
        verdict, detail = DERIVED, (f"the same parameter set with renamed prefixes ({renames});"
                                    f" {figures['score']:.0%} of names explained")
    else:
        verdict, detail = INDEPENDENT, f"{figures['score']:.0%} of parameter names shared"
    return Section("weight_map", verdict, detail, figures, tuple(problems))


# -- Git LFS pointers ----------------------------------------------------------------------

def _pair_pointers(a: tuple[LfsPointer, ...], b: tuple[LfsPointer, ...]):
    by_path = {p.path: p for p in b}
    by_name = {Path(p.path).name: p for p in b}
    pairs, used = [], set()
    for p in a:
        q = by_path.get(p.path) or by_name.get(Path(p.path).name)
        if q is not None and q.path not in used:
            pairs.append((p, q))
            used.add(q.path)
    return pairs


def compare_lfs(files_a: ModelFiles, files_b: ModelFiles) -> Section:
    a, b = files_a.lfs, files_b.lfs
    if not a or not b:
        return Section("lfs", ABSENT if not (a or b) else INDEPENDENT,
                       "" if not (a or b) else "LFS pointers on one side only")
    oids_b = {p.oid for p in b}
    same_oid = sorted(p.path for p in a if p.oid in oids_b)
    pairs = _pair_pointers(a, b)
    same_size = [p.path for p, q in pairs if p.size == q.size and p.oid != q.oid]
    sizes_equal = sorted(p.size for p in a) == sorted(q.size for q in b)
    figures = {"pointers": [len(a), len(b)], "identical_files": same_oid[:MAX_LISTED],
               "identical_count": len(same_oid), "same_size_other_bytes": same_size[:MAX_LISTED],
               "sizes_equal": sizes_equal, "bytes": [sum(p.size for p in a), sum(q.size for q in b)]}
    if len(same_oid) == len(a) == len(b):
        return Section("lfs", IDENTICAL, "identical files (same sha256)", figures)
    if same_oid:
        return Section("lfs", DERIVED, f"{len(same_oid)} of {len(a)} files identical "
                                       "(same sha256)", figures)
    if sizes_equal:
        return Section("lfs", SAME_LAYOUT, "same layout, other bytes: every file the same "
                                           "size, no file identical", figures)
    return Section("lfs", INDEPENDENT, "other files and sizes", figures)
