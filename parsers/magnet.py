"""Magnet URIs (BEP 9, BEP 53 multi-``xt``) to :class:`MagnetLink` and :class:`TorrentMeta`.

A magnet link is often all a monitor sees of a torrent: its infohash(es), maybe a
display name, trackers and a length. Parsing follows libtorrent's reading
(``parse_magnet_uri``), which the tests cross-check, with two deliberate
differences: every ``xt`` is kept (libtorrent keeps only the last of each kind), and
the scheme and ``urn:`` prefixes are matched without regard to case, since real link
lists carry ``Magnet:?xt=urn:BTIH:...``.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

from common.errors import InputRejected
from common.textcap import cap_text, capped_repr
from parsers.reasons import parser_error
from parsers.records import FileList, MagnetLink, TorrentMeta

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_SHA256_MULTIHASH = re.compile(r"1220([0-9a-fA-F]{64})")
# xl: ASCII digits only (str.isdigit also accepts '²' and other digits int() refuses).
_ASCII_DIGITS = re.compile(r"[0-9]+")
# The largest length the warehouse stores (total_size is a signed 64-bit integer).
_MAX_LENGTH = 2**63 - 1
# libtorrent strips a numeric ".<n>" suffix from parameter names (xt.1, tr.2, ...).
_NUMBERED = re.compile(r"(.*)\.[0-9]+")


def parse_magnet(uri: str, *, source_ref: str = "") -> MagnetLink:
    """Parse one magnet URI; raise :class:`InputRejected` ("magnet.invalid" or
    "magnet.no_hash") when it is not one or names no torrent. Nothing else escapes:
    every field is read defensively (docs/parsers.md, "Hostile magnet links")."""
    text = uri.strip()
    if text[:8].lower() != "magnet:?":
        detail = f"not a magnet URI (it should start with 'magnet:?'): {_preview(text)}"
        raise InputRejected("magnet.invalid", detail, source_ref=source_ref)
    if not _encodable(text):
        detail = "the magnet URI holds lone surrogate code points, which are not text"
        raise InputRejected("magnet.invalid", detail, source_ref=source_ref)
    v1: list[str] = []
    v2: list[str] = []
    fields: dict[str, list[str]] = {"dn": [], "tr": [], "ws": [], "xl": []}
    for key, value in _parameters(text[8:]):
        if key == "xt":
            _add_hash(value, v1, v2, source_ref)
        elif key in fields:
            fields[key].append(value)
    if not (v1 or v2):
        detail = (
            f"the magnet URI names no BitTorrent infohash (no xt=urn:btih/btmh): {_preview(text)}"
        )
        raise InputRejected("magnet.no_hash", detail, source_ref=source_ref)
    name = _text(fields["dn"][-1]) if fields["dn"] else ""
    return MagnetLink(
        infohashes_v1=tuple(dict.fromkeys(v1)),
        infohashes_v2=tuple(dict.fromkeys(v2)),
        display_name=name or None,
        trackers=_texts(fields["tr"]),
        web_seeds=_texts(fields["ws"]),
        exact_length=_last_length(fields["xl"]),
    )


def magnet_to_metas(link: MagnetLink) -> list[TorrentMeta]:
    """One TorrentMeta per torrent the link names (without metadata).

    Exactly one v1 and one v2 hash name one hybrid torrent (BEP 52 links list both);
    any other combination names one torrent per hash.
    """
    common = {
        "name": link.display_name or "",
        "has_metadata": False,
        "total_size": link.exact_length,
        "trackers": link.trackers,
        "web_seeds": link.web_seeds,
        "files": FileList(),
    }
    if len(link.infohashes_v1) == 1 and len(link.infohashes_v2) == 1:
        v1, v2 = link.infohashes_v1[0], link.infohashes_v2[0]
        return [TorrentMeta(infohash=v1, infohash_v1=v1, infohash_v2=v2, **common)]
    metas = [
        TorrentMeta(infohash=h, infohash_v1=h, infohash_v2=None, **common)
        for h in link.infohashes_v1
    ]
    metas += [
        TorrentMeta(infohash=h, infohash_v1=None, infohash_v2=h, **common)
        for h in link.infohashes_v2
    ]
    return metas


def parse_magnet_lines(
    data: bytes, *, source_ref: str, first_line: int = 1
) -> list[tuple[str, bytes, TorrentMeta | InputRejected]]:
    """Parse a text file of magnet links, one per line; nothing in it raises.

    Blank lines and lines starting with ``#`` are skipped. Each other line yields
    ``(f"{source_ref}:{lineno}", line_bytes, outcome)``: a TorrentMeta per torrent the link names
    (one, or two for a link naming two unrelated torrents), or the InputRejected that
    explains why the line was refused, so the rest of the file goes on. A slice of a
    longer list passes the number of its first line as ``first_line``.
    """
    results: list[tuple[str, bytes, TorrentMeta | InputRejected]] = []
    for lineno, raw in enumerate(data.splitlines(), start=first_line):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        ref = f"{source_ref}:{lineno}"
        try:
            metas = magnet_to_metas(parse_magnet(_decode_line(line, lineno, ref), source_ref=ref))
        except InputRejected as exc:
            results.append((ref, line, exc))
            continue
        except Exception as exc:  # a parser bug must cost one line, not the file
            results.append((ref, line, parser_error(exc, "magnet", ref)))
            continue
        results.extend((ref, line, meta) for meta in metas)
    return results


def _decode_line(line: bytes, lineno: int, ref: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = line[exc.start : exc.start + 1].hex()
        detail = (
            f"line {lineno} is not valid UTF-8 (byte 0x{bad} at column {exc.start + 1}); "
            "magnet links are ASCII, so this line is not one"
        )
        raise InputRejected("input.not_utf8", detail, source_ref=ref) from None


def _parameters(query: str) -> list[tuple[str, str]]:
    """(name, raw value) pairs in order; numbered names (``xt.1``) lose their suffix."""
    pairs = []
    for part in query.split("&"):
        key, _, value = part.partition("=")
        numbered = _NUMBERED.fullmatch(key)
        pairs.append((numbered.group(1) if numbered else key, value))
    return pairs


def _encodable(text: str) -> bool:
    """False for text holding lone surrogates (a caller's str, not decoded bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: str) -> str:
    """Percent-decoded text ('+' is a space, as libtorrent reads it), capped at
    FIELD_CAP characters with the cut stated; bytes that are not UTF-8 after decoding
    become U+FFFD rather than failing the whole link."""
    return cap_text(unquote_to_bytes(value.replace("+", " ")).decode("utf-8", "replace"))


def _texts(values: list[str]) -> tuple[str, ...]:
    """Non-empty decoded values (trackers, web seeds), in order, without repeats."""
    return tuple(dict.fromkeys(text for value in values if value and (text := _text(value))))


def _last_length(values: list[str]) -> int | None:
    """The last ``xl`` that is a usable byte count, else None."""
    for value in reversed(values):
        if (length := _length(value)) is not None:
            return length
    return None


def _length(value: str) -> int | None:
    """``xl`` as a byte count, or None when it is not one (not plain ASCII digits, or
    beyond what the warehouse stores): a bad optional field does not cost the link."""
    if not _ASCII_DIGITS.fullmatch(value):
        return None
    digits = value.lstrip("0") or "0"
    if len(digits) > 19:
        return None
    length = int(digits)
    return length if length <= _MAX_LENGTH else None


def _add_hash(value: str, v1: list[str], v2: list[str], source_ref: str) -> None:
    """Add an ``xt`` value's infohash to ``v1`` or ``v2``; other URNs are ignored."""
    urn = unquote_to_bytes(value).decode("utf-8", "replace") if "%" in value else value
    scheme, body = urn[:9].lower(), urn[9:]
    if scheme == "urn:btih:":
        v1.append(_btih(body, source_ref))
    elif scheme == "urn:btmh:":
        found = btmh_hex(body)
        if found is None:
            detail = (
                "xt=urn:btmh: must be 1220 followed by 64 hex digits (SHA-256), "
                f"got {len(body):,} characters: {capped_repr(body)}"
            )
            raise InputRejected("magnet.invalid", detail, source_ref=source_ref)
        v2.append(found)


def btih_hex(body: str) -> str | None:
    """A v1 infohash as 40 lowercase hex digits from hex or base32 (BEP 9), else None.

    Public so that hash lists read the same forms a magnet's ``xt=urn:btih:`` takes.
    """
    if _HEX40.fullmatch(body):
        return body.lower()
    if _BASE32.fullmatch(body):
        try:
            return base64.b32decode(body.upper()).hex()
        except binascii.Error:
            return None
    return None


def btmh_hex(body: str) -> str | None:
    """A v2 infohash as 64 lowercase hex digits from a SHA-256 multihash (``1220`` + 64
    hex, as in ``xt=urn:btmh:``), else None."""
    match = _SHA256_MULTIHASH.fullmatch(body)
    return match.group(1).lower() if match else None


def _btih(body: str, source_ref: str) -> str:
    """A v1 infohash as 40 lowercase hex digits, from hex or base32 (BEP 9)."""
    found = btih_hex(body)
    if found is not None:
        return found
    detail = (
        "xt=urn:btih: must be 40 hex or 32 base32 characters, "
        f"got {len(body):,} characters: {capped_repr(body)}"
    )
    raise InputRejected("magnet.invalid", detail, source_ref=source_ref)


def _preview(text: str, limit: int = 120) -> str:
    return capped_repr(text, limit)
