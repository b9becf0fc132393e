"""Hostile .torrent inputs end as the right InputRejected code or load safely.

Nothing but a TorrentMeta or an InputRejected may ever come out of parse_torrent,
and it accepts exactly what libtorrent accepts (under our limits).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest
from torrent_fixtures import (
    MULTI_FILE,
    assert_safe_paths,
    build_torrent,
    case_input,
    check_expectations,
    libtorrent_torrent,
    libtorrent_view,
    load_cases,
    many_files_torrent,
    meta_view,
    write_tree,
)

import parsers.torrent as torrent_module
from common.errors import InputRejected
from parsers.reasons import REASONS
from parsers.records import TorrentMeta
from parsers.torrent import DEFAULT_LIMITS, parse_torrent
from torrentwatch.synth import encode, synthetic_specs


def outcome(data: bytes, **kwargs: Any) -> TorrentMeta | InputRejected:
    """parse_torrent's result or refusal; any other exception fails the test."""
    try:
        meta = parse_torrent(data, **kwargs)
    except InputRejected as exc:
        assert exc.reason in REASONS, exc.reason
        assert exc.detail
        return exc
    assert_safe_paths(meta)
    return meta


@pytest.mark.parametrize("case", load_cases("hostile_torrents.yaml"))
def test_case(case: dict[str, Any]) -> None:
    result = outcome(case_input(case))
    if "reject" in case:
        assert isinstance(result, InputRejected), f"loaded: {result}"
        assert result.reason == case["reject"], result.detail
    else:
        assert isinstance(result, TorrentMeta), result
        check_expectations(result, case.get("expect", {}))


def test_every_truncation_of_a_real_torrent_is_refused(tmp_path: Path) -> None:
    target = write_tree(tmp_path, MULTI_FILE)
    data = libtorrent_torrent(target, "hybrid", trackers=["http://127.0.0.1:6969/announce"])
    assert isinstance(outcome(data), TorrentMeta)
    for end in range(len(data)):
        result = outcome(data[:end])
        assert isinstance(result, InputRejected), end
        assert result.reason == ("input.empty" if end == 0 else "bencode.invalid"), end


def test_nesting_100000_deep_is_refused() -> None:
    deep = b"l" * 100_000 + b"e" * 100_000
    assert outcome(deep).reason == "bencode.too_deep"
    inside = b"d4:infod4:name" + deep + b"ee"
    assert outcome(inside).reason == "bencode.too_deep"


def test_integer_of_2_to_the_70_as_a_file_length() -> None:
    data = build_torrent({"name": "Huge.Pack", "files": [{"length": 1, "path": ["a"]}]})
    hostile = data.replace(b"6:lengthi1e", b"6:lengthi" + str(2**70).encode() + b"e")
    assert outcome(hostile).reason == "bencode.int_overflow"


def test_input_over_max_size_is_refused_before_parsing() -> None:
    data = encode(next(synthetic_specs(1)))
    assert isinstance(outcome(data, max_size=len(data)), TorrentMeta)
    assert outcome(data, max_size=len(data) - 1).reason == "input.too_large"
    padded = data + b" " * (64 * 1024 * 1024)
    assert outcome(padded).reason == "input.too_large"


def test_too_many_duplicate_paths_is_refused_like_libtorrent() -> None:
    files = [{"length": 10, "path": ["same.txt"]} for _ in range(1500)]
    assert outcome(build_torrent({"name": "Dup", "files": files})).reason == (
        "files.too_many_duplicates"
    )


@pytest.mark.slow
def test_200000_files_load() -> None:
    data = many_files_torrent(200_000)
    meta = outcome(data)
    assert isinstance(meta, TorrentMeta)
    assert meta.file_count == len(meta.files) == 200_000
    assert meta_view(meta) == libtorrent_view(data)
    assert meta.files.paths[123_456] == (
        "Harbor.Lights.Complete.Archive.FLAC-SYNTH/Disc456/Track.123456.flac"
    )


def _mutants(seeds: list[bytes], count: int, rng: random.Random) -> list[bytes]:
    """Byte flips, insertions, deletions, splices and digit bumps of real torrents."""
    mutants = []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            action = rng.randrange(5)
            if action == 0:
                data[at] = rng.randrange(256)
            elif action == 1:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif action == 2:
                del data[at : at + rng.randint(1, 16)]
            elif action == 3:
                other = rng.choice(seeds)
                start = rng.randrange(len(other))
                data[at:at] = other[start : start + rng.randint(1, 64)]
            elif chr(data[at]).isdigit():
                data[at] = ord(rng.choice("0123456789"))
        mutants.append(bytes(data))
    return mutants


def _seed_torrents(tmp_path: Path) -> list[bytes]:
    target = write_tree(tmp_path, MULTI_FILE)
    seeds = [
        libtorrent_torrent(target, kind, trackers=["http://127.0.0.1:1/a"])
        for kind in ("v1", "hybrid", "v2")
    ]
    seeds += [encode(spec) for spec in synthetic_specs(3, files_per_torrent=4)]
    seeds.append(
        build_torrent(
            {
                "name": "Caf\u00e9",
                "private": 1,
                "files": [{"length": 70000, "path": ["a", "b.mkv"]}],
            },
            top={"announce": "udp://127.0.0.1:2/a", "url-list": ["http://127.0.0.1/w"]},
        )
    )
    return seeds


def test_fuzzed_torrents_yield_only_meta_or_rejection_as_libtorrent_does(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    for data in _mutants(_seed_torrents(tmp_path), 3000, rng):
        result = outcome(data)
        try:
            lt.load_torrent_buffer(data, torrent_module._lt_limits(DEFAULT_LIMITS))
            libtorrent_accepts = True
        except RuntimeError:
            libtorrent_accepts = False
        assert isinstance(result, TorrentMeta) == libtorrent_accepts, data
        if isinstance(result, TorrentMeta) and result.has_metadata:
            assert meta_view(result) == libtorrent_view(data)
