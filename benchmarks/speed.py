# SPDX-License-Identifier: Apache-2.0
"""Speed and memory figures for attrib against its performance targets.

Prints figures; never asserts on them.  Every measured step runs the
``attrib`` command line in a fresh subprocess, so the peak memory printed for a
step (``ru_maxrss`` from ``wait4``) is that step's own.  Times are medians over
``--repeat`` runs (default 3).

Targets (from the performance issue):

* index build throughput >= 20,000 lines of code per second on 2 cores;
* scanning a 10,000-line tree against an index of >= 1,000,000 upstream lines
  in under 5 s wall time and under 1 GiB peak memory;
* query cost grows less than 2x when the index grows 10x (~100k -> ~1M lines).

The corpus is the ``transformers/models`` directory of the ``transformers``
wheel (~1,031,000 lines of Python), installed with
``pip install --no-deps --no-compile --target benchmarks/out/corpus transformers``
when missing.  The ~100k-line index is built from a spread-out subset of its
model directories; the 1M-line index from all of them, cached in
``benchmarks/out/`` and reused while the corpus and attrib's own source are
unchanged (``--rebuild`` forces a new build).  The suspect tree is ~10,000
lines of real Python that is not in the index (click, yaml, git, pygments,
else the standard library) plus a few transformers files with identifiers
renamed by regex, so that the scan has some matches to verify.

Run::

    python benchmarks/speed.py --quick      # ~100k-line index only, a few minutes
    python benchmarks/speed.py              # full: 1M-line index (cached), ratio
    python benchmarks/speed.py --repeat 5 --rebuild
"""
from __future__ import annotations

import argparse
import builtins
import hashlib
import importlib.util
import json
import keyword
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "out"
MIB = 1024 * 1024
GIB = 1024 * MIB

TARGET_BUILD_LOC_S = 20_000
TARGET_SCAN_SECONDS = 5.0
TARGET_SCAN_RSS = 1 * GIB
TARGET_RATIO = 2.0
TARGET_FULL_LINES = 1_000_000


# --------------------------------------------------------------------------
# running one measured subprocess


@dataclass
class Run:
    """One finished subprocess: wall time, its own peak RSS, exit status, output."""

    cmd: list[str]
    wall: float
    maxrss: int  # bytes
    cpu: float  # user + system seconds
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def run_measured(cmd: list[str], timeout: float | None = None, env: dict | None = None,
                 cwd: Path | None = None) -> Run:
    """Run ``cmd`` and return its wall time and peak RSS (``wait4`` rusage of that child)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}

    def drain(fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as f:
            while True:
                b = f.read(65536)
                if not b:
                    break
                chunks[fd].append(b)

    readers = [threading.Thread(target=drain, args=(fd,), daemon=True) for fd in (out_r, err_r)]
    for t in readers:
        t.start()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                            env=env, cwd=cwd, start_new_session=True)
    os.close(out_w)
    os.close(err_w)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except KeyboardInterrupt:
        kill()
        raise
    wall = time.perf_counter() - t0
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    # ru_maxrss is KiB on Linux, bytes on macOS
    maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Run(cmd, wall, maxrss, usage.ru_utime + usage.ru_stime, proc.returncode,
               b"".join(chunks[out_r]).decode("utf-8", "replace"),
               b"".join(chunks[err_r]).decode("utf-8", "replace"), timed_out.is_set())


class StepFailed(Exception):
    pass


def check(run: Run, ok: tuple[int, ...], what: str) -> Run:
    if run.returncode in ok and not run.timed_out:
        return run
    why = "timed out" if run.timed_out else f"exit status {run.returncode}"
    tail = "\n".join((run.stderr.strip() or run.stdout.strip()).splitlines()[-40:])
    raise StepFailed(f"{what} failed ({why}):\n  $ {shell(run.cmd)}\n{indent(tail)}")


def shell(cmd: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(str(c)) for c in cmd)


def indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.splitlines())


# --------------------------------------------------------------------------
# formatting


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mib(n: int | None) -> str:
    return "-" if n is None else f"{n / MIB:.0f} MiB"


def fmt_int(n: float) -> str:
    return f"{n:,.0f}"


def say(msg: str = "") -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------
# machine and attrib


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mem_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def busy_note(cores: int) -> str:
    try:
        busy = os.getloadavg()[0] > cores * 0.6
    except OSError:
        return ""
    return " (the machine is busy with other work: figures may be slower than usual)" if busy else ""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def find_attrib(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    beside = Path(sys.executable).with_name("attrib")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("attrib")
    if found:
        return [found]
    if importlib.util.find_spec("attrib") is not None:
        return [sys.executable, "-c", "from attrib.cli.main import main; main()"]
    sys.exit("speed.py: no `attrib` command found; install it (pip install -e .) or pass --attrib")


def attrib_package_dir() -> Path:
    spec = importlib.util.find_spec("attrib")
    if spec is None or not spec.submodule_search_locations:
        return REPO / "attrib"
    return Path(list(spec.submodule_search_locations)[0])


def attrib_code_hash() -> str:
    """A hash of attrib's Python source: a cached index is stale when the indexer changes."""
    h = hashlib.sha256()
    root = attrib_package_dir()
    for p in sorted(root.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def git_state() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "attrib"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in attrib/" if dirty else "")


# --------------------------------------------------------------------------
# corpus, subset, suspect tree


def count_lines(path: Path) -> int:
    """Lines as attrib counts them (newlines) over a file or the .py files under a directory."""
    if path.is_file():
        return path.read_bytes().count(b"\n")
    return sum(p.read_bytes().count(b"\n") for p in py_files(path))


def py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts and p.is_file())


