"""Reading .torrent files and magnet-link lists from files and folders.

Discovery is lazy and sorted so a run over a million files streams in a stable
order; reading happens in the worker that parses, so bytes cross no process boundary.
Magnet lists are the exception: they are read line by line in slices
(:func:`magnet_slices`), so a list of any length is parsed and loaded in batches with
flat memory.

Every file is opened with :func:`common.files.open_regular`: only regular
files are read (a FIFO or a device becomes an ``input.not_regular_file`` reject), and
never more than the cap. What discovery cannot read (a folder it may not list) and
what it does not follow (a symlinked subfolder) is not skipped silently: it is handed
on as a :class:`Found` with a ``problem``, which reading turns into a reject.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from common.errors import FileTooLarge, NotRegularFile
from common.files import read_regular
from parsers.records import RawItem, Reject

SOURCE = "folder"
MAX_INPUT_BYTES = 64 * 1024 * 1024
TORRENT_SUFFIXES = frozenset({".torrent"})
# Other text files (.txt, .lst, ...) are read as magnet lists only when they hold one.
MAGNET_SUFFIXES = frozenset({".magnet", ".magnets"})
_SNIFF_BYTES = 64 * 1024
_MAGNET_MARK = b"magnet:?"
# One line of a magnet list: a link with a few hundred trackers fits many times over.
MAX_LINE_BYTES = 64 * 1024
# A slice of a magnet list handed to a parser: at most this many bytes of lines.
SLICE_BYTES = 4 * 1024 * 1024
_SKIP_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Found:
    """A file discovery turned up, before it is read.

    ``problem`` is ``(reason, detail)`` when discovery already knows the path cannot be
    read as an input (a folder it cannot list, a symlinked folder it does not follow).
    """

    path: str
    kind: str  # "torrent" | "magnet" | "sniff" | "folder" (with a problem)
    problem: tuple[str, str] | None = None


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
    naming it rather than a silent gap. A folder given here is walked even when it
    is a symlink (the operator named it); symlinked folders found inside are not
    followed but yielded with the ``input.symlink_folder`` problem, which keeps the
    walk inside what was given and free of loops. A folder that cannot be listed
    is yielded with ``input.unreadable`` and the OS error.
    """
    for given in paths:
        root = Path(given)
        if root.is_dir():
            yield from _walk(root)
        else:
            yield Found(str(root), _classify(root))


def _walk(root: Path) -> Iterator[Found]:
    failed: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=failed.append):
        yield from _unlisted(failed)
        links = {name for name in dirnames if os.path.islink(os.path.join(dirpath, name))}
        dirnames[:] = sorted(name for name in dirnames if name not in links)
        for name in sorted([*filenames, *links]):
            full = os.path.join(dirpath, name)
            yield _symlink_folder(full) if name in links else Found(full, _classify(Path(full)))
    yield from _unlisted(failed)


def _unlisted(failed: list[OSError]) -> Iterator[Found]:
    """The folders os.walk could not list since it was last asked (it reports them to
    its ``onerror`` and moves on, so they would otherwise vanish)."""
    while failed:
        exc = failed.pop(0)
        path = os.fsdecode(exc.filename) if exc.filename is not None else "?"
        detail = f"cannot list the folder: {exc.strerror or exc}"
        yield Found(path, "folder", ("input.unreadable", detail))


def _symlink_folder(path: str) -> Found:
    try:
        target = os.path.realpath(path)
    except (OSError, ValueError):
        target = "?"
    detail = (
        f"a symlink to the folder {display_path(target)}, not followed (a link may lead "
        "out of the folder or back into it); give that folder as a path of its own"
    )
    return Found(path, "folder", ("input.symlink_folder", detail))


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"d") and b"4:info" in data[:_SNIFF_BYTES]:
        return "torrent"
    if _MAGNET_MARK in data:
        return "magnet"
    return None


