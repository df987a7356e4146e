# SPDX-License-Identifier: Apache-2.0
"""The background table: shingles of framework templates count once per model family."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np

from attrib.engine.background import DATA, Source, build, common_shingles, is_common, table_header, write
from attrib.engine.fingerprint import default_params, shingle_hashes
from attrib.engine.lang import normaliser_version, python

# a config scaffold every family repeats, and code only one family has (written for these tests)
TEMPLATE = textwrap.dedent('''\
    class {name}Config(PretrainedConfig):
        model_type = "{lower}"
        keys_to_ignore_at_inference = ["past_key_values"]

        def __init__(self, vocab_size=32000, hidden_size=768, num_hidden_layers=12,
                     initializer_range=0.02, pad_token_id=None, **kwargs):
            self.vocab_size = vocab_size
            self.hidden_size = hidden_size
            self.num_hidden_layers = num_hidden_layers
            self.initializer_range = initializer_range
            super().__init__(pad_token_id=pad_token_id, **kwargs)
''')
OWN = textwrap.dedent('''\
    def rotary_table(positions, theta, width):
        inv = [theta ** (-2.0 * i / width) for i in range(width // 2)]
        return [[p * f for f in inv] for p in positions]
''')


def shingles(text: str) -> np.ndarray:
    stream, _ = python.parse(text)
    return shingle_hashes(stream, default_params().k)


def wheel(tmp_path: Path, families: list[str], own_copies: int) -> Path:
    path = tmp_path / "frame-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for fam in families:
            z.writestr(f"frame/models/{fam}/configuration_{fam}.py",
                       TEMPLATE.format(name=fam.title(), lower=fam))
        for i in range(own_copies):  # one family's many files: still one witness
            z.writestr(f"frame/models/{families[0]}/modeling_{families[0]}_{i}.py", OWN)
        z.writestr(f"frame/models/{families[1]}/tokenization_x.py", OWN)  # not a template file
    return path


def test_template_shingles_in_five_families_are_common_one_family_is_not(tmp_path):
    families = ["alpha", "bravo", "charlie", "delta", "echo"]
    source = Source("frame==1.0", wheel(tmp_path, families, own_copies=6),
                    families="frame/models/*", include=("configuration_*.py", "modeling_*.py"))
    meta, table = build([source], min_groups=5)
    template = shingles(TEMPLATE.format(name="Zulu", lower="zulu"))
    _, boilerplate_only = build([], min_groups=5)  # the hand-written table is always in
    assert is_common(template, table).mean() > 0.8
    assert is_common(template, table).sum() > is_common(template, boilerplate_only).sum()
    own = shingles(OWN)
    assert np.array_equal(is_common(own, table), is_common(own, boilerplate_only))
    assert meta["groups"] == 5 and meta["sources"][0]["source"] == "frame==1.0"


def test_held_out_families_are_not_counted(tmp_path):
    families = ["alpha", "bravo", "charlie", "delta", "echo"]
    source = Source("frame==1.0", wheel(tmp_path, families, own_copies=0),
                    families="frame/models/*", include=("configuration_*.py",),
                    exclude=frozenset({"echo"}))
    meta, table = build([source], min_groups=5)
    assert meta["groups"] == 4 and meta["sources"][0]["held_out"] == ["echo"]
    template = shingles(TEMPLATE.format(name="Zulu", lower="zulu"))
    _, boilerplate_only = build([], min_groups=5)
    assert np.array_equal(is_common(template, table), is_common(template, boilerplate_only))


def test_written_table_round_trips_with_its_header(tmp_path):
    meta, table = build([Source("tree", tmp_path)], min_groups=5)
    dest = tmp_path / "t.bin"
    write(meta, table, dest)
    header, _, body = dest.read_bytes().partition(b"\n")
    assert np.array_equal(np.frombuffer(body, dtype="<u4"), table)
    assert b'"normaliser"' in header


def test_shipped_table_fits_the_normaliser_and_names_its_sources():
    header = table_header()
    # the table holds Python shingles: the Python normaliser must be the one it was built with,
    # else the table is silently unused
    assert header["normaliser"].split("-")[0] == normaliser_version().split("-")[0]
    assert len(common_shingles(normaliser_version(), header["k"])) == header["shingles"]
    labels = {s["source"].split("==")[0] for s in header["sources"]}
    assert {"transformers", "numpy", "scipy", "setuptools", "pip"} <= labels
    assert all("==" in s["source"] for s in header["sources"])
    # what project generators write is taken whole: two fresh Django projects are no copies
    generated = {s["source"].split("==")[0] for s in header["sources"] if s.get("whole")}
    assert {"django", "scrapy"} <= generated
    assert DATA.stat().st_size < 1 << 20  # small enough to ship in the wheel


def test_command_line_without_sources_fails_with_usage(tmp_path):
    done = subprocess.run([sys.executable, "-m", "attrib.engine.background", "build", "--out",
                           str(tmp_path / "t.bin")], capture_output=True, text=True)
    assert done.returncode == 2 and "at least one PATH" in done.stderr
    assert not (tmp_path / "t.bin").exists()


GO_SCAFFOLD = """package cmd

import "os"

var rootCmd = &Command{Use: "tool", Short: "a short description of the tool"}

func Execute() {
	if err := rootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}

func init() {
	rootCmd.Flags().BoolP("toggle", "t", false, "help message for toggle")
	rootCmd.PersistentFlags().StringVar(&configFile, "config", "", "config file")
}
"""


def test_a_template_source_makes_every_shingle_of_its_brace_language_files_common(tmp_path):
    """A generator's output (here a made-up Go scaffold) is what independent projects share."""
    from attrib.engine.fingerprint import default_params, shingle_hashes
    from attrib.engine.lang import generic

    (tmp_path / "scaffold" / "cmd").mkdir(parents=True)
    (tmp_path / "scaffold" / "cmd" / "root.go").write_text(GO_SCAFFOLD)
    (tmp_path / "scaffold" / "helper.py").write_text("x = 1\n")  # not a brace language: unread
    source = Source("scaffold", tmp_path / "scaffold", include=("*.go", "*.py"), whole=True)
    meta, table = build([source], min_groups=5, generic=True)
    stream, _ = generic.parse(GO_SCAFFOLD, "go")
    hashes = shingle_hashes(stream, default_params().k)
    assert is_common(hashes, table).all()
    assert meta["files"] == 1 and meta["sources"][0]["whole"] is True
    # without the flag one file is one group, below min_groups: nothing is common
    _, none = build([Source("scaffold", tmp_path / "scaffold", include=("*.go",))], 5,
                    generic=True)
    assert not is_common(hashes, none).any()


def test_shipped_generic_table_fits_the_brace_normaliser_and_is_used_for_go_not_python():
    from attrib.engine.background import GENERIC_DATA, common_for

    header = json.loads(GENERIC_DATA.read_bytes().partition(b"\n")[0])
    assert header["normaliser"].split("-")[-1] == normaliser_version().split("-")[-1]
    assert len(common_for("go", normaliser_version(), header["k"])) == header["shingles"]
    assert len(common_for("python", normaliser_version(), header["k"])) == table_header()["shingles"]
    labels = " ".join(s["source"] for s in header["sources"])
    assert "golang-1.19-src" in labels and "cobra-cli" in labels and "create-vite" in labels
    assert GENERIC_DATA.stat().st_size < 1 << 20
