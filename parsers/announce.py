"""Trackers and web seeds of a torrent, as libtorrent reports them, raw bytes kept.

libtorrent's binding raises on URLs that are not UTF-8; then the list is rebuilt
from the torrent's own top-level keys, percent-encoding what is not text. A URL is
gathered text like a magnet's ``tr``: kept up to FIELD_CAP characters, the cut
stated (a hostile torrent may carry a 60 MB one).
"""

from __future__ import annotations

import libtorrent as lt

from common.textcap import FIELD_CAP, cap_text, cut_marker
from parsers.bencode import top_level

_TRACKER_SCHEMES = (b"http://", b"https://", b"udp://", b"ws://", b"wss://")
_SPACE_OR_CONTROL = bytes([*range(0x21), 0x7F])
# Bytes 0x80-0xFF (read as Latin-1 characters) to their percent-escapes: one C pass.
_PERCENT_HIGH = {b: f"%{b:02X}" for b in range(0x80, 0x100)}
_HIGH = bytes(range(0x80, 0x100))


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
    return tuple(dict.fromkeys([*head, *_capped(listed, data, info)]))


def _capped(urls: list[str], data: bytes, info: bytes) -> list[str]:
    """libtorrent's URLs, each cut to FIELD_CAP characters.

    Hot path: URLs live outside the info section, and libtorrent's escaping at most
    triples a byte, so when that part of the file is short no URL can be long and
    nothing is measured (most torrents).
    """
    if (len(data) - len(info)) * 3 < FIELD_CAP or max(map(len, urls), default=0) <= FIELD_CAP:
        return urls
    return [cap_text(url) for url in urls]


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
    """A URL as text, cut to FIELD_CAP characters with the cut stated; when it is not
    UTF-8 its bytes 0x80-0xFF are percent-encoded, so nothing shown is lost."""
    raw = (url or b"").lstrip()
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        pass
    else:
        return text if len(text) <= FIELD_CAP else cap_text(text)
    # Percent-encoding only keeps or lengthens, so the first FIELD_CAP bytes give the
    # kept characters; the cut is counted without encoding the rest.
    text = raw[:FIELD_CAP].decode("latin-1").translate(_PERCENT_HIGH)
    if len(raw) <= FIELD_CAP:
        return cap_text(text)
    full = len(raw) + 2 * (len(raw) - len(raw.translate(None, _HIGH)))
    return text[:FIELD_CAP] + cut_marker(full - FIELD_CAP)


def web_seeds(data: bytes, params: lt.add_torrent_params, info: bytes) -> tuple[str, ...]:
    """'url-list' as libtorrent reports it (percent-encoded, '/' added for folders)."""
    try:
        return tuple(_capped(params.url_seeds, data, info))
    except UnicodeDecodeError:
        seeds = top_level(data, info, (b"url-list",)).get(b"url-list")
        seeds = [seeds] if isinstance(seeds, bytes) else seeds
        if not isinstance(seeds, list):
            return ()
        return tuple(dict.fromkeys(_url_text(s) for s in seeds if isinstance(s, bytes) and s))