def sniff_file(handle: BinaryIO, limit: int = MAX_INPUT_BYTES) -> str | None:
    """What a file without a known suffix holds: "torrent", "magnet" or None (neither).

    A torrent shows in its first bytes; a magnet link may come anywhere, so the file
    is scanned on in blocks, never more than ``limit + 1`` bytes of it (FileTooLarge
    when it is larger and shows neither). Leaves ``handle`` at an unknown position.
    """
    head = handle.read(_SNIFF_BYTES)
    kind = _sniff(head)
    if kind is not None or len(head) < _SNIFF_BYTES:
        return kind
    seen, tail = len(head), head[-len(_MAGNET_MARK) :]
    while block := handle.read(min(_SKIP_BLOCK, limit + 1 - seen)):
        if _MAGNET_MARK in tail + block:
            return "magnet"
        seen += len(block)
        tail = block[-len(_MAGNET_MARK) :]
    if seen > limit:
        size = os.fstat(handle.fileno()).st_size
        raise FileTooLarge(
            f"{size} bytes, over the {limit}-byte limit, and neither a torrent nor a "
            f"magnet list in its first {limit} bytes",
            size=size,
            limit=limit,
        )
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
    if found.problem is not None:
        return _reject(ref, None, found.problem[0], seen_at, found.problem[1])
    try:
        data = read_regular(found.path, max_bytes)
    except (OSError, NotRegularFile, FileTooLarge) as exc:
        return reading_reject(ref, exc, seen_at)
    kind = found.kind if found.kind != "sniff" else _sniff(data)
    if kind is None:
        return None
    if not data:
        return _reject(ref, data, "input.empty", seen_at, "the file is empty")
    return RawItem(source=SOURCE, source_ref=ref, kind=kind, data=data, seen_at=seen_at)


def reading_reject(ref: str, exc: Exception, seen_at: datetime) -> Reject:
    """The reject for a file that could not be read: not a regular file, larger than
    its cap (no hash: it is never read past the cap), or an OS error, named."""
    if isinstance(exc, NotRegularFile):
        return _reject(ref, None, "input.not_regular_file", seen_at, _message(exc))
    if isinstance(exc, FileTooLarge):
        return _reject(ref, None, "input.too_large", seen_at, _message(exc))
    detail = f"cannot read: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
    return _reject(ref, None, "input.unreadable", seen_at, detail)


def _message(exc: Exception) -> str:
    """An error's words without the ``[code]`` prefix (the reject's reason says it)."""
    return exc.args[0] if exc.args else str(exc)


def _reject(ref: str, data: bytes | None, reason: str, seen_at: datetime, detail: str) -> Reject:
    return Reject(
        source=SOURCE,
        source_ref=ref,
        sha256=None if data is None else hashlib.sha256(data).hexdigest(),
        reason=reason,
        detail=f"{ref}: {detail}",
        seen_at=seen_at,
    )


# ------------------------------------------------------------------ magnet lists


@dataclass(frozen=True, slots=True)
class MagnetSlice:
    """Consecutive whole lines of a magnet list, numbered from ``first_line``."""

    first_line: int
    data: bytes
    lines: int  # as the magnet parser counts them (it splits on \n, \r\n and \r)


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line longer than the reader allows: never held, hashed as it streamed past."""

    line: int
    size: int
    sha256: str


def magnet_slices(
    handle: BinaryIO,
    *,
    max_lines: int,
    max_bytes: int = SLICE_BYTES,
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[MagnetSlice | LongLine]:
    """A magnet list as slices of at most ``max_lines`` lines (and about ``max_bytes``),
    in order; a line over ``max_line`` bytes comes as a LongLine in its place.

    Memory stays within one slice and one ``max_line`` read, whatever the file's size.
    """
    lines: list[bytes] = []
    size = 0
    number = 1
    while line := handle.readline(max_line + 1):
        if len(line) > max_line and not line.endswith(b"\n"):
            if lines:
                piece = _slice(number, lines)
                number += piece.lines
                yield piece
                lines, size = [], 0
            yield _skip_long_line(handle, line, number)
            number += 1
            continue
        lines.append(line)
        size += len(line)
        if len(lines) >= max_lines or size >= max_bytes:
            piece = _slice(number, lines)
            number += piece.lines
            yield piece
            lines, size = [], 0
    if lines:
        yield _slice(number, lines)


def long_line_reject(source: str, ref: str, long: LongLine, seen_at: datetime) -> Reject:
    """The ``input.line_too_long`` reject for a LongLine of the list ``ref``: named by its
    line, hashed over the whole line (it is never held)."""
    where = f"{ref}:{long.line}"
    return Reject(
        source,
        where,
        long.sha256,
        "input.line_too_long",
        f"{where}: a line of {long.size} bytes, over the {MAX_LINE_BYTES}-byte limit for one line",
        seen_at,
    )


def _slice(first: int, lines: list[bytes]) -> MagnetSlice:
    data = b"".join(lines)
    return MagnetSlice(first, data, len(data.splitlines()))


def _skip_long_line(handle: BinaryIO, head: bytes, number: int) -> LongLine:
    """Read past the rest of an over-long line, hashing it (without its line ending)."""
    digest = hashlib.sha256(head)
    size = len(head)
    while chunk := handle.readline(_SKIP_BLOCK):
        size += len(chunk)
        if chunk.endswith(b"\n"):
            digest.update(chunk.rstrip(b"\r\n"))
            break
        digest.update(chunk)
    return LongLine(number, size, digest.hexdigest())
