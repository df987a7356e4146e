# SPDX-License-Identifier: Apache-2.0
"""attrib: find disguised copies of known upstream code and check that their credit came along.

The package is a pipeline of plain functions over the frozen dataclasses in
:mod:`attrib.model`: sources -> fragments -> tokens -> fingerprints -> index ->
matches -> report.  The command line (:mod:`attrib.cli`) is a thin shell over it.
"""
from __future__ import annotations

__version__ = "0.1.0"
