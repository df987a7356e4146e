# SPDX-License-Identifier: Apache-2.0
"""The code-similarity engine, one module per stage of its pipeline, in order.

* :mod:`.sources`: the files of a directory, a single file, or a git tree at a ref,
  read as data (bounded, no symlinks out, git through :mod:`attrib.gitsafe`);
* :mod:`.lang`: parsing and normalisation: each language turns a file's bytes
  into a normalised token stream and its fragments (tree-sitter for Python,
  pygments for the rest, brace languages cut into functions by :mod:`.lang.braces`);
* :mod:`.units`: the parts of a file that are scored and reported;
* :mod:`.fingerprint`: k-token shingles, MinHash sketches, LSH band keys;
* :mod:`.background`: shingles so common that they prove nothing;
* :mod:`.index`: the stores of known upstreams (SQLite, Redis) behind one
  protocol; :mod:`.indexing` parses and writes to them, :mod:`.blobcache` keeps
  parsed blobs by id;
* :mod:`.candidates`: the upstream blobs worth tiling, from the LSH index;
* :mod:`.verify`: greedy string tiling (:mod:`.tiling`) of each candidate pair and
  the scoring and confirmation of units;
* :mod:`.regions`: verified hits merged into matches, twins ranked, with the
  evidence of :mod:`.evidence` (verbatim quotes, one-to-one rename maps).

:mod:`.match` runs the stages after parsing; rules, report formats, git
surfaces and model artifacts live outside this package and use it.
"""