def ensure_corpus(args: argparse.Namespace, out: Path) -> Path:
    """The directory of upstream code to index (``transformers/models``)."""
    if args.corpus:
        d = Path(args.corpus).expanduser()
        for cand in (d / "transformers" / "models", d / "models", d):
            if cand.is_dir() and any(cand.rglob("*.py")):
                return cand.resolve()
        sys.exit(f"speed.py: --corpus {args.corpus}: no Python files there (expected a pip "
                 "--target directory holding transformers/models, or any directory of .py files)")
    target = out / "corpus"
    models = target / "transformers" / "models"
    if models.is_dir():
        return models.resolve()
    tmp = out / "corpus.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile",
           "--disable-pip-version-check", "--target", str(tmp), args.corpus_spec]
    say(f"corpus: {models} is missing; installing it:\n  $ {shell(cmd)}")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        proc = subprocess.CompletedProcess(cmd, 1, "", str(exc))
    if proc.returncode != 0 or not (tmp / "transformers" / "models").is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        sys.exit(
            f"speed.py: could not install the benchmark corpus ({args.corpus_spec!r}, "
            f"pip exit status {proc.returncode}):\n{indent(tail)}\n"
            "Is PyPI reachable (network, proxy, pip config)? Alternatively install it elsewhere\n"
            "  pip install --no-deps --target DIR transformers\n"
            "and run this script with --corpus DIR (or point --corpus at any directory holding\n"
            "~1,000,000 lines of Python).")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return models.resolve()


def corpus_version(models: Path) -> str:
    site = models.parent.parent
    infos = sorted(site.glob("transformers-*.dist-info"))
    if infos:
        return infos[-1].name.removesuffix(".dist-info").replace("-", " ", 1)
    return str(models)


def corpus_units(models: Path) -> list[tuple[Path, int]]:
    """The corpus split into units (model directories, loose files) with their line counts."""
    units = []
    for p in sorted(models.iterdir()):
        if p.name == "__pycache__" or p.is_symlink():
            continue
        if p.is_dir():
            n = count_lines(p)
            if n:
                units.append((p, n))
        elif p.suffix == ".py":
            units.append((p, count_lines(p)))
    return units


