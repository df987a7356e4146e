# SPDX-License-Identifier: Apache-2.0
"""Fuzz targets for the parsers of untrusted files, with hypothesis.

Each target states its contract: the YAML/config loader returns a Config (or None) or raises
an AttribError; the safetensors header reader returns tensors it can read or raises
TensorFileError; the tokenizer reader never raises (bad files are recorded problems); the
SentencePiece reader returns pieces or raises ValueError.

A normal test run gives each target ``FUZZ_EXAMPLES`` examples (a few seconds); set
``ATTRIB_FUZZ_SECONDS=60`` to run each for that long instead.  In that mode an input that
breaks a contract is written to ``tests/hostile/corpus/<target>/`` before the test fails,
and every file there is replayed by ``test_corpus`` in every run: a crash found once stays
a regression test.  ``benchmarks/hostile.py`` prints executions and crashes per target.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.errors import AttribError

CORPUS = Path(__file__).parent / "corpus"
FUZZ_EXAMPLES = int(os.environ.get("ATTRIB_FUZZ_EXAMPLES", "250"))
FUZZ_SECONDS = float(os.environ.get("ATTRIB_FUZZ_SECONDS", "0"))
STATS_FILE = "ATTRIB_HOSTILE_FUZZ"  # benchmarks/hostile.py: "target<TAB>executions<TAB>crashes"


# ---------------------------------------------------------------- the targets

def config_target(data: bytes, workdir: Path) -> None:
    from attrib.config import Config, load_config_file

    for name in (".attrib.yaml", "pyproject.toml"):
        path = workdir / name
        path.write_bytes(data if name.endswith(".yaml") else b"[tool.attrib]\n" + data)
        try:
            found = load_config_file(path)
        except AttribError:
            continue
        assert found is None or isinstance(found, Config)


def safetensors_target(data: bytes, workdir: Path) -> None:
    from attrib.artifacts.tensorfile import TensorFileError, open_flat, read_header

    path = workdir / "model.safetensors"
    path.write_bytes(data)
    try:
        refs, skipped = read_header(path)
    except TensorFileError:
        return
    assert all(isinstance(s, str) and "\n" not in s for s in skipped)
    for ref in refs:  # what the header promises must be readable
        assert len(open_flat(ref)[:8]) == min(ref.size, 8)


def tokenizer_target(data: bytes, workdir: Path) -> None:
    from attrib.artifacts.files import locate
    from attrib.artifacts.tokenizers import compare_tokenizers, read_tokenizer

    names = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "special_tokens_map.json")
    for i, name in enumerate(names):  # the same bytes as each file, then all of them
        for other in names:
            (workdir / other).unlink(missing_ok=True)
        for each in (names if i == 0 else (name,)):
            (workdir / each).write_bytes(data)
        problems: list = []
        read_tokenizer(locate(workdir), problems)
        assert all(isinstance(m, str) and "\n" not in m for _, m in problems)
        compare_tokenizers(locate(workdir), locate(workdir))


def sentencepiece_target(data: bytes, workdir: Path) -> None:
    from attrib.artifacts.sentencepiece import read_pieces

    path = workdir / "tokenizer.model"
    path.write_bytes(data)
    try:
        pieces = read_pieces(path)
    except ValueError:
        return
    assert all(isinstance(p, str) for p in pieces)


def notebook_target(data: bytes, workdir: Path) -> None:
    """A notebook parses into lines that exist in it, or is a ParseFailure with a one-line
    reason; never another exception."""
    from attrib.engine.lang import ParseFailure, parse_file
    from attrib.engine.sources import blob_id
    from attrib.model import SourceFile

    try:
        parsed = parse_file(SourceFile("nb.ipynb", blob_id(data), data))
    except ParseFailure as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    n = len(parsed.text_lines)
    assert parsed.line_count == n
    assert all(1 <= line <= max(n, 1) for line in parsed.stream.lines)
    assert all(1 <= f.start_line <= f.end_line <= max(n, 1) for f in parsed.fragments)


# ---------------------------------------------------------------- inputs

_YAML_SCALARS = ["!!int ''", "!!timestamp 2020-01-01", "!!set {a, b}", "!!binary aGk=",
                 "!!float nan", ".nan", ".inf", "-.inf", "~", "null", "yes", "0x1F", "1e999",
                 "2027-06-30", "2027-13-45", "!!str 1", "&a [1, 2]", "*a", "!!python/name:os.system",
                 "? complex", "'" + "9" * 5000 + "'", "9" * 5000, "[" * 60 + "]" * 60,
                 "MIT OR Apache-2.0", "10-40", "../../etc/passwd", "\"\\x00\"", "!!map {}",
                 "!!seq []", "!custom x", "1.5", "-1", "true", "''"]
_CONFIG_KEYS = ["upstreams", "credit", "thresholds", "exclude", "rules", "resolutions", "name",
                "location", "ref", "license", "artifacts", "files", "severity", "min_similarity",
                "min_lines", "rule", "path", "lines", "reason", "comment", "expires", "weights",
                "<<", "unknown"]


def _yaml_value(depth: int = 3) -> st.SearchStrategy[str]:
    scalar = st.one_of(st.sampled_from(_YAML_SCALARS),
                       st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
                       .map(json.dumps),
                       st.integers(-10 ** 30, 10 ** 30).map(str),
                       st.floats(allow_nan=True).map(repr))
    if depth == 0:
        return scalar
    inner = _yaml_value(depth - 1)
    mapping = st.dictionaries(st.sampled_from(_CONFIG_KEYS), inner, max_size=4).map(
        lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}")
    return st.one_of(scalar, mapping, st.lists(inner, max_size=4).map(
        lambda v: "[" + ", ".join(v) + "]"))


_YAML_DOC = st.dictionaries(st.sampled_from(_CONFIG_KEYS), _yaml_value(), max_size=5).map(
    lambda d: "".join(f"{k}: {v}\n" for k, v in d.items()).encode())

_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(),
              st.text(max_size=8), st.sampled_from(["F32", "F16", "BF16", "I64", "__metadata__"])),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=6), inner, max_size=5)),
    max_leaves=30)

_HUGE = st.sampled_from([b"9" * 5000, b"[" * 3000, b"1e99999", b"-0", b"\"\\ud800\""])


@st.composite
def _tensor_header(draw) -> bytes:
    """A safetensors file: length prefix, a header (mostly well-formed entries), data."""
    def entry() -> object:
        return draw(st.one_of(_JSON, st.fixed_dictionaries({
            "dtype": st.one_of(st.sampled_from(["F32", "F16", "BF16", "I8"]), _JSON),
            "shape": st.one_of(st.lists(st.integers(-2, 2 ** 64), max_size=9), _JSON),
            "data_offsets": st.one_of(st.lists(st.integers(-4, 2 ** 64), max_size=3), _JSON)})))
    header = {draw(st.text(max_size=6)): entry() for _ in range(draw(st.integers(0, 4)))}
    raw = json.dumps(header, default=str).encode()
    if draw(st.booleans()):
        raw = raw[:-1] + b', "x": ' + draw(_HUGE) + b"}"
    length = draw(st.one_of(st.just(len(raw)), st.integers(0, 2 ** 64 - 1)))
    return struct.pack("<Q", length) + raw + draw(st.binary(max_size=64))


@st.composite
def _tokenizer_json(draw) -> bytes:
    doc = draw(st.fixed_dictionaries({}, optional={
        "model": st.one_of(_JSON, st.fixed_dictionaries({}, optional={
            "vocab": st.one_of(_JSON, st.dictionaries(st.text(max_size=4), _JSON, max_size=6)),
            "merges": _JSON})),
        "added_tokens": st.one_of(_JSON, st.lists(st.dictionaries(
            st.sampled_from(["id", "content", "special"]), _JSON), max_size=4)),
        "added_tokens_decoder": st.one_of(_JSON, st.dictionaries(st.text(max_size=4), _JSON)),
        "chat_template": _JSON, "bos_token": _JSON, "eos_token": _JSON}))
    raw = json.dumps(doc, default=str).encode()
    if draw(st.booleans()):
        raw = raw[:-1] + (b", " if len(doc) else b"") + b'"x": ' + draw(_HUGE) + b"}"
    return raw


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


@st.composite
def _protobuf(draw, depth: int = 2) -> bytes:
    fields = []
    for _ in range(draw(st.integers(0, 6))):
        number, wire = draw(st.integers(0, 20)), draw(st.sampled_from([0, 1, 2, 5, 3, 7]))
        if wire == 2:
            payload = draw(_protobuf(depth - 1)) if depth and draw(st.booleans()) else \
                draw(st.binary(max_size=12))
            size = draw(st.one_of(st.just(len(payload)), st.integers(0, 2 ** 64)))
            value = _varint(size) + payload
        elif wire == 0:
            value = _varint(draw(st.integers(0, 2 ** 70)))
        else:
            value = draw(st.binary(max_size=9))
        fields.append(_varint(number << 3 | wire) + value)
    return b"".join(fields)


@st.composite
def _notebook(draw) -> bytes:
    code = st.text(st.sampled_from(list("def f(x):\n return x+1 %!#\r\t\"\\ié")), max_size=40)
    source = st.one_of(code, st.lists(code, max_size=5), _JSON)
    cell = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", 3])},
                                 optional={"source": source, "outputs": _JSON})
    doc = draw(st.one_of(st.fixed_dictionaries({"cells": st.lists(cell, max_size=5)},
                                               optional={"nbformat": _JSON}), _JSON))
    raw = json.dumps(doc, indent=draw(st.sampled_from([None, 1, 2]))).encode()
    return raw[:draw(st.integers(0, len(raw)))] if draw(st.booleans()) else raw


TARGETS: dict[str, tuple[Callable[[bytes, Path], None], st.SearchStrategy[bytes]]] = {
    "notebook": (notebook_target, st.one_of(_notebook(), st.binary(max_size=64))),
    "config": (config_target, st.one_of(_YAML_DOC, st.binary(max_size=200))),
    "safetensors": (safetensors_target, st.one_of(_tensor_header(), st.binary(max_size=64))),
    "tokenizer": (tokenizer_target, st.one_of(_tokenizer_json(), st.binary(max_size=64))),
    "sentencepiece": (sentencepiece_target, st.one_of(_protobuf(), st.binary(max_size=64))),
}


# ---------------------------------------------------------------- running them

# Crashes whose fix belongs to another module's owner: counted and reported, and the test an
# expected failure naming them. Empty since the config loader's contract was fixed (issue 11):
# every crash in every target now fails the test.
ELSEWHERE: tuple[str, ...] = ()


def _where(exc: BaseException) -> str:
    """``file:function`` of the innermost attrib frame the exception passed through."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/attrib/" in f.filename]
    if not frames:
        return "?"
    last = frames[-1]
    return f"attrib/{last.filename.rsplit('/attrib/', 1)[1]}:{last.name}"


