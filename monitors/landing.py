"""The landing zone: every gathered item is kept here before anything parses it.

Sources write here and nowhere else; the loader reads from here. So a load that fails
(the warehouse locked, a crash, a bug in a parser) loses nothing: the next load takes
every item not yet marked loaded. Items are never deleted or rewritten.

Layout under the storage root (keys are ``/``-separated, plain characters only)::

    items/<source>/<kk>/<key>.payload   the bytes exactly as gathered
    items/<source>/<kk>/<key>.json      the envelope: kind, source_ref, seen_at, title, ...
    loaded/<utc-time>-<run>-<n>.json    journal: the item keys one load transaction took
    state/<source>.json                 the source's memory between runs

``key`` is the SHA-256 of (source, kind, payload), so an item gathered twice lands
once; ``kk`` is its first two hex digits, to keep folders small. The envelope is
written after the payload, so an envelope present means a complete item. Loading
marks items by writing journal files (write-once objects, as object storage offers),
never by changing the items.

:class:`Storage` is the one seam to the medium; :class:`LocalStorage` implements it
with a folder and atomic writes (a temp file renamed into place). Durability against
power loss is batched: ``flush`` makes everything written so far durable, and runs
before a source's state and before each load journal is saved, so neither ever
claims an item the disk may not hold. An item torn by a power loss before its flush
(a short envelope or payload) counts as not landed and is written again when the
source gathers it again, which it does, its state not having been saved.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from common.errors import LandingError, NotRegularFile
from common.files import open_regular
from monitors.base import GATHERED_KINDS, Gathered
from parsers.items import ItemOrigin

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_COPY_CHUNK = 1 << 20
FSYNC_EACH_UP_TO = 8  # objects; more than this are made durable with one syncfs
_KEY_DOMAIN = b"torrentwatch-landing-v1\0"
ENVELOPE_SUFFIX = ".json"
PAYLOAD_SUFFIX = ".payload"
# Objects are written under this prefix and renamed into place when whole.
_TEMP_PREFIX = ".tmp-"
# A temporary object untouched this long belongs to a write that died, not a slow one.
STALE_TEMP_SECONDS = 3600.0


class Storage(Protocol):
    """Write-once objects under ``/``-separated keys; the only thing that knows the medium."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes; None when there is no such object."""

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` atomically: readers see all of it or nothing."""

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        """Like ``put_bytes``, copying from ``stream`` without holding it in memory."""

    def read_bytes(self, key: str) -> bytes: ...

    def local_file(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local file holding the object, for readers that need a path (DuckDB, SQLite)."""

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (a folder-like prefix), sorted."""

    def remove_stale_temp(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove what writes cut short left behind (a killed monitor's half-written
        temporary objects) untouched for ``older_than`` seconds; the number removed.
        A no-op where a write is one atomic PUT and leaves nothing half-done."""

    def flush(self) -> None:
        """Make every write so far survive a power loss (a no-op where a PUT already is).

        Until then a write is atomic but may be lost, or (locally) leave an empty or
        short object behind, after a power loss; readers check sizes for that reason.
        """


def check_key(key: str) -> str:
    parts = key.split("/")
    if not parts or not all(_SEGMENT.fullmatch(part) and ".." not in part for part in parts):
        raise LandingError(f"invalid landing key {key!r}")
    return key


class LocalStorage:
    """:class:`Storage` on a local folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._unsynced: set[Path] = set()  # objects written since the last flush

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except OSError:
            return None

    def put_bytes(self, key: str, data: bytes) -> None:
        self._atomic(key, lambda handle: handle.write(data))

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        self._atomic(key, lambda handle: shutil.copyfileobj(stream, handle, _COPY_CHUNK))

    def _atomic(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=target.parent)
        except OSError as exc:
            raise LandingError(f"cannot write {target}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(temp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            if isinstance(exc, OSError):
                raise LandingError(f"cannot write {target}: {exc}") from exc
            raise
        self._unsynced.add(target)

    def remove_stale_temp(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Delete ``.tmp-*`` files (see :meth:`_atomic`) not written to for ``older_than``
        seconds: a write still going keeps its file's mtime fresh, so only the leftovers
        of a process that died mid-write (``kill -9``, OOM killer) are old."""
        cutoff = time.time() - older_than
        removed = 0
        for dirpath, _dirnames, filenames in os.walk(self.root):
            for name in filenames:
                if not name.startswith(_TEMP_PREFIX):
                    continue
                path = Path(dirpath, name)
                with contextlib.suppress(OSError):
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed

    def flush(self) -> None:
        """Make the objects written since the last flush durable, with their names.

        A few objects are fsynced one by one (with their folders); many at once with one
        ``syncfs`` of the filesystem, since an fsync per small object costs milliseconds
        (a journal commit each) and a source may land thousands.
        """
        pending, self._unsynced = self._unsynced, set()
        if not pending:
            return
        if len(pending) > FSYNC_EACH_UP_TO and _syncfs(self.root):
            return
        for path in sorted(pending):
            _fsync_path(path)
        for folder in sorted({path.parent for path in pending}):
            _fsync_path(folder)

    def read_bytes(self, key: str) -> bytes:
        try:
            with open_regular(self._path(key)) as handle:
                return handle.read()
        except (OSError, NotRegularFile) as exc:
            raise LandingError(f"cannot read landed object {key}: {exc}") from exc

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise LandingError(f"landed object {key} is missing ({path})")
        yield path

    def keys(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix)
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            found.extend(f"{rel}/{name}" for name in filenames if not name.startswith("."))
        return iter(sorted(found))


def _fsync_path(path: Path) -> None:
    """Fsync a file or a folder (a folder: so the renames in it reach the disk)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _syncfs(root: Path) -> bool:
    """``syncfs(2)`` on the filesystem holding ``root``; False where it is unavailable."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
        fd = os.open(root, os.O_RDONLY)
    except (OSError, AttributeError):
        return False
    try:
        return function(fd) == 0
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Landed(ItemOrigin):
    """An item in the landing zone, as its envelope describes it: where it came from
    and what its source said (the :class:`ItemOrigin` the parsers are given), plus
    where it lies in the zone."""

    key: str = field(kw_only=True)  # "<source>/<sha256>"
    payload_size: int = field(kw_only=True)

    @property
    def payload_key(self) -> str:
        source, digest = self.key.split("/")
        return f"items/{source}/{digest[:2]}/{digest}{PAYLOAD_SUFFIX}"


def _text(value: str | None) -> str | None:
    """Text that can be stored: a file name that is not UTF-8 (held by Python with
    surrogate escapes) keeps its odd bytes visibly, as ``\\xff``, instead of failing."""
    if value is None:
        return None
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


def _item_prefix(source: str, digest: str) -> str:
    return f"items/{source}/{digest[:2]}/{digest}"


def item_key(source: str, kind: str, chunks: Iterable[bytes]) -> str:
    """The SHA-256 naming an item: what it is and where it came from, not when."""
    digest = hashlib.sha256(_KEY_DOMAIN)
    digest.update(source.encode("utf-8") + b"\0" + kind.encode("utf-8") + b"\0")
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(path: str) -> Iterator[bytes]:
    with open_regular(path) as handle:
        while chunk := handle.read(_COPY_CHUNK):
            yield chunk


class _HashingReader:
    """A read-through stream that hashes what passes, to prove a file did not change."""

    def __init__(self, handle: BinaryIO, digest) -> None:
        self.handle, self.digest = handle, digest

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def item_key_of(envelope_key: str) -> str:
    """``items/<source>/<kk>/<key>.json`` → ``<source>/<key>``, the item's key."""
    _, source, _, name = envelope_key.split("/")
    return f"{source}/{name.removesuffix(ENVELOPE_SUFFIX)}"


class LandingZone:
    """Landing, listing and marking items over one :class:`Storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    @classmethod
    def local(cls, root: str | os.PathLike[str]) -> LandingZone:
        return cls(LocalStorage(root))

    def land(self, item: Gathered) -> bool:
        """Keep ``item``; True when it is new, False when the same item already landed."""
        check_key(item.source)
        if item.kind not in GATHERED_KINDS:
            raise LandingError(f"{item.source}: cannot land an item of kind {item.kind!r}")
        if item.payload_file is not None and item.payload:
            raise LandingError(f"{item.source_ref}: an item has payload bytes or a file, not both")
        seen_at = item.seen_at if item.seen_at.tzinfo else item.seen_at.replace(tzinfo=UTC)
        item = replace(
            item,
            seen_at=seen_at,
            source_ref=_text(item.source_ref),
            title=_text(item.title),
            category=_text(item.category),
            infohash=_text(item.infohash),
        )
        if item.payload_file is not None:
            return self._land_file(item)
        digest = item_key(item.source, item.kind, [item.payload])
        prefix = _item_prefix(item.source, digest)
        if self._whole(prefix):
            return False
        self.storage.put_bytes(prefix + PAYLOAD_SUFFIX, item.payload)
        self._put_envelope(item, digest, len(item.payload))
        return True

    def _land_file(self, item: Gathered) -> bool:
        path = str(item.payload_file)
        try:
            digest = item_key(item.source, item.kind, _file_chunks(path))
            prefix = _item_prefix(item.source, digest)
            if self._whole(prefix):
                return False
            check = hashlib.sha256(_KEY_DOMAIN)
            check.update(item.source.encode() + b"\0" + item.kind.encode() + b"\0")
            with open_regular(path) as handle:
                self.storage.put_stream(prefix + PAYLOAD_SUFFIX, _HashingReader(handle, check))
                size = handle.tell()
        except (OSError, NotRegularFile) as exc:
            message = f"{item.source}: cannot copy {path} into the landing zone: {exc}"
            raise LandingError(message) from exc
        if check.hexdigest() != digest:
            raise LandingError(f"{item.source}: {path} changed while it was copied; not landed")
        self._put_envelope(replace(item, payload_file=None), digest, size)
        return True

    def _whole(self, prefix: str) -> bool:
        """Whether the item at ``prefix`` landed completely: a valid envelope and a payload
        of the size it states. A power loss before a flush can leave either short; such an
        item counts as not landed and is written again."""
        if self.storage.size(prefix + ENVELOPE_SUFFIX) is None:
            return False
        try:
            envelope = json.loads(self.storage.read_bytes(prefix + ENVELOPE_SUFFIX))
            expected = envelope["payload_size"]
        except (LandingError, ValueError, KeyError, TypeError):
            return False
        return self.storage.size(prefix + PAYLOAD_SUFFIX) == expected

    def _put_envelope(self, item: Gathered, digest: str, size: int) -> None:
        envelope = {
            "key": f"{item.source}/{digest}",
            "kind": item.kind,
            "source": item.source,
            "source_ref": item.source_ref,
            "seen_at": item.seen_at.isoformat(),
            "payload_size": size,
            "infohash": item.infohash,
            "title": item.title,
            "category": item.category,
            "seeders": item.seeders,
            "leechers": item.leechers,
            "landed_at": datetime.now(UTC).isoformat(),
        }
        data = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.storage.put_bytes(_item_prefix(item.source, digest) + ENVELOPE_SUFFIX, data)

    def envelope_keys(self) -> Iterator[str]:
        for key in self.storage.keys("items"):
            if key.endswith(ENVELOPE_SUFFIX):
                yield key

    def read_envelope(self, envelope_key: str) -> Landed:
        """The envelope at ``envelope_key``; LandingError when it is not a valid one."""
        raw = self.storage.read_bytes(envelope_key)
        try:
            data = json.loads(raw)
            return Landed(
                key=str(data["key"]),
                kind=str(data["kind"]),
                source=str(data["source"]),
                source_ref=str(data["source_ref"]),
                seen_at=datetime.fromisoformat(data["seen_at"]),
                payload_size=int(data["payload_size"]),
                infohash=data.get("infohash"),
                title=data.get("title"),
                category=data.get("category"),
                seeders=data.get("seeders"),
                leechers=data.get("leechers"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LandingError(f"landed envelope {envelope_key} is not valid: {exc!r}") from exc

    def loaded_keys(self) -> set[str]:
        """Every item key some journal file marks as loaded."""
        done: set[str] = set()
        for key in self.storage.keys("loaded"):
            try:
                done.update(json.loads(self.storage.read_bytes(key))["keys"])
            except (ValueError, KeyError, TypeError) as exc:
                raise LandingError(f"load journal {key} is not valid: {exc!r}") from exc
        return done

    def unloaded(self) -> list[str]:
        """Envelope keys of items no journal marks loaded, oldest landing folder first."""
        done = self.loaded_keys()
        pending = []
        for envelope_key in self.envelope_keys():
            if item_key_of(envelope_key) not in done:
                pending.append(envelope_key)
        return pending

    def payload(self, landed: Landed) -> bytes:
        """The item's bytes; LandingError when they are not all there (gather it again)."""
        data = self.storage.read_bytes(landed.payload_key)
        if len(data) != landed.payload_size:
            raise LandingError(
                f"landed item {landed.key} ({landed.source_ref}) holds {len(data)} of its "
                f"{landed.payload_size} bytes; it is left unloaded until gathered again"
            )
        return data

    def payload_file(self, landed: Landed) -> contextlib.AbstractContextManager[Path]:
        return self.storage.local_file(landed.payload_key)

    def mark_loaded(self, keys: Iterable[str], run_id: str) -> str | None:
        """Write one journal file marking ``keys`` loaded; None when there were none."""
        listed = sorted(set(keys))
        if not listed:
            return None
        now = datetime.now(UTC)
        name = f"loaded/{now:%Y%m%dT%H%M%S%f}-{run_id}-{uuid.uuid4().hex[:8]}.json"
        body = {"run_id": run_id, "loaded_at": now.isoformat(), "keys": listed}
        self.storage.put_bytes(name, json.dumps(body).encode("utf-8"))
        self.storage.flush()
        return name

    def flush(self) -> None:
        """Make everything landed so far durable (before a source's state claims it)."""
        self.storage.flush()

    def state(self, source: str) -> JsonState:
        return JsonState(self.storage, f"state/{check_key(source)}.json")


class JsonState:
    """A source's :class:`~monitors.base.StateStore`, saved whole and atomically."""

    def __init__(self, storage: Storage, key: str) -> None:
        self.storage, self.key = storage, key
        self.values: dict[str, object] = {}
        if storage.exists(key):
            try:
                loaded = json.loads(storage.read_bytes(key))
            except ValueError as exc:
                raise LandingError(f"source state {key} is not valid JSON: {exc}") from exc
            if not isinstance(loaded, dict):
                raise LandingError(f"source state {key} is not a JSON object")
            self.values = loaded

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def set(self, key: str, value: object) -> None:
        self.values[key] = value

    def save(self) -> None:
        try:
            data = json.dumps(self.values, sort_keys=True).encode("utf-8")
        except (TypeError, ValueError) as exc:
            message = f"source state {self.key} holds a value JSON cannot keep: {exc}"
            raise LandingError(message) from exc
        self.storage.flush()  # the items the state speaks of are durable first
        self.storage.put_bytes(self.key, data)
        self.storage.flush()
