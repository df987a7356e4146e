# SPDX-License-Identifier: Apache-2.0
"""Team scale: a 10M-line index of real Python in SQLite and in Redis, queried at once.

Prints figures, each beside the 1M-line figure of the same run; never asserts on them.

The corpus is rebuilt offline from the package registry: the wheels of ``PACKAGES``
(pinned names and versions) fetched with ``pip download --no-deps --only-binary :all:``
into ``benchmarks/out/scale/wheels``, their ``.py`` files (under 1 MB) extracted.  Each
package is one upstream.  The 10M-line corpus takes each package's files in path order up
to ``PER_PACKAGE`` lines, packages in name order, until 10,000,000 lines; the 1M-line
subset is the files of the 10M corpus whose path's crc32 is 0 mod 10.

Figures (medians over ``--repeat`` runs; every step is a fresh ``attrib`` process):

* index build, LOC/s (one ``index add`` of every package; 2 cores);
* SQLite MiB per million lines (the file as built, and after ``VACUUM``); Redis
  ``used_memory`` per million lines;
* ``scan`` of a 10k-line suspect tree (four ``edit10`` disguised copies of corpus files
  by ``disguise.py``, plus standard-library code that is in no package): wall, peak RSS;
* growth 1M -> 10M of that scan;
* ``check --staged`` of a 5-file commit in a real git repository (wall, start-up included);
* Redis: 16 concurrent ``check --diff`` clients (p50, p95 latency, throughput), with an
  ``index add`` of another upstream running meanwhile; every answer must be the answer
  before the add or the one after it (the count of each kind is printed).

Run::

    python benchmarks/scale.py --quick      # the 1M-line subset only, a few minutes
    python benchmarks/scale.py              # 1M and 10M, SQLite and Redis (~30-60 min)
    python benchmarks/scale.py --backends sqlite --repeat 5
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from speed import (MIB, Run, check, find_attrib, fmt_s, load_average, run_measured,  # noqa: E402
                   usable_cores)

OUT = HERE / "out" / "scale"
TARGET_LINES = 10_000_000
PER_PACKAGE = 600_000
SUBSET_MOD = 10
PACKAGES = [  # name, version: the wheels on the registry when this was written
    ("ansible-core", "2.21.5"), ("astropy", "8.0.2"), ("biopython", "1.88"),
    ("bokeh", "3.10.1"), ("botocore", "1.44.5"), ("celery", "5.7.0"), ("dask", "2026.8.0"),
    ("django", "6.1.3"), ("docutils", "0.23"), ("google-cloud-aiplatform", "2.7.0"),
    ("ipython", "9.18.1"), ("jax", "0.12.0.1"), ("keras", "3.15.1"), ("kubernetes", "37.0.2"),
    ("matplotlib", "3.11.2"), ("mne", "1.13.2"), ("moto", "5.2.5"), ("mypy", "2.4.1"),
    ("networkx", "3.7"), ("nltk", "3.10.4"), ("numba", "0.68.1"), ("numpy", "2.5.5"),
    ("openai", "3.51.0"), ("pandas", "3.1.1"), ("plotly", "7.1.0"), ("pydantic", "2.14.3"),
    ("pygments", "2.21.0"), ("pylint", "4.1.4"), ("scikit-learn", "1.9.1"),
    ("scipy", "1.18.1"), ("sentry-sdk", "2.75.0"), ("setuptools", "84.2.1"),
    ("sqlalchemy", "2.1.9"), ("statsmodels", "0.15.0"), ("sympy", "1.14.0"),
    ("tensorflow-probability", "0.25.0"), ("tornado", "6.6.1"), ("transformers", "5.23.0"),
    ("twisted", "26.10.0"), ("xarray", "2026.9.0"),
]
PIP_PLATFORM = ["--python-version", "3.12", "--platform", "manylinux2014_x86_64",
                "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux_2_28_x86_64"]
# standard-library code in no package above: the unrelated part of the suspect tree
UNRELATED = ["email", "json", "http", "logging", "xml/dom", "concurrent", "importlib/metadata",
             "wsgiref", "urllib"]
EXTRA = ["textwrap.py", "difflib.py", "shlex.py", "calendar.py", "argparse.py", "pickletools.py"]


def say(msg: str = "") -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------
# the corpus


def wheel_of(name: str, version: str, wheels: Path) -> Path | None:
    stem = name.replace("-", "_").lower() + "-" + version + "-"
    return next((w for w in sorted(wheels.glob("*.whl")) if w.name.lower().startswith(stem)), None)


def ensure_wheels(wheels: Path) -> list[tuple[str, Path]]:
    wheels.mkdir(parents=True, exist_ok=True)
    found = []
    for name, version in PACKAGES:
        if wheel_of(name, version, wheels) is None:
            say(f"  pip download {name}=={version}")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                            ":all:", *PIP_PLATFORM, "-q", "-d", str(wheels),
                            f"{name}=={version}"], check=False)
        wheel = wheel_of(name, version, wheels)
        if wheel is None:
            say(f"  {name}=={version}: not on the registry here, left out")
        else:
            found.append((name, wheel))
    return found


def python_members(wheel: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(wheel) as z:
        return [(i.filename, z.read(i)) for i in sorted(z.infolist(), key=lambda i: i.filename)
                if i.filename.endswith(".py") and 0 < i.file_size < 1_000_000]


def build_corpus(wheels: list[tuple[str, Path]], out: Path) -> dict:
    """The 10M corpus and the 1M subset as trees of hard links into one extracted copy."""
    manifest = out / "corpus.json"
    spec = [[n, w.name] for n, w in wheels] + [TARGET_LINES, PER_PACKAGE, SUBSET_MOD]
    if manifest.is_file():
        cached = json.loads(manifest.read_text())
        if cached.get("spec") == spec:
            return cached
    for d in ("c10m", "c1m"):
        shutil.rmtree(out / d, ignore_errors=True)
    total, sizes = 0, {"c10m": {}, "c1m": {}}
    for name, wheel in wheels:
        if total >= TARGET_LINES:
            break
        taken = 0
        for member, data in python_members(wheel):
            lines = data.count(b"\n")
            if taken + lines > PER_PACKAGE or total >= TARGET_LINES:
                break
            taken += lines
            total += lines
            trees = ["c10m"] + (["c1m"] if zlib.crc32(member.encode()) % SUBSET_MOD == 0 else [])
            for tree in trees:
                dest = out / tree / name / member
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
                sizes[tree][name] = sizes[tree].get(name, 0) + lines
    doc = {"spec": spec, "lines": {t: sum(v.values()) for t, v in sizes.items()}, "sizes": sizes}
    manifest.write_text(json.dumps(doc, indent=1))
    return doc


def make_suspect(dest: Path, subset: Path) -> dict:
    """~10k lines: four disguised copies of corpus files, the rest standard-library code."""
    from disguise import disguise_source

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    picked = []
    for package in sorted(p.name for p in subset.iterdir()):
        if len(picked) == 4 or package not in ("django", "networkx", "sympy", "twisted",
                                               "pandas", "scipy", "astropy", "xarray"):
            continue
        for path in sorted((subset / package).rglob("*.py")):
            text = path.read_text("utf-8", "replace")
            if 400 <= text.count("\n") <= 1500 and "test" not in str(path) \
                    and path.name != "__init__.py":
                try:
                    parts = disguise_source(text, str(path), "edit10", 1)
                except (SyntaxError, ValueError, RecursionError):
                    continue
                for i, part in enumerate(parts):
                    (dest / f"copied_{len(picked)}_{i}.py").write_text(part.source)
                picked.append(str(path.relative_to(subset)))
                break
    lines = sum(p.read_text().count("\n") for p in dest.glob("*.py"))
    copied = lines
    for folder in UNRELATED:
        for path in sorted((stdlib / folder).rglob("*.py")):
            if lines >= 10_000:
                break
            target = dest / "app" / folder / path.relative_to(stdlib / folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            lines += path.read_text("utf-8", "replace").count("\n")
    return {"copies": picked, "lines": lines, "copied_lines": copied}


# --------------------------------------------------------------------------
# stores


@dataclass
class Redis:
    proc: subprocess.Popen
    port: int
    workdir: str

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def used_memory(self, db: int) -> int:
        import redis

        client = redis.Redis(port=self.port, db=db)
        try:
            return int(client.info("memory")["used_memory"])
        finally:
            client.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis() -> Redis:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("scale.py: redis-server is not on PATH (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="attrib-scale-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(200):
        try:
            if client.ping():
                break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    return Redis(proc, port, workdir)


def build(attrib: list[str], corpus: Path, location: str, env: dict) -> dict:
    """One ``index add`` of every package of ``corpus`` (as a team adds its list): wall, CPU, lines."""
    packages = sorted(p.name for p in corpus.iterdir())
    run = check(run_measured([*attrib, "index", "add", *(str(corpus / p) for p in packages),
                              "--index", location], env=env), (0,), "index add")
    done = [line for line in run.stdout.splitlines() if line.startswith("indexed ")]
    assert len(done) == len(packages), run.stdout
    lines = sum(int(line.split(" files, ")[1].split(" lines")[0].replace(",", "")) for line in done)
    return {"wall": run.wall, "cpu": run.cpu, "lines": lines, "rss": run.maxrss}


def sqlite_size(path: Path) -> tuple[int, int]:
    """The file's size as built, and after VACUUM (into a copy: the fill of its pages)."""
    import sqlite3

    packed = path.with_suffix(".vacuumed")
    packed.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("VACUUM INTO ?", (str(packed),))
    conn.close()
    sizes = path.stat().st_size, packed.stat().st_size
    packed.unlink()
    return sizes


