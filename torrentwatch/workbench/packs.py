"""The operator rule packs the workbench's admins manage: one folder the workbench owns
(``Home.packs``: ``<warehouse>.workbench-packs/`` beside a file, ``<home>/packs`` for a
lake), which operators then give to `torrentwatch flag <folder>` or the torrent_flag
DAG's ``packs`` Variable. The workbench never runs flag itself.

A pack is kept only when the shipped packs, the folder's other packs and it load
together without a problem (``rules.ruleset.load_packs``, what `rules lint` runs), so
the folder always lints clean; a removal is checked the same way (another pack may
switch off a rule the removed one defines). Nothing is lost: a replaced or removed
pack moves to ``.previous/`` in the folder (which flag does not read, it is not a
``*.yaml`` file of the folder), and a new pack reaches its name by an atomic rename.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from common.errors import RulesInvalid, WorkbenchError
from rules.ruleset import load_packs
from rules.source import Problem

# A pack is a few hundred lines; an upload form must not take a disk.
MAX_UPLOAD_BYTES = 1024 * 1024
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(?:yaml|yml)")
PREVIOUS = ".previous"
_LOCK = ".lock"


@dataclass(frozen=True, slots=True)
class PackFile:
    """One pack of the folder: its rules in force (ids) when the folder loads."""

    name: str
    size: int
    modified: str  # ISO time, UTC
    sha256: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackListing:
    folder: Path
    packs: list[PackFile]
    # Problems of the folder as it stands (a pack edited by hand outside the workbench);
    # empty when it loads clean.
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class PackChange:
    name: str
    sha256: str | None  # the kept pack's (None for a removal)
    previous_sha256: str | None  # the pack it replaced or removed, kept in .previous/
    rules: int  # rules in force after the change (shipped and operator)


def check_pack_name(name: str) -> None:
    """A plain file name ending .yaml/.yml (no folder, no leading dot, at most 64+5)."""
    if not NAME.fullmatch(name):
        raise WorkbenchError(
            f"pack name {name[:80]!r}: use letters, digits, '.', '_' or '-' (starting with a "
            "letter or digit, at most 64 characters) and end it with .yaml or .yml"
        )


def pack_files(folder: Path) -> list[Path]:
    """The packs flag would read from ``folder`` (its ``*.yaml``/``*.yml``, by name)."""
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()),
        key=lambda p: p.name,
    )


def list_packs(folder: Path) -> PackListing:
    """The folder's packs, each with the rules of it in force after layering."""
    files = pack_files(folder)
    problems: tuple[Problem, ...] = ()
    owned: dict[str, list[str]] = {}
    if files:
        try:
            ruleset = load_packs(files)
        except RulesInvalid as exc:
            problems = _named(exc.problems, {str(f): f.name for f in files})
        else:
            for rule in ruleset.rules.values():
                owned.setdefault(rule.where.rsplit(":", 2)[0], []).append(rule.id)
    packs = []
    for f in files:
        data = f.read_bytes()
        stat = f.stat()
        packs.append(
            PackFile(
                name=f.name,
                size=stat.st_size,
                modified=datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
                sha256=hashlib.sha256(data).hexdigest(),
                rule_ids=tuple(owned.get(str(f), ())),
            )
        )
    return PackListing(folder, packs, problems)


def add_pack(folder: Path, name: str, data: bytes) -> PackChange:
    """Keep ``data`` as the pack ``name`` in ``folder`` if the shipped packs, the
    folder's others and it load together; else RulesInvalid listing every problem
    (files named by pack name, not by where the upload was staged) and nothing kept."""
    check_pack_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise WorkbenchError(
            f"pack {name}: larger than {MAX_UPLOAD_BYTES:,} bytes; a rule pack is a few "
            "hundred lines"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        staging = folder / f".incoming-{secrets.token_hex(8)}"
        staging.mkdir()
        try:
            staged = staging / name
            _write_synced(staged, data)
            paths = [p for p in pack_files(folder) if p.name != name] + [staged]
            paths.sort(key=lambda p: p.name)  # the order flag will read the folder in
            ruleset = _lint(paths, {str(staged): name} | _names(folder))
            target = folder / name
            previous = _keep_previous(folder, target) if target.exists() else None
            os.replace(staged, target)
            _sync_dir(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return PackChange(name, _sha256(data), previous, len(ruleset.rules))


def remove_pack(folder: Path, name: str) -> PackChange:
    """Move the pack ``name`` out of force (into ``.previous/``), if the packs left
    still load together; else RulesInvalid, and it stays."""
    check_pack_name(name)
    if not (folder / name).is_file():
        raise WorkbenchError(f"no pack named {name} in {folder}")
    with _locked(folder):
        target = folder / name
        if not target.is_file():
            raise WorkbenchError(f"no pack named {name} in {folder}")
        rest = [p for p in pack_files(folder) if p.name != name]
        ruleset = _lint(rest, _names(folder))
        previous = _keep_previous(folder, target, move=True)
        _sync_dir(folder)
    return PackChange(name, None, previous, len(ruleset.rules))


def _lint(paths: list[Path], names: dict[str, str]):
    try:
        return load_packs(paths)
    except RulesInvalid as exc:
        problems = _named(exc.problems, names)
        raise RulesInvalid(
            f"{len(problems)} problem(s): the pack set would not load", problems=problems
        ) from None


def _names(folder: Path) -> dict[str, str]:
    return {str(p): p.name for p in pack_files(folder)}


def _named(problems: tuple, names: dict[str, str]) -> tuple[Problem, ...]:
    """The problems with each of the folder's files named by its pack name alone."""
    return tuple(dataclasses.replace(p, file=names.get(p.file, p.file)) for p in problems)


def _keep_previous(folder: Path, target: Path, *, move: bool = False) -> str:
    """Keep the pack at ``target`` in ``.previous/`` (a copy, or moved); its sha256."""
    data = target.read_bytes()
    keep = folder / PREVIOUS
    keep.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    dest = keep / f"{target.name}.{stamp}-{secrets.token_hex(4)}"
    if move:
        os.replace(target, dest)
    else:
        _write_synced(dest, data)
    return _sha256(data)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One change to the folder at a time (two admins, or two workbenches)."""
    with open(folder / _LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
