# SPDX-License-Identifier: Apache-2.0
"""``attrib index add|list|remove|update|export|import``."""
from __future__ import annotations

import json
import time

import click

from .common import index_option, max_bytes_option, progress


@click.group()
def index() -> None:
    """Build and curate the index of known upstream projects.

    \b
    Examples:
      attrib index add examples/minicpmv --name MiniCPM-V
      attrib index add https://github.com/OpenBMB/MiniCPM-V --ref v2.5
      attrib index list
      attrib index update MiniCPM-V --ref main
      attrib index remove MiniCPM-V
      attrib index export minicpmv.sqlite --upstream MiniCPM-V
      attrib index import minicpmv.sqlite

    Every subcommand takes --index (a SQLite file path or redis://host:port/db).
    """


@index.command()
@click.argument("locations", nargs=-1, required=True, metavar="PATH|GIT-URL...")
@click.option("--ref", metavar="REF", help="Index this git ref (default: the files as they are; "
                                           "HEAD for a URL).")
@click.option("--name", metavar="NAME", help="Upstream name (default: directory or repo name); "
                                             "only with one upstream.")
@click.option("--license", "license_id", metavar="SPDX",
              help="The upstream's licence as an SPDX id (default: detected).")
@click.option("--url", metavar="URL", help="Where people find the upstream (default: detected); "
                                           "only with one upstream.")
@click.option("--artifact-license", "artifact_licenses", multiple=True, metavar="ARTIFACT=SPDX",
              help="A licence of its own for one artifact, e.g. "
                   "weights=LicenseRef-MiniCPM-Model-License; repeatable.")
@index_option
@max_bytes_option
def add(locations: tuple[str, ...], ref: str | None, name: str | None, license_id: str | None,
        url: str | None, artifact_licenses: tuple[str, ...], index_location: str | None,
        max_file_bytes: int) -> None:
    """Index the upstream at each PATH or GIT-URL, replacing one of the same name.

    Blobs the index already holds are not parsed again, so re-adding an
    upstream at a new ref costs only its changed files. A URL is cloned bare
    into a temporary directory with hooks disabled; nothing in it is run.

    Several upstreams are added one after the other in one process, each in
    its own transaction (an interruption keeps those already done). --ref,
    --license and --artifact-license then apply to each of them.

    \b
    Examples:
      attrib index add examples/minicpmv --name MiniCPM-V --license Apache-2.0
      attrib index add ../transformers --ref v4.40.0 --index team.sqlite
      attrib index add upstreams/* --index team.sqlite
    """
    from ..engine.index import open_store

    artifacts = _artifacts(artifact_licenses)
    _check_several(locations, name, url)
    if license_id:
        from ..licenses import validate_spdx

        license_id = validate_spdx(license_id)
    store = open_store(index_location, create=True)

    def done(info) -> None:
        click.echo(f"indexed {info.name}: {info.files} files, {info.lines} lines, "
                   f"licence {info.license or 'unknown'}"
                   + (f", commit {info.commit[:10]}" if info.commit else "")
                   + f" -> {store.location}")

    try:
        _add_many(store, locations, ref, name, license_id, url, max_file_bytes, artifacts, done)
    finally:
        store.close()


def _check_several(locations: tuple[str, ...], name: str | None, url: str | None) -> None:
    """Several upstreams in one ``index add``: each must exist and get a name of its own."""
    from pathlib import Path

    from ..errors import SourceError, UsageError
    from ..upstreams import is_url

    if len(locations) == 1:
        return
    for flag, value in (("--name", name), ("--url", url)):
        if value:
            raise UsageError(f"{flag} names one upstream; give it with one PATH|GIT-URL, "
                             f"not {len(locations)}")
    seen: dict[str, str] = {}
    for location in locations:
        if not is_url(location) and not Path(location).exists():
            raise SourceError(f"{location}: no such file or directory")
        default = _default_name(location)
        if default in seen:
            raise UsageError(f"{seen[default]} and {location} would both be upstream {default!r}; "
                             "add them one at a time with --name")
        seen[default] = location


def _default_name(location: str) -> str:
    """An upstream's name when --name is not given: its repository's or directory's name."""
    from pathlib import Path

    from ..upstreams import is_url

    if is_url(location):
        return location.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return Path(location).resolve().name


