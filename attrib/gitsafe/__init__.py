# SPDX-License-Identifier: Apache-2.0
"""The one way attrib runs git: on a repository read as data, never configured by it.

A repository's ``.git/config`` is written by whoever made the repository, and
git runs programs it names (``log.showSignature`` + ``gpg.program``,
``core.fsmonitor``, ``diff.external``, ``filter.*``, ``core.sshCommand``,
``credential.helper``, a promisor remote's ``uploadpack`` on lazy fetch, ...).
So attrib never lets git read it.  :class:`Repo` builds a *private* git
directory in a temporary directory:

- ``objects/info/alternates`` names the repository's object directory, so
  every object is readable and nothing is copied;
- its refs, ``packed-refs``, ``HEAD`` and ``shallow`` are copied as data
  (regular files only: a symlinked ref is not followed);
- its config is attrib's own: no remote, no promisor (so a blob a partial clone
  lacks is simply missing: never fetched), no hooks, no helpers.  Of the
  repository's config only ``extensions.objectFormat`` is read, as data
  (``git config --file --no-includes``), so SHA-256 repositories open.

Every git process gets a scrubbed environment (no inherited ``GIT_*``; no
system or global config; ``GIT_NO_LAZY_FETCH``; no prompt, no pager), stdin
closed, ``core.hooksPath=/dev/null``, ``protocol.allow=never`` (a read needs
no transport) and a timeout.  Because ``GIT_DIR`` is explicit and is ours,
git's ownership check (``safe.directory``) does not apply: it exists to stop a
foreign repository's config from running code, and that config is never read.

*Containment.*  An untrusted repository is the tree attrib was pointed at: a
``.git`` file (``gitdir: ...``), ``commondir`` or object alternates that lead
out of that tree raise :class:`OutsideTree` (one line); nothing is read there.
The user's own repository (``attrib check``) is located the way git does
(parent directories, linked worktrees), but is opened the same private way.

*Clones.*  A ``file://`` URL is never cloned (that would run ``upload-pack``
inside it, configured by it): it is read in place like a path.  Other URLs
are cloned bare with only https, http, ssh and git transports allowed,
no submodules, no hooks, no prompt.
"""
from __future__ import annotations

from .location import Location, NotARepository, OutsideTree, locate
from .objects import Entry
from .repo import Repo, open_repo
from .run import (CLONE_PROTOCOLS, clone, config_get, display, environment, failure,
                  local_path_of, ls_remote)

__all__ = ["CLONE_PROTOCOLS", "Entry", "Location", "NotARepository", "OutsideTree", "Repo",
           "clone", "config_get", "display", "environment", "failure", "local_path_of",
           "locate", "ls_remote", "open_repo"]
