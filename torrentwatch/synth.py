"""Benign synthetic torrents for the demo, the tests and the benchmarks.

The piece hashes are made up (deterministic SHA-1 of the piece index and the name):
the torrents describe files that never existed, so nothing can ever be fetched with
them, which is exactly what fixtures for a metadata-only tool should be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libtorrent as lt

PIECE_LENGTH = 256 * 1024
# The largest piece libtorrent accepts (256 MiB): a bigger torrent gets more pieces.
MAX_PIECE_LENGTH = 2**28


@dataclass(frozen=True, slots=True)
class SynthTorrent:
    """A v1 torrent to generate: a name and (path, size) pairs."""

    name: str
    files: tuple[tuple[str, int], ...]
    created_by: str = "torrentwatch-synth"
    comment: str | None = None
    trackers: tuple[str, ...] = ()
    creation_date: int = 1_700_000_000
    private: bool = False
    # Force the multi-file layout (files under a folder named ``name``) even for one
    # file at the root.
    multi_file: bool = False


def piece_length_for(total: int) -> int:
    """256 KiB doubled until there are at most 256 pieces, as torrent makers do to keep
    the metadata small, but never above what libtorrent accepts (``MAX_PIECE_LENGTH``):
    a torrent of more than 64 GiB gets more pieces instead."""
    length = PIECE_LENGTH
    while -(-total // length) > 256 and length < MAX_PIECE_LENGTH:
        length *= 2
    return length


def encode(spec: SynthTorrent, piece_length: int | None = None) -> bytes:
    """Bencode ``spec`` as a v1 .torrent (single-file when it has one file at the root).

    Without ``piece_length`` it is :func:`piece_length_for` the total size.
    """
    total = sum(size for _, size in spec.files)
    if piece_length is None:
        piece_length = piece_length_for(total)
    num_pieces = max(1, -(-total // piece_length))
    seed = hashlib.sha1(spec.name.encode()).digest()
    pieces = b"".join(hashlib.sha1(seed + i.to_bytes(8, "big")).digest() for i in range(num_pieces))
    info: dict[bytes, object] = {
        b"name": spec.name.encode(),
        b"piece length": piece_length,
        b"pieces": pieces,
    }
    if len(spec.files) == 1 and "/" not in spec.files[0][0] and not spec.multi_file:
        info[b"length"] = spec.files[0][1]
    else:
        info[b"files"] = [
            {b"length": size, b"path": [part.encode() for part in path.split("/")]}
            for path, size in spec.files
        ]
    if spec.private:
        info[b"private"] = 1
    top: dict[bytes, object] = {
        b"info": info,
        b"created by": spec.created_by.encode(),
        b"creation date": spec.creation_date,
    }
    if spec.comment:
        top[b"comment"] = spec.comment.encode()
    if spec.trackers:
        top[b"announce"] = spec.trackers[0].encode()
        top[b"announce-list"] = [[t.encode()] for t in spec.trackers]
    return lt.bencode(top)


_WORDS = (
    "Kart",
    "Racer",
    "Galaxy",
    "Quest",
    "Harbor",
    "Lights",
    "Mountain",
    "Echo",
    "Pixel",
    "Dungeon",
    "Ocean",
    "Summer",
    "Winter",
    "Garden",
    "Robot",
    "Castle",
    "River",
    "Comet",
)
_GROUPS = ("SYNTH", "DEMO", "FAKEGRP", "BENIGN", "TESTREL")
_EXTS = ("mkv", "mp4", "nfo", "srt", "jpg", "iso", "txt", "flac", "pdf", "bin")


def synthetic_specs(
    count: int, files_per_torrent: int = 20, seed: int = 0
) -> Iterator[SynthTorrent]:
    """``count`` distinct benign multi-file torrents of about ``files_per_torrent`` files."""
    for i in range(seed, seed + count):
        w = _WORDS
        title = f"{w[i % len(w)]}.{w[(i // 7) % len(w)]}.{w[(i // 49) % len(w)]}"
        name = f"{title}.{2000 + i % 26}.1080p.WEB-DL.x264-{_GROUPS[i % len(_GROUPS)]}.{i}"
        nfiles = max(1, files_per_torrent + (i % 5) - 2)
        files = tuple(
            (
                f"{name}/{'extras/' if j % 4 == 3 else ''}part{j:03d}"
                f".{_EXTS[(i + j) % len(_EXTS)]}",
                1_000 + ((i * 7919 + j * 104_729) % 50_000_000),
            )
            for j in range(nfiles)
        )
        yield SynthTorrent(name=name, files=files)


def encode_all(specs: Sequence[SynthTorrent]) -> list[bytes]:
    return [encode(s) for s in specs]