def manifest_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in py_files(root):
        st = p.stat()
        h.update(f"{p.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def make_subset(units: list[tuple[Path, int]], lines: int, dest: Path) -> tuple[int, list[str]]:
    """Copy model directories spread over the whole corpus into ``dest`` until ~``lines``."""
    dirs = [(p, n) for p, n in units if p.is_dir()]
    total = sum(n for _, n in dirs)
    stride = max(1, round(total / lines))
    order = dirs[::stride] + [u for i, u in enumerate(dirs) if i % stride]
    chosen, have = [], 0
    for p, n in order:
        if have >= lines:
            break
        if have + n > lines * 1.1 and have >= lines * 0.9:
            continue
        chosen.append((p, n))
        have += n
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for p, _ in chosen:
        shutil.copytree(p, dest / p.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return have, [p.name for p, _ in chosen]


COPIED_DIR = "copied_models"
RENAME_SKIP = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls", "super", "forward"}


def rename_identifiers(text: str) -> tuple[str, int]:
    """Rename the names a file binds (defs, classes, assignment targets, parameters) by regex."""
    names = set(re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", text, re.M))
    names |= set(re.findall(r"^\s*([A-Za-z_]\w*)\s*(?::[^=\n]+)?=(?!=)", text, re.M))
    names |= set(re.findall(r"self\.([A-Za-z_]\w*)\s*=(?!=)", text))
    names = {n for n in names if len(n) > 2 and n not in RENAME_SKIP and not n.startswith("__")}
    if not names:
        return text, 0

    def new(name: str) -> str:
        tag = hashlib.sha1(name.encode()).hexdigest()[:5]
        return f"Q{tag}{name[:3].title()}" if name[0].isupper() else f"q{tag}_{name[:3].lower()}"

    table = {n: new(n) for n in names}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len,
                                                   reverse=True)) + r")\b")
    return pattern.sub(lambda m: table[m.group(1)], text), len(names)


def suspect_sources() -> list[tuple[str, Path]]:
    """Installed packages (not in the index) to draw the suspect tree from, else the stdlib."""
    roots = []
    for mod in ("click", "yaml", "git", "pygments"):
        spec = importlib.util.find_spec(mod)
        if spec and spec.submodule_search_locations:
            roots.append((mod, Path(list(spec.submodule_search_locations)[0])))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for mod in ("json", "email", "http", "logging", "concurrent", "importlib", "xml"):
        if (stdlib / mod).is_dir():
            roots.append((f"stdlib-{mod}", stdlib / mod))
    return roots


