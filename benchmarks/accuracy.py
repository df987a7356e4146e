# SPDX-License-Identifier: Apache-2.0
"""Function-level precision and recall of attrib, beside copydetect.

Upstream corpus: N real files of the standard library.  Suspects: the same
files disguised by ``disguise.py`` at each level, with ground truth.
Negatives: real files of unrelated installed packages (click, yaml, pygments,
gitpython), which must not match.  Both tools see the same trees; their
output is reduced to matches (suspect span -> upstream file and span) and
scored by the same rules (see the "Accuracy" section of benchmarks/README.md).

    python benchmarks/accuracy.py [--files N] [--seed S] [--levels rename,edit10,edit25,rewrite]
                                  [--attrib attrib] [--no-copydetect] [--json out.json]
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import disguise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

TARGET_RECALL = {"rename": 0.97, "edit10": 0.95, "edit25": 0.95, "rewrite": 0.95}
TARGET_PRECISION = 0.98
NEGATIVE_PACKAGES = ("click", "yaml", "pygments", "git")
MIN_FILE_LINES, MAX_FILE_LINES = 80, 1500
MIN_CLAIM_LINES = 6
TEST_DIRS = {"test", "tests", "idle_test", "testing", "site-packages", "__pycache__"}
# encodings: generated near-duplicates (codec tables), so which one a copy "came from" is
# undecidable
EXCLUDED_DIRS = {"encodings"}


# --------------------------------------------------------------------------
# records

@dataclass(frozen=True)
class Match:
    """What either tool claims: a suspect span derives from an upstream span."""

    path: str
    start_line: int
    end_line: int
    upstream_path: str
    upstream_start_line: int
    upstream_end_line: int
    similarity: float


@dataclass
class Score:
    positives: int = 0
    found: int = 0
    claims: int = 0
    correct: int = 0
    files: int = 0
    files_found: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.found / self.positives if self.positives else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.claims if self.claims else None

    @property
    def file_recall(self) -> float | None:
        return self.files_found / self.files if self.files else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(recall=self.recall, precision=self.precision, file_recall=self.file_recall)
        data["missed"], data["wrong"] = self.missed[:40], self.wrong[:40]
        return data


@dataclass
class ToolRun:
    """One tool on one tree: its matches, wall time and, on failure, the error."""

    matches: list[Match] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    flagged_pairs: int = 0
    max_similarity: float = 0.0


# --------------------------------------------------------------------------
# corpus

def line_count(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return None
    if not any(isinstance(n, disguise.FUNC_TYPES) and n.end_lineno - n.lineno + 1
               >= disguise.MIN_POSITIVE_LINES for n in ast.walk(tree)):
        return None  # no positive function: nothing to find
    return text.count("\n") + 1


def sized_files(root: Path, skip_tests: bool) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        dirs = rel.parts[:-1]
        if skip_tests and (any(p in TEST_DIRS or p.startswith("test") for p in dirs)
                           or rel.name.startswith("test") or EXCLUDED_DIRS & set(dirs)):
            continue
        lines = line_count(path)
        if lines is not None and MIN_FILE_LINES <= lines <= MAX_FILE_LINES:
            found.append(path)
    return found


def pick_stdlib(count: int, seed: int) -> tuple[Path, list[Path]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    candidates = sized_files(root, skip_tests=True)
    return root, sorted(random.Random(seed).sample(candidates, min(count, len(candidates))))


def pick_negatives(count: int, seed: int) -> list[tuple[str, Path, Path]]:
    """(package, package root, file) from unrelated installed packages, spread over them."""
    per_package = []
    for name in NEGATIVE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        files = sized_files(root, skip_tests=True)
        random.Random(f"{seed}:{name}").shuffle(files)
        per_package.append([(name, root, f) for f in files])
    picked: list[tuple[str, Path, Path]] = []
    while len(picked) < count and any(per_package):
        for files in per_package:
            if files and len(picked) < count:
                picked.append(files.pop(0))
    return picked


def copy_tree(files: list[Path], root: Path, dest: Path, prefix: str = "") -> list[str]:
    rels = []
    for path in files:
        rel = f"{prefix}{path.relative_to(root).as_posix()}"
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        rels.append(rel)
    return rels


def suspect_stem(rel: str, pool: disguise.NamePool) -> str:
    path = Path(rel)
    stem = path.parent.name if path.stem == "__init__" and path.parent.name else path.stem
    return pool.rename(stem.lstrip("_") or "module")


def build_suspects(upstream: Path, rels: list[str], level: str, seed: int,
                   dest: Path) -> list[dict]:
    """Disguise every upstream file into ``dest``; return the ground truth functions."""
    rng = random.Random(f"{seed}:{level}:names")
    pool = disguise.NamePool(rng, set())
    truths: list[dict] = []
    for rel in rels:
        source = (upstream / rel).read_text(encoding="utf-8")
        try:
            parts = disguise.disguise_source(source, rel, level, seed)
        except (ValueError, SyntaxError, RecursionError) as exc:
            print(f"warning: cannot disguise {rel} at {level}: {exc}", file=sys.stderr)
            continue
        stem = suspect_stem(rel, pool)
        for part in parts:
            # a file split in small files: its parts are siblings in their own folder
            name = f"{stem}{part.suffix}.py"
            if level == "split":
                name = f"{stem}/{name}"
            (dest / name).parent.mkdir(exist_ok=True)
            (dest / name).write_text(part.source, encoding="utf-8")
            truths += [asdict(t) for t in part.with_path(name).functions]
    return truths


# --------------------------------------------------------------------------
# attrib

def run_command(argv: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    return done, time.perf_counter() - start


def parse_attrib_json(text: str) -> list[Match]:
    report = json.loads(text)
    return [Match(m["path"], int(m["start_line"]), int(m["end_line"]), m["upstream_path"],
                  int(m["upstream_start_line"]), int(m["upstream_end_line"]),
                  float(m.get("similarity", 0.0))) for m in report.get("matches", [])]


def attrib_result(done: subprocess.CompletedProcess, seconds: float) -> ToolRun:
    if done.returncode not in (0, 1):
        return ToolRun(seconds=seconds, error=f"exit {done.returncode}: {done.stderr.strip()[-400:]}")
    try:
        matches = parse_attrib_json(done.stdout)
    except (ValueError, KeyError, TypeError) as exc:
        return ToolRun(seconds=seconds, error=f"bad JSON from attrib: {exc}")
    best = max((m.similarity for m in matches), default=0.0)
    return ToolRun(matches=matches, seconds=seconds, max_similarity=best)


class Attrib:
    """Runs the attrib CLI: one index of the upstream tree, then one scan per tree."""

    def __init__(self, command: str, mode: str, upstream: Path, index: Path,
                 name: str = "stdlib", license: str = "PSF-2.0") -> None:
        self.argv = shlex.split(command)
        self.name, self.license = name, license
        self.mode = mode
        self.upstream = upstream
        self.index = index
        self.index_seconds = 0.0
        self.error: str | None = None

    def build_index(self) -> None:
        if self.mode != "index":
            return
        argv = self.argv + ["index", "add", str(self.upstream), "--name", self.name,
                            "--license", self.license, "--index", str(self.index)]
        try:
            done, self.index_seconds = run_command(argv)
        except OSError as exc:
            self.error = f"cannot run {argv[0]}: {exc}"
            return
        if done.returncode != 0:
            self.error = f"index add failed (exit {done.returncode}): {done.stderr.strip()[-400:]}"

    def scan(self, suspect: Path) -> ToolRun:
        if self.error:
            return ToolRun(error=self.error)
        if self.mode == "index":
            argv = self.argv + ["scan", str(suspect), "--index", str(self.index), "--format", "json"]
        else:
            argv = self.argv + ["compare", str(suspect), str(self.upstream), "--format", "json"]
        try:
            return attrib_result(*run_command(argv))
        except OSError as exc:
            return ToolRun(error=f"cannot run {argv[0]}: {exc}")


# --------------------------------------------------------------------------
# copydetect, reduced to the same matches

def line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def raw_offsets(fingerprint, positions: np.ndarray) -> np.ndarray:
    """Filtered-code positions -> raw-text positions, as copydetect maps its slices."""
    offsets = fingerprint.offsets
    if len(offsets) == 0 or len(positions) == 0:
        return positions
    shift = np.clip(np.searchsorted(offsets[:, 0], positions), 0, offsets.shape[0] - 1)
    return positions + offsets[:, 1][shift]


def to_lines(starts: list[int], positions) -> np.ndarray:
    return np.searchsorted(np.asarray(starts), np.asarray(positions), side="right")


def highlighted_lines(starts: list[int], slices: np.ndarray) -> list[int]:
    lines: set[int] = set()
    for begin, end in zip(slices[0], slices[1]):
        if end > begin:
            first, last = to_lines(starts, [begin, end - 1])
            lines.update(range(int(first), int(last) + 1))
    return sorted(lines)


def outer_functions(text: str) -> list[tuple[int, int]]:
    """Spans of functions not nested in another function (methods included)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    spans = []
    for qualname, node in disguise.walk_functions(tree):
        if "<locals>" not in qualname:
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return spans