def _kind(exc: BaseException) -> str:
    return f"{type(exc).__name__} in {_where(exc)}"


def _save_crash(target: str, data: bytes) -> Path:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{hashlib.sha1(data).hexdigest()[:12]}.bin"
    path.write_bytes(data)
    return path


def _record(target: str, executions: int, crashes: int) -> None:
    where = os.environ.get(STATS_FILE)
    if where:
        with open(where, "a", encoding="utf-8") as fh:
            fh.write(f"{target}\t{executions}\t{crashes}\n")


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz(target: str) -> None:
    check, inputs = TARGETS[target]
    counts = {"executions": 0, "crashes": 0}
    elsewhere: dict[str, bytes] = {}  # kind -> smallest input
    with tempfile.TemporaryDirectory(prefix=f"attrib-fuzz-{target}-") as tmp:
        workdir = Path(tmp)

        def one(data: bytes) -> None:
            counts["executions"] += 1
            try:
                check(data, workdir)
            except Exception as exc:
                counts["crashes"] += 1
                if not ELSEWHERE or not _where(exc).startswith(ELSEWHERE):
                    if FUZZ_SECONDS:
                        _save_crash(target, data)
                    raise
                kind = _kind(exc)
                if kind not in elsewhere or len(data) < len(elsewhere[kind]):
                    elsewhere[kind] = data

        budget = FUZZ_EXAMPLES if not FUZZ_SECONDS else 2_000
        run = settings(max_examples=budget, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(given(inputs)(one))
        end = time.monotonic() + FUZZ_SECONDS
        try:
            run()
            while time.monotonic() < end:  # on demand: rounds of fresh random examples
                run()
        finally:
            _record(target, counts["executions"], counts["crashes"])
    if FUZZ_SECONDS:  # the smallest input of each kind becomes a regression case
        for data in elsewhere.values():
            _save_crash(target, data)
    if elsewhere:
        pytest.xfail(f"{counts['crashes']} crashes in {', '.join(ELSEWHERE)} (fixed there): "
                     + "; ".join(f"{k} on {v[:60]!r}" for k, v in sorted(elsewhere.items())))


def _corpus() -> list[tuple[str, Path]]:
    return [(t, p) for t in sorted(TARGETS) for p in sorted((CORPUS / t).glob("*"))
            if p.is_file()]


@pytest.mark.parametrize("target, path", _corpus(),
                         ids=[f"{t}/{p.name}" for t, p in _corpus()])
def test_corpus(target: str, path: Path, tmp_path: Path) -> None:
    """Every input that once broke a contract (or seeds one) keeps to it."""
    try:
        TARGETS[target][0](path.read_bytes(), tmp_path)
    except Exception as exc:
        if ELSEWHERE and _where(exc).startswith(ELSEWHERE):
            pytest.xfail(f"{_kind(exc)} (fixed in {', '.join(ELSEWHERE)})")
        raise
