"""The ``folder`` kind: a watch folder of .torrent files and magnet lists.

Only regular files are read (see ``common.files``): a FIFO, a device or a
symlinked subfolder is landed as a ``reject`` item under its reason code, as is a
file or folder that cannot be read (which also fails the source, and is tried again
next run). Only files that are new or changed since the last run are read: the source
remembers each file's (size, mtime_ns) in its state. A file is remembered only after its
item has landed, so a run that dies halfway re-reads what it had not landed. Files over
``parsers.inputs.MAX_INPUT_BYTES`` are landed by streaming copy: a magnet list (by its
suffix, or by what its first bytes show) is then streamed by the loader in batches; any
other kind is rejected there (``input.too_large``), so even it ends up in ``rejects``.

settings:
    path       the folder (or one file) to watch; relative to the config file's folder
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from common.errors import FileTooLarge, NotRegularFile, SourceFailed
from common.files import open_regular
from common.settings import Setting, SettingsSpec
from monitors.base import GatherContext, Gathered, rejected
from parsers import inputs
from parsers.inputs import Found, discover
from parsers.records import RawItem, Reject

STATE_KEY = "files"
SHOWN_UNREADABLE = 5


def _path(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return _REQUIRED
    if "\0" in value:
        return "must not contain a NUL character"
    return None


_REQUIRED = "required, the folder to watch (text)"
SETTINGS = SettingsSpec(
    "folder",
    (
        Setting(
            "path",
            _path,
            required=_REQUIRED,
            doc="the folder (or one file) to watch; relative to the config file's folder",
        ),
    ),
    unknown="unknown setting (allowed: {allowed})",
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    return SETTINGS.messages(settings)


def watched_path(ctx: GatherContext) -> Path:
    """The configured path; a relative one is read from the config file's folder."""
    path = Path(str(ctx.settings["path"])).expanduser()
    base = ctx.extra.get("config_dir")
    return path if path.is_absolute() or base is None else Path(str(base)) / path


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def gather(ctx: GatherContext) -> None:
    root = watched_path(ctx)
    if not root.exists():
        raise SourceFailed(f"{ctx.name}: the watch folder {root} does not exist")
    limit = inputs.MAX_INPUT_BYTES
    known = ctx.state.get(STATE_KEY) or {}
    assert isinstance(known, dict)
    remembered: dict[str, list[int]] = {}
    unreadable: list[str] = []
    finished = True
    for found in discover([root]):
        if time.monotonic() > ctx.deadline:
            finished = False
            break
        stamp = _stamp(found.path)
        if stamp is not None and known.get(found.path) == stamp:
            remembered[found.path] = stamp
            continue
        taken = _take(ctx, found, limit, unreadable)
        if taken and stamp is not None and _stamp(found.path) == stamp:
            remembered[found.path] = stamp  # unchanged while read: skip it next time
    # After a full pass, files no longer there are forgotten; after a stop at the
    # deadline the unvisited ones are kept, so they are not read again for nothing.
    ctx.state.set(STATE_KEY, remembered if finished else {**known, **remembered})
    if unreadable:
        shown = ", ".join(unreadable[:SHOWN_UNREADABLE])
        raise SourceFailed(f"{ctx.name}: {len(unreadable)} file(s) could not be read: {shown}")


def _take(ctx: GatherContext, found: Found, limit: int, unreadable: list[str]) -> bool:
    """Land one file; False when it is not an input (or unreadable, noted)."""
    seen_at = datetime.now(UTC)
    item = inputs.read_found(found, seen_at, max_bytes=limit)
    if item is None:
        return True  # not a torrent or magnet list: remembered so it is not sniffed again
    if isinstance(item, Reject):
        if item.reason == "input.too_large":
            ctx.emit(_big_file(ctx.name, found, seen_at))
        elif item.reason == "input.empty":  # landed as it is; the loader records the reject
            ctx.emit(_item(ctx.name, found.path, _kind(found), b"", seen_at))
        else:  # not a regular file, a symlinked folder, unreadable: filed under its reason
            detail = item.detail.removeprefix(f"{item.source_ref}: ")
            ctx.emit(rejected(ctx.name, found.path, seen_at, item.reason, detail))
        if item.reason == "input.unreadable":
            unreadable.append(found.path)  # and the source fails, so the operator sees it now
            return False
        return True
    assert isinstance(item, RawItem)
    ctx.emit(_item(ctx.name, found.path, item.kind, item.data, seen_at))
    return True


def _item(name: str, path: str, kind: str, data: bytes, seen_at: datetime) -> Gathered:
    return Gathered(kind=kind, source=name, source_ref=path, payload=data, seen_at=seen_at)


def _kind(found: Found) -> str:
    return "magnet" if found.kind == "magnet" else "torrent"


def _big_kind(found: Found) -> str:
    """The kind of a file over the input cap: by its suffix, else by what its first
    bytes show (``inputs.sniff_file``, which reads no further than the cap): a magnet
    list of any size is streamed by the loader, so it must not land as a torrent."""
    if found.kind != "sniff":
        return _kind(found)
    try:
        with open_regular(found.path) as handle:
            return "magnet" if inputs.sniff_file(handle) == "magnet" else "torrent"
    except (OSError, NotRegularFile, FileTooLarge):
        return "torrent"  # the loader refuses it as too large, named in rejects


def _big_file(name: str, found: Found, seen_at: datetime) -> Gathered:
    return Gathered(
        kind=_big_kind(found),
        source=name,
        source_ref=found.path,
        payload=b"",
        seen_at=seen_at,
        payload_file=found.path,
    )
