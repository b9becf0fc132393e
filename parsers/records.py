"""Typed records the parsers produce and the warehouse loads.

Files are held column-wise (a tuple per attribute) rather than one object per file:
a torrent may list 200,000 files and ingest handles a million files a second, so a
Python object per file would cost more than parsing the torrent itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FileList:
    """The files of one torrent, in libtorrent's order (pad files included, marked).

    ``paths`` are valid UTF-8, ``/``-joined, as libtorrent reports them; ``paths_raw``
    keeps the bytes of the name keys libtorrent read (``name.utf-8`` before ``name``,
    ``path.utf-8`` before ``path``, a v2 file tree's keys) where they differ, else
    None: those are what a client writes to disk, untruncated and unsanitised.
    ``paths_alt_raw`` keeps every other reading of the torrent's name keys (``name``
    + ``path`` beside the ``.utf-8`` keys, a hybrid's v1 ``files`` beside its file
    tree) that differs from the first, else None: another client may show those.
    ``is_pad`` is set only where a file looks like padding (``parsers/padding.py``),
    whatever its BEP 47 attribute says. ``pieces_roots`` are BEP 52 per-file merkle
    roots (hex) for v2, else None.
    """

    paths: tuple[str, ...] = ()
    sizes: tuple[int, ...] = ()
    is_pad: tuple[bool, ...] = ()
    is_symlink: tuple[bool, ...] = ()
    is_executable: tuple[bool, ...] = ()
    is_hidden: tuple[bool, ...] = ()
    symlink_targets: tuple[str | None, ...] = ()
    pieces_roots: tuple[str | None, ...] = ()
    paths_raw: tuple[bytes | None, ...] = ()
    paths_alt_raw: tuple[tuple[bytes, ...] | None, ...] = ()

    def __len__(self) -> int:
        return len(self.paths)


@dataclass(frozen=True, slots=True)
class TorrentMeta:
    """What one torrent (or one magnet without metadata yet) tells about itself.

    ``infohash`` is the warehouse key: v1 hex when the torrent has one, else v2 hex.
    ``has_metadata`` is False for a torrent known only from a magnet link.
    ``name`` is libtorrent's (sanitised) name; ``name_raw`` the bytes of the name key
    it read (``name.utf-8``, else ``name``) when they differ; ``name_alt_raw`` the
    other key's bytes (``name`` beside a ``name.utf-8``) when they differ from both.
    """

    infohash: str
    infohash_v1: str | None
    infohash_v2: str | None
    name: str
    name_raw: bytes | None = None
    has_metadata: bool = True
    total_size: int | None = None
    piece_length: int | None = None
    private: bool = False
    created_by: str | None = None
    creation_date: datetime | None = None
    comment: str | None = None
    source: str | None = None
    trackers: tuple[str, ...] = ()
    web_seeds: tuple[str, ...] = ()
    metadata_size: int | None = None
    files: FileList = field(default_factory=FileList)
    name_alt_raw: bytes | None = None

    @property
    def file_count(self) -> int:
        """Real files, pad files left out."""
        return sum(1 for pad in self.files.is_pad if not pad)


@dataclass(frozen=True, slots=True)
class MagnetLink:
    """A parsed magnet URI (BEP 9, BEP 53 multi-xt), as the link states it."""

    infohashes_v1: tuple[str, ...]
    infohashes_v2: tuple[str, ...]
    display_name: str | None = None
    trackers: tuple[str, ...] = ()
    web_seeds: tuple[str, ...] = ()
    exact_length: int | None = None


@dataclass(frozen=True, slots=True)
class RawItem:
    """One gathered input before parsing: what it is, where it came from, its bytes."""

    source: str
    source_ref: str
    kind: str  # "torrent" | "magnet"
    data: bytes
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where and when a torrent was seen, and what the source called it."""

    source: str
    source_ref: str
    seen_at: datetime
    title: str | None = None
    category: str | None = None
    seeders: int | None = None
    leechers: int | None = None
    completed: int | None = None  # downloads to completion, as a tracker's scrape reports


@dataclass(frozen=True, slots=True)
class Reject:
    """An input that could not be accepted, with a stable reason code."""

    source: str
    source_ref: str
    sha256: str | None  # None when the input could not be read at all
    reason: str
    detail: str
    seen_at: datetime
