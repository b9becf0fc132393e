"""parse_torrent: the YAML cases, libtorrent parity, and fast path == slow path."""

from __future__ import annotations

import random
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest
from torrent_fixtures import (
    KINDS,
    MULTI_FILE,
    SINGLE_FILE,
    assert_safe_paths,
    build_torrent,
    case_input,
    check_expectations,
    libtorrent_torrent,
    libtorrent_view,
    load_cases,
    meta_view,
    write_tree,
)

import parsers.torrent as torrent_module
from common.errors import InputRejected
from parsers.padding import looks_like_padding
from parsers.records import TorrentMeta
from parsers.torrent import TorrentLimits, parse_torrent
from torrentwatch.synth import SynthTorrent, encode, synthetic_specs


@pytest.mark.parametrize("case", load_cases("torrents.yaml"))
def test_case(case: dict[str, Any]) -> None:
    data = case_input(case)
    if "reject" in case:
        with pytest.raises(InputRejected) as caught:
            parse_torrent(data)
        assert caught.value.reason == case["reject"]
        return
    meta = parse_torrent(data, source_ref=case["id"])
    check_expectations(meta, case.get("expect", {}))
    assert_safe_paths(meta)
    assert _parse_slowly(data) == meta, "fast and slow paths disagree"


def test_synthetic_torrents_match_libtorrent() -> None:
    for spec in synthetic_specs(300, seed=17):
        data = encode(spec)
        meta = parse_torrent(data)
        assert meta_view(meta) == libtorrent_view(data)
        assert meta.name_raw is None and set(meta.files.paths_raw) == {None}
        assert meta.infohash == meta.infohash_v1 and meta.infohash_v2 is None
        assert meta.created_by == "torrentwatch-synth"
        assert meta.creation_date is not None and meta.creation_date.timestamp() == 1_700_000_000


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", ["single", "multi"])
def test_libtorrent_made_torrents(tmp_path: Path, kind: str, layout: str) -> None:
    target = write_tree(tmp_path, SINGLE_FILE if layout == "single" else MULTI_FILE)
    data = libtorrent_torrent(
        target, kind, trackers=["udp://127.0.0.1:6969/announce"], comment="benign demo"
    )
    meta = parse_torrent(data)
    assert meta_view(meta) == libtorrent_view(data)
    assert (meta.infohash_v1 is None) == (kind == "v2")
    assert (meta.infohash_v2 is None) == (kind == "v1")
    assert meta.infohash == (meta.infohash_v1 or meta.infohash_v2)
    assert meta.trackers == ("udp://127.0.0.1:6969/announce",)
    assert (meta.comment, meta.created_by) == ("benign demo", "torrentwatch-tests")
    assert _parse_slowly(data) == meta
    _check_pieces_roots(meta, data, kind)


def _check_pieces_roots(meta: TorrentMeta, data: bytes, kind: str) -> None:
    layout = lt.torrent_info(data).layout()
    for index, root in enumerate(meta.files.pieces_roots):
        if kind == "v1" or meta.files.is_pad[index] or meta.files.sizes[index] == 0:
            assert root is None
        else:
            assert root == layout.root(index).to_bytes().hex()


def test_infohashes_are_libtorrents_for_every_kind(tmp_path: Path) -> None:
    target = write_tree(tmp_path, MULTI_FILE)
    for kind in KINDS:
        data = libtorrent_torrent(target, kind)
        hashes = lt.torrent_info(data).info_hashes()
        meta = parse_torrent(data)
        if hashes.has_v1():
            assert meta.infohash_v1 == str(hashes.v1)
        if hashes.has_v2():
            assert meta.infohash_v2 == str(hashes.v2)


_PIECES = [b"Kart", b"Racer", b"2009", b".", b"..", b"", b"_", b":", b"/", b"\\", b"\x00",
           b"\x07", b"\x7f", b"\xff", b"\xc3(", "é".encode(), "日本".encode(), "\u202e".encode(),
           b"x" * 120, b"_____padding_file_1", b".pad", b"6:pieces20:", b" "]  # fmt: skip