def pieces(lines: list[int], functions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of consecutive highlighted lines, cut where the enclosing function changes."""
    def owner(line: int) -> tuple[int, int] | None:
        return next((span for span in functions if span[0] <= line <= span[1]), None)

    runs: list[tuple[int, int]] = []
    for line in lines:
        if runs and runs[-1][1] == line - 1 and owner(runs[-1][1]) == owner(line):
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


def shared_fingerprints(test, ref) -> list[tuple[int, int, np.ndarray]]:
    """(first line, last line) of each shared k-gram in the test file, with its reference lines."""
    test_starts, ref_starts = line_starts(test.raw_code), line_starts(ref.raw_code)
    pairs = []
    for value in test.hashes & ref.hashes:
        ref_pos = np.asarray(ref.hash_idx[value])
        ref_lines = to_lines(ref_starts, raw_offsets(ref, ref_pos))
        for pos in test.hash_idx[value]:
            ends = raw_offsets(test, np.asarray([pos, pos + test.k - 1]))
            first, last = to_lines(test_starts, ends)
            pairs.append((int(first), int(last), ref_lines))
    return pairs


def piece_upstream_span(piece: tuple[int, int], shared) -> tuple[int, int] | None:
    ref_lines = [r for first, last, refs in shared
                 if first <= piece[1] and last >= piece[0] for r in refs]
    if not ref_lines:
        return None
    low, high = np.percentile(ref_lines, [25, 75])
    return int(np.floor(low)), int(np.ceil(high))


def pair_matches(test, ref, slices: np.ndarray, similarity: float,
                 test_rel: str, ref_rel: str) -> list[Match]:
    lines = highlighted_lines(line_starts(test.raw_code), slices)
    shared = shared_fingerprints(test, ref)
    matches = []
    for piece in pieces(lines, outer_functions(test.raw_code)):
        span = piece_upstream_span(piece, shared)
        if span is not None:
            matches.append(Match(test_rel, piece[0], piece[1], ref_rel, span[0], span[1],
                                 float(similarity)))
    return matches


def run_copydetect(suspect: Path, upstream: Path, scratch: Path) -> ToolRun:
    from copydetect import CopyDetector

    detector = CopyDetector(test_dirs=[str(suspect)], ref_dirs=[str(upstream)], extensions=["py"],
                            autoopen=False, silent=True, out_file=str(scratch / "report.html"))
    start = time.perf_counter()
    detector.run()
    seconds = time.perf_counter() - start
    result = ToolRun(seconds=seconds)
    if len(detector.similarity_matrix) == 0:
        return result
    result.max_similarity = float(max(detector.similarity_matrix[:, :, 0].max(), 0.0))
    for i, test_f in enumerate(detector.test_files):
        for j, ref_f in enumerate(detector.ref_files):
            similarity = detector.similarity_matrix[i, j, 0]
            slices = detector.slice_matrix.get((test_f, ref_f))
            if similarity <= detector.conf.display_t or slices is None:
                continue
            result.flagged_pairs += 1
            result.matches += pair_matches(
                detector.file_data[test_f], detector.file_data[ref_f], slices[0], similarity,
                Path(test_f).relative_to(suspect).as_posix(), Path(ref_f).relative_to(upstream).as_posix())
    return result


# --------------------------------------------------------------------------
# scoring

def span_overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0) + 1)


def covers(match: Match, fn: dict) -> bool:
    lines = fn["end_line"] - fn["start_line"] + 1
    return 2 * span_overlap(match.start_line, match.end_line, fn["start_line"], fn["end_line"]) >= lines


def points_right(match: Match, fn: dict) -> bool:
    return match.upstream_path == fn["upstream_path"] and span_overlap(
        match.upstream_start_line, match.upstream_end_line,
        fn["upstream_start_line"], fn["upstream_end_line"]) > 0


def describe(fn: dict) -> str:
    return (f"{fn['path']}:{fn['start_line']}-{fn['end_line']} {fn['qualname']} <- "
            f"{fn['upstream_path']}:{fn['upstream_start_line']}-{fn['upstream_end_line']} "
            f"{fn['upstream_qualname']}")


def is_positive(fn: dict, basis: str) -> bool:
    lines = fn["upstream_code_lines"] if basis == "code" else fn["upstream_lines"]
    return fn["origin"] == "function" and lines >= disguise.MIN_POSITIVE_LINES


def score_claims(result: Score, fn: dict, covering: list[Match]) -> None:
    """Each distinct upstream location claimed for ``fn`` is one claim."""
    claims = {(m.upstream_path, m.upstream_start_line, m.upstream_end_line): m for m in covering}
    result.claims += len(claims)
    for claim in claims.values():
        if points_right(claim, fn):
            result.correct += 1
        else:
            result.wrong.append(f"{describe(fn)} claimed as {claim.upstream_path}:"
                                f"{claim.upstream_start_line}-{claim.upstream_end_line}")


def score(truths: list[dict], matches: list[Match], basis: str = "code") -> Score:
    by_path: dict[str, list[Match]] = defaultdict(list)
    for match in matches:
        by_path[match.path].append(match)
    result = Score()
    files, files_found = set(), set()
    for fn in truths:
        covering = [m for m in by_path.get(fn["path"], []) if covers(m, fn)]
        positive = is_positive(fn, basis)
        if positive:
            result.positives += 1
            files.add(fn["upstream_path"])
            if any(points_right(m, fn) for m in covering):
                result.found += 1
                files_found.add(fn["upstream_path"])
            else:
                result.missed.append(describe(fn))
        if positive or fn["end_line"] - fn["start_line"] + 1 >= MIN_CLAIM_LINES:
            score_claims(result, fn, covering)
    result.files, result.files_found = len(files), len(files_found)
    return result


# --------------------------------------------------------------------------
# report

def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def verdict(value: float | None, target: float | None) -> str:
    if target is None:
        return "      "
    if value is None:
        return " (n/a)"
    return "  ok  " if value >= target else " MISS "


def table_rows(levels: dict) -> list[str]:
    head = (f"{'level':8} | {'attrib R':>8} {'':6} {'attrib P':>8} {'':6} | {'copyd. R':>8} "
            f"{'copyd. P':>8} | {'positives':>9} | {'target R':>8} {'target P':>8} | "
            f"{'file R attrib':>13} {'copyd.':>6}")
    rows = [head, "-" * len(head)]
    for level, data in levels.items():
        a, c = data["attrib"], data["copydetect"]
        target = TARGET_RECALL.get(level)
        rows.append(
            f"{level:8} | {fmt(a.get('recall')):>8}{verdict(a.get('recall'), target)}"
            f" {fmt(a.get('precision')):>8}{verdict(a.get('precision'), TARGET_PRECISION)} | "
            f"{fmt(c.get('recall')):>8} {fmt(c.get('precision')):>8} | {data['positives']:>9} | "
            f"{('>= %.2f' % target) if target else '-':>8} {'>= %.2f' % TARGET_PRECISION:>8} | "
            f"{fmt(a.get('file_recall')):>13} {fmt(c.get('file_recall')):>6}")
    return rows


def negatives_line(neg: dict) -> str:
    parts = [f"negatives ({neg['files']} files of {', '.join(neg['packages'])}):"]
    for tool in ("attrib", "copydetect"):
        data = neg.get(tool)
        if data is None:
            continue
        if data.get("error"):
            parts.append(f"{tool} error")
            continue
        extra = f" in {data['flagged_pairs']} file pairs" if tool == "copydetect" else ""
        parts.append(f"{tool} {data['matches']} matches{extra}, max similarity "
                     f"{fmt(data['max_similarity'], 2)};")
    return " ".join(parts).rstrip(";")


def times_line(times: dict) -> str:
    parts = []
    for tool, runs in times.items():
        if runs:
            each = ", ".join(f"{name} {seconds:.1f}" for name, seconds in runs.items())
            parts.append(f"{tool} {sum(runs.values()):.1f} s ({each})")
    return "wall time: " + "; ".join(parts) if parts else ""


def print_report(result: dict) -> None:
    config = result["config"]
    basis = "lines of code" if config["basis"] == "code" else "lines"
    print(f"\nattrib vs copydetect: {config['files']} stdlib files, seed {config['seed']}; "
          f"positives = disguised functions whose upstream function has >= "
          f"{config['min_lines']} {basis}")
    print("\n".join(table_rows(result["levels"])))
    for level, data in result["levels"].items():
        for tool in ("attrib", "copydetect"):
            if data[tool].get("error") not in (None, "skipped"):
                print(f"{level}: {tool} error: {data[tool]['error']}")
    print(negatives_line(result["negatives"]))
    if result.get("templates"):
        print(templates_line(result["templates"]))
    print(times_line(result["times"]))


# --------------------------------------------------------------------------
# driver

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40, help="upstream stdlib files (default 40)")
    parser.add_argument("--negatives", type=int, default=40, help="negative files (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--levels", default=",".join(disguise.LEVELS))
    parser.add_argument("--attrib", default="attrib", help="command that runs attrib")
    parser.add_argument("--attrib-mode", choices=("index", "compare"), default="index",
                        help="scan against an index (default) or compare trees directly")
    parser.add_argument("--basis", choices=("code", "span"), default="code",
                        help="count a function's upstream lines as code lines (default) or "
                             "as its whole span, docstring and comments included")
    parser.add_argument("--no-attrib", action="store_true")
    parser.add_argument("--no-copydetect", action="store_true")
    parser.add_argument("--no-templates", action="store_true",
                        help="skip the template negatives (transformers families; downloads "
                             "the pinned transformers wheel once)")
    parser.add_argument("--json", dest="json_out", help="write all figures here")
    parser.add_argument("--workdir", help="build the trees here and keep them (default: a temp dir)")
    args = parser.parse_args(argv)
    args.levels = [lv for lv in args.levels.split(",") if lv]
    unknown = set(args.levels) - set(disguise.LEVELS)
    if unknown:
        parser.error(f"unknown levels: {', '.join(sorted(unknown))}")
    return args


def ensure_hash_seed() -> None:
    """copydetect winnows on str hashes: fix the hash seed so its figures repeat."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]])


def tool_summary(run: ToolRun, truths: list[dict] | None, basis: str = "code") -> dict:
    data: dict = {"error": run.error, "seconds": run.seconds, "matches": len(run.matches),
                  "max_similarity": run.max_similarity, "flagged_pairs": run.flagged_pairs}
    if truths is not None and run.error is None:
        data.update(score(truths, run.matches, basis).as_dict())
    return data


def evaluate_level(level: str, args: argparse.Namespace, work: Path, upstream: Path,
                   rels: list[str], attrib: Attrib | None) -> tuple[dict, dict]:
    suspect = work / f"suspect_{level}"
    suspect.mkdir()
    truths = build_suspects(upstream, rels, level, args.seed, suspect)
    (work / f"truth_{level}.json").write_text(json.dumps(
        {"level": level, "seed": args.seed, "functions": truths}, indent=1), encoding="utf-8")
    runs = {"attrib": attrib.scan(suspect) if attrib else ToolRun(error="skipped"),
            "copydetect": ToolRun(error="skipped") if args.no_copydetect
            else run_copydetect(suspect, upstream, work)}
    data = {"positives": sum(is_positive(t, args.basis) for t in truths), "functions": len(truths),
            "suspect_files": len({t["path"] for t in truths})}
    data.update({tool: tool_summary(run, truths, args.basis) for tool, run in runs.items()})
    return data, {tool: run.seconds for tool, run in runs.items() if run.error is None}


def evaluate_negatives(args: argparse.Namespace, work: Path, upstream: Path,
                       attrib: Attrib | None) -> tuple[dict, dict]:
    picked = pick_negatives(args.negatives, args.seed)
    negatives = work / "negatives"
    for package, root, path in picked:
        copy_tree([path], root, negatives, prefix=f"{package}/")
    data = {"files": len(picked), "packages": sorted({p for p, _, _ in picked})}
    runs = {}
    if attrib:
        runs["attrib"] = attrib.scan(negatives)
    if not args.no_copydetect:
        runs["copydetect"] = run_copydetect(negatives, upstream, work)
    data.update({tool: tool_summary(run, None) for tool, run in runs.items()})
    return data, {tool: run.seconds for tool, run in runs.items() if run.error is None}


def extract_templates(work: Path) -> tuple[Path, Path, list[str], list[str]]:
    """Configuration and modeling files of the held-out transformers families, in two trees.

    Alternate families (sorted) go to the indexed tree and to the scanned one;
    none copies from another (see ``build_background.TEMPLATE_FAMILIES``), so any
    match between the trees is the template, and a false positive.
    """
    import fnmatch
    import zipfile

    import build_background

    wheel = build_background.wheel("transformers", ROOT / "benchmarks" / "out" / "background")
    families = sorted(build_background.TEMPLATE_FAMILIES)
    indexed, scanned = families[0::2], families[1::2]
    trees = {f: work / ("templates_upstream" if i % 2 == 0 else "templates_suspect")
             for i, f in enumerate(families)}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) != 4 or parts[:2] != ["transformers", "models"] or parts[2] not in trees:
                continue
            if any(fnmatch.fnmatch(parts[3], pat) for pat in build_background.TEMPLATE_FILES):
                dest = trees[parts[2]] / parts[2] / parts[3]
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(archive.read(name))
    return work / "templates_upstream", work / "templates_suspect", indexed, scanned


