"""RSS 2.0, RSS 1.0, Atom and Torznab feed bytes to :class:`FeedEntry` records.

Pure: bytes in, records out. Feeds come from servers we do not control, so the XML
is parsed by ``defusedxml`` (entity declarations, external entities and DTD fetches
are refused before any expansion happens), the tree's depth is bounded while it is
built, and the caller has already capped the byte size. A document that cannot be
read at all raises :class:`FeedMalformed` naming the URL, line and column; an item
that cannot be used is reported as an :class:`ItemProblem` and the other items go on.

Torrent facts are read from Torznab/Newznab ``attr`` elements (``infohash``,
``magneturl``, ``size``, ``category``, ``seeders``, ``peers``) and from the element
names that ezRSS- and Nyaa-style feeds use (``infoHash``, ``magnetURI``, ``seeders``,
``leechers``), whatever namespace prefix they carry.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from torrentwatch.errors import FeedMalformed, FeedUnsafeXml

MAX_DEPTH = 64  # real feeds nest 4-6 deep; this only stops pathological documents
TORRENT_TYPE = "application/x-bittorrent"
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_INT = re.compile(r"\s*\d{1,19}\s*")
_ATTR_NAMESPACES = ("torznab", "newznab")
# ezRSS / Nyaa / similar: element local name -> the fact it holds
_NAMED_FACTS = {
    "infohash": "infohash",
    "magneturi": "magnet",
    "contentlength": "size",
    "size": "size",
    "seeds": "seeders",
    "seeders": "seeders",
    "leechers": "leechers",
    "peers": "peers",
}


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One usable feed item: at least one of torrent_url, magnet, infohash is set."""

    item_id: str  # guid / Atom id / link / enclosure URL / infohash, in that order
    title: str | None
    category: str | None  # what the feed showed: a <category> text, else a Torznab id
    categories: tuple[str, ...]  # every category text and Torznab id, for filtering
    torrent_url: str | None  # absolute http(s) URL of a .torrent
    magnet: str | None
    infohash: str | None  # lower-case hex: 40 digits (v1) or 64 (v2)
    size: int | None
    seeders: int | None
    leechers: int | None  # Torznab 'peers' counts seeders too; this is peers - seeders


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """An item that was left out, and why."""

    position: int  # 1-based, in document order
    item_id: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    format: str  # "rss" | "atom"
    entries: tuple[FeedEntry, ...]
    problems: tuple[ItemProblem, ...]


class _ItemUnusable(Exception):
    pass


