# SPDX-License-Identifier: Apache-2.0
"""Licence detection: SPDX ids from licence files, SPDX headers and packaging metadata.

Licence *texts* are recognised by comparing them with the reference texts
shipped in ``attrib/data/licenses`` (listed in its ``index.toml``):

1. Normalise: drop copyright lines (they differ in every copy), lowercase,
   keep only words (``[a-z0-9]`` runs, ``2.1`` kept whole), so comment
   prefixes (``#``, `` * ``, ``//``), punctuation, Markdown and line wrapping
   all vanish; "licence" is read as "license".
2. Cut the words into overlapping 5-word shingles.  A reference's score in a
   candidate is *containment*: the share of the reference's core shingles
   (the text without its optional how-to-apply appendix or exhibits) found in
   the candidate.  Extra text around it (a second licence, a preamble, an
   edited copyright holder) does not lower it; a missing appendix does not
   either; an edited word costs only the five shingles that hold it.
3. Pick greedily: the reference with most shingles found wins and the
   candidate positions it explains are used up; the others are scored again
   on what is left.  So BSD-3-Clause, which contains all of BSD-2-Clause,
   beats it (even with a holder's name in clause 3), AGPL-3.0 beats GPL-3.0
   on an AGPL text, and MIT followed by Apache-2.0 yields both.  A winner
   must also cover most words of its region (the run of hits that follows
   the reference's order): NCSA holds every word of MIT-0 but has clauses of
   its own in between, so it is not MIT-0.  Look-alikes also need their
   distinguishing phrase (``require`` in the index: ISC's "permission notice
   appear in all copies", which 0BSD lacks; BSD-3-Clause's clause 3).
4. GPL-family texts are the same for "-only" and "-or-later": the suffix
   comes from a notice ("either version 3 of the License, or (at your
   option) any later version", "GPL-2.0+", "version 2 only"), never from the
   template notice inside the licence's own how-to-apply appendix.  A bare
   text with no notice is reported "-only": the text alone grants no more
   than that version (GPL-3.0 §14 lets the *program* opt into later versions;
   the text does not), "-only" is the stricter reading for compatibility
   checks, and it is what ScanCode (key ``gpl-3.0``, SPDX ``GPL-3.0-only``)
   and licensee (``GPL-3.0``, SPDX's deprecated id for ``GPL-3.0-only``)
   report for a bare text.  A tree's metadata or
   SPDX headers naming the same licence "-or-later" upgrade it.
5. Several licences in one file join with AND, or with OR when a statement
   just above the texts (or at the top of the file) offers a choice ("dual
   licensed", "either of", "at your choice"); a bundle of third-party
   licences stays AND even if one of its parts is dual-licensed.  Statements
   without a text ("Licensed under the MIT License", "released under the
   GPLv3+") are read by name, and only after a grant ("licensed under",
   "distributed under the terms of"): prose that merely names licences is
   not a licence.

Names and expressions are parsed and normalised with ``license-expression``'s
SPDX licensing (``GPL-2.0`` -> ``GPL-2.0-only``, ``mit`` -> ``MIT``); free-text
names ("Apache 2.0", "GPLv3+") and trove classifiers go through the tables in
the index.  Input is untrusted: bytes are decoded defensively, at most
200 KB are read, and malformed content never raises.
"""
from __future__ import annotations

from .common import MAX_BYTES, Detection, decode
from .expressions import FAMILIES, license_family, spdx_headers, validate_spdx
from .metadata import detect_metadata
from .references import (
    DATA,
    SHINGLE,
    _reduce,  # noqa: F401 - data/licenses/index.toml cites attrib.licenses._reduce
    copyright_lines,
)
from .texts import MIN_COVERAGE, MIN_SCORE, detect_license_text, detect_text
from .tree import (
    HEADER_BYTES,
    NOTICE_NAMES,
    TreeLicense,
    detect_source,
    detect_tree,
    is_license_file,
)

__all__ = [
    "DATA", "FAMILIES", "HEADER_BYTES", "MAX_BYTES", "MIN_COVERAGE", "MIN_SCORE", "NOTICE_NAMES", "SHINGLE",
    "Detection", "TreeLicense", "copyright_lines", "decode", "detect_license_text", "detect_metadata",
    "detect_source", "detect_text", "detect_tree", "is_license_file", "license_family", "spdx_headers",
    "validate_spdx",
]
