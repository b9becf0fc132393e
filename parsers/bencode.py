"""Exact decoding of bencoded bytes libtorrent has already accepted.

libtorrent tells us whether a torrent is valid and what it means; these helpers
recover the torrent's own bytes (raw names, top-level keys) where libtorrent's view
has rewritten them. They are only ever given bytes libtorrent accepted, whose
nesting its decode limits bound, so they need no defences of their own.
"""

from __future__ import annotations

import libtorrent as lt


def top_level(data: bytes, info: bytes, wanted: tuple[bytes, ...]) -> dict[bytes, object]:
    """The first value of each ``wanted`` top-level key, as libtorrent finds them.

    Walks the top-level dict and decodes only what it needs: the info dict, whose
    exact bytes libtorrent gave us, is stepped over by its length.
    """
    found: dict[bytes, object] = {}
    pos = 1
    try:
        while data[pos] != 0x65 and len(found) < len(wanted):  # 'e' ends the dict
            key, pos = string_at(data, pos)
            if key == b"info" and data.startswith(info, pos):
                pos += len(info)
                continue
            value, pos = decode_at(data, pos)
            if key in wanted:
                found.setdefault(key, value)
    except (ValueError, IndexError, RecursionError):
        pass
    return found


def decode_info(info: bytes, has_v2: bool) -> dict[bytes, object]:
    """The info dict decoded as libtorrent reads it: the first of two equal keys wins.

    libtorrent's own ``bdecode`` is C++ and three times faster, but keeps the last of
    two equal keys; that is exact for v2 and hybrid torrents only, whose keys
    libtorrent requires sorted and unique. v1 torrents take the pure-Python decoder.
    Only for bytes libtorrent accepted, whose nesting the decode limits bound.
    """
    decoded: object = None
    if has_v2:
        try:
            decoded = lt.bdecode(info)
        except RuntimeError:
            decoded = None
    if not isinstance(decoded, dict):
        decoded = decode_at(info, 0)[0]
    return decoded if isinstance(decoded, dict) else {}


def decode_at(buf: bytes, pos: int) -> tuple[object, int]:
    """One bencoded value at ``pos`` and the position after it (first key wins)."""
    kind = buf[pos]
    if kind < 0x3A:  # a digit: a string, the commonest token, so tested first
        return string_at(buf, pos)
    if kind == 0x64:  # 'd'
        entries: dict[object, object] = {}
        pos += 1
        while buf[pos] != 0x65:  # 'e'
            key, pos = string_at(buf, pos)
            value, pos = decode_at(buf, pos)
            if key not in entries:
                entries[key] = value
        return entries, pos + 1
    if kind == 0x6C:  # 'l'
        items = []
        pos += 1
        while buf[pos] != 0x65:
            item, pos = decode_at(buf, pos)
            items.append(item)
        return items, pos + 1
    end = buf.index(0x65, pos)  # an integer: i<digits>e
    return int(buf[pos + 1 : end]), end + 1


def string_at(buf: bytes, pos: int) -> tuple[bytes, int]:
    colon = buf.index(0x3A, pos)  # ':'
    start = colon + 1
    end = start + int(buf[pos:colon])
    return buf[start:end], end