def make_suspect(dest: Path, lines: int, copy_from: Path, copies: int) -> dict:
    """A ~``lines``-line tree of real Python: mostly not indexed, plus renamed corpus files."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    copied, copied_lines, renamed = [], 0, 0
    # a few corpus files of moderate size, identifiers renamed
    sized = [p for p in py_files(copy_from) if 150 <= count_lines(p) <= 700]
    candidates = [p for p in sized if p.name.startswith("modeling_")] or sized
    step = max(1, len(candidates) // max(1, copies))
    for p in candidates[::step][:copies]:
        text, n = rename_identifiers(p.read_text(encoding="utf-8"))
        out = dest / COPIED_DIR / f"{p.parent.name}_{p.name}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        copied.append(f"{p.parent.name}/{p.name}")
        copied_lines += text.count("\n")
        renamed += n
    # real code that the index does not hold, round-robin over the packages
    queues = []
    for name, root in suspect_sources():
        files = [p for p in py_files(root) if 20 <= count_lines(p) <= 1500]
        if files:
            queues.append((name, root, files))
    have = copied_lines
    picked = 0
    while have < lines and any(q[2] for q in queues):
        for name, root, files in queues:
            if not files or have >= lines:
                continue
            p = files.pop(0)
            n = count_lines(p)
            if have + n > lines * 1.05:
                continue
            out = dest / name / p.relative_to(root)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, out)
            have += n
            picked += 1
    return {"lines": have, "files": picked + len(copied), "copied": copied,
            "copied_lines": copied_lines, "renamed_identifiers": renamed,
            "packages": [q[0] for q in queues]}


# --------------------------------------------------------------------------
# the measured steps


def remove_index(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


INDEXED_RE = re.compile(r"indexed .*?: (\d+) files, (\d+) lines")


@dataclass
class Build:
    lines: int
    files: int
    wall: float
    maxrss: int
    size: int
    cpu: float = 0.0
    runs: list[float] = field(default_factory=list)
    rss_runs: list[int] = field(default_factory=list)

    @property
    def loc_per_s(self) -> float:
        return self.lines / self.wall if self.wall else 0.0


def build_index(attrib: list[str], env: dict, corpus: Path, name: str, index: Path,
                timeout: float | None) -> tuple[Run, int, int]:
    remove_index(index)
    index.parent.mkdir(parents=True, exist_ok=True)
    cmd = [*attrib, "index", "add", str(corpus), "--name", name, "--index", str(index),
           "--license", "Apache-2.0"]
    run = check(run_measured(cmd, timeout, env), (0,), f"index build of {corpus}")
    m = INDEXED_RE.search(run.stdout)
    files, lines = (int(m.group(1)), int(m.group(2))) if m else (0, count_lines(corpus))
    return run, files, lines


def index_size(index: Path) -> int:
    return sum(Path(str(index) + s).stat().st_size for s in ("", "-wal")
               if Path(str(index) + s).exists())


def measure_builds(attrib, env, corpus, name, index, repeat, timeout, label) -> Build:
    walls, rsss, cpus = [], [], []
    files = lines = 0
    for i in range(repeat):
        run, files, lines = build_index(attrib, env, corpus, name, index, timeout)
        walls.append(run.wall)
        rsss.append(run.maxrss)
        cpus.append(run.cpu)
        say(f"  {label} build {i + 1}/{repeat}: {fmt_s(run.wall)} wall, {fmt_s(run.cpu)} CPU, "
            f"{fmt_int(lines / run.wall)} LOC/s, peak RSS {fmt_mib(run.maxrss)}")
    return Build(lines, files, statistics.median(walls), max(rsss), index_size(index),
                 statistics.median(cpus), walls, rsss)


def cached_full_index(attrib, env, corpus: Path, out: Path, rebuild: bool, repeat: int,
                      timeout: float | None) -> tuple[Build, bool, Path]:
    """The 1M-line index, reused while the corpus and attrib's source are unchanged."""
    index = out / "index-full.sqlite"
    meta_path = out / "index-full.json"
    key = hashlib.sha256((manifest_hash(corpus) + str(corpus) + attrib_code_hash()
                          ).encode()).hexdigest()
    if not rebuild and index.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
        if meta.get("key") == key and isinstance(meta.get("build"), dict):
            say(f"  reusing the cached index {index} (built {meta['built']} with the same "
                "corpus and attrib source; --rebuild to build it again)")
            b = meta["build"]
            return Build(**{**b, "size": index_size(index)}), True, index
        say("  no current cached index (corpus or attrib source changed): building it")
    tmp = out / "index-full.building.sqlite"
    say(f"  building the full index ({repeat} run(s); cached afterwards) -> {index}")
    try:
        build = measure_builds(attrib, env, corpus, "transformers", tmp, repeat, timeout, "full")
    except StepFailed:
        remove_index(tmp)
        raise
    remove_index(index)
    for suffix in ("-wal", "-shm"):
        if Path(str(tmp) + suffix).exists():
            Path(str(tmp) + suffix).rename(str(index) + suffix)
    tmp.rename(index)
    build.size = index_size(index)
    meta_path.write_text(json.dumps({
        "key": key, "corpus": str(corpus), "built": time.strftime("%Y-%m-%d %H:%M:%S"),
        "build": vars(build)}, indent=2) + "\n")
    return build, False, index


@dataclass
class Scan:
    walls: list[float] = field(default_factory=list)
    rsss: list[int] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    stats: list[dict] = field(default_factory=list)
    matches: int = 0
    derived_lines: int = 0
    matched_files: int = 0
    stray_files: int = 0  # files with matches that were not copied from the corpus
    skipped: int = 0

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def maxrss(self) -> int:
        return max(self.rsss)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    def stat(self, key: str) -> float | None:
        vals = [s[key] for s in self.stats if key in s]
        return statistics.median(vals) if vals else None


