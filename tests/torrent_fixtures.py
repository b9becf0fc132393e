"""Helpers that build benign test torrents: by hand, with libtorrent, and with the
Debian tools ``mktorrent`` and ``transmission-create``; and the loader for the YAML
parser cases under ``tests/cases/``.

Everything here is synthetic: file contents are deterministic filler bytes, names are
made-up game, film and Linux-image titles.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest
import yaml

from parsers.records import FileList, TorrentMeta

CASES_DIR = Path(__file__).parent / "cases"
KINDS = ("v1", "v2", "hybrid")


# --- torrents by hand ----------------------------------------------------------------


def filler(seed: str, size: int) -> bytes:
    """Deterministic benign bytes (so pieces and hashes are stable across runs)."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def fake_pieces(total: int, piece_length: int) -> bytes:
    """Made-up SHA-1 piece hashes for ``total`` bytes: nothing can be fetched with them."""
    count = max(1, -(-total // piece_length)) if piece_length > 0 else 1
    return b"".join(hashlib.sha1(i.to_bytes(8, "big")).digest() for i in range(count))


def to_bencodable(value: Any) -> Any:
    """YAML-ish values to what ``lt.bencode`` takes: str keys and values become bytes."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, Mapping):
        return {to_bencodable(k): to_bencodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_bencodable(v) for v in value]
    return value


def build_info(
    overrides: Mapping[str, Any] | None = None, drop: Iterable[str] = ()
) -> dict[bytes, Any]:
    """A v1 info dict: a default single file, ``overrides`` merged in, ``drop`` removed.

    'pieces' is filled in with made-up hashes of the right count unless given; a
    'files' list replaces the single 'length'.
    """
    info: dict[str, Any] = {
        "name": "Kart.Racer.2009.iso",
        "piece length": 16384,
        "length": 100_000,
    }
    info.update(overrides or {})
    if "files" in info and "length" not in (overrides or {}):
        del info["length"]
    for key in drop:
        info.pop(key, None)
    encoded = to_bencodable(info)
    if b"pieces" not in encoded:
        total = _total_length(encoded)
        encoded[b"pieces"] = fake_pieces(total, int(encoded.get(b"piece length", 16384)))
    return encoded


def _total_length(info: Mapping[bytes, Any]) -> int:
    files = info.get(b"files")
    if isinstance(files, list):
        return sum(f.get(b"length", 0) for f in files if isinstance(f, Mapping))
    length = info.get(b"length", 0)
    return length if isinstance(length, int) and length > 0 else 1


def build_torrent(
    info: Mapping[str, Any] | None = None,
    *,
    drop: Iterable[str] = (),
    top: Mapping[str, Any] | None = None,
) -> bytes:
    """A complete .torrent around :func:`build_info`, with extra top-level keys."""
    torrent = {b"info": build_info(info, drop)}
    torrent.update(to_bencodable(dict(top or {})))
    return lt.bencode(torrent)


def many_files_torrent(count: int) -> bytes:
    """A v1 torrent listing ``count`` small FLAC tracks in 500 folders."""
    files = [
        {b"length": 1000 + i, b"path": [b"Disc%03d" % (i % 500), b"Track.%06d.flac" % i]}
        for i in range(count)
    ]
    total = sum(f[b"length"] for f in files)
    piece_length = 4 * 1024 * 1024
    info = {
        b"name": b"Harbor.Lights.Complete.Archive.FLAC-SYNTH",
        b"piece length": piece_length,
        b"pieces": fake_pieces(total, piece_length),
        b"files": files,
    }
    return lt.bencode({b"info": info})


# --- real files and real tools ---------------------------------------------------------

SINGLE_FILE = {"debian-live-12.5.0-amd64-xfce.iso": 300_000}
MULTI_FILE = {
    "Galaxy.Quest.Arena.Demo/game.bin": 200_000,
    "Galaxy.Quest.Arena.Demo/readme.txt": 1_500,
    "Galaxy.Quest.Arena.Demo/data/level01.pak": 70_000,
    "Galaxy.Quest.Arena.Demo/data/level02.pak": 65_536,
    "Galaxy.Quest.Arena.Demo/extras/cover.jpg": 12_345,
}


def write_tree(root: Path, files: Mapping[str, int]) -> Path:
    """Write benign filler files; returns the torrent's target (file or top folder)."""
    for relative, size in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(filler(relative, size))
    first = next(iter(files))
    return root / first.split("/")[0]


def libtorrent_torrent(
    target: Path,
    kind: str,
    *,
    piece_size: int = 16384,
    trackers: Iterable[str] = (),
    comment: str | None = None,
) -> bytes:
    """A v1, v2 or hybrid torrent of ``target`` made and hashed by libtorrent."""
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[kind]
    # Sorted by path, as mktorrent and transmission-create order them.
    entries = sorted(lt.list_files(str(target)), key=lambda entry: entry.filename)
    creator = lt.create_torrent(entries, piece_size, flags)
    for tier, url in enumerate(trackers):
        creator.add_tracker(url, tier)
    if comment:
        creator.set_comment(comment)
    creator.set_creator("torrentwatch-tests")
    lt.set_piece_hashes(creator, str(target.parent))
    return lt.bencode(creator.generate())


def require_tool(name: str) -> str:
    """The tool's path; fails the test (never skips) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: the interop tests need it (Debian packages "
            "mktorrent and transmission-cli; scripts/test.sh installs them)"
        )
    return path


def _run(args: list[str], out: Path) -> bytes:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}"
    return out.read_bytes()


# mktorrent 1.1 takes 2^15 (32 KiB) as its smallest piece: the tools share that size.
TOOL_PIECE = 32 * 1024


def mktorrent(target: Path, out: Path, *, extra: Iterable[str] = ()) -> bytes:
    """Run Debian's mktorrent on ``target`` (32 KiB pieces) and return the .torrent."""
    tool = require_tool("mktorrent")
    args = [tool, "-l", "15", "-a", "http://127.0.0.1:6969/announce", *extra]
    return _run([*args, "-o", str(out), str(target)], out)


def transmission_create(target: Path, out: Path) -> bytes:
    """Run Debian's transmission-create on ``target`` (32 KiB pieces)."""
    tool = require_tool("transmission-create")
    args = [tool, "-s", str(TOOL_PIECE // 1024), "-t", "http://127.0.0.1:6969/announce"]
    return _run([*args, "-o", str(out), str(target)], out)


# --- libtorrent's own view, for cross-checks -------------------------------------------


def libtorrent_view(data: bytes) -> dict[str, Any]:
    """What libtorrent itself reports: hashes and the file list, in its order."""
    ti = lt.torrent_info(data)
    hashes = ti.info_hashes()
    layout = ti.layout()
    indices = range(layout.num_files())
    return {
        "infohash_v1": hashes.v1.to_bytes().hex() if hashes.has_v1() else None,
        "infohash_v2": hashes.v2.to_bytes().hex() if hashes.has_v2() else None,
        "name": ti.name(),
        "paths": tuple(layout.file_path(i) for i in indices),
        "sizes": tuple(layout.file_size(i) for i in indices),
        "is_pad": tuple(bool(layout.file_flags(i) & 1) for i in indices),
        "total_size": ti.total_size(),
        "metadata_size": len(ti.info_section()),
    }


def meta_view(meta: TorrentMeta) -> dict[str, Any]:
    """The same fields from our TorrentMeta."""
    return {
        "infohash_v1": meta.infohash_v1,
        "infohash_v2": meta.infohash_v2,
        "name": meta.name,
        "paths": meta.files.paths,
        "sizes": meta.files.sizes,
        "is_pad": meta.files.is_pad,
        "total_size": meta.total_size,
        "metadata_size": meta.metadata_size,
    }


def assert_safe_paths(meta: TorrentMeta) -> None:
    """Reported paths never climb out of the download folder nor start at the root."""
    for path in meta.files.paths:
        assert not path.startswith("/"), path
        assert ".." not in path.split("/"), path


# --- YAML cases ------------------------------------------------------------------------


class _CaseLoader(yaml.SafeLoader):
    """SafeLoader plus ``!b "..."``: exact bytes, one per character (latin-1)."""


def _bytes_tag(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    return loader.construct_scalar(node).encode("latin-1")  # type: ignore[arg-type]


_CaseLoader.add_constructor("!b", _bytes_tag)


def load_cases(filename: str) -> list[Any]:
    """The cases of one YAML file, as pytest params named by their ``id``."""
    cases = yaml.load((CASES_DIR / filename).read_text(encoding="utf-8"), Loader=_CaseLoader)
    return [pytest.param(case, id=case["id"]) for case in cases]


def case_input(case: Mapping[str, Any]) -> bytes:
    """The bytes a case describes: ``raw``, or a torrent built from ``info``/``top``."""
    if "raw" in case:
        raw = case["raw"]
        return raw if isinstance(raw, bytes) else raw.encode()
    return build_torrent(case.get("info"), drop=case.get("drop", ()), top=case.get("top"))


_META_FIELDS = {f.name for f in fields(TorrentMeta)}
_FILE_FIELDS = {f.name for f in fields(FileList)}


def check_expectations(meta: TorrentMeta, expected: Mapping[str, Any]) -> None:
    """Compare the fields a case names: ``name``, ``files.paths``, ``file_count``..."""
    for key, want in expected.items():
        if key.startswith("files."):
            column = key.removeprefix("files.")
            assert column in _FILE_FIELDS, f"unknown FileList column {column!r}"
            got = [list(v) if isinstance(v, tuple) else v for v in getattr(meta.files, column)]
            assert got == list(want), f"{key}: {got!r} != {want!r}"
        else:
            assert key in _META_FIELDS | {"file_count"}, f"unknown TorrentMeta field {key!r}"
            got = getattr(meta, key)
            if isinstance(got, tuple):
                got = list(got)
            assert got == want, f"{key}: {got!r} != {want!r}"