class _DepthLimitedBuilder(ET.TreeBuilder):
    """A tree builder that refuses documents nested deeper than ``max_depth``."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag, attrs):
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep(self._max_depth)
        return super().start(tag, attrs)

    def end(self, tag):
        self._depth -= 1
        return super().end(tag)


class _TooDeep(Exception):
    pass


def parse_feed(data: bytes, url: str, *, max_depth: int = MAX_DEPTH) -> ParsedFeed:
    """Parse one feed document fetched from ``url`` (used for errors and relative links)."""
    root = _parse_xml(data, url, max_depth)
    kind = _local(root.tag)
    if kind == "rss":
        channel = next((c for c in root if _local(c.tag) == "channel"), None)
        items = [] if channel is None else [c for c in channel if _local(c.tag) == "item"]
        fmt = "rss"
    elif kind == "RDF":  # RSS 1.0: items are children of the root
        items = [c for c in root if _local(c.tag) == "item"]
        fmt = "rss"
    elif kind == "feed":
        items = [c for c in root if _local(c.tag) == "entry"]
        fmt = "atom"
    else:
        raise FeedMalformed(f"{url}: the root element is <{kind}>, not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    problems: list[ItemProblem] = []
    for position, item in enumerate(items, start=1):
        try:
            entries.append(_entry(item, url, fmt))
        except _ItemUnusable as exc:
            problems.append(ItemProblem(position, _item_id(item), str(exc)))
    return ParsedFeed(fmt, tuple(entries), tuple(problems))


def _parse_xml(data: bytes, url: str, max_depth: int) -> ET.Element:
    if not data.strip():
        raise FeedMalformed(f"{url}: the feed is empty")
    parser = DefusedXMLParser(
        target=_DepthLimitedBuilder(max_depth),
        forbid_dtd=False,  # a bare DOCTYPE is harmless and old RSS 0.91 feeds carry one
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(data)
        return parser.close()
    except DefusedXmlException as exc:
        raise FeedUnsafeXml(
            f"{url}: the feed declares entities or external references, "
            f"which are refused (entity bombs, XXE): {exc!r}"
        ) from None
    except _TooDeep:
        raise FeedMalformed(f"{url}: elements are nested more than {max_depth} deep") from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise FeedMalformed(
            f"{url}: not well-formed XML at line {line}, column {column + 1}: {reason}"
        ) from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _child(item: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in item if _local(c.tag) == name), None)


def _item_id(item: ET.Element) -> str | None:
    for name in ("guid", "id", "link"):
        child = _child(item, name)
        value = _text(child) or (child.get("href") if child is not None else None)
        if value:
            return value.strip()[:2000]
    return None


def _entry(item: ET.Element, url: str, fmt: str) -> FeedEntry:
    facts = _facts(item)
    links = _links(item, url, fmt)
    torrent_url = links["torrent"]
    magnet = links["magnet"] or _magnet(facts.get("magnet"))
    infohash = _infohash(facts["infohash"][0]) if facts.get("infohash") else None
    if facts.get("infohash") and infohash is None:
        raise _ItemUnusable(f"the infohash {facts['infohash'][0][:80]!r} is not 40 or 64 hex")
    title = _text(_child(item, "title"))
    if magnet is None and infohash is not None:
        magnet = _magnet_for(infohash, title)
    if not (torrent_url or magnet):
        raise _ItemUnusable("the item has no .torrent link, magnet link or infohash")
    texts = [t for c in item if _local(c.tag) == "category" for t in [_category_text(c)] if t]
    ids = facts.get("category", [])
    seeders = _count(facts.get("seeders"))
    leechers = _count(facts.get("leechers"))
    peers = _count(facts.get("peers"))
    if leechers is None and peers is not None:
        leechers = max(peers - (seeders or 0), 0)
    item_id = _item_id(item) or (torrent_url or infohash or magnet or "")[:2000]
    return FeedEntry(
        item_id=item_id,
        title=title,
        category=(texts or ids or [None])[0],
        categories=tuple(dict.fromkeys([*texts, *ids])),
        torrent_url=torrent_url,
        magnet=magnet,
        infohash=infohash,
        size=_count(facts.get("size")) or _count([links["length"]] if links["length"] else None),
        seeders=seeders,
        leechers=leechers,
    )


def _facts(item: ET.Element) -> dict[str, list[str]]:
    """Torznab/Newznab attrs and ezRSS-style elements (one level down, or in a wrapper)."""
    facts: dict[str, list[str]] = {}
    for child in item:
        tag = child.tag if isinstance(child.tag, str) else ""
        local = _local(tag)
        if local == "attr" and any(ns in _namespace(tag).lower() for ns in _ATTR_NAMESPACES):
            name, value = (child.get("name") or "").lower(), child.get("value")
            if name == "magneturl":
                name = "magnet"
            if name and value is not None:
                facts.setdefault(name, []).append(value.strip())
        elif _namespace(tag) and local.lower() in _NAMED_FACTS:
            facts.setdefault(_NAMED_FACTS[local.lower()], []).append(_text(child) or "")
        elif _namespace(tag) and local == "torrent":  # ezRSS wraps its facts in <torrent>
            for inner in child:
                key = _NAMED_FACTS.get(_local(inner.tag).lower())
                if key:
                    facts.setdefault(key, []).append(_text(inner) or "")
    return facts


def _links(item: ET.Element, url: str, fmt: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {"torrent": None, "magnet": None, "length": None}
    candidates: list[tuple[str, str | None, str | None]] = []  # (href, type, length)
    for child in item:
        local = _local(child.tag)
        if local == "enclosure":
            candidates.append((child.get("url") or "", child.get("type"), child.get("length")))
        elif local == "link" and fmt == "atom":
            candidates.append((child.get("href") or "", child.get("type"), child.get("length")))
        elif local in ("link", "guid"):
            candidates.append((_text(child) or "", None, None))
    for href, media_type, length in candidates:
        href = href.strip()
        if href[:8].lower() == "magnet:?":
            found["magnet"] = found["magnet"] or href
        elif found["torrent"] is None and _is_torrent(href, media_type):
            absolute = urljoin(url, href)
            if urlsplit(absolute).scheme.lower() in ("http", "https"):
                found["torrent"], found["length"] = absolute, length
    return found


def _is_torrent(href: str, media_type: str | None) -> bool:
    if not href:
        return False
    if media_type and media_type.split(";")[0].strip().lower() == TORRENT_TYPE:
        return True
    return urlsplit(href).path.lower().endswith(".torrent")


def _category_text(element: ET.Element) -> str | None:
    return _text(element) or (element.get("term") or "").strip() or None


def _magnet(value: list[str] | None) -> str | None:
    for candidate in value or ():
        if candidate[:8].lower() == "magnet:?":
            return candidate
    return None


def _infohash(value: str) -> str | None:
    value = value.strip()
    if _HEX40.fullmatch(value) or _HEX64.fullmatch(value):
        return value.lower()
    if _BASE32.fullmatch(value):
        try:
            return base64.b32decode(value.upper()).hex()
        except binascii.Error:
            return None
    return None


def _magnet_for(infohash: str, title: str | None) -> str:
    """A magnet URI for a bare infohash (v1 btih, or v2 btmh multihash), named by the title."""
    xt = f"urn:btih:{infohash}" if len(infohash) == 40 else f"urn:btmh:1220{infohash}"
    return f"magnet:?xt={xt}" + (f"&dn={quote(title, safe='')}" if title else "")


def _count(values: list[str] | None) -> int | None:
    for value in values or ():
        if value and _INT.fullmatch(value):
            return int(value)
    return None
