"""Reading .torrent files and magnet-link lists from files and folders.

Discovery is lazy and sorted so a run over a million files streams in a stable
order; reading happens in the worker that parses, so bytes cross no process boundary.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from parsers.records import RawItem, Reject

SOURCE = "folder"
MAX_INPUT_BYTES = 64 * 1024 * 1024
TORRENT_SUFFIXES = frozenset({".torrent"})
# Other text files (.txt, .lst, ...) are read as magnet lists only when they hold one.
MAGNET_SUFFIXES = frozenset({".magnet", ".magnets"})
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Found:
    """A file discovery turned up, before it is read."""

    path: str
    kind: str  # "torrent" | "magnet" | "sniff"


def _classify(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TORRENT_SUFFIXES:
        return "torrent"
    if suffix in MAGNET_SUFFIXES:
        return "magnet"
    return "sniff"


def discover(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Found]:
    """Every file under ``paths`` (files as given, folders recursively, sorted).

    A path that does not exist is yielded too, so reading it becomes a reject
    naming it rather than a silent gap.
    """
    for given in paths:
        root = Path(given)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for name in sorted(filenames):
                    full = Path(dirpath, name)
                    yield Found(str(full), _classify(full))
        else:
            yield Found(str(root), _classify(root))


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"d") and b"4:info" in data[:_SNIFF_BYTES]:
        return "torrent"
    if b"magnet:?" in data:
        return "magnet"
    return None


def display_path(path: str) -> str:
    """A file name as text that can be stored: the bytes of a name that is not UTF-8
    (os.walk hands them over as surrogate escapes) are kept visibly, as ``\\xe9``."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def read_found(found: Found, seen_at: datetime, *, max_bytes: int = MAX_INPUT_BYTES):
    """Read one discovered file: a RawItem, a Reject, or None for an unrelated file.

    Files found only by sniffing (no known suffix) that look like neither a torrent
    nor a magnet list are not inputs at all and are skipped, not rejected.
    """
    ref = display_path(found.path)
    try:
        with open(found.path, "rb") as handle:
            # Ask for the size we expect (plus one byte to notice growth): read(n)
            # allocates n bytes up front, so read(max_bytes) would cost 64 MiB a file.
            expected = os.fstat(handle.fileno()).st_size
            data = handle.read(min(expected, max_bytes) + 1)
            if len(data) > max_bytes:
                return _too_large(ref, handle, data, max_bytes, seen_at)
            if len(data) > expected:
                data += handle.read(max_bytes + 1 - len(data))
                if len(data) > max_bytes:
                    return _too_large(ref, handle, data, max_bytes, seen_at)
    except OSError as exc:
        return _reject(ref, None, "input.unreadable", seen_at, f"cannot read: {exc}")
    kind = found.kind if found.kind != "sniff" else _sniff(data)
    if kind is None:
        return None
    if not data:
        return _reject(ref, data, "input.empty", seen_at, "the file is empty")
    return RawItem(source=SOURCE, source_ref=ref, kind=kind, data=data, seen_at=seen_at)


def _too_large(path: str, handle, head: bytes, max_bytes: int, seen_at: datetime) -> Reject:
    """Reject an oversized input, still hashing all of it so it can be identified."""
    digest = hashlib.sha256(head)
    total = len(head)
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        total += len(chunk)
    return Reject(
        SOURCE,
        path,
        digest.hexdigest(),
        "input.too_large",
        f"{path}: {total} bytes is over the {max_bytes}-byte limit",
        seen_at,
    )


def _reject(ref: str, data: bytes | None, reason: str, seen_at: datetime, detail: str) -> Reject:
    return Reject(
        source=SOURCE,
        source_ref=ref,
        sha256=None if data is None else hashlib.sha256(data).hexdigest(),
        reason=reason,
        detail=f"{ref}: {detail}",
        seen_at=seen_at,
    )
