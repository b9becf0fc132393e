"""The *magnetico* source kind: exports and databases another crawler already filled.

magnetico (a DHT crawler) keeps what it found in a SQLite database and exports it as
JSON lines (``{"infoHash": "<40 hex>", "name": ..., "files": [{"size": ..., "path":
"dir/file"}]}``), often zstd-compressed. This source only finds those files and hands
each one, by path, to the landing zone (``Gathered.payload_file``): an export can be
tens of gigabytes, so it is never read into memory here. Loading is set-wise, in
``torrentwatch.import_magnetico`` (records checked in ``parsers.magnetico``).

Settings: ``path`` (required) — an export or database file, a folder (every file in
it, recursively), or a glob pattern. The format of each file is found by sniffing
its first bytes, never by its name.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from common.files import open_regular
from common.settings import Setting, SettingsSpec
from monitors.base import GatherContext, Gathered

KIND = "magnetico"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
FORMATS = ("jsonl", "jsonl.zst", "sqlite")
_GLOB_CHARS = frozenset("*?[")


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """``"sqlite"``, ``"jsonl.zst"`` or ``"jsonl"`` from the file's first bytes;
    None for a file that is none of them (empty, or binary of another kind)."""
    with open_regular(path) as handle:  # a FIFO or a device: NotRegularFile, no hang
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(ZSTD_MAGIC):
        return "jsonl.zst"
    stripped = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    if not head or (stripped and stripped[:1] not in b"{["):
        return None
    return "jsonl"


def _path(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, got {value!r}"
    if not _GLOB_CHARS & set(value) and not Path(value).expanduser().exists():
        return f"{value} does not exist"
    return None


SETTINGS = SettingsSpec(
    KIND,
    (
        Setting(
            "path",
            _path,
            required="required (an export file, a folder or a glob)",
            doc="an export or database file, a folder (walked recursively) or a glob",
        ),
    ),
    unknown="unknown key (magnetico takes: {allowed})",
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    """Problems with a magnetico source's settings, each naming the key; [] when fine."""
    return SETTINGS.messages(settings)


def export_files(pattern: str) -> Iterator[Path]:
    """Every regular file ``pattern`` names (a file, a folder walked recursively, or a
    glob), sorted so that runs are repeatable."""
    given = Path(pattern).expanduser()
    if _GLOB_CHARS & set(pattern):
        candidates = [Path(p) for p in glob.glob(str(given), recursive=True)]
    elif given.is_dir():
        candidates = list(given.rglob("*"))
    else:
        candidates = [given]
    yield from sorted(p for p in candidates if p.is_file())


def gather(ctx: GatherContext) -> int:
    """Emit each new or changed export file once; returns how many were emitted.

    A file is remembered by its size and modification time, so an unchanged export
    is not copied into the landing zone again on the next poll. Files that sniff as
    none of the formats are emitted too (the loader records them as rejects), so
    nothing the operator pointed at disappears silently.
    """
    emitted = 0
    for path in export_files(str(ctx.settings["path"])):
        if time.monotonic() > ctx.deadline:
            break
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        key = f"file:{path.resolve()}"
        if ctx.state.get(key) == stamp:
            continue
        item = Gathered(
            kind=KIND,
            source=ctx.name,
            source_ref=str(path),
            payload=b"",
            seen_at=datetime.now(UTC),
            payload_file=str(path),
        )
        if ctx.emit(item):
            emitted += 1
        ctx.state.set(key, stamp)
    return emitted