def _random_name(rng: random.Random) -> bytes:
    return b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 4)))


def _random_torrent(rng: random.Random) -> tuple[bytes, list[bytes], list[bytes]]:
    """A v1 torrent with odd names and optional extras, its raw paths as libtorrent
    reads them (the .utf-8 keys first) and as a client that ignores .utf-8 keys does."""
    name = _random_name(rng) or b"Galaxy"
    info: dict[str, Any] = {"name": name}
    if rng.random() < 0.2:
        info.update({"length": rng.randint(1, 99_999)})
        raw = plain = [name]
    else:
        paths = [
            [_random_name(rng) for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(1, 5))
        ]
        info["files"] = [{"length": rng.randint(0, 50_000) + 1, "path": p} for p in paths]
        for entry in info["files"]:
            if rng.random() < 0.1:  # the key libtorrent reads, and so the raw bytes kept
                entry["path.utf-8"] = [*entry["path"][:-1], _random_name(rng) or b"u8"]
            if rng.random() < 0.05:
                entry["attr"] = rng.choice([b"p", b"x", b"h", b"px"])
        raw = [b"/".join([name, *e.get("path.utf-8", e["path"])]) for e in info["files"]]
        plain = [b"/".join([name, *e["path"]]) for e in info["files"]]
    for key, value in (("private", 1), ("source", b"SYNTH"), ("name.utf-8", name + b".x")):
        if rng.random() < 0.1:
            info[key] = value
    if "name.utf-8" in info:  # the key libtorrent reads, and so the raw bytes kept
        raw = [name + b".x" + r[len(name) :] for r in raw]
    return build_torrent(info), raw, plain


def test_random_names_keep_their_raw_bytes() -> None:
    rng = random.Random(7)
    loaded = 0
    for _ in range(1500):
        data, raw_paths, plain_paths = _random_torrent(rng)
        try:
            meta = parse_torrent(data)
        except InputRejected:
            continue
        loaded += 1
        ours, theirs = meta_view(meta), libtorrent_view(data)
        # Padding is what looks like padding, not libtorrent's flag (test_padding_names).
        del theirs["is_pad"]
        assert ours.pop("is_pad") == _looks_padded(meta)
        assert ours == theirs
        assert meta == _parse_slowly(data)
        assert_safe_paths(meta)
        kept = [
            r if r is not None else p.encode()
            for r, p in zip(meta.files.paths_raw, meta.files.paths, strict=True)
        ]
        assert kept == raw_paths
        # The reading of a client that ignores .utf-8 keys is kept where it differs.
        files = meta.files
        for plain, first, path, others in zip(
            plain_paths, kept, files.paths, files.paths_alt_raw, strict=True
        ):
            assert (plain in (others or ())) == (plain not in (first, path.encode()))
    assert loaded > 1000


def _looks_padded(meta: TorrentMeta) -> tuple[bool, ...]:
    files = meta.files
    shown = [
        p if r is None else r.decode("utf-8", "replace")
        for p, r in zip(files.paths, files.paths_raw, strict=True)
    ]
    return tuple(
        looks_like_padding(p, s, meta.piece_length) for p, s in zip(shown, files.sizes, strict=True)
    )


