# SPDX-License-Identifier: Apache-2.0
"""attrib on real, public plagiarism incidents: functions found, false positives, verdicts.

    python benchmarks/incidents.py                      # mirrors in /work/.mirror
    python benchmarks/incidents.py /path/to/mirrors     # a folder of owner+name git mirrors
    python benchmarks/incidents.py --list               # the clone commands that fill that folder
    python benchmarks/incidents.py --case crossover-oneshot --json out.json
    python benchmarks/incidents.py --drop-missing       # index snapshots that lack blobs anyway
    python benchmarks/incidents.py --heldout            # only the held-out cases (--seen: the others)

The cases are in incidents.yaml beside this file: repositories, commits, paths
and line spans only, no third-party code. For each case the upstream is indexed
at its commit in a temporary index (`attrib index add MIRROR --ref COMMIT --name
NAME --license SPDX --url https://github.com/OWNER/NAME`), the suspect is
scanned at its commit (`attrib scan MIRROR --ref COMMIT --format json`), and the
JSON report is scored against the case's truths:

* a truth (suspect span -> upstream span) is found when one match covers at
  least half of the suspect span, comes from the case's upstream, names the
  truth's upstream path and overlaps its upstream span;
* a must-not-match pair is a false positive when one match covers at least half
  of its suspect span and (upstream "*") comes from the upstream at all, or
  names its upstream path and overlaps its upstream span;
* every other match (overlapping no truth and no must-not-match span) is
  counted as an "other match": most are real copies the data file does not
  list, so they are shown apart, not as errors;
* the verdict is the one attrib gives for the case's upstream ("no copy" when
  it gives none).

attrib runs as a child process with --format json, so the script keeps working
while its internals change; fields are read defensively. A mirror folder is
`MIRRORS/owner+name`, either a bare git directory (`git clone --mirror`) or one
holding it as `repo/` (the layout of the fetch tool); each is cloned bare into a
temporary directory first (hard links where the file system allows), which gives
attrib a self-contained repository: attrib refuses one whose alternates lead out of
its tree (`--shared`), as it would a hostile one. Missing mirrors are reported as
skipped. With --drop-missing, a commit whose tree names blobs the mirror lacks
(a partial or size-capped snapshot) is replaced, in the temporary clone only, by
a commit of the same tree minus those blobs, same author, dates and parents;
without it attrib's own handling of such repositories is what is measured.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "incidents.yaml"
NO_COPY = "no copy"


@dataclass
class Span:
    path: str
    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> Span:
        path, _, lines = text.rpartition(":")
        start, _, end = lines.partition("-")
        return cls(path, int(start), int(end or start))

    def size(self) -> int:
        return self.end - self.start + 1

    def overlap(self, start: int, end: int) -> int:
        return max(0, min(self.end, end) - max(self.start, start) + 1)


@dataclass
class Match:
    path: str
    start: int
    end: int
    upstream: str
    upstream_path: str
    upstream_start: int
    upstream_end: int
    # (start, end, upstream_start, upstream_end) of each aligned block, when the report has them
    blocks: list[tuple[int, int, int, int]] = field(default_factory=list)

    def projected(self, span: Span) -> list[tuple[int, int]]:
        """The upstream lines SPAN's lines are aligned with in this match.

        A region often runs over many functions, so "its upstream span overlaps" would
        credit any function of the region with any other; the aligned blocks (or, without
        them, the region as one block) are projected line for line instead.
        """
        out = []
        for s, e, us, ue in self.blocks or [(self.start, self.end, self.upstream_start,
                                             self.upstream_end)]:
            a, b = max(s, span.start), min(e, span.end)
            if a > b:
                continue
            scale = (ue - us) / max(e - s, 1)
            out.append((us + round((a - s) * scale), us + round((b - s) * scale)))
        return out


@dataclass
class Result:
    case: dict
    status: str = "ok"            # ok | skipped | error
    message: str = ""
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    post_run_false_positives: list[str] = field(default_factory=list)  # of post_run pairs
    other: list[Match] = field(default_factory=list)
    verdict: str = ""
    index_seconds: float = 0.0
    scan_seconds: float = 0.0
    dropped: int = 0


def load_cases(path: Path = DATA) -> list[dict]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"{path}: cannot read the incident data: {exc}") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: no 'cases' list")
    return cases


def repos_of(cases: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for case in cases:
        for side in ("upstream", "suspect"):
            seen[case[side]["repo"]] = None
    return list(seen)


def mirror_dir(mirrors: Path, repo: str) -> Path | None:
    """The git directory of REPO ("owner/name") under MIRRORS, or None when absent."""
    base = mirrors / repo.replace("/", "+")
    # git clone --mirror gives MIRRORS/owner+name; the fetch tool gives .../repo, a bare
    # directory, or .../repo/.git, a work tree's; a plain clone gives .../.git.
    for candidate in (base, base / "repo", base / "repo" / ".git", base / ".git",
                      base.with_suffix(".git")):
        if (candidate / "objects").is_dir() and (candidate / "HEAD").is_file():
            return candidate
    return None


def git(gitdir: Path, *args: str, stdin: str | None = None, env: dict | None = None) -> str:
    done = subprocess.run(["git", "--git-dir", str(gitdir), *args], input=stdin,
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:2])}: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def shared_clone(src: Path, dest: Path) -> Path:
    """A bare, self-contained clone of SRC (objects copied or hard-linked, no alternates)."""
    done = subprocess.run(["git", "clone", "-q", "--bare", "--no-tags", str(src),
                           str(dest)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git clone {src}: {done.stderr.strip()}")
    return dest


def missing_blobs(gitdir: Path, commit: str) -> list[str]:
    """Paths in COMMIT's tree whose object the repository does not hold.

    Blobs left out of a partial or size-capped snapshot, and submodules (gitlinks),
    whose commits live in another repository.
    """
    paths: dict[str, str] = {}
    for line in git(gitdir, "ls-tree", "-r", commit).splitlines():
        meta, _, path = line.partition("\t")
        _mode, kind, sha = meta.split()
        if kind in ("blob", "commit"):
            paths.setdefault(sha, path)
    if not paths:
        return []
    out = git(gitdir, "cat-file", "--batch-check", stdin="\n".join(paths) + "\n")
    gone = {line.split()[0] for line in out.splitlines() if line.endswith(" missing")}
    return [path for sha, path in paths.items() if sha in gone]


def without_missing(gitdir: Path, commit: str) -> tuple[str, int]:
    """COMMIT, or a stand-in commit whose tree lacks the blobs the mirror does not hold."""
    gone = missing_blobs(gitdir, commit)
    if not gone:
        return commit, 0
    # A throwaway index and an empty work tree: update-index refuses a bare repository.
    empty = gitdir / "incidents-worktree"
    empty.mkdir(exist_ok=True)
    env = dict(os.environ, GIT_INDEX_FILE=str(gitdir / "incidents-index"), GIT_WORK_TREE=str(empty))
    git(gitdir, "read-tree", commit, env=env)
    git(gitdir, "update-index", "--force-remove", "-z", "--stdin", stdin="\0".join(gone) + "\0",
        env=env)
    tree = git(gitdir, "write-tree", env=env).strip()
    fmt = "%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%P"
    an, ae, ad, cn, ce, cd, parents = git(gitdir, "log", "-1", "--date=raw", f"--format={fmt}",
                                          commit).rstrip("\n").split("\0")
    env.update(GIT_AUTHOR_NAME=an, GIT_AUTHOR_EMAIL=ae, GIT_AUTHOR_DATE=ad,
               GIT_COMMITTER_NAME=cn, GIT_COMMITTER_EMAIL=ce, GIT_COMMITTER_DATE=cd)
    argv = ["commit-tree", tree, "-m", f"{commit} without {len(gone)} missing blobs"]
    for parent in parents.split():
        argv += ["-p", parent]
    return git(gitdir, *argv, env=env).strip(), len(gone)


def run_attrib(attrib: list[str], args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run([*attrib, *args], capture_output=True, text=True)
    return done, time.perf_counter() - start


def first_error(done: subprocess.CompletedProcess) -> str:
    lines = (done.stderr or done.stdout).strip().splitlines()
    text = lines[-1] if lines else "no message"
    return f"exit {done.returncode}: {text if len(text) <= 120 else text[:117] + '...'}"


def as_int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def read_matches(report: dict) -> list[Match]:
    out = []
    for m in report.get("matches") or []:
        if not isinstance(m, dict):
            continue
        blocks = [(as_int(b.get("start_line")), as_int(b.get("end_line")),
                   as_int(b.get("upstream_start_line")), as_int(b.get("upstream_end_line")))
                  for b in m.get("evidence") or [] if isinstance(b, dict)
                  and b.get("upstream_start_line") is not None]
        out.append(Match(str(m.get("path", "")), as_int(m.get("start_line")),
                         as_int(m.get("end_line")), str(m.get("upstream", "")),
                         str(m.get("upstream_path", "")), as_int(m.get("upstream_start_line")),
                         as_int(m.get("upstream_end_line")), blocks))
    return out


def read_verdict(report: dict, name: str) -> str:
    for v in report.get("verdicts") or []:
        if isinstance(v, dict) and v.get("upstream") == name:
            return str(v.get("verdict") or v.get("label") or v.get("status") or "?")
    return NO_COPY


def covers(m: Match, span: Span) -> bool:
    return m.path == span.path and 2 * span.overlap(m.start, m.end) >= span.size()


def hits(m: Match, name: str, suspect: Span, upstream: str, also: list[str] = ()) -> bool:
    """M covers SUSPECT and aligns it with UPSTREAM (or a place in ALSO holding the same blob)."""
    if not covers(m, suspect) or m.upstream != name:
        return False
    if upstream == "*":
        return True
    for place in (upstream, *also):
        up = Span.parse(place)
        if m.upstream_path == up.path and any(up.overlap(a, b) for a, b in m.projected(suspect)):
            return True
    return False


def label(pair: dict) -> str:
    return f"{pair['suspect']} ({pair.get('function', '?')})"


def score(result: Result, matches: list[Match]) -> None:
    case = result.case
    name = case["upstream"]["name"]
    touched: set[int] = set()
    for kind, pairs in (("truth", case.get("truths") or []),
                        ("negative", case.get("must_not_match") or [])):
        for pair in pairs:
            suspect = Span.parse(pair["suspect"])
            also = pair.get("upstream_also") or []
            hit = [i for i, m in enumerate(matches)
                   if hits(m, name, suspect, pair["upstream"], also)]
            touched.update(i for i, m in enumerate(matches)
                           if m.path == suspect.path and suspect.overlap(m.start, m.end))
            if kind == "truth":
                (result.found if hit else result.missed).append(label(pair))
            elif hit:
                result.false_positives.append(label(pair))
                if pair.get("post_run"):
                    result.post_run_false_positives.append(label(pair))
    result.other = [m for i, m in enumerate(matches) if i not in touched]


def prepare(case: dict, dirs: dict[str, Path], here: Path,
            drop_missing: bool) -> tuple[Path, str, Path, str, int]:
    """Shared clones of both sides and the refs to read: (upstream, ref, suspect, ref, dropped)."""
    up_git = shared_clone(dirs["upstream"], here / "upstream.git")
    sus_git = shared_clone(dirs["suspect"], here / "suspect.git")
    up_ref, sus_ref, dropped = case["upstream"]["commit"], case["suspect"]["commit"], 0
    if drop_missing:
        up_ref, n_up = without_missing(up_git, up_ref)
        sus_ref, n_sus = without_missing(sus_git, sus_ref)
        dropped = n_up + n_sus
    return up_git, up_ref, sus_git, sus_ref, dropped


def run_case(case: dict, mirrors: Path, attrib: list[str], work: Path,
             drop_missing: bool) -> Result:
    result = Result(case)
    up = case["upstream"]
    dirs = {side: mirror_dir(mirrors, case[side]["repo"]) for side in ("upstream", "suspect")}
    absent = [case[side]["repo"] for side, d in dirs.items() if d is None]
    if absent:
        result.status, result.message = "skipped", f"no mirror of {', '.join(absent)}"
        return result
    here = work / case["id"]
    try:
        up_git, up_ref, sus_git, sus_ref, result.dropped = prepare(case, dirs, here, drop_missing)
    except RuntimeError as exc:
        result.status, result.message = "error", str(exc)
        return result
    index = here / "index.sqlite"
    add = ["index", "add", str(up_git), "--ref", up_ref, "--name", up["name"],
           "--index", str(index), "--url", f"https://github.com/{up['repo']}"]
    if up.get("license"):
        add += ["--license", up["license"]]
    done, result.index_seconds = run_attrib(attrib, add)
    if done.returncode != 0:
        result.status, result.message = "error", f"index add: {first_error(done)}"
        return result
    out = here / "report.json"
    done, result.scan_seconds = run_attrib(attrib, ["scan", str(sus_git), "--ref", sus_ref,
                                                    "--index", str(index), "--format", "json",
                                                    "-o", str(out)])
    if done.returncode not in (0, 1):  # 1 = matches or a failed obligation, not an error
        result.status, result.message = "error", f"scan: {first_error(done)}"
        return result
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        result.status, result.message = "error", f"scan: unreadable JSON report ({exc})"
        return result
    score(result, read_matches(report))
    result.verdict = read_verdict(report, up["name"])
    return result


def verdict_ok(result: Result) -> bool:
    return result.status == "ok" and result.verdict == result.case.get("expected")


def negatives(case: dict) -> int:
    return len(case.get("must_not_match") or [])


def is_heldout(case: dict) -> bool:
    return bool(case.get("heldout"))


def table(results: list[Result], title: str = "total") -> str:
    head = ("| case | lang | functions found | false positives | other matches "
            "| verdict expected | verdict actual | time (s) |")
    rows = [head, "|" + "---|" * 8]
    for r in results:
        c = r.case
        if r.status != "ok":
            rows.append(f"| {c['id']} | {c.get('language', '')} | {r.status}: {r.message} "
                        f"| | | {c.get('expected', '')} | | |")
            continue
        truths = len(r.found) + len(r.missed)
        mark = "" if verdict_ok(r) else " **(wrong)**"
        dropped = f" ({r.dropped} missing objects dropped)" if r.dropped else ""
        rows.append(f"| {c['id']}{dropped} | {c.get('language', '')} | {len(r.found)} / {truths} "
                    f"| {len(r.false_positives)} / {negatives(c)} | {len(r.other)} "
                    f"| {c.get('expected', '')} | {r.verdict}{mark} "
                    f"| {r.index_seconds + r.scan_seconds:.1f} |")
    ran = [r for r in results if r.status == "ok"]
    found = sum(len(r.found) for r in ran)
    truths = sum(len(r.found) + len(r.missed) for r in ran)
    fps = sum(len(r.false_positives) for r in ran)
    negs = sum(negatives(r.case) for r in ran)
    others = sum(len(r.other) for r in ran)
    right = sum(verdict_ok(r) for r in ran)
    secs = sum(r.index_seconds + r.scan_seconds for r in ran)
    skipped = len(results) - len(ran)
    recall = f" ({found / truths:.2f})" if truths else ""
    rows.append(f"| **{title}** ({len(ran)} run, {skipped} skipped or failed) | "
                f"| {found} / {truths}{recall} | {fps} / {negs} | {others} "
                f"| | {right} / {len(ran)} right | {secs:.1f} |")
    return "\n".join(rows)


def details(results: list[Result]) -> str:
    lines = []
    for r in results:
        if r.status != "ok":
            continue
        bits = [f"missed {m}" for m in r.missed]
        bits += [f"false positive {f}" for f in r.false_positives]
        bits += [f"other {m.path}:{m.start}-{m.end} -> {m.upstream_path}:{m.upstream_start}-"
                 f"{m.upstream_end}" for m in r.other[:5]]
        if len(r.other) > 5:
            bits.append(f"... {len(r.other) - 5} more other matches")
        if bits:
            lines.append(f"{r.case['id']}:")
            lines.extend(f"  {b}" for b in bits)
    return "\n".join(lines)


def to_json(results: list[Result]) -> list[dict]:
    return [{"id": r.case["id"], "heldout": is_heldout(r.case), "status": r.status,
             "message": r.message, "expected": r.case.get("expected"),
             "predicted": r.case.get("predicted"), "verdict": r.verdict, "found": r.found,
             "missed": r.missed, "false_positives": r.false_positives,
             "post_run_false_positives": r.post_run_false_positives,
             "other_matches": [m.__dict__ for m in r.other], "dropped_missing_blobs": r.dropped,
             "index_seconds": round(r.index_seconds, 3), "scan_seconds": round(r.scan_seconds, 3)}
            for r in results]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mirrors", nargs="?", default="/work/.mirror",
                        help="folder of git mirrors named owner+name (default: /work/.mirror)")
    parser.add_argument("--list", action="store_true",
                        help="print the `git clone --mirror` commands that fill the folder")
    parser.add_argument("--case", action="append", default=[], help="run only this case id")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--heldout", action="store_true",
                       help="run only the held-out cases (heldout: true)")
    which.add_argument("--seen", action="store_true",
                       help="run only the cases that are not held out")
    parser.add_argument("--data", default=str(DATA), help="the incident data file")
    parser.add_argument("--attrib", default="attrib", help="how to run attrib (default: attrib)")
    parser.add_argument("--drop-missing", action="store_true",
                        help="index and scan commits minus blobs the mirror lacks")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--keep", help="keep the temporary clones, indexes and reports here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = load_cases(Path(args.data))
    mirrors = Path(args.mirrors)
    if args.list:
        for repo in repos_of(cases):
            dest = mirrors / repo.replace("/", "+")
            print(f"git clone --mirror https://github.com/{repo}.git {shlex.quote(str(dest))}")
        return 0
    unknown = set(args.case) - {c["id"] for c in cases}
    if unknown:
        print(f"incidents.py: no case {', '.join(sorted(unknown))} in {args.data}", file=sys.stderr)
        return 2
    chosen = [c for c in cases if (not args.case or c["id"] in args.case)
              and (not args.heldout or is_heldout(c)) and (not args.seen or not is_heldout(c))]
    attrib = shlex.split(args.attrib)
    if shutil.which(attrib[0]) is None:
        print(f"incidents.py: cannot run {attrib[0]!r} (install attrib or pass --attrib)",
              file=sys.stderr)
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="attrib-incidents-"))
    try:
        results = []
        for case in chosen:
            result = run_case(case, mirrors, attrib, work, args.drop_missing)
            results.append(result)
            print(f"{case['id']}: {result.status} {result.message}".rstrip(), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    version = subprocess.run([*attrib, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"attrib: {version}; mirrors: {mirrors}\n")
    held = [r for r in results if is_heldout(r.case)]
    seen = [r for r in results if not is_heldout(r.case)]
    for title, part in (("held-out", held), ("seen", seen)):
        if part:
            print(f"{title.capitalize()} cases:\n")
            print(table(part, title) + "\n")
    post = [(r, pair) for r in held if r.status == "ok"
            for pair in r.case.get("must_not_match") or [] if pair.get("post_run")]
    if post:
        fp_post = sum(len(r.post_run_false_positives) for r in held if r.status == "ok")
        fp_all = sum(len(r.false_positives) for r in held if r.status == "ok")
        n_all = sum(negatives(r.case) for r in held if r.status == "ok")
        print(f"Held-out false positives: {fp_all - fp_post} / {n_all - len(post)} among the "
              f"pairs written before the first run, {fp_post} / {len(post)} among the post_run "
              "pairs (taken from that run's other matches).\n")
    if held and seen:
        print("All cases:\n")
        print(table(results) + "\n")
    extra = details(results)
    if extra:
        print("\n" + extra)
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(results), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
