"""Loaded rule sets kept between processes, under a key made of everything they came from.

Every `torrentwatch flag` (explain, `rules diff`, a DAG task) is a new process that reads
and compiles the same pack bytes again: ~20 ms of YAML, checks and SQL for the shipped
packs and a 1,000-term operator pack, which is 7% of an incremental flag run that
evaluates 10,000 new torrents at 1,000,000 (BENCHMARKS.md). The loaded ``RuleSet`` is
kept pickled under the SHA-256 of: the Python version, every file of the code that reads
packs (``rules/``, ``parsers/``, ``common/``: their sources and data), and each pack's
name and bytes in load order. A change to any of them is another key, so a stale entry
is never read. The files the packs name (term lists) are read while loading; the entry
lists them with the digest of their bytes, and is handed out only while each still
holds those bytes. An entry that cannot be read is ignored and written again. Only sets that
loaded without a problem are kept (a pack with problems raises every time).

Unpickling runs what the file says, so an entry is only read from a folder this user
owns and no one else can write, and only if the file is this user's and no one else
can write it; otherwise the cache is not used. ``TORRENTWATCH_CACHE_DIR`` moves the cache
(an absolute path; default ``$XDG_CACHE_HOME/torrentwatch``, else
``~/.cache/torrentwatch``); ``off`` switches it off.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from common import files
from common.errors import TorrentwatchError
from rules.source import file_digest
from rules.text_predicates import MAX_TERMS_BYTES

if TYPE_CHECKING:
    from rules.ruleset import RuleSet

ENV = "TORRENTWATCH_CACHE_DIR"
SUBDIR = "rulesets"
# Entries kept: each distinct pack set is one (~80 KB); the oldest go first.
KEEP = 32
# The packages whose code (and data files) turns pack bytes into rules.
CODE_PACKAGES = ("rules", "parsers", "common")


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    given = os.environ.get(ENV, "")
    if given.strip().lower() == "off":
        return None
    if given:
        base = Path(given)
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "torrentwatch"
    else:
        base = Path(os.path.expanduser("~")) / ".cache" / "torrentwatch"
    # A user without a home (a container's arbitrary uid): "~" stays as written, and a
    # relative folder would land wherever the process runs. No cache then.
    return base / SUBDIR if base.is_absolute() else None


@functools.cache
def code_key() -> str:
    """SHA-256 of the Python version and of every file of ``CODE_PACKAGES`` (names and
    bytes, sorted): the code and data a rule set's reading depends on."""
    digest = hashlib.sha256(sys.version.encode())
    for package in CODE_PACKAGES:
        root = Path(importlib.import_module(package).__file__ or "").parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def key(sources: Iterable[tuple[str, bytes]], shipped: bool) -> str:
    """The entry's key: the code, then each (name, bytes) of the packs in order."""
    digest = hashlib.sha256(code_key().encode())
    digest.update(b"shipped" if shipped else b"operator-only")
    for name, data in sources:
        for part in (name.encode(), data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def _private(st: os.stat_result) -> bool:
    """This user's, and writable by no one else."""
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _trusted_dir(folder: Path, create: bool) -> bool:
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _private(st)


def get(entry_key: str) -> RuleSet | None:
    """The rule set kept under ``entry_key``, or None (none kept, cache off, a folder or
    file others could write, or an entry that cannot be read)."""
    folder = cache_dir()
    if folder is None or not _trusted_dir(folder, create=False):
        return None
    path = folder / f"{entry_key}.pickle"
    try:
        with files.open_regular(path) as handle:  # a FIFO put there cannot hang us
            if not _private(os.fstat(handle.fileno())):
                return None
            loaded = pickle.load(handle)
    except Exception:  # none kept, or a damaged entry: a miss (it is written again)
        return None
    from rules.ruleset import RuleSet

    if not isinstance(loaded, RuleSet) or not _reads_unchanged(loaded):
        return None
    return loaded


def _reads_unchanged(ruleset: RuleSet) -> bool:
    """Whether every file the packs named (term lists) still holds what was read. Read
    under the term files' own cap: a file past it could not have been loaded."""
    for path, digest in ruleset.reads:
        try:
            if file_digest(path, MAX_TERMS_BYTES) != digest:
                return False
        except (OSError, ValueError, TorrentwatchError):
            return False
    return True


def put(entry_key: str, ruleset: RuleSet) -> None:
    """Keep ``ruleset`` under ``entry_key`` (atomically; best effort: a cache that cannot
    be written only costs the next process the reading again)."""
    folder = cache_dir()
    if folder is None or not _trusted_dir(folder, create=True):
        return
    try:
        data = pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, folder / f"{entry_key}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder)
    except (OSError, pickle.PicklingError):
        return


def _prune(folder: Path) -> None:
    """Keep the ``KEEP`` most recently written entries."""
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