def test_fast_path_is_taken_for_plain_v1(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed target depends on plain torrents never decoding twice."""
    slow_calls = []
    original = torrent_module._slow_view
    monkeypatch.setattr(
        torrent_module, "_slow_view", lambda *a: slow_calls.append(a) or original(*a)
    )
    for spec in synthetic_specs(50):
        parse_torrent(encode(spec))
    parse_torrent(build_torrent({"private": 1}))
    parse_torrent(build_torrent({"name": "Café.Nights", "files": [{"length": 5, "path": ["é"]}]}))
    assert slow_calls == []


def test_a_planted_copy_of_the_first_piece_hash_cannot_hide_bytes() -> None:
    """The fast path finds the pieces string at the end of the info dict by its first
    hash. Here the (unsorted) dict ends with a name after the pieces, and the piece
    hashes repeat so that the last 40 bytes also start with the first hash: taken
    for the pieces, they would hide the name, and its colons are made up for inside
    the hashes. The hash must therefore be unique, and the name's raw byte is kept."""
    hashes = (b"::QQQQQQQQQQQQ" * 3)[:40]
    info = b"d6:lengthi20000e12:piece lengthi16384e6:pieces40:" + hashes
    info += b"4:name6:Robot\xffe"
    meta = parse_torrent(b"d4:info" + info + b"e")
    assert (meta.name, meta.name_raw) == ("Robot_", b"Robot\xff")


def test_torrentmeta_field_order_is_what_the_hot_path_assumes() -> None:
    """parse_torrent builds TorrentMeta positionally; a reordering must fail here."""
    assert [f.name for f in fields(TorrentMeta)] == [
        "infohash", "infohash_v1", "infohash_v2", "name", "name_raw", "has_metadata",
        "total_size", "piece_length", "private", "created_by", "creation_date", "comment",
        "source", "trackers", "web_seeds", "metadata_size", "files", "name_alt_raw",
    ]  # fmt: skip


def test_no_deprecated_libtorrent_api(tmp_path: Path) -> None:
    target = write_tree(tmp_path, MULTI_FILE)
    torrents = [libtorrent_torrent(target, kind) for kind in KINDS]
    torrents.append(build_torrent(top={"announce": "http://a.example/x", "url-list": "http://w/"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for data in torrents:
            parse_torrent(data)
            _parse_slowly(data)


def test_input_types_and_source_ref() -> None:
    data = encode(SynthTorrent("Quiet.Lake.2015", (("Quiet.Lake.2015.mkv", 12345),)))
    assert parse_torrent(bytearray(data)) == parse_torrent(memoryview(data)) == parse_torrent(data)
    with pytest.raises(InputRejected) as caught:
        parse_torrent(data[:-1], source_ref="inbox/quiet.torrent")
    assert caught.value.source_ref == "inbox/quiet.torrent"
    assert str(caught.value).startswith("[bencode.invalid] inbox/quiet.torrent: ")


def test_limits_are_enforced_with_their_codes() -> None:
    data = encode(next(synthetic_specs(1)))
    cases = {
        "bencode.too_large": TorrentLimits(max_decode_tokens=50),
        "bencode.too_deep": TorrentLimits(max_decode_depth=2),
        "pieces.too_many": TorrentLimits(max_pieces=2),
        "files.too_many": TorrentLimits(max_files=3),
    }
    for reason, limits in cases.items():
        with pytest.raises(InputRejected) as caught:
            parse_torrent(data, limits=limits)
        assert caught.value.reason == reason


@pytest.mark.slow
def test_default_limits_go_beyond_libtorrents() -> None:
    """Past libtorrent's default token limit, our explicit limits still load it."""
    files = [
        {"length": 1, "path": ["d", "e", "f", "g", "h", "i", f"{i}.txt"]} for i in range(300_000)
    ]
    data = build_torrent({"name": "Deep.Archive", "piece length": 1 << 22, "files": files})
    with pytest.raises(RuntimeError, match=r"\[bdecode:6\]"):
        lt.load_torrent_buffer(data)
    assert parse_torrent(data).file_count == 300_000


def _parse_slowly(data: bytes) -> TorrentMeta:
    """parse_torrent with the fast path switched off: the reference it must match."""
    original = torrent_module._fast_view
    torrent_module._fast_view = lambda *args: None
    try:
        return parse_torrent(data)
    finally:
        torrent_module._fast_view = original
