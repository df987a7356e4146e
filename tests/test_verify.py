# SPDX-License-Identifier: Apache-2.0
"""Verification: file pairs confirmed by small units together, and by the folder's other files."""
from __future__ import annotations

import textwrap

from attrib.scan import compare_sources
from attrib.engine.sources import open_source
from attrib.engine.verify import MatchOptions

from helpers import UNRELATED_PY, write_tree

# an upstream of small signal-processing helpers and one class (written for these tests)
UP = textwrap.dedent('''\
    import math
    import struct


    def pack_header(version, flags, length):
        if length > 0xFFFF:
            raise ValueError("payload too long")
        return struct.pack(">BBH", version, flags & 0x0F, length)


    def unpack_header(blob):
        version, flags, length = struct.unpack(">BBH", blob[:4])
        return version, flags & 0x0F, length


    def checksum(payload):
        total = 0
        for i in range(0, len(payload), 2):
            total += (payload[i] << 8) + (payload[i + 1] if i + 1 < len(payload) else 0)
        return (~total) & 0xFFFF


    def window_gain(samples, width):
        peak = max(abs(s) for s in samples[:width]) or 1
        return [s / peak for s in samples[:width]]


    def log_energy(samples):
        energy = sum(s * s for s in samples) / max(len(samples), 1)
        return 10 * math.log10(energy + 1e-12)


    def hann(n):
        return [0.5 - 0.5 * math.cos(2 * math.pi * k / (n - 1)) for k in range(n)]


    def unpack_only(blob):
        return struct.unpack(">BBH", blob[:4])


    def log_energy(samples):
        return 10 * math.log10(sum(s * s for s in samples) + 1e-12)


    def ramp(n):
        return [math.cos(0.5 * math.pi * k / n) for k in range(n)]


    def to_int16(x):
        return max(-32768, min(32767, int(x)))


    class Framer:
        def __init__(self, size, hop):
            self.size = size
            self.hop = hop
            self.buffer = []

        def push(self, chunk):
            self.buffer.extend(chunk)
            frames = []
            while len(self.buffer) >= self.size:
                frames.append(self.buffer[:self.size])
                del self.buffer[:self.hop]
            return frames

        def flush(self):
            rest, self.buffer = self.buffer, []
            return rest + [0] * (self.size - len(rest))
''')


# four one-line helpers of UP, renamed: none is big enough to match alone
SMALL = textwrap.dedent('''\
    import math
    import struct


    def decode_head(raw):
        return struct.unpack(">BBH", raw[:4])


    def loudness(xs):
        return 10 * math.log10(sum(x * x for x in xs) + 1e-12)


    def cosine_ramp(m):
        return [math.cos(0.5 * math.pi * j / m) for j in range(m)]


    def clamp16(v):
        return max(-32768, min(32767, int(v)))
''')

# UP's class and checksum, renamed: a copy that matches on its own
BIG = textwrap.dedent('''\
    class Chunker:
        def __init__(self, length, step):
            self.length = length
            self.step = step
            self.pending = []

        def feed(self, block):
            self.pending.extend(block)
            out = []
            while len(self.pending) >= self.length:
                out.append(self.pending[:self.length])
                del self.pending[:self.step]
            return out

        def drain(self):
            tail, self.pending = self.pending, []
            return tail + [0] * (self.length - len(tail))


    def crc(data):
        acc = 0
        for i in range(0, len(data), 2):
            acc += (data[i] << 8) + (data[i + 1] if i + 1 < len(data) else 0)
        return (~acc) & 0xFFFF
''')


def matched(tmp_path, files: dict[str, str], options: MatchOptions | None = None) -> set:
    s = write_tree(tmp_path / "suspect", files)
    u = write_tree(tmp_path / "upstream", {"dsp.py": UP})
    report = compare_sources(open_source(s), open_source(u), "up", options)
    return {(m.path, n) for m in report.matches for n in m.names}


def test_small_copied_functions_confirm_their_file_pair_together(tmp_path):
    found = matched(tmp_path / "a", {"small.py": SMALL})
    assert {n for _, n in found} == {"decode_head", "loudness", "cosine_ramp", "clamp16"}
    # each alone is too small: without the aggregate nothing is reported
    assert matched(tmp_path / "b", {"small.py": SMALL}, MatchOptions(aggregate_units=99)) == set()


def test_two_small_functions_alone_are_not_a_copy(tmp_path):
    assert matched(tmp_path, {"two.py": SMALL.split("def cosine_ramp")[0]}) == set()


def test_sibling_files_proving_an_upstream_file_confirm_a_small_copy_of_it(tmp_path):
    two = SMALL.split("def cosine_ramp")[0]
    found = matched(tmp_path / "a", {"pkg/big.py": BIG, "pkg/two.py": two})
    assert {("pkg/two.py", "decode_head"), ("pkg/two.py", "loudness")} <= found
    # the same file in another folder has no such context
    apart = matched(tmp_path / "b", {"pkg/big.py": BIG, "other/two.py": two})
    assert not {p for p, _ in apart} & {"other/two.py"}


