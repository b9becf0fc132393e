"""Magnet links: the YAML cases, libtorrent parity, torrents per link, link files."""

from __future__ import annotations

from typing import Any

import libtorrent as lt
import pytest
from torrent_fixtures import load_cases

from common.errors import InputRejected
from parsers.magnet import magnet_to_metas, parse_magnet, parse_magnet_lines
from parsers.records import MagnetLink, TorrentMeta

V1 = "0123456789abcdef0123456789abcdef01234567"
V2 = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"


@pytest.mark.parametrize("case", load_cases("magnets.yaml"))
def test_case(case: dict[str, Any]) -> None:
    if "reject" in case:
        with pytest.raises(InputRejected) as caught:
            parse_magnet(case["uri"], source_ref="case")
        assert caught.value.reason == case["reject"]
        assert caught.value.source_ref == "case"
        return
    link = parse_magnet(case["uri"])
    for key, want in case.get("expect", {}).items():
        got = getattr(link, key)
        assert (list(got) if isinstance(got, tuple) else got) == want, key
    if "metas" in case:
        assert len(magnet_to_metas(link)) == case["metas"]
    if case.get("libtorrent") == "same":
        assert _libtorrent_view(case["uri"]) == _our_view(link)


def _libtorrent_view(uri: str) -> dict[str, Any]:
    params = lt.parse_magnet_uri(uri)
    hashes = params.info_hashes
    return {
        "v1": str(hashes.v1) if hashes.has_v1() else None,
        "v2": str(hashes.v2) if hashes.has_v2() else None,
        "name": params.name or None,
        "trackers": list(dict.fromkeys(params.trackers)),
        "web_seeds": list(params.url_seeds),
    }


def _our_view(link: MagnetLink) -> dict[str, Any]:
    """libtorrent keeps the last hash of each version."""
    return {
        "v1": link.infohashes_v1[-1] if link.infohashes_v1 else None,
        "v2": link.infohashes_v2[-1] if link.infohashes_v2 else None,
        "name": link.display_name,
        "trackers": list(link.trackers),
        "web_seeds": list(link.web_seeds),
    }


def test_hybrid_link_is_one_torrent_without_metadata() -> None:
    uri = f"magnet:?xt=urn:btih:{V1}&xt=urn:btmh:1220{V2}&dn=Ocean.Summer&xl=42&tr=udp://t.example:1/a"
    (meta,) = magnet_to_metas(parse_magnet(uri))
    assert (meta.infohash, meta.infohash_v1, meta.infohash_v2) == (V1, V1, V2)
    assert (meta.has_metadata, meta.name, meta.total_size) == (False, "Ocean.Summer", 42)
    assert meta.trackers == ("udp://t.example:1/a",)
    assert meta.file_count == 0 and len(meta.files) == 0


def test_unrelated_hashes_are_separate_torrents() -> None:
    other = "f" * 40
    metas = magnet_to_metas(parse_magnet(f"magnet:?xt=urn:btih:{V1}&xt=urn:btih:{other}"))
    assert [(m.infohash, m.infohash_v1, m.infohash_v2) for m in metas] == [
        (V1, V1, None),
        (other, other, None),
    ]
    (v2_only,) = magnet_to_metas(parse_magnet(f"magnet:?xt=urn:btmh:1220{V2}"))
    assert (v2_only.infohash, v2_only.infohash_v1, v2_only.infohash_v2) == (V2, None, V2)
    assert v2_only.name == ""


def test_link_file_lines_comments_and_bad_lines() -> None:
    text = (
        b"\xef\xbb\xbf# benign test list\r\n"
        b"\r\n"
        b"magnet:?xt=urn:btih:" + V1.encode() + b"&dn=Kart.Racer\r\n"
        b"   \n"
        b"magnet:?dn=no.hash.here\n"
        b"magnet:?xt=urn:btih:" + b"1" * 40 + b"&xt=urn:btih:" + b"2" * 40 + b"\n"
        b"magnet:?xt=urn:btih:" + V1.encode() + b"&dn=Caf\xe9\n"
        b"# magnet:?xt=urn:btih:commented-out\n"
        b"magnet:?xt=urn:btmh:1220" + V2.encode()
    )
    results = parse_magnet_lines(text, source_ref="inbox/list.txt")
    refs = [ref for ref, _, _ in results]
    assert refs == [f"inbox/list.txt:{n}" for n in (3, 5, 6, 6, 7, 9)]
    kinds = [type(outcome).__name__ for _, _, outcome in results]
    assert kinds == [
        "TorrentMeta",
        "InputRejected",
        "TorrentMeta",
        "TorrentMeta",
        "InputRejected",
        "TorrentMeta",
    ]
    first = results[0][2]
    assert isinstance(first, TorrentMeta) and first.name == "Kart.Racer"
    no_hash, not_utf8 = results[1][2], results[4][2]
    assert isinstance(no_hash, InputRejected) and no_hash.reason == "magnet.no_hash"
    assert isinstance(not_utf8, InputRejected) and not_utf8.reason == "input.not_utf8"
    assert not_utf8.source_ref == "inbox/list.txt:7"
    assert "0xe9" in not_utf8.detail and "line 7" in not_utf8.detail


def test_link_file_of_garbage_never_raises() -> None:
    garbage = bytes(range(256)) * 4 + b"\nmagnet:?xt=urn:btih:zz\n\x00\x00\nmagnet:?"
    for ref, line, outcome in parse_magnet_lines(garbage, source_ref="junk.txt"):
        assert line in garbage
        assert ref.startswith("junk.txt:")
        assert isinstance(outcome, InputRejected)


def test_empty_link_file() -> None:
    assert parse_magnet_lines(b"", source_ref="empty.txt") == []
    assert parse_magnet_lines(b"\n# only a comment\n\n", source_ref="c.txt") == []