def evaluate_templates(args: argparse.Namespace, work: Path) -> tuple[dict, dict]:
    upstream, suspect, indexed, scanned = extract_templates(work)
    data = {"indexed_families": len(indexed), "scanned_families": len(scanned),
            "files": sum(1 for _ in suspect.rglob("*.py"))}
    runs = {}
    if not args.no_attrib:
        attrib = Attrib(args.attrib, args.attrib_mode, upstream, work / "templates.sqlite",
                        name="transformers-families", license="Apache-2.0")
        attrib.build_index()
        runs["attrib"] = attrib.scan(suspect)
    if not args.no_copydetect:
        runs["copydetect"] = run_copydetect(suspect, upstream, work)
    for tool, run in runs.items():
        data[tool] = tool_summary(run, None)
        data[tool]["false_positive_files"] = sorted(
            {os.path.relpath(m.path, suspect) if os.path.isabs(m.path) else m.path
             for m in run.matches})
    return data, {tool: run.seconds for tool, run in runs.items() if run.error is None}


def templates_line(tpl: dict) -> str:
    parts = [f"template negatives ({tpl['files']} configuration/modeling files of "
             f"{tpl['scanned_families']} transformers families against {tpl['indexed_families']} "
             f"others):"]
    for tool in ("attrib", "copydetect"):
        data = tpl.get(tool)
        if data is None:
            continue
        if data.get("error"):
            parts.append(f"{tool} error;")
            continue
        files = data["false_positive_files"]
        parts.append(f"{tool} {data['matches']} matches in {len(files)} files, max similarity "
                     f"{fmt(data['max_similarity'], 2)}"
                     + (f" ({', '.join(files[:6])}{', ...' if len(files) > 6 else ''});"
                        if files else ";"))
    return " ".join(parts).rstrip(";")