def scan_once(attrib, env, suspect: Path, index: Path, report: Path, timeout, scan: Scan,
              label: str) -> None:
    report.unlink(missing_ok=True)
    cmd = [*attrib, "scan", str(suspect), "--index", str(index), "--format", "json",
           "--output", str(report)]
    run = check(run_measured(cmd, timeout, env), (0, 1), f"scan against {label}")
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError) as exc:
        raise StepFailed(f"scan against {label}: unreadable JSON report {report}: {exc}")
    scan.walls.append(run.wall)
    scan.rsss.append(run.maxrss)
    scan.cpus.append(run.cpu)
    scan.stats.append(data.get("stats", {}))
    scan.matches = len(data.get("matches", []))
    scan.derived_lines = sum(f.get("derived_lines", 0) for f in data.get("files", []))
    matched = [f["path"] for f in data.get("files", []) if f.get("derived_lines")]
    scan.matched_files = len(matched)
    scan.stray_files = sum(1 for p in matched if not p.startswith(COPIED_DIR + "/"))
    scan.skipped = len(data.get("skipped", []))
    extra = ", ".join(f"{k.removesuffix('_seconds')} {fmt_s(v)}"
                      for k, v in sorted(data.get("stats", {}).items()) if k.endswith("_seconds"))
    say(f"  scan vs {label}: {fmt_s(run.wall)} wall, {fmt_s(run.cpu)} CPU, peak RSS {fmt_mib(run.maxrss)}, "
        f"{scan.matches} matches ({extra})")