def _artifacts(pairs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from ..errors import UsageError
    from ..licenses import validate_spdx

    out = []
    for pair in pairs:
        artifact, sep, spdx = pair.partition("=")
        if not sep or artifact not in ("code", "weights") or not spdx:
            raise UsageError(f"--artifact-license {pair!r}: expected code=SPDX or weights=SPDX")
        out.append((artifact, validate_spdx(spdx)))
    return tuple(sorted(out))


def _add(store, location: str, ref: str | None, name: str | None, license_id: str | None,
         url: str | None, max_file_bytes: int, artifacts: tuple[tuple[str, str], ...] = ()):
    return _add_many(store, (location,), ref, name, license_id, url, max_file_bytes,
                     artifacts)[0]


def _add_many(store, locations: tuple[str, ...], ref: str | None, name: str | None,
              license_id: str | None, url: str | None, max_file_bytes: int,
              artifacts: tuple[tuple[str, str], ...] = (), done=None) -> list:
    """Add each upstream in turn, each in its own transaction; ``done(info)`` after each.

    The next upstream is read and handed to the parsers before the last one is
    written, so its parsing runs while the store writes.  When the next one cannot
    be read, the last one is still written before the error stops the rest.
    """
    from ..engine.indexing import Parsers

    infos = []
    waiting = None  # read and parsing, not written yet

    def write_waiting() -> None:
        nonlocal waiting
        if waiting is not None:
            last, waiting = waiting, None
            infos.append(last.finish(done))

    with Parsers(store.params) as parsers:
        try:
            for location in locations:
                try:
                    upcoming = _Opened(store, parsers, location, ref, name, license_id, url,
                                       max_file_bytes, artifacts)
                except Exception:
                    write_waiting()
                    raise
                # ``upcoming`` is held before the last one is written: a failed write
                # closes it too
                last, waiting = waiting, upcoming
                if last is not None:
                    infos.append(last.finish(done))
            write_waiting()
        finally:
            if waiting is not None:
                waiting.close()
    return infos


class _Opened:
    """One upstream of an ``index add``: read, and its new blobs handed to the parsers."""

    def __init__(self, store, parsers, location: str, ref: str | None, name: str | None,
                 license_id: str | None, url: str | None, max_file_bytes: int,
                 artifacts: tuple[tuple[str, str], ...]) -> None:
        from contextlib import ExitStack
        from pathlib import Path

        from ..errors import SourceError
        from ..engine.indexing import Pending
        from ..licenses import detect_source
        from ..model import UpstreamInfo
        from ..engine.sources import Limits, open_source, read_git, with_history
        from ..upstreams import is_url, local_repo, remote_url

        limits = Limits(max_file_bytes=max_file_bytes)
        self.store = store
        self._stack = ExitStack()
        try:
            path = self._stack.enter_context(local_repo(location))
            if is_url(location):
                source = read_git(path, ref or "HEAD", limits)
            else:
                if not path.exists():
                    raise SourceError(f"{location}: no such file or directory")
                source = open_source(path, ref, limits)
                if ref is None and path.is_dir():
                    source = with_history(source, path)
            self.source = source
            self.local = path if ref is None and not is_url(location) and path.is_dir() else None
            self.info = UpstreamInfo(
                name=name or _default_name(location),
                location=location if is_url(location) else str(Path(location).resolve()),
                ref=ref, commit=source.commit, license=license_id or detect_source(source),
                url=url or (location if is_url(location) else remote_url(path)),
                artifacts=artifacts)
            self.pending = Pending(store, source, parsers)
        except BaseException:
            self._stack.close()
            raise

    def finish(self, done=None):
        """Write it to the store (with its model artifacts); closes what it opened."""
        try:
            with progress(f"Indexing {self.info.name}", len(self.source.files)) as bar:
                info, _ = self.pending.finish(self.info, progress=bar)
            _add_artifacts(self.store, info.name, self.source, self.local)
        finally:
            self.close()
        if done is not None:
            done(info)
        return info

    def close(self) -> None:
        self._stack.close()


def _add_artifacts(store, name: str, source, local) -> None:
    """The model's fingerprint beside the code (attrib.artifacts.indexed), when installed."""
    try:
        from ..artifacts.indexed import index_artifacts
    except ImportError:
        return
    line, problems = index_artifacts(store, name, source, local)
    for where, why in problems:
        click.echo(f"problem: {where}: {why}", err=True)
    if line:
        click.echo(f"{name}: {line}", err=True)


@index.command(name="list")
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def list_(index_location: str | None, fmt: str) -> None:
    """List the indexed upstreams.

    \b
    Example:
      attrib index list --format json
    """
    from dataclasses import asdict

    from ..engine.index import open_store

    store = open_store(index_location)
    try:
        ups = store.upstreams()
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "index": store.location,
                               "upstreams": [asdict(u) for u in ups]}, indent=2))
        return
    if not ups:
        click.echo(f"{store.location}: no upstreams indexed yet (attrib index add PATH)")
        return
    for u in ups:
        when = time.strftime("%Y-%m-%d", time.gmtime(u.indexed_at)) if u.indexed_at else "?"
        at = f"{u.ref or 'files'}" + (f" @ {u.commit[:10]}" if u.commit else "")
        click.echo(f"{u.name:<20} {u.license or 'licence?':<14} {u.files:>6} files "
                   f"{u.lines:>9} lines  {at}  indexed {when}  {u.url or u.location}")


