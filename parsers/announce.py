"""Trackers and web seeds of a torrent, as libtorrent reports them, raw bytes kept.

libtorrent's binding raises on URLs that are not UTF-8; then the list is rebuilt
from the torrent's own top-level keys, percent-encoding what is not text.
"""

from __future__ import annotations

import libtorrent as lt

from parsers.bencode import top_level

_TRACKER_SCHEMES = (b"http://", b"https://", b"udp://", b"ws://", b"wss://")
_SPACE_OR_CONTROL = bytes([*range(0x21), 0x7F])


def trackers(data: bytes, params: lt.add_torrent_params, info: bytes) -> tuple[str, ...]:
    """'announce' then the flattened 'announce-list', deduplicated, in order.

    libtorrent drops 'announce' when 'announce-list' has usable URLs and drops URLs
    it could never announce to; we keep its list and put a usable 'announce' first.
    """
    try:
        listed = params.trackers
    except UnicodeDecodeError:
        return _trackers_from_raw(top_level(data, info, (b"announce", b"announce-list")))
    if not listed:
        return ()
    announce = top_level(data, info, (b"announce",)).get(b"announce")
    announce = announce.lstrip() if isinstance(announce, bytes) else None
    head = [_url_text(announce)] if _usable_tracker(announce) else []
    return tuple(dict.fromkeys([*head, *listed]))


def _usable_tracker(url: bytes | None) -> bool:
    """libtorrent's tracker URL test: a known scheme, no space or control bytes."""
    if not url:
        return False
    if url.translate(None, _SPACE_OR_CONTROL) != url:  # one C pass, not a loop per byte
        return False
    return url.lower().startswith(_TRACKER_SCHEMES)


def _trackers_from_raw(top: dict[bytes, object]) -> tuple[str, ...]:
    """The same list built from the raw top level (when a URL is not valid UTF-8)."""
    urls = []
    tiers = top.get(b"announce-list")
    for tier in tiers if isinstance(tiers, list) else ():
        for url in tier if isinstance(tier, list) else ():
            if isinstance(url, bytes) and _usable_tracker(url.lstrip()):
                urls.append(url.lstrip())
    announce = top.get(b"announce")
    announce = announce.lstrip() if isinstance(announce, bytes) else None
    head = [announce] if _usable_tracker(announce) else []
    return tuple(dict.fromkeys(_url_text(u) for u in [*head, *urls]))


def _url_text(url: bytes | None) -> str:
    """A URL as text; bytes that are not UTF-8 are percent-encoded, so nothing is lost."""
    raw = (url or b"").lstrip()
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)


def web_seeds(data: bytes, params: lt.add_torrent_params, info: bytes) -> tuple[str, ...]:
    """'url-list' as libtorrent reports it (percent-encoded, '/' added for folders)."""
    try:
        return tuple(params.url_seeds)
    except UnicodeDecodeError:
        seeds = top_level(data, info, (b"url-list",)).get(b"url-list")
        seeds = [seeds] if isinstance(seeds, bytes) else seeds
        if not isinstance(seeds, list):
            return ()
        return tuple(dict.fromkeys(_url_text(s) for s in seeds if isinstance(s, bytes) and s))