def test_folder_context_does_not_spread_to_a_file_mostly_of_other_code(tmp_path):
    mixed = SMALL.split("def loudness")[0] + "\n\n" + UNRELATED_PY
    found = matched(tmp_path, {"pkg/big.py": BIG, "pkg/mixed.py": mixed})
    assert {p for p, _ in found} == {"pkg/big.py"}


def test_a_file_holding_two_copies_of_one_upstream_class_gets_both(tmp_path):
    again = BIG.replace("Chunker", "Slicer").replace("pending", "queue").replace("crc", "crc2")
    found = matched(tmp_path / "a", {"two.py": BIG + "\n\n" + again})
    assert {"Chunker.feed", "Chunker.drain", "Slicer.feed", "Slicer.drain"} <= {n for _, n in found}
    # each upstream token used once: the first copy to be tiled takes the class
    once = matched(tmp_path / "b", {"two.py": BIG + "\n\n" + again}, MatchOptions(tile_rounds=1))
    assert not {"Chunker.feed", "Slicer.feed"} <= {n for _, n in once}


GROWN_UP = textwrap.dedent('''\
    import numpy as np


    def heat_map(activations, gradients, size=(224, 224), eps=1e-8):
        weights = np.mean(gradients, axis=(1, 2))
        cam = np.zeros(activations.shape[1:], dtype=np.float32)
        for index, weight in enumerate(weights):
            cam += weight * activations[index, :, :]
        cam = np.maximum(cam, 0)
        cam = cam - np.min(cam)
        cam = cam / (np.max(cam) + eps)
        rows = np.linspace(0, cam.shape[0] - 1, size[0]).astype(int)
        cols = np.linspace(0, cam.shape[1] - 1, size[1]).astype(int)
        return cam[np.ix_(rows, cols)]
    ''')
# the copy renames it and grows it to twice its size with code of its own
GROWN = textwrap.dedent('''\
    import json
    import numpy as np


    def explain(acts, grads, shape=(224, 224), tiny=1e-8, labels=None, out_path=None):
        w = np.mean(grads, axis=(1, 2))
        m = np.zeros(acts.shape[1:], dtype=np.float32)
        for k, wk in enumerate(w):
            m += wk * acts[k, :, :]
        m = np.maximum(m, 0)
        m = m - np.min(m)
        m = m / (np.max(m) + tiny)
        r = np.linspace(0, m.shape[0] - 1, shape[0]).astype(int)
        c = np.linspace(0, m.shape[1] - 1, shape[1]).astype(int)
        result = m[np.ix_(r, c)]
        summary = {"peak": float(result.max()), "mean": float(result.mean())}
        if labels is not None:
            ranked = sorted(zip(labels, w.tolist()), key=lambda item: -item[1])
            summary["top"] = [name for name, _ in ranked[:5]]
            summary["bottom"] = [name for name, _ in ranked[-5:]]
        if out_path:
            with open(out_path, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2, sort_keys=True)
        history = [summary["peak"], summary["mean"], len(summary.get("top", []))]
        print("explained", len(history), "values; peak", summary["peak"])
        return result, summary
    ''')


def test_a_copy_the_copier_grew_is_found_by_how_much_of_its_upstream_it_holds(tmp_path):
    """grad-cam-hiveml: most of the upstream function is there, but under half the copy."""
    s = write_tree(tmp_path / "suspect", {"explain.py": GROWN})
    u = write_tree(tmp_path / "upstream", {"cam.py": GROWN_UP})
    report = compare_sources(open_source(s), open_source(u), "up")
    assert [(m.names, m.upstream_names) for m in report.matches] == [(("explain",), ("heat_map",))]
    # and the grown copy does not match unrelated code
    other = write_tree(tmp_path / "other", {"cam.py": textwrap.dedent('''\
        def unrelated(values):
            return sorted(set(values))
        ''')})
    assert not compare_sources(open_source(s), open_source(other), "up").matches


# ---------------------------------------------------------------- vouched tokens, against the definition

import numpy as np  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from attrib.engine.verify import _vouched  # noqa: E402
from attrib.model import Tile  # noqa: E402


def reference_vouched(tiles, rare, k, n):
    """Each tile, each uncommon shingle start in ``rare[start:start + length - k + 1]``,
    covers its k tokens (the slice as Python takes it)."""
    out = [False] * n
    for t in tiles:
        for p in range(len(rare))[t.s_start:t.s_start + t.length - k + 1]:
            if rare[p]:
                out[p:p + k] = [True] * k
    return out[:n]


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(0, 90), st.integers(1, 9))
def test_vouched_tokens_match_the_definition(data, n, k):
    rare = np.array(data.draw(st.lists(st.booleans(), min_size=max(0, n - k + 1),
                                       max_size=max(0, n - k + 1))), dtype=bool)
    tiles, pos = [], 0
    while pos < n:  # tiles never overlap on the suspect side
        pos += data.draw(st.integers(0, 6))
        length = data.draw(st.integers(1, 25))
        if pos + length <= n:
            tiles.append(Tile(pos, 0, length))
        pos += length
    tiles = data.draw(st.permutations(tiles))
    assert _vouched(tiles, rare, k, n).tolist() == reference_vouched(tiles, rare, k, n)