@index.command()
@click.argument("name")
@index_option
def remove(name: str, index_location: str | None) -> None:
    """Remove upstream NAME from the index.

    \b
    Example:
      attrib index remove MiniCPM-V
    """
    from ..engine.index import open_store

    store = open_store(index_location, write=True)
    try:
        store.remove_upstream(name)
    finally:
        store.close()
    click.echo(f"removed {name}")


@index.command()
@click.argument("name")
@click.option("--ref", metavar="REF", help="Move the upstream to this ref (default: the ref it "
                                           "was indexed at; for files, the files as they are now).")
@index_option
@max_bytes_option
def update(name: str, ref: str | None, index_location: str | None, max_file_bytes: int) -> None:
    """Re-index upstream NAME from where it was added; only changed blobs are parsed.

    \b
    Examples:
      attrib index update MiniCPM-V
      attrib index update MiniCPM-V --ref v2.6
    """
    from ..errors import IndexError_
    from ..engine.index import open_store

    store = open_store(index_location, write=True)
    try:
        old = next((u for u in store.upstreams() if u.name == name), None)
        if old is None:
            raise IndexError_(f"{store.location}: no upstream named {name!r}")
        info = _add(store, old.location, ref or old.ref, name, old.license, old.url,
                    max_file_bytes, old.artifacts)
    finally:
        store.close()
    click.echo(f"updated {name}: {info.files} files, {info.lines} lines"
               + (f", commit {info.commit[:10]}" if info.commit else ""))


@index.command(name="export")
@click.argument("file", metavar="FILE")
@click.option("--upstream", "names", multiple=True, metavar="NAME",
              help="Export only this upstream; repeatable (default: all of them).")
@index_option
def export(file: str, names: tuple[str, ...], index_location: str | None) -> None:
    """Write the index, or some of its upstreams, to FILE: one portable SQLite file.

    FILE is itself an index (attrib scan --index FILE reads it) that
    `attrib index import` merges into another. It appears complete or not
    at all; a SQLite index is copied as one snapshot while others write.

    \b
    Examples:
      attrib index export minicpmv.sqlite --upstream MiniCPM-V
      attrib index export team.sqlite --index redis://cache.internal:6379/0
    """
    from ..project_index import export_index

    infos = export_index(index_location, file, names)
    click.echo(f"exported {len(infos)} upstream(s) to {file}: "
               + (", ".join(u.name for u in infos) or "none"))


@index.command(name="import")
@click.argument("file", metavar="FILE")
@index_option
def import_(file: str, index_location: str | None) -> None:
    """Merge the upstreams of FILE (made by `attrib index export`) into the index.

    An upstream of the same name is replaced, each in one transaction; the
    others stay. FILE is only data: all of it is checked before the index is
    touched, and a file built with other fingerprint parameters is refused.

    \b
    Examples:
      attrib index import minicpmv.sqlite
      attrib index import minicpmv.sqlite --index redis://cache.internal:6379/0
    """
    from ..project_index import import_index

    imported = import_index(file, index_location)
    if not imported:
        click.echo(f"{file} holds no upstreams: nothing imported")
    for u in imported:
        click.echo(f"imported {u.name}: {u.files} files, {u.lines} lines, "
                   f"licence {u.license or 'unknown'}"
                   + (f", commit {u.commit[:10]}" if u.commit else ""))