def startup(cmd: list[str], runs: int, env: dict) -> float:
    run_measured(cmd, 60, env)  # warm the page cache; not counted
    walls = []
    for _ in range(runs):
        r = check(run_measured(cmd, 60, env), (0,), shell(cmd))
        walls.append(r.wall)
    return statistics.median(walls)


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring and benchmarks/README.md.")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: ~100k-line index only (no 1M index, no growth ratio)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="runs per measured step; medians are printed (default 3)")
    ap.add_argument("--corpus", metavar="DIR",
                    help="upstream code to index: a pip --target dir holding transformers/models, "
                         "or any directory of Python files (default: install transformers into "
                         "OUT/corpus)")
    ap.add_argument("--corpus-spec", default="transformers", metavar="REQ",
                    help="what pip installs as the corpus when it is missing "
                         "(default: transformers; pin it with e.g. transformers==5.23.0)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR",
                    help="work and cache directory (default: benchmarks/out)")
    ap.add_argument("--full-repeat", type=int, default=1, metavar="N",
                    help="builds of the full index when it is (re)built (default 1: it takes "
                         "about a minute; the cache then keeps its figures)")
    ap.add_argument("--rebuild", action="store_true",
                    help="build the full index again even when the cached one is current")
    ap.add_argument("--attrib", metavar="CMD", help="the attrib executable (default: the one "
                                                    "beside this Python, else on PATH)")
    ap.add_argument("--small-lines", type=int, default=100_000, metavar="N",
                    help="lines in the small index (default 100000)")
    ap.add_argument("--suspect-lines", type=int, default=10_000, metavar="N",
                    help="lines in the scanned tree (default 10000)")
    ap.add_argument("--copies", type=int, default=4, metavar="N",
                    help="renamed corpus files put into the scanned tree (default 4)")
    ap.add_argument("--startup-runs", type=int, default=10, metavar="N",
                    help="runs of `attrib --help` and `python -c pass` (default 10)")
    ap.add_argument("--timeout", type=float, default=3600, metavar="S",
                    help="kill a measured step after S seconds (default 3600)")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.full_repeat < 1:
        ap.error("--repeat and --full-repeat must be at least 1")

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    attrib = find_attrib(args.attrib)
    env = {**os.environ, "ATTRIB_DEBUG": "1"}
    env.pop("ATTRIB_INDEX", None)
    cores = usable_cores()

    say("attrib speed benchmark" + (" (--quick)" if args.quick else ""))
    say(f"  machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {cores} usable"
        + (f", {mem_total() / GIB:.1f} GiB RAM" if mem_total() else ""))
    say(f"  python {platform.python_version()} ({sys.executable}); attrib: {shell(attrib)}")
    say(f"  attrib source: {attrib_package_dir()} at {git_state()}")
    say(f"  repeat {args.repeat} (medians), work dir {out}")
    say(f"  load average at start: {load_average()}" + busy_note(cores))
    say()

    say("[corpus]")
    models = ensure_corpus(args, out)
    units = corpus_units(models)
    corpus_lines = sum(n for _, n in units)
    say(f"  {models}: {corpus_version(models)}, {len(units)} model dirs/files, "
        f"{fmt_int(corpus_lines)} lines of Python")
    if not args.quick and corpus_lines < TARGET_FULL_LINES:
        say(f"  note: the corpus has fewer than {fmt_int(TARGET_FULL_LINES)} lines; "
            "the scan target asks for an index at least that big")
    subset = out / "subset-small"
    small_lines, small_dirs = make_subset(units, args.small_lines, subset)
    say(f"  small corpus {subset}: {len(small_dirs)} model dirs, {fmt_int(small_lines)} lines")
    suspect = out / "suspect"
    sus = make_suspect(suspect, args.suspect_lines, subset, args.copies)
    say(f"  suspect tree {suspect}: {sus['files']} files, {fmt_int(sus['lines'])} lines from "
        f"{', '.join(sus['packages'])}; {len(sus['copied'])} of them "
        f"({sus['copied_lines']} lines) copied from the small corpus with "
        f"{sus['renamed_identifiers']} identifiers renamed: {', '.join(sus['copied'])}")
    say()

    results: dict = {"machine": {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
                                 "usable_cores": cores, "mem_total": mem_total()},
                     "python": platform.python_version(), "attrib": git_state(),
                     "corpus": {"path": str(models), "version": corpus_version(models),
                                "lines": corpus_lines},
                     "suspect": sus, "repeat": args.repeat, "quick": args.quick}
    failures: list[str] = []

    say("[start-up]")
    py_start = startup([sys.executable, "-c", "pass"], args.startup_runs, env)
    try:
        help_start = startup([*attrib, "--help"], args.startup_runs, env)
    except StepFailed as exc:
        say(str(exc))
        failures.append("attrib --help")
        help_start = None
    say(f"  python -c pass: {fmt_s(py_start)}; attrib --help: {fmt_s(help_start)} "
        f"(medians of {args.startup_runs})")
    say()

    say(f"[index build: ~{fmt_int(args.small_lines)} lines]")
    small_index = out / "index-small.sqlite"
    small = full = None
    try:
        small = measure_builds(attrib, env, subset, "transformers-small", small_index,
                               args.repeat, args.timeout, "small")
    except StepFailed as exc:
        say(str(exc))
        failures.append("small index build")
    full_cached = False
    full_index = None
    if not args.quick:
        say()
        say(f"[index build: full corpus, {fmt_int(corpus_lines)} lines]")
        try:
            full, full_cached, full_index = cached_full_index(attrib, env, models, out,
                                                              args.rebuild, args.full_repeat,
                                                              args.timeout)
        except StepFailed as exc:
            say(str(exc))
            failures.append("full index build")
    say()

    say(f"[scan: {fmt_int(sus['lines'])}-line tree]")
    scans: dict[str, Scan] = {}
    targets = []
    if small:
        targets.append(("small", small_index, f"{fmt_int(small.lines)}-line index"))
    if full:
        targets.append(("full", full_index, f"{fmt_int(full.lines)}-line index"))
    report = out / "scan-report.json"
    for key, _, _ in targets:
        scans[key] = Scan()
    for i in range(args.repeat):  # interleaved, so drift hits both alike
        for key, index, label in list(targets):
            if key not in scans:
                continue
            try:
                scan_once(attrib, env, suspect, index, report, args.timeout, scans[key], label)
            except StepFailed as exc:
                say(str(exc))
                failures.append(f"scan vs {key} index")
                del scans[key]
    say()

    # ---------------------------------------------------------------- table
    rows: list[tuple[str, str, str, str]] = []

    def met(ok: bool | None) -> str:
        return "-" if ok is None else ("yes" if ok else "NO")

    rows.append(("cores (usable / logical)", f"{cores} / {os.cpu_count()}", "2", "-"))
    rows.append(("python -c pass (median)", fmt_s(py_start), "-", "-"))
    rows.append(("attrib --help start-up (median)", fmt_s(help_start), "-", "-"))
    full_runs = len(full.runs) if full else args.full_repeat
    for label, b, note in (("small", small, f"median of {args.repeat}"),
                           ("full", full, (f"median of {full_runs}" if full_runs > 1 else "1 run")
                            + (", cached" if full_cached else ""))):
        if b is None:
            if label == "full" and args.quick:
                continue
            rows.append((f"index build, {label} corpus", "FAILED (see above)", "", ""))
            continue
        rows.append((f"index build, {fmt_int(b.lines)} lines ({note})",
                     f"{fmt_int(b.loc_per_s)} LOC/s ({fmt_s(b.wall)} wall, {fmt_s(b.cpu)} CPU)",
                     f">= {fmt_int(TARGET_BUILD_LOC_S)} LOC/s",
                     met(b.loc_per_s >= TARGET_BUILD_LOC_S)))
        rows.append((f"  peak RSS, index build {label}", fmt_mib(b.maxrss), "-", "-"))
        rows.append((f"  index file size, {label}", fmt_mib(b.size), "-", "-"))
    for key, b in (("small", small), ("full", full)):
        if b is None and (key == "small" or not args.quick):
            rows.append((f"scan vs {key} index", "FAILED (see above)", "", ""))
            continue
        if b is None:
            continue
        s = scans.get(key)
        if s is None:
            rows.append((f"scan vs {key} index", "FAILED (see above)", "", ""))
            continue
        is_target = key == "full" and b.lines >= TARGET_FULL_LINES
        rows.append((f"scan {fmt_int(sus['lines'])} lines vs {fmt_int(b.lines)}-line index",
                     f"{fmt_s(s.wall)} wall ({fmt_s(s.cpu)} CPU)",
                     f"< {TARGET_SCAN_SECONDS:g} s" if is_target else "-",
                     met(s.wall < TARGET_SCAN_SECONDS) if is_target else "-"))
        rows.append((f"  peak RSS, scan vs {key} index", fmt_mib(s.maxrss),
                     "< 1 GiB" if is_target else "-",
                     met(s.maxrss < TARGET_SCAN_RSS) if is_target else "-"))
        parts = [f"{k} {fmt_s(s.stat(k + '_seconds'))}" for k in ("parse", "candidate", "verify")
                 if s.stat(k + "_seconds") is not None]
        rows.append((f"  breakdown, scan vs {key} index", ", ".join(parts) or "-", "-", "-"))
        rows.append((f"  matches found vs {key} index",
                     f"{s.matches} in {s.matched_files} files ({s.derived_lines} lines), "
                     f"{s.stray_files} outside the copies", "-", "-"))
    if "small" in scans and "full" in scans and small and full:
        ratio = scans["full"].wall / scans["small"].wall
        cpu_ratio = scans["full"].cpu / scans["small"].cpu
        growth = full.lines / small.lines
        rows.append((f"scan time growth, index x{growth:.1f} lines",
                     f"{ratio:.2f}x wall ({cpu_ratio:.2f}x CPU)",
                     f"< {TARGET_RATIO:g}x", met(ratio < TARGET_RATIO)))
    elif args.quick:
        rows.append(("scan time growth, index x10 lines", "n/a (--quick)", "< 2x", "-"))

    say(f"  load average now: {load_average()}" + busy_note(cores))
    say()
    say("[results]" + (f"  ({len(failures)} step(s) FAILED: {', '.join(failures)})"
                       if failures else ""))
    widths = [max(len(r[i]) for r in rows + [("figure", "value", "target", "met?")])
              for i in range(4)]
    head = ("figure", "value", "target", "met?")
    say(" | ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    say("-+-".join("-" * w for w in widths))
    for r in rows:
        say(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())

    results["startup"] = {"python_pass": py_start, "attrib_help": help_start}
    results["builds"] = {k: vars(b) for k, b in (("small", small), ("full", full)) if b}
    results["full_index_cached"] = full_cached
    results["scans"] = {k: {"walls": s.walls, "maxrss": s.rsss, "stats": s.stats,
                            "matches": s.matches} for k, s in scans.items()}
    results["table"] = rows
    results["failures"] = failures
    dump = out / ("speed-quick.json" if args.quick else "speed.json")
    dump.write_text(json.dumps(results, indent=2, default=str) + "\n")
    say(f"\n(raw figures: {dump})")
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