def run_benchmark(args: argparse.Namespace, work: Path) -> dict:
    root, files = pick_stdlib(args.files, args.seed)
    upstream = work / "upstream"
    rels = copy_tree(files, root, upstream)
    attrib = None if args.no_attrib else Attrib(args.attrib, args.attrib_mode, upstream,
                                                work / "index.sqlite")
    times: dict[str, dict[str, float]] = {"attrib": {}, "copydetect": {}}
    if attrib:
        attrib.build_index()
        if attrib.error is None and args.attrib_mode == "index":
            times["attrib"]["index"] = attrib.index_seconds
    levels = {}
    for level in args.levels:
        print(f"... {level}", file=sys.stderr)
        levels[level], seconds = evaluate_level(level, args, work, upstream, rels, attrib)
        for tool, value in seconds.items():
            times[tool][level] = value
    print("... negatives", file=sys.stderr)
    negatives, seconds = evaluate_negatives(args, work, upstream, attrib)
    for tool, value in seconds.items():
        times[tool]["negatives"] = value
    templates: dict = {}
    if not args.no_templates:
        print("... template negatives", file=sys.stderr)
        templates, seconds = evaluate_templates(args, work)
        for tool, value in seconds.items():
            times[tool]["templates"] = value
    config = {"files": len(rels), "seed": args.seed, "levels": args.levels, "upstream": rels,
              "basis": args.basis, "min_lines": disguise.MIN_POSITIVE_LINES,
              "attrib": args.attrib, "attrib_mode": args.attrib_mode}
    return {"config": config, "levels": levels, "negatives": negatives, "templates": templates,
            "times": times,
            "targets": {"recall": TARGET_RECALL, "precision": TARGET_PRECISION}}


WORKDIR_MARKER = ".attrib-accuracy"


def prepare_workdir(work: Path) -> Path:
    """Empty a work dir this script made before; refuse to clear anything else."""
    if work.exists() and any(work.iterdir()):
        if not (work / WORKDIR_MARKER).exists():
            sys.exit(f"error: {work} is not empty and was not made by accuracy.py")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / WORKDIR_MARKER).touch()
    return work


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir:
        result = run_benchmark(args, prepare_workdir(Path(args.workdir)))
    else:
        with tempfile.TemporaryDirectory(prefix="attrib-accuracy-") as tmp:
            result = run_benchmark(args, Path(tmp))
    print_report(result)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        ensure_hash_seed()
    sys.exit(main())