# --------------------------------------------------------------------------
# queries


def scans(attrib, suspect: Path, location: str, repeat: int, env: dict) -> dict:
    runs: list[Run] = []
    for _ in range(repeat):
        runs.append(check(run_measured([*attrib, "scan", str(suspect), "--index", location,
                                        "--format", "json", "--no-rules"], env=env,
                                       cwd=suspect.parent), (0, 1), "scan"))
    report = json.loads(runs[-1].stdout)
    matches = report.get("matches", [])
    inside = [m for m in matches if Path(m["path"]).name.startswith("copied_")]
    return {"wall": statistics.median(r.wall for r in runs),
            "cpu": statistics.median(r.cpu for r in runs),
            "rss": max(r.maxrss for r in runs), "matches": len(inside),
            "files": len({m["path"] for m in inside}), "outside": len(matches) - len(inside)}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@example.invalid",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(suspect: Path, dest: Path) -> tuple[Path, str]:
    """A git repo of the suspect tree with 5 files changed and staged; the base commit."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(suspect, dest)
    git(dest, "init", "-q")
    git(dest, "add", ".")
    git(dest, "commit", "-q", "-m", "base")
    base = git(dest, "rev-parse", "HEAD").strip()
    for path in sorted(p for p in dest.rglob("*.py") if p.stat().st_size > 2000)[:5]:
        with path.open("a") as f:
            f.write("\n\ndef added_helper(values):\n    return sorted(set(values))\n")
    git(dest, "add", ".")
    return dest, base


def staged(attrib, repo: Path, location: str, repeat: int, env: dict) -> float:
    cmd = [*attrib, "check", "--staged", "--index", location, "--no-rules"]
    check(run_measured(cmd, env=env, cwd=repo), (0, 1), "check --staged")  # fills the blob cache
    return statistics.median(check(run_measured(cmd, env=env, cwd=repo), (0, 1),
                                   "check --staged").wall for _ in range(repeat))


def pull_request(repo: Path) -> str:
    """Commit the staged change, then a copy of textwrap.py (in no upstream yet) on top."""
    git(repo, "commit", "-q", "-m", "five files")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copy2(stdlib / "textwrap.py", repo / "wrapping.py")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "pull request")
    return git(repo, "rev-parse", "HEAD~1").strip()


def answer(run: Run) -> frozenset:
    matches = json.loads(run.stdout).get("matches", [])
    return frozenset((m["path"], m["upstream"]) for m in matches)


def concurrent(attrib, repo: Path, base: str, location: str, clients: int, per_client: int,
               extra: Path, env: dict) -> dict:
    """``clients`` threads each running ``check --diff`` in turn; an ``index add`` meanwhile."""
    cmd = [*attrib, "check", "--diff", f"{base}..HEAD", "--index", location, "--format", "json",
           "--no-rules"]
    before = answer(check(run_measured(cmd, env=env, cwd=repo), (0, 1), "check --diff"))
    results: list[tuple[float, float, frozenset]] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        for _ in range(per_client):
            t0 = time.perf_counter()
            run = run_measured(cmd, env=env, cwd=repo)
            try:
                got = answer(check(run, (0, 1), "check --diff"))
            except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                with lock:
                    errors.append(str(exc).splitlines()[0])
                continue
            with lock:
                results.append((t0, run.wall, got))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(1.0)  # the add starts once the clients are busy
    add = check(run_measured([*attrib, "index", "add", str(extra), "--name", "stdlib-extra",
                              "--index", location], env=env), (0,), "index add (concurrent)")
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    after = answer(check(run_measured(cmd, env=env, cwd=repo), (0, 1), "check --diff"))
    check(run_measured([*attrib, "index", "remove", "stdlib-extra", "--index", location],
                       env=env), (0,), "index remove")
    lat = sorted(r[1] for r in results)
    kinds = [("before" if r[2] == before else "after" if r[2] == after else "neither")
             for r in results]
    return {"p50": statistics.median(lat), "p95": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
            "throughput": len(results) / wall, "queries": len(results), "errors": errors,
            "before": kinds.count("before"), "after": kinds.count("after"),
            "neither": kinds.count("neither"), "add_wall": add.wall,
            "differ": before != after}


def extra_upstream(dest: Path) -> Path:
    """An upstream that holds textwrap.py (the pull request's copy) and some 30k other lines."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in EXTRA:
        shutil.copy2(stdlib / name, dest / name)
    for path in sorted((stdlib / "asyncio").glob("*.py")):
        shutil.copy2(path, dest / f"asyncio_{path.name}")
    return dest


# --------------------------------------------------------------------------
# report


def row(name: str, small: str, big: str, target: str) -> str:
    return f"{name:<44} | {small:>22} | {big:>22} | {target}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 1M-line subset only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,redis")
    parser.add_argument("--redis-quick", action="store_true",
                        help="Redis at 1M lines only (a 10M Redis build takes long)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=3)
    parser.add_argument("--attrib", help="the attrib command (default: beside this python)")
    args = parser.parse_args(argv)
    attrib = find_attrib(args.attrib)
    backends = args.backends.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    say(f"scale.py: {usable_cores()} cores, load average {load_average()} (the machine is "
        "shared: read medians and ratios)")
    corpus = build_corpus(ensure_wheels(OUT / "wheels"), OUT)
    sizes = ["c1m"] if args.quick else ["c1m", "c10m"]
    say(f"corpus: {len(corpus['sizes']['c10m'])} packages, "
        + ", ".join(f"{t} {corpus['lines'][t]:,} lines" for t in sizes))
    tmp = Path(tempfile.mkdtemp(prefix="attrib-scale-"))
    suspect = make_suspect(tmp / "suspect", OUT / "c1m")
    say(f"suspect: {suspect['lines']:,} lines, {suspect['copied_lines']:,} of them disguised "
        f"copies of {', '.join(suspect['copies'])}")
    env = {**os.environ, "ATTRIB_CACHE": str(tmp / "cache"), "XDG_CACHE_HOME": str(tmp / "xdg")}
    repo, base = make_repo(tmp / "suspect", tmp / "repo")
    extra = extra_upstream(tmp / "extra")
    figures: dict[str, dict[str, dict]] = {}
    redis = start_redis() if "redis" in backends else None
    try:
        for backend in backends:
            for i, tree in enumerate(sizes):
                if backend == "redis" and args.redis_quick and tree != "c1m":
                    continue
                say(f"[{backend} {tree}] building ...")
                if backend == "sqlite":
                    index = OUT / f"index-{tree}.sqlite"
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{index}{suffix}").unlink(missing_ok=True)
                    location = str(index)
                else:
                    location = redis.url(i)
                f = {"build": build(attrib, OUT / tree, location, env)}
                f["size"] = sqlite_size(Path(location)) if backend == "sqlite" else \
                    (redis.used_memory(i), 0)
                say(f"  built: {json.dumps(f)}")
                f["scan"] = scans(attrib, tmp / "suspect", location, args.repeat, env)
                f["staged"] = staged(attrib, repo, location, args.repeat, env)
                say(f"  queried: {json.dumps(f)}")
                figures.setdefault(backend, {})[tree] = f
        if redis:
            pr_base = pull_request(repo)
            for i, tree in enumerate(sizes):
                if tree not in figures["redis"]:
                    continue
                say(f"[redis {tree}] {args.clients} concurrent clients ...")
                figures["redis"][tree]["conc"] = concurrent(
                    attrib, repo, pr_base, redis.url(i), args.clients, args.per_client, extra, env)
                say(f"  {json.dumps(figures['redis'][tree]['conc'])}")
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(figures, sizes)
    say(f"load average at the end: {load_average()}")
    return 0


def report(figures: dict, sizes: list[str]) -> None:
    say()
    say(row("figure", "1M-line index", "10M-line index" if len(sizes) > 1 else "-", "target"))
    for backend, by in figures.items():
        def both(get, fmt) -> tuple[str, str]:
            vals = [fmt(get(by[t])) if t in by else "not run" for t in sizes]
            return vals[0], vals[1] if len(vals) > 1 else "-"

        mlines = {t: by[t]["build"]["lines"] / 1e6 for t in sizes if t in by}
        say(row(f"{backend}: lines indexed", *both(lambda f: f["build"]["lines"], "{:,}".format),
                "-"))
        say(row(f"{backend}: index build", *both(
            lambda f: f["build"]["lines"] / f["build"]["wall"], lambda v: f"{v:,.0f} LOC/s"),
            ">= 50,000 LOC/s"))
        label = "MiB per million lines (built / vacuumed)" if backend == "sqlite" else \
            "used_memory MiB per million lines"
        vals = [f"{by[t]['size'][0] / MIB / mlines[t]:.1f}"
                + (f" / {by[t]['size'][1] / MIB / mlines[t]:.1f}" if backend == "sqlite" else "")
                if t in by else "not run" for t in sizes]
        say(row(f"{backend}: {label}", vals[0], vals[1] if len(vals) > 1 else "-",
                "< 60" if backend == "sqlite" else "-"))
        say(row(f"{backend}: scan of 10k lines, wall", *both(lambda f: f["scan"]["wall"], fmt_s),
                "< 3 s"))
        say(row(f"{backend}: scan CPU", *both(lambda f: f["scan"]["cpu"], fmt_s), "-"))
        say(row(f"{backend}: scan peak RSS", *both(lambda f: f["scan"]["rss"] / MIB,
                                                   lambda v: f"{v:.0f} MiB"), "< 1024 MiB"))
        say(row(f"{backend}: matches in the copies / elsewhere", *both(
            lambda f: f["scan"], lambda s: f"{s['matches']} in {s['files']} / {s['outside']}"),
            "-"))
        if len(sizes) > 1 and all(t in by for t in sizes):
            a, b = by[sizes[0]]["scan"], by[sizes[1]]["scan"]
            say(row(f"{backend}: scan growth 1M -> 10M (wall, CPU)", "-",
                    f"{b['wall'] / a['wall']:.2f}x, {b['cpu'] / a['cpu']:.2f}x", "< 1.5x"))
        say(row(f"{backend}: check --staged, 5 files", *both(lambda f: f["staged"], fmt_s),
                "< 0.5 s"))
        if "conc" in by[sizes[0]]:
            say(row(f"{backend}: 16 clients check --diff p50 / p95", *both(
                lambda f: f["conc"], lambda c: f"{fmt_s(c['p50'])} / {fmt_s(c['p95'])}"), "-"))
            say(row(f"{backend}: throughput", *both(
                lambda f: f["conc"]["throughput"], lambda v: f"{v:.2f} checks/s"), "-"))
            say(row(f"{backend}: answers before / after / neither", *both(
                lambda f: f["conc"], lambda c: f"{c['before']} / {c['after']} / {c['neither']}"),
                "neither = 0"))
            say(row(f"{backend}: concurrent index add, wall", *both(
                lambda f: f["conc"]["add_wall"], fmt_s), "-"))


if __name__ == "__main__":
    sys.exit(main())
