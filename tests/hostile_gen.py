"""Seeded generators of hostile inputs for the property sweeps in test_hostile_sweep.

Every gathered byte is hostile, so each parser is fed valid inputs bent out of shape:
bit flips, insertions, deletions, truncations, splices of other inputs, huge lengths,
deep nesting, bytes that are not UTF-8, NUL, surrogates, path-traversal names, and
characters from every Unicode category. Everything is built by code from a
``random.Random`` seed, so a failure names the seed and is reproduced exactly; all
text is benign (game titles, Linux images, made-up release groups).
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Any

import libtorrent as lt

# Bytes that break parsers in practice: controls, NUL, invalid and overlong UTF-8, an
# encoded surrogate, bidi and line separators, BOMs, quote and separator characters.
HOSTILE_BYTES: tuple[bytes, ...] = (
    b"\x00",
    b"\xff",
    b"\xfe\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe9",
    b"\x1b[31m",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x85",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"\xe2\x80\xae",
    b"\xef\xbb\xbf",
    b",",
    b'"',
    b"&",
    b"%",
    b"%ZZ",
    b"=",
    b"#",
    b"<",
    b">",
    b"]]>",
)
# Names a hostile torrent or list may carry to climb out of a folder or hide.
TRAVERSAL: tuple[bytes, ...] = (
    b"..",
    b"../../etc/passwd",
    b"/abs/path",
    b"C:\\Windows\\x.exe",
    b"..\\..\\x.exe",
    b".",
    b"",
    b"a/b",
    b"a\x00b",
    "\u202egpj.exe".encode(),
    b"Codec.Setup\xe9.exe",
    b"\xed\xa0\x80.avi",
    b"clip.avi" + b" " * 40 + b".exe",
)
HUGE_SIZES = (10_000, 70_000, 200_000)


def mutate_bytes(rng: random.Random, data: bytes, pool: list[bytes], rounds: int = 4) -> bytes:
    """``data`` after 1..``rounds`` random flips, insertions, deletions, splices from
    ``pool``, truncations and runs of a repeated byte."""
    out = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        at = rng.randrange(len(out) + 1)
        action = rng.randrange(7)
        if action == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif action == 1:
            out[at:at] = rng.choice(HOSTILE_BYTES)
        elif action == 2:
            del out[at : at + rng.randint(1, 32)]
        elif action == 3:
            other = rng.choice(pool)
            start = rng.randrange(len(other) + 1)
            out[at:at] = other[start : start + rng.randint(1, 300)]
        elif action == 4:
            out = out[:at]
        elif action == 5:
            out[at:at] = bytes([rng.randrange(256)]) * rng.choice(HUGE_SIZES)
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


def random_bytes(rng: random.Random, longest: int = 400) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, longest)))


@cache
def _characters_by_category() -> dict[str, tuple[str, ...]]:
    """Code points of every Unicode category (a sample of each), lone surrogates and
    the controls, invisibles and separators that matter for names."""
    found: dict[str, list[str]] = {}
    for cp in range(0, sys.maxunicode + 1, 97):
        found.setdefault(unicodedata.category(chr(cp)), []).append(chr(cp))
    special = [*range(0x20), *range(0x7F, 0xA0), 0x200B, 0x200D, 0x202E, 0x2066, 0x2028]
    special += [0xFEFF, 0xAD, 0x34F, 0x115F, 0x3164, 0xFFFD, 0xFDFA, 0xD800, 0xDFFF, 0x10FFFF]
    found["special"] = [chr(cp) for cp in special]
    return {category: tuple(chars) for category, chars in found.items()}


NAME_SEEDS = (
    "Kart.Racer.PS2.PAL-GRP",
    "Show.S01E02.720p.HDTV.x264-SYNTH",
    "Galaxy.Quest.2009.1080p.BluRay.x265-FAKEGRP",
    "debian-12.5.0-amd64-netinst.iso",
    "clip.avi.exe",
    "Harbor.Lights/Disc1/Track.01.flac",
    "IMG_1234.jpg      .exe",
    "Pixel.Dungeon.v1.2.3.Setup.exe",
    "Season 1 Episode 2",
    "Comet.OST.FLAC.24bit.96khz",
)


def hostile_text(rng: random.Random, *, surrogates: bool = True) -> str:
    """A release-like name with characters of random Unicode categories spliced in,
    sometimes repeated hundreds of times or ending in a traversal or a dot."""
    by_category = _characters_by_category()
    categories = sorted(c for c in by_category if surrogates or c != "Cs")
    chars = list(rng.choice(NAME_SEEDS))
    for _ in range(rng.randint(0, 8)):
        char = rng.choice(by_category[rng.choice(categories)])
        if not surrogates and 0xD800 <= ord(char) <= 0xDFFF:
            continue
        chars.insert(rng.randint(0, len(chars)), char * rng.choice((1, 1, 2, 7, 60)))
    if rng.random() < 0.15:
        chars *= rng.randint(2, 300)
    if rng.random() < 0.3:
        chars.append(rng.choice(("../", "/abs", "C:\\", "..\\", ".", " ", "\x00", "\u202e")))
    return "".join(chars)


# --- .torrent structure -----------------------------------------------------------

_KEYS = (
    b"name",
    b"name.utf-8",
    b"path",
    b"path.utf-8",
    b"attr",
    b"symlink path",
    b"files",
    b"file tree",
    b"meta version",
    b"length",
    b"pieces root",
    b"source",
    b"url-list",
    b"announce",
    b"announce-list",
    b"piece layers",
    b"magnet-uri",
    b"comment",
    b"created by",
    b"creation date",
    b"private",
)
_INTEGERS = (0, -1, 1, 3, 16384, 2**31, 2**62, 2**63 - 1, -(2**63))


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    """A bencodable value of a random type that a torrent field should not hold."""
    kind = rng.randrange(7 if depth < 2 else 3)
    if kind == 0:
        return rng.choice(TRAVERSAL)
    if kind == 1:
        return rng.choice(_INTEGERS)
    if kind == 2:
        return random_bytes(rng, 40)
    if kind == 3:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == 4:
        return {rng.choice((*_KEYS, *TRAVERSAL)): hostile_value(rng, depth + 1)}
    if kind == 5:
        return rng.choice(({}, [], [[]], {b"": {}}))
    return [[rng.choice(TRAVERSAL)]]


def _nodes(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _nodes(child, (*path, index))


def _parent(root: Any, path: tuple) -> Any:
    for step in path[:-1]:
        root = root[step]
    return root


def mutate_torrent(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """A valid torrent with 1-3 fields replaced, added or dropped (or grafted from
    another torrent of ``pool``), re-encoded: structure-aware, so most mutants still
    decode and reach the code behind libtorrent's parse (raw names, trackers)."""
    root = lt.bdecode(data)
    for _ in range(rng.randint(1, 3)):
        paths = [path for path, _ in _nodes(root) if path]
        if not paths:
            break
        path = rng.choice(paths)
        parent = _parent(root, path)
        action = rng.randrange(4)
        if action == 0:
            parent[path[-1]] = hostile_value(rng)
        elif action == 1 and isinstance(parent, dict):
            parent[rng.choice((*_KEYS, *TRAVERSAL[:6]))] = hostile_value(rng)
        elif action == 2:
            del parent[path[-1]]
        else:
            donor = [v for _, v in _nodes(lt.bdecode(rng.choice(pool)))]
            parent[path[-1]] = rng.choice(donor)
    return lt.bencode(root)
