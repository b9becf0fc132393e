"""Torrents made by other programs parse the same as libtorrent sees them, and alike.

The same benign folder is turned into a torrent by Debian's ``mktorrent`` and
``transmission-create`` and by libtorrent (v1, v2 and hybrid). The tests that run a tool
are marked slow, so the quick loop (``pytest -m "not slow"``) needs neither; they fail,
never skip, when a tool is missing: CI installs both (scripts/test.sh) and runs them all.
"""

from __future__ import annotations

from pathlib import Path

import libtorrent as lt
import pytest
from torrent_fixtures import (
    KINDS,
    MULTI_FILE,
    SINGLE_FILE,
    TOOL_PIECE,
    libtorrent_torrent,
    libtorrent_view,
    meta_view,
    mktorrent,
    transmission_create,
    write_tree,
)

from parsers.torrent import parse_torrent

LAYOUTS = {"single-file": SINGLE_FILE, "multi-file": MULTI_FILE}


@pytest.fixture(params=sorted(LAYOUTS))
def content(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The benign folder (or single file) every tool makes a torrent of."""
    return write_tree(tmp_path / "content", LAYOUTS[request.param])


@pytest.fixture
def by_libtorrent(content: Path) -> dict[str, bytes]:
    """The folder as a v1, v2 and hybrid .torrent made by libtorrent, keyed by kind."""
    return {
        f"libtorrent-{kind}": libtorrent_torrent(content, kind, piece_size=TOOL_PIECE)
        for kind in KINDS
    }


@pytest.fixture
def made(content: Path, by_libtorrent: dict[str, bytes], tmp_path: Path) -> dict[str, bytes]:
    """The same folder as a .torrent from every tool, keyed by tool (runs the Debian tools:
    only slow tests take it)."""
    return {
        "mktorrent": mktorrent(content, tmp_path / "mk.torrent"),
        "transmission-create": transmission_create(content, tmp_path / "tr.torrent"),
        **by_libtorrent,
    }


@pytest.mark.slow
def test_each_tool_parses_as_libtorrent_reports(made: dict[str, bytes]) -> None:
    for tool, data in made.items():
        assert meta_view(parse_torrent(data, source_ref=tool)) == libtorrent_view(data), tool


@pytest.mark.slow
def test_tools_agree_on_files_and_pieces(made: dict[str, bytes]) -> None:
    plain = ("mktorrent", "transmission-create", "libtorrent-v1")
    metas = {tool: parse_torrent(made[tool]) for tool in plain}
    files = {tool: (m.name, m.files.paths, m.files.sizes) for tool, m in metas.items()}
    assert len(set(files.values())) == 1, files
    pieces = {tool: _info(made[tool])[b"pieces"] for tool in plain}
    assert len(set(pieces.values())) == 1, "same content and piece size, same piece hashes"
    for meta in metas.values():
        assert (meta.piece_length, meta.name_raw, meta.source) == (TOOL_PIECE, None, None)
        assert set(meta.files.paths_raw) == {None}
        assert not any(meta.files.is_pad)
    hybrid = parse_torrent(made["libtorrent-hybrid"])
    real = [(p, s) for p, s, pad in _rows(hybrid) if not pad]
    assert real == list(zip(*files["mktorrent"][1:], strict=True)), "hybrids add pad files only"


@pytest.mark.slow
def test_same_info_dict_means_same_infohash(made: dict[str, bytes]) -> None:
    """mktorrent and libtorrent write identical v1 info dicts; transmission adds
    'private': 0, which changes the infohash but nothing else we report."""
    mk, lt_v1 = parse_torrent(made["mktorrent"]), parse_torrent(made["libtorrent-v1"])
    assert _info(made["mktorrent"]) == _info(made["libtorrent-v1"])
    assert mk.infohash == lt_v1.infohash == mk.infohash_v1
    transmission = parse_torrent(made["transmission-create"])
    assert _info(made["transmission-create"])[b"private"] == 0
    assert transmission.infohash != mk.infohash
    assert transmission.private is False


def test_v2_and_hybrid_list_the_same_real_files(by_libtorrent: dict[str, bytes]) -> None:
    v1 = parse_torrent(by_libtorrent["libtorrent-v1"])
    for kind in ("v2", "hybrid"):
        meta = parse_torrent(by_libtorrent[f"libtorrent-{kind}"])
        real = [(p, s) for p, s, pad in _rows(meta) if not pad]
        assert real == list(zip(v1.files.paths, v1.files.sizes, strict=True)), kind
        assert meta.infohash_v2 is not None and len(meta.infohash_v2) == 64
        assert meta.infohash == (meta.infohash_v1 or meta.infohash_v2)
        assert (meta.infohash_v1 is not None) == (kind == "hybrid")
        roots = [r for r, pad, size in zip(*_columns(meta), strict=True) if not pad and size]
        assert roots and all(r is not None and len(r) == 64 for r in roots)


@pytest.mark.slow
def test_trackers_source_and_private_from_mktorrent(tmp_path: Path) -> None:
    target = write_tree(tmp_path / "content", MULTI_FILE)
    extra = ["-p", "-s", "SYNTH-TRACKER", "-c", "benign demo", "-w", "http://127.0.0.1:8000/"]
    meta = parse_torrent(mktorrent(target, tmp_path / "mk.torrent", extra=extra))
    assert meta.private is True
    assert meta.source == "SYNTH-TRACKER"
    assert meta.comment == "benign demo"
    assert meta.trackers == ("http://127.0.0.1:6969/announce",)
    assert meta.web_seeds == ("http://127.0.0.1:8000/",)
    assert meta.created_by is not None and meta.created_by.startswith("mktorrent")


def _info(data: bytes) -> dict[bytes, object]:
    return lt.bdecode(lt.torrent_info(data).info_section())


def _rows(meta):  # type: ignore[no-untyped-def]
    return zip(meta.files.paths, meta.files.sizes, meta.files.is_pad, strict=True)


def _columns(meta):  # type: ignore[no-untyped-def]
    return meta.files.pieces_roots, meta.files.is_pad, meta.files.sizes
