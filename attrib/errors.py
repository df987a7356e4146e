# SPDX-License-Identifier: Apache-2.0
"""The one exception tree of attrib.

The CLI boundary turns these into a one-line message and an exit code
(2 for anything the user can fix); anything else is a bug (exit 3).
"""
from __future__ import annotations


class AttribError(Exception):
    """Root of every error attrib raises on purpose."""

    exit_code = 2


class UsageError(AttribError):
    """The command was called with arguments that cannot work."""


class SourceError(AttribError):
    """A path, repository or ref cannot be read."""


class IndexError_(AttribError):
    """The index store is missing, corrupt, or was built with other parameters."""


class ConfigError(AttribError):
    """A configuration or rule file is malformed."""


class OutputError(AttribError):
    """A report, notice or fixed file cannot be written where it was asked to go."""