# ---------------------------------------------------------------- a class dealt over several files

# an upstream command class with an option table in its header (written for these tests)
COMMAND_UP = textwrap.dedent('''\
    import os
    import shutil


    class Exporter(Command):
        description = "export the build tree into a release folder"
        user_options = [
            ("target=", "t", "folder the release is written to"),
            ("format=", "f", "archive format: zip, tar or none"),
            ("keep-temp", "k", "keep the staging folder after export"),
            ("dry-run", "n", "say what would be copied, copy nothing"),
        ]
        boolean_options = ["keep-temp", "dry-run"]

        def initialize_options(self):
            self.target = None
            self.format = "zip"
            self.keep_temp = False

        def staged_files(self, root):
            found = []
            for folder, _, names in os.walk(root):
                found += [os.path.join(folder, n) for n in names if not n.endswith(".pyc")]
            return sorted(found)

        def clear_stage(self, stage):
            if os.path.isdir(stage) and not self.keep_temp:
                shutil.rmtree(stage, ignore_errors=True)
            return not os.path.exists(stage)
    ''')


def test_a_method_dealt_with_its_class_header_is_credited_to_itself_not_the_header(tmp_path):
    """A class spread over files carries its header in each: the header is a unit of its own,
    so its tokens do not vote the method's home onto the upstream header (issue 10)."""
    head = COMMAND_UP.split("    def initialize_options")[0].replace("Exporter", "Shipper")
    walk = COMMAND_UP.split("    def staged_files")[1].split("    def clear_stage")[0]
    clear = COMMAND_UP.split("    def clear_stage")[1]
    parts = {"ship/one.py": head + "    def walk_stage" + walk.replace("root", "base"),
             "ship/two.py": head + "    def wipe" + clear.replace("stage", "place")}
    s = write_tree(tmp_path / "suspect", parts)
    u = write_tree(tmp_path / "upstream", {"cmd.py": COMMAND_UP})
    report = compare_sources(open_source(s), open_source(u), "up")
    homes = {n: un for m in report.matches for n, un in zip(m.names, m.upstream_names)}
    assert homes.get("Shipper.walk_stage") == "Exporter.staged_files"
    assert homes.get("Shipper.wipe") == "Exporter.clear_stage"


def test_a_class_header_is_its_own_unit_only_when_it_holds_more_than_its_name(tmp_path):
    from attrib.engine.lang import parse_file
    from attrib.engine.units import units

    short = "class Bare(Base):\n    def run(self):\n        return self.value + 1\n"
    write_tree(tmp_path, {"short.py": short, "cmd.py": COMMAND_UP})
    source = open_source(tmp_path)
    by_path = {f.path: parse_file(f) for f in source.files}
    assert [(u.fragment.name, u.fragment.start_line) for u in units(by_path["short.py"])] == [
        ("Bare.run", 1)]  # the bare header rides with its method: the class's rename counts
    names = [(u.fragment.kind, u.fragment.name, u.fragment.start_line, u.fragment.end_line)
             for u in units(by_path["cmd.py"])]
    assert names[:2] == [("class", "Exporter", 5, 13), ("function", "Exporter.initialize_options",
                                                         15, 18)]


# ---------------------------------------------------------------- look-alike twins upstream

# an upstream class of near-identical predicates, told apart by one imported name each
TWINS_UP = textwrap.dedent('''\
    import os
    from stat import S_ISDIR, S_ISCHR, S_ISFIFO


    class Entry:
        def __init__(self, where, follow=True):
            self.where = os.fspath(where)
            self.follow = follow
            self.cache = {}

        def status(self):
            key = (self.where, self.follow)
            if key not in self.cache:
                self.cache[key] = os.stat(self.where) if self.follow else os.lstat(self.where)
            return self.cache[key]

        def is_dir(self):
            try:
                return S_ISDIR(self.status().st_mode)
            except OSError:
                return False

        def is_char_device(self):
            try:
                return S_ISCHR(self.status().st_mode)
            except OSError:
                return False

        def is_fifo(self):
            try:
                return S_ISFIFO(self.status().st_mode)
            except OSError:
                return False
    ''')


def test_a_small_copy_with_look_alike_twins_upstream_is_credited_to_its_own_twin(tmp_path):
    """Whole-file tiling lays the copy on the first twin; the imported name it kept
    (``S_ISFIFO``) tells which one it copies."""
    body = TWINS_UP.split("    def is_dir")[0]
    fifo = "    def is_fifo" + TWINS_UP.split("    def is_fifo")[1]
    copy = (body + fifo).replace("Entry", "Item").replace("where", "spot").replace(
        "status", "info").replace("cache", "memo")
    s = write_tree(tmp_path / "suspect", {"item.py": copy})
    u = write_tree(tmp_path / "upstream", {"entry.py": TWINS_UP})
    report = compare_sources(open_source(s), open_source(u), "up")
    homes = {n: un for m in report.matches for n, un in zip(m.names, m.upstream_names)}
    assert homes.get("Item.is_fifo") == "Entry.is_fifo"
