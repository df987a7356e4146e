# SPDX-License-Identifier: Apache-2.0
"""Rebuild attrib/data/common_shingles.bin (and _generic.bin) from pinned, downloaded sources.

    python benchmarks/build_background.py [--min-groups 5] [--cache DIR] [--only python|generic]

Downloads (``pip download --no-deps``, cached in ``benchmarks/out/background``)
the wheels below and counts, per shingle, the groups that hold it: each file
of numpy, scipy, setuptools and pip (everyday Python), and each model
directory of transformers, whose ``configuration_*.py`` and ``modeling_*.py``
are the framework template independent model projects copy
(``PretrainedConfig``, ``PreTrainedModel``, ``nn.Module`` idioms), plus, whole,
what ``django-admin startproject``/``startapp`` (Django 2.2 to 5.2) and scrapy's
project templates write into every project made with them.  The
families in ``TEMPLATE_FAMILIES`` are held out: ``benchmarks/accuracy.py``
uses them as template negatives, so the table must not have seen them.

The brace languages' table (``common_shingles_generic.bin``, read for every
file lang/generic.py parses) is built the same way from everyday Go and Java
(the Go 1.19 standard library, the cobra library, OpenJDK 17's java.base, and for C and
C++ everyday directories of glibc 2.36 and libstdc++ 12's headers,
Debian packages fetched with ``apt-get download``, each file a group; a
security update may retire the pinned JDK version, then pin the current one)
plus, whole, what generators and
project templates write into independent projects: ``cobra-cli init``
(with and without ``--viper``) and ``cobra-cli add`` (Debian's cobra-cli, run
in a temporary Go module with Debian's Go toolchain, offline), and the
templates of create-vite, create-react-app, create-next-app and
express-generator (npm tarballs fetched with ``npm pack``).  A
scaffold two unrelated projects both generated is then no evidence (the
cobra-template hard negative of benchmarks/incidents.yaml).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from attrib.engine.background import DATA, GENERIC_DATA, Source, build, write  # noqa: E402

PINNED = {"transformers": "5.23.0", "numpy": "2.4.6", "scipy": "1.17.1",
          "setuptools": "65.5.0", "pip": "23.2.1"}
# transformers 5.23.0 model families whose configuration and modeling files carry
# no "Copied from" marker and are not generated from a modular file: written
# separately on the common template, so they can stand for independent projects
# (mobilenet_v1 and mobilevit are not listed although unmarked: attrib found them
# copied from mobilenet_v2, ``make_divisible`` byte for byte, 0.99 on whole classes;
# mpt stays although attrib finds its heads adapted from bloom's: see benchmarks/README.md)
TEMPLATE_FAMILIES = (
    "bert", "bloom", "canine", "clip", "dpr", "efficientnet", "encodec", "encoder_decoder",
    "fsmt", "funnel", "fuyu", "gemma4_assistant", "gpt_neo", "gptj", "granite_speech", "ibert",
    "imagegpt", "jev", "levit", "llama", "llava", "lxmert", "mamba", "mobilenet_v2", "mpt",
    "nougat", "paligemma", "perceiver", "prophetnet", "rag", "reformer", "resnet", "rwkv",
    "sam3_video", "squeezebert", "superglue", "superpoint", "textnet", "timm_backbone",
    "timm_wrapper", "univnet", "upernet", "vit", "vitmatte", "vitpose", "xlm", "xlstm",
)
TEMPLATE_FILES = ("configuration_*.py", "modeling_*.py")
# project generators whose output independent Python projects all start from, taken whole:
# two fresh Django projects were "copies" of each other (manage.py 100 %, settings.py 88 %)
DJANGO = ("2.2.28", "3.2.25", "4.2.26", "5.2.8")
DJANGO_DEPS = {"asgiref": "3.8.1", "sqlparse": "0.5.3", "pytz": "2025.2"}
SCRAPY = ("1.8.4", "2.13.3")
# the brace languages' sources: Debian packages (name=version) and npm tarballs (name@version)
DEBIAN = {"golang-1.19-src": "1.19.8-2", "golang-github-spf13-cobra-dev": "1.6.1-1",
          "cobra-cli": "1.3.0-3+b5", "golang-1.19-go": "1.19.8-2",
          "openjdk-17-source": "17.0.21.1+2-1~deb12u1",
          "glibc-source": "2.36-9+deb12u14", "libstdc++-12-dev": "12.2.0-14+deb12u1"}
# everyday C: these directories of glibc's source (the whole tree is 20,000 files)
GLIBC_DIRS = ("stdlib", "string", "stdio-common", "libio", "malloc", "posix", "time", "misc",
              "io", "locale", "iconv", "intl", "argp", "dirent", "grp", "pwd", "resolv", "inet")
NPM = {"create-vite": "9.3.0", "cra-template": "1.2.0", "cra-template-typescript": "1.2.0",
       "create-next-app": "15.5.4", "express-generator": "4.16.1"}
BRACE_FILES = ("*.go", "*.js", "*.jsx", "*.mjs", "*.ts", "*.tsx", "*.java", "*.rs", "*.c",
               "*.h", "*.cc", "*.cpp")
# cobra-cli runs, each in a fresh module: what `cobra-cli init` and `add` write
COBRA_RUNS = (("init",), ("init", "--viper"), ("add", "serve"), ("add", "config"))


def wheel(name: str, cache: Path, version: str | None = None) -> Path:
    """The pinned wheel of ``name`` (or of ``version``), downloaded once."""
    version = version or PINNED[name]
    found = _wheels(cache, name, version)
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-q", "-d", str(cache), f"{name}=={version}"], check=True)
        found = _wheels(cache, name, version)
    return found[0]


def _wheels(cache: Path, name: str, version: str) -> list[Path]:
    """Wheels of ``name`` at ``version`` (PyPI's file names vary in case: Django-2.2.28)."""
    want = f"{name}-{version}-".lower()
    return sorted(p for p in cache.glob("*.whl") if p.name.lower().startswith(want))


def sources(cache: Path) -> list[Source]:
    out = [Source(f"{n}=={PINNED[n]}", wheel(n, cache)) for n in ("numpy", "scipy", "setuptools",
                                                                 "pip")]
    out.append(Source(f"transformers=={PINNED['transformers']}", wheel("transformers", cache),
                      families="transformers/models/*", include=TEMPLATE_FILES,
                      exclude=frozenset(TEMPLATE_FAMILIES)))
    for version in DJANGO:
        out.append(Source(f"django=={version}: startproject mysite, startapp polls",
                          django_scaffold(version, cache), whole=True))
    for version in SCRAPY:
        out.append(Source(f"scrapy=={version}: its project and spider templates, rendered",
                          scrapy_scaffold(version, cache), whole=True))
    return out


def _unzipped(path: Path) -> Path:
    """A wheel unpacked beside itself, once (Django finds its commands on the file system)."""
    def make(tmp: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp)

    return _made_once(path.with_name(path.name + ".d"), make)


def django_scaffold(version: str, cache: Path) -> Path:
    """What ``django-admin startproject`` and ``startapp`` of ``version`` write: the files every
    Django project starts from (manage.py, settings.py, wsgi.py, apps.py, ...)."""
    path = [str(_unzipped(wheel("django", cache, version)))]
    path += [str(_unzipped(wheel(n, cache, v))) for n, v in DJANGO_DEPS.items()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    run = "from django.core import management; import sys; " \
          "management.execute_from_command_line(['django-admin', *sys.argv[1:]])"

    def make(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        subprocess.run([sys.executable, "-c", run, "startproject", "mysite", str(tmp)],
                       env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", run, "startapp", "polls"], cwd=tmp, env=env,
                       check=True, capture_output=True)

    return _made_once(cache / "generated" / f"django-{version}", make)


def scrapy_scaffold(version: str, cache: Path) -> Path:
    """Scrapy's ``startproject``/``genspider`` templates of ``version``, rendered the way scrapy
    renders them (string.Template), so they parse as the Python a project holds."""
    import string

    values = {"project_name": "myproject", "ProjectName": "Myproject", "name": "example",
              "classname": "ExampleSpider", "domain": "example.com", "url": "https://example.com",
              "module": "example"}

    def make(tmp: Path) -> None:
        with zipfile.ZipFile(wheel("scrapy", cache, version)) as archive:
            for name in sorted(archive.namelist()):
                if not name.startswith("scrapy/templates/") or not name.endswith(".tmpl"):
                    continue
                text = string.Template(archive.read(name).decode("utf-8")).safe_substitute(values)
                dest = tmp / name.removeprefix("scrapy/templates/").removesuffix(".tmpl")
                dest = dest.with_suffix(".py") if dest.suffix != ".py" else dest
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")

    return _made_once(cache / "generated" / f"scrapy-{version}", make)


def _made_once(dest: Path, make) -> Path:
    """``dest``, made by ``make(tmp)`` into a temporary sibling first if it is not there yet,
    so an interrupted build never leaves a half-made folder that a later run would trust."""
    if not dest.is_dir():
        tmp = dest.parent / (dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        make(tmp)
        tmp.rename(dest)
    return dest


def _download(cache: Path, kind: str, command: list[str]) -> Path:
    work = cache / kind / "download"
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)
    return work


def debian(name: str, cache: Path) -> Path:
    """The pinned Debian package ``name``, downloaded and unpacked once (nothing installed)."""
    version = DEBIAN[name]

    def make(tmp: Path) -> None:
        work = _download(cache, "debian", ["apt-get", "download", "-q", f"{name}={version}"])
        [deb] = sorted(work.glob(f"{name}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)

    return _made_once(cache / "debian" / f"{name}_{version}", make)


def npm(name: str, cache: Path) -> Path:
    """The pinned npm package ``name``'s tarball, fetched with `npm pack` and unpacked once."""
    version = NPM[name]

    def make(tmp: Path) -> None:
        work = _download(cache, "npm", ["npm", "pack", "--silent", f"{name}@{version}"])
        with tarfile.open(work / f"{name}-{version}.tgz") as archive:
            archive.extractall(tmp, filter="data")

    return _made_once(cache / "npm" / f"{name}@{version}", make)


def cobra_scaffolds(cache: Path) -> Path:
    """What cobra-cli generates, one folder per run, offline (its final `go get` may fail)."""
    cli = debian("cobra-cli", cache) / "usr" / "bin" / "cobra-cli"
    goroot = debian("golang-1.19-go", cache) / "usr" / "lib" / "go-1.19"

    def make(tmp: Path) -> None:
        for n, run in enumerate(COBRA_RUNS):
            module = tmp / f"{n}-{'-'.join(run).replace('--', '')}"
            module.mkdir(parents=True)
            (module / "go.mod").write_text("module example.com/app\n\ngo 1.19\n")
            env = {**os.environ, "PATH": f"{goroot / 'bin'}:{os.environ.get('PATH', '')}",
                   "GOROOT": str(goroot), "GOPROXY": "off", "GOFLAGS": "-mod=mod",
                   "GOPATH": str(tmp / ".gopath"), "HOME": str(tmp)}
            if run[0] == "add":
                subprocess.run([str(cli), "init"], cwd=module, env=env, capture_output=True)
            subprocess.run([str(cli), *run], cwd=module, env=env, capture_output=True)
        shutil.rmtree(tmp / ".gopath", ignore_errors=True)

    return _made_once(cache / "generated" / f"cobra-cli_{DEBIAN['cobra-cli']}", make)


def generic_sources(cache: Path) -> list[Source]:
    go_src = debian("golang-1.19-src", cache) / "usr" / "share" / "go-1.19" / "src"
    cobra = debian("golang-github-spf13-cobra-dev", cache) / "usr" / "share" / "gocode" / "src"
    out = [Source(f"golang-1.19-src={DEBIAN['golang-1.19-src']} (Debian)", _no_tests(go_src, cache),
                  include=BRACE_FILES),
           Source(f"golang-github-spf13-cobra-dev={DEBIAN['golang-github-spf13-cobra-dev']} "
                  "(Debian)", cobra, include=BRACE_FILES),
           Source(f"openjdk-17-source={DEBIAN['openjdk-17-source']} (Debian)",
                  debian("openjdk-17-source", cache) / "usr/lib/jvm/openjdk-17/lib/src.zip",
                  include=BRACE_FILES, under="java.base/"),
           Source(f"glibc-source={DEBIAN['glibc-source']} (Debian): {', '.join(GLIBC_DIRS)}",
                  glibc_tree(cache), include=BRACE_FILES),
           Source(f"libstdc++-12-dev={DEBIAN['libstdc++-12-dev']} (Debian): include/c++/12",
                  debian("libstdc++-12-dev", cache) / "usr/include/c++/12", include=BRACE_FILES),
           Source(f"cobra-cli={DEBIAN['cobra-cli']} (Debian): {', '.join(' '.join(r) for r in COBRA_RUNS)}",
                  cobra_scaffolds(cache), include=BRACE_FILES, whole=True)]
    for name in NPM:
        out.append(Source(f"{name}@{NPM[name]} (npm): its templates", _templates(npm(name, cache)),
                          include=BRACE_FILES, whole=True))
    return out


def _templates(package: Path) -> Path:
    """The template folders of an unpacked npm package (not the generator's own bundled code)."""
    def make(tmp: Path) -> None:
        tmp.mkdir()
        root = package / "package"
        found = [f for f in sorted(root.rglob("template*")) if f.is_dir() and not f.is_symlink()
                 and "node_modules" not in f.parts]
        for folder in found:  # the outermost template folders only
            if any(other in folder.parents for other in found):
                continue
            rel = folder.relative_to(root)
            shutil.copytree(folder, tmp / "-".join(rel.parts), symlinks=True)

    return _made_once(package.with_name(package.name + ".templates"), make)


def glibc_tree(cache: Path) -> Path:
    """The ``GLIBC_DIRS`` of glibc's source tarball (as the Debian package ships it), without
    tests, unpacked once."""
    tarball = debian("glibc-source", cache) / "usr/src/glibc" / "glibc-2.36.tar.xz"

    def make(tmp: Path) -> None:
        with tarfile.open(tarball) as archive:
            for member in archive:
                parts = Path(member.name).parts
                if (len(parts) > 2 and parts[1] in GLIBC_DIRS and member.isfile()
                        and not parts[-1].startswith(("tst-", "test-", "bug-"))):
                    archive.extract(member, tmp, filter="data")

    return _made_once(cache / "generated" / "glibc-2.36-everyday", make)


def _no_tests(root: Path, cache: Path) -> Path:
    """The Go tree without its tests and test data (a symlink-free copy, made once)."""
    def make(tmp: Path) -> None:
        for path in sorted(root.rglob("*.go")):
            rel = path.relative_to(root)
            if path.name.endswith("_test.go") or "testdata" in rel.parts or path.is_symlink():
                continue
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, tmp / rel)

    return _made_once(cache / "generated" / "go-src-no-tests", make)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-groups", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "out" / "background")
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--only", choices=["python", "generic"],
                        help="rebuild one table (default: both)")
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    for kind, out in (("python", args.out), ("generic", GENERIC_DATA)):
        if args.only not in (None, kind):
            continue
        t0 = time.perf_counter()
        found = sources(args.cache) if kind == "python" else generic_sources(args.cache)
        meta, table = build(found, args.min_groups, generic=kind == "generic")
        write(meta, table, out)
        size = out.stat().st_size
        print(f"{out}: {meta['shingles']} common shingles from {meta['files']} files in "
              f"{meta['groups']} groups, {size / 1024:.0f} KiB, {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
